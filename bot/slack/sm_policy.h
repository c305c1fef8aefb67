/* Socket Mode policy as data: how long to wait before a reconnect, what an
 * apps.connections.open answer means, and which events_api deliveries were
 * already handed on. Pure; time and randomness are passed in.
 *
 * Ownership: sm_open_parse() copies into the caller's struct; the dedupe
 * ring is embedded by its owner and owns the copies of the ids it keeps
 * (sm_seen_free() releases them). */
#ifndef SB_SLACK_SM_POLICY_H
#define SB_SLACK_SM_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "util/rc.h"

/* Reconnect delay for the attempt-th consecutive failure (0 = first):
 * 500 ms doubling up to 30 s, each with ±25 % jitter from rnd in [0,1). */
#define SM_BACKOFF_BASE_MS 500u
#define SM_BACKOFF_MAX_MS  30000u
uint64_t sm_backoff_ms(unsigned attempt, double rnd);

/* Socket Mode switched off for the app (disconnect reason link_disabled):
 * retrying sooner than this only adds refused calls. 2 to 3 minutes. */
#define SM_DISABLED_MIN_MS 120000u
uint64_t sm_disabled_ms(double rnd);

enum sm_open_outcome {
	SM_OPEN_OK,    /* url is the websocket to connect to */
	SM_OPEN_FATAL, /* the token was refused: stop, exit 3 */
	SM_OPEN_WAIT,  /* rate limited: retry after wait_ms */
	SM_OPEN_RETRY, /* anything else: retry with backoff */
};

struct sm_open_result {
	enum sm_open_outcome outcome;
	char url[1024];   /* SM_OPEN_OK */
	char error[64];   /* Slack's error name, "http_<status>", "no_url", "not_json" */
	uint64_t wait_ms; /* SM_OPEN_WAIT */
};

/* Reads an apps.connections.open answer: HTTP status (0: no answer),
 * body, and the Retry-After header (NULL when absent). */
void sm_open_parse(long status, const char *body, size_t len, const char *retry_after,
                   struct sm_open_result *out);

/* 1 when Slack's error name means the app-level token itself is refused. */
int sm_open_error_fatal(const char *error);

/* The last SM_SEEN_MAX event ids handed on. */
#define SM_SEEN_MAX 1024
struct sm_seen {
	uint64_t hash[SM_SEEN_MAX];
	char *id[SM_SEEN_MAX];
	size_t next, n;
};
void sm_seen_init(struct sm_seen *s);
void sm_seen_free(struct sm_seen *s);
/* 1 when event_id is among the ids kept; else records it (evicting the
 * oldest) and returns 0. An empty id is never a duplicate. */
int sm_seen_check(struct sm_seen *s, const char *event_id);

#endif
