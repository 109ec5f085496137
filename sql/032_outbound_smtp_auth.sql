-- 032_outbound_smtp_auth.sql - a blocked account may not authenticate for
-- SMTP (DESIGN section 6): Dovecot's passdb refuses service 'smtp' while
-- account.outbound_blocked_until is in the future.  IMAP, POP3 and the
-- others are unaffected.  Replaces dovecot_passdb of 002_lookups.sql
-- (same signature and columns).
--
-- casier-policyd also refuses a blocked account at RCPT, so a login that
-- Dovecot's auth cache still holds cannot send either.
CREATE OR REPLACE FUNCTION dovecot_passdb(p_login text, p_service text)
RETURNS TABLE (username text, password_hash text)
LANGUAGE sql STABLE AS $$
	SELECT a.username, a.password_hash
	FROM casier_login_account(p_login) a
	JOIN domain d ON d.id = a.domain_id
	WHERE a.active AND d.active
	  AND NOT (lower(coalesce(p_service, '')) IN ('smtp', 'submission')
		   AND a.outbound_blocked_until IS NOT NULL
		   AND a.outbound_blocked_until > now())
$$;

-- The SASL login of the submission smtpd names the account the same way
-- Dovecot does (username, address, username@domain, alias domains).
CREATE OR REPLACE FUNCTION policy_account_lookup(p_login text) RETURNS bigint
LANGUAGE sql STABLE AS $$
	SELECT a.id FROM casier_login_account(p_login) a
$$;
