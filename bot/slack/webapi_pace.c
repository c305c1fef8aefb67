/* Slack's per-method tiers and the pacing state (webapi_pace.h). A small
 * array of limiters: one token bucket per method, one spacing limiter per
 * (chat.postMessage, channel). A bot talks to a few dozen channels at
 * most, so a linear search is the simplest thing that is fast enough. */
#include "slack/webapi_pace.h"

#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

/* Tiers by method. Sources: each method's reference page on docs.slack.dev
 * ("Facts" → "Rate limits"; api.slack.com/methods/NAME before the move),
 * read through the mirrors named where the page itself was not at hand.
 * Slack reviews tiers now and then: a method answering 429 more often than
 * its tier suggests is paced by its Retry-After anyway. */
static const struct pace_method {
	const char *name;
	enum pace_tier tier;
} pace_table[] = {
    /* "Special": ~1 message per second per channel, short bursts allowed,
     * plus a workspace-wide limit (docs.slack.dev, Rate limits, "Posting
     * messages"; chat.postMessage reference page). */
    {"chat.postMessage", PACE_SPECIAL},
    {"chat.postEphemeral", PACE_TIER4}, /* chat.postEphemeral page: Tier 4 */
    {"chat.update", PACE_TIER3},        /* chat.update page: Tier 3 */
    {"chat.delete", PACE_TIER3},        /* chat.delete page: Tier 3 */
    {"views.open", PACE_TIER4},         /* views.open page: Tier 4 */
    {"views.push", PACE_TIER4},         /* views.push page: Tier 4 */
    {"views.update", PACE_TIER4},       /* views.update page: Tier 4 */
    /* views.publish page: Tier 4 (also in the slack_kit 1.0 docs mirror) */
    {"views.publish", PACE_TIER4},
    {"users.info", PACE_TIER4}, /* users.info page: Tier 4 */
    /* auth.test page: "Special", with generous bursts; paced as Tier 4 */
    {"auth.test", PACE_TIER4},
    {"conversations.open", PACE_TIER3}, /* conversations.open page: Tier 3 */
    {"conversations.info", PACE_TIER3}, /* conversations.info page: Tier 3 */
    /* Tier 3 on their pages; apps outside the Marketplace may be held to
     * less (a 429 then says so). Read only when a post is resent. */
    {"conversations.history", PACE_TIER3},
    {"conversations.replies", PACE_TIER3},
    {"conversations.members", PACE_TIER4},
    {"conversations.join", PACE_TIER3},
    /* api.slack.com/methods/files.getUploadURLExternal: Tier 4 */
    {"files.getUploadURLExternal", PACE_TIER4},
    {"files.completeUploadExternal", PACE_TIER4}, /* its page: Tier 4 */
    /* apps.connections.open: Tier 3 in the docs.slack.dev text mirrored by
     * slack_kit 1.0; older clients (slack-morphism) assumed Tier 1. We
     * follow the docs; the Socket Mode client adds its own backoff. */
    {"apps.connections.open", PACE_TIER3},
    {"reactions.add", PACE_TIER3},
    {"team.info", PACE_TIER3},
    {"users.list", PACE_TIER2},
};

/* Rate limits page: Tier 1 "1+ per minute", Tier 2 "20+", Tier 3 "50+",
 * Tier 4 "100+", each with some burst tolerated (more for higher tiers).
 * We pace at the floor of each range. Special (chat.postMessage): the
 * per-channel rule does the real work; the method-wide bucket only keeps
 * a runaway loop under the workspace limit ("several hundred per
 * minute"). */
static const struct pace_tier_rule pace_rules[] = {
    [PACE_TIER1] = {60000, 2}, [PACE_TIER2] = {3000, 3},   [PACE_TIER3] = {1200, 5},
    [PACE_TIER4] = {600, 10},  [PACE_SPECIAL] = {200, 10},
};

/* The default for a method not in the table: Tier 2, which Slack calls
 * what "most methods allow"; Tier 1 would stall a call for a minute. */
#define PACE_DEFAULT_TIER PACE_TIER2

enum pace_tier pace_tier_of(const char *method)
{
	for (size_t i = 0; method && i < sizeof pace_table / sizeof pace_table[0]; i++)
		if (strcmp(pace_table[i].name, method) == 0)
			return pace_table[i].tier;
	return PACE_DEFAULT_TIER;
}

struct pace_tier_rule pace_rule(enum pace_tier tier)
{
	if (tier < PACE_TIER1 || tier > PACE_SPECIAL)
		tier = PACE_DEFAULT_TIER;
	return pace_rules[tier];
}

int pace_per_channel(const char *method)
{
	return method && strcmp(method, "chat.postMessage") == 0;
}

/* --- limiters ------------------------------------------------------------------ */

struct pace_lim {
	char key[2 * PACE_KEY_MAX + 2]; /* "method" or "method\tchannel" */
	int is_channel;
	struct pace_tier_rule rule; /* method buckets: looked up once, at creation */
	double tokens;              /* method buckets */
	uint64_t last_ms;           /* last refill, or last use of a channel limiter */
	uint64_t hold_ms;           /* 429: closed until then */
	uint64_t next_ms;           /* channel limiters: the next message may go then */
	unsigned in_flight;         /* channel limiters: not forgotten while > 0 */
};

struct pace {
	struct pace_lim *lims;
	size_t n, cap;
	double scale;
};

struct pace *pace_new(double scale)
{
	struct pace *p = xcalloc(1, sizeof *p);

	pace_set_scale(p, scale);
	return p;
}

void pace_free(struct pace *p)
{
	if (!p)
		return;
	free(p->lims);
	free(p);
}

