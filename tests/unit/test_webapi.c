/* The Slack Web API client (webapi.c) on the real HTTP client against the
 * scripted HTTP/1.1 server of script_httpd.h on the same libuv loop: the
 * script says, per method path after /api, what to answer; the server
 * records what it got and when, so tests check headers, bodies, order and
 * "not before" times (never upper bounds). The pacing table (webapi_pace.c)
 * is tested alone with a made-up clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <uv.h>

#include "net/loop.h"
#include "slack/webapi.h"
#include "slack/webapi_pace.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"

#include "httpd_fixture.h"

#define TOKEN "xoxb-1234567890-0987654321-bottokenthatmustneverbelogged"
#define API   "/api"

static struct hfx fx;

/* --- the client side ---------------------------------------------------------- */

static struct webapi *wa;

struct got {
	int n;
	long status;
	int ok, attempts;
	char error[128], detail[512], text[256];
	char ts[64]; /* "ts" of the JSON answer */
	uint64_t at;
};

static void on_result(void *ud, const struct webapi_result *res)
{
	struct got *g = ud;
	const cJSON *ts = cJSON_GetObjectItemCaseSensitive(res->json, "ts");

	g->n++;
	g->status = res->status;
	g->ok = res->ok;
	g->attempts = res->attempts;
	g->at = shd_mono_ms();
	snprintf(g->error, sizeof g->error, "%s", res->error ? res->error : "(null)");
	snprintf(g->detail, sizeof g->detail, "%s", res->detail ? res->detail : "(null)");
	snprintf(g->text, sizeof g->text, "%s", webapi_error_text(res->error));
	snprintf(g->ts, sizeof g->ts, "%s", cJSON_IsString(ts) ? ts->valuestring : "");
}

#define RUN_UNTIL(cond) HFX_RUN_UNTIL(&fx, cond)

static int setup(void **state)
{
	(void)state;
	hfx_setup(&fx, API, "{\"ok\":false,\"error\":\"unscripted\"}");
	assert_int_equal(webapi_new(&wa, fx.loop, fx.base, TOKEN), SB_OK);
	return 0;
}

static int teardown(void **state)
{
	static const char *const secrets[] = {TOKEN, "bottokenthat", NULL};

	(void)state;
	webapi_free(wa);
	wa = NULL;
	hfx_teardown(&fx, secrets, "TEST_WEBAPI_LOG");
	return 0;
}

static struct webapi_stats stats(void)
{
	struct webapi_stats st;

	webapi_get_stats(wa, &st);
	return st;
}

/* --- tests ---------------------------------------------------------------------- */

static void post_json_and_get_query(void **state)
{
	(void)state;
	struct shd_step steps[] = {
	    {"/chat.update", SHD_ANSWER, 200, NULL,
	     "{\"ok\":true,\"channel\":\"C1\",\"ts\":\"1.2\"}", 0, 0, 0},
	    {"/users.info", SHD_ANSWER, 200, NULL, "{\"ok\":true,\"user\":{\"id\":\"U1\"}}", 0, 0,
	     0},
	};
	const char *body = "{\"channel\":\"C1\",\"ts\":\"1.2\",\"text\":\"caf\xc3\xa9\"}";
	const char *args[] = {"user", "U1 &x=\xc3\xbc/~", "include_locale", "true", NULL};
	struct got g1 = {0}, g2 = {0};

	shd_script(&fx.srv, steps, 2);
	webapi_call(wa, "chat.update", body, on_result, &g1);
	webapi_get(wa, "users.info", args, on_result, &g2);
	assert_int_equal(webapi_pending(wa), 2);
	RUN_UNTIL(g1.n && g2.n);
	assert_int_equal(webapi_pending(wa), 0);
	assert_true(g1.ok);
	assert_int_equal(g1.status, 200);
	assert_string_equal(g1.ts, "1.2");
	assert_string_equal(g1.error, "");
	assert_string_equal(g1.detail, "");
	assert_int_equal(g1.attempts, 1);
	assert_true(g2.ok);

	assert_int_equal(fx.srv.nseen, 2);
	const struct shd_seen *post =
	    strcmp(fx.srv.seen[0].method, "POST") == 0 ? &fx.srv.seen[0] : &fx.srv.seen[1];
	const struct shd_seen *get = post == &fx.srv.seen[0] ? &fx.srv.seen[1] : &fx.srv.seen[0];
	assert_string_equal(post->path, "/api/chat.update");
	shd_assert_header(post, "Authorization: Bearer " TOKEN);
	shd_assert_header(post, "Content-Type: application/json; charset=utf-8");
	assert_string_equal(post->body, body);
	assert_string_equal(get->method, "GET");
	assert_string_equal(get->path,
	                    "/api/users.info?user=U1%20%26x%3D%C3%BC%2F~&include_locale=true");
	shd_assert_header(get, "Authorization: Bearer " TOKEN);
	assert_null(strstr(get->headers, "Content-Type"));
	assert_int_equal(get->body_len, 0);

	struct webapi_stats st = stats();
	assert_int_equal(st.calls, 2);
	assert_int_equal(st.sent, 2);
	assert_int_equal(st.by_status[2], 2);
	assert_int_equal(st.retries + st.errors + st.rate_limited, 0);
}

