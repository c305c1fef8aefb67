/* The REST client (rest.c) on the real HTTP client (net/http.c) against the
 * scripted HTTP/1.1 server of script_httpd.h on the same libuv loop: the
 * script says, per path after /api/v10, what to answer; the server records
 * what it got and when, so tests check headers, bodies, order and "not
 * before" times (never upper bounds: machines are noisy). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <uv.h>

#include "discord/rest.h"
#include "net/loop.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"

#include "httpd_fixture.h"

#define TOKEN   "MTIzNDU2Nzg5MDEyMzQ1Njc4.GsEcRt.bot-token-that-must-never-be-logged"
#define ITOKEN  "aW50ZXJhY3Rpb246OTk5OTk5OTk5OTk5OnNlY3JldC1pbnRlcmFjdGlvbi10b2tlbg"
#define HOOKTOK "webhook-secret-token-value-0123456789abcdef"
#define API     "/api/v10"

static struct hfx fx;
static struct rest *rest;

/* --- the client side ---------------------------------------------------------- */

struct got {
	int n;
	long status;
	int ok, code, attempts;
	char message[512];
	char id[64]; /* "id" of the JSON answer */
	uint64_t at;
};

static void on_result(void *ud, const struct rest_result *res)
{
	struct got *g = ud;
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(res->json, "id");

	g->n++;
	g->status = res->status;
	g->ok = res->ok;
	g->code = res->code;
	g->attempts = res->attempts;
	g->at = shd_mono_ms();
	snprintf(g->message, sizeof g->message, "%s", res->message ? res->message : "(null)");
	snprintf(g->id, sizeof g->id, "%s", cJSON_IsString(id) ? id->valuestring : "");
}

#define RUN_UNTIL(cond) HFX_RUN_UNTIL(&fx, cond)

static unsigned long rate_limited(void)
{
	struct rest_stats st;

	rest_get_stats(rest, &st);
	return st.rate_limited;
}

static void new_client(void)
{
	assert_int_equal(rest_new(&rest, fx.loop, fx.base, TOKEN), SB_OK);
}

static int setup(void **state)
{
	(void)state;
	hfx_setup(&fx, API, "{\"message\":\"unscripted\"}");
	new_client();
	return 0;
}

static int teardown(void **state)
{
	static const char *const secrets[] = {TOKEN, ITOKEN, HOOKTOK, "bot-token-that", NULL};

	(void)state;
	rest_free(rest);
	rest = NULL;
	hfx_teardown(&fx, secrets, "TEST_REST_LOG");
	return 0;
}

/* --- tests ---------------------------------------------------------------------- */

static void ok_with_json_and_headers(void **state)
{
	(void)state;
	struct shd_step steps[] = {
	    {"/channels/1/messages", SHD_ANSWER, 200, "X-RateLimit-Bucket: b1\r\n",
	     "{\"id\":\"42\",\"content\":\"hi\"}", 0, 0, 0},
	    {"/gateway/bot", SHD_ANSWER, 200, NULL, "{\"url\":\"wss://x\"}", 0, 0, 0},
	};
	const char *body = "{\"content\":\"hi\",\"nonce\":\"n1\",\"enforce_nonce\":true}";
	struct got g1 = {0}, g2 = {0};

	shd_script(&fx.srv, steps, 2);
	rest_request(rest, "POST", "/channels/1/messages", body, on_result, &g1);
	rest_request(rest, "GET", "/gateway/bot", NULL, on_result, &g2);
	assert_int_equal(rest_pending(rest), 2);
	RUN_UNTIL(g1.n && g2.n);
	assert_int_equal(rest_pending(rest), 0);
	assert_true(g1.ok);
	assert_int_equal(g1.status, 200);
	assert_string_equal(g1.id, "42");
	assert_string_equal(g1.message, "");
	assert_int_equal(g1.attempts, 1);
	assert_true(g2.ok);

	assert_int_equal(fx.srv.nseen, 2);
	const struct shd_seen *post =
	    strcmp(fx.srv.seen[0].method, "POST") == 0 ? &fx.srv.seen[0] : &fx.srv.seen[1];
	const struct shd_seen *get = post == &fx.srv.seen[0] ? &fx.srv.seen[1] : &fx.srv.seen[0];
	assert_string_equal(post->path, API "/channels/1/messages");
	shd_assert_header(post, "Authorization: Bot " TOKEN);
	shd_assert_header(
	    post,
	    "User-Agent: DiscordBot (https://github.com/studybot/studybot, " STUDYBOT_VERSION ")");
	shd_assert_header(post, "Content-Type: application/json");
	assert_string_equal(post->body, body);
	assert_string_equal(get->method, "GET");
	shd_assert_header(get, "Authorization: Bot " TOKEN);
	assert_null(strstr(get->headers, "Content-Type"));

	struct rest_stats st;
	rest_get_stats(rest, &st);
	assert_int_equal(st.requests, 2);
	assert_int_equal(st.by_class[2], 2);
	assert_int_equal(st.retries, 0);

	/* one debug line per request, without the token */
	char *log = hfx_read_log(&fx);
	assert_non_null(strstr(log, "route=\"POST /channels/1/messages\""));
	assert_non_null(strstr(log, "status=200"));
	free(log);
}

