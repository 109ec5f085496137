-- 040_vacation.sql - vacation autoreplies (DESIGN section 5).
--
-- The web manager writes the vacation table; it never touches the mail
-- store.  Every change that alters what an account's vacation script must
-- say -- the vacation itself, the account's local part, an alias that
-- reaches the account, an alias domain -- files a 'vacation.sync' job in
-- mail_job through the triggers below, whatever path made the change (API,
-- page, CLI, psql).  The privileged side (delivery/job-vacation.c, run by
-- casier-deliverd or casier-vacation-sync as the mail uid) reads the
-- current state with vacation_sync_info() and makes the script on disk
-- match it: the job carries no data, so jobs are idempotent and a late
-- job never installs stale text.

-- Every address that reaches an account (for the Sieve :addresses list,
-- RFC 5230 section 4.5): its local part and its username in its domain and
-- in each alias domain of that domain, and the addresses of every alias
-- whose targets reach it, directly or through other aliases (up to
-- p_max_depth levels), again in each alias domain of the alias's domain.
-- Lower-case, distinct, sorted; zero rows for an unknown account.
CREATE OR REPLACE FUNCTION vacation_account_addresses(p_account_id bigint,
						      p_max_depth integer DEFAULT 8)
RETURNS SETOF text LANGUAGE plpgsql STABLE AS $$
DECLARE
	known text[];     -- every address (and the bare username) found so far
	frontier text[];  -- found in the previous round
	found_now text[];
	depth integer := 0;
BEGIN
	SELECT array_agg(DISTINCT x) INTO known
	  FROM account a
	  JOIN domain d ON d.id = a.domain_id
	  CROSS JOIN LATERAL (
		SELECT d.name UNION ALL
		SELECT ad.name FROM alias_domain ad WHERE ad.domain_id = d.id
	  ) AS n(name)
	  CROSS JOIN LATERAL (
		VALUES (a.local_part || '@' || n.name), (a.username || '@' || n.name),
		       (a.username::text)
	  ) AS v(x)
	 WHERE a.id = p_account_id;
	IF known IS NULL THEN
		RETURN;
	END IF;
	frontier := known;
	WHILE cardinality(frontier) > 0 AND depth < p_max_depth LOOP
		depth := depth + 1;
		-- aliases with a target among the last round's addresses; each
		-- alias is known under its domain and that domain's alias domains
		SELECT coalesce(array_agg(DISTINCT x), '{}') INTO found_now
		  FROM alias al
		  JOIN domain d ON d.id = al.domain_id
		  CROSS JOIN LATERAL (
			SELECT d.name UNION ALL
			SELECT ad.name FROM alias_domain ad WHERE ad.domain_id = d.id
		  ) AS n(name)
		  CROSS JOIN LATERAL (VALUES (al.local_part || '@' || n.name)) AS v(x)
		 WHERE al.targets::text[] && frontier
		   AND NOT (x = ANY (known));
		frontier := found_now;
		known := known || found_now;
	END LOOP;
	RETURN QUERY SELECT DISTINCT k FROM unnest(known) AS k
		      WHERE position('@' IN k) > 0 ORDER BY k;
END $$;

-- Everything the vacation job needs for one account, in one round trip.
-- Zero rows: the account does not exist (any script must go).
-- has_vacation false: no vacation row (the script must go).  addresses
-- is newline-separated (addresses never contain a newline).
CREATE OR REPLACE FUNCTION vacation_sync_info(p_username text)
RETURNS TABLE (domain_name text, address text, has_vacation boolean,
	       active boolean, subject text, body text, start_date text,
	       end_date text, interval_days integer, addresses text)
LANGUAGE sql STABLE AS $$
	SELECT d.name::text, a.local_part || '@' || d.name,
	       v.account_id IS NOT NULL,
	       coalesce(v.active, false) AND a.active AND d.active,
	       v.subject, v.body,
	       to_char(v.start_date, 'YYYY-MM-DD'), to_char(v.end_date, 'YYYY-MM-DD'),
	       v.interval_days,
	       array_to_string(ARRAY(SELECT vacation_account_addresses(a.id)), E'\n')
	  FROM account a
	  JOIN domain d ON d.id = a.domain_id
	  LEFT JOIN vacation v ON v.account_id = a.id
	 WHERE a.username = lower(p_username)
$$;

-- What the page and the API show: 'off' (not active), 'scheduled' (start
-- in the future), 'expired' (end passed: the script's date test no longer
-- replies), or 'active'.  Dates are the server's local dates, as in the
-- script's currentdate test.
CREATE OR REPLACE FUNCTION vacation_state(p_active boolean, p_start date, p_end date)
RETURNS text LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN NOT p_active THEN 'off'
		    WHEN p_end IS NOT NULL AND p_end < current_date THEN 'expired'
		    WHEN p_start IS NOT NULL AND p_start > current_date THEN 'scheduled'
		    ELSE 'active' END
$$;

-- File a vacation.sync job for an account, unless an unclaimed one is
-- already waiting.  "Unclaimed" = attempts still 0 and not locked by a
-- worker (SKIP LOCKED): a job a worker holds may have read the old state,
-- so a new one is filed after it.  The job reads the state when it runs.
CREATE OR REPLACE FUNCTION vacation_sync_request(p_account_id bigint)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	u text;
	dn text;
	pending bigint;