static void ok_false_is_final_and_readable(void **state)
{
	(void)state;
	struct shd_step steps[] = {
	    {"/chat.postMessage", SHD_ANSWER, 200, NULL,
	     "{\"ok\":false,\"error\":\"missing_scope\",\"needed\":\"chat:write\","
	     "\"provided\":\"commands\"}",
	     0, 0, 0},
	    {"/views.open", SHD_ANSWER, 200, NULL,
	     "{\"ok\":false,\"error\":\"invalid_arguments\",\"response_metadata\":{\"messages\":"
	     "[\"[ERROR] must be less than 3001 characters [json-pointer:/view/blocks/0]\"]}}",
	     0, 0, 0},
	    {"/chat.postEphemeral", SHD_ANSWER, 200, NULL,
	     "{\"ok\":false,\"error\":\"not_in_channel\"}", 0, 0, 0},
	    {"/auth.test", SHD_ANSWER, 200, NULL, "<html>not json</html>", 0, 0, 0},
	};
	struct got a = {0}, b = {0}, c = {0}, d = {0};

	shd_script(&fx.srv, steps, 4);
	webapi_call(wa, "chat.postMessage", "{\"channel\":\"C1\",\"text\":\"x\"}", on_result, &a);
	webapi_call(wa, "views.open", "{\"trigger_id\":\"1\",\"view\":{}}", on_result, &b);
	webapi_call(wa, "chat.postEphemeral", "{\"channel\":\"C2\",\"user\":\"U1\"}", on_result,
	            &c);
	webapi_get(wa, "auth.test", NULL, on_result, &d);
	RUN_UNTIL(a.n && b.n && c.n && d.n);
	assert_false(a.ok);
	assert_int_equal(a.status, 200);
	assert_int_equal(a.attempts, 1);
	assert_string_equal(a.error, "missing_scope");
	assert_non_null(strstr(a.detail, "needed scope: chat:write"));
	assert_non_null(strstr(a.text, "scope"));
	assert_string_equal(b.error, "invalid_arguments");
	assert_non_null(strstr(b.detail, "must be less than 3001 characters"));
	assert_string_equal(c.error, "not_in_channel");
	assert_non_null(strstr(c.text, "/invite"));
	assert_false(d.ok);
	assert_string_equal(d.error, "invalid_response");
	assert_int_equal(fx.srv.nseen, 4); /* none retried */
	assert_int_equal(stats().errors, 4);
	char *log = hfx_read_log(&fx);
	assert_non_null(strstr(log, "error=missing_scope"));
	assert_non_null(strstr(log, "needed scope: chat:write"));
	free(log);
}

static void error_text_for_common_codes(void **state)
{
	(void)state;
	static const char *const codes[] = {
	    "not_in_channel",    "channel_not_found",   "invalid_auth",
	    "not_authed",        "account_inactive",    "token_revoked",
	    "missing_scope",     "user_not_found",      "expired_trigger_id",
	    "invalid_blocks",    "msg_too_long",        "ratelimited",
	    "is_archived",       "user_not_in_channel", "not_allowed_token_type",
	    "invalid_arguments", "restricted_action",
	};
	const char *generic = webapi_error_text("no_such_code_here");

	assert_non_null(strstr(generic, "no_such_code_here"));
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		const char *t = webapi_error_text(codes[i]);

		assert_non_null(t);
		if (strstr(t, "error: "))
			fail_msg("no sentence for %s", codes[i]);
	}
	assert_non_null(strstr(webapi_error_text("invalid_auth"), "bot_token_env"));
	assert_non_null(webapi_error_text(NULL));
	assert_non_null(strstr(webapi_error_text("bad\ncode"), "bad code"));
}

