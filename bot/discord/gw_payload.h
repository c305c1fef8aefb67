/* Decoding gateway payloads ({"op":…,"d":…,"s":…,"t":…}) from outside
 * input, in one place (STYLE 8), and cheaply: most dispatches a study bot
 * receives are ignored, so the envelope is read by a scanner that finds the
 * four top-level keys and hands back `d` as a span of the original text
 * without building a tree. Only what the bot acts on is parsed with cJSON.
 *
 * Everything here is pure and fuzzed (tests/fuzz/fuzz_gateway.c).
 * Ownership: spans point into the caller's buffer (borrowed); the decode_*
 * functions fill fixed-size fields of the caller's struct (ids as uint64_t,
 * strings copied and cut to their field's size) and allocate nothing. */
#ifndef SB_DISCORD_GW_PAYLOAD_H
#define SB_DISCORD_GW_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "util/rc.h"

enum gw_op {
	GW_OP_DISPATCH = 0,
	GW_OP_HEARTBEAT = 1,
	GW_OP_IDENTIFY = 2,
	GW_OP_PRESENCE = 3,
	GW_OP_VOICE_STATE = 4,
	GW_OP_RESUME = 6,
	GW_OP_RECONNECT = 7,
	GW_OP_REQUEST_MEMBERS = 8,
	GW_OP_INVALID_SESSION = 9,
	GW_OP_HELLO = 10,
	GW_OP_HEARTBEAT_ACK = 11,
};

struct gw_span {
	const char *p; /* NULL when absent */
	size_t n;
};

struct gw_envelope {
	int op;           /* -1 when absent */
	int64_t s;        /* -1 when absent or null */
	char t[48];       /* event name, "" when absent or null */
	struct gw_span d; /* raw JSON value of "d" (may be "null") */
};

/* Scans a complete payload. SB_ERR_INVALID when it is not a JSON object
 * whose top-level keys are well-formed (values are skipped, not built;
 * nesting is capped at 64); unknown keys are ignored. Also SB_ERR_INVALID:
 * trailing bytes after the object, a second "op"/"s"/"t"/"d", an "op" that
 * is not an integer in [0, INT_MAX], an "s" that is neither null nor an
 * integer in [0, INT64_MAX], a "t" that is neither null nor a string
 * fitting in t (escapes decoded). Keys are compared after decoding escapes.
 * On error *e is left as if the payload were empty. */
enum sb_rc gw_envelope_decode(const char *json, size_t len, struct gw_envelope *e);

/* Finds a top-level key of a JSON object span and returns its raw value
 * span (p = NULL if absent or the span is not an object). Keys are compared
 * after decoding escapes; with duplicates the first one wins, as in cJSON.
 * The object is validated up to the value returned (an envelope's d has
 * been validated whole by gw_envelope_decode). */
struct gw_span gw_json_key(struct gw_span obj, const char *key);
/* Added: several keys of one object in a single pass (each gw_json_key
 * call scans the object again; a handler that needs four fields of a 1 KB
 * dispatch would otherwise pay four scans). out[i] is keys[i]'s value, as
 * gw_json_key would return it; NULL keys and keys past GW_JSON_KEYS_MAX are
 * not looked for. Returns how many were found. */
#define GW_JSON_KEYS_MAX 16
size_t gw_json_keys(struct gw_span obj, const char *const *keys, struct gw_span *out, size_t n);
/* A JSON string or snowflake-string value as uint64_t; 0 when it is not one.
 * Discord ids are strings ("1234"); plain numbers are accepted too. Digits
 * only: no sign, no leading zero, no escape, nothing past UINT64_MAX. */
uint64_t gw_span_id(struct gw_span v);
/* true/false value; -1 otherwise. */
int gw_span_bool(struct gw_span v);

struct gw_hello {
	uint32_t heartbeat_interval_ms; /* 0 when missing: a protocol error */
};
/* SB_ERR_INVALID unless d has a heartbeat_interval in [1, UINT32_MAX]. */
enum sb_rc gw_decode_hello(struct gw_span d, struct gw_hello *h);

struct gw_ready {
	char session_id[128];
	char resume_gateway_url[256];
	uint64_t user_id, application_id;
	char user_name[64];
	int shard_id, shard_count; /* -1 when absent */
	size_t guilds;
};
/* Required: session_id and resume_gateway_url (ws:// or wss://), both
 * printable ASCII that fits whole (a cut one would be wrong, so too long is
 * SB_ERR_INVALID), user.id (a snowflake string) and user.username (cut to
 * fit at a UTF-8 boundary). Optional, but checked when present:
 * application.id, shard [id, count] with 0 <= id < count, guilds (an array,
 * counted). */
enum sb_rc gw_decode_ready(struct gw_span d, struct gw_ready *r);

/* GET /gateway/bot */
struct gw_bot_info {
	char url[256];
	int shards;
	int sl_total, sl_remaining, sl_max_concurrency;
	uint64_t sl_reset_after_ms;
};
/* url (ws:// or wss://, whole), shards >= 1 and session_start_limit's
 * total, remaining, reset_after are required; a missing max_concurrency
 * (older responses) means 1. Trailing bytes after the object are refused. */
enum sb_rc gw_decode_gateway_bot(const char *json, size_t len, struct gw_bot_info *b);

#endif