static void retry_after_429_resends_same_body(void **state)
{
	(void)state;
	struct shd_step steps[] = {
	    {"/channels/7/messages", SHD_ANSWER, 429,
	     "X-RateLimit-Limit: 5\r\nX-RateLimit-Remaining: 0\r\nX-RateLimit-Reset-After: 0.2\r\n"
	     "X-RateLimit-Bucket: abc\r\nX-RateLimit-Scope: user\r\nRetry-After: 1\r\n",
	     "{\"message\":\"You are being rate limited.\",\"retry_after\":0.2,\"global\":false}",
	     0, 0, 0},
	    {"/channels/7/messages", SHD_ANSWER, 200, NULL, "{\"id\":\"9\"}", 0, 0, 0},
	};
	const char *body =
	    "{\"content\":\"caf\xc3\xa9 \\u00e9\",\"nonce\":\"1234\",\"enforce_nonce\":true}";
	struct got g = {0};

	shd_script(&fx.srv, steps, 2);
	rest_request(rest, "POST", "/channels/7/messages", body, on_result, &g);
	RUN_UNTIL(g.n);
	assert_true(g.ok);
	assert_string_equal(g.id, "9");
	assert_int_equal(g.attempts, 2);
	assert_int_equal(fx.srv.nseen, 2);
	assert_int_equal(fx.srv.seen[0].body_len, strlen(body));
	assert_int_equal(fx.srv.seen[1].body_len, strlen(body));
	assert_memory_equal(fx.srv.seen[0].body, body, strlen(body));
	assert_memory_equal(fx.srv.seen[1].body, fx.srv.seen[0].body, strlen(body));
	/* the body's retry_after (0.2 s), not the header's second */
	assert_true(fx.srv.seen[1].at + SHD_SLACK_MS >= fx.srv.seen[0].answered_at + 200);

	struct rest_stats st;
	rest_get_stats(rest, &st);
	assert_int_equal(st.rate_limited, 1);
	assert_int_equal(st.requests, 2);
	assert_int_equal(st.by_class[4], 1);
	assert_int_equal(st.invalid, 1);
}

static void global_429_pauses_other_routes(void **state)
{
	(void)state;
	struct shd_step steps[] = {
	    {"/channels/1/messages", SHD_ANSWER, 429,
	     "X-RateLimit-Global: true\r\nX-RateLimit-Scope: global\r\nRetry-After: 1\r\n",
	     "{\"message\":\"You are being rate limited.\",\"retry_after\":1.0,\"global\":true}", 0,
	     0, 0},
	    {"/channels/1/messages", SHD_ANSWER, 200, NULL, "{\"id\":\"1\"}", 0, 0, 0},
	    {"/guilds/2/roles", SHD_ANSWER, 200, NULL, "[]", 0, 0, 0},
	    {"/interactions/9/" ITOKEN "/callback", SHD_ANSWER, 204, NULL, NULL, 0, 0, 0},
	};
	struct got a = {0}, b = {0}, cb = {0};

	shd_script(&fx.srv, steps, 4);
	rest_request(rest, "POST", "/channels/1/messages", "{\"content\":\"a\"}", on_result, &a);
	RUN_UNTIL(rate_limited() == 1);
	rest_request(rest, "GET", "/guilds/2/roles", NULL, on_result, &b);
	rest_request(rest, "POST", "/interactions/9/" ITOKEN "/callback", "{\"type\":5}", on_result,
	             &cb);
	RUN_UNTIL(a.n && b.n && cb.n);
	assert_true(a.ok && b.ok && cb.ok);
	assert_int_equal(cb.status, 204);
	assert_int_equal(fx.srv.nseen, 4);
	uint64_t pause_end = fx.srv.seen[0].answered_at + 1000;
	for (size_t i = 1; i < fx.srv.nseen; i++) {
		const struct shd_seen *s = &fx.srv.seen[i];

		if (strstr(s->path, "/interactions/")) {
			/* exempt: it went out during the pause, before the others */
			assert_int_equal(i, 1);
		} else {
			assert_true(s->at + SHD_SLACK_MS >= pause_end);
		}
	}
}