static void retry_after_is_respected(void **state)
{
	(void)state;
	struct shd_step steps[] = {
	    {"/chat.update", SHD_ANSWER, 429, "Retry-After: 1\r\n",
	     "{\"ok\":false,\"error\":\"ratelimited\"}", 0, 0, 0},
	    {"/chat.update", SHD_ANSWER, 200, NULL, "{\"ok\":true,\"ts\":\"2.0\"}", 0, 0, 0},
	    /* no Retry-After and a 200 saying "ratelimited": one second */
	    {"/conversations.info", SHD_ANSWER, 200, "Retry-After: soon\r\n",
	     "{\"ok\":false,\"error\":\"ratelimited\"}", 0, 0, 0},
	    {"/conversations.info", SHD_ANSWER, 200, NULL, "{\"ok\":true}", 0, 0, 0},
	};
	const char *body = "{\"channel\":\"C9\",\"ts\":\"2.0\",\"text\":\"\\u00e9\"}";
	const char *args[] = {"channel", "C9", NULL};
	struct got g = {0}, h = {0};
	struct webapi_tuning tune = {0, 0, 0, 0.01};

	webapi_tune(wa, &tune);
	shd_script(&fx.srv, steps, 4);
	webapi_call(wa, "chat.update", body, on_result, &g);
	webapi_get(wa, "conversations.info", args, on_result, &h);
	RUN_UNTIL(stats().rate_limited == 2);
	RUN_UNTIL(g.n && h.n);
	assert_true(g.ok);
	assert_string_equal(g.ts, "2.0");
	assert_int_equal(g.attempts, 2);
	assert_true(h.ok);
	assert_int_equal(h.attempts, 2);
	assert_int_equal(fx.srv.nseen, 4);
	for (size_t i = 0; i < fx.srv.nseen; i++) {
		for (size_t k = i + 1; k < fx.srv.nseen; k++) {
			if (strcmp(fx.srv.seen[i].path, fx.srv.seen[k].path) != 0)
				continue;
			/* the resend came a second after the 429, not before */
			assert_true(fx.srv.seen[k].at + SHD_SLACK_MS >=
			            fx.srv.seen[i].answered_at + 1000);
			assert_memory_equal(fx.srv.seen[k].body, fx.srv.seen[i].body,
			                    fx.srv.seen[i].body_len);
		}
	}
	struct webapi_stats st = stats();
	assert_int_equal(st.rate_limited, 2);
	assert_int_equal(st.retries, 2);
	assert_int_equal(st.errors, 0);
}

static void method_waits_as_a_whole_after_429(void **state)
{
	(void)state;
	struct shd_step steps[] = {
	    {"/views.publish", SHD_ANSWER, 429, "Retry-After: 1\r\n", "", 0, 0, 0},
	    {"/views.publish", SHD_ANSWER, 200, NULL, "{\"ok\":true}", 0, 0, 0},
	    {"/views.publish", SHD_ANSWER, 200, NULL, "{\"ok\":true}", 0, 0, 0},
	    {"/users.info", SHD_ANSWER, 200, NULL, "{\"ok\":true}", 0, 0, 0},
	};
	struct got a = {0}, b = {0}, u = {0};
	const char *args[] = {"user", "U2", NULL};
	struct webapi_tuning tune = {0, 0, 0, 0.01};

	webapi_tune(wa, &tune);
	shd_script(&fx.srv, steps, 4);
	webapi_call(wa, "views.publish", "{\"user_id\":\"U1\",\"view\":{}}", on_result, &a);
	RUN_UNTIL(stats().rate_limited == 1);
	uint64_t limited_at = fx.srv.seen[0].answered_at;
	webapi_call(wa, "views.publish", "{\"user_id\":\"U2\",\"view\":{}}", on_result, &b);
	webapi_get(wa, "users.info", args, on_result, &u); /* another method: not held */
	RUN_UNTIL(a.n && b.n && u.n);
	assert_true(a.ok && b.ok && u.ok);
	for (size_t i = 1; i < fx.srv.nseen; i++)
		if (strstr(fx.srv.seen[i].path, "views.publish"))
			assert_true(fx.srv.seen[i].at + SHD_SLACK_MS >= limited_at + 1000);
	assert_true(u.at < a.at); /* users.info went during the pause */
}

