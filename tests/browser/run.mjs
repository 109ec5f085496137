// run.mjs - browser tests of the Casier web manager: Debian's Chromium
// driven by playwright-core.  Prints one "PASS: name" / "FAIL: name: why"
// line per check and exits non-zero when something failed.  Screenshots
// go to tests/browser/artifacts/ (git-ignored).
//
// Needs (from run/stack.env): CASIER_WEB_URL, CASIER_SUPERUSER,
// CASIER_SUPERUSER_PASSWORD, CASIER_API_TOKEN.  Optional: CASIER_CHROMIUM
// (default /usr/bin/chromium), CASIER_BROWSER_DOMAIN (default exemple.be).
//
// The scenario is the manual's (seeds/004 sections 1-3): the superuser
// creates exemple.be (prefix exemple, 10 accounts, 25000 KB) and a domain
// admin; the domain admin creates gugus.dupont (exemple0001, quota
// prefilled), the alias gugus -> exemple0001, a redirect with keep-copy,
// the catch-all, deletes an account through the confirmation page and
// logs out.  Both languages are rendered, and hostile input in every
// field must come back escaped without running any script.
import { chromium } from 'playwright-core';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const artifacts = join(here, 'artifacts');
mkdirSync(artifacts, { recursive: true });

const env = (name, def) => {
	const v = process.env[name];
	if (v === undefined || v === '') {
		if (def !== undefined) return def;
		console.log(`FAIL: browser-setup: ${name} is not set (source run/stack.env)`);
		process.exit(1);
	}
	return v;
};
const base = env('CASIER_WEB_URL').replace(/\/+$/, '');
const superLogin = env('CASIER_SUPERUSER');
const superPassword = env('CASIER_SUPERUSER_PASSWORD');
const apiToken = env('CASIER_API_TOKEN');
const chromiumPath = env('CASIER_CHROMIUM', '/usr/bin/chromium');
const domain = env('CASIER_BROWSER_DOMAIN', 'exemple.be');
const prefix = env('CASIER_BROWSER_PREFIX', 'exemple');
const adminLogin = `gugus-admin-${process.pid}`;
const adminPassword = 'Tr4vel-Blue-92';
const accountPassword = 'Zebra-Quartz-4711';

let failures = 0;
const pass = (name) => console.log(`PASS: ${name}`);
const fail = (name, why) => {
	failures++;
	console.log(`FAIL: ${name}: ${String(why).replace(/\s+/g, ' ').slice(0, 300)}`);
};
async function check(name, fn) {
	try {
		await fn();
		pass(name);
	} catch (e) {
		fail(name, e && e.message ? e.message : e);
	}
}
function assert(cond, msg) {
	if (!cond) throw new Error(msg);
}

// The API is used only to clean up what an earlier run left behind.
async function api(method, path, body) {
	const r = await fetch(base + path, {
		method,
		headers: {
			Authorization: `Bearer ${apiToken}`,
			...(body ? { 'Content-Type': 'application/json' } : {}),
		},
		body: body ? JSON.stringify(body) : undefined,
	});
	const text = await r.text();
	return { status: r.status, text };
}

const userDataDir = mkdtempSync(join(tmpdir(), 'casier-chromium-'));
// A persistent context is how playwright takes an explicit, fresh
// --user-data-dir; users are switched by clearing the cookies.
const browser = await chromium.launchPersistentContext(userDataDir, {
	executablePath: chromiumPath,
	headless: true,
	ignoreHTTPSErrors: true,
	viewport: { width: 1200, height: 800 },
	args: [
		'--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
		'--no-first-run', '--disable-background-networking',
		'--disable-component-update', '--disable-sync',
	],
});

const dialogs = [];
async function newPage(locale) {
	await browser.clearCookies();
	const page = await browser.newPage();
	await page.setExtraHTTPHeaders({ 'Accept-Language': locale });
	// Any alert() means a script payload ran: that is a failure.
	page.on('dialog', async (d) => {
		dialogs.push(d.message());
		await d.dismiss();
	});
	page.setDefaultTimeout(15000);
	return { context: { close: () => page.close() }, page };
}
const shot = (page, name) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
const text = (page, sel) => page.locator(sel).first().innerText();