static void server_errors_are_retried(void **state)
{
	(void)state;
	struct shd_step steps[] = {
	    /* first: a reset on a reused connection would make curl itself
	     * retry at once, unseen by the client */
	    {"/channels/3/messages", SHD_RESET, 0, NULL, NULL, 0, 0, 0},
	    {"/channels/3/messages", SHD_ANSWER, 500, NULL,
	     "{\"message\":\"500: Internal Server Error\"}", 0, 0, 0},
	    {"/channels/3/messages", SHD_ANSWER, 502, NULL, "<html>bad gateway</html>", 0, 0, 0},
	    {"/channels/3/messages", SHD_ANSWER, 200, NULL, "{\"id\":\"3\"}", 0, 0, 0},
	};
	struct rest_tuning tune = {0, 20, 5, 0};
	struct got g = {0};

	rest_tune(rest, &tune);
	shd_script(&fx.srv, steps, 4);
	rest_request(rest, "POST", "/channels/3/messages", "{\"content\":\"x\"}", on_result, &g);
	RUN_UNTIL(g.n);
	assert_true(g.ok);
	assert_int_equal(g.attempts, 4);
	assert_string_equal(g.id, "3");
	assert_int_equal(fx.srv.nseen, 4);
	/* growing backoff: at least 20, 40, 80 ms after each failure */
	assert_true(fx.srv.seen[1].at + SHD_SLACK_MS >= fx.srv.seen[0].answered_at + 20);
	assert_true(fx.srv.seen[3].at + SHD_SLACK_MS >= fx.srv.seen[2].answered_at + 80);

	struct rest_stats st;
	rest_get_stats(rest, &st);
	assert_int_equal(st.retries, 3);
	assert_int_equal(st.by_class[5], 2);
	assert_int_equal(st.by_class[0], 1);
	assert_int_equal(st.by_class[2], 1);
}

static void gives_up_after_max_attempts(void **state)
{
	(void)state;
	struct shd_step steps[] = {
	    {"/channels/4/messages", SHD_ANSWER, 503, NULL, "upstream connect error", 0, 0, 0},
	    {"/channels/4/messages", SHD_ANSWER, 503, NULL, "upstream connect error", 0, 0, 0},
	    {"/channels/4/messages", SHD_ANSWER, 503, NULL, "upstream connect error", 0, 0, 0},
	    {"/channels/4/messages", SHD_HANG, 0, NULL, NULL, 0, 0, 0},
	    {"/channels/4/messages", SHD_HANG, 0, NULL, NULL, 0, 0, 0},
	};
	struct rest_tuning tune = {300, 10, 5, 0};
	struct got g = {0};
	uint64_t t0 = shd_mono_ms();

	rest_tune(rest, &tune);
	shd_script(&fx.srv, steps, 5);
	rest_request(rest, "POST", "/channels/4/messages", "{}", on_result, &g);
	RUN_UNTIL(g.n);
	assert_false(g.ok);
	assert_int_equal(g.status, 0);
	assert_int_equal(g.attempts, 5);
	assert_true(g.message[0] != '\0');
	assert_int_equal(fx.srv.nseen, 5);
	assert_true(g.at >= t0 + 2 * 300); /* two whole timeouts */

	/* a 503 that is the last attempt is final with its status */
	struct shd_step more[] = {
	    {"/channels/5/messages", SHD_ANSWER, 503, NULL,
	     "{\"message\":\"overloaded\",\"code\":0}", 0, 0, 0},
	    {"/channels/5/messages", SHD_ANSWER, 503, NULL,
	     "{\"message\":\"overloaded\",\"code\":0}", 0, 0, 0},
	};
	struct rest_tuning two = {300, 10, 2, 0};
	struct got h = {0};

	rest_tune(rest, &two);
	shd_script(&fx.srv, more, 2);
	rest_request(rest, "POST", "/channels/5/messages", "{}", on_result, &h);
	RUN_UNTIL(h.n);
	assert_false(h.ok);
	assert_int_equal(h.status, 503);
	assert_int_equal(h.attempts, 2);
	assert_string_equal(h.message, "overloaded (0)");
}