static void post_message_paced_per_channel(void **state)
{
	(void)state;
	struct shd_step steps[] = {
	    {"/chat.postMessage", SHD_ANSWER, 200, NULL, "{\"ok\":true,\"ts\":\"1\"}", 0, 0, 0},
	    {"/chat.postMessage", SHD_ANSWER, 200, NULL, "{\"ok\":true,\"ts\":\"2\"}", 0, 0, 0},
	    {"/chat.postMessage", SHD_ANSWER, 200, NULL, "{\"ok\":true,\"ts\":\"3\"}", 0, 0, 0},
	    {"/chat.postMessage", SHD_ANSWER, 200, NULL, "{\"ok\":true,\"ts\":\"4\"}", 0, 0, 0},
	    {"/chat.postMessage", SHD_ANSWER, 200, NULL, "{\"ok\":true,\"ts\":\"5\"}", 0, 0, 0},
	};
	static const char *const bodies[] = {
	    "{\"channel\":\"C1\",\"text\":\"1\"}", "{\"channel\":\"C2\",\"text\":\"a\"}",
	    "{\"channel\":\"C1\",\"text\":\"2\"}", "{\"channel\":\"C1\",\"text\":\"3\"}",
	    "{\"channel\":\"C2\",\"text\":\"b\"}",
	};
	struct got g[5] = {{0}};
	struct webapi_tuning tune = {0, 0, 0, 0.1}; /* one per 100 ms per channel */

	webapi_tune(wa, &tune);
	shd_script(&fx.srv, steps, 5);
	for (int i = 0; i < 5; i++)
		webapi_call(wa, "chat.postMessage", bodies[i], on_result, &g[i]);
	RUN_UNTIL(g[0].n && g[1].n && g[2].n && g[3].n && g[4].n);
	assert_int_equal(fx.srv.nseen, 5);
	for (const char *ch = "12"; *ch; ch++) {
		const struct shd_seen *prev = NULL;
		char want[16];
		const char *order = *ch == '1' ? "123" : "ab";
		size_t k = 0;

		snprintf(want, sizeof want, "\"C%c\"", *ch);
		for (size_t i = 0; i < fx.srv.nseen; i++) {
			const struct shd_seen *s = &fx.srv.seen[i];
			char text[16];

			if (!strstr(s->body, want))
				continue;
			snprintf(text, sizeof text, "\"text\":\"%c\"", order[k++]);
			assert_non_null(strstr(s->body, text)); /* in the order made */
			if (prev) /* a second (here 100 ms) after the last answer */
				assert_true(s->at + SHD_SLACK_MS >= prev->answered_at + 100);
			prev = s;
		}
		assert_int_equal(k, strlen(order));
	}
	assert_true(stats().paced >= 2);
}

