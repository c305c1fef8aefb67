/* Slack's Web API (SPEC §7) on the loop's curl multi handle.
 *
 * Every call carries `Authorization: Bearer TOKEN`. Methods that write take
 * a JSON body sent as `application/json; charset=utf-8`; reading methods
 * (users.info, conversations.info, auth.test…) go as GET with query
 * arguments. Slack answers HTTP 200 with {"ok":false,"error":"…"} for most
 * failures: the result carries that code and a sentence a person can act
 * on (webapi_error_text()).
 *
 * Pacing (Slack docs, "Rate limits"): each method belongs to a tier
 * (1: 1+/min, 2: 20+/min, 3: 50+/min, 4: 100+/min, special); calls of one
 * method are spaced to its tier, and chat.postMessage is further held to
 * one message per second per channel. A 429 is resent after its
 * Retry-After (that method waits as a whole, as Slack limits per method);
 * 5xx answers and transfer failures are retried with jittered backoff up
 * to max_attempts. Calls of one method to one channel keep their order.
 *
 * Ownership: webapi_new() copies the base URL and the token (never logged;
 * redacted to the last 4 characters). Method names, bodies and arguments
 * are copied by the calls. The result handed to a callback, JSON included,
 * is borrowed for the callback's duration. After webapi_free() no callback
 * runs; it may be called with calls in flight (they are cancelled). */
#ifndef SB_SLACK_WEBAPI_H
#define SB_SLACK_WEBAPI_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "net/loop.h"
#include "util/rc.h"

struct webapi;

struct webapi_result {
	long status;        /* final HTTP status; 0 when no answer came */
	int ok;             /* HTTP 2xx and "ok": true */
	const char *error;  /* Slack's error code ("channel_not_found"), or a transport
	                       reason; "" when ok */
	const char *detail; /* response_metadata.messages joined, or ""; for logs */
	const cJSON *json;  /* the parsed response body, or NULL */
	int attempts;
};

typedef void (*webapi_cb)(void *ud, const struct webapi_result *res);

/* api_base: "https://slack.com/api" (http:// only for loopback hosts). */
enum sb_rc webapi_new(struct webapi **out, struct net_loop *loop, const char *api_base,
                      const char *token);
void webapi_free(struct webapi *w);

struct webapi_tuning {
	long timeout_ms;     /* one attempt; default 15 s */
	unsigned backoff_ms; /* first retry delay; default 500 */
	int max_attempts;    /* default 5 */
	double pace_scale;   /* multiplies every pacing interval (tests: 0.01); 0 = 1 */
};
void webapi_tune(struct webapi *w, const struct webapi_tuning *t);

/* POST {api_base}/{method} with a JSON object body (NULL: "{}"). cb may be
 * NULL (failures are then logged). A call refused here (bad method name)
 * fails through cb on a later loop turn. */
void webapi_call(struct webapi *w, const char *method, const char *json_body, webapi_cb cb,
                 void *ud);
/* GET {api_base}/{method}?name=value&… ; args are name, value pairs ended by
 * NULL, URL-encoded here. */
void webapi_get(struct webapi *w, const char *method, const char *const *args, webapi_cb cb,
                void *ud);
/* Sends a file where Slack's upload flow puts it (files.getUploadURLExternal,
 * the bytes to the upload URL, files.completeUploadExternal), shared in
 * channel (a channel or a DM channel id), in the thread thread_ts if not
 * NULL, with comment as its message. cb gets completeUploadExternal's
 * result (or the first failure). */
void webapi_upload(struct webapi *w, const char *channel, const char *thread_ts,
                   const char *filename, const void *data, size_t len, const char *comment,
                   webapi_cb cb, void *ud);

/* Calls queued, waiting for their pace, or in flight. */
size_t webapi_pending(const struct webapi *w);

struct webapi_stats {
	/* calls: made by callers (an upload's bytes count as one more);
	 * retries: resends after a 429, "ratelimited", 5xx or transfer failure;
	 * rate_limited: 429 and "ratelimited" answers; paced: calls that waited
	 * for their method's or channel's pace; errors: calls that failed for
	 * good (ok:false included). */
	unsigned long calls, retries, rate_limited, paced, errors, transport_failures;
	unsigned long by_status[6]; /* [0] transport failures, [1..5] 1xx..5xx */
	unsigned long sent;         /* HTTP requests, retries included */
};
void webapi_get_stats(const struct webapi *w, struct webapi_stats *out);

/* A sentence for a Slack error code, for logs and for members:
 * "not_in_channel" → "the bot is not a member of that channel: invite it
 * with /invite @studybot". Unknown codes get a generic sentence naming the
 * code (in a static buffer valid until the next call: one thread). Never
 * NULL. Details such as the scope a missing_scope needs are in the
 * result's detail. */
const char *webapi_error_text(const char *error);

#endif
