/* Socket Mode messages (Slack docs, "Using Socket Mode"): what arrives on
 * the websocket, decoded. Pure and fuzzed: whatever the bytes, a decode
 * either fills the struct or fails with SB_ERR_INVALID, never crashes.
 *
 * Ownership: sm_decode() fills *out with a parsed tree it owns;
 * sm_envelope_free() releases it. The strings and `payload` point into that
 * tree and live as long as the envelope. */
#ifndef SB_SLACK_SM_ENVELOPE_H
#define SB_SLACK_SM_ENVELOPE_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "util/rc.h"

enum sm_type {
	SM_HELLO,
	SM_DISCONNECT,
	SM_EVENTS_API,
	SM_SLASH_COMMANDS,
	SM_INTERACTIVE,
	SM_OTHER, /* a type this version does not know: acked, not handled */
};

struct sm_envelope {
	enum sm_type type;
	const char *type_name;   /* as sent */
	const char *envelope_id; /* "" for hello and disconnect */
	int accepts_response_payload;
	int retry_attempt;        /* events_api: 0 on the first delivery */
	const char *retry_reason; /* events_api: "" or e.g. "timeout" */
	const char *event_id;     /* events_api: payload.event_id, "" if none */
	const char *reason;       /* disconnect: warning, refresh_requested, link_disabled,
	                             too_many_websockets, or what Slack sent */
	int num_connections;      /* hello; 0 if absent */
	const cJSON *payload;     /* NULL for hello and disconnect */
	cJSON *root;
};

/* SB_ERR_INVALID: not JSON, not an object, no string "type", or an
 * events_api / slash_commands / interactive message without an
 * envelope_id or an object payload. */
enum sb_rc sm_decode(const char *text, size_t len, struct sm_envelope *out);
void sm_envelope_free(struct sm_envelope *e);

#endif