static void server_errors_are_retried(void **state)
{
	(void)state;
	struct shd_step steps[] = {
	    {"/chat.update", SHD_ANSWER, 500, NULL, "{\"ok\":false,\"error\":\"fatal_error\"}", 0,
	     0, 0},
	    {"/chat.update", SHD_ANSWER, 503, NULL, "<html>unavailable</html>", 0, 0, 0},
	    {"/chat.update", SHD_ANSWER, 200, NULL, "{\"ok\":true,\"ts\":\"3\"}", 0, 0, 0},
	    {"/chat.update", SHD_ANSWER, 200, NULL, "{\"ok\":true,\"ts\":\"4\"}", 0, 0, 0},
	};
	struct webapi_tuning tune = {0, 20, 5, 0.01};
	struct got g = {0}, h = {0};

	webapi_tune(wa, &tune);
	shd_script(&fx.srv, steps, 4);
	webapi_call(wa, "chat.update", "{\"channel\":\"C3\",\"ts\":\"3\"}", on_result, &g);
	webapi_call(wa, "chat.update", "{\"channel\":\"C3\",\"ts\":\"4\"}", on_result, &h);
	RUN_UNTIL(g.n && h.n);
	assert_true(g.ok);
	assert_int_equal(g.attempts, 3);
	assert_string_equal(g.ts, "3");
	assert_true(h.ok);
	assert_string_equal(h.ts, "4"); /* the second waited behind the retries */
	assert_int_equal(fx.srv.nseen, 4);
	assert_true(fx.srv.seen[1].at + SHD_SLACK_MS >= fx.srv.seen[0].answered_at + 20);
	assert_true(fx.srv.seen[2].at + SHD_SLACK_MS >= fx.srv.seen[1].answered_at + 40);
	assert_non_null(strstr(fx.srv.seen[3].body, "\"ts\":\"4\""));
	struct webapi_stats st = stats();
	assert_int_equal(st.retries, 2);
	assert_int_equal(st.by_status[5], 2);
	assert_int_equal(st.by_status[2], 2);

	/* a 5xx on the last attempt is final, with its status */
	struct shd_step more[] = {
	    {"/chat.delete", SHD_ANSWER, 502, NULL, "bad gateway", 0, 0, 0},
	    {"/chat.delete", SHD_ANSWER, 502, NULL, "bad gateway", 0, 0, 0},
	};
	struct webapi_tuning two = {0, 10, 2, 0.01};
	struct got d = {0};

	webapi_tune(wa, &two);
	shd_script(&fx.srv, more, 2);
	webapi_call(wa, "chat.delete", "{\"channel\":\"C3\",\"ts\":\"3\"}", on_result, &d);
	RUN_UNTIL(d.n);
	assert_false(d.ok);
	assert_int_equal(d.status, 502);
	assert_int_equal(d.attempts, 2);
	assert_string_equal(d.error, "http_502");
}

static void transport_failures_are_retried(void **state)
{
	(void)state;
	struct shd_step steps[] = {
	    {"/auth.test", SHD_RESET, 0, NULL, NULL, 0, 0, 0},
	    {"/auth.test", SHD_HANG, 0, NULL, NULL, 0, 0, 0},
	    {"/auth.test", SHD_ANSWER, 200, NULL, "{\"ok\":true,\"user_id\":\"UB\"}", 0, 0, 0},
	};
	struct webapi_tuning tune = {300, 10, 5, 0.01};
	struct got g = {0};

	webapi_tune(wa, &tune);
	shd_script(&fx.srv, steps, 3);
	webapi_get(wa, "auth.test", NULL, on_result, &g);
	RUN_UNTIL(g.n);
	assert_true(g.ok);
	assert_int_equal(g.attempts, 3);
	assert_int_equal(stats().transport_failures, 2);
}

static void upload_flow(void **state)
{
	(void)state;
	char url_body[256];
	static const char data[] = "name,score\r\n\x00\x01\xff,1\n";
	const size_t len = sizeof data - 1;

	snprintf(url_body, sizeof url_body,
	         "{\"ok\":true,\"upload_url\":\"http://127.0.0.1:%d/upload/v1/F123?sig=s\","
	         "\"file_id\":\"F123\"}",
	         fx.srv.port);
	struct shd_step steps[] = {
	    {"/files.getUploadURLExternal", SHD_ANSWER, 200, NULL, url_body, 0, 0, 0},
	    {"/upload/v1/F123", SHD_ANSWER, 500, NULL, "try again", 0, 0, 0},
	    {"/upload/v1/F123", SHD_ANSWER, 200, NULL, "OK - 21", 0, 0, 0},
	    {"/files.completeUploadExternal", SHD_ANSWER, 200, NULL,
	     "{\"ok\":true,\"files\":[{\"id\":\"F123\",\"title\":\"scores week.csv\"}]}", 0, 0, 0},
	};
	struct webapi_tuning tune = {0, 10, 5, 0.01};
	struct got g = {0};

	webapi_tune(wa, &tune);
	shd_script(&fx.srv, steps, 4);
	webapi_upload(wa, "C7", "1700000000.000100", "scores week.csv", data, len,
	              "This week's scores", on_result, &g);
	RUN_UNTIL(g.n);
	assert_true(g.ok);
	assert_string_equal(g.error, "");
	assert_int_equal(fx.srv.nseen, 4);
	assert_int_equal(webapi_pending(wa), 0);

	const struct shd_seen *s1 = &fx.srv.seen[0], *s2 = &fx.srv.seen[2], *s3 = &fx.srv.seen[3];
	char want[128];
	snprintf(want, sizeof want,
	         "/api/files.getUploadURLExternal?filename=scores%%20week.csv&length=%zu", len);
	assert_string_equal(s1->method, "GET");
	assert_string_equal(s1->path, want);
	shd_assert_header(s1, "Authorization: Bearer " TOKEN);

	assert_string_equal(s2->method, "POST");
	assert_string_equal(s2->path, "/upload/v1/F123?sig=s");
	assert_int_equal(s2->body_len, len);
	assert_memory_equal(s2->body, data, len);
	assert_null(strstr(s2->headers, TOKEN)); /* a pre-signed URL gets no token */

	assert_string_equal(s3->path, "/api/files.completeUploadExternal");
	shd_assert_header(s3, "Authorization: Bearer " TOKEN);
	shd_assert_header(s3, "Content-Type: application/json; charset=utf-8");
	cJSON *b = cJSON_Parse(s3->body);
	assert_non_null(b);
	const cJSON *files = cJSON_GetObjectItemCaseSensitive(b, "files");
	assert_int_equal(cJSON_GetArraySize(files), 1);
	const cJSON *f = cJSON_GetArrayItem(files, 0);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(f, "id")->valuestring, "F123");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(f, "title")->valuestring,
	                    "scores week.csv");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(b, "channel_id")->valuestring, "C7");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(b, "thread_ts")->valuestring,
	                    "1700000000.000100");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(b, "initial_comment")->valuestring,
	                    "This week's scores");
	cJSON_Delete(b);
	char *log = hfx_read_log(&fx);
	assert_null(strstr(log, "sig=s")); /* the upload URL stays out of the log */
	free(log);
}

