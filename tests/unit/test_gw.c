/* The pure parts of the Discord gateway client: the envelope scanner and
 * span helpers, the READY / HELLO / GET /gateway/bot decoders, zlib-stream
 * inflation, the close-code table, the send limiter and the backoff.
 *
 * Every JSON input is copied into a malloc'ed buffer of exactly its length
 * (no NUL after it), so that AddressSanitizer catches a read past the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "discord/gw_inflate.h"
#include "discord/gw_payload.h"
#include "discord/gw_policy.h"
#include "util/str.h"

/* Payloads as Discord sends them (ids and tokens made up). */
static const char hello_json[] =
    "{\"t\":null,\"s\":null,\"op\":10,\"d\":{\"heartbeat_interval\":41250,\"_trace\":[\"["
    "\\\"gateway-prd-us-east1-b-7h2k\\\",{\\\"micros\\\":0.0}]\"]}}";

static const char ready_d[] =
    "{\"v\":10,\"user_settings\":{},\"user\":{\"verified\":true,\"username\":\"studybot\","
    "\"mfa_enabled\":false,\"id\":\"1200000000000000000\",\"global_name\":null,\"flags\":0,"
    "\"email\":null,\"discriminator\":\"4821\",\"bot\":true,\"avatar\":null},\"session_type\":"
    "\"normal\",\"session_id\":\"9f3c2a7d5b1e4c08a6f2d9e1b3c5a7f0\",\"resume_gateway_url\":"
    "\"wss://gateway-us-east1-b.discord.gg\",\"relationships\":[],\"private_channels\":[],"
    "\"presences\":[],\"guilds\":[{\"unavailable\":true,\"id\":\"1100000000000000004\"},"
    "{\"unavailable\":true,\"id\":\"1100000000000000005\"}],\"guild_join_requests\":[],"
    "\"geo_ordered_rtc_regions\":[\"us-east\",\"us-central\"],\"auth\":{},\"application\":{"
    "\"id\":\"1200000000000000001\",\"flags\":8953856},\"_trace\":[\"[\\\"gateway-prd-us-"
    "east1-b-7h2k\\\",{\\\"micros\\\":118232}]\"],\"shard\":[0,1]}";

static const char message_create_json[] =
    "{\"t\":\"MESSAGE_CREATE\",\"s\":5,\"op\":0,\"d\":{\"type\":0,\"tts\":false,\"timestamp\":"
    "\"2024-05-14T09:12:45.123000+00:00\",\"referenced_message\":null,\"pinned\":false,"
    "\"nonce\":\"1239876543210987520\",\"mentions\":[],\"mention_roles\":[],"
    "\"mention_everyone\":false,\"member\":{\"roles\":[\"1100000000000000001\"],"
    "\"premium_since\":null,\"pending\":false,\"nick\":null,\"mute\":false,\"joined_at\":"
    "\"2023-01-02T10:00:00.000000+00:00\",\"flags\":0,\"deaf\":false,"
    "\"communication_disabled_until\":null,\"avatar\":null},\"id\":\"1239876543210987521\","
    "\"flags\":0,\"embeds\":[],\"edited_timestamp\":null,\"content\":\"A QuerySet is lazy: "
    "filter() returns a new QuerySet and nothing hits the database until you iterate. "
    "select_related follows foreign keys with a JOIN; prefetch_related runs a second query "
    "\\u2014 \\\"N+1\\\" is what you get without them \\ud83d\\ude00\",\"components\":[],"
    "\"channel_id\":\"1100000000000000002\",\"author\":{\"username\":\"ada\",\"public_flags\":0,"
    "\"id\":\"1100000000000000003\",\"global_name\":\"Ada L.\",\"discriminator\":\"0\","
    "\"avatar_decoration_data\":null,\"avatar\":\"a1b2c3d4e5f60718293a4b5c6d7e8f90\"},"
    "\"attachments\":[],\"guild_id\":\"1100000000000000004\"}}";

static const char interaction_json[] =
    "{\"t\":\"INTERACTION_CREATE\",\"s\":12,\"op\":0,\"d\":{\"version\":1,\"type\":2,\"token\":"
    "\"aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OTpzZWNyZXQ\",\"member\":{\"user\":{"
    "\"username\":\"ada\",\"id\":\"1100000000000000003\",\"global_name\":\"Ada L.\","
    "\"discriminator\":\"0\",\"avatar\":null},\"roles\":[],\"permissions\":\"2248473465835073\","
    "\"nick\":null,\"joined_at\":\"2023-01-02T10:00:00.000000+00:00\"},\"locale\":\"en-US\","
    "\"id\":\"1239876543210987600\",\"guild_locale\":\"en-US\",\"guild_id\":"
    "\"1100000000000000004\",\"entitlements\":[],\"data\":{\"type\":1,\"options\":[{\"type\":1,"
    "\"options\":[],\"name\":\"leaderboard\"}],\"name\":\"study\",\"id\":\"1200000000000000002\"},"
    "\"channel_id\":\"1100000000000000002\",\"application_id\":\"1200000000000000001\","
    "\"app_permissions\":\"562949953421311\"}}";

/* An exact-length heap copy: no NUL after it. */
static char *dup_exact(const char *s, size_t n)
{
	char *p = malloc(n ? n : 1);
	assert_non_null(p);
	if (n)
		memcpy(p, s, n);
	return p;
}

/* Decodes s from an exact copy; the copy is returned for spans into it. */
static enum sb_rc decode(const char *s, struct gw_envelope *e, char **copy)
{
	size_t n = strlen(s);
	char *c = dup_exact(s, n);
	enum sb_rc rc = gw_envelope_decode(c, n, e);
	if (copy)
		*copy = c;
	else
		free(c);
	return rc;
}

static int span_eq(struct gw_span v, const char *want)
{
	return v.p && v.n == strlen(want) && memcmp(v.p, want, v.n) == 0;
}

static struct gw_span span_of(const char *s)
{
	return (struct gw_span){s, strlen(s)};
}

/* --- the envelope --- */

static void envelope_real_payloads(void **state)
{
	(void)state;
	struct gw_envelope e;
	char *c;

	assert_int_equal(decode(hello_json, &e, &c), SB_OK);
	assert_int_equal(e.op, GW_OP_HELLO);
	assert_int_equal(e.s, -1);
	assert_string_equal(e.t, "");
	assert_non_null(e.d.p);
	assert_int_equal(e.d.p[0], '{');
	assert_int_equal(e.d.p[e.d.n - 1], '}');
	struct gw_hello h;
	assert_int_equal(gw_decode_hello(e.d, &h), SB_OK);
	assert_int_equal(h.heartbeat_interval_ms, 41250);
	free(c);

	assert_int_equal(decode(message_create_json, &e, &c), SB_OK);
	assert_int_equal(e.op, GW_OP_DISPATCH);
	assert_int_equal(e.s, 5);
	assert_string_equal(e.t, "MESSAGE_CREATE");
	assert_int_equal(gw_span_id(gw_json_key(e.d, "id")), 1239876543210987521ull);
	assert_int_equal(gw_span_id(gw_json_key(e.d, "channel_id")), 1100000000000000002ull);
	assert_int_equal(gw_span_id(gw_json_key(gw_json_key(e.d, "author"), "id")),
	                 1100000000000000003ull);
	assert_int_equal(gw_span_bool(gw_json_key(e.d, "tts")), 0);
	assert_true(span_eq(gw_json_key(e.d, "referenced_message"), "null"));
	struct gw_span content = gw_json_key(e.d, "content");
	assert_non_null(content.p);
	assert_int_equal(content.p[0], '"');
	free(c);

	assert_int_equal(decode(interaction_json, &e, &c), SB_OK);
	assert_int_equal(e.op, 0);
	assert_int_equal(e.s, 12);
	assert_string_equal(e.t, "INTERACTION_CREATE");
	struct gw_span data = gw_json_key(e.d, "data");
	assert_true(span_eq(gw_json_key(data, "name"), "\"study\""));
	assert_true(span_eq(gw_json_key(e.d, "type"), "2"));
	assert_int_equal(gw_span_id(gw_json_key(e.d, "application_id")), 1200000000000000001ull);
	free(c);

	/* Heartbeat ACK, as sent (d null) and as documented (op only). */
	assert_int_equal(decode("{\"t\":null,\"s\":null,\"op\":11,\"d\":null}", &e, &c), SB_OK);
	assert_int_equal(e.op, GW_OP_HEARTBEAT_ACK);
	assert_int_equal(e.s, -1);
	assert_true(span_eq(e.d, "null"));
	free(c);
	assert_int_equal(decode("{\"op\":11}", &e, NULL), SB_OK);
	assert_int_equal(e.op, 11);
	assert_null(e.d.p);

	/* Invalid session, not resumable / resumable; reconnect; heartbeat request. */
	assert_int_equal(decode("{\"t\":null,\"s\":null,\"op\":9,\"d\":false}", &e, &c), SB_OK);
	assert_int_equal(e.op, GW_OP_INVALID_SESSION);
	assert_int_equal(gw_span_bool(e.d), 0);
	free(c);
	assert_int_equal(decode("{\"op\":9,\"d\":true}", &e, &c), SB_OK);
	assert_int_equal(gw_span_bool(e.d), 1);
	free(c);
	assert_int_equal(decode("{\"t\":null,\"s\":null,\"op\":7,\"d\":null}", &e, NULL), SB_OK);
	assert_int_equal(e.op, GW_OP_RECONNECT);
	assert_int_equal(decode("{\"op\":1,\"d\":251}", &e, &c), SB_OK);
	assert_int_equal(e.op, GW_OP_HEARTBEAT);
	assert_true(span_eq(e.d, "251"));
	free(c);

	/* READY and RESUMED */
	char ready[2048];
	snprintf(ready, sizeof ready, "{\"t\":\"READY\",\"s\":1,\"op\":0,\"d\":%s}", ready_d);
	assert_int_equal(decode(ready, &e, &c), SB_OK);
	assert_string_equal(e.t, "READY");
	assert_int_equal(e.s, 1);
	assert_true(span_eq(e.d, ready_d));
	free(c);
	assert_int_equal(decode("{\"t\":\"RESUMED\",\"s\":9000000000,\"op\":0,\"d\":{}}", &e, NULL),
	                 SB_OK);
	assert_int_equal(e.s, 9000000000ll);
}

