/* The gateway connection: lws for the websocket, uv timers for the
 * heartbeat, reconnects and paced sends, the policy tables for every
 * decision. One struct gw per shard. */
#include "discord/gw.h"

#include <cjson/cJSON.h>
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "discord/gw_inflate.h"
#include "net/ws_frame.h"
#include "net/ws_url.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"

/* Our own close code when we drop a connection on purpose and mean to
 * resume (op 7, zombie, op 9 true). Discord's docs only ask for a code other
 * than 1000/1001, which would end the session; 4000–4999 is the range RFC
 * 6455 leaves to applications, and Discord's own codes stop at 4014. */
#define CLOSE_RESUME 4900
/* No HELLO this long after the websocket opened: try again. */
#define HELLO_TIMEOUT_MS 20000
/* A dropped connection that does not close by itself is killed after this. */
#define KILL_AFTER_S 2
#define OUTQ_MAX     256
#define SEND_RESERVE 10 /* of 120 sends per minute, kept for heartbeats */

enum gw_state { ST_IDLE, ST_CONNECTING, ST_HELLO, ST_AUTH, ST_READY, ST_CLOSING, ST_DONE };

struct gw {
	struct net_loop *loop;
	struct gw_handlers h;
	void *ud;
	char *token;
	char *base_url;
	char resume_url[256];
	char session_id[128];
	int compress;
	uint32_t intents;
	uint32_t prev_intents; /* before gw_change_intents(), until READY proves them */
	int intents_trial;
	int shard_id, shard_count;
	struct gw_idgate own_gate;
	struct gw_idgate *gate; /* own_gate, or the process's shared one */
	size_t max_message;

	struct lws *wsi;
	enum gw_state state;
	int64_t seq;
	int acked;
	uint64_t beat_sent_at;
	uint32_t interval;
	int close_code;      /* what we close with, when closing on purpose */
	int close_sent;      /* our close frame is out: the peer's close is its answer */
	int peer_code;       /* what the server closed with, 0 if none */
	int stopping;        /* gw_close() was called */
	int ws_open;         /* the websocket handshake completed */
	unsigned attempt;    /* consecutive failed connects, for the backoff */
	int resume_fail;     /* failed connects to the resume URL */
	uint64_t next_delay; /* set: the next reconnect waits exactly this */

	struct buf rx;
	int rx_overflow;
	struct gw_inflate zin;

	char *outq[OUTQ_MAX]; /* payloads waiting for a writable socket */
	size_t outq_head, outq_n;
	int beat_due; /* a heartbeat goes before anything queued */
	struct gw_limiter limiter;

	uv_timer_t beat_timer, reconnect_timer, send_timer, hello_timer, identify_timer;
	int timers_closing;
	uint64_t rnd;

	struct gw_stats stats;
};

static int gw_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len);

