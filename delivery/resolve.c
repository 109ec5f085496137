/*
 * resolve.c - applies the recipient rules of DESIGN section 3 to the
 * facts a lookup returned, and the RCPT-time quota check (section 4).
 *
 * Called by casier-deliverd for every RCPT (LMTP) and every policy
 * request from the inbound smtpd.  No I/O of its own and no privileges:
 * the lookup does the single SQL round trip.  Any lookup error or
 * missing fact is a temporary failure (451 4.3.0); only definite facts
 * (unknown domain or user, inactive account, a loop) are permanent.
 */
#include "resolve.h"
#include "address.h"
#include "log.h"
#include "str.h"

#include <stdlib.h>
#include <string.h>

/* Expansion work is bounded whatever the data (1000 targets per alias). */
#define RESOLVE_MAX_DESTS 1000

void
resolve_facts_init(struct resolve_facts *facts)
{
	memset(facts, 0, sizeof(*facts));
}

void
resolve_facts_clear(struct resolve_facts *facts)
{
	for (size_t i = 0; i < facts->nallocs; i++)
		free(facts->allocs[i]);
	free(facts->allocs);
	free(facts->nodes);
	resolve_facts_init(facts);
}

int
resolve_facts_own(struct resolve_facts *facts, void *p)
{
	if (p == NULL)
		return -1;
	if (facts->nallocs == facts->allocs_cap) {
		size_t cap =
		    facts->allocs_cap == 0 ? 16 : facts->allocs_cap * 2;
		void **n = realloc(facts->allocs, cap * sizeof(*n));

		if (n == NULL) {
			free(p);
			return -1;
		}
		facts->allocs = n;
		facts->allocs_cap = cap;
	}
	facts->allocs[facts->nallocs++] = p;
	return 0;
}

struct resolve_node *
resolve_facts_add(struct resolve_facts *facts)
{
	/* nodes grow one at a time; a lookup returns at most a few
	 * thousand, so the quadratic realloc cost is negligible */
	struct resolve_node *n =
	    realloc(facts->nodes, (facts->nnodes + 1) * sizeof(*n));

	if (n == NULL)
		return NULL;
	facts->nodes = n;
	memset(&n[facts->nnodes], 0, sizeof(n[0]));
	return &n[facts->nnodes++];
}

const struct resolve_node *
resolve_facts_find(const struct resolve_facts *facts, const char *key)
{
	for (size_t i = 0; i < facts->nnodes; i++) {
		if (facts->nodes[i].key != NULL &&
		    strcmp(facts->nodes[i].key, key) == 0)
			return &facts->nodes[i];
	}
	return NULL;
}

int
resolve_key(const char *target, char *out, size_t outsize)
{
	const char *at = strrchr(target, '@');
	const char *plus;
	size_t llen;

	if (at == NULL) {
		if (casier_snprintf(out, outsize, "%s", target) < 0)
			return -1;
		casier_ascii_lower(out);
		return 0;
	}
	plus = memchr(target, '+', (size_t)(at - target));
	llen = (size_t)((plus != NULL ? plus : at) - target);
	if (casier_snprintf(out, outsize, "%.*s%s", (int)llen, target, at) < 0)
		return -1;
	casier_ascii_lower(out);
	return 0;
}

struct walk {
	const struct resolve_facts *facts;
	unsigned int max_depth;
	/* per node: on the current expansion path / fully expanded */
	unsigned char *state;
	struct resolve_dest *dests;
	size_t ndests, cap;
	bool loop;
	bool overflow;
};

enum { NODE_NEW, NODE_ON_PATH, NODE_DONE };

static void
add_dest(struct walk *w, enum resolve_dest_kind kind, const char *address,
	 const char *tag, const char *username)
{
	struct resolve_dest *d;
	const char *at;

	/* de-duplicate: a mailbox by username, a remote address by itself */
	for (size_t i = 0; i < w->ndests; i++) {
		d = &w->dests[i];
		if (d->kind != kind)
			continue;
		if (kind == RESOLVE_DEST_MAILBOX &&
		    strcmp(d->username, username) == 0)
			return;
		if (kind == RESOLVE_DEST_REMOTE &&
		    casier_streq_nocase(d->address, address))
			return;
	}
	if (w->ndests >= RESOLVE_MAX_DESTS) {
		w->overflow = true;
		return;
	}
	if (w->ndests == w->cap) {
		/* cap <= RESOLVE_MAX_DESTS, so the product is small */
		size_t cap = w->cap == 0 ? 4 : w->cap * 2;
		struct resolve_dest *n = realloc(w->dests, cap * sizeof(*n));

		if (n == NULL) {
			w->overflow = true;
			return;
		}
		w->dests = n;
		w->cap = cap;
	}
	d = &w->dests[w->ndests];
	memset(d, 0, sizeof(*d));
	d->kind = kind;
	at = strrchr(address, '@');
	if (tag != NULL && tag[0] != '\0' && at != NULL) {
		if (casier_snprintf(d->address, sizeof(d->address), "%.*s+%s%s",
				    (int)(at - address), address, tag, at) < 0)
			tag = NULL;
	}
	if ((tag == NULL || tag[0] == '\0' || at == NULL) &&
	    casier_snprintf(d->address, sizeof(d->address), "%s", address) <
		0) {
		w->overflow = true;
		return;
	}
	if (username != NULL &&
	    casier_snprintf(d->username, sizeof(d->username), "%s", username) <
		0) {
		w->overflow = true;
		return;
	}
	w->ndests++;
}