static void envelope_whitespace(void **state)
{
	(void)state;
	struct gw_envelope e;
	char *c;
	assert_int_equal(
	    decode(
	        " \r\n\t{ \"op\" :\t0 ,\n\"s\"\r:\n42 , \"t\" : \"X\" ,\"d\" : [ 1 , { } ] }\n\t ",
	        &e, &c),
	    SB_OK);
	assert_int_equal(e.op, 0);
	assert_int_equal(e.s, 42);
	assert_string_equal(e.t, "X");
	assert_true(span_eq(e.d, "[ 1 , { } ]")); /* the value only, no white space around */
	free(c);
	assert_int_equal(decode("{}", &e, NULL), SB_OK);
	assert_int_equal(decode("{ }", &e, NULL), SB_OK);
	assert_int_equal(decode("\v{}", &e, NULL), SB_ERR_INVALID); /* not JSON white space */
	assert_int_equal(decode("{}\f", &e, NULL), SB_ERR_INVALID);
}

static void envelope_escapes(void **state)
{
	(void)state;
	struct gw_envelope e;
	char *c;
	/* Keys compared after decoding escapes. */
	assert_int_equal(
	    decode("{\"\\u006fp\":3,\"\\u0073\":7,\"\\u0074\":\"A\",\"\\u0064\":1}", &e, &c),
	    SB_OK);
	assert_int_equal(e.op, 3);
	assert_int_equal(e.s, 7);
	assert_string_equal(e.t, "A");
	assert_true(span_eq(e.d, "1"));
	free(c);
	/* t decoded: simple escapes, \u in every UTF-8 length, a surrogate pair, a lone one. */
	assert_int_equal(decode("{\"t\":\"A\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u20ac\\ud83d\\ude00"
	                        "\\udc00Z\"}",
	                        &e, NULL),
	                 SB_OK);
	assert_string_equal(e.t,
	                    "A\"\\/\b\f\n\r\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbdZ");
	/* Escapes in skipped values, including ones that look like structure. */
	assert_int_equal(
	    decode("{\"x\":\"}\\\"{[\\\\\",\"op\":2,\"y\":[\"]\",\"\\u005d\"]}", &e, NULL), SB_OK);
	assert_int_equal(e.op, 2);
	/* Raw UTF-8 passes through. */
	assert_int_equal(decode("{\"t\":\"\xc3\xa9t\xc3\xa9\",\"op\":0}", &e, NULL), SB_OK);
	assert_string_equal(e.t, "\xc3\xa9t\xc3\xa9");
}

/* Strings are scanned eight bytes at a time: every byte value at every
 * offset of a word (and of the tail after the last whole word) must be
 * judged as the byte-by-byte rule says, with the string's end found
 * exactly. */
static void envelope_string_bytes(void **state)
{
	(void)state;
	for (int b = 0; b < 256; b++) {
		for (size_t len = 1; len <= 19; len++) {
			for (size_t off = 0; off < len; off++) {
				char text[64];
				size_t n = 0;
				memcpy(text, "{\"t\":\"", 6);
				n = 6;
				memset(text + n, 'A', len);
				text[n + off] = (char)b;
				n += len;
				memcpy(text + n, "\"}", 2);
				n += 2;
				char *c = dup_exact(text, n);
				struct gw_envelope e;
				enum sb_rc rc = gw_envelope_decode(c, n, &e);
				free(c);
				int plain = b >= 0x20 && b != '"' && b != '\\';
				if (plain != (rc == SB_OK))
					fail_msg("byte 0x%02x at %zu of %zu: rc %d", b, off, len,
					         rc);
				if (plain && (strlen(e.t) != len || (unsigned char)e.t[off] != b))
					fail_msg("byte 0x%02x at %zu of %zu: t wrong", b, off, len);
			}
		}
	}
	/* A backslash at every offset: its escape is taken whole. */
	for (size_t off = 0; off < 17; off++) {
		char text[64] = "{\"t\":\"";
		memset(text + 6, 'A', off);
		strcpy(text + 6 + off, "\\\"B\"}");
		struct gw_envelope e;
		assert_int_equal(decode(text, &e, NULL), SB_OK);
		assert_int_equal(strlen(e.t), off + 2);
		assert_int_equal(e.t[off], '"');
	}
}

static void envelope_missing_and_duplicates(void **state)
{
	(void)state;
	struct gw_envelope e;
	assert_int_equal(decode("{}", &e, NULL), SB_OK);
	assert_int_equal(e.op, -1);
	assert_int_equal(e.s, -1);
	assert_string_equal(e.t, "");
	assert_null(e.d.p);
	assert_int_equal(decode("{\"d\":{\"op\":1,\"s\":2,\"t\":\"T\"}}", &e, NULL), SB_OK);
	assert_int_equal(e.op, -1); /* keys inside d are not the envelope's */
	assert_string_equal(e.t, "");
	/* A second op/s/t/d, however spelled, is refused; other duplicates are ignored. */
	static const char *const dups[] = {
	    "{\"op\":0,\"op\":1}",     "{\"s\":1,\"s\":null}",    "{\"t\":\"A\",\"t\":\"B\"}",
	    "{\"d\":1,\"d\":1}",       "{\"d\":1,\"\\u0064\":1}", "{\"op\":0,\"d\":null,\"op\":0}",
	    "{\"t\":null,\"t\":null}",
	};
	for (size_t i = 0; i < sizeof dups / sizeof dups[0]; i++)
		if (decode(dups[i], &e, NULL) != SB_ERR_INVALID)
			fail_msg("duplicate accepted: %s", dups[i]);
	assert_int_equal(decode("{\"x\":1,\"x\":2,\"op\":4}", &e, NULL), SB_OK);
	assert_int_equal(e.op, 4);
}

