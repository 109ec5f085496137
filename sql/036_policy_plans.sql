-- 036_policy_plans.sql - the per-decision helpers of casier-policyd as
-- PL/pgSQL (bench/policy): a SQL-language function that cannot be
-- inlined is planned again at every call, a PL/pgSQL one keeps its plans
-- for the session.  Same results as 030/031.
CREATE OR REPLACE FUNCTION outbound_effective_limit(p_account_id bigint, p_default integer)
RETURNS integer LANGUAGE plpgsql STABLE AS $$
DECLARE
	base integer;
	bulk integer;
BEGIN
	SELECT coalesce(a.send_limit_per_hour, d.send_limit_per_hour, p_default) INTO base
	  FROM account a JOIN domain d ON d.id = a.domain_id
	 WHERE a.id = p_account_id;
	IF NOT FOUND THEN
		RETURN NULL;
	END IF;
	SELECT max(coalesce(b.approved_limit, b.limit_per_hour)) INTO bulk
	  FROM bulk_request b
	 WHERE b.account_id = p_account_id AND b.status = 'approved'
	   AND b.ends_at > now() AND b.starts_at <= now();
	RETURN greatest(base, coalesce(bulk, 0));
END $$;

CREATE OR REPLACE FUNCTION outbound_used_last_hour(p_account_id bigint) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN (SELECT coalesce(sum(recipients), 0) FROM outbound_minute
		 WHERE account_id = p_account_id
		   AND minute > date_trunc('minute', now()) - interval '60 minutes');
END $$;

CREATE OR REPLACE FUNCTION casier_is_hosted(p_name text) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN EXISTS (SELECT 1 FROM domain WHERE name = p_name)
	    OR EXISTS (SELECT 1 FROM alias_domain WHERE name = p_name);
END $$;

CREATE OR REPLACE FUNCTION relay_client_match(p_client inet, p_sender_domain text)
RETURNS bigint LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN (SELECT c.id
		  FROM relay_client c
		  JOIN relay_client_network n ON n.relay_client_id = c.id
		  JOIN relay_client_sender_domain s ON s.relay_client_id = c.id
		 WHERE c.active AND p_client <<= n.network
		   AND s.domain = lower(p_sender_domain)
		 ORDER BY masklen(n.network) DESC, c.id
		 LIMIT 1);
END $$;

-- Username first (Dovecot hands Postfix the username), then every other
-- login form through casier_login_account().
CREATE OR REPLACE FUNCTION policy_account_lookup(p_login text) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
DECLARE
	aid bigint;
BEGIN
	SELECT id INTO aid FROM account WHERE username = lower(p_login);
	IF FOUND THEN
		RETURN aid;
	END IF;
	RETURN (SELECT a.id FROM casier_login_account(p_login) a);
END $$;

-- policy_submission_eod (033) read the limit and the hour in one query
-- through the SQL helpers; with PL/pgSQL helpers they are separate calls.
CREATE OR REPLACE FUNCTION policy_submission_eod(p_login text, p_instance text,
				      p_recipient_count integer, p_default_limit integer,
				      p_block_seconds integer, p_superusers text[])
RETURNS TABLE (result text, used bigint, send_limit integer, blocked_until timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
	aid bigint;
	acc record;
	dom domain%ROWTYPE;
	n integer;
	lim integer;
	u bigint;
	until timestamptz;
	why text;
	rcpt text;
BEGIN
	aid := policy_account_lookup(p_login);
	IF aid IS NULL THEN
		RETURN QUERY SELECT 'unknown'::text, 0::bigint, 0, NULL::timestamptz;
		RETURN;
	END IF;
	-- one message of an account at a time, across all policyd instances
	PERFORM pg_advisory_xact_lock(hashtext('casier.outbound'), (aid & 2147483647)::integer);
	DELETE FROM outbound_pending p WHERE p.instance = p_instance AND p.account_id = aid
		RETURNING p.recipients INTO n;
	n := coalesce(n, 0);
	SELECT a.id, a.username, a.local_part, a.domain_id, a.outbound_blocked_until,
	       a.outbound_block_reason
	  INTO acc FROM account a WHERE a.id = aid;
	IF acc.outbound_blocked_until IS NOT NULL AND acc.outbound_blocked_until > now() THEN
		RETURN QUERY SELECT 'blocked'::text, 0::bigint, 0, acc.outbound_blocked_until;
		RETURN;
	END IF;
	lim := outbound_effective_limit(aid, p_default_limit);
	u := outbound_used_last_hour(aid);
	IF n > 0 AND u + n > lim THEN
		until := now() + make_interval(secs => p_block_seconds);
		why := format('hourly limit of %s outside recipients exceeded (%s already sent, message with %s)',
			      lim, u, n);
		UPDATE account SET outbound_blocked_until = until, outbound_block_reason = why
		 WHERE id = acc.id;
		SELECT * INTO dom FROM domain WHERE id = acc.domain_id;
		INSERT INTO audit_log (actor, domain_id, domain_name, action, object, before, after)
		VALUES ('policyd', dom.id, dom.name, 'account.outbound_block', acc.username,
			jsonb_build_object('outbound_blocked_until', acc.outbound_blocked_until,
					   'outbound_block_reason', acc.outbound_block_reason),
			jsonb_build_object('outbound_blocked_until', until,
					   'outbound_block_reason', why,
					   'used_last_hour', u, 'message_recipients', n,
					   'send_limit_per_hour', lim));
		FOR rcpt IN
			SELECT DISTINCT x FROM unnest(array_remove(
				array[dom.contact] || coalesce(p_superusers, '{}')
				|| ARRAY(SELECT address FROM outbound_notify_address), NULL)) AS x
			 WHERE x <> ''
		LOOP
			INSERT INTO outbound_notification (recipient, username, address,
				domain_name, blocked_until, reason)
			VALUES (rcpt, acc.username, acc.local_part || '@' || dom.name,
				dom.name, until, why);
		END LOOP;
		INSERT INTO outbound_daily AS o (account_id, day, refused)
		VALUES (acc.id, current_date, 1)
		ON CONFLICT (account_id, day) DO UPDATE SET refused = o.refused + 1;
		PERFORM pg_notify('casier_outbound_notification', acc.username);
		RETURN QUERY SELECT 'block'::text, u, lim, until;
		RETURN;
	END IF;
	IF n > 0 THEN
		INSERT INTO outbound_minute AS m (account_id, minute, recipients)
		VALUES (aid, date_trunc('minute', now()), n)
		ON CONFLICT (account_id, minute) DO UPDATE SET recipients = m.recipients + n;
	END IF;
	INSERT INTO outbound_daily AS o (account_id, day, messages, recipients, outside_recipients)
	VALUES (aid, current_date, 1, greatest(p_recipient_count, n), n)
	ON CONFLICT (account_id, day) DO UPDATE
		SET messages = o.messages + 1,
		    recipients = o.recipients + greatest(p_recipient_count, n),
		    outside_recipients = o.outside_recipients + n;
	RETURN QUERY SELECT 'ok'::text, u + n, lim, NULL::timestamptz;
END $$;