static void upload_failures(void **state)
{
	(void)state;
	struct shd_step steps[] = {
	    {"/files.getUploadURLExternal", SHD_ANSWER, 200, NULL,
	     "{\"ok\":true,\"upload_url\":\"http://files.example.com/upload/"
	     "F9\",\"file_id\":\"F9\"}",
	     0, 0, 0},
	    {"/files.getUploadURLExternal", SHD_ANSWER, 200, NULL,
	     "{\"ok\":false,\"error\":\"not_authed\"}", 0, 0, 0},
	};
	struct got a = {0}, b = {0}, c = {0};

	shd_script(&fx.srv, steps, 2);
	webapi_upload(wa, "C1", NULL, "a.txt", "abc", 3, NULL, on_result, &a);
	RUN_UNTIL(a.n);
	webapi_upload(wa, "C1", NULL, "b.txt", "abc", 3, NULL, on_result, &b);
	webapi_upload(wa, "C1", NULL, "c.txt", "", 0, NULL, on_result, &c);
	assert_int_equal(c.n, 0); /* never from inside the call */
	RUN_UNTIL(b.n && c.n);
	assert_false(a.ok);
	assert_string_equal(a.error, "invalid_upload_url"); /* plain http off this machine */
	assert_false(b.ok);
	assert_string_equal(b.error, "not_authed");
	assert_false(c.ok);
	assert_int_equal(c.attempts, 0);
	assert_int_equal(fx.srv.nseen, 2);
}

static void refused_calls_fail_through_the_callback(void **state)
{
	(void)state;
	struct got g = {0}, h = {0}, k = {0};
	const char *odd[] = {"user", NULL, NULL};

	webapi_call(wa, "chat.postMessage?x=1", "{}", on_result, &g);
	webapi_call(wa, "chat.postMessage", "[1,2]", on_result, &h);
	webapi_get(wa, "users.info", odd, on_result, &k);
	webapi_call(wa, "", NULL, NULL, NULL); /* logged only */
	assert_int_equal(g.n + h.n + k.n, 0);
	RUN_UNTIL(g.n && h.n && k.n && webapi_pending(wa) == 0);
	assert_false(g.ok);
	assert_int_equal(g.attempts, 0);
	assert_string_equal(g.error, "invalid_call");
	assert_non_null(strstr(g.detail, "method"));
	assert_non_null(strstr(h.detail, "JSON object"));
	assert_false(k.ok);
	assert_int_equal(fx.srv.nseen, 0);
}

