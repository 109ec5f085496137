/*
 * api-archive.c - JSON API of the inbound mail archive (DESIGN section 8,
 * docs/archive.md):
 *   GET    /api/v1/domains/{domain}/archive            list or search:
 *          ?sender= &recipient= &subject= &after= &before= &limit= &cursor=
 *   GET    /api/v1/domains/{domain}/archive/{id}       details (no content)
 *   DELETE /api/v1/domains/{domain}/archive/{id}       delete for good
 *   POST   /api/v1/domains/{domain}/archive/{id}/resend
 *   GET    /api/v1/domains/{domain}/archive-prefs
 *   PATCH  /api/v1/domains/{domain}/archive-prefs
 *          {enabled?, tier_gb?, rows_list?, rows_search?, archive_spam?}
 *   GET    /api/v1/domains/{domain}/archive-whitelist
 *   POST   /api/v1/domains/{domain}/archive-whitelist  {sender_domain}
 *   DELETE /api/v1/domains/{domain}/archive-whitelist/{name}
 *   GET    /api/v1/domains/{domain}/archive-volumes
 *   GET    /api/v1/domains/{domain}/archive-volumes/{serial}/download
 *   POST   /api/v1/domains/{domain}/archive-volumes/{serial}/received
 *
 * Called by http.c through api-routes.c, in casier-mgmtd (unprivileged).
 * Thin: parsing and answers; the rules are in service-archive.c.  The
 * download streams the volume file (written by casier-archive, readable
 * by the casier group) from its descriptor (http_response_file), so
 * 4.7 GB volumes go out without being read into memory; see
 * docs/archive.md.
 */
#include "api-archive.h"

#include "api-common.h"
#include "service-archive.h"

#include "str.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *
item_json(const struct svc_archive_item *it)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, "
			 "s:b}",
			 "id", (json_int_t)it->id, "arrived_at", it->arrived_at,
			 "sender", it->sender, "from", it->from, "to", it->to,
			 "subject", it->subject, "recipients", it->recipients,
			 "message_id", it->message_id, "size_bytes",
			 (json_int_t)it->size_bytes, "stored_bytes",
			 (json_int_t)it->stored_bytes, "spam", it->spam);
}

/* The {id} path parameter: a positive decimal; false answers 404. */
static bool
msg_id(struct http_request *req, struct http_response *resp, long long *id_r)
{
	const char *s = http_request_param(req, "id");
	char *end;
	long long v;

	errno = 0;
	v = s != NULL ? strtoll(s, &end, 10) : 0;
	if (s == NULL || *s < '0' || *s > '9' || *end != '\0' || errno != 0 ||
	    v <= 0) {
		struct svc_result res;

		svc_result_set(&res, SVC_NOT_FOUND, "", "no such message");
		api_error(resp, &res);
		return false;
	}
	*id_r = v;
	return true;
}

void
api_archive_list(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_result res;
	struct svc_archive_list l;
	struct svc_archive_query q = {
	    .sender = http_request_query(req, "sender"),
	    .recipient = http_request_query(req, "recipient"),
	    .subject = http_request_query(req, "subject"),
	    .after = http_request_query(req, "after"),
	    .before = http_request_query(req, "before"),
	};
	const char *lim = http_request_query(req, "limit");
	unsigned int limit = 0;
	json_t *items;

	if (!api_auth(req, resp, &id))
		return;
	if (lim != NULL) {
		char *end;
		long v = strtol(lim, &end, 10);

		if (*lim < '0' || *lim > '9' || *end != '\0' || v < 1 ||
		    v > SVC_LIMIT_MAX) {
			svc_result_set(&res, SVC_BAD_REQUEST, "limit",
				       "limit: 1 to %d", SVC_LIMIT_MAX);
			api_error(resp, &res);
			return;
		}
		limit = (unsigned int)v;
	}
	if (svc_archive_list(API_SVC(req), &id,
			     http_request_param(req, "domain"), &q, limit,
			     http_request_query(req, "cursor"), &l, &res) < 0) {
		api_error(resp, &res);
		return;
	}
	items = json_array();
	for (size_t i = 0; i < l.n; i++)
		json_array_append_new(items, item_json(&l.items[i]));
	api_json(
	    resp, 200,
	    json_pack("{s:o, s:o, s:I}", "items", items, "next_cursor",
		      l.next[0] != '\0' ? json_string(l.next) : json_null(),
		      "limit", (json_int_t)l.limit));
	svc_archive_list_free(&l);
}

