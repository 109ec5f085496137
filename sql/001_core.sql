-- 001_core.sql - the core data of Casier (DESIGN section 2).
--
-- Rules live in the database as well as in the services: unique prefix,
-- unique local part per domain across accounts and aliases, at most one
-- catch-all per domain and it belongs to that domain, username format,
-- immutable usernames, never-reused sequence numbers.
--
-- The migration runner (casier-admin migrate) applies each file in one
-- transaction and records it in schema_migration.

CREATE EXTENSION IF NOT EXISTS citext;

-- Domain names: lower-case A-labels (IDNA done by the services).
CREATE DOMAIN dns_name AS text
	CHECK (length(VALUE) BETWEEN 3 AND 253
	       AND VALUE ~ '^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$');

-- Local parts: lower-case dot-atom without '+', the tag separator.
CREATE DOMAIN local_part AS text
	CHECK (length(VALUE) BETWEEN 1 AND 64
	       AND VALUE ~ '^[a-z0-9!#$%&''*/=?^_`{|}~-]+(\.[a-z0-9!#$%&''*/=?^_`{|}~-]+)*$');

-- A target of an alias or a redirect: a lower-case address or a bare
-- username (DESIGN section 9, "Targets").
CREATE DOMAIN mail_target AS text
	CHECK (length(VALUE) BETWEEN 1 AND 320
	       AND (VALUE ~ '^[a-z][a-z0-9]{1,15}[0-9]{4,}$'
		    OR VALUE ~ '^[^@\s]+@([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'));

CREATE TABLE domain (
	id bigserial PRIMARY KEY,
	name dns_name NOT NULL UNIQUE,
	prefix text NOT NULL UNIQUE CHECK (prefix ~ '^[a-z][a-z0-9]{1,15}$'),
	max_accounts integer NOT NULL CHECK (max_accounts BETWEEN 0 AND 10000000),
	default_quota_bytes bigint NOT NULL CHECK (default_quota_bytes >= 0),
	contact text CHECK (contact IS NULL OR contact ~ '^[^@\s]+@[^@\s]+$'),
	active boolean NOT NULL DEFAULT true,
	-- next username number; only ever increases (numbers are never reused)
	next_seq integer NOT NULL DEFAULT 1 CHECK (next_seq >= 1),
	catchall_account_id bigint,
	send_limit_per_hour integer CHECK (send_limit_per_hour >= 0),
	archive_enabled boolean NOT NULL DEFAULT false,
	archive_tier_gb smallint CHECK (archive_tier_gb IN (2, 5, 10)),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);

