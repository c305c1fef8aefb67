/* Socket Mode connections: apps.connections.open through the HTTP client,
 * lws for the websockets, one uv timer per websocket for pings and silence
 * and one per slot for retries.
 *
 * A slot is one of the `connections` the owner asked for; the owner sees
 * slot numbers only. A slot holds at most two websockets: `cur`, which said
 * hello, and `pending`, the one being opened (the first, or a replacement
 * after a `disconnect`). A replaced websocket is closed by us once its
 * replacement said hello, or by Slack before that; until it is gone it
 * lives on the list of all websockets and still takes acks.
 *
 * Ownership: struct sm owns its slots, websockets, queued frames and the
 * dedupe ring; a websocket is freed in its timer's close callback, struct
 * sm once every handle it owns is closed (sm_free). */
#include "slack/sm.h"

#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "net/http.h"
#include "net/ws_frame.h"
#include "net/ws_url.h"
#include "slack/sm_policy.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"

/* No hello this long after the websocket opened: try another. */
#define HELLO_TIMEOUT_MS 20000
/* The websocket handshake (TCP, TLS, upgrade) has this long. */
#define CONNECT_TIMEOUT_MS 20000
/* A dropped websocket that does not close by itself is killed after this. */
#define KILL_AFTER_S 2
/* Acks waiting for a writable socket, per websocket. */
#define OUTQ_MAX 4096

enum ws_state { WS_CONNECTING, WS_HELLO, WS_READY, WS_GONE };

struct sm_out {
	struct sm_out *next;
	char *frame; /* LWS_PRE bytes of headroom, then the text */
	size_t len;  /* of the text */
};

struct sm_ws {
	struct sm *s;
	struct sm_ws *next; /* on s->all */
	int slot;
	unsigned serial; /* for logs */
	enum ws_state state;
	struct lws *wsi;
	int close_code; /* set: we are closing it */
	int close_sent; /* the close frame is out */
	int peer_code;
	int retiring; /* Slack sent disconnect, or we gave up on it */
	int counted;  /* its close is one of s->handles (sm_free) */
	struct buf rx;
	int rx_overflow;
	struct sm_out *outq, *outq_tail;
	size_t outq_n;
	int ping_due;
	uint64_t started_at, last_rx, last_ping;
	uv_timer_t timer;
	char host[256];
};

struct sm_slot {
	struct sm *s;
	int index;
	struct sm_ws *cur;     /* said hello */
	struct sm_ws *pending; /* opening, no hello yet */
	struct net_http *http; /* apps.connections.open in flight */
	uv_timer_t timer;      /* the next open, when armed */
	int armed;
	unsigned attempt; /* consecutive failures, for the backoff */
	int disabled;     /* link_disabled seen since the last hello */
};

struct sm {
	struct net_loop *loop;
	struct sm_handlers h;
	void *ud;
	char *open_url;
	char *auth_header;
	int nslots;
	size_t max_message;
	unsigned ping_ms, silence_ms;
	struct sm_slot slots[SM_MAX_CONNECTIONS];
	struct sm_ws *all;
	unsigned serial;
	int stopping, dead, freeing;
	int handles; /* uv handles not yet closed, once freeing */
	struct sm_seen seen;
	uint64_t rnd;
	struct sm_stats stats;
};

static int sm_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len);

