/* Discord's REST rate limits as data (rest_rl.h) with time passed in, and
 * the readable form of Discord's error bodies (rest_error_text). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "discord/rest.h"
#include "discord/rest_rl.h"

/* An answer with nothing in it; tests fill what they need. */
static struct rl_answer ans(long status)
{
	struct rl_answer a;

	memset(&a, 0, sizeof a);
	a.status = status;
	a.body_retry_after = -1;
	a.body_global = -1;
	return a;
}

static const char *key(const char *method, const char *path, int *exempt)
{
	static char out[4][RL_KEY_MAX];
	static int i;

	i = (i + 1) % 4;
	return rl_route_key(method, path, out[i], sizeof out[i], exempt);
}

/* Sends on a route and answers it at once. */
static void round_trip(struct rl *t, const char *k, const struct rl_answer *a, uint64_t now)
{
	assert_int_equal(rl_wait(t, k, 0, now), 0);
	rl_sent(t, k, 0, now);
	rl_done(t, k, a, now, NULL, NULL);
}

static void route_keys(void **state)
{
	(void)state;
	static const struct {
		const char *method, *path, *want;
		int exempt;
	} cases[] = {
	    {"POST", "/channels/123/messages", "POST /channels/123/messages", 0},
	    {"PATCH", "/channels/123/messages/456", "PATCH /channels/123/messages/:id", 0},
	    {"DELETE", "/channels/123/messages/456", "DELETE /channels/123/messages/:id", 0},
	    {"GET", "/guilds/9/members?limit=5&after=7", "GET /guilds/9/members", 0},
	    {"GET", "/guilds/9/members#frag", "GET /guilds/9/members", 0},
	    {"PUT", "/channels/1/messages/2/reactions/%F0%9F%91%8D/@me",
	     "PUT /channels/1/messages/:id/reactions/:reaction", 0},
	    {"DELETE", "/channels/1/messages/2/reactions",
	     "DELETE /channels/1/messages/:id/reactions", 0},
	    {"PUT", "/applications/11/guilds/22/commands",
	     "PUT /applications/:id/guilds/:id/commands", 0},
	    {"GET", "/users/@me/channels", "GET /users/@me/channels", 0},
	    {"POST", "/users/@me/channels", "POST /users/@me/channels", 0},
	    {"GET", "/gateway/bot", "GET /gateway/bot", 0},
	    {"POST", "/interactions/77/tok/callback/extra", NULL, 0},
	    {"GET", "/interactions/77/tok", NULL, 0},
	    {"POST", "/interactions/77/tok/callback", NULL, 1},
	    {"POST", "/interactions/77/tok/callback?with_response=true", NULL, 1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int ex = -1;
		const char *k = key(cases[i].method, cases[i].path, &ex);

		if (cases[i].want && strcmp(k, cases[i].want) != 0)
			fail_msg("%s %s -> '%s', want '%s'", cases[i].method, cases[i].path, k,
			         cases[i].want);
		if (ex != cases[i].exempt)
			fail_msg("%s %s: exempt %d, want %d", cases[i].method, cases[i].path, ex,
			         cases[i].exempt);
	}
}

static void route_keys_hide_tokens(void **state)
{
	(void)state;
	const char *itok = "aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OTpzZWNyZXRzZWNyZXQ";
	char path[256], k1[RL_KEY_MAX], k2[RL_KEY_MAX];
	int ex;

	/* webhook tokens: part of the major parameter, but never in the key */
	rl_route_key("POST", "/webhooks/55/hook-token-one", k1, sizeof k1, &ex);
	rl_route_key("POST", "/webhooks/55/hook-token-two", k2, sizeof k2, &ex);
	assert_null(strstr(k1, "hook-token"));
	assert_string_not_equal(k1, k2);
	assert_true(strncmp(k1, "POST /webhooks/55/#", 19) == 0);

	/* interaction follow-ups go to /webhooks/APP/TOKEN/... */
	snprintf(path, sizeof path, "/webhooks/555/%s/messages/@original", itok);
	rl_route_key("PATCH", path, k1, sizeof k1, &ex);
	assert_null(strstr(k1, itok));
	assert_non_null(strstr(k1, "/messages/@original"));
	assert_int_equal(ex, 0);

	/* interaction callbacks: id and token kept apart per interaction */
	snprintf(path, sizeof path, "/interactions/1001/%s/callback", itok);
	rl_route_key("POST", path, k1, sizeof k1, &ex);
	assert_int_equal(ex, 1);
	assert_null(strstr(k1, itok));
	assert_true(strncmp(k1, "POST /interactions/1001/#", 25) == 0);
	snprintf(path, sizeof path, "/interactions/1002/%s/callback", itok);
	rl_route_key("POST", path, k2, sizeof k2, &ex);
	assert_string_not_equal(k1, k2);

	/* any long opaque segment elsewhere is hashed too */
	snprintf(path, sizeof path, "/oauth2/%s", itok);
	rl_route_key("GET", path, k1, sizeof k1, &ex);
	assert_null(strstr(k1, itok));
}

static void route_keys_cut(void **state)
{
	(void)state;
	char path[2048], small[16];
	int ex;

	memset(path, 'a', sizeof path - 1);
	path[0] = '/';
	path[sizeof path - 1] = '\0';
	for (size_t i = 10; i < sizeof path - 1; i += 11)
		path[i] = '/';
	rl_route_key("GET", path, small, sizeof small, &ex);
	assert_int_equal(strlen(small), sizeof small - 1);
	char big[RL_KEY_MAX];
	rl_route_key("GET", path, big, sizeof big, &ex);
	assert_true(strlen(big) < sizeof big);
	rl_route_key("GET", "", big, sizeof big, &ex);
	assert_string_equal(big, "GET ");
	rl_route_key("GET", "//channels//", big, sizeof big, &ex);
	assert_int_equal(ex, 0);
}

static void one_in_flight_per_bucket(void **state)
{
	(void)state;
	struct rl *t = rl_new(50);
	const char *a = key("POST", "/channels/1/messages", NULL);
	struct rl_answer ok = ans(200);

	assert_int_equal(rl_wait(t, a, 0, 0), 0);
	rl_sent(t, a, 0, 0);
	assert_true(rl_wait(t, a, 0, 1) == RL_BUSY);
	assert_true(rl_wait(t, a, 0, 100000) == RL_BUSY); /* only a completion frees it */
	rl_done(t, a, &ok, 5, NULL, NULL);
	assert_int_equal(rl_wait(t, a, 0, 5), 0);
	rl_free(t);
}

static void parallel_buckets(void **state)
{
	(void)state;
	struct rl *t = rl_new(50);
	const char *c1 = key("POST", "/channels/1/messages", NULL);
	const char *c2 = key("POST", "/channels/2/messages", NULL);
	const char *g = key("GET", "/guilds/1/members", NULL);

	rl_sent(t, c1, 0, 0);
	/* another channel, another route: each its own limiter */
	assert_int_equal(rl_wait(t, c2, 0, 0), 0);
	assert_int_equal(rl_wait(t, g, 0, 0), 0);
	rl_sent(t, c2, 0, 0);
	rl_sent(t, g, 0, 0);
	assert_true(rl_wait(t, c1, 0, 0) == RL_BUSY);
	assert_true(rl_wait(t, c2, 0, 0) == RL_BUSY);
	rl_free(t);
}

static void learned_bucket_is_shared(void **state)
{
	(void)state;
	struct rl *t = rl_new(50);
	const char *post = key("POST", "/channels/1/messages", NULL);
	const char *del = key("DELETE", "/channels/1/messages/99", NULL);
	const char *post2 = key("POST", "/channels/2/messages", NULL);
	struct rl_answer a = ans(200);

	a.bucket = "abcd1234";
	a.remaining = "4";
	a.reset_after = "5";
	/* before learning, the two routes are separate */
	rl_sent(t, post, 0, 0);
	assert_int_equal(rl_wait(t, del, 0, 0), 0);
	rl_done(t, post, &a, 1, NULL, NULL);
	round_trip(t, del, &a, 2);

	/* both answered with the same bucket: one in flight blocks the other,
	 * on the same channel only */
	rl_sent(t, post, 0, 3);
	assert_true(rl_wait(t, del, 0, 3) == RL_BUSY);
	assert_int_equal(rl_wait(t, post2, 0, 3), 0);
	rl_done(t, post, &a, 4, NULL, NULL);
	assert_int_equal(rl_wait(t, del, 0, 4), 0);

	/* an exhausted shared bucket holds both routes */
	a.remaining = "0";
	a.reset_after = "2.5";
	round_trip(t, post, &a, 10);
	assert_int_equal(rl_wait(t, del, 0, 10), 2500);
	assert_int_equal(rl_wait(t, post2, 0, 10), 0);
	rl_free(t);
}

/* A route's bucket learned from one major's answer while another major of
 * the same route is in flight: that request still holds, and releases, the
 * limiter it went out on. */
static void bucket_learned_mid_flight(void **state)
{
	(void)state;
	struct rl *t = rl_new(50);
	const char *c1 = key("POST", "/channels/1/messages", NULL);
	const char *c2 = key("POST", "/channels/2/messages", NULL);
	struct rl_answer a = ans(200);

	a.bucket = "b1";
	a.remaining = "3";
	a.reset_after = "1";
	rl_sent(t, c1, 0, 0);
	rl_sent(t, c2, 0, 0);
	rl_done(t, c1, &a, 1, NULL, NULL);
	assert_int_equal(rl_wait(t, c1, 0, 1), 0);
	assert_true(rl_wait(t, c2, 0, 1) == RL_BUSY);
	rl_done(t, c2, &a, 2, NULL, NULL);
	assert_int_equal(rl_wait(t, c2, 0, 2), 0);

	/* and when the bucket name changes under a request in flight */
	rl_sent(t, c2, 0, 3);
	a.bucket = "b2";
	round_trip(t, c1, &a, 3);
	assert_true(rl_wait(t, c2, 0, 3) == RL_BUSY);
	rl_done(t, c2, &a, 4, NULL, NULL);
	assert_int_equal(rl_wait(t, c2, 0, 4), 0);
	rl_sent(t, c2, 0, 5);
	assert_true(rl_wait(t, c2, 0, 5) == RL_BUSY);
	rl_done(t, c2, &a, 6, NULL, NULL);
	assert_int_equal(rl_wait(t, c2, 0, 6), 0);
	rl_free(t);
}

static void remaining_zero_waits_for_reset(void **state)
{
	(void)state;
	struct rl *t = rl_new(50);
	const char *k = key("POST", "/channels/1/messages", NULL);
	const char *other = key("POST", "/channels/2/messages", NULL);
	struct rl_answer a = ans(200);

	a.bucket = "x";
	a.limit = "5";
	a.remaining = "0";
	a.reset_after = "1.5";
	round_trip(t, k, &a, 1000);
	assert_int_equal(rl_wait(t, k, 0, 1000), 1500);
	assert_int_equal(rl_wait(t, k, 0, 2499), 1);
	assert_int_equal(rl_wait(t, k, 0, 2500), 0);
	assert_int_equal(rl_wait(t, other, 0, 1000), 0);

	/* remaining > 0: no wait; fractional resets round up */
	a.remaining = "1";
	a.reset_after = "0.0001";
	round_trip(t, k, &a, 3000);
	assert_int_equal(rl_wait(t, k, 0, 3000), 0);
	a.remaining = "0";
	round_trip(t, k, &a, 3000);
	assert_int_equal(rl_wait(t, k, 0, 3000), 1);

	/* exhausted but no reset given: a short pause, not forever */
	a.reset_after = NULL;
	round_trip(t, k, &a, 5000);
	assert_int_equal(rl_wait(t, k, 0, 5000), 1000);
	assert_int_equal(rl_wait(t, k, 0, 6000), 0);
	rl_free(t);
}

static void global_limit_per_second(void **state)
{
	(void)state;
	struct rl *t = rl_new(50);
	struct rl_answer ok = ans(200);
	char path[64];
	int ex;
	const char *cb = key("POST", "/interactions/5/tok/callback", &ex);

	assert_int_equal(ex, 1);
	for (int i = 0; i < 50; i++) {
		snprintf(path, sizeof path, "/channels/%d/messages", 100 + i);
		round_trip(t, key("POST", path, NULL), &ok, i < 25 ? 0 : 400);
	}
	const char *next = key("POST", "/channels/9999/messages", NULL);
	assert_int_equal(rl_wait(t, next, 0, 400), 600);
	assert_int_equal(rl_wait(t, next, 0, 999), 1);
	assert_int_equal(rl_wait(t, cb, 1, 400), 0); /* interaction callbacks are exempt */
	/* a sliding window: at 1000 the 25 sent at 0 have left it */
	for (int i = 0; i < 25; i++) {
		snprintf(path, sizeof path, "/channels/%d/messages", 200 + i);
		round_trip(t, key("POST", path, NULL), &ok, 1000);
	}
	assert_int_equal(rl_wait(t, next, 0, 1000), 400);
	/* exempt sends do not use the window up */
	for (int i = 0; i < 100; i++) {
		rl_sent(t, cb, 1, 1400);
		rl_done(t, cb, &ok, 1400, NULL, NULL);
	}
	assert_int_equal(rl_wait(t, next, 0, 1400), 0);
	rl_free(t);

	/* 0 turns the proactive limit off */
	t = rl_new(0);
	for (int i = 0; i < 500; i++) {
		snprintf(path, sizeof path, "/channels/%d/messages", i);
		round_trip(t, key("POST", path, NULL), &ok, 0);
	}
	rl_free(t);
}

static void global_429_pauses_all_but_callbacks(void **state)
{
	(void)state;
	const char *k = key("POST", "/channels/1/messages", NULL);
	const char *other = key("GET", "/guilds/2/members", NULL);
	const char *cb = key("POST", "/interactions/5/tok/callback", NULL);
	int global = -1, ban = -1;

	/* the header, the body and the scope each say "global" */
	for (int how = 0; how < 3; how++) {
		struct rl *t = rl_new(50);
		struct rl_answer a = ans(429);

		a.body_retry_after = 2.0;
		a.retry_after_hdr = "2";
		a.scope = how == 2 ? "global" : NULL;
		if (how == 0)
			a.global_hdr = "true";
		else if (how == 1)
			a.body_global = 1;
		rl_sent(t, k, 0, 100);
		assert_int_equal(rl_done(t, k, &a, 100, &global, &ban), 2000);
		assert_int_equal(global, 1);
		assert_int_equal(ban, 0);
		assert_int_equal(rl_wait(t, other, 0, 100), 2000);
		assert_int_equal(rl_wait(t, k, 0, 1100), 1000);
		assert_int_equal(rl_wait(t, cb, 1, 100), 0);
		assert_int_equal(rl_wait(t, other, 0, 2100), 0);
		assert_int_equal(rl_invalid(t), 1);
		rl_free(t);
	}
}

static void retry_after_sources(void **state)
{
	(void)state;
	const char *k = key("POST", "/channels/1/messages", NULL);
	const char *other = key("POST", "/channels/2/messages", NULL);
	static const struct {
		double body;
		const char *hdr, *reset;
		uint64_t want;
	} cases[] = {
	    {0.25, "1", "1", 250},  /* the body's float is the most precise */
	    {-1, "3", "1", 3000},   /* else the header */
	    {-1, NULL, "0.5", 500}, /* else the bucket's reset */
	    {-1, NULL, NULL, 1000}, /* else a second */
	    {-1, "Wed, 21 Oct 2015 07:28:00 GMT", NULL, 1000}, /* dates are not used */
	    {0, NULL, NULL, 1},                                /* zero still waits a tick */
	    {1e12, NULL, NULL, RL_MAX_WAIT_MS},
	    {-1, "99999999999999999999", NULL, RL_MAX_WAIT_MS},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct rl *t = rl_new(50);
		struct rl_answer a = ans(429);
		int global = -1, ban = -1;

		a.bucket = "b";
		a.remaining = "0";
		a.reset_after = cases[i].reset;
		a.retry_after_hdr = cases[i].hdr;
		a.body_retry_after = cases[i].body;
		a.body_global = 0;
		a.scope = "user";
		rl_sent(t, k, 0, 0);
		uint64_t w = rl_done(t, k, &a, 0, &global, &ban);
		if (w != cases[i].want)
			fail_msg("case %zu: retry %llu ms, want %llu", i, (unsigned long long)w,
			         (unsigned long long)cases[i].want);
		assert_int_equal(global, 0);
		assert_int_equal(ban, 0);
		/* a route's 429 holds that route only */
		assert_true(rl_wait(t, k, 0, 0) >= cases[i].want);
		assert_int_equal(rl_wait(t, other, 0, 0), 0);
		rl_free(t);
	}
}

static void ban_shaped_429(void **state)
{
	(void)state;
	struct rl *t = rl_new(50);
	const char *k = key("POST", "/channels/1/messages", NULL);
	const char *cb = key("POST", "/interactions/5/tok/callback", NULL);
	struct rl_answer a = ans(429);
	int global = -1, ban = -1;

	/* no X-RateLimit-* header at all: Cloudflare, not Discord's limiter */
	a.retry_after_hdr = "5";
	rl_sent(t, k, 0, 0);
	assert_int_equal(rl_done(t, k, &a, 0, &global, &ban), RL_BAN_MS);
	assert_int_equal(ban, 1);
	assert_int_equal(global, 0);
	/* everything waits, interaction callbacks too: the ban is by address */
	assert_int_equal(rl_wait(t, cb, 1, 0), RL_BAN_MS);
	assert_int_equal(rl_wait(t, key("GET", "/gateway/bot", NULL), 0, 1000), RL_BAN_MS - 1000);
	assert_int_equal(rl_wait(t, k, 0, RL_BAN_MS), 0);

	/* a longer retry_after wins over the least pause */
	a.body_retry_after = 120;
	rl_sent(t, k, 0, RL_BAN_MS);
	assert_int_equal(rl_done(t, k, &a, RL_BAN_MS, &global, &ban), 120000);
	assert_int_equal(rl_wait(t, k, 0, RL_BAN_MS), 120000);
	rl_free(t);
}

static void shared_scope_and_invalid_count(void **state)
{
	(void)state;
	struct rl *t = rl_new(50);
	const char *k = key("PUT", "/channels/1/messages/2/reactions/x/@me", NULL);
	struct rl_answer a = ans(429);
	int global = -1, ban = -1;

	a.bucket = "r";
	a.limit = "1";
	a.remaining = "1";
	a.reset_after = "0.25";
	a.scope = "shared";
	a.body_retry_after = 3;
	a.body_global = 0;
	rl_sent(t, k, 0, 0);
	assert_int_equal(rl_done(t, k, &a, 0, &global, &ban), 3000);
	assert_int_equal(global, 0);
	assert_int_equal(ban, 0);
	assert_int_equal(rl_invalid(t), 0);          /* Discord does not count these */
	assert_int_equal(rl_wait(t, k, 0, 0), 3000); /* but we still wait */

	a.scope = "user";
	rl_sent(t, k, 0, 3000);
	rl_done(t, k, &a, 3000, NULL, NULL);
	assert_int_equal(rl_invalid(t), 1);
	struct rl_answer denied = ans(403);
	round_trip(t, key("GET", "/guilds/1", NULL), &denied, 7000);
	denied.status = 401;
	round_trip(t, key("GET", "/guilds/2", NULL), &denied, 7000);
	denied.status = 404;
	round_trip(t, key("GET", "/guilds/3", NULL), &denied, 7000);
	assert_int_equal(rl_invalid(t), 3);
	rl_free(t);
}

static void transfer_failure_learns_nothing(void **state)
{
	(void)state;
	struct rl *t = rl_new(50);
	const char *k = key("POST", "/channels/1/messages", NULL);
	struct rl_answer none = ans(0);

	none.remaining = "0"; /* ignored: no answer came */
	none.reset_after = "100";
	rl_sent(t, k, 0, 0);
	assert_int_equal(rl_done(t, k, &none, 0, NULL, NULL), 0);
	assert_int_equal(rl_wait(t, k, 0, 0), 0);
	/* a backoff hold keeps the route closed, other routes open */
	rl_hold(t, k, 700);
	assert_int_equal(rl_wait(t, k, 0, 200), 500);
	assert_int_equal(rl_wait(t, key("POST", "/channels/2/messages", NULL), 0, 200), 0);
	assert_int_equal(rl_wait(t, k, 0, 700), 0);
	/* rl_done without rl_sent does no harm */
	rl_done(t, key("GET", "/never/sent", NULL), &none, 0, NULL, NULL);
	rl_free(t);
}

static void garbage_headers(void **state)
{
	(void)state;
	static const char *const junk[] = {
	    "",    " ",    "abc",   "-1",  "1e9", "nan",
	    "inf", "0x10", "1.2.3", ".",   "+5",  "99999999999999999999999999999",
	    "5 ",  " 0.5", "\t7\t", "1,5",
	};
	struct rl *t = rl_new(50);
	const char *k = key("POST", "/channels/1/messages", NULL);

	for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
		for (size_t j = 0; j < sizeof junk / sizeof junk[0]; j++) {
			struct rl_answer a = ans(i % 2 ? 429 : 200);

			a.bucket = junk[j];
			a.limit = junk[i];
			a.remaining = junk[i];
			a.reset_after = junk[j];
			a.retry_after_hdr = junk[j];
			a.global_hdr = junk[i];
			a.scope = junk[j];
			rl_sent(t, k, 0, 0);
			uint64_t w = rl_done(t, k, &a, 0, NULL, NULL);
			assert_true(w <= RL_MAX_WAIT_MS);
		}
	}
	/* nothing waits past the clamp */
	assert_true(rl_wait(t, k, 0, 0) <= RL_MAX_WAIT_MS);
	rl_free(t);
}

