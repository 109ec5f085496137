-- 030_outbound.sql - outbound limits for accounts (DESIGN section 6).
--
-- casier-policyd is stateless: every counter lives here so several
-- instances agree (DESIGN section 12).  Per message it costs one
-- statement at each RCPT (policy_submission_rcpt) and one at end of data
-- (policy_submission_eod).
--
-- outbound_pending: outside recipients seen at RCPT time, per SMTP
--   transaction (Postfix's "instance" attribute), committed or forgotten
--   at end of data.  UNLOGGED: after a crash the open transactions are
--   simply counted from scratch; the limits themselves are logged tables.
-- outbound_minute: per account and minute, recipients outside the hosted
--   domains; the sliding hour is the sum of the last 60 rows.
-- outbound_daily: messages and recipients per account and day (reports).
-- bulk_request: a domain admin asks, the superuser approves or rejects.
-- outbound_notification: outbox of block notifications, sent by
--   casier-policyd through the internal smtpd (at-least-once).

CREATE UNLOGGED TABLE outbound_pending (
	instance text NOT NULL,
	account_id bigint NOT NULL,
	recipients integer NOT NULL DEFAULT 0,
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (instance, account_id)
);
CREATE INDEX outbound_pending_created_idx ON outbound_pending (created_at);

CREATE TABLE outbound_minute (
	account_id bigint NOT NULL REFERENCES account (id) ON DELETE CASCADE,
	minute timestamptz NOT NULL,
	recipients integer NOT NULL CHECK (recipients >= 0),
	PRIMARY KEY (account_id, minute)
);
CREATE INDEX outbound_minute_minute_idx ON outbound_minute (minute);

CREATE TABLE outbound_daily (
	account_id bigint NOT NULL REFERENCES account (id) ON DELETE CASCADE,
	day date NOT NULL,
	messages bigint NOT NULL DEFAULT 0,
	recipients bigint NOT NULL DEFAULT 0,          -- all recipients
	outside_recipients bigint NOT NULL DEFAULT 0,  -- counted against the limit
	refused bigint NOT NULL DEFAULT 0,             -- messages refused by the limit
	PRIMARY KEY (account_id, day)
);

CREATE TABLE bulk_request (
	id bigserial PRIMARY KEY,
	account_id bigint NOT NULL REFERENCES account (id) ON DELETE CASCADE,
	justification text NOT NULL CHECK (length(justification) BETWEEN 1 AND 4000),
	limit_per_hour integer NOT NULL CHECK (limit_per_hour BETWEEN 1 AND 10000000),
	starts_at timestamptz NOT NULL,
	ends_at timestamptz NOT NULL,
	status text NOT NULL DEFAULT 'pending'
		CHECK (status IN ('pending', 'approved', 'rejected')),
	approved_limit integer CHECK (approved_limit BETWEEN 1 AND 10000000),
	requested_by text NOT NULL,
	decided_by text,
	decided_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now(),
	CHECK (starts_at < ends_at)
);
CREATE INDEX bulk_request_account_idx ON bulk_request (account_id, ends_at);
CREATE INDEX bulk_request_status_idx ON bulk_request (status, id);

CREATE TABLE outbound_notification (
	id bigserial PRIMARY KEY,
	recipient text NOT NULL,
	username text NOT NULL,
	address text NOT NULL,
	domain_name text NOT NULL,
	blocked_until timestamptz NOT NULL,
	reason text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	not_before timestamptz NOT NULL DEFAULT now(),
	attempts integer NOT NULL DEFAULT 0,
	last_error text,
	sent_at timestamptz
);
CREATE INDEX outbound_notification_pending_idx ON outbound_notification (not_before)
	WHERE sent_at IS NULL;

-- Superuser addresses that get block notifications besides the domain
-- contact (casier-policyd also adds [policy] notify_superuser).
CREATE TABLE outbound_notify_address (
	address text PRIMARY KEY CHECK (address ~ '^[^@\s]+@[^@\s]+$')
);

-- Is name a hosted domain (a domain or an alias domain)?
CREATE FUNCTION casier_is_hosted(p_name text) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT EXISTS (SELECT 1 FROM domain WHERE name = p_name)
	    OR EXISTS (SELECT 1 FROM alias_domain WHERE name = p_name)
$$;

-- The account a SASL login names: its username, or its address in the
-- primary domain or an alias domain.
CREATE FUNCTION policy_account_lookup(p_login text) RETURNS bigint
LANGUAGE sql STABLE AS $$
	SELECT a.id FROM account a WHERE a.username = lower(p_login)
	UNION ALL
	SELECT a.id FROM account a JOIN domain d ON d.id = a.domain_id
	 WHERE position('@' IN p_login) > 0
	   AND a.local_part = lower(split_part(p_login, '@', 1))
	   AND (d.name = lower(split_part(p_login, '@', 2))
		OR d.id = (SELECT ad.domain_id FROM alias_domain ad
			    WHERE ad.name = lower(split_part(p_login, '@', 2))))
	LIMIT 1
$$;

-- The hourly limit in force for an account at this moment: an approved
-- bulk request raises it for its period; else the account's override,
-- the domain's, the global default.
CREATE FUNCTION outbound_effective_limit(p_account_id bigint, p_default integer)
RETURNS integer LANGUAGE sql STABLE AS $$
	SELECT greatest(
		coalesce(a.send_limit_per_hour, d.send_limit_per_hour, p_default),
		coalesce((SELECT max(coalesce(b.approved_limit, b.limit_per_hour))
			    FROM bulk_request b
			   WHERE b.account_id = a.id AND b.status = 'approved'
			     AND now() >= b.starts_at AND now() < b.ends_at), 0))
	  FROM account a JOIN domain d ON d.id = a.domain_id
	 WHERE a.id = p_account_id
$$;

-- Recipients outside the hosted domains in the last 60 minutes.
CREATE FUNCTION outbound_used_last_hour(p_account_id bigint) RETURNS bigint
LANGUAGE sql STABLE AS $$
	SELECT coalesce(sum(recipients), 0) FROM outbound_minute
	 WHERE account_id = p_account_id
	   AND minute > date_trunc('minute', now()) - interval '60 minutes'
$$;

-- RCPT time on the submission port.  result: 'unknown' (no such
-- account), 'blocked' (refuse every recipient), 'ok'.  Outside
-- recipients are remembered for the transaction until end of data.
CREATE FUNCTION policy_submission_rcpt(p_login text, p_instance text, p_rcpt_domain text)
RETURNS TABLE (result text, blocked_until timestamptz) LANGUAGE plpgsql AS $$
DECLARE
	acc account%ROWTYPE;
BEGIN
	SELECT * INTO acc FROM account WHERE id = policy_account_lookup(p_login);
	IF NOT FOUND THEN
		RETURN QUERY SELECT 'unknown'::text, NULL::timestamptz;
		RETURN;
	END IF;
	IF acc.outbound_blocked_until IS NOT NULL AND acc.outbound_blocked_until > now() THEN
		RETURN QUERY SELECT 'blocked'::text, acc.outbound_blocked_until;
		RETURN;
	END IF;
	IF NOT casier_is_hosted(lower(p_rcpt_domain)) THEN
		INSERT INTO outbound_pending AS p (instance, account_id, recipients)
		VALUES (p_instance, acc.id, 1)
		ON CONFLICT (instance, account_id)
		DO UPDATE SET recipients = p.recipients + 1;
	END IF;
	RETURN QUERY SELECT 'ok'::text, NULL::timestamptz;
END $$;

-- End of data on the submission port: commit the message's outside
-- recipients, or refuse the message that crosses the limit and block the
-- account (audit row and notifications in the same transaction).
-- result: 'unknown', 'blocked' (already blocked), 'block' (blocked now),
-- 'ok'.  An advisory lock per account serialises concurrent messages of
-- one account across all policyd instances.
CREATE FUNCTION policy_submission_eod(p_login text, p_instance text,
				      p_recipient_count integer, p_default_limit integer,
				      p_block_seconds integer, p_superusers text[])
RETURNS TABLE (result text, used bigint, send_limit integer, blocked_until timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
	acc account%ROWTYPE;
	dom domain%ROWTYPE;
	n integer;
	lim integer;
	u bigint;
	until timestamptz;
	why text;
	rcpt text;
BEGIN
	SELECT * INTO acc FROM account WHERE id = policy_account_lookup(p_login);
	IF NOT FOUND THEN
		RETURN QUERY SELECT 'unknown'::text, 0::bigint, 0, NULL::timestamptz;
		RETURN;
	END IF;
	PERFORM pg_advisory_xact_lock(hashtext('casier.outbound'), (acc.id & 2147483647)::integer);
	DELETE FROM outbound_pending p WHERE p.instance = p_instance AND p.account_id = acc.id
		RETURNING p.recipients INTO n;
	n := coalesce(n, 0);
	-- re-read under the lock: another instance may just have blocked it
	SELECT * INTO acc FROM account WHERE id = acc.id;
	IF acc.outbound_blocked_until IS NOT NULL AND acc.outbound_blocked_until > now() THEN
		RETURN QUERY SELECT 'blocked'::text, 0::bigint, 0, acc.outbound_blocked_until;
		RETURN;
	END IF;
	lim := outbound_effective_limit(acc.id, p_default_limit);
	u := outbound_used_last_hour(acc.id);
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
		VALUES (acc.id, date_trunc('minute', now()), n)
		ON CONFLICT (account_id, minute) DO UPDATE SET recipients = m.recipients + n;
	END IF;
	INSERT INTO outbound_daily AS o (account_id, day, messages, recipients, outside_recipients)
	VALUES (acc.id, current_date, 1, greatest(p_recipient_count, n), n)
	ON CONFLICT (account_id, day) DO UPDATE
		SET messages = o.messages + 1,
		    recipients = o.recipients + greatest(p_recipient_count, n),
		    outside_recipients = o.outside_recipients + n;
	RETURN QUERY SELECT 'ok'::text, u + n, lim, NULL::timestamptz;
END $$;

-- Housekeeping, run by casier-policyd about once a minute: transactions
-- that never reached end of data, counters older than the window.
CREATE FUNCTION policy_housekeeping() RETURNS void LANGUAGE sql AS $$
	DELETE FROM outbound_pending WHERE created_at < now() - interval '1 hour';
	DELETE FROM outbound_minute WHERE minute < now() - interval '2 hours';
$$;

-- Admin action (web manager, API, CLI): lift a block, audited.
CREATE FUNCTION outbound_unblock(p_username text, p_actor text)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
	acc account%ROWTYPE;
	dom domain%ROWTYPE;
BEGIN
	SELECT * INTO acc FROM account WHERE username = p_username FOR UPDATE;
	IF NOT FOUND THEN
		RETURN false;
	END IF;
	SELECT * INTO dom FROM domain WHERE id = acc.domain_id;
	UPDATE account SET outbound_blocked_until = NULL, outbound_block_reason = NULL
	 WHERE id = acc.id;
	-- a fresh start: the hour that caused the block no longer counts
	DELETE FROM outbound_minute WHERE account_id = acc.id;
	INSERT INTO audit_log (actor, domain_id, domain_name, action, object, before, after)
	VALUES (p_actor, dom.id, dom.name, 'account.outbound_unblock', acc.username,
		jsonb_build_object('outbound_blocked_until', acc.outbound_blocked_until,
				   'outbound_block_reason', acc.outbound_block_reason),
		jsonb_build_object('outbound_blocked_until', NULL, 'outbound_block_reason', NULL));
	RETURN true;
END $$;
