-- 010_resolve.sql - recipient facts for casier-deliverd (DESIGN section 3).
--
-- casier_resolve(key, max_depth) returns, in ONE call, every fact
-- reachable from a recipient: for each node (an address "local@domain",
-- lower-case without +tag, or a bare username) the domain state, the
-- account whose local part or username matches (with its redirect,
-- quota and usage), the alias and its targets, and the catch-all.
-- Redirect and alias targets are followed breadth-first up to max_depth
-- levels, each node once.  The rules (precedence, loops, de-duplication,
-- quota) are applied by delivery/resolve.c, which unit tests cover with
-- a fake lookup; this function only gathers facts.
--
-- Rows: (node, kind, value, username, address, active, quota_bytes,
--        used_bytes, keep_copy) with kind one of
--   domain        value = 'unknown' | 'inactive' | 'active'
--   account       username, address (local_part@primary), active, quota,
--                 usage, keep_copy (NULL when the account has no redirect)
--   redirect      value = one redirect target
--   alias         (the alias exists)
--   alias_target  value = one alias target
--   catchall      the domain's catch-all account (only when neither an
--                 account nor an alias with targets matched)

-- The node key of an address or target: lower-case, "+tag" removed.
CREATE OR REPLACE FUNCTION casier_resolve_key(p text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
	SELECT CASE WHEN position('@' IN p) = 0 THEN lower(p)
	ELSE lower(split_part(substring(p FROM '^(.*)@[^@]*$'), '+', 1)
		   || '@' || substring(p FROM '@([^@]*)$'))
	END
$$;

CREATE OR REPLACE FUNCTION casier_resolve(p_key text, p_max_depth integer DEFAULT 8)
RETURNS TABLE (node text, kind text, value text, username text, address text,
	       active boolean, quota_bytes bigint, used_bytes bigint,
	       keep_copy boolean)
LANGUAGE plpgsql STABLE AS $$
DECLARE
	frontier text[] := ARRAY[casier_resolve_key(p_key)];
	next_frontier text[];
	seen text[] := '{}';
	k text;
	lp text;
	dn text;
	d record;
	a record;
	al record;
	alias_found boolean;
	depth integer := 0;
BEGIN
	WHILE cardinality(frontier) > 0 AND depth <= p_max_depth LOOP
		next_frontier := '{}';
		FOREACH k IN ARRAY frontier LOOP
			CONTINUE WHEN k = ANY (seen);
			seen := seen || k;
			a := NULL;
			al := NULL;

			IF position('@' IN k) = 0 THEN
				-- a bare username: the account, wherever it is
				SELECT ac.username, ac.local_part || '@' || dm.name AS addr,
				       ac.active, ac.quota_bytes,
				       coalesce(qu.bytes, 0) AS used, r.keep_copy,
				       r.targets, dm.active AS dactive
				  INTO a
				  FROM account ac
				  JOIN domain dm ON dm.id = ac.domain_id
				  LEFT JOIN quota_usage qu ON qu.username = ac.username
				  LEFT JOIN redirect r ON r.account_id = ac.id
				 WHERE ac.username = k;
				IF NOT FOUND THEN
					RETURN QUERY SELECT k, 'domain'::text, 'active'::text,
						NULL::text, NULL::text, NULL::boolean,
						NULL::bigint, NULL::bigint, NULL::boolean;
					CONTINUE;
				END IF;
				RETURN QUERY SELECT k, 'domain'::text,
					CASE WHEN a.dactive THEN 'active' ELSE 'inactive' END,
					NULL::text, NULL::text, NULL::boolean,
					NULL::bigint, NULL::bigint, NULL::boolean;
			ELSE
				lp := substring(k FROM '^(.*)@[^@]*$');
				dn := substring(k FROM '@([^@]*)$');
				SELECT dm.id, dm.name, dm.active, dm.catchall_account_id
				  INTO d FROM domain dm WHERE dm.name = dn;
				IF NOT FOUND THEN
					SELECT dm.id, dm.name, dm.active, dm.catchall_account_id
					  INTO d
					  FROM alias_domain ad JOIN domain dm ON dm.id = ad.domain_id
					 WHERE ad.name = dn;
				END IF;
				IF NOT FOUND THEN
					RETURN QUERY SELECT k, 'domain'::text, 'unknown'::text,
						NULL::text, NULL::text, NULL::boolean,
						NULL::bigint, NULL::bigint, NULL::boolean;
					CONTINUE;
				END IF;
				RETURN QUERY SELECT k, 'domain'::text,
					CASE WHEN d.active THEN 'active' ELSE 'inactive' END,
					NULL::text, NULL::text, NULL::boolean,
					NULL::bigint, NULL::bigint, NULL::boolean;
				CONTINUE WHEN NOT d.active;

				-- the local part, or a username used as an address
				SELECT ac.username, ac.local_part || '@' || d.name AS addr,
				       ac.active, ac.quota_bytes,
				       coalesce(qu.bytes, 0) AS used, r.keep_copy,
				       r.targets, true AS dactive
				  INTO a
				  FROM account ac
				  LEFT JOIN quota_usage qu ON qu.username = ac.username
				  LEFT JOIN redirect r ON r.account_id = ac.id
				 WHERE ac.domain_id = d.id
				   AND (ac.local_part = lp OR ac.username = lp)
				 ORDER BY (ac.local_part = lp) DESC
				 LIMIT 1;
				IF NOT FOUND THEN
					a := NULL;
					SELECT x.targets INTO al
					  FROM alias x
					 WHERE x.domain_id = d.id AND x.local_part = lp;
					-- RETURN QUERY changes FOUND: keep the answer
					alias_found := FOUND;
					IF alias_found THEN
						RETURN QUERY SELECT k, 'alias'::text, NULL::text,
							NULL::text, NULL::text, NULL::boolean,
							NULL::bigint, NULL::bigint, NULL::boolean;
						RETURN QUERY SELECT k, 'alias_target'::text, t::text,
							NULL::text, NULL::text, NULL::boolean,
							NULL::bigint, NULL::bigint, NULL::boolean
						  FROM unnest(al.targets) AS t;
						next_frontier := next_frontier
							|| ARRAY(SELECT casier_resolve_key(t::text)
								   FROM unnest(al.targets) AS t);
					END IF;
					IF (NOT alias_found OR cardinality(al.targets) = 0)
					   AND d.catchall_account_id IS NOT NULL THEN
						RETURN QUERY SELECT k, 'catchall'::text, NULL::text,
							ac.username::text, (ac.local_part || '@' || d.name)::text,
							ac.active, ac.quota_bytes, coalesce(qu.bytes, 0),
							NULL::boolean
						  FROM account ac
						  LEFT JOIN quota_usage qu ON qu.username = ac.username
						 WHERE ac.id = d.catchall_account_id;
					END IF;
					CONTINUE;
				END IF;
			END IF;

			-- an account matched (by username or address)
			RETURN QUERY SELECT k, 'account'::text, NULL::text,
				a.username::text, a.addr::text, a.active, a.quota_bytes,
				a.used, a.keep_copy;
			IF a.targets IS NOT NULL THEN
				RETURN QUERY SELECT k, 'redirect'::text, t::text,
					NULL::text, NULL::text, NULL::boolean,
					NULL::bigint, NULL::bigint, NULL::boolean
				  FROM unnest(a.targets) AS t;
				next_frontier := next_frontier
					|| ARRAY(SELECT casier_resolve_key(t::text)
						   FROM unnest(a.targets) AS t);
			END IF;
		END LOOP;
		frontier := next_frontier;
		depth := depth + 1;
	END LOOP;
END
$$;