void
api_archive_get(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_result res;
	struct svc_archive_item it;
	long long mid;

	if (!api_auth(req, resp, &id) || !msg_id(req, resp, &mid))
		return;
	if (svc_archive_get(API_SVC(req), &id,
			    http_request_param(req, "domain"), mid, &it,
			    &res) < 0)
		api_error(resp, &res);
	else
		api_json(resp, 200, item_json(&it));
}

void
api_archive_resend(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_result res;
	long long mid;

	if (!api_auth(req, resp, &id) || !msg_id(req, resp, &mid))
		return;
	if (svc_archive_resend(API_SVC(req), &id,
			       http_request_param(req, "domain"), mid,
			       &res) < 0)
		api_error(resp, &res);
	else
		api_json(resp, 202, json_pack("{s:s}", "status", "queued"));
}

void
api_archive_delete(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_result res;
	long long mid;

	if (!api_auth(req, resp, &id) || !msg_id(req, resp, &mid))
		return;
	if (svc_archive_delete(API_SVC(req), &id,
			       http_request_param(req, "domain"), mid,
			       &res) < 0)
		api_error(resp, &res);
	else
		api_no_content(resp);
}

static json_t *
prefs_json(const struct svc_archive_prefs *p)
{
	return json_pack("{s:s, s:b, s:i, s:i, s:i, s:b, s:I, s:I, s:I, s:I}",
			 "domain", p->domain, "enabled", p->enabled, "tier_gb",
			 p->tier_gb, "rows_list", p->rows_list, "rows_search",
			 p->rows_search, "archive_spam", p->archive_spam,
			 "online_bytes", (json_int_t)p->online_bytes,
			 "online_messages", (json_int_t)p->online_messages,
			 "cellar_bytes", (json_int_t)p->cellar_bytes,
			 "cellar_messages", (json_int_t)p->cellar_messages);
}

void
api_archive_prefs_get(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_result res;
	struct svc_archive_prefs p;

	if (!api_auth(req, resp, &id))
		return;
	if (svc_archive_prefs_get(API_SVC(req), &id,
				  http_request_param(req, "domain"), &p,
				  &res) < 0)
		api_error(resp, &res);
	else
		api_json(resp, 200, prefs_json(&p));
}

static const struct json_field prefs_fields[] = {
    {"enabled", JSON_FIELD_BOOL, false},
    {"tier_gb", JSON_FIELD_INT, false},
    {"rows_list", JSON_FIELD_INT, false},
    {"rows_search", JSON_FIELD_INT, false},
    {"archive_spam", JSON_FIELD_BOOL, false},
};

/* An int field within [0, 1000] (larger values fail validation). */
static int
small_int(json_t *obj, const char *name)
{
	long long v = json_get_int(obj, name, 0);

	return v > 1000 ? 1001 : (int)v;
}

void
api_archive_prefs_patch(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_result res;
	struct svc_archive_prefs p;
	struct svc_archive_prefs_input in = {0};
	json_t *obj;

	if (!api_auth(req, resp, &id))
		return;
	if (!api_body(req, resp, prefs_fields, CASIER_ARRAY_LEN(prefs_fields),
		      &obj))
		return;
	if ((in.has_enabled = json_has(obj, "enabled")))
		in.enabled = json_get_bool(obj, "enabled", false);
	if ((in.has_tier = json_has(obj, "tier_gb")))
		in.tier_gb = small_int(obj, "tier_gb");
	if ((in.has_rows_list = json_has(obj, "rows_list")))
		in.rows_list = small_int(obj, "rows_list");
	if ((in.has_rows_search = json_has(obj, "rows_search")))
		in.rows_search = small_int(obj, "rows_search");
	if ((in.has_archive_spam = json_has(obj, "archive_spam")))
		in.archive_spam = json_get_bool(obj, "archive_spam", false);
	if (svc_archive_prefs_set(API_SVC(req), &id,
				  http_request_param(req, "domain"), &in, &p,
				  &res) < 0)
		api_error(resp, &res);
	else
		api_json(resp, 200, prefs_json(&p));
	json_decref(obj);
}

