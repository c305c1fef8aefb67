/* The pure parts of the Slack Socket Mode client: the message decoder, the
 * apps.connections.open answers, the event_id dedupe ring, the backoff and
 * the URL rule shared with the Discord gateway.
 *
 * Every JSON input is copied into a malloc'ed buffer of exactly its length
 * (no NUL after it), so that AddressSanitizer catches a read past the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/ws_url.h"
#include "slack/sm_envelope.h"
#include "slack/sm_policy.h"

/* Messages as Slack's docs show them ("Using Socket Mode"; ids made up). */
static const char hello_json[] =
    "{\"type\":\"hello\",\"num_connections\":2,\"debug_info\":{\"host\":\"applink-7fc4\","
    "\"build_number\":17,\"approximate_connection_time\":18060},\"connection_info\":{"
    "\"app_id\":\"A0123456789\"}}";

static const char events_json[] =
    "{\"envelope_id\":\"57d6a792-4d35-4d0b-b6aa-3361493e1caf\",\"payload\":{\"token\":\"XXYYZZ\","
    "\"team_id\":\"T0123456789\",\"api_app_id\":\"A0123456789\",\"event\":{\"type\":\"message\","
    "\"channel\":\"C0123456789\",\"user\":\"U0123456789\",\"text\":\"hi\",\"ts\":"
    "\"1700000000.000100\"},\"type\":\"event_callback\",\"event_id\":\"Ev0123456789\","
    "\"event_time\":1700000000},\"type\":\"events_api\",\"accepts_response_payload\":false,"
    "\"retry_attempt\":0,\"retry_reason\":\"\"}";

static const char events_retry_json[] =
    "{\"envelope_id\":\"e2\",\"payload\":{\"event_id\":\"Ev0123456789\",\"event\":{}},"
    "\"type\":\"events_api\",\"accepts_response_payload\":false,\"retry_attempt\":2,"
    "\"retry_reason\":\"timeout\"}";

static const char slash_json[] =
    "{\"envelope_id\":\"bd4c1b58-b8ad-4a4c-9c5e-7a1b1a5f1d22\",\"payload\":{\"token\":\"x\","
    "\"team_id\":\"T0123456789\",\"command\":\"/study\",\"text\":\"leaderboard week\","
    "\"trigger_id\":\"1.2.3\",\"response_url\":\"https://hooks.slack.com/commands/1\"},"
    "\"type\":\"slash_commands\",\"accepts_response_payload\":true}";

static const char interactive_json[] =
    "{\"envelope_id\":\"c3\",\"payload\":{\"type\":\"block_actions\",\"trigger_id\":\"1.2\","
    "\"actions\":[{\"action_id\":\"answer\"}]},\"type\":\"interactive\","
    "\"accepts_response_payload\":false}";

/* Decodes a copy of exactly len bytes. */
static enum sb_rc decode(const char *json, size_t len, struct sm_envelope *e)
{
	char *copy = malloc(len ? len : 1);
	enum sb_rc rc;

	memcpy(copy, json, len);
	rc = sm_decode(copy, len, e);
	free(copy);
	return rc;
}

static enum sb_rc decode_s(const char *json, struct sm_envelope *e)
{
	return decode(json, strlen(json), e);
}

static void decode_hello(void **state)
{
	struct sm_envelope e;

	(void)state;
	assert_int_equal(decode_s(hello_json, &e), SB_OK);
	assert_int_equal(e.type, SM_HELLO);
	assert_string_equal(e.type_name, "hello");
	assert_string_equal(e.envelope_id, "");
	assert_int_equal(e.num_connections, 2);
	assert_null(e.payload);
	sm_envelope_free(&e);

	assert_int_equal(decode_s("{\"type\":\"hello\"}", &e), SB_OK);
	assert_int_equal(e.num_connections, 0);
	sm_envelope_free(&e);
}

static void decode_disconnect(void **state)
{
	static const char *const reasons[] = {"warning", "refresh_requested", "link_disabled",
	                                      "too_many_websockets", "something_new"};
	char json[256];
	struct sm_envelope e;

	(void)state;
	for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++) {
		snprintf(json, sizeof json,
		         "{\"type\":\"disconnect\",\"reason\":\"%s\",\"debug_info\":{\"host\":"
		         "\"applink-7fc4\"}}",
		         reasons[i]);
		assert_int_equal(decode_s(json, &e), SB_OK);
		assert_int_equal(e.type, SM_DISCONNECT);
		assert_string_equal(e.reason, reasons[i]);
		assert_string_equal(e.envelope_id, "");
		assert_null(e.payload);
		sm_envelope_free(&e);
	}
	/* No reason, or not a string: still a disconnect, reason "". */
	assert_int_equal(decode_s("{\"type\":\"disconnect\",\"reason\":7}", &e), SB_OK);
	assert_string_equal(e.reason, "");
	sm_envelope_free(&e);
}