static void idle_limiters_are_forgotten(void **state)
{
	(void)state;
	struct rl *t = rl_new(0);
	struct rl_answer ok = ans(200);
	char path[96];

	/* every interaction is a major of its own */
	for (int i = 0; i < 1000; i++) {
		snprintf(path, sizeof path, "/interactions/%d/tok%d/callback", i, i);
		const char *k = key("POST", path, NULL);
		rl_sent(t, k, 1, 0);
		rl_done(t, k, &ok, 0, NULL, NULL);
	}
	assert_true(rl_limiters(t) >= 1000);
	for (int i = 0; i < 600; i++) {
		snprintf(path, sizeof path, "/channels/%d/messages", i % 3);
		round_trip(t, key("POST", path, NULL), &ok, RL_IDLE_MS + 1);
	}
	assert_true(rl_limiters(t) < 10);
	rl_free(t);
}

/* --- rest_error_text ------------------------------------------------------- */

static void error_text_discord_shapes(void **state)
{
	(void)state;
	static const struct {
		const char *body, *want;
		int code;
	} cases[] = {
	    {"{\"code\": 50035, \"errors\": {\"content\": {\"_errors\": [{\"code\": "
	     "\"BASE_TYPE_MAX_LENGTH\", \"message\": \"Must be 2000 or fewer in length.\"}]}}, "
	     "\"message\": \"Invalid Form Body\"}",
	     "Invalid Form Body (50035): content: Must be 2000 or fewer in length.", 50035},
	    {"{\"code\":50035,\"errors\":{\"activities\":{\"0\":{\"platform\":{\"_errors\":[{"
	     "\"code\":\"BASE_TYPE_CHOICES\",\"message\":\"Value must be one of ('desktop', "
	     "'android', 'ios').\"}]},\"type\":{\"_errors\":[{\"code\":\"BASE_TYPE_CHOICES\","
	     "\"message\":\"Value must be one of (0, 1, 2, 3, 4, 5).\"}]}}}},\"message\":"
	     "\"Invalid Form Body\"}",
	     "Invalid Form Body (50035): activities.0.platform: Value must be one of ('desktop', "
	     "'android', 'ios').; activities.0.type: Value must be one of (0, 1, 2, 3, 4, 5).",
	     50035},
	    {"{\"code\":50035,\"message\":\"Invalid Form Body\",\"errors\":{\"_errors\":[{"
	     "\"code\":\"APPLICATION_COMMAND_TOO_LARGE\",\"message\":\"Command exceeds maximum "
	     "size (8000)\"}]}}",
	     "Invalid Form Body (50035): Command exceeds maximum size (8000)", 50035},
	    {"{\"message\": \"Unknown Channel\", \"code\": 10003}", "Unknown Channel (10003)",
	     10003},
	    {"{\"message\": \"Missing Permissions\", \"code\": 50013}",
	     "Missing Permissions (50013)", 50013},
	    {"{\"message\": \"401: Unauthorized\", \"code\": 0}", "401: Unauthorized (0)", 0},
	    {"{\"message\": \"You are being rate limited.\", \"retry_after\": 64.57, "
	     "\"global\": false}",
	     "You are being rate limited.", 0},
	    {"{\"code\": 40060}", "error (40060)", 40060},
	    {"{\"code\": 50035, \"message\": \"Invalid Form Body\", \"errors\": {}}",
	     "Invalid Form Body (50035)", 50035},
	    {"{\"code\": 50035, \"message\": \"Invalid Form Body\", \"errors\": "
	     "{\"a\":{\"_errors\":[{\"code\":\"X\"},7,{\"message\":3}]}}}",
	     "Invalid Form Body (50035)", 50035},
	    {"{\"code\": \"50035\", \"message\": \"text code\"}", "text code", 0},
	    {"{\"code\": 1e20, \"message\": \"big\"}", "big", 0},
	    {"{\"code\": -5, \"message\": \"neg\"}", "neg", 0},
	    {"{\"code\": 1.5, \"message\": \"frac\"}", "frac", 0},
	    {"{\"message\": \"two\\nlines\\u0000x\"}", "two lines", 0},
	};
	char out[512];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int code = rest_error_text(cases[i].body, strlen(cases[i].body), out, sizeof out);

		if (strcmp(out, cases[i].want) != 0 || code != cases[i].code)
			fail_msg("case %zu: '%s' (%d), want '%s' (%d)", i, out, code, cases[i].want,
			         cases[i].code);
	}
}

