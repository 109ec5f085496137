-- 033_outbound_eod_fast.sql - fewer statements per end-of-data decision
-- (bench/policy): the account is locked first, then read once together
-- with its limit and its use of the last hour; the minute and day
-- counters are written by one statement.  Same results as 030.
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
	       a.outbound_block_reason,
	       outbound_effective_limit(a.id, p_default_limit) AS lim,
	       (SELECT coalesce(sum(m.recipients), 0) FROM outbound_minute m
		 WHERE m.account_id = a.id
		   AND m.minute > date_trunc('minute', now()) - interval '60 minutes') AS used
	  INTO acc
	  FROM account a WHERE a.id = aid;
	lim := acc.lim;
	u := acc.used;
	IF acc.outbound_blocked_until IS NOT NULL AND acc.outbound_blocked_until > now() THEN
		RETURN QUERY SELECT 'blocked'::text, 0::bigint, 0, acc.outbound_blocked_until;
		RETURN;
	END IF;
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
	WITH minute AS (
		INSERT INTO outbound_minute AS m (account_id, minute, recipients)
		SELECT aid, date_trunc('minute', now()), n WHERE n > 0
		ON CONFLICT (account_id, minute) DO UPDATE SET recipients = m.recipients + n
	)
	INSERT INTO outbound_daily AS o (account_id, day, messages, recipients, outside_recipients)
	VALUES (aid, current_date, 1, greatest(p_recipient_count, n), n)
	ON CONFLICT (account_id, day) DO UPDATE
		SET messages = o.messages + 1,
		    recipients = o.recipients + greatest(p_recipient_count, n),
		    outside_recipients = o.outside_recipients + n;
	RETURN QUERY SELECT 'ok'::text, u + n, lim, NULL::timestamptz;
END $$;
