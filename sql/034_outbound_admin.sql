-- 034_outbound_admin.sql - what the web manager needs for outbound
-- limits and relay clients (mgmtd/service-outbound.c).
--
-- policy_setting: values casier-policyd publishes from its configuration
--   for the web manager (the SPF record a relay customer must publish).
-- casier_try_*: parse untrusted text without raising, so a bad value is a
--   validation error (422) and never a database error.

CREATE TABLE policy_setting (
	name text PRIMARY KEY,
	value text NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION casier_try_timestamptz(p text) RETURNS timestamptz
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
	IF p IS NULL OR length(p) > 40 OR p !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9:.]+(Z|[+-][0-9:]+)?)?$' THEN
		RETURN NULL;
	END IF;
	RETURN p::timestamptz;
EXCEPTION WHEN others THEN
	RETURN NULL;
END $$;

CREATE FUNCTION casier_try_cidr(p text) RETURNS cidr
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
	IF p IS NULL OR length(p) > 64 OR p !~ '^[0-9a-fA-F:.]+(/[0-9]{1,3})?$' THEN
		RETURN NULL;
	END IF;
	RETURN p::cidr;
EXCEPTION WHEN others THEN
	RETURN NULL;
END $$;

-- JSON of a relay client with its networks, sender domains and contacts.
CREATE FUNCTION relay_client_json(p_id bigint) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object(
		'id', c.id, 'name', c.name, 'entity', c.entity, 'kind', c.kind,
		'send_limit_per_hour', c.send_limit_per_hour, 'active', c.active,
		'networks', coalesce((SELECT json_agg(n.network::text ORDER BY n.network)
				       FROM relay_client_network n WHERE n.relay_client_id = c.id), '[]'),
		'sender_domains', coalesce((SELECT json_agg(s.domain ORDER BY s.domain)
					     FROM relay_client_sender_domain s WHERE s.relay_client_id = c.id), '[]'),
		'contacts', coalesce((SELECT json_agg(json_build_object('name', k.name, 'email', k.email,
									 'role', k.role) ORDER BY k.email)
				       FROM relay_client_contact k WHERE k.relay_client_id = c.id), '[]'),
		'spf_record', (SELECT value FROM policy_setting WHERE name = 'spf_record'),
		'created_at', c.created_at)
	  FROM relay_client c WHERE c.id = p_id
$$;

CREATE FUNCTION bulk_request_json(p_id bigint) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object(
		'id', b.id, 'username', a.username,
		'address', a.local_part || '@' || d.name, 'domain', d.name,
		'justification', b.justification, 'limit_per_hour', b.limit_per_hour,
		'start', b.starts_at, 'end', b.ends_at, 'status', b.status,
		'approved_limit', b.approved_limit, 'requested_by', b.requested_by,
		'decided_by', b.decided_by, 'decided_at', b.decided_at,
		'created_at', b.created_at)
	  FROM bulk_request b JOIN account a ON a.id = b.account_id
	  JOIN domain d ON d.id = a.domain_id
	 WHERE b.id = p_id
$$;
