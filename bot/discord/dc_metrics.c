/* Names follow Prometheus's conventions: studybot_ prefix, snake_case, base
 * units (seconds), counters ending in _total. */
#include "discord/dc_metrics.h"

#include <stdio.h>

#include "core/core_metrics.h"

/* One gateway family, one sample per shard. */
struct gw_family {
	const char *name;
	enum metrics_type type;
	const char *help;
	double (*value)(const struct gw_stats *st);
};

static double gw_ready(const struct gw_stats *st)
{
	return st->ready ? 1 : 0;
}

static double gw_events(const struct gw_stats *st)
{
	return (double)st->events;
}

static double gw_reconnects(const struct gw_stats *st)
{
	return (double)st->reconnects;
}

static double gw_resumes(const struct gw_stats *st)
{
	return (double)st->resumes;
}

static double gw_identifies(const struct gw_stats *st)
{
	return (double)st->identifies;
}

static double gw_latency(const struct gw_stats *st)
{
	return (double)st->last_latency_ms / 1000.0;
}

static const struct gw_family gw_families[] = {
    {"studybot_discord_gateway_ready", METRICS_GAUGE,
     "1 while the shard's gateway session is READY or resumed, 0 while it connects.", gw_ready},
    {"studybot_discord_gateway_events_total", METRICS_COUNTER,
     "Gateway dispatches received (READY and RESUMED not counted).", gw_events},
    {"studybot_discord_gateway_reconnects_total", METRICS_COUNTER,
     "Gateway reconnections scheduled after a connection ended or failed.", gw_reconnects},
    {"studybot_discord_gateway_resumes_total", METRICS_COUNTER,
     "Gateway sessions resumed (RESUMED received).", gw_resumes},
    {"studybot_discord_gateway_identifies_total", METRICS_COUNTER,
     "IDENTIFY payloads sent (each starts a new session).", gw_identifies},
    {"studybot_discord_gateway_heartbeat_latency_seconds", METRICS_GAUGE,
     "Time from the last heartbeat to its ACK.", gw_latency},
};

static void render_gateway(const struct dc_metrics_snapshot *s, struct metrics *m)
{
	for (size_t f = 0; f < sizeof gw_families / sizeof gw_families[0]; f++) {
		const struct gw_family *g = &gw_families[f];

		metrics_family(m, g->name, g->type, g->help);
		for (size_t i = 0; i < s->nshards; i++) {
			char id[16];

			snprintf(id, sizeof id, "%d", s->shards[i].id);
			metrics_sample1(m, "shard", id, g->value(&s->shards[i].st));
		}
	}
}

static void render_rest(const struct rest_stats *r, struct metrics *m)
{
	metrics_family(m, "studybot_discord_rest_requests_total", METRICS_COUNTER,
	               "Discord REST requests answered, by HTTP status (each retry counts).");
	for (int i = 0; i < (int)(sizeof r->by_status / sizeof r->by_status[0]); i++) {
		char status[8];

		if (!r->by_status[i])
			continue;
		snprintf(status, sizeof status, "%d", i + 100);
		metrics_sample1(m, "status", status, (double)r->by_status[i]);
	}
	metrics_family(m, "studybot_discord_rest_transport_errors_total", METRICS_COUNTER,
	               "Discord REST attempts that got no HTTP answer (connection or timeout).");
	metrics_sample(m, NULL, (double)r->by_class[0]);
	metrics_family(m, "studybot_discord_rest_retries_total", METRICS_COUNTER,
	               "Discord REST requests sent again (after a 429, a 5xx or a failure).");
	metrics_sample(m, NULL, (double)r->retries);
	metrics_family(m, "studybot_discord_rest_rate_limit_waits_total", METRICS_COUNTER,
	               "Waits for Discord's rate limits: reason=\"429\" counts 429 answers, "
	               "reason=\"limit\" requests held back until a bucket or the global "
	               "limit allowed them.");
	metrics_sample1(m, "reason", "429", (double)r->rate_limited);
	metrics_sample1(m, "reason", "limit", (double)r->rate_limit_waits);
}

void dc_metrics_render(const struct dc_metrics_snapshot *s, struct metrics *m)
{
	core_metrics_render(m, "discord", &s->core, s->lag_last_s, s->lag_max_s);
	render_gateway(s, m);
	render_rest(&s->rest, m);
	metrics_family(m, "studybot_interaction_reply_seconds", METRICS_HISTOGRAM,
	               "From an interaction read off the gateway to its response handed to the "
	               "HTTP client (Discord allows 3 s in all).");
	metrics_histogram(m, &s->bridge.reply_latency);
}

int dc_metrics_healthy(const struct dc_metrics_snapshot *s, char *why, size_t whysz)
{
	size_t ready = 0;

	if (s->stopping) {
		snprintf(why, whysz, "stopping");
		return 0;
	}
	if (s->nshards == 0) {
		snprintf(why, whysz, "gateway not started: waiting for GET /gateway/bot");
		return 0;
	}
	for (size_t i = 0; i < s->nshards; i++)
		ready += s->shards[i].st.ready != 0;
	if (ready < s->nshards) {
		snprintf(why, whysz, "gateway not ready: %zu of %zu shards ready", ready,
		         s->nshards);
		return 0;
	}
	snprintf(why, whysz, "ok");
	return 1;
}
