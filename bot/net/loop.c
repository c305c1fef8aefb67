/* The one loop: libuv underneath, libwebsockets on it as a foreign loop, and
 * curl's multi_socket API driven by uv polls and a uv timer (the shape of
 * curl's docs/examples/multi-uv.c). */
#include "net/loop.h"

#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/net_int.h"
#include "util/log.h"
#include "util/mem.h"

/* How long a stop hook may take to close its connections politely before
 * the loop ends anyway. */
#define STOP_GRACE_MS 5000
/* How often the lag probe fires. */
#define LAG_PERIOD_MS 1000

struct net_loop {
	uv_loop_t uv;
	struct lws_context *lws;
	CURLM *multi;
	uv_timer_t curl_timer;
	uv_timer_t grace;
	uv_signal_t sigint, sigterm;
	uv_timer_t lag_timer;
	uint64_t lag_due_ns, lag_last_ns, lag_max_ns;
	struct net_http_list http;
	void (*hook)(void *ud);
	void *hook_ud;
	int signalled;
	int stopping;
	int exit_code;
};

/* One per socket curl asks us to watch; freed when its poll has closed. */
struct curl_sock {
	uv_poll_t poll;
	curl_socket_t fd;
	struct net_loop *l;
};

CURLM *net_loop_multi(struct net_loop *l)
{
	return l->multi;
}

struct net_http_list *net_loop_http(struct net_loop *l)
{
	return &l->http;
}

uv_loop_t *net_loop_uv(struct net_loop *l)
{
	return &l->uv;
}

struct lws_context *net_loop_lws(struct net_loop *l)
{
	return l->lws;
}

uint64_t net_loop_now_ms(struct net_loop *l)
{
	/* uv_now() is the time the loop turn began; a busy turn (a commit,
	 * many events) makes it stale, and a rate-limit reset computed from a
	 * stale now falls due early. */
	uv_update_time(&l->uv);
	return uv_now(&l->uv);
}

int net_loop_stopping(const struct net_loop *l)
{
	return l->stopping;
}

void net_loop_on_signal(struct net_loop *l, void (*hook)(void *ud), void *ud)
{
	l->hook = hook;
	l->hook_ud = ud;
}

void net_loop_stop(struct net_loop *l, int code)
{
	if (!l->stopping) {
		l->stopping = 1;
		l->exit_code = code;
	}
	uv_stop(&l->uv);
}

/* --- curl ---------------------------------------------------------------- */

static void curl_poll_cb(uv_poll_t *p, int status, int events)
{
	struct curl_sock *cs = p->data;
	struct net_loop *l = cs->l;
	int flags = 0;
	int running;

	/* On a socket error let curl read and write too, so it finds and
	 * reports the real reason (a reset, a refused connection). */
	if (status < 0)
		flags = CURL_CSELECT_ERR | CURL_CSELECT_IN | CURL_CSELECT_OUT;
	if (events & UV_READABLE)
		flags |= CURL_CSELECT_IN;
	if (events & UV_WRITABLE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(l->multi, cs->fd, flags, &running);
	net_http_check_done(l);
}

static void curl_sock_closed(uv_handle_t *h)
{
	free(h->data);
}

static int curl_socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct net_loop *l = userp;
	struct curl_sock *cs = socketp;
	int events = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (cs) {
			uv_poll_stop(&cs->poll);
			uv_close((uv_handle_t *)&cs->poll, curl_sock_closed);
			curl_multi_assign(l->multi, s, NULL);
		}
		return 0;
	}
	if (!cs) {
		cs = xcalloc(1, sizeof *cs);
		cs->fd = s;
		cs->l = l;
		if (uv_poll_init_socket(&l->uv, &cs->poll, s) != 0) {
			log_error("cannot watch a socket for HTTP", NULL);
			free(cs);
			return -1;
		}
		cs->poll.data = cs;
		curl_multi_assign(l->multi, s, cs);
	}
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		events |= UV_READABLE;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		events |= UV_WRITABLE;
	uv_poll_start(&cs->poll, events, curl_poll_cb);
	return 0;
}