-- Extra names for a primary domain: x@alias ≡ x@primary.
CREATE TABLE alias_domain (
	name dns_name PRIMARY KEY,
	domain_id bigint NOT NULL REFERENCES domain (id) ON DELETE CASCADE,
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alias_domain_domain_idx ON alias_domain (domain_id);

CREATE TABLE account (
	id bigserial PRIMARY KEY,
	domain_id bigint NOT NULL REFERENCES domain (id) ON DELETE CASCADE,
	username text NOT NULL UNIQUE CHECK (username ~ '^[a-z][a-z0-9]{1,15}[0-9]{4,}$'),
	local_part local_part NOT NULL,
	password_hash text NOT NULL CHECK (password_hash LIKE '{ARGON2ID}$argon2id$%'),
	quota_bytes bigint NOT NULL CHECK (quota_bytes >= 0),
	active boolean NOT NULL DEFAULT true,
	send_limit_per_hour integer CHECK (send_limit_per_hour >= 0),
	outbound_blocked_until timestamptz,
	outbound_block_reason text,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (domain_id, local_part),
	UNIQUE (domain_id, id)
);

-- The catch-all is an account of the same domain (composite key), at most
-- one per domain (one column).  Deleting the account clears it.
ALTER TABLE domain ADD CONSTRAINT domain_catchall_fkey
	FOREIGN KEY (id, catchall_account_id) REFERENCES account (domain_id, id)
	ON DELETE SET NULL (catchall_account_id);

CREATE TABLE alias (
	id bigserial PRIMARY KEY,
	domain_id bigint NOT NULL REFERENCES domain (id) ON DELETE CASCADE,
	local_part local_part NOT NULL,
	-- no target is allowed and inert (DESIGN section 2)
	targets mail_target[] NOT NULL DEFAULT '{}'
		CHECK (cardinality(targets) <= 1000),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (domain_id, local_part)
);
CREATE INDEX alias_targets_idx ON alias USING gin (targets);

CREATE TABLE redirect (
	account_id bigint PRIMARY KEY REFERENCES account (id) ON DELETE CASCADE,
	targets mail_target[] NOT NULL
		CHECK (cardinality(targets) BETWEEN 1 AND 100),
	keep_copy boolean NOT NULL DEFAULT false,
	updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE vacation (
	account_id bigint PRIMARY KEY REFERENCES account (id) ON DELETE CASCADE,
	subject text NOT NULL CHECK (length(subject) <= 998 AND subject !~ '[\r\n]'),
	body text NOT NULL CHECK (length(body) <= 100000),
	start_date date,
	end_date date,
	interval_days integer NOT NULL DEFAULT 7 CHECK (interval_days BETWEEN 1 AND 365),
	active boolean NOT NULL DEFAULT true,
	updated_at timestamptz NOT NULL DEFAULT now(),
	CHECK (start_date IS NULL OR end_date IS NULL OR start_date <= end_date)
);

-- Live usage, written by Dovecot's quota dict (pgsql).  Dovecot deletes the
-- row to recalculate, so this table holds nothing else and has no foreign
-- key (a late update for a deleted account must not fail).
CREATE TABLE quota_usage (
	username text PRIMARY KEY,
	bytes bigint NOT NULL DEFAULT 0,
	messages integer NOT NULL DEFAULT 0
);

CREATE TABLE admin (
	id bigserial PRIMARY KEY,
	login text NOT NULL UNIQUE CHECK (login ~ '^[a-z0-9][a-z0-9._@-]{1,63}$'),
	password_hash text NOT NULL CHECK (password_hash LIKE '{ARGON2ID}$argon2id$%'),
	superuser boolean NOT NULL DEFAULT false,
	active boolean NOT NULL DEFAULT true,
	language text NOT NULL DEFAULT 'fr' CHECK (language IN ('fr', 'en')),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);

-- Which domains a (non-super) admin manages.
CREATE TABLE admin_domain (
	admin_id bigint NOT NULL REFERENCES admin (id) ON DELETE CASCADE,
	domain_id bigint NOT NULL REFERENCES domain (id) ON DELETE CASCADE,
	PRIMARY KEY (admin_id, domain_id)
);
CREATE INDEX admin_domain_domain_idx ON admin_domain (domain_id);

-- Web sessions: only a hash of the 256-bit session id is stored.
CREATE TABLE admin_session (
	id_hash bytea PRIMARY KEY CHECK (length(id_hash) = 32),
	admin_id bigint NOT NULL REFERENCES admin (id) ON DELETE CASCADE,
	csrf_token text NOT NULL,
	language text,
	created_at timestamptz NOT NULL DEFAULT now(),
	last_seen_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz NOT NULL
);
CREATE INDEX admin_session_admin_idx ON admin_session (admin_id);

-- API bearer tokens: only a hash is stored.
CREATE TABLE api_token (
	id bigserial PRIMARY KEY,
	token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
	admin_id bigint NOT NULL REFERENCES admin (id) ON DELETE CASCADE,
	name text NOT NULL DEFAULT '',
	created_at timestamptz NOT NULL DEFAULT now(),
	last_used_at timestamptz,
	revoked_at timestamptz
);
CREATE INDEX api_token_admin_idx ON api_token (admin_id);

-- Every change: who, when, what, before/after.  No foreign keys: history
-- outlives the objects it describes.
CREATE TABLE audit_log (
	id bigserial PRIMARY KEY,
	at timestamptz NOT NULL DEFAULT now(),
	actor text NOT NULL,          -- admin login, 'cli', 'policyd', ...
	domain_id bigint,
	domain_name text,
	action text NOT NULL,         -- 'account.create', 'alias.update', ...
	object text NOT NULL,         -- 'exemple0001', 'gugus@exemple.be', ...
	before jsonb,
	after jsonb
);
CREATE INDEX audit_log_domain_idx ON audit_log (domain_id, id);
CREATE INDEX audit_log_at_idx ON audit_log (at);

-- Work for the privileged side (casier-deliverd runs as the mail uid):
-- the web manager never touches the mail store, it files a job here.
CREATE TABLE mail_job (
	id bigserial PRIMARY KEY,
	kind text NOT NULL CHECK (kind IN ('mailbox.delete', 'vacation.sync')),
	username text NOT NULL,
	domain_name text NOT NULL,
	payload jsonb NOT NULL DEFAULT '{}',
	created_at timestamptz NOT NULL DEFAULT now(),
	not_before timestamptz NOT NULL DEFAULT now(),
	attempts integer NOT NULL DEFAULT 0,
	last_error text,
	done_at timestamptz
);
CREATE INDEX mail_job_pending_idx ON mail_job (not_before) WHERE done_at IS NULL;

CREATE FUNCTION mail_job_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('casier_mail_job', NEW.id::text);
	RETURN NEW;
END $$;
CREATE TRIGGER mail_job_notify AFTER INSERT ON mail_job
	FOR EACH ROW EXECUTE FUNCTION mail_job_notify();

-- Alias domains and domains share one name space.
CREATE FUNCTION hosted_name_unique() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_advisory_xact_lock(hashtext('casier.hosted_name'));
	IF TG_TABLE_NAME = 'domain' THEN
		IF EXISTS (SELECT 1 FROM alias_domain WHERE name = NEW.name) THEN
			RAISE EXCEPTION 'domain name % is already an alias domain', NEW.name
				USING ERRCODE = 'unique_violation', CONSTRAINT = 'hosted_name_unique';
		END IF;
	ELSE
		IF EXISTS (SELECT 1 FROM domain WHERE name = NEW.name) THEN
			RAISE EXCEPTION 'alias domain % is already a domain', NEW.name
				USING ERRCODE = 'unique_violation', CONSTRAINT = 'hosted_name_unique';
		END IF;
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER domain_name_unique BEFORE INSERT OR UPDATE OF name ON domain
	FOR EACH ROW EXECUTE FUNCTION hosted_name_unique();
CREATE TRIGGER alias_domain_name_unique BEFORE INSERT OR UPDATE OF name ON alias_domain
	FOR EACH ROW EXECUTE FUNCTION hosted_name_unique();

-- One local part per domain across accounts and aliases; a local part may
-- not look like another account's username of the domain (usernames work
-- as addresses, DESIGN section 3).  The advisory lock per domain makes the
-- cross-table check safe under concurrency.
CREATE FUNCTION local_part_unique() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	pfx text;
	own text;
BEGIN
	PERFORM pg_advisory_xact_lock(hashtext('casier.local_part'), NEW.domain_id::integer);
	SELECT prefix INTO pfx FROM domain WHERE id = NEW.domain_id;
	IF TG_TABLE_NAME = 'account' THEN
		own := NEW.username;  -- NEW has no username on alias
	END IF;
	IF NEW.local_part ~ ('^' || pfx || '[0-9]{4,}$')
	   AND NEW.local_part IS DISTINCT FROM own THEN
		RAISE EXCEPTION 'local part % is reserved for usernames', NEW.local_part
			USING ERRCODE = 'check_violation', CONSTRAINT = 'local_part_reserved';
	END IF;
	IF TG_TABLE_NAME = 'account' THEN
		IF EXISTS (SELECT 1 FROM alias WHERE domain_id = NEW.domain_id
			   AND local_part = NEW.local_part) THEN
			RAISE EXCEPTION 'local part % is already an alias', NEW.local_part
				USING ERRCODE = 'unique_violation', CONSTRAINT = 'local_part_unique';
		END IF;
	ELSE
		IF EXISTS (SELECT 1 FROM account WHERE domain_id = NEW.domain_id
			   AND local_part = NEW.local_part) THEN
			RAISE EXCEPTION 'local part % is already an account', NEW.local_part
				USING ERRCODE = 'unique_violation', CONSTRAINT = 'local_part_unique';
		END IF;
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER account_local_part_unique BEFORE INSERT OR UPDATE OF local_part ON account
	FOR EACH ROW EXECUTE FUNCTION local_part_unique();
CREATE TRIGGER alias_local_part_unique BEFORE INSERT OR UPDATE OF local_part ON alias
	FOR EACH ROW EXECUTE FUNCTION local_part_unique();

-- Usernames and an account's domain never change.
CREATE FUNCTION account_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.username <> OLD.username OR NEW.domain_id <> OLD.domain_id THEN
		RAISE EXCEPTION 'username and domain of an account are immutable'
			USING ERRCODE = 'check_violation', CONSTRAINT = 'account_immutable';
	END IF;
	NEW.updated_at := now();
	RETURN NEW;
END $$;
CREATE TRIGGER account_immutable BEFORE UPDATE ON account
	FOR EACH ROW EXECUTE FUNCTION account_immutable();

-- next_seq only grows.
CREATE FUNCTION domain_seq_monotonic() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.next_seq < OLD.next_seq THEN
		RAISE EXCEPTION 'username numbers are never reused'
			USING ERRCODE = 'check_violation', CONSTRAINT = 'domain_seq_monotonic';
	END IF;
	IF NEW.prefix <> OLD.prefix AND EXISTS (SELECT 1 FROM account WHERE domain_id = OLD.id) THEN
		RAISE EXCEPTION 'the prefix of a domain with accounts cannot change'
			USING ERRCODE = 'check_violation', CONSTRAINT = 'domain_prefix_immutable';
	END IF;
	NEW.updated_at := now();
	RETURN NEW;
END $$;
CREATE TRIGGER domain_seq_monotonic BEFORE UPDATE ON domain
	FOR EACH ROW EXECUTE FUNCTION domain_seq_monotonic();

-- A deleted account leaves no usage row behind.
CREATE FUNCTION account_cleanup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM quota_usage WHERE username = OLD.username;
	RETURN OLD;
END $$;
CREATE TRIGGER account_cleanup AFTER DELETE ON account
	FOR EACH ROW EXECUTE FUNCTION account_cleanup();

-- Create an account atomically: takes the next number of the domain (row
-- lock on the domain serialises concurrent creations), enforces
-- max_accounts, and -- because it all happens in the caller's transaction --
-- a refused creation consumes no number.  Returns the new username.
CREATE FUNCTION account_create(p_domain text, p_local_part text, p_password_hash text,
			       p_quota_bytes bigint)
RETURNS TABLE (id bigint, username text) LANGUAGE plpgsql AS $$
DECLARE
	d domain%ROWTYPE;
	n integer;
	uname text;
BEGIN
	SELECT * INTO d FROM domain WHERE name = p_domain FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'unknown domain %', p_domain
			USING ERRCODE = 'no_data_found', CONSTRAINT = 'domain_unknown';
	END IF;
	SELECT count(*) INTO n FROM account a WHERE a.domain_id = d.id;
	IF n >= d.max_accounts THEN
		RAISE EXCEPTION 'domain % has reached its maximum of % accounts', p_domain, d.max_accounts
			USING ERRCODE = 'check_violation', CONSTRAINT = 'domain_max_accounts';
	END IF;
	-- zero-padded to 4 digits, wider when needed (lpad would truncate)
	uname := d.prefix || CASE WHEN d.next_seq < 10000
		THEN lpad(d.next_seq::text, 4, '0') ELSE d.next_seq::text END;
	UPDATE domain SET next_seq = next_seq + 1 WHERE domain.id = d.id;
	RETURN QUERY INSERT INTO account (domain_id, username, local_part, password_hash, quota_bytes)
		VALUES (d.id, uname, p_local_part, p_password_hash,
			coalesce(p_quota_bytes, d.default_quota_bytes))
		RETURNING account.id, account.username;
END $$;