static void free_with_calls_in_flight(void **state)
{
	(void)state;
	struct shd_step steps[] = {
	    {"/chat.postMessage", SHD_HANG, 0, NULL, NULL, 0, 0, 0},
	    {"/users.info", SHD_ANSWER, 200, NULL, "{\"ok\":true}", 0, 500, 0},
	    {"/files.getUploadURLExternal", SHD_HANG, 0, NULL, NULL, 0, 0, 0},
	};
	struct got g = {0}, h = {0}, q = {0}, u = {0};
	const char *args[] = {"user", "U1", NULL};

	shd_script(&fx.srv, steps, 3);
	webapi_call(wa, "chat.postMessage", "{\"channel\":\"C1\"}", on_result, &g);
	webapi_get(wa, "users.info", args, on_result, &h);
	webapi_upload(wa, "C1", NULL, "x.txt", "x", 1, NULL, on_result, &u);
	/* queued behind the first: same method and channel */
	webapi_call(wa, "chat.postMessage", "{\"channel\":\"C1\"}", on_result, &q);
	RUN_UNTIL(fx.srv.nseen == 3);
	assert_int_equal(webapi_pending(wa), 4);
	webapi_free(wa);
	wa = NULL;
	hfx_run_for(&fx, 800);
	assert_int_equal(g.n + h.n + q.n + u.n, 0);
}

static void free_from_callback(void *ud, const struct webapi_result *res)
{
	int *n = ud;

	(void)res;
	(*n)++;
	webapi_free(wa);
	wa = NULL;
}

static void free_inside_a_callback(void **state)
{
	(void)state;
	struct shd_step steps[] = {
	    {"/auth.test", SHD_ANSWER, 200, NULL, "{\"ok\":true}", 0, 0, 0},
	    {"/users.info", SHD_HANG, 0, NULL, NULL, 0, 0, 0},
	};
	int n = 0;
	struct got h = {0};
	const char *args[] = {"user", "U1", NULL};

	shd_script(&fx.srv, steps, 2);
	webapi_get(wa, "users.info", args, on_result, &h);
	RUN_UNTIL(fx.srv.nseen == 1);
	webapi_get(wa, "auth.test", NULL, free_from_callback, &n);
	RUN_UNTIL(n == 1);
	hfx_run_for(&fx, 200);
	assert_int_equal(n, 1);
	assert_int_equal(h.n, 0);
}

static void api_base_and_token_checks(void **state)
{
	(void)state;
	static const struct {
		const char *base;
		int ok;
	} cases[] = {
	    {"https://slack.com/api", 1},
	    {"https://slack.com/api/", 1},
	    {"http://127.0.0.1:8080/api", 1},
	    {"http://localhost:9/api", 1},
	    {"http://[::1]:8080/api", 1},
	    {"http://slack.com/api", 0},
	    {"http://127.0.0.1.example.com/", 0},
	    {"http://localhost.example.com/", 0},
	    {"ftp://127.0.0.1/", 0},
	    {"https://", 0},
	    {"https://slack.com/a pi", 0},
	    {"", 0},
	};
	struct webapi *w;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum sb_rc rc = webapi_new(&w, fx.loop, cases[i].base, TOKEN);

		if ((rc == SB_OK) != cases[i].ok)
			fail_msg("'%s': rc %d", cases[i].base, rc);
		if (rc == SB_OK)
			webapi_free(w);
		else
			assert_null(w);
	}
	assert_int_equal(webapi_new(&w, fx.loop, "https://slack.com/api", ""), SB_ERR_INVALID);
	assert_int_equal(webapi_new(&w, fx.loop, "https://slack.com/api", "xoxb\r\nX-Evil: 1"),
	                 SB_ERR_INVALID);
}

/* --- the pacing table alone, on a made-up clock --------------------------------- */