static void decode_events_api(void **state)
{
	struct sm_envelope e;

	(void)state;
	assert_int_equal(decode_s(events_json, &e), SB_OK);
	assert_int_equal(e.type, SM_EVENTS_API);
	assert_string_equal(e.envelope_id, "57d6a792-4d35-4d0b-b6aa-3361493e1caf");
	assert_string_equal(e.event_id, "Ev0123456789");
	assert_int_equal(e.retry_attempt, 0);
	assert_string_equal(e.retry_reason, "");
	assert_false(e.accepts_response_payload);
	assert_non_null(e.payload);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(
	                        cJSON_GetObjectItemCaseSensitive(e.payload, "event"), "type")
	                        ->valuestring,
	                    "message");
	sm_envelope_free(&e);

	assert_int_equal(decode_s(events_retry_json, &e), SB_OK);
	assert_int_equal(e.retry_attempt, 2);
	assert_string_equal(e.retry_reason, "timeout");
	sm_envelope_free(&e);

	/* No event_id: still handed on, with "". */
	assert_int_equal(
	    decode_s("{\"type\":\"events_api\",\"envelope_id\":\"x\",\"payload\":{}}", &e), SB_OK);
	assert_string_equal(e.event_id, "");
	sm_envelope_free(&e);
}

static void decode_slash_and_interactive(void **state)
{
	struct sm_envelope e;

	(void)state;
	assert_int_equal(decode_s(slash_json, &e), SB_OK);
	assert_int_equal(e.type, SM_SLASH_COMMANDS);
	assert_true(e.accepts_response_payload);
	assert_string_equal(e.event_id, "");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(e.payload, "command")->valuestring,
	                    "/study");
	sm_envelope_free(&e);

	assert_int_equal(decode_s(interactive_json, &e), SB_OK);
	assert_int_equal(e.type, SM_INTERACTIVE);
	assert_string_equal(e.envelope_id, "c3");
	assert_false(e.accepts_response_payload);
	sm_envelope_free(&e);
}

static void decode_other(void **state)
{
	struct sm_envelope e;

	(void)state;
	assert_int_equal(
	    decode_s("{\"type\":\"shiny_new\",\"envelope_id\":\"z9\",\"payload\":[1]}", &e), SB_OK);
	assert_int_equal(e.type, SM_OTHER);
	assert_string_equal(e.type_name, "shiny_new");
	assert_string_equal(e.envelope_id, "z9");
	sm_envelope_free(&e);
}

static void decode_retry_fields(void **state)
{
	static const struct {
		const char *attempt;
		int want;
	} cases[] = {
	    {"0", 0}, {"1", 1}, {"3", 3}, {"-1", 0}, {"\"2\"", 0}, {"null", 0}, {"1e300", 0},
	};
	char json[256];
	struct sm_envelope e;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(json, sizeof json,
		         "{\"type\":\"events_api\",\"envelope_id\":\"a\",\"payload\":{},"
		         "\"retry_attempt\":%s,\"retry_reason\":5}",
		         cases[i].attempt);
		assert_int_equal(decode_s(json, &e), SB_OK);
		assert_int_equal(e.retry_attempt, cases[i].want);
		assert_string_equal(e.retry_reason, "");
		sm_envelope_free(&e);
	}
}

static void decode_malformed(void **state)
{
	static const char *const bad[] = {
	    "",
	    "{",
	    "null",
	    "[]",
	    "\"hello\"",
	    "{}",
	    "{\"type\":7}",
	    "{\"type\":null}",
	    "{\"type\":\"hello\"",
	    "{\"type\":\"events_api\",\"payload\":{}}",                      /* no envelope_id */
	    "{\"type\":\"events_api\",\"envelope_id\":\"\",\"payload\":{}}", /* empty one */
	    "{\"type\":\"events_api\",\"envelope_id\":7,\"payload\":{}}",    /* not a string */
	    "{\"type\":\"slash_commands\",\"envelope_id\":\"a\"}",           /* no payload */
	    "{\"type\":\"interactive\",\"envelope_id\":\"a\",\"payload\":\"x\"}", /* not an object
	                                                                           */
	};
	struct sm_envelope e;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(decode_s(bad[i], &e), SB_ERR_INVALID);
		assert_null(e.root);
	}
	/* Cut short by the length, not the NUL. */
	assert_int_equal(decode(events_json, strlen(events_json) - 1, &e), SB_ERR_INVALID);
	sm_envelope_free(&e); /* harmless after a failure */
}

