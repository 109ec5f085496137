-- 021_domain_account_count.sql - the number of accounts of each domain,
-- kept by statement-level triggers (issue 4).
--
-- The welcome page and GET /api/v1/domains show "accounts used" for
-- every domain of a page; counting a 100,000-account domain on every
-- request cost tens of milliseconds (bench/web).  Statement triggers with
-- transition tables keep bulk inserts and cascaded deletes cheap (one
-- UPDATE per domain and statement, not per row).  Account creation is
-- already serialised per domain by account_create() (row lock on the
-- domain), so the counter adds no new contention there.
ALTER TABLE domain ADD COLUMN IF NOT EXISTS account_count integer NOT NULL DEFAULT 0
	CHECK (account_count >= 0);

CREATE FUNCTION domain_account_count_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE domain d SET account_count = d.account_count + n.c
	FROM (SELECT domain_id, count(*) AS c FROM new_rows GROUP BY domain_id) n
	WHERE d.id = n.domain_id;
	RETURN NULL;
END $$;

CREATE FUNCTION domain_account_count_del() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	-- a domain deleted in the same statement (cascade) is simply gone
	UPDATE domain d SET account_count = greatest(d.account_count - o.c, 0)
	FROM (SELECT domain_id, count(*) AS c FROM old_rows GROUP BY domain_id) o
	WHERE d.id = o.domain_id;
	RETURN NULL;
END $$;

CREATE TRIGGER domain_account_count_ins AFTER INSERT ON account
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION domain_account_count_ins();
CREATE TRIGGER domain_account_count_del AFTER DELETE ON account
	REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION domain_account_count_del();

UPDATE domain d SET account_count = (SELECT count(*) FROM account a WHERE a.domain_id = d.id);
