/* The REST client (rest.c) on the real HTTP client (net/http.c) against a
 * scripted HTTP/1.1 server on the same libuv loop, on a random loopback
 * port. The script says, per request path, what to answer: status,
 * headers, body, a delay, no answer at all, or a connection reset. The
 * server records what it got and when, so tests check headers, bodies,
 * order and "not before" times (never upper bounds: machines are noisy). */
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

#define TOKEN    "MTIzNDU2Nzg5MDEyMzQ1Njc4.GsEcRt.bot-token-that-must-never-be-logged"
#define ITOKEN   "aW50ZXJhY3Rpb246OTk5OTk5OTk5OTk5OnNlY3JldC1pbnRlcmFjdGlvbi10b2tlbg"
#define HOOKTOK  "webhook-secret-token-value-0123456789abcdef"
#define API      "/api/v10"
#define MAX_SEEN 32
#define SLACK_MS 2 /* clock rounding between the server's and the loop's ms */

enum { ANSWER = 0, HANG, RESET };

struct step {
	const char *path; /* request path after /api/v10, query excluded; NULL: any */
	int what;         /* ANSWER, HANG (never answer), RESET (close with RST) */
	int status;
	const char *headers; /* extra header lines, each ending in \r\n */
	const char *body;    /* NULL: empty */
	size_t big;          /* > 0: a body of this many 'x' instead */
	unsigned delay_ms;
	int used;
};

struct seen {
	char method[16];
	char path[512];
	char *headers;
	char *body;
	size_t body_len;
	uint64_t at;          /* when it arrived (monotonic ms) */
	uint64_t answered_at; /* when the answer was written; 0 if none */
};

struct conn {
	uv_tcp_t tcp;
	uv_timer_t delay;
	struct conn *next;
	struct buf in;
	int open_handles;
	int closing;
	int busy; /* an answer is delayed or withheld: parse nothing more */
	struct step *step;
	size_t seen_idx;
};

static struct server {
	uv_tcp_t listener;
	int port;
	struct step *steps;
	size_t nsteps;
	struct seen seen[MAX_SEEN];
	size_t nseen;
	int unscripted;
	struct conn *conns;
} srv;

static struct net_loop *loop;
static struct rest *rest;
static uv_timer_t tick;
static FILE *log_file;

static uint64_t mono_ms(void)
{
	return uv_hrtime() / 1000000;
}

/* --- the scripted server ------------------------------------------------------ */

static void conn_closed(uv_handle_t *h)
{
	struct conn *c = h->data;

	if (--c->open_handles > 0)
		return;
	for (struct conn **pp = &srv.conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	buf_free(&c->in);
	free(c);
}

static void conn_close(struct conn *c, int reset)
{
	if (c->closing)
		return;
	c->closing = 1;
	uv_timer_stop(&c->delay);
	uv_close((uv_handle_t *)&c->delay, conn_closed);
	if (reset)
		uv_tcp_close_reset(&c->tcp, conn_closed);
	else
		uv_close((uv_handle_t *)&c->tcp, conn_closed);
}

struct wr {
	uv_write_t req;
	char *data;
};

static void wrote(uv_write_t *req, int status)
{
	struct wr *w = (struct wr *)req;

	(void)status; /* a client that gave up early (body too big) is fine */
	free(w->data);
	free(w);
}

static void conn_parse(struct conn *c);

static void conn_answer(struct conn *c)
{
	struct step *s = c->step;
	struct buf out;
	struct wr *w;
	size_t blen = s->big ? s->big : s->body ? strlen(s->body) : 0;
	size_t total;

	c->busy = 0;
	c->step = NULL;
	srv.seen[c->seen_idx].answered_at = mono_ms();
	if (s->what == RESET) {
		conn_close(c, 1);
		return;
	}
	buf_init(&out, blen + 4096);
	buf_printf(&out,
	           "HTTP/1.1 %d Scripted\r\nContent-Type: application/json\r\n"
	           "Content-Length: %zu\r\n%s\r\n",
	           s->status, blen, s->headers ? s->headers : "");
	if (s->big) {
		char *x = xmalloc(s->big);
		memset(x, 'x', s->big);
		buf_add(&out, x, s->big);
		free(x);
	} else if (s->body) {
		buf_adds(&out, s->body);
	}
	total = out.len;
	w = xcalloc(1, sizeof *w);
	w->data = buf_take(&out);
	uv_buf_t b = uv_buf_init(w->data, (unsigned)total);
	uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, wrote);
	conn_parse(c); /* a pipelined request may wait in the buffer */
}