static void expand_target(struct walk *w, const char *target,
			  unsigned int depth);

static size_t
node_index(const struct walk *w, const struct resolve_node *n)
{
	return (size_t)(n - w->facts->nodes);
}

/* An account reached by its address, username, alias or redirect. */
static void
expand_account(struct walk *w, const struct resolve_node *n, const char *tag,
	       unsigned int depth)
{
	const struct resolve_account *a = &n->account;

	if (!n->has_redirect) {
		add_dest(w, RESOLVE_DEST_MAILBOX, a->address, tag, a->username);
		return;
	}
	for (size_t i = 0; i < n->nredirect; i++)
		expand_target(w, n->redirect[i], depth + 1);
	if (n->keep_copy)
		add_dest(w, RESOLVE_DEST_MAILBOX, a->address, tag, a->username);
}

/*
 * Apply the rules to a node: account > alias (with targets) > catch-all.
 * Returns the permanent reason when nothing applies (for the top-level
 * recipient), NULL when something was delivered or expanded.
 */
static const char *
expand_node(struct walk *w, const struct resolve_node *n, const char *tag,
	    unsigned int depth, const char **dsn_r)
{
	if (n->domain_state != RESOLVE_DOMAIN_ACTIVE) {
		*dsn_r = "5.1.2";
		return "Recipient domain not found";
	}
	if (n->has_account) {
		if (!n->account.active) {
			*dsn_r = "5.2.1";
			return "Mailbox disabled";
		}
		expand_account(w, n, tag, depth);
		return NULL;
	}
	/* an alias with no target behaves as if it did not exist */
	if (n->has_alias && n->nalias > 0) {
		for (size_t i = 0; i < n->nalias; i++)
			expand_target(w, n->alias_targets[i], depth + 1);
		return NULL;
	}
	if (n->has_catchall && n->catchall.active) {
		add_dest(w, RESOLVE_DEST_MAILBOX, n->catchall.address, NULL,
			 n->catchall.username);
		return NULL;
	}
	*dsn_r = "5.1.1";
	return "User unknown";
}

static void
expand_target(struct walk *w, const char *target, unsigned int depth)
{
	char key[RESOLVE_ADDRESS_MAX + 1];
	const struct resolve_node *n;
	const char *why, *dsn;
	size_t idx;

	if (resolve_key(target, key, sizeof(key)) < 0) {
		log_warning("resolve: target too long, skipped");
		return;
	}
	n = resolve_facts_find(w->facts, key);
	if (depth > w->max_depth || n == NULL) {
		/* beyond the depth the lookup followed */
		log_warning("resolve: %s: nesting deeper than %u levels", key,
			    w->max_depth);
		w->loop = true;
		return;
	}
	idx = node_index(w, n);
	if (w->state[idx] == NODE_ON_PATH) {
		log_warning("resolve: %s: alias or redirect loop", key);
		w->loop = true;
		return;
	}
	if (w->state[idx] == NODE_DONE)
		return; /* its destinations are already in the list */
	if (strchr(key, '@') == NULL) {
		/* a bare username names a local account */
		if (!n->has_account || !n->account.active ||
		    n->domain_state != RESOLVE_DOMAIN_ACTIVE) {
			log_warning("resolve: target %s: no active account, "
				    "skipped",
				    key);
			w->state[idx] = NODE_DONE;
			return;
		}
		w->state[idx] = NODE_ON_PATH;
		expand_account(w, n, NULL, depth);
		w->state[idx] = NODE_DONE;
		return;
	}
	if (n->domain_state == RESOLVE_DOMAIN_UNKNOWN) {
		add_dest(w, RESOLVE_DEST_REMOTE, target, NULL, NULL);
		w->state[idx] = NODE_DONE;
		return;
	}
	w->state[idx] = NODE_ON_PATH;
	why = expand_node(w, n, NULL, depth, &dsn);
	if (why != NULL)
		log_warning("resolve: target %s: %s (%s), skipped", key, why,
			    dsn);
	w->state[idx] = NODE_DONE;
}

