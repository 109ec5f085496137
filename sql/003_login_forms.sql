-- 003_login_forms.sql - every login under which Dovecot may have cached an
-- account, for flushing its auth cache when the account changes.
--
-- Dovecot's auth cache is keyed by the (lower-cased, auth_username_format
-- = %Lu) login as typed, so "doveadm auth cache flush exemple0001" leaves
-- "gugus@exemple.be" cached.  The web manager (and casier-admin) flush all
-- forms returned here after deactivating, deleting or changing the password
-- of an account:
--   doveadm -O auth cache flush -a <dovecot base_dir>/auth-master FORM...
-- (docs/stack.md).  Call it BEFORE deleting the account.
CREATE FUNCTION dovecot_login_forms(p_username text) RETURNS TABLE (login text)
LANGUAGE sql STABLE AS $$
	WITH a AS (
		SELECT a.username, a.local_part, a.domain_id
		FROM account a WHERE a.username = lower(p_username)
	), names AS (
		SELECT d.name FROM a JOIN domain d ON d.id = a.domain_id
		UNION
		SELECT ad.name FROM a JOIN alias_domain ad ON ad.domain_id = a.domain_id
	)
	SELECT a.username FROM a
	UNION
	SELECT lp || '@' || names.name FROM a CROSS JOIN names
		CROSS JOIN LATERAL (VALUES (a.local_part), (a.username)) AS v(lp)
$$;