static void delay_done(uv_timer_t *t)
{
	conn_answer(t->data);
}

static struct step *pick_step(const char *path)
{
	char p[512];
	size_t n = strcspn(path, "?");

	if (strncmp(path, API, strlen(API)) == 0) {
		path += strlen(API);
		n -= strlen(API);
	}
	snprintf(p, sizeof p, "%.*s", (int)n, path);
	for (size_t i = 0; i < srv.nsteps; i++) {
		struct step *s = &srv.steps[i];

		if (!s->used && (!s->path || strcmp(s->path, p) == 0)) {
			s->used = 1;
			return s;
		}
	}
	return NULL;
}

static struct step unscripted = {NULL, ANSWER, 418, NULL, "{\"message\":\"unscripted\"}", 0, 0, 0};

/* Takes one whole request from the buffer, if there is one. */
static void conn_parse(struct conn *c)
{
	char *head, *end, *cl;
	size_t hlen, blen = 0, total;
	struct seen *sn;

	if (c->busy || c->closing || !c->in.data)
		return;
	head = c->in.data;
	end = strstr(head, "\r\n\r\n");
	if (!end)
		return;
	hlen = (size_t)(end - head) + 4;
	cl = strstr(head, "Content-Length:");
	if (cl && cl < end)
		blen = strtoul(cl + 15, NULL, 10);
	total = hlen + blen;
	if (c->in.len < total)
		return;
	assert_true(srv.nseen < MAX_SEEN);
	sn = &srv.seen[srv.nseen];
	memset(sn, 0, sizeof *sn);
	sscanf(head, "%15s %511s", sn->method, sn->path);
	sn->headers = xstrndup(head, hlen);
	sn->body = xmalloc(blen + 1); /* bodies may hold NULs (files) */
	memcpy(sn->body, head + hlen, blen);
	sn->body[blen] = '\0';
	sn->body_len = blen;
	sn->at = mono_ms();
	c->seen_idx = srv.nseen++;
	memmove(c->in.data, c->in.data + total, c->in.len - total + 1);
	c->in.len -= total;

	c->step = pick_step(sn->path);
	if (!c->step) {
		srv.unscripted++;
		c->step = &unscripted;
	}
	c->busy = 1;
	if (c->step->what == HANG)
		return; /* the client times out and hangs up */
	if (c->step->delay_ms)
		uv_timer_start(&c->delay, delay_done, c->step->delay_ms, 0);
	else
		conn_answer(c);
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	(void)h;
	(void)hint;
	static char slab[65536];

	*b = uv_buf_init(slab, sizeof slab);
}

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct conn *c = s->data;

	if (n < 0) {
		conn_close(c, 0);
		return;
	}
	if (n > 0) {
		assert_int_equal(buf_add(&c->in, b->base, (size_t)n), SB_OK);
		conn_parse(c);
	}
}

static void on_connection(uv_stream_t *l, int status)
{
	struct conn *c;

	assert_int_equal(status, 0);
	c = xcalloc(1, sizeof *c);
	buf_init(&c->in, 16 * 1024 * 1024);
	uv_tcp_init(l->loop, &c->tcp);
	uv_timer_init(l->loop, &c->delay);
	c->tcp.data = c->delay.data = c;
	c->open_handles = 2;
	c->next = srv.conns;
	srv.conns = c;
	assert_int_equal(uv_accept(l, (uv_stream_t *)&c->tcp), 0);
	uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
}