static void client_error_is_final_and_readable(void **state)
{
	(void)state;
	struct shd_step steps[] = {
	    {"/channels/6/messages", SHD_ANSWER, 400, NULL,
	     "{\"code\": 50035, \"errors\": {\"content\": {\"_errors\": [{\"code\": "
	     "\"BASE_TYPE_MAX_LENGTH\", \"message\": \"Must be 2000 or fewer in length.\"}]}}, "
	     "\"message\": \"Invalid Form Body\"}",
	     0, 0, 0},
	    {"/channels/6/messages/77", SHD_ANSWER, 404, NULL,
	     "{\"message\": \"Unknown Message\", \"code\": 10008}", 0, 0, 0},
	};
	struct got g = {0}, h = {0};

	shd_script(&fx.srv, steps, 2);
	rest_request(rest, "POST", "/channels/6/messages", "{\"content\":\"long\"}", on_result, &g);
	rest_request(rest, "PATCH", "/channels/6/messages/77", "{\"content\":\"x\"}", on_result,
	             &h);
	RUN_UNTIL(g.n && h.n);
	assert_false(g.ok);
	assert_int_equal(g.status, 400);
	assert_int_equal(g.code, 50035);
	assert_int_equal(g.attempts, 1);
	assert_string_equal(g.message,
	                    "Invalid Form Body (50035): content: Must be 2000 or fewer in length.");
	assert_int_equal(h.code, 10008);
	assert_int_equal(h.status, 404);
	assert_int_equal(fx.srv.nseen, 2);
	char *log = hfx_read_log(&fx);
	assert_non_null(strstr(log, "content: Must be 2000 or fewer in length."));
	free(log);
}

static void oversized_body_fails_cleanly(void **state)
{
	(void)state;
	struct shd_step steps[] = {
	    {"/guilds/1/members", SHD_ANSWER, 200, NULL, NULL, 1024 * 1024, 0, 0},
	    {"/guilds/1/members", SHD_ANSWER, 200, NULL, "[]", 0, 0, 0},
	};
	struct rest_tuning tune = {0, 10, 5, 64 * 1024};
	struct got g = {0}, h = {0};

	rest_tune(rest, &tune);
	shd_script(&fx.srv, steps, 2);
	rest_request(rest, "GET", "/guilds/1/members?limit=1000", NULL, on_result, &g);
	RUN_UNTIL(g.n);
	assert_false(g.ok);
	assert_int_equal(g.status, 0);
	assert_int_equal(g.attempts, 1); /* it would only come back as big */
	assert_non_null(strstr(g.message, "too large"));
	/* and the client still works */
	rest_request(rest, "GET", "/guilds/1/members", NULL, on_result, &h);
	RUN_UNTIL(h.n);
	assert_true(h.ok);
}

static void bucket_keeps_order_across_retries(void **state)
{
	(void)state;
	struct shd_step steps[] = {
	    {"/channels/8/messages", SHD_ANSWER, 500, NULL, "{}", 0, 0, 0},
	    {"/channels/8/messages", SHD_ANSWER, 200, NULL, "{\"id\":\"1\"}", 0, 0, 0},
	    {"/channels/8/messages", SHD_ANSWER, 200, NULL, "{\"id\":\"2\"}", 0, 0, 0},
	    {"/channels/8/messages", SHD_ANSWER, 200, NULL, "{\"id\":\"3\"}", 0, 0, 0},
	};
	struct rest_tuning tune = {0, 20, 5, 0};
	struct got g[3] = {{0}};
	static const char *const bodies[] = {"{\"n\":1}", "{\"n\":2}", "{\"n\":3}"};

	rest_tune(rest, &tune);
	shd_script(&fx.srv, steps, 4);
	for (int i = 0; i < 3; i++)
		rest_request(rest, "POST", "/channels/8/messages", bodies[i], on_result, &g[i]);
	RUN_UNTIL(g[0].n && g[1].n && g[2].n);
	assert_int_equal(fx.srv.nseen, 4);
	assert_string_equal(fx.srv.seen[0].body, bodies[0]);
	assert_string_equal(fx.srv.seen[1].body, bodies[0]);
	assert_string_equal(fx.srv.seen[2].body, bodies[1]);
	assert_string_equal(fx.srv.seen[3].body, bodies[2]);
	assert_string_equal(g[0].id, "1");
	assert_string_equal(g[2].id, "3");
	/* one in flight at a time on the bucket */
	for (size_t i = 1; i < fx.srv.nseen; i++)
		assert_true(fx.srv.seen[i].at >= fx.srv.seen[i - 1].answered_at);
}