BEGIN
	SELECT a.username, d.name INTO u, dn
	  FROM account a JOIN domain d ON d.id = a.domain_id
	 WHERE a.id = p_account_id;
	IF NOT FOUND THEN
		RETURN;  -- account gone: mailbox.delete removes its files
	END IF;
	SELECT j.id INTO pending FROM mail_job j
	 WHERE j.kind = 'vacation.sync' AND j.username = u
	   AND j.done_at IS NULL AND j.attempts = 0
	 LIMIT 1 FOR UPDATE SKIP LOCKED;
	IF FOUND THEN
		RETURN;
	END IF;
	INSERT INTO mail_job (kind, username, domain_name) VALUES ('vacation.sync', u, dn);
END $$;

-- Accounts with a vacation row (active or not) whose addresses a change in
-- domain p_domain_id, or in the domains named by p_targets, may alter.
CREATE OR REPLACE FUNCTION vacation_accounts_touched(p_domain_id bigint, p_targets text[])
RETURNS TABLE (account_id bigint) LANGUAGE sql STABLE AS $$
	SELECT v.account_id
	  FROM vacation v JOIN account a ON a.id = v.account_id
	 WHERE a.domain_id = p_domain_id
	    OR a.domain_id IN (
		SELECT casier_domain_id(substring(t FROM '@([^@]*)$'))
		  FROM unnest(coalesce(p_targets, '{}')) AS t
		 WHERE position('@' IN t) > 0)
	    OR a.username = ANY (coalesce(p_targets, '{}'))
$$;

CREATE OR REPLACE FUNCTION vacation_sync_on_vacation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM vacation_sync_request(CASE WHEN TG_OP = 'DELETE' THEN OLD.account_id
					   ELSE NEW.account_id END);
	IF TG_OP = 'UPDATE' AND NEW.account_id <> OLD.account_id THEN
		PERFORM vacation_sync_request(OLD.account_id);
	END IF;
	RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS vacation_sync ON vacation;
CREATE TRIGGER vacation_sync AFTER INSERT OR UPDATE OR DELETE ON vacation
	FOR EACH ROW EXECUTE FUNCTION vacation_sync_on_vacation();

-- A changed local part changes the reply's From and :addresses.
CREATE OR REPLACE FUNCTION vacation_sync_on_account() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF EXISTS (SELECT 1 FROM vacation WHERE account_id = NEW.id) THEN
		PERFORM vacation_sync_request(NEW.id);
	END IF;
	RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS vacation_sync ON account;
CREATE TRIGGER vacation_sync AFTER UPDATE OF local_part ON account
	FOR EACH ROW WHEN (OLD.local_part IS DISTINCT FROM NEW.local_part)
	EXECUTE FUNCTION vacation_sync_on_account();

-- An alias added, changed or removed: refresh the accounts its old and
-- new targets may reach (and those of its own domain).
CREATE OR REPLACE FUNCTION vacation_sync_on_alias() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	r record;
BEGIN
	FOR r IN
		SELECT DISTINCT t.account_id FROM (
			SELECT * FROM vacation_accounts_touched(
				CASE WHEN TG_OP = 'DELETE' THEN OLD.domain_id ELSE NEW.domain_id END,
				CASE WHEN TG_OP = 'DELETE' THEN OLD.targets::text[]
				     ELSE NEW.targets::text[] END)
			UNION ALL
			SELECT * FROM vacation_accounts_touched(
				CASE WHEN TG_OP = 'UPDATE' THEN OLD.domain_id ELSE NULL END,
				CASE WHEN TG_OP = 'UPDATE' THEN OLD.targets::text[] ELSE NULL END)
		) t
	LOOP
		PERFORM vacation_sync_request(r.account_id);
	END LOOP;
	RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS vacation_sync ON alias;
CREATE TRIGGER vacation_sync AFTER INSERT OR UPDATE OR DELETE ON alias
	FOR EACH ROW EXECUTE FUNCTION vacation_sync_on_alias();

-- An alias domain added or removed: every address of its primary domain
-- gains or loses a variant, including aliases of that domain that reach
-- accounts of other domains.
CREATE OR REPLACE FUNCTION vacation_sync_on_alias_domain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	r record;
	dids bigint[];
BEGIN
	IF TG_OP = 'INSERT' THEN
		dids := ARRAY[NEW.domain_id];
	ELSIF TG_OP = 'DELETE' THEN
		dids := ARRAY[OLD.domain_id];
	ELSE
		dids := ARRAY[OLD.domain_id, NEW.domain_id];
	END IF;
	FOR r IN
		SELECT DISTINCT t.account_id
		  FROM alias al
		  CROSS JOIN LATERAL vacation_accounts_touched(al.domain_id, al.targets::text[]) t
		 WHERE al.domain_id = ANY (dids)
		UNION
		SELECT v.account_id FROM vacation v JOIN account a ON a.id = v.account_id
		 WHERE a.domain_id = ANY (dids)
	LOOP
		PERFORM vacation_sync_request(r.account_id);
	END LOOP;
	RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS vacation_sync ON alias_domain;
CREATE TRIGGER vacation_sync AFTER INSERT OR UPDATE OR DELETE ON alias_domain
	FOR EACH ROW EXECUTE FUNCTION vacation_sync_on_alias_domain();