void pace_set_scale(struct pace *p, double scale)
{
	p->scale = scale > 0 ? scale : 1.0;
}

size_t pace_limiters(const struct pace *p)
{
	return p->n;
}

static void pace_key(char *out, size_t outsz, const char *method, const char *channel)
{
	size_t n = strnlen(method, PACE_KEY_MAX);

	if (n >= outsz)
		n = outsz - 1;
	memcpy(out, method, n);
	out[n] = '\0';
	if (channel && *channel && n + 2 < outsz) {
		size_t c = strnlen(channel, PACE_KEY_MAX);

		if (n + 1 + c >= outsz)
			c = outsz - n - 2;
		out[n] = '\t';
		memcpy(out + n + 1, channel, c);
		out[n + 1 + c] = '\0';
	}
}

/* Drops channel limiters unused for PACE_IDLE_MS, so a long run does not
 * keep every channel it ever posted to. */
static void pace_prune(struct pace *p, uint64_t now)
{
	size_t j = 0;

	for (size_t i = 0; i < p->n; i++) {
		struct pace_lim *l = &p->lims[i];

		if (l->is_channel && !l->in_flight && now > l->next_ms + PACE_IDLE_MS)
			continue;
		if (i != j)
			p->lims[j] = *l;
		j++;
	}
	p->n = j;
}

static struct pace_lim *pace_find(struct pace *p, const char *method, const char *channel,
                                  uint64_t now, int create)
{
	char key[sizeof p->lims->key];
	struct pace_lim *l;

	pace_key(key, sizeof key, method, channel);
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->lims[i].key, key) == 0)
			return &p->lims[i];
	if (!create)
		return NULL;
	if (p->n == p->cap) {
		pace_prune(p, now);
		if (p->n == p->cap) {
			p->cap = p->cap ? 2 * p->cap : 16;
			p->lims = xrealloc(p->lims, p->cap * sizeof *p->lims);
		}
	}
	l = &p->lims[p->n++];
	memset(l, 0, sizeof *l);
	memcpy(l->key, key, sizeof key);
	l->is_channel = channel && *channel;
	l->last_ms = now;
	if (!l->is_channel) {
		l->rule = pace_rule(pace_tier_of(method));
		l->tokens = l->rule.burst;
	}
	return l;
}

static double pace_interval(const struct pace *p, const struct pace_lim *m)
{
	return m->rule.interval_ms * p->scale;
}

static void pace_refill(const struct pace *p, struct pace_lim *l, uint64_t now)
{
	double iv = pace_interval(p, l);
	double burst = l->rule.burst;

	if (now > l->last_ms) {
		l->tokens += iv > 0 ? (double)(now - l->last_ms) / iv : burst;
		if (l->tokens > burst)
			l->tokens = burst;
	}
	l->last_ms = now;
}

uint64_t pace_wait(struct pace *p, const char *method, const char *channel, uint64_t now)
{
	struct pace_lim *m = pace_find(p, method, NULL, now, 1);
	uint64_t w = 0;

	pace_refill(p, m, now);
	if (m->hold_ms > now)
		w = m->hold_ms - now;
	if (m->tokens < 1.0) {
		double need = (1.0 - m->tokens) * pace_interval(p, m);
		uint64_t t = (uint64_t)need + 1; /* round up: never early */

		if (t > w)
			w = t;
	}
	if (pace_per_channel(method) && channel && *channel) {
		struct pace_lim *c = pace_find(p, method, channel, now, 0);

		if (c && c->next_ms > now && c->next_ms - now > w)
			w = c->next_ms - now;
	}
	return w;
}

static uint64_t pace_channel_ms(const struct pace *p)
{
	return (uint64_t)(PACE_CHANNEL_MS * p->scale + 0.5);
}

void pace_sent(struct pace *p, const char *method, const char *channel, uint64_t now)
{
	struct pace_lim *m = pace_find(p, method, NULL, now, 1);

	pace_refill(p, m, now);
	m->tokens -= 1.0;
	if (pace_per_channel(method) && channel && *channel) {
		struct pace_lim *c = pace_find(p, method, channel, now, 1);

		c->in_flight++;
		c->next_ms = now + pace_channel_ms(p);
	}
}

void pace_done(struct pace *p, const char *method, const char *channel, uint64_t now)
{
	struct pace_lim *c;

	if (!pace_per_channel(method) || !channel || !*channel)
		return;
	c = pace_find(p, method, channel, now, 0);
	if (!c)
		return;
	if (c->in_flight)
		c->in_flight--;
	/* Counted from the answer: Slack counts messages as they arrive,
	 * and the answer is the latest moment we know this one arrived. */
	if (now + pace_channel_ms(p) > c->next_ms)
		c->next_ms = now + pace_channel_ms(p);
}

void pace_hold(struct pace *p, const char *method, uint64_t until)
{
	struct pace_lim *m = pace_find(p, method, NULL, until, 1);

	if (until > m->hold_ms)
		m->hold_ms = until;
}

uint64_t pace_retry_after_ms(const char *v)
{
	unsigned long long s = 0;
	int digits = 0;

	if (!v)
		return 1000;
	while (*v == ' ' || *v == '\t')
		v++;
	for (; *v >= '0' && *v <= '9'; v++, digits++)
		if (s < 3600)
			s = s * 10 + (unsigned long long)(*v - '0');
	while (*v == ' ' || *v == '\t')
		v++;
	if (!digits || *v)
		return 1000; /* absent, negative, a date or garbage */
	if (s > 3600)
		s = 3600;
	return s * 1000;
}