static void open_s(long status, const char *body, const char *retry_after, struct sm_open_result *r)
{
	sm_open_parse(status, body, strlen(body), retry_after, r);
}

static void open_answers(void **state)
{
	struct sm_open_result r;
	static const char ok[] = "{\"ok\":true,\"url\":\"wss://wss-primary.slack.com/link/"
	                         "?ticket=12345678-aaaa&app_id=A0123\"}";

	(void)state;
	sm_open_parse(200, ok, strlen(ok), NULL, &r);
	assert_int_equal(r.outcome, SM_OPEN_OK);
	assert_string_equal(r.url,
	                    "wss://wss-primary.slack.com/link/?ticket=12345678-aaaa&app_id=A0123");

	static const char *const fatal[] = {"invalid_auth", "not_authed", "not_allowed_token_type",
	                                    "account_inactive", "token_revoked"};
	for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++) {
		char body[128];

		snprintf(body, sizeof body, "{\"ok\":false,\"error\":\"%s\"}", fatal[i]);
		sm_open_parse(200, body, strlen(body), NULL, &r);
		assert_int_equal(r.outcome, SM_OPEN_FATAL);
		assert_string_equal(r.error, fatal[i]);
	}

	open_s(429, "", "7", &r);
	assert_int_equal(r.outcome, SM_OPEN_WAIT);
	assert_int_equal(r.wait_ms, 7000);
	open_s(429, "", NULL, &r);
	assert_int_equal(r.outcome, SM_OPEN_WAIT);
	assert_true(r.wait_ms > 0);
	open_s(429, "", "soon", &r);
	assert_true(r.wait_ms > 0);

	sm_open_parse(200, "{\"ok\":false,\"error\":\"internal_error\"}",
	              strlen("{\"ok\":false,\"error\":\"internal_error\"}"), NULL, &r);
	assert_int_equal(r.outcome, SM_OPEN_RETRY);
	assert_string_equal(r.error, "internal_error");
	open_s(503, "<html>", NULL, &r);
	assert_int_equal(r.outcome, SM_OPEN_RETRY);
	assert_string_equal(r.error, "http_503");
	open_s(0, "", NULL, &r);
	assert_int_equal(r.outcome, SM_OPEN_RETRY);
	open_s(200, "{\"ok\":true}", NULL, &r);
	assert_int_equal(r.outcome, SM_OPEN_RETRY);
	assert_string_equal(r.error, "no_url");
	open_s(200, "{\"ok\":true,\"url\":5}", NULL, &r);
	assert_int_equal(r.outcome, SM_OPEN_RETRY);
}

static void dedupe_ring(void **state)
{
	struct sm_seen *s = malloc(sizeof *s);
	char id[32];

	(void)state;
	sm_seen_init(s);
	assert_int_equal(sm_seen_check(s, "Ev1"), 0);
	assert_int_equal(sm_seen_check(s, "Ev1"), 1);
	assert_int_equal(sm_seen_check(s, "Ev2"), 0);
	assert_int_equal(sm_seen_check(s, ""), 0);
	assert_int_equal(sm_seen_check(s, ""), 0); /* no id: never a duplicate */
	assert_int_equal(sm_seen_check(s, NULL), 0);
	/* Ev1 is evicted after SM_SEEN_MAX newer ids; Ev2 one later. */
	for (int i = 0; i < SM_SEEN_MAX - 2; i++) {
		snprintf(id, sizeof id, "EvX%d", i);
		assert_int_equal(sm_seen_check(s, id), 0);
	}
	assert_int_equal(sm_seen_check(s, "Ev2"), 1);
	assert_int_equal(sm_seen_check(s, "EvNew"), 0); /* evicts Ev1 */
	assert_int_equal(sm_seen_check(s, "Ev1"), 0);   /* evicts Ev2, re-records Ev1 */
	assert_int_equal(sm_seen_check(s, "Ev2"), 0);
	assert_int_equal(sm_seen_check(s, "EvX1000"), 1);
	sm_seen_free(s);
	free(s);
}