static void envelope_malformed(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "",
	    " ",
	    "null",
	    "[]",
	    "\"op\"",
	    "{",
	    "}",
	    "{{}}",
	    "{\"op\"}",
	    "{\"op\":}",
	    "{\"op\" 1}",
	    "{\"op\":1,}",
	    "{,}",
	    "{,\"op\":1}",
	    "{\"op\":1 \"s\":2}",
	    "{\"op\":1}x",
	    "{\"op\":1}{}",
	    "{op:1}",
	    "{'op':1}",
	    "\xef\xbb\xbf{}",
	    "{\"op\":01}",
	    "{\"op\":-1}",
	    "{\"op\":-0}",
	    "{\"op\":1.5}",
	    "{\"op\":1e2}",
	    "{\"op\":\"1\"}",
	    "{\"op\":null}",
	    "{\"op\":true}",
	    "{\"op\":2147483648}",
	    "{\"op\":99999999999999999999999}",
	    "{\"s\":-1}",
	    "{\"s\":1.0}",
	    "{\"s\":\"1\"}",
	    "{\"s\":9223372036854775808}",
	    "{\"t\":5}",
	    "{\"t\":[]}",
	    "{\"t\":\"012345678901234567890123456789012345678901234567\"}",      /* 48 bytes */
	    "{\"t\":\"\\u00e91234567890123456789012345678901234567890123456\"}", /* 48 decoded */
	    "{\"t\":\"A\\u0000B\"}",
	    "{\"x\":\"\\x\"}",
	    "{\"x\":\"\\u12\"}",
	    "{\"x\":\"\\u12G4\"}",
	    "{\"x\":\"\\\"}",
	    "{\"x\":\"a\nb\"}",
	    "{\"x\":\"a\tb\"}",
	    "{\"x\":\"\x1f\"}",
	    "{\"x\":tru}",
	    "{\"x\":nul}",
	    "{\"x\":True}",
	    "{\"x\":NaN}",
	    "{\"x\":Infinity}",
	    "{\"x\":-}",
	    "{\"x\":1.}",
	    "{\"x\":.5}",
	    "{\"x\":1e}",
	    "{\"x\":1e+}",
	    "{\"x\":+1}",
	    "{\"x\":-01}",
	    "{\"x\":0x10}",
	    "{\"x\":[1,]}",
	    "{\"x\":[,1]}",
	    "{\"x\":[1 2]}",
	    "{\"x\":[}",
	    "{\"x\":{]}",
	    "{\"x\":{\"a\"}}",
	    "{\"x\":{1:2}}",
	    "{\"x\":\"unterminated}",
	};
	struct gw_envelope e;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (decode(bad[i], &e, NULL) != SB_ERR_INVALID)
			fail_msg("accepted: %s", bad[i]);
		assert_int_equal(e.op, -1);
		assert_null(e.d.p);
	}
	/* A 47-byte event name fits. */
	assert_int_equal(
	    decode("{\"t\":\"01234567890123456789012345678901234567890123456\"}", &e, NULL), SB_OK);
	assert_int_equal(strlen(e.t), 47);
	/* A NUL byte: inside a string it is a control character, after the object garbage. */
	char withnul[] = "{\"x\":\"a\0\"}";
	char *c = dup_exact(withnul, sizeof withnul - 1);
	assert_int_equal(gw_envelope_decode(c, sizeof withnul - 1, &e), SB_ERR_INVALID);
	free(c);
	c = dup_exact("{}\0", 3);
	assert_int_equal(gw_envelope_decode(c, 3, &e), SB_ERR_INVALID);
	free(c);
	assert_int_equal(gw_envelope_decode(NULL, 0, &e), SB_ERR_INVALID);
}

/* A proper prefix of an object is never a whole one: every cut of a valid
 * payload is refused, from an exact-length buffer (ASan sees any overread). */
static void envelope_truncated(void **state)
{
	(void)state;
	char ready[2048];
	snprintf(ready, sizeof ready, "{\"t\":\"READY\",\"s\":1,\"op\":0,\"d\":%s}", ready_d);
	const char *const payloads[] = {hello_json, message_create_json, interaction_json, ready,
	                                "{\"op\":11}"};
	for (size_t i = 0; i < sizeof payloads / sizeof payloads[0]; i++) {
		size_t n = strlen(payloads[i]);
		for (size_t cut = 0; cut < n; cut++) {
			char *c = dup_exact(payloads[i], cut);
			struct gw_envelope e;
			if (gw_envelope_decode(c, cut, &e) != SB_ERR_INVALID)
				fail_msg("payload %zu accepted cut at %zu", i, cut);
			free(c);
		}
		char *c = dup_exact(payloads[i], n);
		struct gw_envelope e;
		assert_int_equal(gw_envelope_decode(c, n, &e), SB_OK);
		free(c);
	}
	/* The buffer's next byte would complete it, but is not ours to read. */
	char text[] = "{\"op\":1}";
	struct gw_envelope e;
	assert_int_equal(gw_envelope_decode(text, sizeof text - 2, &e), SB_ERR_INVALID);
}

static char *nested(size_t depth, char open, char close)
{
	const char *head = "{\"op\":0,\"d\":";
	size_t hn = strlen(head);
	char *s = malloc(hn + 2 * depth + 2);
	assert_non_null(s);
	memcpy(s, head, hn);
	memset(s + hn, open, depth);
	memset(s + hn + depth, close, depth);
	s[hn + 2 * depth] = '}';
	s[hn + 2 * depth + 1] = '\0';
	return s;
}

static void envelope_deep_nesting(void **state)
{
	(void)state;
	struct gw_envelope e;
	/* The envelope is one level: d may nest 63 more, not 64. */
	char *s = nested(63, '[', ']');
	assert_int_equal(decode(s, &e, NULL), SB_OK);
	free(s);
	s = nested(64, '[', ']');
	assert_int_equal(decode(s, &e, NULL), SB_ERR_INVALID);
	free(s);
	s = nested(200000, '[', ']'); /* refused early, no deep recursion */
	assert_int_equal(decode(s, &e, NULL), SB_ERR_INVALID);
	free(s);

	char obj[4096] = "{\"d\":";
	for (int i = 0; i < 62; i++)
		strcat(obj, "{\"a\":");
	strcat(obj, "1");
	for (int i = 0; i < 62; i++)
		strcat(obj, "}");
	strcat(obj, "}");
	assert_int_equal(decode(obj, &e, NULL), SB_OK); /* 1 + 62 objects */
	char obj2[4096] = "{\"d\":";
	for (int i = 0; i < 64; i++)
		strcat(obj2, "{\"a\":");
	strcat(obj2, "1");
	for (int i = 0; i < 64; i++)
		strcat(obj2, "}");
	strcat(obj2, "}");
	assert_int_equal(decode(obj2, &e, NULL), SB_ERR_INVALID);
}

/* --- spans --- */