static void curl_timer_cb(uv_timer_t *t)
{
	struct net_loop *l = t->data;
	int running;

	curl_multi_socket_action(l->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	net_http_check_done(l);
}

static int curl_timer_set(CURLM *multi, long timeout_ms, void *userp)
{
	struct net_loop *l = userp;

	(void)multi;
	if (timeout_ms < 0) {
		uv_timer_stop(&l->curl_timer);
		return 0;
	}
	/* 0 means "now"; from a callback inside curl, calling back into it at
	 * once would recurse, so let the loop turn first. */
	uv_timer_start(&l->curl_timer, curl_timer_cb, timeout_ms ? (uint64_t)timeout_ms : 1, 0);
	return 0;
}

/* --- signals -------------------------------------------------------------- */

static void grace_cb(uv_timer_t *t)
{
	struct net_loop *l = t->data;

	log_warn("connections did not close in time; stopping anyway", "grace_ms=%d",
	         STOP_GRACE_MS);
	net_loop_stop(l, 0);
}

static void signal_cb(uv_signal_t *s, int signum)
{
	struct net_loop *l = s->data;

	if (l->signalled++ || !l->hook) {
		log_info("stopping", "signal=%d", signum);
		net_loop_stop(l, 0);
		return;
	}
	log_info("stopping: closing connections", "signal=%d", signum);
	uv_timer_start(&l->grace, grace_cb, STOP_GRACE_MS, 0);
	l->hook(l->hook_ud);
}

/* --- loop lag --------------------------------------------------------------- */

static void lag_cb(uv_timer_t *t);

static void lag_arm(struct net_loop *l)
{
	/* libuv schedules from its cached clock, so lateness is measured
	 * from there: time spent in callbacks before this turn's timers
	 * counts as lag, as it should. */
	l->lag_due_ns = (uv_now(&l->uv) + LAG_PERIOD_MS) * UINT64_C(1000000);
	uv_timer_start(&l->lag_timer, lag_cb, LAG_PERIOD_MS, 0);
}

static void lag_cb(uv_timer_t *t)
{
	struct net_loop *l = t->data;
	uint64_t now = uv_hrtime();

	l->lag_last_ns = now > l->lag_due_ns ? now - l->lag_due_ns : 0;
	if (l->lag_last_ns > l->lag_max_ns)
		l->lag_max_ns = l->lag_last_ns;
	lag_arm(l);
}

void net_loop_watch_lag(struct net_loop *l)
{
	if (!uv_is_active((uv_handle_t *)&l->lag_timer))
		lag_arm(l);
}

void net_loop_lag(const struct net_loop *l, double *last_s, double *max_s)
{
	*last_s = (double)l->lag_last_ns / 1e9;
	*max_s = (double)l->lag_max_ns / 1e9;
}

/* --- libwebsockets -------------------------------------------------------- */

/* lws logs through us, so its lines are logfmt like ours. Its notices are
 * chatty; warnings and errors are worth keeping. */
static void lws_log_emit(int level, const char *line)
{
	char msg[512];
	size_t n = strlen(line);

	if (n >= sizeof msg)
		n = sizeof msg - 1;
	memcpy(msg, line, n);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		n--;
	msg[n] = '\0';
	log_msg(level == LLL_ERR ? LOG_ERROR : LOG_WARN, "libwebsockets", "detail=%s", log_q(msg));
}

static enum sb_rc lws_start(struct net_loop *l, const struct lws_protocols *protocols)
{
	struct lws_context_creation_info info;
	void *loops[1] = {&l->uv};

	lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_emit);
	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.foreign_loops = loops;
	/* Frames of any size are reassembled by the gateway client itself,
	 * with its own cap; lws hands them over in pieces of this size. */
	info.pt_serv_buf_size = 32 * 1024;
	l->lws = lws_create_context(&info);
	if (!l->lws) {
		log_error("cannot start libwebsockets on libuv", "hint=%s",
		          log_q("install the package libwebsockets-evlib-uv"));
		return SB_ERR_IO;
	}
	return SB_OK;
}

/* --- life ----------------------------------------------------------------- */

