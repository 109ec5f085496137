-- 031_relay.sql - relay clients: application servers and customer MTAs
-- allowed to relay through the inbound smtpd (DESIGN section 7).
--
-- Relaying is refused by default.  A relay client lists the client
-- networks (IPv4/IPv6, inet "<<=" matching) and the sender domains it
-- may use; casier-policyd authorises a recipient outside the hosted
-- domains only when both match (policy_relay_rcpt) and counts the message
-- at end of data (policy_relay_eod).  Contacts carry a role: responsible
-- (may change the contact list and file requests) or manager (may file
-- requests to add, change or remove the application); the superuser
-- approves requests.

CREATE TABLE relay_client (
	id bigserial PRIMARY KEY,
	name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
	entity text NOT NULL CHECK (length(entity) BETWEEN 1 AND 200),
	kind text NOT NULL CHECK (kind IN ('application', 'customer_mta')),
	-- recipients per hour; NULL = [policy] relay_default_limit_per_hour
	send_limit_per_hour integer CHECK (send_limit_per_hour >= 0),
	active boolean NOT NULL DEFAULT true,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE relay_client_network (
	relay_client_id bigint NOT NULL REFERENCES relay_client (id) ON DELETE CASCADE,
	network cidr NOT NULL,
	PRIMARY KEY (relay_client_id, network)
);
CREATE INDEX relay_client_network_gist ON relay_client_network USING gist (network inet_ops);

CREATE TABLE relay_client_sender_domain (
	relay_client_id bigint NOT NULL REFERENCES relay_client (id) ON DELETE CASCADE,
	domain dns_name NOT NULL,
	PRIMARY KEY (relay_client_id, domain)
);
CREATE INDEX relay_client_sender_domain_idx ON relay_client_sender_domain (domain);

CREATE TABLE relay_client_contact (
	id bigserial PRIMARY KEY,
	relay_client_id bigint NOT NULL REFERENCES relay_client (id) ON DELETE CASCADE,
	name text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
	email text NOT NULL CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
	role text NOT NULL CHECK (role IN ('responsible', 'manager')),
	UNIQUE (relay_client_id, email)
);

-- Requests to add, change or remove an application (or change contacts),
-- filed by a contact and decided by the superuser.
CREATE TABLE relay_client_request (
	id bigserial PRIMARY KEY,
	relay_client_id bigint REFERENCES relay_client (id) ON DELETE SET NULL,
	kind text NOT NULL CHECK (kind IN ('add', 'change', 'remove', 'contacts')),
	requested_by text NOT NULL,
	payload jsonb NOT NULL DEFAULT '{}',
	status text NOT NULL DEFAULT 'pending'
		CHECK (status IN ('pending', 'approved', 'rejected')),
	decided_by text,
	decided_at timestamptz,
	comment text,
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX relay_client_request_status_idx ON relay_client_request (status, id);

CREATE UNLOGGED TABLE relay_pending (
	instance text PRIMARY KEY,
	relay_client_id bigint NOT NULL,
	recipients integer NOT NULL DEFAULT 0,
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX relay_pending_created_idx ON relay_pending (created_at);

CREATE TABLE relay_minute (
	relay_client_id bigint NOT NULL REFERENCES relay_client (id) ON DELETE CASCADE,
	minute timestamptz NOT NULL,
	recipients integer NOT NULL CHECK (recipients >= 0),
	PRIMARY KEY (relay_client_id, minute)
);
CREATE INDEX relay_minute_minute_idx ON relay_minute (minute);

CREATE TABLE relay_daily (
	relay_client_id bigint NOT NULL REFERENCES relay_client (id) ON DELETE CASCADE,
	day date NOT NULL,
	messages bigint NOT NULL DEFAULT 0,
	recipients bigint NOT NULL DEFAULT 0,
	refused bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (relay_client_id, day)
);

-- The active relay client allowed to relay from this address with this
-- sender domain, if any (most specific network first).
CREATE FUNCTION relay_client_match(p_client inet, p_sender_domain text)
RETURNS bigint LANGUAGE sql STABLE AS $$
	SELECT c.id
	  FROM relay_client c
	  JOIN relay_client_network n ON n.relay_client_id = c.id
	  JOIN relay_client_sender_domain s ON s.relay_client_id = c.id
	 WHERE c.active AND p_client <<= n.network AND s.domain = lower(p_sender_domain)
	 ORDER BY masklen(n.network) DESC, c.id
	 LIMIT 1
$$;

-- RCPT time on the inbound smtpd, for clients that did not authenticate.
-- result: 'hosted' (not relaying; other checks decide), 'denied' (no
-- open relay), 'permit' (an authorised relay client; the recipient is
-- remembered for end of data).
CREATE FUNCTION policy_relay_rcpt(p_client inet, p_sender_domain text, p_rcpt_domain text,
				  p_instance text)
RETURNS TABLE (result text, relay_client text) LANGUAGE plpgsql AS $$
DECLARE
	cid bigint;
BEGIN
	IF casier_is_hosted(lower(p_rcpt_domain)) THEN
		RETURN QUERY SELECT 'hosted'::text, NULL::text;
		RETURN;
	END IF;
	cid := relay_client_match(p_client, p_sender_domain);
	IF cid IS NULL THEN
		RETURN QUERY SELECT 'denied'::text, NULL::text;
		RETURN;
	END IF;
	INSERT INTO relay_pending AS p (instance, relay_client_id, recipients)
	VALUES (p_instance, cid, 1)
	ON CONFLICT (instance) DO UPDATE SET recipients = p.recipients + 1,
		relay_client_id = EXCLUDED.relay_client_id;
	RETURN QUERY SELECT 'permit'::text, (SELECT name FROM relay_client WHERE id = cid);
END $$;

-- End of data on the inbound smtpd.  result: 'none' (nothing relayed in
-- this transaction), 'ok' (counted), 'over' (hourly limit reached:
-- temporary refusal, the client's MTA retries later).
CREATE FUNCTION policy_relay_eod(p_instance text, p_default_limit integer)
RETURNS TABLE (result text, relay_client text, used bigint, send_limit integer)
LANGUAGE plpgsql AS $$
DECLARE
	cid bigint;
	n integer;
	lim integer;
	u bigint;
	cname text;
BEGIN
	DELETE FROM relay_pending WHERE instance = p_instance
		RETURNING relay_client_id, recipients INTO cid, n;
	IF cid IS NULL THEN
		RETURN QUERY SELECT 'none'::text, NULL::text, 0::bigint, 0;
		RETURN;
	END IF;
	PERFORM pg_advisory_xact_lock(hashtext('casier.relay'), (cid & 2147483647)::integer);
	SELECT c.name, coalesce(c.send_limit_per_hour, p_default_limit) INTO cname, lim
	  FROM relay_client c WHERE c.id = cid;
	IF NOT FOUND THEN
		RETURN QUERY SELECT 'none'::text, NULL::text, 0::bigint, 0;
		RETURN;
	END IF;
	SELECT coalesce(sum(recipients), 0) INTO u FROM relay_minute
	 WHERE relay_client_id = cid
	   AND minute > date_trunc('minute', now()) - interval '60 minutes';
	IF lim > 0 AND u + n > lim THEN
		INSERT INTO relay_daily AS r (relay_client_id, day, refused)
		VALUES (cid, current_date, 1)
		ON CONFLICT (relay_client_id, day) DO UPDATE SET refused = r.refused + 1;
		RETURN QUERY SELECT 'over'::text, cname, u, lim;
		RETURN;
	END IF;
	INSERT INTO relay_minute AS m (relay_client_id, minute, recipients)
	VALUES (cid, date_trunc('minute', now()), n)
	ON CONFLICT (relay_client_id, minute) DO UPDATE SET recipients = m.recipients + n;
	INSERT INTO relay_daily AS r (relay_client_id, day, messages, recipients)
	VALUES (cid, current_date, 1, n)
	ON CONFLICT (relay_client_id, day) DO UPDATE
		SET messages = r.messages + 1, recipients = r.recipients + n;
	RETURN QUERY SELECT 'ok'::text, cname, u + n, lim;
END $$;

CREATE OR REPLACE FUNCTION policy_housekeeping() RETURNS void LANGUAGE sql AS $$
	DELETE FROM outbound_pending WHERE created_at < now() - interval '1 hour';
	DELETE FROM outbound_minute WHERE minute < now() - interval '2 hours';
	DELETE FROM relay_pending WHERE created_at < now() - interval '1 hour';
	DELETE FROM relay_minute WHERE minute < now() - interval '2 hours';
$$;

-- Monthly report with the month-over-month trend (percent change, NULL
-- when the previous month had no traffic).  Per relay client and per
-- account the same shape.
CREATE VIEW relay_monthly AS
SELECT relay_client_id, month, messages, recipients,
       round(100.0 * (messages - lag(messages) OVER w) / nullif(lag(messages) OVER w, 0), 1)
	AS trend_percent
  FROM (SELECT relay_client_id, date_trunc('month', day)::date AS month,
	       sum(messages)::bigint AS messages, sum(recipients)::bigint AS recipients
	  FROM relay_daily GROUP BY 1, 2) m
WINDOW w AS (PARTITION BY relay_client_id ORDER BY month);

CREATE VIEW outbound_monthly AS
SELECT account_id, month, messages, recipients, outside_recipients,
       round(100.0 * (messages - lag(messages) OVER w) / nullif(lag(messages) OVER w, 0), 1)
	AS trend_percent
  FROM (SELECT account_id, date_trunc('month', day)::date AS month,
	       sum(messages)::bigint AS messages, sum(recipients)::bigint AS recipients,
	       sum(outside_recipients)::bigint AS outside_recipients
	  FROM outbound_daily GROUP BY 1, 2) m
WINDOW w AS (PARTITION BY account_id ORDER BY month);