static void
check_quota(const struct walk *w, uint64_t size, struct casier_result *res)
{
	const struct resolve_facts *f = w->facts;

	for (size_t i = 0; i < w->ndests; i++) {
		const struct resolve_dest *d = &w->dests[i];

		if (d->kind != RESOLVE_DEST_MAILBOX)
			continue;
		for (size_t j = 0; j < f->nnodes; j++) {
			const struct resolve_account *a = NULL;

			if (f->nodes[j].has_account &&
			    strcmp(f->nodes[j].account.username, d->username) ==
				0)
				a = &f->nodes[j].account;
			else if (f->nodes[j].has_catchall &&
				 strcmp(f->nodes[j].catchall.username,
					d->username) == 0)
				a = &f->nodes[j].catchall;
			if (a == NULL || a->quota_bytes <= 0)
				continue;
			/* a message of unknown size still needs one byte;
			 * used and quota are >= 0 and < 2^63 */
			if ((uint64_t)a->used_bytes + (size > 0 ? size : 1) >
			    (uint64_t)a->quota_bytes) {
				casier_result_set(
				    res, CASIER_TEMPFAIL, "4.2.2",
				    "Mailbox full: user overquota");
				return;
			}
			break;
		}
	}
}

void
resolve_recipient(const struct resolve_lookup *lookup, const char *rcpt,
		  unsigned int max_depth, uint64_t size,
		  struct resolve_result *out)
{
	struct resolve_facts facts;
	struct address addr;
	char key[RESOLVE_ADDRESS_MAX + 1];
	const struct resolve_node *root;
	const char *error, *why, *dsn = "5.1.1";
	struct walk w;

	memset(out, 0, sizeof(*out));
	if (address_parse(rcpt, strlen(rcpt), &addr, &error) < 0) {
		casier_result_set(&out->res, CASIER_PERMFAIL, "5.1.3",
				  "Bad recipient address syntax");
		return;
	}
	if (casier_snprintf(key, sizeof(key), "%s@%s", addr.local,
			    addr.domain) < 0) {
		casier_result_set(&out->res, CASIER_PERMFAIL, "5.1.3",
				  "Bad recipient address syntax");
		return;
	}
	resolve_facts_init(&facts);
	if (lookup->lookup(lookup->ctx, key, max_depth, &facts) !=
		CASIER_FOUND ||
	    (root = resolve_facts_find(&facts, key)) == NULL) {
		resolve_facts_clear(&facts);
		casier_result_set(&out->res, CASIER_TEMPFAIL, "4.3.0",
				  "Temporary lookup failure");
		return;
	}
	memset(&w, 0, sizeof(w));
	w.facts = &facts;
	w.max_depth = max_depth;
	w.state = calloc(facts.nnodes, 1);
	if (w.state == NULL) {
		casier_result_set(&out->res, CASIER_TEMPFAIL, "4.3.0",
				  "Temporary local problem");
		goto done;
	}
	w.state[node_index(&w, root)] = NODE_ON_PATH;
	why = expand_node(&w, root, addr.tag, 0, &dsn);
	if (why != NULL) {
		casier_result_set(&out->res, CASIER_PERMFAIL, dsn, "%s", why);
		goto done;
	}
	if (w.overflow) {
		/* bad data, not a definite fact about the recipient */
		casier_result_set(&out->res, CASIER_TEMPFAIL, "4.3.0",
				  "Too many destinations");
		goto done;
	}
	if (w.ndests == 0) {
		if (w.loop)
			casier_result_set(&out->res, CASIER_PERMFAIL, "5.4.6",
					  "Alias or redirect loop");
		else
			casier_result_set(&out->res, CASIER_PERMFAIL, "5.1.1",
					  "User unknown");
		goto done;
	}
	casier_result_set(&out->res, CASIER_OK, "2.1.5", "Recipient OK");
	check_quota(&w, size, &out->res);
	if (out->res.status == CASIER_OK) {
		out->dests = w.dests;
		out->ndests = w.ndests;
		w.dests = NULL;
	}
done:
	free(w.dests);
	free(w.state);
	resolve_facts_clear(&facts);
}

void
resolve_result_free(struct resolve_result *out)
{
	free(out->dests);
	out->dests = NULL;
	out->ndests = 0;
}
