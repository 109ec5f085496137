-- 020_web_search.sql - indexes for the web manager's searches (issue 4).
--
-- The account and alias lists page by keyset on (domain_id, id) and
-- (domain_id, local_part), both served by the unique constraints of
-- 001_core.sql.  The search box (?q=, a case-insensitive substring:
-- ILIKE '%q%') needs trigram indexes, or a search that matches nothing
-- reads every account of a 100,000-account domain (bench/web).
-- pg_trgm is a trusted extension (PostgreSQL 13+): the database owner
-- may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX IF NOT EXISTS account_local_part_trgm_idx
	ON account USING gin (local_part gin_trgm_ops);
CREATE INDEX IF NOT EXISTS account_username_trgm_idx
	ON account USING gin (username gin_trgm_ops);
CREATE INDEX IF NOT EXISTS alias_local_part_trgm_idx
	ON alias USING gin (local_part gin_trgm_ops);
CREATE INDEX IF NOT EXISTS domain_name_trgm_idx
	ON domain USING gin (name gin_trgm_ops);