static void json_key(void **state)
{
	(void)state;
	struct gw_envelope e;
	char *c;
	assert_int_equal(decode(message_create_json, &e, &c), SB_OK);
	struct gw_span author = gw_json_key(e.d, "author");
	assert_non_null(author.p);
	assert_true(span_eq(gw_json_key(author, "username"), "\"ada\""));
	assert_true(span_eq(gw_json_key(author, "avatar_decoration_data"), "null"));
	assert_null(gw_json_key(e.d, "username").p); /* only nested */
	assert_null(gw_json_key(e.d, "nope").p);
	assert_null(gw_json_key(e.d, "").p);
	assert_null(gw_json_key(gw_json_key(e.d, "content"), "id").p); /* not an object */
	assert_true(span_eq(gw_json_key(e.d, "mentions"), "[]"));
	free(c);

	static const struct {
		const char *obj, *key, *want; /* want NULL: not found */
	} cases[] = {
	    {"{\"a\":1,\"b\":2}", "b", "2"},
	    {"  { \"a\" : \"x\\\"y\" , \"b\" : [1,{\"a\":3}] }  ", "a", "\"x\\\"y\""},
	    {"{\"a\":1,\"a\":2}", "a", "1"}, /* first wins, as with cJSON */
	    {"{\"\\u0061\\u00e9\":true}", "a\xc3\xa9", "true"},
	    {"{\"\\ud83d\\ude00\":1}", "\xf0\x9f\x98\x80", "1"},
	    {"{\"a\\/b\":1}", "a/b", "1"},
	    {"{\"a\\/b\":1}", "a\\/b", NULL},
	    {"{\"ab\":1}", "a", NULL},
	    {"{\"a\":1}", "ab", NULL},
	    {"{\"x\":\"a\",\"y\":\"b\"}", "a", NULL}, /* values are not keys */
	    {"{}", "a", NULL},
	    {"[\"a\",1]", "a", NULL},
	    {"\"a\"", "a", NULL},
	    {"{\"a\":}", "a", NULL},
	    {"{\"b\":[,\"a\":1}", "a", NULL},
	    {"{\"a\":tru}", "a", NULL},
	    {"{\"a\"", "a", NULL},
	    {"", "a", NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t n = strlen(cases[i].obj);
		char *o = dup_exact(cases[i].obj, n);
		struct gw_span v = gw_json_key((struct gw_span){o, n}, cases[i].key);
		if (cases[i].want ? !span_eq(v, cases[i].want) : v.p != NULL)
			fail_msg("case %zu: %s in %s", i, cases[i].key, cases[i].obj);
		free(o);
	}
	assert_null(gw_json_key((struct gw_span){NULL, 0}, "a").p);
	assert_null(gw_json_key(span_of("{\"a\":1}"), NULL).p);
}

/* Several keys in one pass: the same answers as one gw_json_key each. */
static void json_keys(void **state)
{
	(void)state;
	struct gw_envelope e;
	char *c;
	assert_int_equal(decode(message_create_json, &e, &c), SB_OK);
	const char *const keys[] = {"channel_id", "author", "nope", NULL, "content", "id", "id"};
	enum { NK = sizeof keys / sizeof keys[0] };
	struct gw_span out[NK];
	assert_int_equal(gw_json_keys(e.d, keys, out, NK), 5);
	for (size_t i = 0; i < NK; i++) {
		struct gw_span one =
		    keys[i] ? gw_json_key(e.d, keys[i]) : (struct gw_span){NULL, 0};
		assert_ptr_equal(out[i].p, one.p);
		assert_int_equal(out[i].n, one.n);
	}
	assert_null(out[2].p);
	assert_null(out[3].p);
	assert_int_equal(gw_span_id(out[0]), 1100000000000000002ull);
	free(c);

	/* Keys before a syntax error are found, keys after it are not. */
	const char *bad = "{\"a\":1,\"b\":[,\"c\":2}";
	char *o = dup_exact(bad, strlen(bad));
	const char *const abc[] = {"c", "a"};
	struct gw_span v[2];
	assert_int_equal(gw_json_keys((struct gw_span){o, strlen(bad)}, abc, v, 2), 1);
	assert_null(v[0].p);
	assert_true(span_eq(v[1], "1"));
	free(o);

	/* Past GW_JSON_KEYS_MAX keys are not looked for. */
	const char *many[GW_JSON_KEYS_MAX + 1];
	struct gw_span mv[GW_JSON_KEYS_MAX + 1];
	for (size_t i = 0; i <= GW_JSON_KEYS_MAX; i++)
		many[i] = "a";
	assert_int_equal(gw_json_keys(span_of("{\"a\":7}"), many, mv, GW_JSON_KEYS_MAX + 1),
	                 GW_JSON_KEYS_MAX);
	assert_true(span_eq(mv[0], "7"));
	assert_null(mv[GW_JSON_KEYS_MAX].p);
	assert_int_equal(gw_json_keys(span_of("[]"), abc, v, 2), 0);
	assert_null(v[0].p);
	assert_int_equal(gw_json_keys(span_of("{}"), abc, v, 0), 0);
}

static void span_id_and_bool(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		uint64_t want;
	} cases[] = {
	    {"\"1234\"", 1234},
	    {"1234", 1234},
	    {"\"1100000000000000003\"", 1100000000000000003ull},
	    {"\"18446744073709551615\"", UINT64_MAX},
	    {"\"18446744073709551616\"", 0},
	    {"18446744073709551616", 0},
	    {"\"99999999999999999999\"", 0},
	    {"\"184467440737095516150\"", 0},
	    {"\"\"", 0},
	    {"\"", 0},
	    {"\"1234", 0},
	    {"1234\"", 0},
	    {"\"0\"", 0},
	    {"\"012\"", 0},
	    {"\"-1\"", 0},
	    {"-1", 0},
	    {"\"+1\"", 0},
	    {"\" 1\"", 0},
	    {"\"12a\"", 0},
	    {"1.5", 0},
	    {"1e3", 0},
	    {"\"\\u0031\"", 0},
	    {"null", 0},
	    {"true", 0},
	    {"{}", 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t n = strlen(cases[i].in);
		char *c = dup_exact(cases[i].in, n);
		uint64_t got = gw_span_id((struct gw_span){c, n});
		if (got != cases[i].want)
			fail_msg("%s -> %llu", cases[i].in, (unsigned long long)got);
		free(c);
	}
	assert_int_equal(gw_span_id((struct gw_span){NULL, 0}), 0);
	assert_int_equal(gw_span_bool(span_of("true")), 1);
	assert_int_equal(gw_span_bool(span_of("false")), 0);
	assert_int_equal(gw_span_bool(span_of("null")), -1);
	assert_int_equal(gw_span_bool(span_of("truex")), -1);
	assert_int_equal(gw_span_bool(span_of("\"true\"")), -1);
	assert_int_equal(gw_span_bool((struct gw_span){"true", 3}), -1);
	assert_int_equal(gw_span_bool((struct gw_span){NULL, 0}), -1);
}

/* --- decoders --- */

static void hello(void **state)
{
	(void)state;
	static const struct {
		const char *d;
		uint32_t want; /* 0: invalid */
	} cases[] = {
	    {"{\"heartbeat_interval\":41250}", 41250},
	    {" { \"_trace\" : [] , \"heartbeat_interval\" : 45000 } ", 45000},
	    {"{\"heartbeat_interval\":4294967295}", 4294967295u},
	    {"{\"heartbeat_interval\":4294967296}", 0},
	    {"{\"heartbeat_interval\":0}", 0},
	    {"{\"heartbeat_interval\":-1}", 0},
	    {"{\"heartbeat_interval\":41250.5}", 0},
	    {"{\"heartbeat_interval\":\"41250\"}", 0},
	    {"{\"heartbeat_interval\":null}", 0},
	    {"{}", 0},
	    {"null", 0},
	    {"[41250]", 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t n = strlen(cases[i].d);
		char *c = dup_exact(cases[i].d, n);
		struct gw_hello h = {12345};
		enum sb_rc rc = gw_decode_hello((struct gw_span){c, n}, &h);
		if (rc != (cases[i].want ? SB_OK : SB_ERR_INVALID) ||
		    h.heartbeat_interval_ms != cases[i].want)
			fail_msg("%s -> %d %u", cases[i].d, rc, h.heartbeat_interval_ms);
		free(c);
	}
	struct gw_hello h;
	assert_int_equal(gw_decode_hello((struct gw_span){NULL, 0}, &h), SB_ERR_INVALID);
}

static enum sb_rc ready_of(const char *d, struct gw_ready *r)
{
	size_t n = strlen(d);
	char *c = dup_exact(d, n);
	enum sb_rc rc = gw_decode_ready((struct gw_span){c, n}, r);
	free(c);
	return rc;
}

static void ready(void **state)
{
	(void)state;
	struct gw_ready r;
	assert_int_equal(ready_of(ready_d, &r), SB_OK);
	assert_string_equal(r.session_id, "9f3c2a7d5b1e4c08a6f2d9e1b3c5a7f0");
	assert_string_equal(r.resume_gateway_url, "wss://gateway-us-east1-b.discord.gg");
	assert_int_equal(r.user_id, 1200000000000000000ull);
	assert_string_equal(r.user_name, "studybot");
	assert_int_equal(r.application_id, 1200000000000000001ull);
	assert_int_equal(r.shard_id, 0);
	assert_int_equal(r.shard_count, 1);
	assert_int_equal(r.guilds, 2);

	/* The minimum: no shard, guilds or application. */
	const char *min = "{\"session_id\":\"abc\",\"resume_gateway_url\":\"ws://127.0.0.1:9/\","
	                  "\"user\":{\"id\":\"7\",\"username\":\"b\"}}";
	assert_int_equal(ready_of(min, &r), SB_OK);
	assert_int_equal(r.shard_id, -1);
	assert_int_equal(r.shard_count, -1);
	assert_int_equal(r.guilds, 0);
	assert_int_equal(r.application_id, 0);

	/* A long username is cut at a character boundary: 31 × "é" then "€€"
	 * is 68 bytes; 63 would end inside the first "€". */
	char d[1024], name[256] = "";
	for (int i = 0; i < 31; i++)
		strcat(name, "\xc3\xa9");
	strcat(name, "\xe2\x82\xac\xe2\x82\xac");
	snprintf(
	    d, sizeof d,
	    "{\"session_id\":\"abc\",\"resume_gateway_url\":\"wss://g\",\"user\":{\"id\":\"7\","
	    "\"username\":\"%s\"}}",
	    name);
	assert_int_equal(ready_of(d, &r), SB_OK);
	assert_int_equal(strlen(r.user_name), 62);
	assert_int_equal(utf8_invalid_at(r.user_name, strlen(r.user_name)), strlen(r.user_name));
	assert_memory_equal(r.user_name, name, 62);

	char longid[200], longurl[400];
	memset(longid, 'a', 128);
	longid[128] = '\0';
	strcpy(longurl, "wss://");
	memset(longurl + 6, 'g', 250);
	longurl[256] = '\0';
	char fit_id[200];
	memset(fit_id, 'a', 127);
	fit_id[127] = '\0';

	const char *user = "\"user\":{\"id\":\"7\",\"username\":\"b\"}";
	static char bad[32][700];
	int nb = 0;
	snprintf(bad[nb++], 700, "{\"session_id\":\"%s\",\"resume_gateway_url\":\"wss://g\",%s}",
	         longid, user);
	snprintf(bad[nb++], 700, "{\"session_id\":\"a\",\"resume_gateway_url\":\"%s\",%s}", longurl,
	         user);
	snprintf(bad[nb++], 700, "{\"session_id\":\"a\",\"resume_gateway_url\":\"https://g\",%s}",
	         user);
	snprintf(bad[nb++], 700, "{\"session_id\":\"a b\",\"resume_gateway_url\":\"wss://g\",%s}",
	         user);
	snprintf(bad[nb++], 700, "{\"session_id\":\"\",\"resume_gateway_url\":\"wss://g\",%s}",
	         user);
	snprintf(bad[nb++], 700, "{\"session_id\":5,\"resume_gateway_url\":\"wss://g\",%s}", user);
	snprintf(bad[nb++], 700, "{\"resume_gateway_url\":\"wss://g\",%s}", user);
	snprintf(bad[nb++], 700, "{\"session_id\":\"a\",%s}", user);
	snprintf(bad[nb++], 700, "{\"session_id\":\"a\",\"resume_gateway_url\":\"wss://g\"}");
	snprintf(bad[nb++], 700,
	         "{\"session_id\":\"a\",\"resume_gateway_url\":\"wss://g\",\"user\":{\"id\":7,"
	         "\"username\":\"b\"}}");
	snprintf(
	    bad[nb++], 700,
	    "{\"session_id\":\"a\",\"resume_gateway_url\":\"wss://g\",\"user\":{\"id\":\"7\"}}");
	snprintf(bad[nb++], 700,
	         "{\"session_id\":\"a\",\"resume_gateway_url\":\"wss://g\",\"user\":[]}");
	snprintf(bad[nb++], 700,
	         "{\"session_id\":\"a\",\"resume_gateway_url\":\"wss://g\",%s,"
	         "\"shard\":[1,1]}",
	         user);
	snprintf(bad[nb++], 700,
	         "{\"session_id\":\"a\",\"resume_gateway_url\":\"wss://g\",%s,"
	         "\"shard\":[0]}",
	         user);
	snprintf(bad[nb++], 700,
	         "{\"session_id\":\"a\",\"resume_gateway_url\":\"wss://g\",%s,"
	         "\"shard\":[0,1.5]}",
	         user);
	snprintf(bad[nb++], 700,
	         "{\"session_id\":\"a\",\"resume_gateway_url\":\"wss://g\",%s,"
	         "\"shard\":[-1,2]}",
	         user);
	snprintf(bad[nb++], 700,
	         "{\"session_id\":\"a\",\"resume_gateway_url\":\"wss://g\",%s,"
	         "\"guilds\":{}}",
	         user);
	snprintf(bad[nb++], 700,
	         "{\"session_id\":\"a\",\"resume_gateway_url\":\"wss://g\",%s,"
	         "\"application\":{\"id\":\"x\"}}",
	         user);
	snprintf(bad[nb++], 700, "{\"session_id\":\"a\",\"resume_gateway_url\":\"wss://g\",%s} x",
	         user);
	snprintf(bad[nb++], 700, "null");
	snprintf(bad[nb++], 700, "[]");
	snprintf(bad[nb++], 700, "{");
	for (int i = 0; i < nb; i++) {
		r.shard_id = 5;
		if (ready_of(bad[i], &r) != SB_ERR_INVALID)
			fail_msg("accepted: %s", bad[i]);
		assert_string_equal(r.session_id, "");
		assert_int_equal(r.shard_id, -1);
	}
	snprintf(d, sizeof d, "{\"session_id\":\"%s\",\"resume_gateway_url\":\"wss://g\",%s}",
	         fit_id, user);
	assert_int_equal(ready_of(d, &r), SB_OK);
	assert_int_equal(strlen(r.session_id), 127);
	assert_int_equal(gw_decode_ready((struct gw_span){NULL, 0}, &r), SB_ERR_INVALID);
}

static enum sb_rc bot_of(const char *s, struct gw_bot_info *b)
{
	size_t n = strlen(s);
	char *c = dup_exact(s, n);
	enum sb_rc rc = gw_decode_gateway_bot(c, n, b);
	free(c);
	return rc;
}

static void gateway_bot(void **state)
{
	(void)state;
	struct gw_bot_info b;
	assert_int_equal(bot_of("{\n  \"url\": \"wss://gateway.discord.gg\",\n  \"shards\": 9,\n"
	                        "  \"session_start_limit\": {\n    \"total\": 1000,\n"
	                        "    \"remaining\": 999,\n    \"reset_after\": 14400000,\n"
	                        "    \"max_concurrency\": 1\n  }\n}\n",
	                        &b),
	                 SB_OK);
	assert_string_equal(b.url, "wss://gateway.discord.gg");
	assert_int_equal(b.shards, 9);
	assert_int_equal(b.sl_total, 1000);
	assert_int_equal(b.sl_remaining, 999);
	assert_int_equal(b.sl_reset_after_ms, 14400000);
	assert_int_equal(b.sl_max_concurrency, 1);

	assert_int_equal(
	    bot_of("{\"url\":\"ws://127.0.0.1:4000\",\"shards\":1,\"session_start_limit\":"
	           "{\"total\":1000,\"remaining\":0,\"reset_after\":86400000}}",
	           &b),
	    SB_OK);
	assert_int_equal(b.sl_max_concurrency, 1); /* older responses lack it */
	assert_int_equal(b.sl_remaining, 0);
	assert_int_equal(b.sl_reset_after_ms, 86400000);

	static const char *const bad[] = {
	    "{\"shards\":1,\"session_start_limit\":{\"total\":1,\"remaining\":1,\"reset_after\":1}"
	    "}",
	    "{\"url\":\"wss://g\",\"session_start_limit\":{\"total\":1,\"remaining\":1,"
	    "\"reset_after\":1}}",
	    "{\"url\":\"wss://g\",\"shards\":1}",
	    "{\"url\":\"https://"
	    "g\",\"shards\":1,\"session_start_limit\":{\"total\":1,\"remaining\":1,"
	    "\"reset_after\":1}}",
	    "{\"url\":\"wss://"
	    "g\",\"shards\":0,\"session_start_limit\":{\"total\":1,\"remaining\":1,"
	    "\"reset_after\":1}}",
	    "{\"url\":\"wss://g\",\"shards\":\"9\",\"session_start_limit\":{\"total\":1,"
	    "\"remaining\":1,\"reset_after\":1}}",
	    "{\"url\":\"wss://"
	    "g\",\"shards\":1.5,\"session_start_limit\":{\"total\":1,\"remaining\":1,"
	    "\"reset_after\":1}}",
	    "{\"url\":\"wss://"
	    "g\",\"shards\":1,\"session_start_limit\":{\"total\":1,\"remaining\":-1,"
	    "\"reset_after\":1}}",
	    "{\"url\":\"wss://"
	    "g\",\"shards\":1,\"session_start_limit\":{\"total\":1,\"remaining\":1,"
	    "\"reset_after\":1e300}}",
	    "{\"url\":\"wss://"
	    "g\",\"shards\":1,\"session_start_limit\":{\"total\":1,\"remaining\":1,"
	    "\"reset_after\":1,\"max_concurrency\":0}}",
	    "{\"url\":\"wss://g\",\"shards\":1,\"session_start_limit\":[]}",
	    "{\"url\":\"wss://"
	    "g\",\"shards\":1,\"session_start_limit\":{\"total\":1,\"remaining\":1,"
	    "\"reset_after\":1}} trailing",
	    "{\"url\":5}",
	    "",
	    "[]",
	    "{\"message\": \"401: Unauthorized\", \"code\": 0}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (bot_of(bad[i], &b) != SB_ERR_INVALID)
			fail_msg("accepted: %s", bad[i]);
		assert_string_equal(b.url, "");
	}
	assert_int_equal(gw_decode_gateway_bot(NULL, 0, &b), SB_ERR_INVALID);
}

/* --- zlib-stream --- */

struct zmsgs {
	size_t n;
	const char *text[8];
	size_t len[8];
	unsigned char *z; /* all messages, compressed as one stream */
	size_t zlen;
	size_t end[8]; /* where each message's compressed bytes end in z */
};

/* One deflate context for all messages, each ended with Z_SYNC_FLUSH: what
 * Discord does on a zlib-stream connection. */
static void zcompress(struct zmsgs *m)
{
	z_stream zs;
	memset(&zs, 0, sizeof zs);
	assert_int_equal(deflateInit(&zs, Z_DEFAULT_COMPRESSION), Z_OK);
	size_t cap = 1 << 20;
	m->z = malloc(cap);
	assert_non_null(m->z);
	m->zlen = 0;
	for (size_t i = 0; i < m->n; i++) {
		zs.next_in = (unsigned char *)(uintptr_t)m->text[i];
		zs.avail_in = (uInt)m->len[i];
		do {
			zs.next_out = m->z + m->zlen;
			zs.avail_out = (uInt)(cap - m->zlen);
			assert_int_equal(deflate(&zs, Z_SYNC_FLUSH), Z_OK);
			m->zlen = cap - zs.avail_out;
		} while (zs.avail_in > 0);
		m->end[i] = m->zlen;
		assert_memory_equal(m->z + m->zlen - 4, "\x00\x00\xff\xff", 4);
	}
	deflateEnd(&zs);
}

static char big_text[100000];

static void zmsgs_make(struct zmsgs *m)
{
	memset(m, 0, sizeof *m);
	/* A large, compressible one: several output chunks per message. */
	size_t o = 0;
	o +=
	    (size_t)snprintf(big_text, sizeof big_text, "{\"op\":0,\"t\":\"GUILD_CREATE\",\"d\":[");
	for (int i = 0; o < sizeof big_text - 64; i++)
		o += (size_t)snprintf(big_text + o, sizeof big_text - o,
		                      "%s{\"id\":\"%d\",\"unavailable\":true}", i ? "," : "",
		                      1000000 + i % 100);
	snprintf(big_text + o, sizeof big_text - o, "]}");
	const char *texts[] = {hello_json,          "{\"op\":11}",
	                       message_create_json, big_text,
	                       interaction_json,    "{\"t\":null,\"s\":null,\"op\":11,\"d\":null}"};
	m->n = sizeof texts / sizeof texts[0];
	for (size_t i = 0; i < m->n; i++) {
		m->text[i] = texts[i];
		m->len[i] = strlen(texts[i]);
	}
	zcompress(m);
}

/* Feeds z[from, to) as one frame; when a message comes out, checks it is
 * the next one expected. */
static void feed(struct gw_inflate *z, const struct zmsgs *m, size_t from, size_t to, size_t *next)
{
	const char *msg;
	size_t len;
	char *frame = dup_exact((const char *)m->z + from, to - from);
	assert_int_equal(gw_inflate_feed(z, frame, to - from, &msg, &len), SB_OK);
	free(frame);
	if (!msg)
		return;
	assert_true(*next < m->n);
	assert_int_equal(len, m->len[*next]);
	assert_memory_equal(msg, m->text[*next], len);
	assert_int_equal(msg[len], '\0');
	(*next)++;
}

static void inflate_whole(void **state)
{
	(void)state;
	struct zmsgs m;
	zmsgs_make(&m);
	struct gw_inflate z;
	gw_inflate_init(&z, 1 << 20);
	size_t next = 0;
	for (size_t i = 0; i < m.n; i++) {
		feed(&z, &m, i ? m.end[i - 1] : 0, m.end[i], &next);
		assert_int_equal(next, i + 1);
	}
	/* A new connection: a new stream, from its first byte. */
	assert_int_equal(gw_inflate_reset(&z), SB_OK);
	next = 0;
	for (size_t i = 0; i < m.n; i++)
		feed(&z, &m, i ? m.end[i - 1] : 0, m.end[i], &next);
	assert_int_equal(next, m.n);
	gw_inflate_free(&z);
	gw_inflate_free(&z); /* twice is harmless */
	free(m.z);
}

/* Every message split in two at every position (the cut for one message
 * at a time; the others whole), and everything one byte per frame. */
static void inflate_split_everywhere(void **state)
{
	(void)state;
	struct zmsgs m;
	zmsgs_make(&m);
	for (size_t cut = 0; cut <= m.zlen; cut++) {
		struct gw_inflate z;
		gw_inflate_init(&z, 1 << 20);
		size_t next = 0, from = 0;
		for (size_t i = 0; i < m.n; i++) {
			if (cut > from && cut < m.end[i]) {
				feed(&z, &m, from, cut, &next);
				assert_int_equal(next, i); /* not complete yet */
				from = cut;
			}
			feed(&z, &m, from, m.end[i], &next);
			if (next != i + 1)
				fail_msg("cut %zu: message %zu not out", cut, i);
			from = m.end[i];
		}
		gw_inflate_free(&z);
	}
	struct gw_inflate z;
	gw_inflate_init(&z, 1 << 20);
	size_t next = 0;
	for (size_t i = 0; i < m.zlen; i++)
		feed(&z, &m, i, i + 1, &next);
	assert_int_equal(next, m.n);
	/* Empty frames change nothing. */
	const char *msg;
	size_t len;
	assert_int_equal(gw_inflate_feed(&z, "", 0, &msg, &len), SB_OK);
	assert_null(msg);
	gw_inflate_free(&z);
	free(m.z);
}

static void inflate_corrupt(void **state)
{
	(void)state;
	struct gw_inflate z;
	const char *msg;
	size_t len;
	gw_inflate_init(&z, 1 << 20);
	/* Not a zlib stream at all. */
	static const char junk[] = "{\"op\":10}\x00\x00\xff\xff";
	assert_int_equal(gw_inflate_feed(&z, junk, sizeof junk - 1, &msg, &len), SB_ERR_INVALID);
	assert_null(msg);
	/* The stream is dead until reset, even for good data. */
	struct zmsgs m;
	zmsgs_make(&m);
	assert_int_equal(gw_inflate_feed(&z, m.z, m.end[0], &msg, &len), SB_ERR_INVALID);
	assert_int_equal(gw_inflate_reset(&z), SB_OK);
	assert_int_equal(gw_inflate_feed(&z, m.z, m.end[0], &msg, &len), SB_OK);
	assert_non_null(msg);

	/* Bad data in the middle of a stream: an invalid block type (11). */
	static const unsigned char badblock[] = {0x07, 0x00, 0x00, 0xff, 0xff};
	assert_int_equal(gw_inflate_feed(&z, badblock, sizeof badblock, &msg, &len),
	                 SB_ERR_INVALID);
	assert_int_equal(gw_inflate_reset(&z), SB_OK);

	/* A message from the middle of a stream, out of context. */
	assert_int_equal(gw_inflate_feed(&z, m.z + m.end[1], m.end[2] - m.end[1], &msg, &len),
	                 SB_ERR_INVALID);

	/* Flipped bytes everywhere in a message never crash; most are refused. */
	for (size_t i = 2; i + 4 < m.end[2]; i++) {
		unsigned char *c = (unsigned char *)dup_exact((const char *)m.z, m.end[2]);
		c[i] ^= 0x5a;
		assert_int_equal(gw_inflate_reset(&z), SB_OK);
		enum sb_rc rc = gw_inflate_feed(&z, c, m.end[2], &msg, &len);
		assert_true(rc == SB_OK || rc == SB_ERR_INVALID || rc == SB_ERR_TOOBIG);
		free(c);
	}

	/* A stream that has ended (Z_FINISH) takes nothing more. */
	unsigned char fin[64];
	uLongf fl = sizeof fin;
	assert_int_equal(compress(fin, &fl, (const Bytef *)"{}", 2), Z_OK);
	unsigned char twice[160];
	memcpy(twice, fin, fl);
	memcpy(twice + fl, "\x02\x00\x00\x00\xff\xff", 6);
	assert_int_equal(gw_inflate_reset(&z), SB_OK);
	assert_int_equal(gw_inflate_feed(&z, twice, fl + 6, &msg, &len), SB_ERR_INVALID);
	gw_inflate_free(&z);
	free(m.z);
}

static void inflate_caps(void **state)
{
	(void)state;
	/* A zlib bomb: 64 MiB of zeros in one small message. */
	size_t big = (size_t)64 << 20;
	unsigned char *zeros = calloc(1, big);
	assert_non_null(zeros);
	z_stream zs;
	memset(&zs, 0, sizeof zs);
	assert_int_equal(deflateInit(&zs, Z_BEST_COMPRESSION), Z_OK);
	size_t cap = 1 << 20;
	unsigned char *out = malloc(cap);
	assert_non_null(out);
	zs.next_in = zeros;
	zs.avail_in = (uInt)big;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	while (zs.avail_in > 0)
		assert_int_equal(deflate(&zs, Z_NO_FLUSH), Z_OK);
	assert_int_equal(deflate(&zs, Z_SYNC_FLUSH), Z_OK);
	size_t zlen = cap - zs.avail_out;
	deflateEnd(&zs);
	free(zeros);
	assert_true(zlen < 128 * 1024);

	struct gw_inflate z;
	const char *msg;
	size_t len;
	gw_inflate_init(&z, 1 << 20);
	assert_int_equal(gw_inflate_feed(&z, out, zlen, &msg, &len), SB_ERR_TOOBIG);
	assert_null(msg);
	assert_true(z.out.cap <= (1 << 20) + 1); /* never held more than the cap */
	assert_int_equal(gw_inflate_feed(&z, out, zlen, &msg, &len), SB_ERR_INVALID); /* dead */
	gw_inflate_free(&z);
	free(out);

	/* Compressed bytes past the cap, before any suffix. */
	gw_inflate_init(&z, 1024);
	char frame[600];
	memset(frame, 0x55, sizeof frame);
	assert_int_equal(gw_inflate_feed(&z, frame, sizeof frame, &msg, &len), SB_OK);
	assert_null(msg);
	assert_int_equal(gw_inflate_feed(&z, frame, sizeof frame, &msg, &len), SB_ERR_TOOBIG);
	gw_inflate_free(&z);

	/* At the cap exactly is fine. */
	struct zmsgs m = {
	    .n = 1, .text = {message_create_json}, .len = {strlen(message_create_json)}};
	zcompress(&m);
	gw_inflate_init(&z, m.len[0] > m.zlen ? m.len[0] : m.zlen);
	size_t next = 0;
	feed(&z, &m, 0, m.zlen, &next);
	assert_int_equal(next, 1);
	gw_inflate_free(&z);
	gw_inflate_init(&z, m.len[0] - 1);
	assert_int_equal(gw_inflate_feed(&z, m.z, m.zlen, &msg, &len), SB_ERR_TOOBIG);
	gw_inflate_free(&z);
	free(m.z);
}

/* The zlib header is checked by hand (the rest is inflated raw): a wrong
 * method, a bad check value or a preset dictionary are refused, also when
 * the header arrives split over two frames. */
static void inflate_header(void **state)
{
	(void)state;
	struct gw_inflate z;
	const char *msg;
	size_t len;
	struct zmsgs m;
	zmsgs_make(&m);
	gw_inflate_init(&z, 1 << 20);
	static const unsigned char bad[][2] = {
	    {0x79, 0x9c}, /* CM 9 */
	    {0x78, 0x9d}, /* FCHECK wrong */
	    {0x78, 0xbb}, /* FDICT set (0x78bb % 31 == 0) */
	    {0x88, 0x98}, /* CINFO 8: a 64 KiB window does not exist */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		unsigned char *c = (unsigned char *)dup_exact((const char *)m.z, m.end[0]);
		c[0] = bad[i][0];
		c[1] = bad[i][1];
		assert_int_equal(gw_inflate_reset(&z), SB_OK);
		assert_int_equal(gw_inflate_feed(&z, c, m.end[0], &msg, &len), SB_ERR_INVALID);
		free(c);
	}
	/* One header byte in a frame of its own (a flush ends neither). */
	assert_int_equal(gw_inflate_reset(&z), SB_OK);
	size_t next = 0;
	feed(&z, &m, 0, 1, &next);
	feed(&z, &m, 1, m.end[0], &next);
	assert_int_equal(next, 1);
	gw_inflate_free(&z);
	free(m.z);
}

/* --- policy --- */

/* Identify turns: one per 5 s per rate-limit key (id % max_concurrency),
 * all shards on one budget of session starts. */
static void identify_gate(void **state)
{
	(void)state;
	struct gw_idgate g;
	int budget;
	gw_idgate_init(&g, 1, 1000, 1000, 3600000, 0);
	assert_int_equal(gw_idgate_take(&g, 0, 0, &budget), 0);
	assert_int_equal(gw_idgate_take(&g, 1, 0, &budget), 5000); /* same key */
	assert_false(budget);
	assert_int_equal(gw_idgate_take(&g, 1, 4000, &budget), 1000);
	assert_int_equal(gw_idgate_take(&g, 1, 5000, &budget), 0);
	assert_int_equal(gw_idgate_take(&g, 0, 9999, &budget), 1);

	gw_idgate_init(&g, 2, 1000, 1000, 3600000, 0);
	assert_int_equal(gw_idgate_take(&g, 0, 0, &budget), 0);
	assert_int_equal(gw_idgate_take(&g, 1, 0, &budget), 0);    /* key 1 */
	assert_int_equal(gw_idgate_take(&g, 2, 0, &budget), 5000); /* key 0 again */
	assert_int_equal(gw_idgate_take(&g, 3, 2000, &budget), 3000);

	/* The budget is shared: one start left for everyone, then wait for
	 * the reset, after which it is full again. */
	gw_idgate_init(&g, 16, 5, 1, 60000, 0);
	assert_int_equal(gw_idgate_take(&g, 0, 0, &budget), 0);
	assert_int_equal(gw_idgate_take(&g, 1, 10, &budget), 59990);
	assert_true(budget);
	assert_int_equal(gw_idgate_take(&g, 1, 60000, &budget), 0);
	assert_int_equal(g.remaining, 4);

	/* Unknown total: after the reset, one start at a time. */
	gw_idgate_init(&g, 1, 0, 0, 1000, 0);
	assert_int_equal(gw_idgate_take(&g, 0, 0, &budget), 1000);
	assert_int_equal(gw_idgate_take(&g, 0, 1000, &budget), 0);
}

static void close_table(void **state)
{
	(void)state;
	for (int code = 4000; code <= 4014; code++) {
		const struct gw_close_info *ci = gw_close_lookup(code);
		assert_non_null(ci);
		assert_non_null(ci->name);
		assert_true(ci->name[0] != '\0');
		assert_true(ci->cls == GW_CLOSE_RESUME || ci->cls == GW_CLOSE_NEW_SESSION ||
		            ci->cls == GW_CLOSE_FATAL);
		if (code == 4006) { /* not a gateway code: the unknown entry */
			assert_int_equal(ci->cls, GW_CLOSE_RESUME);
			continue;
		}
		assert_int_equal(ci->code, code);
		int fatal = code == 4004 || code >= 4010;
		assert_int_equal(ci->cls == GW_CLOSE_FATAL, fatal);
		if (fatal) {
			assert_int_equal(ci->exit_code, 3);
			assert_non_null(ci->fix);
			assert_true(strlen(ci->fix) > 20);
		} else {
			assert_int_equal(ci->exit_code, 0);
			assert_null(ci->fix);
		}
	}
	static const struct {
		int code;
		enum gw_close_class cls;
	} cls[] = {
	    {4000, GW_CLOSE_RESUME},      {4001, GW_CLOSE_RESUME},
	    {4002, GW_CLOSE_RESUME},      {4003, GW_CLOSE_NEW_SESSION},
	    {4005, GW_CLOSE_RESUME},      {4007, GW_CLOSE_NEW_SESSION},
	    {4008, GW_CLOSE_RESUME},      {4009, GW_CLOSE_NEW_SESSION},
	    {1000, GW_CLOSE_NEW_SESSION}, {1001, GW_CLOSE_NEW_SESSION},
	    {1006, GW_CLOSE_RESUME},      {1011, GW_CLOSE_RESUME},
	    {1012, GW_CLOSE_RESUME},      {4015, GW_CLOSE_RESUME},
	    {0, GW_CLOSE_RESUME},         {-1, GW_CLOSE_RESUME},
	    {65535, GW_CLOSE_RESUME},
	};
	for (size_t i = 0; i < sizeof cls / sizeof cls[0]; i++)
		if (gw_close_lookup(cls[i].code)->cls != cls[i].cls)
			fail_msg("close %d: class %s", cls[i].code,
			         gw_close_class_name(gw_close_lookup(cls[i].code)->cls));
	assert_string_equal(gw_close_lookup(4014)->name, "Disallowed intent(s)");
	assert_string_equal(gw_close_lookup(4004)->name, "Authentication failed");
	assert_non_null(strstr(gw_close_lookup(4014)->fix, "Message Content"));
	assert_non_null(strstr(gw_close_lookup(4014)->fix, "answer_mode = modal"));
	assert_non_null(strstr(gw_close_lookup(4004)->fix, "token_env"));
	assert_non_null(strstr(gw_close_lookup(4011)->fix, "shard = auto"));
	assert_non_null(strstr(gw_close_lookup(4010)->fix, "shard = ID/COUNT"));
	assert_string_equal(gw_close_class_name(GW_CLOSE_FATAL), "fatal");
	assert_string_equal(gw_close_class_name(GW_CLOSE_RESUME), "resume");
	assert_string_equal(gw_close_class_name(GW_CLOSE_NEW_SESSION), "new_session");
}

static void limiter_basic(void **state)
{
	(void)state;
	struct gw_limiter l;
	gw_limiter_init(&l, 5);
	uint64_t t0 = 1000000;
	/* 115 ordinary sends, 10 ms apart. */
	for (int i = 0; i < 115; i++) {
		uint64_t now = t0 + (uint64_t)i * 10;
		assert_int_equal(gw_limiter_wait(&l, 0, now), 0);
		gw_limiter_note(&l, now);
	}
	uint64_t now = t0 + 1150;
	/* The 116th waits until the first leaves the window. */
	assert_int_equal(gw_limiter_wait(&l, 0, now), t0 + 60000 - now);
	/* Heartbeats still have the reserve: 5 of them. */
	for (int i = 0; i < 5; i++) {
		assert_int_equal(gw_limiter_wait(&l, 1, now), 0);
		gw_limiter_note(&l, now);
	}
	assert_int_equal(gw_limiter_wait(&l, 1, now), t0 + 60000 - now);
	/* Ordinary sends now wait for 6 to leave (121 - 115). */
	assert_int_equal(gw_limiter_wait(&l, 0, now), t0 + 50 + 60000 - now);
	/* Time frees the window. */
	assert_int_equal(gw_limiter_wait(&l, 1, t0 + 60000), 0);
	assert_true(gw_limiter_wait(&l, 0, t0 + 60000) > 0);
	assert_int_equal(gw_limiter_wait(&l, 0, t0 + 60050), 0);
	assert_int_equal(gw_limiter_wait(&l, 0, t0 + 200000), 0);
	/* A new connection starts empty. */
	gw_limiter_clear(&l);
	assert_int_equal(l.reserve, 5);
	for (int i = 0; i < 115; i++)
		gw_limiter_note(&l, now);
	assert_true(gw_limiter_wait(&l, 0, now) > 0);

	/* A reserve of the whole window still leaves one ordinary send. */
	gw_limiter_init(&l, 1000);
	assert_int_equal(gw_limiter_wait(&l, 0, 0), 0);
	gw_limiter_note(&l, 0);
	assert_int_equal(gw_limiter_wait(&l, 0, 0), GW_SEND_WINDOW_MS);
	assert_int_equal(gw_limiter_wait(&l, 1, 0), 0);

	/* No reserve: all 120 for anyone. */
	gw_limiter_init(&l, 0);
	for (int i = 0; i < 120; i++) {
		assert_int_equal(gw_limiter_wait(&l, 0, 5), 0);
		gw_limiter_note(&l, 5);
	}
	assert_int_equal(gw_limiter_wait(&l, 0, 5), GW_SEND_WINDOW_MS);
	assert_int_equal(gw_limiter_wait(&l, 1, 5), GW_SEND_WINDOW_MS);
	/* Sends noted past the limit keep the newest, so the wait still holds. */
	gw_limiter_note(&l, 10);
	assert_int_equal(gw_limiter_wait(&l, 1, 10), 60000 - 5);
}

/* Ten simulated minutes of a bot that sends whenever allowed, with a
 * heartbeat every 41.25 s: no 60 s window ever holds more than 120 sends,
 * nor more than 120 - reserve ordinary ones, and no heartbeat ever waits. */
static void limiter_sliding(void **state)
{
	(void)state;
	enum { N = 4000 };
	static uint64_t when[N];
	static int hb[N];
	size_t n = 0;
	struct gw_limiter l;
	gw_limiter_init(&l, 3);
	uint64_t next_hb = 41250;
	for (uint64_t now = 0; now < 600000 && n < N; now += 7) {
		if (now >= next_hb) {
			assert_int_equal(gw_limiter_wait(&l, 1, now), 0);
			gw_limiter_note(&l, now);
			when[n] = now;
			hb[n++] = 1;
			next_hb += 41250;
		}
		if (gw_limiter_wait(&l, 0, now) == 0) {
			gw_limiter_note(&l, now);
			when[n] = now;
			hb[n++] = 0;
		}
	}
	assert_true(n > 1000);
	for (size_t i = 0; i < n; i++) {
		size_t all = 0, ordinary = 0;
		for (size_t j = i; j < n && when[j] < when[i] + GW_SEND_WINDOW_MS; j++) {
			all++;
			ordinary += !hb[j];
		}
		if (all > GW_SEND_LIMIT || ordinary > GW_SEND_LIMIT - 3)
			fail_msg("window at %llu: %zu sends, %zu ordinary",
			         (unsigned long long)when[i], all, ordinary);
	}
}

static void backoff(void **state)
{
	(void)state;
	uint64_t prev = 0;
	for (unsigned a = 0; a < 12; a++) {
		uint64_t base = a < 6 ? 1000u << a : 60000;
		if (base > 60000)
			base = 60000;
		uint64_t mid = gw_backoff_ms(a, 0.5);
		assert_int_equal(mid, base);
		assert_true(mid >= prev); /* grows, then holds */
		prev = mid;
		for (double r = 0.0; r < 1.0; r += 0.0625) {
			uint64_t d = gw_backoff_ms(a, r);
			assert_true(d >= base * 3 / 4);
			assert_true(d < base * 5 / 4);
		}
		assert_true(gw_backoff_ms(a, 0.999999) < base * 5 / 4);
		assert_int_equal(gw_backoff_ms(a, 0.0), base * 3 / 4);
	}
	assert_int_equal(gw_backoff_ms(0, 0.5), 1000);
	assert_int_equal(gw_backoff_ms(1, 0.5), 2000);
	assert_int_equal(gw_backoff_ms(5, 0.5), 32000);
	assert_int_equal(gw_backoff_ms(6, 0.5), 60000);
	assert_int_equal(gw_backoff_ms(4000000000u, 0.5), 60000);
	assert_true(gw_backoff_ms(4000000000u, 0.99) < 75000);
	/* Out-of-range randomness is not trusted. */
	assert_int_equal(gw_backoff_ms(0, 1.0), 1000);
	assert_int_equal(gw_backoff_ms(0, -3.0), 1000);
	assert_int_equal(gw_backoff_ms(0, NAN), 1000);

	assert_int_equal(gw_first_beat_ms(41250, 0.0), 0);
	assert_int_equal(gw_first_beat_ms(41250, 0.5), 20625);
	assert_true(gw_first_beat_ms(41250, 0.999999) < 41250);
	assert_int_equal(gw_first_beat_ms(41250, 7.0), 20625);
	assert_true(gw_first_beat_ms(UINT32_MAX, 0.999999) < UINT32_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(envelope_real_payloads),
	    cmocka_unit_test(envelope_whitespace),
	    cmocka_unit_test(envelope_escapes),
	    cmocka_unit_test(envelope_string_bytes),
	    cmocka_unit_test(envelope_missing_and_duplicates),
	    cmocka_unit_test(envelope_malformed),
	    cmocka_unit_test(envelope_truncated),
	    cmocka_unit_test(envelope_deep_nesting),
	    cmocka_unit_test(json_key),
	    cmocka_unit_test(json_keys),
	    cmocka_unit_test(span_id_and_bool),
	    cmocka_unit_test(hello),
	    cmocka_unit_test(ready),
	    cmocka_unit_test(gateway_bot),
	    cmocka_unit_test(inflate_whole),
	    cmocka_unit_test(inflate_split_everywhere),
	    cmocka_unit_test(inflate_corrupt),
	    cmocka_unit_test(inflate_caps),
	    cmocka_unit_test(inflate_header),
	    cmocka_unit_test(identify_gate),
	    cmocka_unit_test(close_table),
	    cmocka_unit_test(limiter_basic),
	    cmocka_unit_test(limiter_sliding),
	    cmocka_unit_test(backoff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