static void server_start(uv_loop_t *uv)
{
	struct sockaddr_in addr;
	struct sockaddr_storage bound;
	int len = sizeof bound;

	memset(&srv, 0, sizeof srv);
	uv_ip4_addr("127.0.0.1", 0, &addr);
	assert_int_equal(uv_tcp_init(uv, &srv.listener), 0);
	assert_int_equal(uv_tcp_bind(&srv.listener, (const struct sockaddr *)&addr, 0), 0);
	assert_int_equal(uv_listen((uv_stream_t *)&srv.listener, 16, on_connection), 0);
	uv_tcp_getsockname(&srv.listener, (struct sockaddr *)&bound, &len);
	srv.port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
}

static void server_stop(void)
{
	uv_close((uv_handle_t *)&srv.listener, NULL);
	for (struct conn *c = srv.conns; c; c = c->next)
		conn_close(c, 0);
}

static void script(struct step *steps, size_t n)
{
	srv.steps = steps;
	srv.nsteps = n;
}

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
	g->at = mono_ms();
	snprintf(g->message, sizeof g->message, "%s", res->message ? res->message : "(null)");
	snprintf(g->id, sizeof g->id, "%s", cJSON_IsString(id) ? id->valuestring : "");
}

static void tick_cb(uv_timer_t *t)
{
	(void)t; /* only makes uv_run(ONCE) return now and then */
}

