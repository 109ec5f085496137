-- 037_relay_requests.sql - requests to add, change or remove a relay
-- client, or to change its contacts (seeds/003, "liste de sécurité"),
-- decided by the superuser.
--
-- Filing checks the security list: a change or removal must come from a
-- contact of that relay client (manager or responsible); a change of
-- the contacts from a responsible; a new application from a contact of
-- another relay client of the same entity.  Approving applies the
-- payload (validated by the web manager when it was filed) and marks the
-- request, in one transaction with the caller's audit row.

-- result: 'ok' (id set), 'not_found' (no such relay client),
-- 'not_allowed' (the requester is not in the security list).
CREATE FUNCTION relay_request_file(p_kind text, p_client_id bigint, p_requested_by text,
				   p_payload jsonb)
RETURNS TABLE (result text, request_id bigint) LANGUAGE plpgsql AS $$
DECLARE
	who text := lower(btrim(p_requested_by));
	rid bigint;
BEGIN
	IF p_kind = 'add' THEN
		IF NOT EXISTS (SELECT 1 FROM relay_client_contact k
				 JOIN relay_client c ON c.id = k.relay_client_id
				WHERE lower(k.email) = who AND c.entity = p_payload->>'entity') THEN
			RETURN QUERY SELECT 'not_allowed'::text, NULL::bigint;
			RETURN;
		END IF;
	ELSE
		IF NOT EXISTS (SELECT 1 FROM relay_client WHERE id = p_client_id) THEN
			RETURN QUERY SELECT 'not_found'::text, NULL::bigint;
			RETURN;
		END IF;
		IF NOT EXISTS (SELECT 1 FROM relay_client_contact k
				WHERE k.relay_client_id = p_client_id AND lower(k.email) = who
				  AND (p_kind <> 'contacts' OR k.role = 'responsible')) THEN
			RETURN QUERY SELECT 'not_allowed'::text, NULL::bigint;
			RETURN;
		END IF;
	END IF;
	INSERT INTO relay_client_request (relay_client_id, kind, requested_by, payload)
	VALUES (CASE WHEN p_kind = 'add' THEN NULL ELSE p_client_id END, p_kind, who, p_payload)
	RETURNING id INTO rid;
	RETURN QUERY SELECT 'ok'::text, rid;
END $$;

CREATE FUNCTION relay_request_json(p_id bigint) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object('id', r.id, 'relay_client_id', r.relay_client_id,
		'kind', r.kind, 'requested_by', r.requested_by, 'payload', r.payload,
		'status', r.status, 'decided_by', r.decided_by, 'decided_at', r.decided_at,
		'created_at', r.created_at)
	  FROM relay_client_request r WHERE r.id = p_id
$$;

-- result: 'ok', 'not_found', 'decided' (not pending), 'gone' (the relay
-- client was deleted meanwhile), 'conflict' (a name already taken).
CREATE FUNCTION relay_request_decide(p_id bigint, p_approve boolean, p_actor text)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	r relay_client_request%ROWTYPE;
	p jsonb;
	cid bigint;
BEGIN
	SELECT * INTO r FROM relay_client_request WHERE id = p_id FOR UPDATE;
	IF NOT FOUND THEN
		RETURN 'not_found';
	END IF;
	IF r.status <> 'pending' THEN
		RETURN 'decided';
	END IF;
	p := r.payload;
	IF p_approve THEN
		IF r.kind <> 'add' AND (r.relay_client_id IS NULL
		    OR NOT EXISTS (SELECT 1 FROM relay_client WHERE id = r.relay_client_id)) THEN
			RETURN 'gone';
		END IF;
		BEGIN
			IF r.kind = 'add' THEN
				INSERT INTO relay_client (name, entity, kind, send_limit_per_hour)
				VALUES (p->>'name', p->>'entity', coalesce(p->>'client_kind', 'application'),
					(p->>'send_limit_per_hour')::integer)
				RETURNING id INTO cid;
				INSERT INTO relay_client_contact (relay_client_id, email, role)
				VALUES (cid, r.requested_by, 'responsible');
				UPDATE relay_client_request SET relay_client_id = cid WHERE id = r.id;
			ELSIF r.kind = 'change' THEN
				cid := r.relay_client_id;
				UPDATE relay_client SET
					name = coalesce(p->>'name', name),
					entity = coalesce(p->>'entity', entity),
					kind = coalesce(p->>'client_kind', kind),
					send_limit_per_hour = CASE WHEN p ? 'send_limit_per_hour'
						THEN (p->>'send_limit_per_hour')::integer ELSE send_limit_per_hour END,
					updated_at = now()
				 WHERE id = cid;
			ELSIF r.kind = 'remove' THEN
				DELETE FROM relay_client WHERE id = r.relay_client_id;
			ELSIF r.kind = 'contacts' THEN
				IF p->>'contact_action' = 'remove' THEN
					DELETE FROM relay_client_contact
					 WHERE relay_client_id = r.relay_client_id
					   AND lower(email) = lower(p->>'contact_email');
				ELSE
					INSERT INTO relay_client_contact (relay_client_id, name, email, role)
					VALUES (r.relay_client_id, coalesce(p->>'contact_name', ''),
						lower(p->>'contact_email'), p->>'contact_role')
					ON CONFLICT (relay_client_id, email) DO UPDATE SET role = EXCLUDED.role;
				END IF;
			END IF;
			IF r.kind IN ('add', 'change') THEN
				IF p ? 'networks' THEN
					DELETE FROM relay_client_network WHERE relay_client_id = cid;
					INSERT INTO relay_client_network
					SELECT cid, casier_try_cidr(x) FROM jsonb_array_elements_text(p->'networks') x
					 WHERE casier_try_cidr(x) IS NOT NULL ON CONFLICT DO NOTHING;
				END IF;
				IF p ? 'sender_domains' THEN
					DELETE FROM relay_client_sender_domain WHERE relay_client_id = cid;
					INSERT INTO relay_client_sender_domain
					SELECT cid, x FROM jsonb_array_elements_text(p->'sender_domains') x
					ON CONFLICT DO NOTHING;
				END IF;
			END IF;
		EXCEPTION WHEN unique_violation THEN
			RETURN 'conflict';
		END;
	END IF;
	UPDATE relay_client_request
	   SET status = CASE WHEN p_approve THEN 'approved' ELSE 'rejected' END,
	       decided_by = p_actor, decided_at = now()
	 WHERE id = r.id;
	RETURN 'ok';
END $$;
