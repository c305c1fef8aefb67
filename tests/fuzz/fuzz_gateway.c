/* libFuzzer harness: Discord gateway input. The input is read three ways:
 *   1. as a payload: the envelope scanner, then span lookups on d and the
 *      HELLO / READY decoders when the opcode says so. Whatever the scanner
 *      accepts, cJSON must parse too and agree on op, s and t (when the text
 *      has no \u escape: the scanner accepts lone surrogates, cJSON not);
 *   2. as a GET /gateway/bot response body;
 *   3. as zlib-stream frames: cut after every 00 00 ff ff and at one more
 *      place taken from the input, fed through one inflater, and every
 *      message that comes out is scanned as in 1.
 * The input buffer is exactly `size` bytes, so ASan sees any overread. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "discord/gw_inflate.h"
#include "discord/gw_payload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_span(struct gw_span v, const char *base, size_t len)
{
	if (!v.p)
		return;
	if (v.p < base || v.n > len || (size_t)(v.p - base) > len - v.n)
		abort();
}

/* The scanner accepted it: cJSON must read the same envelope. */
static void cross_check(const char *json, size_t len, const struct gw_envelope *e)
{
	size_t run = 0; /* cJSON reads at most 63 characters of a number */
	for (size_t i = 0; i < len; i++) {
		if (json[i] == '\\' && i + 1 < len && json[i + 1] == 'u')
			return;
		run = strchr("0123456789+-.eE", json[i]) && json[i] ? run + 1 : 0;
		if (run > 60)
			return;
	}
	cJSON *root = cJSON_ParseWithLength(json, len);
	if (!cJSON_IsObject(root))
		abort();
	const cJSON *op = cJSON_GetObjectItemCaseSensitive(root, "op");
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(root, "s");
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "t");
	if (e->op < 0 ? op != NULL : !cJSON_IsNumber(op) || op->valuedouble != (double)e->op)
		abort();
	if (e->s < 0 ? (s && !cJSON_IsNull(s))
	             : !cJSON_IsNumber(s) || (e->s < (1LL << 53) && s->valuedouble != (double)e->s))
		abort();
	if (e->t[0] ? !cJSON_IsString(t) || strcmp(t->valuestring, e->t) != 0
	            : (t && !cJSON_IsNull(t) && !(cJSON_IsString(t) && !t->valuestring[0])))
		abort();
	cJSON_Delete(root);
}

static void payload(const char *json, size_t len)
{
	struct gw_envelope e;
	if (gw_envelope_decode(json, len, &e) != SB_OK)
		return;
	if (strlen(e.t) >= sizeof e.t)
		abort();
	check_span(e.d, json, len);
	cross_check(json, len, &e);

	static const char *const keys[] = {
	    "id",         "content",  "author", "data", "heartbeat_interval",
	    "session_id", "guild_id", "type"};
	enum { NK = sizeof keys / sizeof keys[0] };
	struct gw_span all[NK];
	(void)gw_json_keys(e.d, keys, all, NK);
	for (size_t i = 0; i < NK; i++) {
		struct gw_span v = gw_json_key(e.d, keys[i]);
		if (v.p != all[i].p || v.n != all[i].n) /* one pass or one key: the same */
			abort();
		check_span(v, json, len);
		(void)gw_span_id(v);
		(void)gw_span_bool(v);
		check_span(gw_json_key(v, "id"), json, len);
	}
	(void)gw_span_bool(e.d);
	if (e.op == 10) {
		struct gw_hello h;
		if (gw_decode_hello(e.d, &h) == SB_OK && h.heartbeat_interval_ms == 0)
			abort();
	}
	if (e.op == 0 && strcmp(e.t, "READY") == 0) {
		struct gw_ready r;
		if (gw_decode_ready(e.d, &r) == SB_OK &&
		    (!r.session_id[0] || strlen(r.session_id) >= sizeof r.session_id ||
		     strlen(r.resume_gateway_url) >= sizeof r.resume_gateway_url || !r.user_id ||
		     (r.shard_id >= 0 && r.shard_id >= r.shard_count)))
			abort();
	}
}

/* Small enough that a few KB of input can reach it (a zlib bomb), large
 * enough that a message takes several output chunks. */
#define FUZZ_MAX_MSG (1 << 15)

static void frames(const uint8_t *data, size_t size)
{
	struct gw_inflate z;
	gw_inflate_init(&z, FUZZ_MAX_MSG);
	size_t extra = size ? data[size / 2] % (size + 1) : 0;
	size_t from = 0;
	for (size_t i = 0; i <= size; i++) {
		int suffix = i >= 4 && memcmp(data + i - 4, "\x00\x00\xff\xff", 4) == 0;
		if (i != size && !suffix && i != extra)
			continue;
		if (i == from && i != size)
			continue;
		const char *msg;
		size_t len;
		enum sb_rc rc = gw_inflate_feed(&z, data + from, i - from, &msg, &len);
		from = i;
		if (rc == SB_ERR_INVALID || rc == SB_ERR_TOOBIG) {
			if (msg)
				abort();
			gw_inflate_reset(&z);
			continue;
		}
		if (rc != SB_OK)
			abort();
		if (msg) {
			if (len == 0 || len > FUZZ_MAX_MSG || msg[len] != '\0')
				abort();
			payload(msg, len);
		}
	}
	gw_inflate_free(&z);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	payload((const char *)data, size);

	/* The decoders straight on the input too: shapes the envelope refuses. */
	struct gw_span whole = {(const char *)data, size};
	struct gw_hello h;
	(void)gw_decode_hello(whole, &h);
	struct gw_ready r;
	(void)gw_decode_ready(whole, &r);
	(void)gw_span_id(whole);
	check_span(gw_json_key(whole, "d"), (const char *)data, size);

	struct gw_bot_info b;
	if (gw_decode_gateway_bot((const char *)data, size, &b) == SB_OK &&
	    (b.shards < 1 || b.sl_max_concurrency < 1 || strncmp(b.url, "ws", 2) != 0))
		abort();

	frames(data, size);
	return 0;
}