static const struct lws_protocols protocols[] = {
    {"slack-socket-mode", sm_callback, 0, 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

const struct lws_protocols *sm_protocols(void)
{
	return protocols;
}

/* xorshift64*: only jitter depends on it. */
static double sm_random(struct sm *s)
{
	s->rnd ^= s->rnd >> 12;
	s->rnd ^= s->rnd << 25;
	s->rnd ^= s->rnd >> 27;
	return (double)((s->rnd * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static uint64_t now_ms(struct sm *s)
{
	return net_loop_now_ms(s->loop);
}

static void slot_open(struct sm_slot *sl);
static void slot_schedule(struct sm_slot *sl, uint64_t delay);
static void ws_arm(struct sm_ws *ws);

/* --- sending --------------------------------------------------------------- */

static void want_write(struct sm_ws *ws)
{
	if (ws->wsi)
		lws_callback_on_writable(ws->wsi);
}

static void outq_clear(struct sm_ws *ws)
{
	while (ws->outq) {
		struct sm_out *o = ws->outq;

		ws->outq = o->next;
		free(o->frame);
		free(o);
	}
	ws->outq_tail = NULL;
	ws->outq_n = 0;
}

/* The close, else the queued acks, else a ping. Returns -1 to close. */
static int on_writable(struct sm_ws *ws)
{
	if (ws->close_sent)
		return -1;
	if (ws->close_code) {
		/* Our own close frame (net/ws_frame.h): Slack's answering
		 * close, or the kill timeout set by ws_drop(), ends it. */
		ws->close_sent = 1;
		return net_ws_close_frame(ws->wsi, ws->close_code, "bye");
	}
	if (ws->outq) {
		/* Every queued ack the socket takes now, not one per callback:
		 * each callback costs poll changes (lws's documented pattern,
		 * writing until the pipe is choked). */
		do {
			struct sm_out *o = ws->outq;
			int wrote;

			ws->outq = o->next;
			if (!ws->outq)
				ws->outq_tail = NULL;
			ws->outq_n--;
			wrote = lws_write(ws->wsi, (unsigned char *)o->frame + LWS_PRE, o->len,
			                  LWS_WRITE_TEXT);
			free(o->frame);
			free(o);
			if (wrote < 0)
				return -1;
		} while (ws->outq && !lws_send_pipe_choked(ws->wsi));
	} else if (ws->ping_due) {
		unsigned char frame[LWS_PRE + 1];

		ws->ping_due = 0;
		ws->s->stats.pings++;
		if (lws_write(ws->wsi, frame + LWS_PRE, 0, LWS_WRITE_PING) < 0)
			return -1;
	}
	if (ws->outq || ws->ping_due)
		want_write(ws);
	return 0;
}

/* Closes ws on purpose with `code`; the close callback then decides what
 * comes next. */
static void ws_drop(struct sm_ws *ws, int code)
{
	if (ws->state == WS_GONE || ws->close_code)
		return;
	ws->close_code = code;
	ws->retiring = 1;
	if (!ws->wsi)
		return; /* not created yet: ws_connect() sees close_code */
	want_write(ws);
	/* A dead connection may never become writable. */
	lws_set_timeout(ws->wsi, PENDING_TIMEOUT_USER_OK,
	                ws->state == WS_CONNECTING ? LWS_TO_KILL_ASYNC : KILL_AFTER_S);
}

static void json_string(struct buf *b, const char *s)
{
	buf_addc(b, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			buf_addc(b, '\\');
			buf_addc(b, (char)c);
		} else if (c < 0x20)
			buf_printf(b, "\\u%04x", c);
		else
			buf_addc(b, (char)c);
	}
	buf_addc(b, '"');
}

static enum sb_rc ws_send_ack(struct sm_ws *ws, const char *envelope_id, const char *payload_json)
{
	static const char zeros[LWS_PRE];
	struct buf b;
	struct sm_out *o;
	size_t len;

	if (ws->outq_n >= OUTQ_MAX) {
		log_error("Socket Mode ack queue full; ack dropped", "conn=%d queued=%zu", ws->slot,
		          ws->outq_n);
		return SB_ERR_TOOBIG;
	}
	buf_init(&b, LWS_PRE + ws->s->max_message);
	buf_add(&b, zeros, LWS_PRE);
	buf_adds(&b, "{\"envelope_id\":");
	json_string(&b, envelope_id);
	if (payload_json && payload_json[0]) {
		buf_adds(&b, ",\"payload\":");
		buf_adds(&b, payload_json);
	}
	if (buf_addc(&b, '}') != SB_OK) {
		buf_free(&b);
		log_error("Socket Mode ack payload too large; ack dropped", "conn=%d", ws->slot);
		return SB_ERR_TOOBIG;
	}
	len = b.len - LWS_PRE;
	/* Nothing queued and room in the socket: straight out, sparing the
	 * writable round trip (two poll changes and a wake-up per ack). A
	 * partial write is kept by lws, and lws_send_pipe_choked() holds the
	 * next one back until it is out. */
	if (!ws->outq && !ws->close_code && ws->wsi && !lws_send_pipe_choked(ws->wsi)) {
		int wrote =
		    lws_write(ws->wsi, (unsigned char *)b.data + LWS_PRE, len, LWS_WRITE_TEXT);

		buf_free(&b);
		if (wrote < 0) {
			ws_drop(ws, 1001);
			return SB_ERR_IO;
		}
		return SB_OK;
	}
	o = xcalloc(1, sizeof *o);
	o->frame = buf_take(&b);
	o->len = len;
	if (ws->outq_tail)
		ws->outq_tail->next = o;
	else
		ws->outq = o;
	ws->outq_tail = o;
	ws->outq_n++;
	want_write(ws);
	return SB_OK;
}

/* A websocket that can still carry an ack: open and not being closed. */
static int ws_usable(const struct sm_ws *ws)
{
	return ws && ws->wsi && (ws->state == WS_HELLO || ws->state == WS_READY) && !ws->close_code;
}

enum sb_rc sm_ack(struct sm *s, int conn, const char *envelope_id, const char *payload_json)
{
	struct sm_ws *ws = NULL;
	enum sb_rc rc;

	if (!envelope_id || !envelope_id[0])
		return SB_ERR_INVALID;
	if (conn >= 0 && conn < s->nslots && ws_usable(s->slots[conn].cur))
		ws = s->slots[conn].cur;
	for (int i = 0; !ws && i < s->nslots; i++)
		if (ws_usable(s->slots[i].cur))
			ws = s->slots[i].cur;
	/* Replaced or not yet ready ones still reach Slack. */
	for (struct sm_ws *w = s->all; !ws && w; w = w->next)
		if (ws_usable(w))
			ws = w;
	if (!ws) {
		log_warn("Socket Mode ack with no open connection; Slack will retry", "envelope=%s",
		         log_q(envelope_id));
		return SB_ERR_NOTFOUND;
	}
	rc = ws_send_ack(ws, envelope_id, payload_json);
	if (rc == SB_OK) {
		s->stats.acks++;
		if (ws->slot != conn || ws != s->slots[ws->slot].cur)
			s->stats.acks_late_conn++;
	}
	return rc;
}

/* --- the websocket's life --------------------------------------------------- */

static void ws_freed(uv_handle_t *h)
{
	struct sm_ws *ws = h->data;
	struct sm *s = ws->s;
	int counted = ws->counted;

	free(ws);
	/* One released before sm_free() is not waited for: its close comes
	 * before those sm_free() starts, and it must not touch s. */
	if (counted && --s->handles == 0)
		free(s);
}

/* Unlinks ws and frees it once its timer is closed. */
static void ws_release(struct sm_ws *ws)
{
	struct sm *s = ws->s;

	for (struct sm_ws **p = &s->all; *p; p = &(*p)->next)
		if (*p == ws) {
			*p = ws->next;
			break;
		}
	outq_clear(ws);
	buf_free(&ws->rx);
	uv_close((uv_handle_t *)&ws->timer, ws_freed);
}

static uint64_t retry_delay(struct sm_slot *sl)
{
	if (sl->disabled)
		return sm_disabled_ms(sm_random(sl->s));
	return sm_backoff_ms(sl->attempt++, sm_random(sl->s));
}

/* The websocket is gone (closed, or never connected): what next. */
static void ws_gone(struct sm_ws *ws, struct lws *wsi, const char *why)
{
	struct sm *s = ws->s;
	struct sm_slot *sl = &s->slots[ws->slot];
	enum ws_state was = ws->state;

	if (was == WS_GONE)
		return;
	ws->state = WS_GONE;
	if (wsi)
		lws_set_opaque_user_data(wsi, NULL);
	ws->wsi = NULL;
	uv_timer_stop(&ws->timer);
	if (!s->stopping && !ws->close_code && !ws->retiring)
		log_warn("Socket Mode connection lost", "conn=%d ws=%u host=%s code=%d error=%s",
		         ws->slot, ws->serial, log_q(ws->host), ws->peer_code,
		         log_q(why ? why : "closed"));
	else
		log_info("Socket Mode connection closed", "conn=%d ws=%u code=%d", ws->slot,
		         ws->serial, ws->peer_code ? ws->peer_code : ws->close_code);
	if (sl->cur == ws || sl->pending == ws) {
		if (sl->cur == ws)
			sl->cur = NULL;
		else
			sl->pending = NULL;
		if (!s->stopping && !s->dead && !sl->pending && !sl->http && !sl->armed) {
			/* A connection that served is replaced at once (bar
			 * jitter); one that never said hello counts as a failure. */
			if (was == WS_READY && !sl->disabled)
				sl->attempt = 0;
			slot_schedule(sl, retry_delay(sl));
		}
	}
	ws_release(ws);
	if (s->stopping && !s->all && !s->freeing && s->h.closed)
		s->h.closed(s->ud);
}

static void ws_tick(uv_timer_t *t)
{
	struct sm_ws *ws = t->data;
	struct sm *s = ws->s;
	uint64_t now = now_ms(s);

	if (ws->state == WS_GONE || ws->close_code)
		return;
	if (ws->state == WS_CONNECTING) {
		if (now - ws->started_at >= CONNECT_TIMEOUT_MS) {
			log_warn("Socket Mode websocket handshake timed out", "conn=%d host=%s",
			         ws->slot, log_q(ws->host));
			ws_drop(ws, 1001);
			return;
		}
	} else {
		if (now - ws->last_rx >= s->silence_ms) {
			s->stats.silences++;
			log_warn("Socket Mode connection silent; replacing it",
			         "conn=%d ws=%u silent_ms=%llu", ws->slot, ws->serial,
			         (unsigned long long)(now - ws->last_rx));
			ws_drop(ws, 1001);
			if (s->slots[ws->slot].cur == ws)
				slot_open(&s->slots[ws->slot]);
			return;
		}
		if (ws->state == WS_HELLO && now - ws->started_at >= HELLO_TIMEOUT_MS) {
			log_warn("Socket Mode sent no hello; trying another connection",
			         "conn=%d timeout_ms=%d", ws->slot, HELLO_TIMEOUT_MS);
			ws_drop(ws, 1001);
			return;
		}
		if (now - ws->last_ping >= s->ping_ms) {
			ws->last_ping = now;
			ws->ping_due = 1;
			want_write(ws);
		}
	}
	ws_arm(ws);
}

/* The next tick: the next ping, silence or handshake deadline. */
static void ws_arm(struct sm_ws *ws)
{
	struct sm *s = ws->s;
	uint64_t now = now_ms(s), next;

	if (ws->state == WS_CONNECTING)
		next = ws->started_at + CONNECT_TIMEOUT_MS;
	else {
		next = ws->last_ping + s->ping_ms;
		if (ws->last_rx + s->silence_ms < next)
			next = ws->last_rx + s->silence_ms;
		if (ws->state == WS_HELLO && ws->started_at + HELLO_TIMEOUT_MS < next)
			next = ws->started_at + HELLO_TIMEOUT_MS;
	}
	uv_timer_start(&ws->timer, ws_tick, next > now ? next - now : 1, 0);
}

static void ws_connect(struct sm_slot *sl, const struct net_url *u)
{
	struct sm *s = sl->s;
	struct sm_ws *ws = xcalloc(1, sizeof *ws);
	struct lws_client_connect_info ci;

	ws->s = s;
	ws->slot = sl->index;
	ws->serial = ++s->serial;
	ws->state = WS_CONNECTING;
	ws->started_at = now_ms(s);
	snprintf(ws->host, sizeof ws->host, "%s", u->host);
	buf_init(&ws->rx, s->max_message);
	uv_timer_init(net_loop_uv(s->loop), &ws->timer);
	ws->timer.data = ws;
	ws->next = s->all;
	s->all = ws;
	sl->pending = ws;
	s->stats.connects++;

	memset(&ci, 0, sizeof ci);
	ci.context = net_loop_lws(s->loop);
	ci.address = u->host;
	ci.port = u->port;
	ci.ssl_connection = u->tls ? LCCSCF_USE_SSL : 0;
	ci.path = u->path;
	ci.host = u->host;
	ci.origin = u->host;
	ci.protocol = NULL; /* Socket Mode speaks no websocket sub-protocol */
	ci.local_protocol_name = protocols[0].name;
	ci.opaque_user_data = ws;
	ci.pwsi = &ws->wsi;
	/* Never the ticket (the query): it opens a connection for whoever
	 * holds it. */
	log_info("Socket Mode connecting", "conn=%d ws=%u host=%s", sl->index, ws->serial,
	         log_q(u->host));
	ws_arm(ws);
	if (!lws_client_connect_via_info(&ci)) {
		/* lws has already reported CONNECTION_ERROR, or failed before
		 * it could. */
		ws_gone(ws, NULL, "connect failed");
	}
}

/* --- apps.connections.open --------------------------------------------------- */

static void slot_timer_cb(uv_timer_t *t)
{
	struct sm_slot *sl = t->data;

	sl->armed = 0;
	slot_open(sl);
}

static void slot_schedule(struct sm_slot *sl, uint64_t delay)
{
	if (sl->s->stopping || sl->s->dead)
		return;
	log_info("Socket Mode reconnect scheduled", "conn=%d delay_ms=%llu", sl->index,
	         (unsigned long long)delay);
	sl->armed = 1;
	uv_timer_start(&sl->timer, slot_timer_cb, delay, 0);
}

/* No slot asks for a URL or waits to: stopping, or the token is refused. */
static void slots_stop(struct sm *s)
{
	for (int i = 0; i < s->nslots; i++) {
		struct sm_slot *sl = &s->slots[i];

		if (sl->http) {
			net_http_cancel(sl->http);
			sl->http = NULL;
		}
		uv_timer_stop(&sl->timer);
		sl->armed = 0;
	}
}

static void open_fatal(struct sm *s, const char *error)
{
	char why[512];

	s->dead = 1;
	slots_stop(s);
	snprintf(why, sizeof why,
	         "Slack refused the app-level token (%s): put the xapp-… token from your app's "
	         "Basic Information page (App-Level Tokens, scope connections:write) in the "
	         "variable named by [slack] app_token_env",
	         error);
	log_error("Slack refused the app-level token", "error=%s", log_q(error));
	if (s->h.fatal)
		s->h.fatal(s->ud, EXIT_AUTH, why);
}

static void open_done(void *ud, const struct net_http_resp *r)
{
	struct sm_slot *sl = ud;
	struct sm *s = sl->s;
	struct sm_open_result res;
	struct net_url u;
	char retry_after[32];
	const char *ra = net_http_header(r, "Retry-After", retry_after, sizeof retry_after);

	sl->http = NULL;
	if (s->stopping || s->dead)
		return;
	sm_open_parse(r->failed ? 0 : r->status, r->body, r->body_len, ra, &res);
	if (res.outcome != SM_OPEN_OK)
		s->stats.open_failures++;
	switch (res.outcome) {
	case SM_OPEN_OK:
		if (net_url_split(res.url, "wss", "ws", &u) != SB_OK) {
			log_error("apps.connections.open gave a URL we will not use",
			          "conn=%d why=%s", sl->index, log_q(u.why));
			slot_schedule(sl, retry_delay(sl));
			return;
		}
		ws_connect(sl, &u);
		return;
	case SM_OPEN_FATAL:
		open_fatal(s, res.error);
		return;
	case SM_OPEN_WAIT:
		log_warn("apps.connections.open rate limited", "conn=%d wait_ms=%llu", sl->index,
		         (unsigned long long)res.wait_ms);
		slot_schedule(sl, res.wait_ms);
		return;
	case SM_OPEN_RETRY:
		log_warn("apps.connections.open failed; retrying", "conn=%d status=%ld error=%s",
		         sl->index, r->status, log_q(r->failed ? r->error : res.error));
		slot_schedule(sl, retry_delay(sl));
		return;
	}
}

/* Asks for a new websocket URL, single use, for slot sl: whatever it does
 * now (nothing, or a connection Slack is retiring) goes on until the new
 * one said hello. */
static void slot_open(struct sm_slot *sl)
{
	struct sm *s = sl->s;
	const char *headers[] = {s->auth_header, "Content-Type: application/x-www-form-urlencoded",
	                         NULL};
	struct net_http_req req = {
	    .method = "POST", .url = s->open_url, .headers = headers, .max_body = 64 * 1024};

	/* An armed timer is a backoff in progress: it opens when it fires. */
	if (s->stopping || s->dead || sl->http || sl->pending || sl->armed)
		return;
	sl->http = net_http_send(s->loop, &req, open_done, sl);
	if (!sl->http) {
		s->stats.open_failures++;
		slot_schedule(sl, retry_delay(sl));
	}
}

/* --- receiving ---------------------------------------------------------------- */

static void on_hello(struct sm_ws *ws, const struct sm_envelope *e)
{
	struct sm *s = ws->s;
	struct sm_slot *sl = &s->slots[ws->slot];
	struct sm_ws *old = sl->cur;

	if (ws->state != WS_HELLO)
		return; /* a repeated hello says nothing new */
	ws->state = WS_READY;
	s->stats.hellos++;
	sl->attempt = 0;
	sl->disabled = 0;
	if (sl->pending == ws) {
		sl->pending = NULL;
		sl->cur = ws;
		/* The replacement is up: the one it replaces may go. */
		if (old && old != ws)
			ws_drop(old, 1000);
	}
	log_info("Socket Mode ready", "conn=%d ws=%u num_connections=%d replaced=%d", ws->slot,
	         ws->serial, e->num_connections, old && old != ws);
	if (s->h.ready)
		s->h.ready(s->ud, ws->slot);
}

static void on_disconnect(struct sm_ws *ws, const struct sm_envelope *e)
{
	struct sm *s = ws->s;
	struct sm_slot *sl = &s->slots[ws->slot];

	s->stats.disconnects++;
	ws->retiring = 1;
	if (strcmp(e->reason, "link_disabled") == 0) {
		/* Socket Mode was switched off in the app's settings. Slack's
		 * docs give no promise either way, but the switch is an
		 * operator's and can be flipped back at any time: we keep
		 * trying, minutes apart, so the bot comes back by itself
		 * instead of needing a restart; every attempt logs. */
		sl->disabled = 1;
		log_error("Slack turned Socket Mode off for this app (link_disabled): turn it on "
		          "again under Settings > Socket Mode; retrying every few minutes",
		          "conn=%d", ws->slot);
		return; /* Slack closes it; the close schedules the long wait */
	}
	if (sl->pending == ws) {
		log_info("Socket Mode disconnect requested of a replacement; dropping it",
		         "conn=%d ws=%u reason=%s", ws->slot, ws->serial, log_q(e->reason));
		ws_drop(ws, 1000);
		return;
	}
	if (s->nslots >= SM_MAX_CONNECTIONS) {
		/* Slack holds an app to ten sockets: with ten configured, a
		 * replacement would be the eleventh, refused with
		 * too_many_websockets. The other nine carry the envelopes
		 * until Slack closes this one and it is opened again. */
		log_info("Socket Mode disconnect requested; reopening once Slack closes it",
		         "conn=%d ws=%u reason=%s", ws->slot, ws->serial, log_q(e->reason));
		return;
	}
	log_info("Socket Mode disconnect requested; opening a replacement first",
	         "conn=%d ws=%u reason=%s", ws->slot, ws->serial, log_q(e->reason));
	if (sl->cur == ws)
		slot_open(sl);
}

static void on_message(struct sm_ws *ws, const char *msg, size_t len)
{
	struct sm *s = ws->s;
	struct sm_envelope e;

	if (sm_decode(msg, len, &e) != SB_OK) {
		s->stats.malformed++;
		log_warn("Socket Mode message cannot be read; ignored", "conn=%d bytes=%zu",
		         ws->slot, len);
		return;
	}
	switch (e.type) {
	case SM_HELLO:
		on_hello(ws, &e);
		break;
	case SM_DISCONNECT:
		on_disconnect(ws, &e);
		break;
	default:
		s->stats.envelopes++;
		if (e.type == SM_EVENTS_API && sm_seen_check(&s->seen, e.event_id)) {
			/* Slack re-delivered an event we already handed on (the
			 * ack was late): ack it so the retries stop. */
			s->stats.duplicates++;
			log_debug("Socket Mode duplicate event acked and skipped",
			          "event_id=%s retry_attempt=%d", log_q(e.event_id),
			          e.retry_attempt);
			if (ws_usable(ws)) {
				if (ws_send_ack(ws, e.envelope_id, NULL) == SB_OK)
					s->stats.acks++;
			} else
				(void)sm_ack(s, ws->slot, e.envelope_id, NULL);
			break;
		}
		if (s->h.envelope)
			s->h.envelope(s->ud, ws->slot, &e);
		break;
	}
	sm_envelope_free(&e);
}

static void on_receive(struct sm_ws *ws, struct lws *wsi, const void *in, size_t len)
{
	int whole = lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi);

	/* Most messages arrive in one piece: decoded where they lie (the
	 * decoder takes a length, not a NUL). */
	if (whole && ws->rx.len == 0 && !ws->rx_overflow && len <= ws->s->max_message &&
	    !lws_frame_is_binary(wsi)) {
		on_message(ws, in, len);
		return;
	}
	if (!ws->rx_overflow && buf_add(&ws->rx, in, len) != SB_OK)
		ws->rx_overflow = 1;
	if (!whole)
		return;
	if (ws->rx_overflow) {
		ws->s->stats.oversized++;
		log_error("Socket Mode message over the size cap; ignored", "conn=%d cap=%zu",
		          ws->slot, ws->s->max_message);
		ws->rx_overflow = 0;
		buf_reset(&ws->rx);
		return;
	}
	if (lws_frame_is_binary(wsi)) {
		ws->s->stats.malformed++;
		log_warn("Socket Mode binary message ignored", "conn=%d bytes=%zu", ws->slot,
		         ws->rx.len);
	} else
		on_message(ws, buf_str(&ws->rx), ws->rx.len);
	buf_reset(&ws->rx);
}

static int sm_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len)
{
	struct sm_ws *ws = lws_get_opaque_user_data(wsi);

	(void)user;
	if (!ws)
		return reason == LWS_CALLBACK_CLIENT_WRITEABLE ? -1 : 0;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		ws_gone(ws, wsi, in ? (const char *)in : "connection failed");
		break;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		ws->wsi = wsi;
		ws->state = WS_HELLO;
		ws->started_at = ws->last_rx = ws->last_ping = now_ms(ws->s);
		if (ws->close_code) {
			want_write(ws);
			break;
		}
		ws_arm(ws);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		ws->last_rx = now_ms(ws->s);
		on_receive(ws, wsi, in, len);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
		ws->last_rx = now_ms(ws->s);
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		return on_writable(ws);
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (len >= 2) {
			const unsigned char *p = in;

			ws->peer_code = (p[0] << 8) | p[1];
		}
		/* Nonzero: our close is out already, this is its answer; lws
		 * closes without echoing a second one. */
		return ws->close_sent;
	case LWS_CALLBACK_CLIENT_CLOSED:
		ws_gone(ws, wsi, NULL);
		break;
	default:
		break;
	}
	return 0;
}

/* --- life ------------------------------------------------------------------ */

enum sb_rc sm_new(struct sm **out, struct net_loop *loop, const struct sm_config *cfg,
                  const struct sm_handlers *h, void *ud)
{
	struct sm *s;
	struct net_url u;
	struct buf b;
	char red[16];

	*out = NULL;
	if (!cfg->app_token || !cfg->app_token[0]) {
		log_error("Slack app-level token missing: set the variable named by [slack] "
		          "app_token_env to the xapp-… token",
		          NULL);
		return SB_ERR_INVALID;
	}
	if (cfg->connections < 1 || cfg->connections > SM_MAX_CONNECTIONS) {
		log_error("Socket Mode connections must be 1 to 10", "connections=%d",
		          cfg->connections);
		return SB_ERR_INVALID;
	}
	if (!cfg->api_base || net_url_split(cfg->api_base, "https", "http", &u) != SB_OK) {
		log_error("Slack API base must be an https:// URL (http:// only on loopback)",
		          "api_base=%s", log_q(cfg->api_base ? cfg->api_base : "(unset)"));
		return SB_ERR_INVALID;
	}
	s = xcalloc(1, sizeof *s);
	s->loop = loop;
	s->h = *h;
	s->ud = ud;
	buf_init(&b, 4096);
	buf_printf(&b, "%s%sapps.connections.open", cfg->api_base,
	           cfg->api_base[strlen(cfg->api_base) - 1] == '/' ? "" : "/");
	s->open_url = buf_take(&b);
	buf_printf(&b, "Authorization: Bearer %s", cfg->app_token);
	s->auth_header = buf_take(&b);
	buf_free(&b);
	s->nslots = cfg->connections;
	s->max_message = cfg->max_message ? cfg->max_message : SM_MAX_MESSAGE;
	s->ping_ms = cfg->ping_ms ? cfg->ping_ms : 10000;
	s->silence_ms = cfg->silence_ms ? cfg->silence_ms : 25000;
	s->rnd = uv_hrtime() ^ ((uint64_t)getpid() << 32) ^ (uintptr_t)s;
	if (!s->rnd)
		s->rnd = 88172645463325252ull;
	sm_seen_init(&s->seen);
	for (int i = 0; i < s->nslots; i++) {
		s->slots[i].s = s;
		s->slots[i].index = i;
		uv_timer_init(net_loop_uv(loop), &s->slots[i].timer);
		s->slots[i].timer.data = &s->slots[i];
	}
	log_debug("Socket Mode client", "connections=%d token=%s", s->nslots,
	          log_redact(red, sizeof red, cfg->app_token));
	*out = s;
	return SB_OK;
}

void sm_start(struct sm *s)
{
	for (int i = 0; i < s->nslots; i++)
		slot_open(&s->slots[i]);
}

void sm_close(struct sm *s)
{
	if (s->stopping)
		return;
	s->stopping = 1;
	slots_stop(s);
	if (!s->all) {
		if (s->h.closed)
			s->h.closed(s->ud);
		return;
	}
	for (struct sm_ws *ws = s->all; ws; ws = ws->next)
		ws_drop(ws, 1000);
}

static void slot_timer_closed(uv_handle_t *h)
{
	struct sm_slot *sl = h->data;
	struct sm *s = sl->s;

	if (--s->handles == 0)
		free(s);
}

void sm_free(struct sm *s)
{
	int nslots;

	if (!s)
		return;
	s->stopping = 1;
	s->freeing = 1;
	nslots = s->nslots;
	for (int i = 0; i < nslots; i++)
		if (s->slots[i].http)
			net_http_cancel(s->slots[i].http);
	sm_seen_free(&s->seen);
	free(s->open_url);
	free(s->auth_header);
	/* Every websocket and slot timer is closed; s is freed by the last
	 * close callback. */
	s->handles = nslots;
	for (struct sm_ws *ws = s->all; ws; ws = ws->next) {
		ws->counted = 1;
		s->handles++;
	}
	while (s->all) {
		struct sm_ws *ws = s->all;

		if (ws->wsi) {
			/* Detach: lws may still call back for this socket while
			 * the context shuts down; it must not find us. */
			lws_set_opaque_user_data(ws->wsi, NULL);
			lws_set_timeout(ws->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
		}
		ws->state = WS_GONE;
		ws_release(ws);
	}
	for (int i = 0; i < nslots; i++)
		uv_close((uv_handle_t *)&s->slots[i].timer, slot_timer_closed);
}

void sm_get_stats(const struct sm *s, struct sm_stats *out)
{
	*out = s->stats;
	out->open = 0;
	for (int i = 0; i < s->nslots; i++)
		if (s->slots[i].cur && s->slots[i].cur->state == WS_READY &&
		    !s->slots[i].cur->close_code)
			out->open++;
}