enum sb_rc net_loop_new(struct net_loop **out, const struct lws_protocols *protocols)
{
	struct net_loop *l = xcalloc(1, sizeof *l);
	static int curl_ready;

	*out = NULL;
	if (uv_loop_init(&l->uv) != 0) {
		free(l);
		log_error("cannot create the event loop", NULL);
		return SB_ERR_IO;
	}
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			uv_loop_close(&l->uv);
			free(l);
			log_error("cannot initialise libcurl", NULL);
			return SB_ERR_IO;
		}
		curl_ready = 1;
	}
	l->multi = curl_multi_init();
	curl_multi_setopt(l->multi, CURLMOPT_SOCKETFUNCTION, curl_socket_cb);
	curl_multi_setopt(l->multi, CURLMOPT_SOCKETDATA, l);
	curl_multi_setopt(l->multi, CURLMOPT_TIMERFUNCTION, curl_timer_set);
	curl_multi_setopt(l->multi, CURLMOPT_TIMERDATA, l);
	uv_timer_init(&l->uv, &l->curl_timer);
	l->curl_timer.data = l;
	uv_timer_init(&l->uv, &l->grace);
	l->grace.data = l;
	uv_unref((uv_handle_t *)&l->grace);
	uv_timer_init(&l->uv, &l->lag_timer);
	l->lag_timer.data = l;
	uv_unref((uv_handle_t *)&l->lag_timer);
	uv_signal_init(&l->uv, &l->sigint);
	uv_signal_init(&l->uv, &l->sigterm);
	l->sigint.data = l->sigterm.data = l;
	uv_signal_start(&l->sigint, signal_cb, SIGINT);
	uv_signal_start(&l->sigterm, signal_cb, SIGTERM);
	/* A peer that hangs up must not kill us with SIGPIPE: writes report
	 * EPIPE instead, which the connection handles. */
	signal(SIGPIPE, SIG_IGN);
	*out = l;
	if (protocols && lws_start(l, protocols) != SB_OK) {
		net_loop_free(l);
		*out = NULL;
		return SB_ERR_IO;
	}
	return SB_OK;
}

int net_loop_run(struct net_loop *l)
{
	while (!l->stopping) {
		/* uv_run returns 0 when nothing is left to wait for; with the
		 * signal handles alive that only happens after a stop. */
		if (uv_run(&l->uv, UV_RUN_DEFAULT) == 0 && !l->stopping)
			net_loop_stop(l, 0);
	}
	return l->exit_code;
}

static void close_walk(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

void net_loop_free(struct net_loop *l)
{
	if (!l)
		return;
	/* libuv closes handles asynchronously, so lws destroys a context on
	 * a foreign loop in two calls: one that starts closing, then, once the
	 * loop has run the closes, one that frees (lws's foreign-loop examples
	 * do the same). */
	if (l->lws)
		lws_context_destroy(l->lws);
	net_http_cancel_all(l);
	curl_multi_cleanup(l->multi);
	uv_timer_stop(&l->curl_timer);
	uv_close((uv_handle_t *)&l->curl_timer, NULL);
	uv_close((uv_handle_t *)&l->grace, NULL);
	uv_timer_stop(&l->lag_timer);
	uv_close((uv_handle_t *)&l->lag_timer, NULL);
	uv_signal_stop(&l->sigint);
	uv_signal_stop(&l->sigterm);
	uv_close((uv_handle_t *)&l->sigint, NULL);
	uv_close((uv_handle_t *)&l->sigterm, NULL);
	uv_run(&l->uv, UV_RUN_DEFAULT);
	if (l->lws) {
		lws_context_destroy(l->lws);
		l->lws = NULL;
		uv_run(&l->uv, UV_RUN_DEFAULT);
	}
	/* Anything a caller forgot would make uv_loop_close fail; close it so
	 * the loop's memory is released (and say so: it is a bug). */
	if (uv_loop_close(&l->uv) == UV_EBUSY) {
		log_warn("handles left open at exit", NULL);
		uv_walk(&l->uv, close_walk, NULL);
		uv_run(&l->uv, UV_RUN_DEFAULT);
		uv_loop_close(&l->uv);
	}
	free(l);
}
