/* The scripted HTTP/1.1 server of script_httpd.h: just enough HTTP for the
 * clients under test (one request at a time per connection, bodies by
 * Content-Length, keep-alive), and failures on purpose where the script asks.
 * Ownership: see script_httpd.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "script_httpd.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/rc.h"

struct shd_conn {
	uv_tcp_t tcp;
	uv_timer_t delay;
	struct shd_server *srv;
	struct shd_conn *next;
	struct buf in;
	int open_handles;
	int closing;
	int busy; /* an answer is delayed or withheld: parse nothing more */
	struct shd_step *step;
	size_t seen_idx;
};

uint64_t shd_mono_ms(void)
{
	return uv_hrtime() / 1000000;
}

static void conn_closed(uv_handle_t *h)
{
	struct shd_conn *c = h->data;

	if (--c->open_handles > 0)
		return;
	for (struct shd_conn **pp = &c->srv->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	buf_free(&c->in);
	free(c);
}

static void conn_close(struct shd_conn *c, int reset)
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

static void conn_parse(struct shd_conn *c);

static void conn_answer(struct shd_conn *c)
{
	struct shd_step *s = c->step;
	struct buf out;
	struct wr *w;
	size_t blen = s->big ? s->big : s->body ? strlen(s->body) : 0;
	size_t total;

	c->busy = 0;
	c->step = NULL;
	c->srv->seen[c->seen_idx].answered_at = shd_mono_ms();
	if (s->what == SHD_RESET) {
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

static struct shd_step *pick_step(struct shd_server *srv, const char *path)
{
	char p[512];
	size_t n = strcspn(path, "?");
	size_t plen = strlen(srv->prefix);

	if (strncmp(path, srv->prefix, plen) == 0 && path[plen] == '/') {
		path += plen;
		n -= plen;
	}
	snprintf(p, sizeof p, "%.*s", (int)n, path);
	for (size_t i = 0; i < srv->nsteps; i++) {
		struct shd_step *s = &srv->steps[i];

		if (!s->used && (!s->path || strcmp(s->path, p) == 0)) {
			s->used = 1;
			return s;
		}
	}
	return NULL;
}

/* Takes one whole request from the buffer, if there is one. */
static void conn_parse(struct shd_conn *c)
{
	struct shd_server *srv = c->srv;
	char *head, *end, *cl;
	size_t hlen, blen = 0, total;
	struct shd_seen *sn;

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
	assert_true(srv->nseen < SHD_MAX_SEEN);
	sn = &srv->seen[srv->nseen];
	memset(sn, 0, sizeof *sn);
	sscanf(head, "%15s %511s", sn->method, sn->path);
	sn->headers = xstrndup(head, hlen);
	sn->body = xmalloc(blen + 1); /* bodies may hold NULs (files) */
	memcpy(sn->body, head + hlen, blen);
	sn->body[blen] = '\0';
	sn->body_len = blen;
	sn->at = shd_mono_ms();
	c->seen_idx = srv->nseen++;
	memmove(c->in.data, c->in.data + total, c->in.len - total + 1);
	c->in.len -= total;

	c->step = pick_step(srv, sn->path);
	if (!c->step) {
		srv->unscripted++;
		c->step = &srv->fallback;
	}
	c->busy = 1;
	if (c->step->what == SHD_HANG)
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
	struct shd_conn *c = s->data;

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
	struct shd_server *srv = l->data;
	struct shd_conn *c;

	assert_int_equal(status, 0);
	c = xcalloc(1, sizeof *c);
	buf_init(&c->in, 16 * 1024 * 1024);
	uv_tcp_init(l->loop, &c->tcp);
	uv_timer_init(l->loop, &c->delay);
	c->tcp.data = c->delay.data = c;
	c->srv = srv;
	c->open_handles = 2;
	c->next = srv->conns;
	srv->conns = c;
	assert_int_equal(uv_accept(l, (uv_stream_t *)&c->tcp), 0);
	uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
}

void shd_start(struct shd_server *srv, uv_loop_t *uv, const char *prefix,
               const char *unscripted_body)
{
	struct sockaddr_in addr;
	struct sockaddr_storage bound;
	int len = sizeof bound;

	memset(srv, 0, sizeof *srv);
	srv->prefix = prefix;
	srv->fallback.what = SHD_ANSWER;
	srv->fallback.status = 418;
	srv->fallback.body = unscripted_body;
	uv_ip4_addr("127.0.0.1", 0, &addr);
	assert_int_equal(uv_tcp_init(uv, &srv->listener), 0);
	srv->listener.data = srv;
	assert_int_equal(uv_tcp_bind(&srv->listener, (const struct sockaddr *)&addr, 0), 0);
	assert_int_equal(uv_listen((uv_stream_t *)&srv->listener, 16, on_connection), 0);
	uv_tcp_getsockname(&srv->listener, (struct sockaddr *)&bound, &len);
	srv->port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
}

void shd_stop(struct shd_server *srv)
{
	uv_close((uv_handle_t *)&srv->listener, NULL);
	for (struct shd_conn *c = srv->conns; c; c = c->next)
		conn_close(c, 0);
	for (size_t i = 0; i < srv->nseen; i++) {
		free(srv->seen[i].headers);
		free(srv->seen[i].body);
		srv->seen[i].headers = srv->seen[i].body = NULL;
	}
}

void shd_script(struct shd_server *srv, struct shd_step *steps, size_t n)
{
	srv->steps = steps;
	srv->nsteps = n;
}

void shd_assert_header(const struct shd_seen *s, const char *line)
{
	char want[512];

	snprintf(want, sizeof want, "\r\n%s\r\n", line);
	if (!strstr(s->headers, want))
		fail_msg("header '%s' missing in:\n%s", line, s->headers);
}
