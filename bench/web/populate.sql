-- bench/web/populate.sql - 100,000 accounts in one domain (benchbig.example)
-- plus 1,000 other domains with 5 accounts each, straight in SQL (the
-- API would spend ~100 ms of Argon2id per account).  Idempotent: does
-- nothing when benchbig.example exists.  psql -v hash='{ARGON2ID}...'
\set ON_ERROR_STOP 1
SELECT NOT EXISTS (SELECT 1 FROM domain WHERE name = 'benchbig.example') AS need \gset
\if :need
BEGIN;
INSERT INTO domain (name, prefix, max_accounts, default_quota_bytes, next_seq)
	VALUES ('benchbig.example', 'benchbig', 200000, 26214400, 100001);
INSERT INTO account (domain_id, username, local_part, password_hash, quota_bytes)
	SELECT d.id, 'benchbig' || lpad(i::text, 6, '0'),
	       (ARRAY['jean', 'marie', 'luc', 'anne', 'paul', 'sophie', 'marc', 'julie'])[1 + i % 8]
	       || '.' || (ARRAY['dupont', 'martin', 'bernard', 'petit', 'durand', 'leroy', 'moreau'])[1 + (i / 8) % 7]
	       || '.' || i,
	       :'hash', 26214400
	FROM domain d, generate_series(1, 100000) i WHERE d.name = 'benchbig.example';
INSERT INTO quota_usage (username, bytes, messages)
	SELECT 'benchbig' || lpad(i::text, 6, '0'), (i * 7919) % 26214400, i % 100
	FROM generate_series(1, 100000, 3) i;
INSERT INTO domain (name, prefix, max_accounts, default_quota_bytes, next_seq)
	SELECT 'benchd' || i || '.example', 'benchd' || i, 50, 10485760, 6
	FROM generate_series(1, 1000) i;
INSERT INTO account (domain_id, username, local_part, password_hash, quota_bytes)
	SELECT d.id, d.prefix || lpad(j::text, 4, '0'), 'user' || j, :'hash', 10485760
	FROM domain d, generate_series(1, 5) j WHERE d.name LIKE 'benchd%.example';
COMMIT;
ANALYZE domain, account, quota_usage, alias;
\endif
