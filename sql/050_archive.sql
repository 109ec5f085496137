-- 050_archive.sql - the per-domain inbound mail archive (DESIGN section 8,
-- issue 8, docs/archive.md).
--
-- domain.archive_enabled / domain.archive_tier_gb (001_core.sql) say
-- whether a domain is archived and the size of its online archive.
-- Messages are stored zstd-compressed in archive_blob (bytea), so
-- casier-mgmtd can re-send one without touching the mail store, and
-- a message, its metadata and its blob appear or vanish together.

-- Trigram indexes for partial, case-insensitive search (ILIKE '%x%').
-- pg_trgm is a trusted extension (PostgreSQL >= 13): a database owner
-- may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Preferences a domain admin sets (the tier itself stays on domain and
-- is changed by the superuser).
CREATE TABLE archive_pref (
	domain_id bigint PRIMARY KEY REFERENCES domain (id) ON DELETE CASCADE,
	rows_list integer NOT NULL DEFAULT 20 CHECK (rows_list BETWEEN 5 AND 500),
	rows_search integer NOT NULL DEFAULT 30
		CHECK (rows_search BETWEEN 5 AND 500),
	-- archive messages the scanner marked as spam
	archive_spam boolean NOT NULL DEFAULT false,
	updated_at timestamptz NOT NULL DEFAULT now()
);

-- Sender domains exempt from spam scoring (stored now, used when spam
-- scoring exists).
CREATE TABLE archive_whitelist (
	domain_id bigint NOT NULL REFERENCES domain (id) ON DELETE CASCADE,
	sender_domain dns_name NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (domain_id, sender_domain)
);

-- Export volumes (the "DVD"): a tar of .eml files compressed with zstd,
-- built by casier-archive from the oldest cellar messages.
CREATE TABLE archive_volume (
	id bigserial PRIMARY KEY,
	domain_id bigint NOT NULL REFERENCES domain (id) ON DELETE CASCADE,
	serial text NOT NULL UNIQUE CHECK (serial ~ '^[A-Z0-9]{6,16}$'),
	created_at timestamptz NOT NULL DEFAULT now(),
	downloaded_at timestamptz,
	received_at timestamptz,
	-- set when the file has been removed (after receipt or the hard cap)
	purged_at timestamptz,
	messages integer NOT NULL DEFAULT 0 CHECK (messages >= 0),
	size_bytes bigint NOT NULL DEFAULT 0 CHECK (size_bytes >= 0),
	-- file name under [archive] volume_dir
	file_name text NOT NULL CHECK (file_name ~ '^[A-Za-z0-9._-]+$')
);
CREATE INDEX archive_volume_domain_idx ON archive_volume (domain_id, id);

CREATE TABLE archive_message (
	id bigserial PRIMARY KEY,
	domain_id bigint NOT NULL REFERENCES domain (id) ON DELETE CASCADE,
	arrived_at timestamptz NOT NULL DEFAULT now(),
	envelope_sender text NOT NULL,	-- "" for the null sender <>
	recipients text[] NOT NULL CHECK (cardinality(recipients) >= 1),
	-- recipients joined by ", ": what the list shows and search matches
	recipients_text text NOT NULL,
	header_from text NOT NULL DEFAULT '',	-- decoded (RFC 2047), UTF-8
	header_to text NOT NULL DEFAULT '',
	subject text NOT NULL DEFAULT '',
	message_id text NOT NULL DEFAULT '',
	size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
	stored_bytes bigint NOT NULL CHECK (stored_bytes >= 0),
	spam boolean NOT NULL DEFAULT false,
	-- SHA-256 of the raw message: a retried delivery is archived once
	digest bytea NOT NULL CHECK (octet_length(digest) = 32),
	state text NOT NULL DEFAULT 'online'
		CHECK (state IN ('online', 'cellar', 'volume')),
	moved_at timestamptz,
	volume_id bigint REFERENCES archive_volume (id) ON DELETE SET NULL,
	CHECK ((state = 'volume') = (volume_id IS NOT NULL)),
	UNIQUE (domain_id, digest)
);
-- The list (newest first, keyset on (arrived_at, id)) and the maintenance
-- pass (oldest first, per state) use the same index.
CREATE INDEX archive_message_list_idx
	ON archive_message (domain_id, state, arrived_at, id);
CREATE INDEX archive_message_volume_idx ON archive_message (volume_id)
	WHERE volume_id IS NOT NULL;
-- Partial, case-insensitive search (ILIKE) on sender, recipients, subject.
CREATE INDEX archive_message_sender_trgm
	ON archive_message USING gin (envelope_sender gin_trgm_ops);
CREATE INDEX archive_message_from_trgm
	ON archive_message USING gin (header_from gin_trgm_ops);
CREATE INDEX archive_message_rcpt_trgm
	ON archive_message USING gin (recipients_text gin_trgm_ops);
CREATE INDEX archive_message_subject_trgm
	ON archive_message USING gin (subject gin_trgm_ops);

-- The compressed message (zstd frame of the raw RFC 5322 bytes).  Kept
-- apart so list and search never read it; EXTERNAL storage because the
-- data is already compressed.
CREATE TABLE archive_blob (
	message_id bigint PRIMARY KEY
		REFERENCES archive_message (id) ON DELETE CASCADE,
	data bytea NOT NULL
);
ALTER TABLE archive_blob ALTER COLUMN data SET STORAGE EXTERNAL;

-- Mail casier-archive sends through Postfix's internal smtpd: re-sends
-- asked for in the web manager and volume notifications.  A row stays
-- until the next hop accepted the message.
CREATE TABLE archive_outbox (
	id bigserial PRIMARY KEY,
	domain_id bigint NOT NULL REFERENCES domain (id) ON DELETE CASCADE,
	kind text NOT NULL CHECK (kind IN ('resend', 'notify')),
	-- resend: the archived message (gone = the row is dropped)
	message_id bigint REFERENCES archive_message (id) ON DELETE CASCADE,
	envelope_sender text NOT NULL DEFAULT '',
	recipients text[] NOT NULL CHECK (cardinality(recipients) >= 1),
	-- notify: the whole message text (headers and body)
	body text,
	created_at timestamptz NOT NULL DEFAULT now(),
	attempts integer NOT NULL DEFAULT 0,
	next_try timestamptz NOT NULL DEFAULT now(),
	last_error text,
	CHECK ((kind = 'resend') = (message_id IS NOT NULL)),
	CHECK ((kind = 'notify') = (body IS NOT NULL))
);
CREATE INDEX archive_outbox_next_idx ON archive_outbox (next_try);