static void buckets_run_in_parallel(void **state)
{
	(void)state;
	struct shd_step steps[] = {
	    {"/channels/1/messages", SHD_ANSWER, 200, NULL, "{\"id\":\"slow\"}", 0, 1500, 0},
	    {"/channels/2/messages", SHD_ANSWER, 200, NULL, "{\"id\":\"fast\"}", 0, 0, 0},
	};
	struct got slow = {0}, fast = {0};

	shd_script(&fx.srv, steps, 2);
	rest_request(rest, "POST", "/channels/1/messages", "{}", on_result, &slow);
	rest_request(rest, "POST", "/channels/2/messages", "{}", on_result, &fast);
	RUN_UNTIL(slow.n && fast.n);
	/* the second channel did not wait for the first one's answer */
	assert_true(fast.at <= slow.at);
	assert_int_equal(fx.srv.nseen, 2);
	assert_true(fx.srv.seen[1].at < fx.srv.seen[0].answered_at);
}

static void webhook_tokens_stay_out_of_logs(void **state)
{
	(void)state;
	struct shd_step steps[] = {
	    {"/webhooks/55/" HOOKTOK, SHD_ANSWER, 404, NULL,
	     "{\"message\": \"Unknown Webhook\", \"code\": 10015}", 0, 0, 0},
	    {"/webhooks/55/" ITOKEN "/messages/@original", SHD_ANSWER, 500, NULL, "{}", 0, 0, 0},
	    {"/webhooks/55/" ITOKEN "/messages/@original", SHD_ANSWER, 200, NULL, "{\"id\":\"5\"}",
	     0, 0, 0},
	};
	struct rest_tuning tune = {0, 10, 5, 0};
	struct got g = {0}, h = {0};

	rest_tune(rest, &tune);
	shd_script(&fx.srv, steps, 3);
	rest_request(rest, "POST", "/webhooks/55/" HOOKTOK "?wait=true", "{}", on_result, &g);
	rest_request(rest, "PATCH", "/webhooks/55/" ITOKEN "/messages/@original", "{}", on_result,
	             &h);
	RUN_UNTIL(g.n && h.n);
	assert_int_equal(g.code, 10015);
	assert_true(h.ok);
	assert_non_null(strstr(fx.srv.seen[0].path, HOOKTOK)); /* the token did go to the server */
	                                                       /* teardown checks the log */
}

/* Cloudflare's answer has no X-RateLimit-* header: everything pauses for a
 * minute at least and the log says so at error level. */
static void ban_shaped_429_is_loud(void **state)
{
	(void)state;
	struct shd_step steps[] = {
	    {"/channels/1/messages", SHD_ANSWER, 429, "Retry-After: 5\r\n",
	     "<html><title>Error 1015</title>You are being rate limited</html>", 0, 0, 0},
	};
	struct got g = {0}, h = {0};

	shd_script(&fx.srv, steps, 1);
	rest_request(rest, "POST", "/channels/1/messages", "{}", on_result, &g);
	RUN_UNTIL(rate_limited() == 1);
	/* another route, an exempt one too: both held by the ban */
	rest_request(rest, "POST", "/interactions/9/" ITOKEN "/callback", "{\"type\":5}", on_result,
	             &h);
	hfx_run_for(&fx, 300);
	assert_int_equal(fx.srv.nseen, 1);
	assert_int_equal(rest_pending(rest), 2);
	assert_int_equal(g.n + h.n, 0);
	char *log = hfx_read_log(&fx);
	assert_non_null(strstr(log, "level=error msg=\"Discord answered 429 without rate-limit"));
	assert_non_null(strstr(log, "wait_ms=60000"));
	free(log);
}