static void error_text_garbage(void **state)
{
	(void)state;
	char out[512], tiny[8];
	static const char nul[] = "ab\0cd";

	assert_int_equal(rest_error_text("", 0, out, sizeof out), 0);
	assert_string_equal(out, "(empty body)");
	assert_int_equal(rest_error_text(NULL, 5, out, sizeof out), 0);
	assert_string_equal(out, "(empty body)");
	assert_int_equal(rest_error_text(" \r\n", 3, out, sizeof out), 0);
	assert_string_equal(out, "(empty body)");
	const char *html = "<html><head><title>429 Too Many Requests</title></head></html>";
	assert_int_equal(rest_error_text(html, strlen(html), out, sizeof out), 0);
	assert_string_equal(out, html);
	assert_int_equal(rest_error_text("[1,2]", 5, out, sizeof out), 0);
	assert_string_equal(out, "[1,2]");
	assert_int_equal(rest_error_text("{\"x\":1}", 7, out, sizeof out), 0);
	assert_string_equal(out, "{\"x\":1}");
	assert_int_equal(rest_error_text(nul, sizeof nul - 1, out, sizeof out), 0);
	assert_string_equal(out, "ab cd");
	/* a JSON prefix followed by junk is not an object */
	assert_int_equal(rest_error_text("{\"code\":1}xyz", 13, out, sizeof out), 0);

	/* long bodies are cut to an excerpt */
	char big[4096];
	memset(big, 'x', sizeof big);
	rest_error_text(big, sizeof big, out, sizeof out);
	assert_true(strlen(out) < 200);
	assert_non_null(strstr(out, "..."));

	/* any output size, always terminated */
	const char *j = "{\"code\":50035,\"message\":\"Invalid Form Body\"}";
	assert_int_equal(rest_error_text(j, strlen(j), tiny, sizeof tiny), 50035);
	assert_string_equal(tiny, "Inva...");
	assert_int_equal(rest_error_text(j, strlen(j), tiny, 1), 50035);
	assert_string_equal(tiny, "");
	assert_int_equal(rest_error_text(j, strlen(j), NULL, 0), 0);

	/* cuts fall between characters, not inside one */
	const char *u = "{\"message\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}";
	char nine[9];
	rest_error_text(u, strlen(u), nine, sizeof nine);
	assert_string_equal(nine, "\xc3\xa9\xc3\xa9...");

	/* deep nesting and many fields stay bounded */
	struct {
		char b[8192];
		size_t n;
	} d = {{0}, 0};
	d.n += (size_t)snprintf(d.b, sizeof d.b, "{\"code\":50035,\"message\":\"M\",\"errors\":");
	for (int i = 0; i < 200; i++)
		d.n += (size_t)snprintf(d.b + d.n, sizeof d.b - d.n, "{\"k%d\":", i);
	d.n +=
	    (size_t)snprintf(d.b + d.n, sizeof d.b - d.n, "{\"_errors\":[{\"message\":\"deep\"}]}");
	for (int i = 0; i < 200; i++)
		d.b[d.n++] = '}';
	d.b[d.n++] = '}';
	d.b[d.n] = '\0';
	assert_int_equal(rest_error_text(d.b, d.n, out, sizeof out), 50035);
	assert_string_equal(out, "M (50035)");

	d.n = (size_t)snprintf(d.b, sizeof d.b, "{\"code\":50035,\"message\":\"M\",\"errors\":{");
	for (int i = 0; i < 40; i++)
		d.n += (size_t)snprintf(d.b + d.n, sizeof d.b - d.n,
		                        "%s\"f%d\":{\"_errors\":[{\"message\":\"bad\"}]}",
		                        i ? "," : "", i);
	d.n += (size_t)snprintf(d.b + d.n, sizeof d.b - d.n, "}}");
	assert_int_equal(rest_error_text(d.b, d.n, out, sizeof out), 50035);
	assert_non_null(strstr(out, "f0: bad; f1: bad"));
	assert_non_null(strstr(out, "; ..."));
	assert_null(strstr(out, "f9:"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(route_keys),
	    cmocka_unit_test(route_keys_hide_tokens),
	    cmocka_unit_test(route_keys_cut),
	    cmocka_unit_test(one_in_flight_per_bucket),
	    cmocka_unit_test(parallel_buckets),
	    cmocka_unit_test(learned_bucket_is_shared),
	    cmocka_unit_test(bucket_learned_mid_flight),
	    cmocka_unit_test(remaining_zero_waits_for_reset),
	    cmocka_unit_test(global_limit_per_second),
	    cmocka_unit_test(global_429_pauses_all_but_callbacks),
	    cmocka_unit_test(retry_after_sources),
	    cmocka_unit_test(ban_shaped_429),
	    cmocka_unit_test(shared_scope_and_invalid_count),
	    cmocka_unit_test(transfer_failure_learns_nothing),
	    cmocka_unit_test(garbage_headers),
	    cmocka_unit_test(idle_limiters_are_forgotten),
	    cmocka_unit_test(error_text_discord_shapes),
	    cmocka_unit_test(error_text_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