async function login(page, user, password) {
	await page.goto(`${base}/login`);
	await page.fill('#login', user);
	await page.fill('#password', password);
	await Promise.all([page.waitForLoadState('load'), page.click('#login-submit')]);
}

try {
	// Node's fetch trusts the stack's CA through NODE_EXTRA_CA_CERTS
	// (set by tests/integration/50-web-browser.sh from CASIER_TLS_CA).
	const old = await api('DELETE', `/api/v1/domains/${domain}`);
	if (old.status !== 204 && old.status !== 200 && old.status !== 404)
		fail('browser-cleanup', `DELETE ${domain}: ${old.status} ${old.text}`);

	// ---- superuser, French (the default) ----
	const su = await newPage('fr-BE');
	await check('superuser logs in (French)', async () => {
		await su.page.goto(`${base}/`);
		assert(su.page.url().endsWith('/login'), `not sent to /login: ${su.page.url()}`);
		assert((await su.page.locator('html').getAttribute('lang')) === 'fr', 'page is not French');
		await shot(su.page, '01-login-fr');
		await login(su.page, superLogin, superPassword);
		assert((await text(su.page, 'h1')).includes('PARCOURIR LES DOMAINES') ||
			(await text(su.page, 'h1')).toLowerCase().includes('parcourir les domaines'),
			`welcome title: ${await text(su.page, 'h1')}`);
		assert(await su.page.locator('#logout').isVisible(), 'no log out button');
	});
	await check('superuser creates the domain', async () => {
		await su.page.click('#new-domain');
		await su.page.fill('#name', domain);
		await su.page.fill('#prefix', prefix);
		await su.page.fill('#max_accounts', '10');
		await su.page.fill('#quota_kb', '25000');
		await shot(su.page, '02-domain-new-fr');
		await su.page.click('#domain-submit');
		const row = su.page.locator(`tr[data-domain="${domain}"]`);
		await row.waitFor();
		const cells = await row.locator('td').allInnerTexts();
		assert(cells[1] === prefix, `prefix cell ${cells[1]}`);
		assert(cells[2] === '10', `max accounts cell ${cells[2]}`);
		assert(cells[3] === '0', `accounts used cell ${cells[3]}`);
		assert(cells[4].replace(/\s/g, '') === '25000KB', `quota cell ${cells[4]}`);
		assert((await text(su.page, '.flash.ok')).includes(domain), 'no confirmation');
		await shot(su.page, '03-home-superuser-fr');
	});
	await check('domain form shows server-side errors', async () => {
		await su.page.goto(`${base}/domains/new`);
		await su.page.fill('#name', `second-${domain}`);
		await su.page.fill('#prefix', prefix); // already used
		await su.page.fill('#max_accounts', '5');
		await su.page.fill('#quota_kb', '1000');
		await su.page.click('#domain-submit');
		await su.page.locator('.field-error').first().waitFor();
		const err = await text(su.page, '.field-error');
		assert(/préfixe|prefix/i.test(err), `error text: ${err}`);
		assert((await su.page.inputValue('#name')) === `second-${domain}`, 'value not kept');
		await shot(su.page, '04-domain-error-fr');
	});
	await check('superuser creates a domain admin', async () => {
		await su.page.goto(`${base}/admins/new`);
		await su.page.fill('#login_name', adminLogin);
		await su.page.fill('#password', adminPassword);
		await su.page.fill('#password2', adminPassword);
		const box = su.page.locator(`input[name="domain"][value="${domain}"]`);
		await box.check();
		await su.page.click('#admin-submit');
		const row = su.page.locator(`tr[data-admin="${adminLogin}"]`);
		await row.waitFor();
		assert((await row.innerText()).includes(domain), 'admin row lacks the domain');
		await shot(su.page, '05-admins-fr');
	});
	await check('superuser logs out', async () => {
		await su.page.click('#logout');
		await su.page.waitForURL(/\/login/);
		await su.page.goto(`${base}/`);
		assert(su.page.url().includes('/login'), 'session still valid after log out');
	});

	// ---- the domain admin ----
	const da = await newPage('fr-BE');
	const p = da.page;
	await check('domain admin logs in and sees only its domain', async () => {
		await login(p, adminLogin, adminPassword);
		const rows = await p.locator('tr[data-domain]').count();
		assert(rows === 1, `${rows} domains listed`);
		assert(await p.locator(`tr[data-domain="${domain}"]`).isVisible(), 'its domain missing');
		assert((await p.locator('#new-domain').count()) === 0, 'domain admin sees "new domain"');
		assert((await p.locator(`a[href="/domains/${domain}/edit"]`).count()) === 0,
			'domain admin sees "edit domain"');
		await shot(p, '06-home-domain-admin-fr');
	});
	await check('domain admin gets 403 on superuser pages', async () => {
		const r = await p.goto(`${base}/admins`);
		assert(r.status() === 403, `status ${r.status()}`);
		const r2 = await p.goto(`${base}/domains/${domain}/edit`);
		assert(r2.status() === 403, `edit domain status ${r2.status()}`);
	});
	await check('empty account list says "Pas de compte trouvé"', async () => {
		await p.goto(`${base}/`);
		await p.click(`tr[data-domain="${domain}"] >> text=Comptes`);
		assert((await text(p, '#no-account')) === 'Pas de compte trouvé', await text(p, 'main'));
		await shot(p, '07-accounts-empty-fr');
	});
	await check('create form shows the username and the prefilled quota', async () => {
		await p.click('#new-account');
		assert((await text(p, '#next-username')) === `${prefix}0001`, await text(p, '#next-username'));
		assert((await p.inputValue('#quota_kb')) === '25000', `quota ${await p.inputValue('#quota_kb')}`);
		await shot(p, '08-account-new-fr');
	});
	await check('weak password and mismatch are refused next to the fields', async () => {
		await p.fill('#local_part', 'gugus.dupont');
		await p.fill('#password', 'password1');
		await p.fill('#password2', 'password1');
		await p.click('#account-submit');
		await p.locator('.field-error').first().waitFor();
		assert(await p.locator('.field.has-error #password').count() === 1, 'no error on password');
		assert((await p.inputValue('#local_part')) === 'gugus.dupont', 'address not kept');
		await p.fill('#password', accountPassword);
		await p.fill('#password2', accountPassword + 'x');
		await p.click('#account-submit');
		await p.locator('.field.has-error #password2').waitFor();
		await shot(p, '09-account-errors-fr');
		assert((await text(p, '#next-username')) === `${prefix}0001`, 'a refused creation used a number');
	});
	await check('domain admin creates gugus.dupont -> exemple0001', async () => {
		await p.fill('#password', accountPassword);
		await p.fill('#password2', accountPassword);
		await p.click('#account-submit');
		const row = p.locator(`tr[data-username="${prefix}0001"]`);
		await row.waitFor();
		const t = await row.innerText();
		assert(t.includes(`gugus.dupont@${domain}`), t);
		assert(t.replace(/\s/g, '').includes('25000KB'), t);
		assert(t.includes('0 KB (0.0 %)'), `usage: ${t}`);
	});
	await check('a second account gets exemple0002', async () => {
		await p.click('#new-account');
		assert((await text(p, '#next-username')) === `${prefix}0002`, 'next username');
		await p.fill('#local_part', 'jean.martin');
		await p.fill('#password', accountPassword);
		await p.fill('#password2', accountPassword);
		await p.click('#account-submit');
		await p.locator(`tr[data-username="${prefix}0002"]`).waitFor();
		await shot(p, '10-accounts-fr');
	});
	await check('alias gugus: no destination, then -> exemple0001', async () => {
		await p.goto(`${base}/`);
		await p.click(`tr[data-domain="${domain}"] >> text=Alias`);
		assert((await text(p, '#no-alias')).length > 0, 'no empty state');
		await p.click('#new-alias');
		await p.fill('#local_part', 'gugus');
		await p.click('#alias-submit');
		await p.locator('#no-destination').waitFor();
		assert((await text(p, '#no-destination')) === "Cet alias n'a pas de destination.",
			await text(p, '#no-destination'));
		await shot(p, '11-alias-no-destination-fr');
		await p.fill('#target', `${prefix}0001`);
		await p.click('#alias-target-add');
		await p.locator('#alias-targets').waitFor();
		assert((await text(p, '#alias-targets')).includes(`${prefix}0001`), 'target missing');
		assert((await p.locator('#no-destination').count()) === 0, 'still says no destination');
		await shot(p, '12-alias-fr');
	});
	await check('alias target can be removed and added again', async () => {
		await p.fill('#target', `gugus@remote.example`);
		await p.click('#alias-target-add');
		await p.locator('#alias-targets >> text=gugus@remote.example').waitFor();
		await p.locator('#alias-targets tr', { hasText: 'gugus@remote.example' })
			.locator('button').click();
		await p.locator('#alias-targets').waitFor();
		assert(!(await text(p, '#alias-targets')).includes('remote.example'), 'not removed');
	});
	await check('redirect with keep-copy', async () => {
		await p.goto(`${base}/accounts/${prefix}0001/redirect`);
		assert(await p.locator('#no-redirect').isVisible(), 'no empty state');
		await p.fill('#target0', 'gugus@remote.example');
		await p.fill('#target1', `${prefix}0002`);
		await p.check('#keep_copy');
		await p.click('#redirect-save');
		await p.locator('.flash.ok').waitFor();
		assert((await p.inputValue('#target0')) === 'gugus@remote.example', 'target0 lost');
		assert((await p.inputValue('#target1')) === `${prefix}0002`, 'target1 lost');
		assert(await p.isChecked('#keep_copy'), 'keep copy not kept');
		await shot(p, '13-redirect-fr');
	});
	await check('catch-all set to exemple0001', async () => {
		await p.goto(`${base}/domains/${domain}/catchall`);
		await p.selectOption('#username', `${prefix}0001`);
		await p.click('#catchall-save');
		const row = p.locator(`tr[data-username="${prefix}0001"]`);
		await row.waitFor();
		const t = await row.innerText();
		assert(t.includes('catch-all'), `markers: ${t}`);
		assert(t.includes('redirection'), `markers: ${t}`);
		await shot(p, '14-accounts-markers-fr');
	});
	await check('delete an account through the confirmation page', async () => {
		await p.goto(`${base}/accounts/${prefix}0002/delete`);
		const msg = await text(p, '#confirm-message');
		assert(/effacées/.test(msg) && msg.includes(`${prefix}0002`), msg);
		await shot(p, '15-account-delete-confirm-fr');
		await p.click('#confirm-yes');
		await p.locator('.flash.ok').waitFor();
		assert((await p.locator(`tr[data-username="${prefix}0002"]`).count()) === 0, 'still listed');
		assert((await p.locator(`tr[data-username="${prefix}0001"]`).count()) === 1, 'wrong one deleted');
	});
	await check('a deleted number is not reused', async () => {
		await p.click('#new-account');
		assert((await text(p, '#next-username')) === `${prefix}0003`, await text(p, '#next-username'));
	});
	await check('CSV import: dry run through the import page', async () => {
		await p.goto(`${base}/domains/${domain}/accounts`);
		await p.click('#import-link');
		await p.fill('#csv', `paul.durand,${accountPassword},10\nbad..address,${accountPassword}`);
		await p.click('#import-submit');
		await p.locator('#import-report').waitFor();
		const report = await text(p, '#import-report');
		assert(report.includes('paul.durand') && report.includes('correct'), report);
		assert((await text(p, '#import-summary')).includes('rien n\'a été créé'),
			await text(p, '#import-summary'));
		await shot(p, '15b-import-dry-run-fr');
		await p.goto(`${base}/domains/${domain}/accounts?q=paul`);
		assert(await p.locator('#no-account').isVisible(), 'a dry run created an account');
	});
	await check('English through the language switch', async () => {
		await p.goto(`${base}/domains/${domain}/accounts`);
		await p.click('#lang-en');
		await p.waitForLoadState('load');
		assert((await p.locator('html').getAttribute('lang')) === 'en', 'not English');
		assert((await text(p, '#logout')) === 'Log out', await text(p, '#logout'));
		assert((await text(p, 'h1')).toLowerCase().includes(`accounts of ${domain}`), await text(p, 'h1'));
		await shot(p, '16-accounts-en');
		await p.click('#new-account');
		assert((await text(p, 'h1')).toLowerCase().includes('add a new account'), await text(p, 'h1'));
		await shot(p, '17-account-new-en');
		await p.goto(`${base}/accounts/${prefix}0001/delete`);
		assert(/cannot be undone/.test(await text(p, '#confirm-message')), 'English confirm');
		await shot(p, '18-account-delete-confirm-en');
	});
	await check('audit log lists the changes of its domain', async () => {
		await p.goto(`${base}/audit`);
		const t = await text(p, '#audit');
		assert(t.includes(`${prefix}0002`) && t.includes(adminLogin), t.slice(0, 200));
		await shot(p, '20-audit-en');
	});

	// ---- hostile input: every field comes back escaped, nothing runs ----
	const xss = `<script>alert("x")</script><img src=x onerror=alert(1)>"'`;
	await check('script payloads come back escaped', async () => {
		await p.goto(`${base}/domains/${domain}/accounts/new`);
		await p.fill('#local_part', xss);
		await p.fill('#quota_kb', '25000');
		await p.fill('#password', xss);
		await p.fill('#password2', xss);
		await p.click('#account-submit');
		await p.locator('.field-error').first().waitFor();
		assert((await p.inputValue('#local_part')) === xss, 'value not echoed verbatim');
		await p.goto(`${base}/domains/${domain}/accounts?q=${encodeURIComponent(xss)}`);
		assert((await p.inputValue('#search')) === xss, 'search not echoed verbatim');
		await p.goto(`${base}/accounts/${prefix}0001/redirect`);
		await p.fill('#target0', xss);
		await p.click('#redirect-save');
		await p.locator('.field-error').first().waitFor();
		assert((await p.inputValue('#target0')) === xss, 'target not echoed verbatim');
		await p.goto(`${base}/aliases/gugus@${domain}`);
		await p.fill('#target', xss);
		await p.click('#alias-target-add');
		await p.locator('.field-error').first().waitFor();
		await p.goto(`${base}/domains/${domain}/aliases/new`);
		await p.fill('#local_part', xss);
		await p.click('#alias-submit');
		await p.locator('.field-error').first().waitFor();
		await p.goto(`${base}/tokens`);
		await p.fill('#token_name', xss);
		await p.click('#token-create');
		await p.waitForLoadState('load');
		await p.goto(`${base}/?done=${encodeURIComponent('account_created')}&obj=${encodeURIComponent(xss)}`);
		await p.goto(`${base}/lang/en?back=${encodeURIComponent('//evil.example/')}`);
		assert(new URL(p.url()).host === new URL(base).host, `open redirect to ${p.url()}`);
		await p.goto(`${base}/audit`);
		const scripts = await p.locator('script').count();
		assert(scripts === 0, `${scripts} script elements in the audit page`);
		await shot(p, '21-hostile-audit-en');
		assert(dialogs.length === 0, `a script ran: ${dialogs.join(', ')}`);
	});
	await check('domain admin logs out', async () => {
		await p.click('#logout');
		await p.waitForURL(/\/login/);
		await shot(p, '22-logged-out-en');
		const r = await p.goto(`${base}/domains/${domain}/accounts`);
		assert(p.url().includes('/login'), `still in: ${p.url()} ${r.status()}`);
	});
	await da.context.close();
	await check('Accept-Language chooses English before login', async () => {
		const en = await newPage('en-US');
		await en.page.goto(`${base}/login`);
		assert((await text(en.page, '#login-submit')) === 'Log in', await text(en.page, '#login-submit'));
		await shot(en.page, '19-login-en');
		await en.context.close();
	});

	// ---- clean up: the superuser deletes the admin and the domain ----
	const su2 = await newPage('fr-BE');
	await check('superuser deletes the admin and the domain', async () => {
		await login(su2.page, superLogin, superPassword);
		await su2.page.goto(`${base}/admins/${adminLogin}/delete`);
		await su2.page.click('#confirm-yes');
		await su2.page.locator('.flash.ok').waitFor();
		await su2.page.goto(`${base}/domains/${domain}/delete`);
		assert(/effacé/.test(await text(su2.page, '#confirm-message')), 'no warning');
		await shot(su2.page, '23-domain-delete-confirm-fr');
		await su2.page.click('#confirm-yes');
		await su2.page.locator('.flash.ok').waitFor();
		assert((await su2.page.locator(`tr[data-domain="${domain}"]`).count()) === 0, 'domain still listed');
	});
	await su2.context.close();
	await su.context.close();
} catch (e) {
	fail('browser', e && e.stack ? e.stack : e);
} finally {
	await browser.close();
	rmSync(userDataDir, { recursive: true, force: true });
}
process.exit(failures === 0 ? 0 : 1);
