-- 035_relay_check.sql - a read-only relay-client check for the inbound
-- smtpd's recipient restrictions.
--
-- casier-policyd authorises and counts relaying in smtpd_relay_restrictions
-- (policy_relay_rcpt).  The recipient restrictions that follow reject
-- recipients outside the hosted domains (delivery's resolution policy);
-- for an authorised relay client casier-policyd is asked again there with
-- policy_context=relay_check and answers OK from this function, which
-- counts nothing (the recipient was counted once, by policy_relay_rcpt).
CREATE FUNCTION policy_relay_check(p_client inet, p_sender_domain text, p_rcpt_domain text)
RETURNS text LANGUAGE sql STABLE AS $$
	SELECT CASE
		WHEN casier_is_hosted(lower(p_rcpt_domain)) THEN 'hosted'
		WHEN relay_client_match(p_client, p_sender_domain) IS NOT NULL THEN 'permit'
		ELSE 'denied'
	END
$$;