/* Runs the loop until cond holds; a test that waits 30 s has hung. */
#define RUN_UNTIL(cond)                                                                            \
	do {                                                                                       \
		uint64_t t0_ = mono_ms();                                                          \
		while (!(cond)) {                                                                  \
			if (mono_ms() - t0_ > 30000)                                               \
				fail_msg("timed out waiting for %s", #cond);                       \
			uv_run(net_loop_uv(loop), UV_RUN_ONCE);                                    \
		}                                                                                  \
	} while (0)

static void run_for(unsigned ms)
{
	uint64_t end = mono_ms() + ms;

	while (mono_ms() < end)
		uv_run(net_loop_uv(loop), UV_RUN_ONCE);
}

static unsigned long rate_limited(void)
{
	struct rest_stats st;

	rest_get_stats(rest, &st);
	return st.rate_limited;
}

static void new_client(void)
{
	char base[64];

	snprintf(base, sizeof base, "http://127.0.0.1:%d" API, srv.port);
	assert_int_equal(rest_new(&rest, loop, base, TOKEN), SB_OK);
}

static int setup(void **state)
{
	(void)state;
	log_file = tmpfile();
	assert_non_null(log_file);
	log_set_stream(log_file);
	log_set_level(LOG_DEBUG);
	assert_int_equal(net_loop_new(&loop, NULL), SB_OK);
	uv_timer_init(net_loop_uv(loop), &tick);
	uv_timer_start(&tick, tick_cb, 20, 20);
	server_start(net_loop_uv(loop));
	new_client();
	return 0;
}

static char *read_log(void)
{
	struct buf b;
	char chunk[4096];
	size_t n;

	buf_init(&b, 64 * 1024 * 1024);
	fflush(log_file);
	rewind(log_file);
	while ((n = fread(chunk, 1, sizeof chunk, log_file)) > 0)
		buf_add(&b, chunk, n);
	return buf_take(&b);
}

static int teardown(void **state)
{
	(void)state;
	char *log = read_log();

	rest_free(rest);
	rest = NULL;
	server_stop();
	uv_close((uv_handle_t *)&tick, NULL);
	net_loop_free(loop);
	loop = NULL;
	log_set_stream(NULL);
	log_set_level(LOG_INFO);
	fclose(log_file);
	/* secrets never reach the log, whatever happened */
	if (strstr(log, TOKEN) || strstr(log, ITOKEN) || strstr(log, HOOKTOK) ||
	    strstr(log, "bot-token-that"))
		fail_msg("a token reached the log:\n%s", log);
	if (getenv("TEST_REST_LOG")) /* to see what the client logged */
		fputs(log, stderr);
	free(log);
	for (size_t i = 0; i < srv.nseen; i++) {
		free(srv.seen[i].headers);
		free(srv.seen[i].body);
	}
	assert_int_equal(srv.unscripted, 0);
	return 0;
}

static void assert_header(const struct seen *s, const char *line)
{
	char want[512];

	snprintf(want, sizeof want, "\r\n%s\r\n", line);
	if (!strstr(s->headers, want))
		fail_msg("header '%s' missing in:\n%s", line, s->headers);
}

/* --- tests ---------------------------------------------------------------------- */

static void ok_with_json_and_headers(void **state)
{
	(void)state;
	struct step steps[] = {
	    {"/channels/1/messages", ANSWER, 200, "X-RateLimit-Bucket: b1\r\n",
	     "{\"id\":\"42\",\"content\":\"hi\"}", 0, 0, 0},
	    {"/gateway/bot", ANSWER, 200, NULL, "{\"url\":\"wss://x\"}", 0, 0, 0},
	};
	const char *body = "{\"content\":\"hi\",\"nonce\":\"n1\",\"enforce_nonce\":true}";
	struct got g1 = {0}, g2 = {0};

	script(steps, 2);
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

	assert_int_equal(srv.nseen, 2);
	const struct seen *post =
	    strcmp(srv.seen[0].method, "POST") == 0 ? &srv.seen[0] : &srv.seen[1];
	const struct seen *get = post == &srv.seen[0] ? &srv.seen[1] : &srv.seen[0];
	assert_string_equal(post->path, API "/channels/1/messages");
	assert_header(post, "Authorization: Bot " TOKEN);
	assert_header(
	    post,
	    "User-Agent: DiscordBot (https://github.com/studybot/studybot, " STUDYBOT_VERSION ")");
	assert_header(post, "Content-Type: application/json");
	assert_string_equal(post->body, body);
	assert_string_equal(get->method, "GET");
	assert_header(get, "Authorization: Bot " TOKEN);
	assert_null(strstr(get->headers, "Content-Type"));

	struct rest_stats st;
	rest_get_stats(rest, &st);
	assert_int_equal(st.requests, 2);
	assert_int_equal(st.by_class[2], 2);
	assert_int_equal(st.retries, 0);

	/* one debug line per request, without the token */
	char *log = read_log();
	assert_non_null(strstr(log, "route=\"POST /channels/1/messages\""));
	assert_non_null(strstr(log, "status=200"));
	free(log);
}

static void retry_after_429_resends_same_body(void **state)
{
	(void)state;
	struct step steps[] = {
	    {"/channels/7/messages", ANSWER, 429,
	     "X-RateLimit-Limit: 5\r\nX-RateLimit-Remaining: 0\r\nX-RateLimit-Reset-After: 0.2\r\n"
	     "X-RateLimit-Bucket: abc\r\nX-RateLimit-Scope: user\r\nRetry-After: 1\r\n",
	     "{\"message\":\"You are being rate limited.\",\"retry_after\":0.2,\"global\":false}",
	     0, 0, 0},
	    {"/channels/7/messages", ANSWER, 200, NULL, "{\"id\":\"9\"}", 0, 0, 0},
	};
	const char *body =
	    "{\"content\":\"caf\xc3\xa9 \\u00e9\",\"nonce\":\"1234\",\"enforce_nonce\":true}";
	struct got g = {0};

	script(steps, 2);
	rest_request(rest, "POST", "/channels/7/messages", body, on_result, &g);
	RUN_UNTIL(g.n);
	assert_true(g.ok);
	assert_string_equal(g.id, "9");
	assert_int_equal(g.attempts, 2);
	assert_int_equal(srv.nseen, 2);
	assert_int_equal(srv.seen[0].body_len, strlen(body));
	assert_int_equal(srv.seen[1].body_len, strlen(body));
	assert_memory_equal(srv.seen[0].body, body, strlen(body));
	assert_memory_equal(srv.seen[1].body, srv.seen[0].body, strlen(body));
	/* the body's retry_after (0.2 s), not the header's second */
	assert_true(srv.seen[1].at + SLACK_MS >= srv.seen[0].answered_at + 200);

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
	struct step steps[] = {
	    {"/channels/1/messages", ANSWER, 429,
	     "X-RateLimit-Global: true\r\nX-RateLimit-Scope: global\r\nRetry-After: 1\r\n",
	     "{\"message\":\"You are being rate limited.\",\"retry_after\":1.0,\"global\":true}", 0,
	     0, 0},
	    {"/channels/1/messages", ANSWER, 200, NULL, "{\"id\":\"1\"}", 0, 0, 0},
	    {"/guilds/2/roles", ANSWER, 200, NULL, "[]", 0, 0, 0},
	    {"/interactions/9/" ITOKEN "/callback", ANSWER, 204, NULL, NULL, 0, 0, 0},
	};
	struct got a = {0}, b = {0}, cb = {0};

	script(steps, 4);
	rest_request(rest, "POST", "/channels/1/messages", "{\"content\":\"a\"}", on_result, &a);
	RUN_UNTIL(rate_limited() == 1);
	rest_request(rest, "GET", "/guilds/2/roles", NULL, on_result, &b);
	rest_request(rest, "POST", "/interactions/9/" ITOKEN "/callback", "{\"type\":5}", on_result,
	             &cb);
	RUN_UNTIL(a.n && b.n && cb.n);
	assert_true(a.ok && b.ok && cb.ok);
	assert_int_equal(cb.status, 204);
	assert_int_equal(srv.nseen, 4);
	uint64_t pause_end = srv.seen[0].answered_at + 1000;
	for (size_t i = 1; i < srv.nseen; i++) {
		const struct seen *s = &srv.seen[i];

		if (strstr(s->path, "/interactions/")) {
			/* exempt: it went out during the pause, before the others */
			assert_int_equal(i, 1);
		} else {
			assert_true(s->at + SLACK_MS >= pause_end);
		}
	}
}

static void server_errors_are_retried(void **state)
{
	(void)state;
	struct step steps[] = {
	    /* first: a reset on a reused connection would make curl itself
	     * retry at once, unseen by the client */
	    {"/channels/3/messages", RESET, 0, NULL, NULL, 0, 0, 0},
	    {"/channels/3/messages", ANSWER, 500, NULL,
	     "{\"message\":\"500: Internal Server Error\"}", 0, 0, 0},
	    {"/channels/3/messages", ANSWER, 502, NULL, "<html>bad gateway</html>", 0, 0, 0},
	    {"/channels/3/messages", ANSWER, 200, NULL, "{\"id\":\"3\"}", 0, 0, 0},
	};
	struct rest_tuning tune = {0, 20, 5, 0};
	struct got g = {0};

	rest_tune(rest, &tune);
	script(steps, 4);
	rest_request(rest, "POST", "/channels/3/messages", "{\"content\":\"x\"}", on_result, &g);
	RUN_UNTIL(g.n);
	assert_true(g.ok);
	assert_int_equal(g.attempts, 4);
	assert_string_equal(g.id, "3");
	assert_int_equal(srv.nseen, 4);
	/* growing backoff: at least 20, 40, 80 ms after each failure */
	assert_true(srv.seen[1].at + SLACK_MS >= srv.seen[0].answered_at + 20);
	assert_true(srv.seen[3].at + SLACK_MS >= srv.seen[2].answered_at + 80);

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
	struct step steps[] = {
	    {"/channels/4/messages", ANSWER, 503, NULL, "upstream connect error", 0, 0, 0},
	    {"/channels/4/messages", ANSWER, 503, NULL, "upstream connect error", 0, 0, 0},
	    {"/channels/4/messages", ANSWER, 503, NULL, "upstream connect error", 0, 0, 0},
	    {"/channels/4/messages", HANG, 0, NULL, NULL, 0, 0, 0},
	    {"/channels/4/messages", HANG, 0, NULL, NULL, 0, 0, 0},
	};
	struct rest_tuning tune = {300, 10, 5, 0};
	struct got g = {0};
	uint64_t t0 = mono_ms();

	rest_tune(rest, &tune);
	script(steps, 5);
	rest_request(rest, "POST", "/channels/4/messages", "{}", on_result, &g);
	RUN_UNTIL(g.n);
	assert_false(g.ok);
	assert_int_equal(g.status, 0);
	assert_int_equal(g.attempts, 5);
	assert_true(g.message[0] != '\0');
	assert_int_equal(srv.nseen, 5);
	assert_true(g.at >= t0 + 2 * 300); /* two whole timeouts */

	/* a 503 that is the last attempt is final with its status */
	struct step more[] = {
	    {"/channels/5/messages", ANSWER, 503, NULL, "{\"message\":\"overloaded\",\"code\":0}",
	     0, 0, 0},
	    {"/channels/5/messages", ANSWER, 503, NULL, "{\"message\":\"overloaded\",\"code\":0}",
	     0, 0, 0},
	};
	struct rest_tuning two = {300, 10, 2, 0};
	struct got h = {0};

	rest_tune(rest, &two);
	script(more, 2);
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
	struct step steps[] = {
	    {"/channels/6/messages", ANSWER, 400, NULL,
	     "{\"code\": 50035, \"errors\": {\"content\": {\"_errors\": [{\"code\": "
	     "\"BASE_TYPE_MAX_LENGTH\", \"message\": \"Must be 2000 or fewer in length.\"}]}}, "
	     "\"message\": \"Invalid Form Body\"}",
	     0, 0, 0},
	    {"/channels/6/messages/77", ANSWER, 404, NULL,
	     "{\"message\": \"Unknown Message\", \"code\": 10008}", 0, 0, 0},
	};
	struct got g = {0}, h = {0};

	script(steps, 2);
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
	assert_int_equal(srv.nseen, 2);
	char *log = read_log();
	assert_non_null(strstr(log, "content: Must be 2000 or fewer in length."));
	free(log);
}

static void oversized_body_fails_cleanly(void **state)
{
	(void)state;
	struct step steps[] = {
	    {"/guilds/1/members", ANSWER, 200, NULL, NULL, 1024 * 1024, 0, 0},
	    {"/guilds/1/members", ANSWER, 200, NULL, "[]", 0, 0, 0},
	};
	struct rest_tuning tune = {0, 10, 5, 64 * 1024};
	struct got g = {0}, h = {0};

	rest_tune(rest, &tune);
	script(steps, 2);
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
	struct step steps[] = {
	    {"/channels/8/messages", ANSWER, 500, NULL, "{}", 0, 0, 0},
	    {"/channels/8/messages", ANSWER, 200, NULL, "{\"id\":\"1\"}", 0, 0, 0},
	    {"/channels/8/messages", ANSWER, 200, NULL, "{\"id\":\"2\"}", 0, 0, 0},
	    {"/channels/8/messages", ANSWER, 200, NULL, "{\"id\":\"3\"}", 0, 0, 0},
	};
	struct rest_tuning tune = {0, 20, 5, 0};
	struct got g[3] = {{0}};
	static const char *const bodies[] = {"{\"n\":1}", "{\"n\":2}", "{\"n\":3}"};

	rest_tune(rest, &tune);
	script(steps, 4);
	for (int i = 0; i < 3; i++)
		rest_request(rest, "POST", "/channels/8/messages", bodies[i], on_result, &g[i]);
	RUN_UNTIL(g[0].n && g[1].n && g[2].n);
	assert_int_equal(srv.nseen, 4);
	assert_string_equal(srv.seen[0].body, bodies[0]);
	assert_string_equal(srv.seen[1].body, bodies[0]);
	assert_string_equal(srv.seen[2].body, bodies[1]);
	assert_string_equal(srv.seen[3].body, bodies[2]);
	assert_string_equal(g[0].id, "1");
	assert_string_equal(g[2].id, "3");
	/* one in flight at a time on the bucket */
	for (size_t i = 1; i < srv.nseen; i++)
		assert_true(srv.seen[i].at >= srv.seen[i - 1].answered_at);
}

static void buckets_run_in_parallel(void **state)
{
	(void)state;
	struct step steps[] = {
	    {"/channels/1/messages", ANSWER, 200, NULL, "{\"id\":\"slow\"}", 0, 1500, 0},
	    {"/channels/2/messages", ANSWER, 200, NULL, "{\"id\":\"fast\"}", 0, 0, 0},
	};
	struct got slow = {0}, fast = {0};

	script(steps, 2);
	rest_request(rest, "POST", "/channels/1/messages", "{}", on_result, &slow);
	rest_request(rest, "POST", "/channels/2/messages", "{}", on_result, &fast);
	RUN_UNTIL(slow.n && fast.n);
	/* the second channel did not wait for the first one's answer */
	assert_true(fast.at <= slow.at);
	assert_int_equal(srv.nseen, 2);
	assert_true(srv.seen[1].at < srv.seen[0].answered_at);
}

static void webhook_tokens_stay_out_of_logs(void **state)
{
	(void)state;
	struct step steps[] = {
	    {"/webhooks/55/" HOOKTOK, ANSWER, 404, NULL,
	     "{\"message\": \"Unknown Webhook\", \"code\": 10015}", 0, 0, 0},
	    {"/webhooks/55/" ITOKEN "/messages/@original", ANSWER, 500, NULL, "{}", 0, 0, 0},
	    {"/webhooks/55/" ITOKEN "/messages/@original", ANSWER, 200, NULL, "{\"id\":\"5\"}", 0,
	     0, 0},
	};
	struct rest_tuning tune = {0, 10, 5, 0};
	struct got g = {0}, h = {0};

	rest_tune(rest, &tune);
	script(steps, 3);
	rest_request(rest, "POST", "/webhooks/55/" HOOKTOK "?wait=true", "{}", on_result, &g);
	rest_request(rest, "PATCH", "/webhooks/55/" ITOKEN "/messages/@original", "{}", on_result,
	             &h);
	RUN_UNTIL(g.n && h.n);
	assert_int_equal(g.code, 10015);
	assert_true(h.ok);
	assert_non_null(strstr(srv.seen[0].path, HOOKTOK)); /* the token did go to the server */
	                                                    /* teardown checks the log */
}

/* Cloudflare's answer has no X-RateLimit-* header: everything pauses for a
 * minute at least and the log says so at error level. */
static void ban_shaped_429_is_loud(void **state)
{
	(void)state;
	struct step steps[] = {
	    {"/channels/1/messages", ANSWER, 429, "Retry-After: 5\r\n",
	     "<html><title>Error 1015</title>You are being rate limited</html>", 0, 0, 0},
	};
	struct got g = {0}, h = {0};

	script(steps, 1);
	rest_request(rest, "POST", "/channels/1/messages", "{}", on_result, &g);
	RUN_UNTIL(rate_limited() == 1);
	/* another route, an exempt one too: both held by the ban */
	rest_request(rest, "POST", "/interactions/9/" ITOKEN "/callback", "{\"type\":5}", on_result,
	             &h);
	run_for(300);
	assert_int_equal(srv.nseen, 1);
	assert_int_equal(rest_pending(rest), 2);
	assert_int_equal(g.n + h.n, 0);
	char *log = read_log();
	assert_non_null(strstr(log, "level=error msg=\"Discord answered 429 without rate-limit"));
	assert_non_null(strstr(log, "wait_ms=60000"));
	free(log);
}

static void free_with_requests_in_flight(void **state)
{
	(void)state;
	struct step steps[] = {
	    {"/channels/1/messages", HANG, 0, NULL, NULL, 0, 0, 0},
	    {"/channels/2/messages", ANSWER, 200, NULL, "{}", 0, 800, 0},
	};
	struct got g = {0}, h = {0}, q = {0};

	script(steps, 2);
	rest_request(rest, "POST", "/channels/1/messages", "{}", on_result, &g);
	rest_request(rest, "POST", "/channels/2/messages", "{}", on_result, &h);
	/* a queued one too: same bucket as the first */
	rest_request(rest, "POST", "/channels/1/messages", "{}", on_result, &q);
	RUN_UNTIL(srv.nseen == 2);
	rest_free(rest);
	rest = NULL;
	run_for(1000);
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
	struct step steps[] = {
	    {"/channels/1/messages", ANSWER, 200, NULL, "{}", 0, 0, 0},
	    {"/channels/2/messages", HANG, 0, NULL, NULL, 0, 0, 0},
	};
	struct freer f = {0};
	struct got h = {0}, q = {0};

	script(steps, 2);
	rest_request(rest, "POST", "/channels/2/messages", "{}", on_result, &h);
	RUN_UNTIL(srv.nseen == 1);
	rest_request(rest, "POST", "/channels/1/messages", "{}", free_from_callback, &f);
	rest_request(rest, "POST", "/channels/1/messages", "{}", on_result, &q);
	RUN_UNTIL(f.n == 1);
	run_for(200);
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
	assert_int_equal(srv.nseen, 0);
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
	struct step steps[] = {
	    {"/channels/9/messages", ANSWER, 502, NULL, "<html>bad gateway</html>", 0, 0, 0},
	    {"/channels/9/messages", ANSWER, 429,
	     "X-RateLimit-Limit: 5\r\nX-RateLimit-Remaining: 0\r\nX-RateLimit-Reset-After: 0.1\r\n"
	     "X-RateLimit-Bucket: mp\r\nRetry-After: 1\r\n",
	     "{\"message\":\"You are being rate limited.\",\"retry_after\":0.1,\"global\":false}",
	     0, 0, 0},
	    {"/channels/9/messages", ANSWER, 200, NULL, "{\"id\":\"99\"}", 0, 0, 0},
	};
	struct rest_tuning tune = {0, 20, 5, 0};
	struct got g = {0}, bad = {0};

	assert_non_null(memchr(body, '\0', len)); /* the test means what it says */
	rest_tune(rest, &tune);
	script(steps, 3);
	rest_request_body(rest, "POST", "/channels/9/messages", "multipart/form-data; boundary=b-1",
	                  body, len, on_result, &g);
	rest_request_body(rest, "POST", "/channels/9/messages", "text/plain\r\nX-Injected: 1", body,
	                  len, on_result, &bad);
	RUN_UNTIL(g.n && bad.n);
	assert_true(g.ok);
	assert_string_equal(g.id, "99");
	assert_int_equal(g.attempts, 3);
	assert_int_equal(srv.nseen, 3);
	for (size_t i = 0; i < srv.nseen; i++) {
		assert_header(&srv.seen[i], "Content-Type: multipart/form-data; boundary=b-1");
		assert_int_equal(srv.seen[i].body_len, len);
		assert_memory_equal(srv.seen[i].body, body, len);
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
		enum sb_rc rc = rest_new(&r, loop, cases[i].base, TOKEN);

		if ((rc == SB_OK) != cases[i].ok)
			fail_msg("'%s': rc %d", cases[i].base, rc);
		if (rc == SB_OK)
			rest_free(r);
		else
			assert_null(r);
	}
	assert_int_equal(rest_new(&r, loop, "https://discord.com/api/v10", ""), SB_ERR_INVALID);
	assert_int_equal(rest_new(&r, loop, "https://discord.com/api/v10", "abc\r\nX-Evil: 1"),
	                 SB_ERR_INVALID);
	assert_int_equal(rest_new(&r, loop, "https://discord.com/api/v10", NULL), SB_ERR_INVALID);
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
