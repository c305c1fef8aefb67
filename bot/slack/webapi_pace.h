/* Slack's per-method rate limits as data, without sockets or clocks of its
 * own: the Web API client asks it when a call may go and tells it what
 * came back. Pure and deterministic (time is passed in, in ms), so unit
 * tests drive it with a made-up clock.
 *
 * Every method has a tier (webapi_pace.c holds the table and its sources);
 * a tier is a token bucket: one call per interval on average, a few more
 * in a burst, as Slack's "Rate limits" page allows. chat.postMessage is
 * also held to one message per second per channel, counted from the
 * answer to the previous message in that channel. A 429 closes a method's
 * bucket until its Retry-After has passed (Slack limits per method).
 *
 * Ownership: pace_new() returns a table freed with pace_free(); strings
 * passed in are copied or only read during the call. */
#ifndef SB_SLACK_WEBAPI_PACE_H
#define SB_SLACK_WEBAPI_PACE_H

#include <stddef.h>
#include <stdint.h>

#define PACE_KEY_MAX    128              /* method and channel names past this are cut */
#define PACE_CHANNEL_MS 1000             /* chat.postMessage: one per second per channel */
#define PACE_IDLE_MS    (10 * 60 * 1000) /* idle channel limiters are forgotten */

enum pace_tier { PACE_TIER1 = 1, PACE_TIER2, PACE_TIER3, PACE_TIER4, PACE_SPECIAL };

struct pace_tier_rule {
	unsigned interval_ms; /* one call per interval on average */
	unsigned burst;       /* calls that may go at once after a quiet spell */
};

/* The tier of a method (unknown methods: PACE_TIER2, see webapi_pace.c). */
enum pace_tier pace_tier_of(const char *method);
/* The bucket a tier uses (before scaling). */
struct pace_tier_rule pace_rule(enum pace_tier tier);
/* Whether calls of this method are further paced per channel. */
int pace_per_channel(const char *method);

struct pace;
/* scale multiplies every interval (tests: 0.01); <= 0 means 1. Retry-After
 * waits are never scaled: they are Slack's word. */
struct pace *pace_new(double scale);
void pace_free(struct pace *p);
void pace_set_scale(struct pace *p, double scale);

/* How long a call of method (to channel, which may be NULL or "") must wait
 * at now_ms: 0 means it may go now (the caller then calls pace_sent). */
uint64_t pace_wait(struct pace *p, const char *method, const char *channel, uint64_t now_ms);
void pace_sent(struct pace *p, const char *method, const char *channel, uint64_t now_ms);
/* The answer (or failure) of a call pace_sent() let go came back. */
void pace_done(struct pace *p, const char *method, const char *channel, uint64_t now_ms);
/* A 429: the whole method waits until until_ms. */
void pace_hold(struct pace *p, const char *method, uint64_t until_ms);

/* Parses a Retry-After value (delta seconds); NULL, empty, negative or
 * garbage gives 1 s, as Slack's docs give no other default. Capped at an
 * hour. Returns ms. */
uint64_t pace_retry_after_ms(const char *value);

/* Limiters kept now (tests, metrics). */
size_t pace_limiters(const struct pace *p);

#endif