static const struct lws_protocols protocols[] = {
    {"discord-gateway", gw_callback, 0, 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

const struct lws_protocols *gw_protocols(void)
{
	return protocols;
}

/* xorshift64*: only jitter depends on it. */
static double gw_random(struct gw *g)
{
	g->rnd ^= g->rnd >> 12;
	g->rnd ^= g->rnd << 25;
	g->rnd ^= g->rnd >> 27;
	return (double)((g->rnd * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static uint64_t now_ms(struct gw *g)
{
	return net_loop_now_ms(g->loop);
}

/* --- sending --------------------------------------------------------------- */

static void outq_clear(struct gw *g)
{
	while (g->outq_n) {
		free(g->outq[g->outq_head]);
		g->outq_head = (g->outq_head + 1) % OUTQ_MAX;
		g->outq_n--;
	}
	g->beat_due = 0;
}

static void want_write(struct gw *g)
{
	if (g->wsi)
		lws_callback_on_writable(g->wsi);
}

/* Takes payload. */
static void send_payload(struct gw *g, char *payload)
{
	if (g->outq_n == OUTQ_MAX) {
		log_error("gateway send queue full; dropping a payload", "queued=%zu", g->outq_n);
		free(payload);
		return;
	}
	g->outq[(g->outq_head + g->outq_n) % OUTQ_MAX] = payload;
	g->outq_n++;
	want_write(g);
}

static void send_timer_cb(uv_timer_t *t)
{
	want_write(t->data);
}

static int write_text(struct gw *g, const char *text)
{
	size_t n = strlen(text);
	unsigned char *frame = xmalloc(LWS_PRE + n);
	int wrote;

	memcpy(frame + LWS_PRE, text, n);
	wrote = lws_write(g->wsi, frame + LWS_PRE, n, LWS_WRITE_TEXT);
	free(frame);
	gw_limiter_note(&g->limiter, now_ms(g));
	return wrote < (int)n ? -1 : 0;
}

/* One payload per WRITEABLE callback (lws rule). Returns -1 to close. */
static int on_writable(struct gw *g)
{
	uint64_t wait;

	if (g->close_code) {
		/* Our own close frame (net/ws_frame.h): Discord's answering
		 * close, or the kill timeout drop() set, ends the connection. */
		if (g->close_sent)
			return 0;
		g->close_sent = 1;
		return net_ws_close_frame(g->wsi, g->close_code,
		                          g->close_code == 1000 ? "bye" : "reconnecting");
	}
	if (g->beat_due) {
		char beat[48];

		if (g->seq > 0)
			snprintf(beat, sizeof beat, "{\"op\":1,\"d\":%lld}", (long long)g->seq);
		else
			snprintf(beat, sizeof beat, "{\"op\":1,\"d\":null}");
		wait = gw_limiter_wait(&g->limiter, 1, now_ms(g));
		if (wait) {
			uv_timer_start(&g->send_timer, send_timer_cb, wait, 0);
			return 0;
		}
		g->beat_due = 0;
		g->acked = 0;
		g->beat_sent_at = now_ms(g);
		g->stats.heartbeats++;
		if (write_text(g, beat) < 0)
			return -1;
	} else if (g->outq_n) {
		char *p = g->outq[g->outq_head];

		wait = gw_limiter_wait(&g->limiter, 0, now_ms(g));
		if (wait) {
			log_debug("gateway send paced", "wait_ms=%llu", (unsigned long long)wait);
			uv_timer_start(&g->send_timer, send_timer_cb, wait, 0);
			return 0;
		}
		g->outq_head = (g->outq_head + 1) % OUTQ_MAX;
		g->outq_n--;
		if (write_text(g, p) < 0) {
			free(p);
			return -1;
		}
		free(p);
	}
	if (g->beat_due || g->outq_n)
		want_write(g);
	return 0;
}

/* Drops the connection on purpose with `code`; the close handler then
 * decides what comes next from the code. */
static void drop(struct gw *g, int code)
{
	if (!g->wsi || g->close_code)
		return;
	g->close_code = code;
	want_write(g);
	/* A zombie connection may never become writable. */
	lws_set_timeout(g->wsi, PENDING_TIMEOUT_USER_OK, KILL_AFTER_S);
}

/* --- heartbeat ------------------------------------------------------------- */

static void beat_cb(uv_timer_t *t)
{
	struct gw *g = t->data;

	if (!g->wsi)
		return;
	if (g->beat_sent_at && !g->acked) {
		/* No ACK since the last beat: the connection is a zombie.
		 * Discord's docs: close with a code other than 1000/1001 and
		 * resume. */
		g->stats.zombies++;
		log_warn("gateway heartbeat not acknowledged; reconnecting", "shard=%d",
		         g->shard_id);
		uv_timer_stop(&g->beat_timer);
		drop(g, CLOSE_RESUME);
		return;
	}
	g->beat_due = 1;
	want_write(g);
	uv_timer_start(&g->beat_timer, beat_cb, g->interval, 0);
}

/* --- identify and resume --------------------------------------------------- */

static char *identify_payload(struct gw *g)
{
	cJSON *root = cJSON_CreateObject(), *d, *props;
	char *s;

	cJSON_AddNumberToObject(root, "op", GW_OP_IDENTIFY);
	d = cJSON_AddObjectToObject(root, "d");
	cJSON_AddStringToObject(d, "token", g->token);
	cJSON_AddNumberToObject(d, "intents", g->intents);
	props = cJSON_AddObjectToObject(d, "properties");
	cJSON_AddStringToObject(props, "os", "linux");
	cJSON_AddStringToObject(props, "browser", "studybot");
	cJSON_AddStringToObject(props, "device", "studybot");
	if (g->shard_count > 0) {
		int shard[2] = {g->shard_id, g->shard_count};

		cJSON_AddItemToObject(d, "shard", cJSON_CreateIntArray(shard, 2));
	}
	s = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return s;
}

static void send_identify(struct gw *g);

static void identify_timer_cb(uv_timer_t *t)
{
	send_identify(t->data);
}

static void send_identify(struct gw *g)
{
	uint64_t now = now_ms(g);

	if (!g->wsi || g->state != ST_AUTH)
		return;
	int budget;
	uint64_t wait = gw_idgate_take(g->gate, g->shard_id, now, &budget);

	if (wait) {
		if (budget)
			log_warn("gateway session start limit reached; waiting before identifying",
			         "shard=%d wait_ms=%llu", g->shard_id, (unsigned long long)wait);
		else
			log_info("gateway identify waits for Discord's 5 s spacing",
			         "shard=%d wait_ms=%llu", g->shard_id, (unsigned long long)wait);
		uv_timer_start(&g->identify_timer, identify_timer_cb, wait, 0);
		return;
	}
	g->stats.identifies++;
	g->seq = 0;
	log_info("gateway identify", "shard=%d intents=%u", g->shard_id, g->intents);
	send_payload(g, identify_payload(g));
}

static void send_resume(struct gw *g)
{
	cJSON *root = cJSON_CreateObject(), *d;

	cJSON_AddNumberToObject(root, "op", GW_OP_RESUME);
	d = cJSON_AddObjectToObject(root, "d");
	cJSON_AddStringToObject(d, "token", g->token);
	cJSON_AddStringToObject(d, "session_id", g->session_id);
	cJSON_AddNumberToObject(d, "seq", (double)g->seq);
	log_info("gateway resume", "shard=%d seq=%lld", g->shard_id, (long long)g->seq);
	send_payload(g, cJSON_PrintUnformatted(root));
	cJSON_Delete(root);
}

/* --- connecting ------------------------------------------------------------ */

static void schedule_reconnect(struct gw *g, uint64_t delay);

static void connect_now(struct gw *g)
{
	struct lws_client_connect_info ci;
	const char *url = g->session_id[0] && g->resume_url[0] && g->resume_fail < 2 ? g->resume_url
	                                                                             : g->base_url;
	static struct net_url u; /* 1.3 KiB; lws copies what it keeps */
	char path[sizeof u.path + 64];

	if (net_url_split(url, "wss", "ws", &u) != SB_OK) {
		log_error("gateway URL refused", "url=%s why=%s", log_q(url), log_q(u.why));
		schedule_reconnect(g, gw_backoff_ms(g->attempt++, gw_random(g)));
		return;
	}
	snprintf(path, sizeof path, "%s%sv=10&encoding=json%s", u.path,
	         strchr(u.path, '?') ? "&" : "?", g->compress ? "&compress=zlib-stream" : "");
	memset(&ci, 0, sizeof ci);
	ci.context = net_loop_lws(g->loop);
	ci.address = u.host;
	ci.port = u.port;
	ci.ssl_connection = u.tls ? LCCSCF_USE_SSL : 0;
	ci.path = path;
	ci.host = u.host;
	ci.origin = u.host;
	ci.protocol = NULL; /* Discord speaks no websocket sub-protocol */
	ci.local_protocol_name = protocols[0].name;
	ci.opaque_user_data = g;
	ci.pwsi = &g->wsi;
	g->state = ST_CONNECTING;
	g->close_code = 0;
	g->close_sent = 0;
	g->peer_code = 0;
	g->ws_open = 0;
	g->rx_overflow = 0;
	buf_reset(&g->rx);
	outq_clear(g);
	gw_limiter_clear(&g->limiter);
	g->beat_sent_at = 0;
	g->acked = 1;
	g->stats.connects++;
	log_info("gateway connecting", "shard=%d resume=%d host=%s", g->shard_id,
	         url == g->resume_url, log_q(u.host));
	if (g->compress && gw_inflate_reset(&g->zin) != SB_OK) {
		log_error("cannot start zlib-stream decompression", NULL);
		schedule_reconnect(g, gw_backoff_ms(g->attempt++, gw_random(g)));
		return;
	}
	if (!lws_client_connect_via_info(&ci)) {
		/* lws has already reported CONNECTION_ERROR, or failed before
		 * it could: in both cases g->wsi is NULL now. */
		g->wsi = NULL;
		if (g->state == ST_CONNECTING)
			schedule_reconnect(g, gw_backoff_ms(g->attempt++, gw_random(g)));
	}
}

static void reconnect_cb(uv_timer_t *t)
{
	struct gw *g = t->data;

	if (!g->stopping)
		connect_now(g);
}

static void schedule_reconnect(struct gw *g, uint64_t delay)
{
	g->state = ST_IDLE;
	if (g->stopping)
		return;
	g->stats.reconnects++;
	log_info("gateway reconnect scheduled", "shard=%d delay_ms=%llu", g->shard_id,
	         (unsigned long long)delay);
	uv_timer_start(&g->reconnect_timer, reconnect_cb, delay, 0);
}

static void hello_timeout_cb(uv_timer_t *t)
{
	struct gw *g = t->data;

	log_warn("gateway sent no HELLO; reconnecting", "timeout_ms=%d", HELLO_TIMEOUT_MS);
	drop(g, CLOSE_RESUME);
}

/* The connection is gone: decide, from who closed it and how, what next. */
static void on_closed(struct gw *g)
{
	int code = g->peer_code ? g->peer_code : g->close_code ? g->close_code : 1006;
	const struct gw_close_info *ci = gw_close_lookup(code);
	int was_resuming = g->session_id[0] && g->state != ST_READY;

	g->wsi = NULL;
	uv_timer_stop(&g->beat_timer);
	uv_timer_stop(&g->send_timer);
	uv_timer_stop(&g->hello_timer);
	uv_timer_stop(&g->identify_timer);
	outq_clear(g);
	g->stats.ready = 0;
	if (g->stopping) {
		g->state = ST_DONE;
		if (g->h.closed)
			g->h.closed(g->ud);
		return;
	}
	if (!g->ws_open && was_resuming)
		g->resume_fail++;
	if (g->peer_code)
		log_warn("gateway closed by Discord", "shard=%d code=%d reason=%s", g->shard_id,
		         code, log_q(ci->name));
	else if (!g->close_code)
		log_warn("gateway connection lost", "shard=%d", g->shard_id);
	if (code == 4014 && g->intents_trial && g->peer_code) {
		/* Intents asked for at run time (a channel set up for thread
		 * answers) that the application may not use: keep serving with
		 * the ones that worked, rather than stopping the whole bot. */
		log_error("Discord refused the intents a thread-mode channel needs; thread answers "
		          "will not be seen until it is allowed",
		          "shard=%d fix=%s", g->shard_id, log_q(ci->fix));
		g->intents = g->prev_intents;
		g->intents_trial = 0;
		schedule_reconnect(g, gw_backoff_ms(g->attempt++, gw_random(g)));
		return;
	}
	if (ci->cls == GW_CLOSE_FATAL && g->peer_code) {
		g->state = ST_DONE;
		log_error("gateway refused the bot", "shard=%d code=%d reason=%s fix=%s",
		          g->shard_id, code, log_q(ci->name), log_q(ci->fix));
		if (g->h.fatal)
			g->h.fatal(g->ud, ci);
		return;
	}
	if (ci->cls == GW_CLOSE_NEW_SESSION && g->peer_code) {
		g->session_id[0] = '\0';
		g->seq = 0;
	}
	/* Our own drops (op 7, zombie) reconnect at once; failures back off. */
	if (g->next_delay) {
		schedule_reconnect(g, g->next_delay);
		g->next_delay = 0;
	} else if (g->close_code == CLOSE_RESUME && g->ws_open && g->attempt == 0)
		schedule_reconnect(g, 0);
	else
		schedule_reconnect(g, gw_backoff_ms(g->attempt++, gw_random(g)));
}

/* --- receiving ------------------------------------------------------------- */

static void on_dispatch(struct gw *g, const struct gw_envelope *e)
{
	if (e->s > 0) {
		/* Discord numbers every dispatch of a session; one at or below
		 * the last we handled is a duplicate (a replay overlapping what
		 * we saw), never a new event. */
		if (e->s <= g->seq) {
			log_debug("gateway duplicate dispatch skipped", "seq=%lld",
			          (long long)e->s);
			return;
		}
	}
	if (strcmp(e->t, "READY") == 0) {
		struct gw_ready r;

		if (gw_decode_ready(e->d, &r) != SB_OK) {
			log_error("gateway READY cannot be read; reconnecting", NULL);
			g->stats.malformed++;
			drop(g, CLOSE_RESUME);
			return;
		}
		snprintf(g->session_id, sizeof g->session_id, "%s", r.session_id);
		snprintf(g->resume_url, sizeof g->resume_url, "%s", r.resume_gateway_url);
		g->state = ST_READY;
		g->attempt = 0;
		g->resume_fail = 0;
		g->intents_trial = 0;
		g->stats.ready = 1;
		log_info("gateway ready", "shard=%d user=%s guilds=%zu", g->shard_id,
		         log_q(r.user_name), r.guilds);
		if (e->s > 0)
			g->seq = e->s;
		if (g->h.ready)
			g->h.ready(g->ud, &r, 0);
		return;
	}
	if (strcmp(e->t, "RESUMED") == 0) {
		g->state = ST_READY;
		g->attempt = 0;
		g->resume_fail = 0;
		g->stats.resumes++;
		g->stats.ready = 1;
		log_info("gateway resumed", "shard=%d seq=%lld", g->shard_id, (long long)g->seq);
		if (e->s > 0)
			g->seq = e->s;
		if (g->h.ready)
			g->h.ready(g->ud, NULL, 1);
		return;
	}
	g->stats.events++;
	if (g->h.dispatch)
		g->h.dispatch(g->ud, e->t, e->d);
	if (e->s > 0)
		g->seq = e->s;
}

static void on_hello(struct gw *g, const struct gw_envelope *e)
{
	struct gw_hello hello;

	if (gw_decode_hello(e->d, &hello) != SB_OK || hello.heartbeat_interval_ms == 0) {
		log_error("gateway HELLO cannot be read; reconnecting", NULL);
		g->stats.malformed++;
		drop(g, CLOSE_RESUME);
		return;
	}
	uv_timer_stop(&g->hello_timer);
	g->interval = hello.heartbeat_interval_ms;
	/* Discord's docs: the first beat after interval × jitter, so a fleet
	 * of clients reconnecting at once does not beat in step. */
	uv_timer_start(&g->beat_timer, beat_cb, gw_first_beat_ms(g->interval, gw_random(g)), 0);
	g->state = ST_AUTH;
	if (g->session_id[0])
		send_resume(g);
	else
		send_identify(g);
}

static void on_payload(struct gw *g, const char *msg, size_t len)
{
	struct gw_envelope e;

	if (gw_envelope_decode(msg, len, &e) != SB_OK) {
		g->stats.malformed++;
		log_warn("gateway payload is not valid JSON; ignored", "bytes=%zu", len);
		return;
	}
	switch (e.op) {
	case GW_OP_DISPATCH:
		on_dispatch(g, &e);
		break;
	case GW_OP_HELLO:
		on_hello(g, &e);
		break;
	case GW_OP_HEARTBEAT:
		/* Discord asks for a beat now; it does not wait for our timer. */
		g->beat_due = 1;
		want_write(g);
		break;
	case GW_OP_HEARTBEAT_ACK:
		g->acked = 1;
		g->stats.last_latency_ms = (unsigned long)(now_ms(g) - g->beat_sent_at);
		break;
	case GW_OP_RECONNECT:
		log_info("gateway asked us to reconnect", "shard=%d", g->shard_id);
		drop(g, CLOSE_RESUME);
		break;
	case GW_OP_INVALID_SESSION:
		if (gw_span_bool(e.d) == 1) {
			log_info("gateway session invalid but resumable; reconnecting", NULL);
			drop(g, CLOSE_RESUME);
		} else {
			/* Not resumable: identify anew on a fresh connection to the
			 * base URL after 1–5 s, as Discord's docs ask. */
			log_info("gateway session invalid; identifying anew", NULL);
			g->session_id[0] = '\0';
			g->resume_url[0] = '\0';
			g->seq = 0;
			g->next_delay = 1000 + (uint64_t)(gw_random(g) * 4000);
			drop(g, CLOSE_RESUME);
		}
		break;
	default:
		g->stats.malformed++;
		log_warn("gateway opcode unknown; ignored", "op=%d", e.op);
		break;
	}
}

static void on_inflated(struct gw *g, enum sb_rc rc, const char *msg, size_t mlen)
{
	if (rc != SB_OK) {
		if (rc == SB_ERR_TOOBIG)
			g->stats.oversized++;
		else
			g->stats.malformed++;
		log_error("gateway compressed stream broken; reconnecting", "reason=%s",
		          sb_strerror(rc));
		drop(g, CLOSE_RESUME);
		return;
	}
	if (msg)
		on_payload(g, msg, mlen);
}

static void on_receive(struct gw *g, const void *in, size_t len)
{
	const char *msg;
	size_t mlen;
	int whole = lws_is_final_fragment(g->wsi) && !lws_remaining_packet_payload(g->wsi);

	/* Most messages arrive in one piece: hand them on without a copy.
	 * Uncompressed ones must still be copied, for the NUL the JSON readers
	 * after the envelope rely on. */
	if (whole && g->rx.len == 0 && !g->rx_overflow && g->compress) {
		enum sb_rc rc = gw_inflate_feed(&g->zin, in, len, &msg, &mlen);
		on_inflated(g, rc, msg, mlen);
		return;
	}
	if (!g->rx_overflow && buf_add(&g->rx, in, len) != SB_OK)
		g->rx_overflow = 1;
	if (!whole)
		return;
	if (g->rx_overflow) {
		g->stats.oversized++;
		g->rx_overflow = 0;
		buf_reset(&g->rx);
		if (g->compress) {
			/* The zlib stream cannot skip a message: start over. */
			log_error("gateway message over the size cap; reconnecting", "cap=%zu",
			          g->max_message);
			drop(g, CLOSE_RESUME);
		} else {
			log_error("gateway message over the size cap; ignored", "cap=%zu",
			          g->max_message);
		}
		return;
	}
	if (g->compress) {
		enum sb_rc rc = gw_inflate_feed(&g->zin, g->rx.data, g->rx.len, &msg, &mlen);
		buf_reset(&g->rx);
		on_inflated(g, rc, msg, mlen);
		return;
	}
	on_payload(g, g->rx.data ? g->rx.data : "", g->rx.len);
	buf_reset(&g->rx);
}

static int gw_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len)
{
	struct gw *g = lws_get_opaque_user_data(wsi);

	(void)user;
	if (!g)
		return 0;
	/* Callbacks of a connection we already gave up on. */
	if (g->wsi && wsi != g->wsi)
		return reason == LWS_CALLBACK_CLIENT_WRITEABLE ? -1 : 0;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		log_warn("gateway connection failed", "shard=%d error=%s", g->shard_id,
		         log_q(in ? (const char *)in : "unknown"));
		if (g->state == ST_CONNECTING || g->wsi == wsi) {
			g->wsi = wsi;
			on_closed(g);
		}
		break;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		g->wsi = wsi;
		g->ws_open = 1;
		g->state = ST_HELLO;
		uv_timer_start(&g->hello_timer, hello_timeout_cb, HELLO_TIMEOUT_MS, 0);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		on_receive(g, in, len);
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		return on_writable(g);
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		/* The answer to our own close: no second close frame from lws,
		 * and the code is ours, not a verdict of Discord's. */
		if (g->close_sent)
			return -1;
		if (len >= 2) {
			const unsigned char *p = in;

			g->peer_code = (p[0] << 8) | p[1];
		}
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		g->wsi = wsi;
		on_closed(g);
		break;
	default:
		break;
	}
	return 0;
}

/* --- life ------------------------------------------------------------------ */

void gw_change_intents(struct gw *g, uint32_t intents)
{
	if (g->intents == intents)
		return;
	log_info("gateway intents change; starting a new session", "shard=%d from=%u to=%u",
	         g->shard_id, g->intents, intents);
	if (!g->intents_trial)
		g->prev_intents = g->intents;
	g->intents_trial = 1;
	g->intents = intents;
	g->session_id[0] = '\0';
	g->resume_url[0] = '\0';
	g->seq = 0;
	if (g->wsi) {
		g->next_delay = 1;
		drop(g, 1000);
	}
}

uint32_t gw_intents(const struct gw *g)
{
	return g->intents;
}

#define NTIMERS 5

/* Every timer g owns, for starting and closing them together. */
static void timers_of(struct gw *g, uv_timer_t *t[NTIMERS])
{
	t[0] = &g->beat_timer;
	t[1] = &g->reconnect_timer;
	t[2] = &g->send_timer;
	t[3] = &g->hello_timer;
	t[4] = &g->identify_timer;
}

enum sb_rc gw_new(struct gw **out, struct net_loop *loop, const struct gw_config *cfg,
                  const struct gw_handlers *h, void *ud)
{
	struct gw *g = xcalloc(1, sizeof *g);
	uv_timer_t *timers[NTIMERS];

	g->loop = loop;
	g->h = *h;
	g->ud = ud;
	g->token = xstrdup(cfg->token);
	g->base_url = xstrdup(cfg->url);
	g->compress = cfg->compress;
	g->intents = cfg->intents;
	g->shard_id = cfg->shard_count > 0 ? cfg->shard_id : 0;
	g->shard_count = cfg->shard_count;
	gw_idgate_init(&g->own_gate, 1, 0, cfg->sl_remaining, cfg->sl_reset_after_ms, now_ms(g));
	g->gate = cfg->gate ? cfg->gate : &g->own_gate;
	g->max_message = cfg->max_message ? cfg->max_message : GW_MAX_MESSAGE;
	g->rnd = uv_hrtime() ^ ((uint64_t)getpid() << 32) ^ (uintptr_t)g;
	if (!g->rnd)
		g->rnd = 88172645463325252ull;
	buf_init(&g->rx, g->max_message);
	gw_inflate_init(&g->zin, g->max_message);
	gw_limiter_init(&g->limiter, SEND_RESERVE);
	timers_of(g, timers);
	for (size_t i = 0; i < NTIMERS; i++) {
		uv_timer_init(net_loop_uv(loop), timers[i]);
		timers[i]->data = g;
	}
	*out = g;
	return SB_OK;
}

void gw_start(struct gw *g)
{
	connect_now(g);
}

void gw_close(struct gw *g)
{
	g->stopping = 1;
	uv_timer_stop(&g->reconnect_timer);
	uv_timer_stop(&g->identify_timer);
	if (!g->wsi) {
		g->state = ST_DONE;
		if (g->h.closed)
			g->h.closed(g->ud);
		return;
	}
	g->state = ST_CLOSING;
	outq_clear(g);
	g->close_code = 0;
	drop(g, 1000);
}

static void timer_closed(uv_handle_t *h)
{
	struct gw *g = h->data;

	if (--g->timers_closing == 0) {
		free(g);
	}
}

void gw_free(struct gw *g)
{
	uv_timer_t *timers[NTIMERS];

	if (!g)
		return;
	if (g->wsi) {
		/* Detach: lws may still call back for this socket while the
		 * context shuts down; it must not find us. */
		lws_set_opaque_user_data(g->wsi, NULL);
		lws_set_timeout(g->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
	}
	outq_clear(g);
	buf_free(&g->rx);
	gw_inflate_free(&g->zin);
	free(g->token);
	free(g->base_url);
	/* The timers are in g: free it once libuv has let go of all of them. */
	timers_of(g, timers);
	g->timers_closing = NTIMERS;
	for (size_t i = 0; i < NTIMERS; i++)
		uv_close((uv_handle_t *)timers[i], timer_closed);
}

void gw_get_stats(const struct gw *g, struct gw_stats *out)
{
	*out = g->stats;
}