void
api_archive_whitelist_list(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_result res;
	struct svc_targets t;

	if (!api_auth(req, resp, &id))
		return;
	if (svc_archive_whitelist_list(API_SVC(req), &id,
				       http_request_param(req, "domain"), &t,
				       &res) < 0) {
		api_error(resp, &res);
		return;
	}
	api_json(resp, 200,
		 json_pack("{s:o}", "items", api_strings_json(t.items, t.n)));
	svc_targets_free(&t);
}

static const struct json_field whitelist_fields[] = {
    {"sender_domain", JSON_FIELD_STRING, true},
};

void
api_archive_whitelist_add(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_result res;
	json_t *obj;

	if (!api_auth(req, resp, &id))
		return;
	if (!api_body(req, resp, whitelist_fields,
		      CASIER_ARRAY_LEN(whitelist_fields), &obj))
		return;
	if (svc_archive_whitelist_add(
		API_SVC(req), &id, http_request_param(req, "domain"),
		json_get_string(obj, "sender_domain"), &res) < 0)
		api_error(resp, &res);
	else
		api_json(resp, 201,
			 json_pack("{s:s}", "sender_domain",
				   json_get_string(obj, "sender_domain")));
	json_decref(obj);
}

void
api_archive_whitelist_delete(struct http_request *req,
			     struct http_response *resp)
{
	struct svc_identity id;
	struct svc_result res;

	if (!api_auth(req, resp, &id))
		return;
	if (svc_archive_whitelist_remove(
		API_SVC(req), &id, http_request_param(req, "domain"),
		http_request_param(req, "name"), &res) < 0)
		api_error(resp, &res);
	else
		api_no_content(resp);
}

void
api_archive_volume_list(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_result res;
	struct svc_archive_volume_list l;
	json_t *items;

	if (!api_auth(req, resp, &id))
		return;
	if (svc_archive_volume_list(API_SVC(req), &id,
				    http_request_param(req, "domain"), &l,
				    &res) < 0) {
		api_error(resp, &res);
		return;
	}
	items = json_array();
	for (size_t i = 0; i < l.n; i++) {
		const struct svc_archive_volume *v = &l.items[i];

		json_array_append_new(
		    items,
		    json_pack(
			"{s:s, s:s, s:s?, s:s?, s:I, s:I, s:b}", "serial",
			v->serial, "created_at", v->created_at, "downloaded_at",
			v->downloaded_at[0] != '\0' ? v->downloaded_at : NULL,
			"received_at",
			v->received_at[0] != '\0' ? v->received_at : NULL,
			"messages", (json_int_t)v->messages, "size_bytes",
			(json_int_t)v->size_bytes, "available", v->available));
	}
	api_json(resp, 200, json_pack("{s:o}", "items", items));
	svc_archive_volume_list_free(&l);
}

void
api_archive_volume_download(struct http_request *req,
			    struct http_response *resp)
{
	struct svc_identity id;
	struct svc_result res;
	const char *serial = http_request_param(req, "serial");
	const char *domain = http_request_param(req, "domain");
	char path[4096], name[SVC_NAME_MAX + 64], disp[SVC_NAME_MAX + 128];

	if (!api_auth(req, resp, &id))
		return;
	if (svc_archive_volume_download(API_SVC(req), &id, domain, serial, path,
					sizeof(path), &res) < 0) {
		api_error(resp, &res);
		return;
	}
	/* streamed from the file by http.c: no size limit, no copy */
	if (http_response_file(resp, path, "application/zstd") < 0) {
		svc_result_set(&res,
			       errno == ENOENT ? SVC_NOT_FOUND : SVC_TEMPFAIL,
			       "", "the volume file is not available");
		api_error(resp, &res);
		return;
	}
	svc_archive_volume_filename(name, sizeof(name), domain, serial);
	if (casier_snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"",
			    name) >= 0)
		(void)http_response_header(resp, "Content-Disposition", disp);
}

void
api_archive_volume_received(struct http_request *req,
			    struct http_response *resp)
{
	struct svc_identity id;
	struct svc_result res;

	if (!api_auth(req, resp, &id))
		return;
	if (svc_archive_volume_receive(
		API_SVC(req), &id, http_request_param(req, "domain"),
		http_request_param(req, "serial"), &res) < 0)
		api_error(resp, &res);
	else
		api_no_content(resp);
}
