/* Slack Socket Mode (SPEC §7; Slack docs, "Using Socket Mode"): up to ten
 * websocket connections at once, each opened with apps.connections.open
 * and the app-level token, on libwebsockets running on the loop.
 *
 * What it keeps, so its owner does not have to:
 * - `hello` is a connection's ready signal; envelopes arrive only after it.
 * - `disconnect` (warning, refresh_requested, link_disabled,
 *   too_many_websockets): a new connection is opened and has said hello
 *   before the old one is dropped, so no envelope is lost in between.
 * - a websocket ping about every 10 s; a connection silent for about 25 s
 *   (no frame of any kind, pongs included) is dropped and replaced.
 * - fragmented messages are reassembled up to max_message; a larger one is
 *   dropped (logged) and the connection kept.
 * - reconnects back off with jitter; apps.connections.open's own errors:
 *   invalid_auth, not_authed, not_allowed_token_type, account_inactive,
 *   token_revoked are fatal (exit 3, no retry loop), a 429 waits its
 *   Retry-After.
 * - events_api deliveries are de-duplicated by event_id (Slack re-delivers
 *   an envelope whose ack came late, with retry_attempt > 0): a repeat is
 *   acked at once and not handed on.
 *
 * Every other envelope is handed to the owner, which must ack it with
 * sm_ack() within 3 s, with a response payload only where the envelope
 * accepts one.
 *
 * Ownership: sm_new() copies the config's strings (the token is never
 * logged); sm_free() releases everything. Envelopes handed to a handler are
 * borrowed for the call. Handlers may call sm_ack() and sm_close(), never
 * sm_free(). */
#ifndef SB_SLACK_SM_H
#define SB_SLACK_SM_H

#include <stddef.h>

#include "net/loop.h"
#include "slack/sm_envelope.h"
#include "util/rc.h"

#define SM_MAX_CONNECTIONS 10
#define SM_MAX_MESSAGE     (1024u * 1024) /* a reassembled message */

struct sm_config {
	const char *app_token; /* xapp-… */
	const char *api_base;  /* "https://slack.com/api" (http:// only on loopback) */
	int connections;       /* 1..SM_MAX_CONNECTIONS */
	size_t max_message;    /* 0: SM_MAX_MESSAGE */
	unsigned ping_ms;      /* 0: 10000 */
	unsigned silence_ms;   /* 0: 25000 */
};

struct sm_handlers {
	/* Connection `conn` (0..connections-1) said hello. May be NULL. */
	void (*ready)(void *ud, int conn);
	/* An events_api, slash_commands or interactive envelope (or one of a
	 * type this version does not know) received on `conn`. Only an
	 * envelope of a type this version does not know may come with an
	 * empty envelope_id: then there is nothing to ack. */
	void (*envelope)(void *ud, int conn, const struct sm_envelope *e);
	/* Slack refused the app token: nothing will connect. The owner stops
	 * the loop with exit_code (3); why says which token and what to do. */
	void (*fatal)(void *ud, int exit_code, const char *why);
	/* After sm_close(): every connection is closed. */
	void (*closed)(void *ud);
};

struct sm;

/* Counters since sm_new(). envelopes: every envelope received, duplicates
 * included; duplicates: events_api repeats acked here and not handed on;
 * acks: sent or queued, the automatic ones included; acks_late_conn: acks
 * that went out on another connection than the one asked for (it was gone
 * or being replaced); connects: websockets started; disconnects: Slack's
 * `disconnect` messages; pings: websocket pings sent; silences: connections
 * dropped for silence; malformed: messages that were not JSON, had no
 * type, or were binary; oversized: messages over max_message, dropped;
 * open_failures: apps.connections.open calls that gave no URL. */
struct sm_stats {
	unsigned long envelopes, duplicates, acks, acks_late_conn, connects, hellos, disconnects,
	    pings, silences, malformed, oversized, open_failures;
	int open; /* connections that said hello and are not closing */
};

/* The websocket protocol array net_loop_new() needs (static, ended by a
 * zeroed entry). */
const struct lws_protocols *sm_protocols(void);

enum sb_rc sm_new(struct sm **out, struct net_loop *loop, const struct sm_config *cfg,
                  const struct sm_handlers *h, void *ud);
/* Opens the configured number of connections (and keeps them open). */
void sm_start(struct sm *s);
/* Closes every connection politely, then calls handlers->closed. */
void sm_close(struct sm *s);
void sm_free(struct sm *s);
/* Acknowledges envelope_id: {"envelope_id":"…"} or, with payload_json (a
 * JSON object), {"envelope_id":"…","payload":{…}}. Sent on connection conn,
 * or on another open one if conn is gone (Slack takes an ack on any of the
 * app's connections). SB_ERR_NOTFOUND when no connection is open. */
enum sb_rc sm_ack(struct sm *s, int conn, const char *envelope_id, const char *payload_json);
void sm_get_stats(const struct sm *s, struct sm_stats *out);

#endif