static void backoff(void **state)
{
	(void)state;
	/* rnd 0.5 is the middle: exactly the base. */
	assert_int_equal(sm_backoff_ms(0, 0.5), 500);
	assert_int_equal(sm_backoff_ms(1, 0.5), 1000);
	assert_int_equal(sm_backoff_ms(5, 0.5), 16000);
	assert_int_equal(sm_backoff_ms(6, 0.5), 30000);
	assert_int_equal(sm_backoff_ms(1000, 0.5), 30000);
	assert_int_equal(sm_backoff_ms(~0u, 0.5), 30000);
	/* ±25 %. */
	assert_int_equal(sm_backoff_ms(0, 0.0), 375);
	assert_true(sm_backoff_ms(0, 0.999999) <= 625 && sm_backoff_ms(0, 0.999999) >= 624);
	assert_int_equal(sm_backoff_ms(9, 0.0), 22500);
	assert_true(sm_backoff_ms(9, 0.999999) <= 37500);
	/* Never shrinks as failures add up, at any draw. */
	for (double r = 0; r < 1; r += 0.125)
		for (unsigned a = 0; a < 20; a++)
			assert_true(sm_backoff_ms(a + 1, r) >= sm_backoff_ms(a, r));
	/* A broken draw is clamped, not trusted. */
	assert_int_equal(sm_backoff_ms(0, -3), 375);
	assert_true(sm_backoff_ms(0, 7) <= 625);
	/* link_disabled: minutes, jittered. */
	assert_int_equal(sm_disabled_ms(0), SM_DISABLED_MIN_MS);
	assert_true(sm_disabled_ms(0.999) < SM_DISABLED_MIN_MS * 3 / 2);
	assert_true(sm_disabled_ms(0.5) > SM_DISABLED_MIN_MS);
}

static void url_rule(void **state)
{
	struct net_url u;

	(void)state;
	assert_int_equal(
	    net_url_split("wss://wss-primary.slack.com/link/?ticket=t&app_id=A", "wss", "ws", &u),
	    SB_OK);
	assert_true(u.tls);
	assert_string_equal(u.host, "wss-primary.slack.com");
	assert_int_equal(u.port, 443);
	assert_string_equal(u.path, "/link/?ticket=t&app_id=A");

	assert_int_equal(net_url_split("ws://127.0.0.1:8123/link?t=1", "wss", "ws", &u), SB_OK);
	assert_false(u.tls);
	assert_int_equal(u.port, 8123);
	assert_string_equal(u.path, "/link?t=1");
	assert_int_equal(net_url_split("ws://localhost:9/", "wss", "ws", &u), SB_OK);

	assert_int_equal(net_url_split("ws://slack.example.com/link", "wss", "ws", &u),
	                 SB_ERR_INVALID);
	assert_non_null(u.why);
	assert_int_equal(net_url_split("http://127.0.0.1/link", "wss", "ws", &u), SB_ERR_INVALID);
	assert_int_equal(net_url_split("not a url", "wss", "ws", &u), SB_ERR_INVALID);
	assert_int_equal(net_url_split(NULL, "wss", "ws", &u), SB_ERR_INVALID);
	assert_int_equal(net_url_split("https://slack.com/api", "https", "http", &u), SB_OK);
	assert_string_equal(u.path, "/api");
	assert_int_equal(net_url_split("http://10.0.0.1/api", "https", "http", &u), SB_ERR_INVALID);
	assert_int_equal(net_url_split("ws://127.evil.example/link", "wss", "ws", &u),
	                 SB_ERR_INVALID);

	assert_true(net_host_is_loopback("127.0.0.1"));
	assert_true(net_host_is_loopback("localhost"));
	assert_true(net_host_is_loopback("::1"));
	assert_false(net_host_is_loopback("localhost.evil.com"));
	assert_false(net_host_is_loopback("127.evil.example"));
	assert_true(net_host_is_loopback("127.1.2.3"));
	assert_true(net_host_is_loopback("LOCALHOST"));
	assert_true(net_host_is_loopback("[::1]"));
	assert_false(net_host_is_loopback("127.0.0.256"));
	assert_false(net_host_is_loopback("127.0.0"));
	assert_false(net_host_is_loopback("128.0.0.1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(decode_hello),      cmocka_unit_test(decode_disconnect),
	    cmocka_unit_test(decode_events_api), cmocka_unit_test(decode_slash_and_interactive),
	    cmocka_unit_test(decode_other),      cmocka_unit_test(decode_retry_fields),
	    cmocka_unit_test(decode_malformed),  cmocka_unit_test(open_answers),
	    cmocka_unit_test(dedupe_ring),       cmocka_unit_test(backoff),
	    cmocka_unit_test(url_rule),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
