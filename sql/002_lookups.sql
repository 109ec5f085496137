-- 002_lookups.sql - lookup functions for Dovecot (passdb/userdb) and
-- Postfix (pgsql maps).
--
-- Dovecot and Postfix call these through the queries in tools/stack/
-- templates; keeping the logic here means one place decides who may log in
-- and which addresses exist.  All are STABLE, read-only, and return zero
-- rows for "absent" (Dovecot and Postfix treat an SQL error as temporary).
--
-- Logins are case-insensitive: a username ("exemple0001") or an address
-- ("gugus@exemple.be", "exemple0001@exemple.be", also through an alias
-- domain).  Domains are matched as stored: lower-case A-labels.

-- Split a lower-cased address at its last '@'.  NULL parts when there is no
-- '@' or a part is empty.
CREATE FUNCTION casier_split_address(p_address text, OUT local_part text, OUT domain_name text)
LANGUAGE sql IMMUTABLE AS $$
	SELECT nullif(substring(lower(p_address) FROM '^(.*)@[^@]*$'), ''),
	       nullif(substring(lower(p_address) FROM '@([^@]*)$'), '')
$$;

-- The primary domain id of a hosted name (a domain or an alias domain),
-- whether active or not.
CREATE FUNCTION casier_domain_id(p_name text) RETURNS bigint
LANGUAGE sql STABLE AS $$
	SELECT id FROM domain WHERE name = lower(p_name)
	UNION ALL
	SELECT domain_id FROM alias_domain WHERE name = lower(p_name)
	LIMIT 1
$$;

-- The account a login names, active or not; zero or one row.
CREATE FUNCTION casier_login_account(p_login text) RETURNS SETOF account
LANGUAGE plpgsql STABLE AS $$
DECLARE
	l text := lower(btrim(p_login));
	lp text;
	dn text;
BEGIN
	IF l IS NULL OR l = '' OR length(l) > 320 THEN
		RETURN;
	END IF;
	IF position('@' IN l) = 0 THEN
		RETURN QUERY SELECT * FROM account a WHERE a.username = l;
		RETURN;
	END IF;
	SELECT s.local_part, s.domain_name INTO lp, dn FROM casier_split_address(l) s;
	IF lp IS NULL OR dn IS NULL THEN
		RETURN;
	END IF;
	-- local part first, then a username used as an address
	RETURN QUERY
		SELECT a.* FROM account a
		WHERE a.domain_id = casier_domain_id(dn)
		  AND (a.local_part = lp OR a.username = lp)
		ORDER BY (a.local_part = lp) DESC
		LIMIT 1;
END $$;

-- Dovecot passdb: the account may log in (account and domain active).
-- p_service is Dovecot's %s (imap, pop3, smtp, lmtp, ...); it is unused
-- here so that a later migration (outbound blocks, DESIGN section 6) can
-- replace this function and refuse service 'smtp' only.
CREATE FUNCTION dovecot_passdb(p_login text, p_service text)
RETURNS TABLE (username text, password_hash text)
LANGUAGE sql STABLE AS $$
	SELECT a.username, a.password_hash
	FROM casier_login_account(p_login) a
	JOIN domain d ON d.id = a.domain_id
	WHERE a.active AND d.active
$$;

-- Dovecot userdb: where the mail lives (relative to the mail root:
-- <domain>/<username>) and the quota rule.  Quota 0 means no limit
-- (Dovecot's meaning of a zero limit).
CREATE FUNCTION dovecot_userdb(p_login text, p_service text)
RETURNS TABLE (username text, maildir text, quota_rule text)
LANGUAGE sql STABLE AS $$
	SELECT a.username, d.name || '/' || a.username, '*:bytes=' || a.quota_bytes
	FROM casier_login_account(p_login) a
	JOIN domain d ON d.id = a.domain_id
	WHERE a.active AND d.active
$$;

-- Dovecot iterate_query (doveadm -A): every active account.
CREATE FUNCTION dovecot_iterate() RETURNS TABLE (username text)
LANGUAGE sql STABLE AS $$
	SELECT a.username FROM account a JOIN domain d ON d.id = a.domain_id
	WHERE a.active AND d.active ORDER BY a.username
$$;

-- Postfix virtual_mailbox_domains: every hosted name (domains and alias
-- domains, active or not, so an inactive domain is refused as a recipient
-- instead of being treated as remote).
CREATE FUNCTION postfix_hosted_domain(p_name text) RETURNS TABLE (name text)
LANGUAGE sql STABLE AS $$
	SELECT lower(p_name) WHERE casier_domain_id(p_name) IS NOT NULL
$$;

-- Postfix virtual_mailbox_maps (base version, accounts only): 'ok' when
-- the address names an active account of an active domain.  Delivery
-- (migrations 01x) extends recipient checks to aliases and catch-alls.
CREATE FUNCTION postfix_mailbox(p_address text) RETURNS TABLE (result text)
LANGUAGE sql STABLE AS $$
	SELECT 'ok'::text
	FROM casier_login_account(p_address) a
	JOIN domain d ON d.id = a.domain_id
	WHERE a.active AND d.active AND position('@' IN p_address) > 0
$$;

-- Postfix smtpd_sender_login_maps: the usernames (SASL logins, Dovecot
-- normalises logins to the username) that may use p_address as sender: the
-- account the address names (its local part or its username, in its
-- domain or an alias domain), and the accounts an alias of that address
-- targets (target written as username, local@domain or username@domain).
CREATE FUNCTION postfix_sender_logins(p_address text) RETURNS TABLE (username text)
LANGUAGE sql STABLE AS $$
	WITH addr AS (
		SELECT s.local_part AS lp, casier_domain_id(s.domain_name) AS did
		FROM casier_split_address(p_address) s
	)
	SELECT a.username FROM casier_login_account(p_address) a
	WHERE position('@' IN p_address) > 0
	UNION
	SELECT a.username
	FROM addr
	JOIN alias al ON al.domain_id = addr.did AND al.local_part = addr.lp
	CROSS JOIN LATERAL unnest(al.targets) AS t(target)
	CROSS JOIN LATERAL casier_login_account(t.target) a
$$;