static void free_with_requests_in_flight(void **state)
{
	(void)state;
	struct shd_step steps[] = {
	    {"/channels/1/messages", SHD_HANG, 0, NULL, NULL, 0, 0, 0},
	    {"/channels/2/messages", SHD_ANSWER, 200, NULL, "{}", 0, 800, 0},
	};
	struct got g = {0}, h = {0}, q = {0};

	shd_script(&fx.srv, steps, 2);
	rest_request(rest, "POST", "/channels/1/messages", "{}", on_result, &g);
	rest_request(rest, "POST", "/channels/2/messages", "{}", on_result, &h);
	/* a queued one too: same bucket as the first */
	rest_request(rest, "POST", "/channels/1/messages", "{}", on_result, &q);
	RUN_UNTIL(fx.srv.nseen == 2);
	rest_free(rest);
	rest = NULL;
	hfx_run_for(&fx, 1000);
	assert_int_equal(g.n + h.n + q.n, 0);
}

struct freer {
	int n;
};

static void free_from_callback(void *ud, const struct rest_result *res)
{
	struct freer *f = ud;

	(void)res;
	f->n++;
	rest_free(rest);
	rest = NULL;
}

static void free_inside_a_callback(void **state)
{
	(void)state;
	struct shd_step steps[] = {
	    {"/channels/1/messages", SHD_ANSWER, 200, NULL, "{}", 0, 0, 0},
	    {"/channels/2/messages", SHD_HANG, 0, NULL, NULL, 0, 0, 0},
	};
	struct freer f = {0};
	struct got h = {0}, q = {0};

	shd_script(&fx.srv, steps, 2);
	rest_request(rest, "POST", "/channels/2/messages", "{}", on_result, &h);
	RUN_UNTIL(fx.srv.nseen == 1);
	rest_request(rest, "POST", "/channels/1/messages", "{}", free_from_callback, &f);
	rest_request(rest, "POST", "/channels/1/messages", "{}", on_result, &q);
	RUN_UNTIL(f.n == 1);
	hfx_run_for(&fx, 200);
	assert_int_equal(f.n, 1);
	assert_int_equal(h.n + q.n, 0);
}

static void refused_requests_fail_through_the_callback(void **state)
{
	(void)state;
	struct got g = {0}, h = {0};

	rest_request(rest, "POST", "channels/1/messages", "{}", on_result, &g);
	rest_request(rest, "BREW", "/coffee", NULL, on_result, &h);
	rest_request(rest, "GET", "/has space", NULL, NULL, NULL); /* logged only */
	assert_int_equal(g.n, 0); /* never from inside rest_request */
	RUN_UNTIL(g.n && h.n && rest_pending(rest) == 0);
	assert_false(g.ok);
	assert_int_equal(g.attempts, 0);
	assert_non_null(strstr(g.message, "path"));
	assert_non_null(strstr(h.message, "method"));
	assert_int_equal(fx.srv.nseen, 0);
}

/* A multipart body with NULs and CRLFs: sent with its own Content-Type,
 * and every retry (5xx, 429) sends the identical bytes, nonce included. */
static void multipart_body_resent_identical(void **state)
{
	(void)state;
	static const char body[] =
	    "--b-1\r\nContent-Disposition: form-data; name=\"payload_json\"\r\n"
	    "Content-Type: application/json\r\n\r\n{\"nonce\":\"n-7\",\"enforce_nonce\":true}\r\n"
	    "--b-1\r\nContent-Disposition: form-data; name=\"files[0]\"; filename=\"a.bin\"\r\n"
	    "Content-Type: application/octet-stream\r\n\r\n\x00\x01\xff\r\n\x00z\r\n--b-1--\r\n";
	const size_t len = sizeof body - 1;
	struct shd_step steps[] = {
	    {"/channels/9/messages", SHD_ANSWER, 502, NULL, "<html>bad gateway</html>", 0, 0, 0},
	    {"/channels/9/messages", SHD_ANSWER, 429,
	     "X-RateLimit-Limit: 5\r\nX-RateLimit-Remaining: 0\r\nX-RateLimit-Reset-After: 0.1\r\n"
	     "X-RateLimit-Bucket: mp\r\nRetry-After: 1\r\n",
	     "{\"message\":\"You are being rate limited.\",\"retry_after\":0.1,\"global\":false}",
	     0, 0, 0},
	    {"/channels/9/messages", SHD_ANSWER, 200, NULL, "{\"id\":\"99\"}", 0, 0, 0},
	};
	struct rest_tuning tune = {0, 20, 5, 0};
	struct got g = {0}, bad = {0};

	assert_non_null(memchr(body, '\0', len)); /* the test means what it says */
	rest_tune(rest, &tune);
	shd_script(&fx.srv, steps, 3);
	rest_request_body(rest, "POST", "/channels/9/messages", "multipart/form-data; boundary=b-1",
	                  body, len, on_result, &g);
	rest_request_body(rest, "POST", "/channels/9/messages", "text/plain\r\nX-Injected: 1", body,
	                  len, on_result, &bad);
	RUN_UNTIL(g.n && bad.n);
	assert_true(g.ok);
	assert_string_equal(g.id, "99");
	assert_int_equal(g.attempts, 3);
	assert_int_equal(fx.srv.nseen, 3);
	for (size_t i = 0; i < fx.srv.nseen; i++) {
		shd_assert_header(&fx.srv.seen[i],
		                  "Content-Type: multipart/form-data; boundary=b-1");
		assert_int_equal(fx.srv.seen[i].body_len, len);
		assert_memory_equal(fx.srv.seen[i].body, body, len);
	}
	/* a content type that would break the header block is never sent */
	assert_false(bad.ok);
	assert_int_equal(bad.attempts, 0);
	assert_non_null(strstr(bad.message, "content type"));
}

