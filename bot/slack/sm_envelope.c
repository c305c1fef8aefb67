/* Socket Mode message decoding: one cJSON parse, then typed look-ups with a
 * type check before each access. */
#include "slack/sm_envelope.h"

#include <string.h>

struct type_name {
	const char *name;
	enum sm_type type;
	int needs_envelope; /* must carry an envelope_id and an object payload */
};

static const struct type_name types[] = {
    {"hello", SM_HELLO, 0},
    {"disconnect", SM_DISCONNECT, 0},
    {"events_api", SM_EVENTS_API, 1},
    {"slash_commands", SM_SLASH_COMMANDS, 1},
    {"interactive", SM_INTERACTIVE, 1},
};

static const char *str_of(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) && v->valuestring ? v->valuestring : "";
}

/* A small non-negative count; anything else (absent, not a number, out of
 * range, NaN) is 0. */
static int count_of(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0) || v->valuedouble > 1e6)
		return 0;
	return (int)v->valuedouble;
}

enum sb_rc sm_decode(const char *text, size_t len, struct sm_envelope *out)
{
	const struct type_name *t = NULL;
	const cJSON *type, *payload;

	memset(out, 0, sizeof *out);
	out->root = cJSON_ParseWithLength(text, len);
	if (!cJSON_IsObject(out->root))
		goto invalid;
	type = cJSON_GetObjectItemCaseSensitive(out->root, "type");
	if (!cJSON_IsString(type) || !type->valuestring)
		goto invalid;
	out->type_name = type->valuestring;
	out->type = SM_OTHER;
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (strcmp(types[i].name, out->type_name) == 0) {
			t = &types[i];
			break;
		}
	if (t)
		out->type = t->type;
	out->envelope_id = str_of(out->root, "envelope_id");
	out->accepts_response_payload =
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(out->root, "accepts_response_payload"));
	out->retry_attempt = count_of(out->root, "retry_attempt");
	out->retry_reason = str_of(out->root, "retry_reason");
	out->reason = str_of(out->root, "reason");
	out->num_connections = count_of(out->root, "num_connections");
	out->event_id = "";
	if (out->type == SM_HELLO || out->type == SM_DISCONNECT) {
		/* Neither is acked: whatever else they carry is not ours. */
		out->envelope_id = "";
		return SB_OK;
	}
	payload = cJSON_GetObjectItemCaseSensitive(out->root, "payload");
	if (t && t->needs_envelope && (!out->envelope_id[0] || !cJSON_IsObject(payload)))
		goto invalid;
	out->payload = payload;
	if (out->type == SM_EVENTS_API)
		out->event_id = str_of(payload, "event_id");
	return SB_OK;
invalid:
	sm_envelope_free(out);
	return SB_ERR_INVALID;
}

void sm_envelope_free(struct sm_envelope *e)
{
	if (!e)
		return;
	cJSON_Delete(e->root);
	memset(e, 0, sizeof *e);
}