static void pace_tiers_and_buckets(void **state)
{
	(void)state;
	struct pace *p = pace_new(1.0);
	uint64_t t = 1000000;
	unsigned burst4 = pace_rule(PACE_TIER4).burst;

	assert_int_equal(pace_tier_of("chat.postMessage"), PACE_SPECIAL);
	assert_int_equal(pace_tier_of("chat.update"), PACE_TIER3);
	assert_int_equal(pace_tier_of("views.open"), PACE_TIER4);
	assert_int_equal(pace_tier_of("files.getUploadURLExternal"), PACE_TIER4);
	assert_int_equal(pace_tier_of("no.such.method"), PACE_TIER2);
	assert_true(pace_per_channel("chat.postMessage"));
	assert_false(pace_per_channel("chat.update"));
	/* Tier 4: a burst goes at once, then one per interval */
	for (unsigned i = 0; i < burst4; i++) {
		assert_int_equal(pace_wait(p, "views.open", NULL, t), 0);
		pace_sent(p, "views.open", NULL, t);
	}
	uint64_t w = pace_wait(p, "views.open", NULL, t);
	assert_true(w >= pace_rule(PACE_TIER4).interval_ms);
	assert_int_equal(pace_wait(p, "views.open", NULL, t + w), 0);
	/* other methods are not affected */
	assert_int_equal(pace_wait(p, "users.info", NULL, t), 0);
	/* a 429 holds the method until its time, however full the bucket */
	pace_hold(p, "users.info", t + 5000);
	assert_int_equal(pace_wait(p, "users.info", NULL, t), 5000);
	assert_int_equal(pace_wait(p, "users.info", NULL, t + 5000), 0);
	/* chat.postMessage: one per second per channel, from the answer */
	assert_int_equal(pace_wait(p, "chat.postMessage", "C1", t), 0);
	pace_sent(p, "chat.postMessage", "C1", t);
	pace_done(p, "chat.postMessage", "C1", t + 300);
	assert_int_equal(pace_wait(p, "chat.postMessage", "C1", t + 300), PACE_CHANNEL_MS);
	assert_int_equal(pace_wait(p, "chat.postMessage", "C2", t + 300), 0);
	assert_int_equal(pace_wait(p, "chat.postMessage", "C1", t + 1300), 0);
	/* scaled for tests */
	pace_set_scale(p, 0.01);
	pace_sent(p, "chat.postMessage", "C3", t);
	pace_done(p, "chat.postMessage", "C3", t);
	assert_int_equal(pace_wait(p, "chat.postMessage", "C3", t), 10);
	/* idle channel limiters are forgotten */
	size_t before = pace_limiters(p);
	for (int i = 0; i < 40; i++) {
		char ch[16];

		snprintf(ch, sizeof ch, "D%d", i);
		pace_sent(p, "chat.postMessage", ch, t + PACE_IDLE_MS * 2);
		pace_done(p, "chat.postMessage", ch, t + PACE_IDLE_MS * 2);
	}
	assert_true(pace_limiters(p) < before + 40);
	pace_free(p);
}

static void pace_retry_after_values(void **state)
{
	(void)state;
	assert_int_equal(pace_retry_after_ms("30"), 30000);
	assert_int_equal(pace_retry_after_ms(" 2 "), 2000);
	assert_int_equal(pace_retry_after_ms("0"), 0);
	assert_int_equal(pace_retry_after_ms(NULL), 1000);
	assert_int_equal(pace_retry_after_ms(""), 1000);
	assert_int_equal(pace_retry_after_ms("-5"), 1000);
	assert_int_equal(pace_retry_after_ms("1.5"), 1000);
	assert_int_equal(pace_retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT"), 1000);
	assert_int_equal(pace_retry_after_ms("99999999999999999999"), 3600 * 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(pace_tiers_and_buckets),
	    cmocka_unit_test(pace_retry_after_values),
	    cmocka_unit_test(error_text_for_common_codes),
	    cmocka_unit_test_setup_teardown(post_json_and_get_query, setup, teardown),
	    cmocka_unit_test_setup_teardown(ok_false_is_final_and_readable, setup, teardown),
	    cmocka_unit_test_setup_teardown(retry_after_is_respected, setup, teardown),
	    cmocka_unit_test_setup_teardown(method_waits_as_a_whole_after_429, setup, teardown),
	    cmocka_unit_test_setup_teardown(post_message_paced_per_channel, setup, teardown),
	    cmocka_unit_test_setup_teardown(server_errors_are_retried, setup, teardown),
	    cmocka_unit_test_setup_teardown(transport_failures_are_retried, setup, teardown),
	    cmocka_unit_test_setup_teardown(upload_flow, setup, teardown),
	    cmocka_unit_test_setup_teardown(upload_failures, setup, teardown),
	    cmocka_unit_test_setup_teardown(refused_calls_fail_through_the_callback, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(free_with_calls_in_flight, setup, teardown),
	    cmocka_unit_test_setup_teardown(free_inside_a_callback, setup, teardown),
	    cmocka_unit_test_setup_teardown(api_base_and_token_checks, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