static void api_base_and_token_checks(void **state)
{
	(void)state;
	static const struct {
		const char *base;
		int ok;
	} cases[] = {
	    {"https://discord.com/api/v10", 1},
	    {"https://discord.com/api/v10/", 1},
	    {"http://127.0.0.1:8080/api", 1},
	    {"http://127.1.2.3/api", 1},
	    {"http://localhost:9/api", 1},
	    {"http://LOCALHOST/api", 1},
	    {"http://[::1]:8080/api", 1},
	    {"http://discord.com/api/v10", 0},
	    {"http://127.0.0.1.example.com/api", 0},
	    {"http://127.0.0.1@example.com/api", 0},
	    {"http://localhost.example.com/", 0},
	    {"http://128.0.0.1/", 0},
	    {"http://127.0.0.256/", 0},
	    {"http://[::2]/", 0},
	    {"ftp://127.0.0.1/", 0},
	    {"https://", 0},
	    {"https://discord.com/api v10", 0},
	    {"", 0},
	};
	struct rest *r;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum sb_rc rc = rest_new(&r, fx.loop, cases[i].base, TOKEN);

		if ((rc == SB_OK) != cases[i].ok)
			fail_msg("'%s': rc %d", cases[i].base, rc);
		if (rc == SB_OK)
			rest_free(r);
		else
			assert_null(r);
	}
	assert_int_equal(rest_new(&r, fx.loop, "https://discord.com/api/v10", ""), SB_ERR_INVALID);
	assert_int_equal(rest_new(&r, fx.loop, "https://discord.com/api/v10", "abc\r\nX-Evil: 1"),
	                 SB_ERR_INVALID);
	assert_int_equal(rest_new(&r, fx.loop, "https://discord.com/api/v10", NULL),
	                 SB_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(ok_with_json_and_headers, setup, teardown),
	    cmocka_unit_test_setup_teardown(retry_after_429_resends_same_body, setup, teardown),
	    cmocka_unit_test_setup_teardown(global_429_pauses_other_routes, setup, teardown),
	    cmocka_unit_test_setup_teardown(server_errors_are_retried, setup, teardown),
	    cmocka_unit_test_setup_teardown(gives_up_after_max_attempts, setup, teardown),
	    cmocka_unit_test_setup_teardown(client_error_is_final_and_readable, setup, teardown),
	    cmocka_unit_test_setup_teardown(oversized_body_fails_cleanly, setup, teardown),
	    cmocka_unit_test_setup_teardown(bucket_keeps_order_across_retries, setup, teardown),
	    cmocka_unit_test_setup_teardown(buckets_run_in_parallel, setup, teardown),
	    cmocka_unit_test_setup_teardown(webhook_tokens_stay_out_of_logs, setup, teardown),
	    cmocka_unit_test_setup_teardown(ban_shaped_429_is_loud, setup, teardown),
	    cmocka_unit_test_setup_teardown(free_with_requests_in_flight, setup, teardown),
	    cmocka_unit_test_setup_teardown(free_inside_a_callback, setup, teardown),
	    cmocka_unit_test_setup_teardown(multipart_body_resent_identical, setup, teardown),
	    cmocka_unit_test_setup_teardown(refused_requests_fail_through_the_callback, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(api_base_and_token_checks, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
