/* Names follow Prometheus's conventions (see core/core_metrics.c). */
#include "slack/sk_metrics.h"

#include <stdio.h>

#include "core/core_metrics.h"

static void counter(struct metrics *m, const char *name, const char *help, unsigned long v)
{
	metrics_family(m, name, METRICS_COUNTER, help);
	metrics_sample(m, NULL, (double)v);
}

void sk_metrics_render(const struct sk_metrics_snapshot *s, struct metrics *m)
{
	core_metrics_render(m, "slack", &s->core, s->lag_last_s, s->lag_max_s);
	metrics_family(m, "studybot_slack_connections_open", METRICS_GAUGE,
	               "Socket Mode connections that said hello and are not closing.");
	metrics_sample(m, NULL, s->sm.open);
	counter(m, "studybot_slack_envelopes_total",
	        "Socket Mode envelopes received (re-deliveries of one event counted once).",
	        s->sm.envelopes);
	counter(m, "studybot_slack_envelope_duplicates_total",
	        "Events API re-deliveries recognised by event_id and acked unhandled.",
	        s->sm.duplicates);
	counter(m, "studybot_slack_connects_total", "Socket Mode connections opened.",
	        s->sm.connects);
	counter(m, "studybot_slack_disconnects_total",
	        "disconnect messages from Slack (each answered with a fresh connection).",
	        s->sm.disconnects);
	counter(m, "studybot_slack_silences_total",
	        "Connections dropped after too long without any frame from Slack.", s->sm.silences);
	metrics_family(m, "studybot_slack_api_requests_total", METRICS_COUNTER,
	               "Web API answers by HTTP status class (class=\"0\": no answer).");
	for (int i = 0; i < 6; i++) {
		char cls[8];

		if (!s->api.by_status[i])
			continue;
		snprintf(cls, sizeof cls, i ? "%dxx" : "0", i);
		metrics_sample1(m, "class", cls, (double)s->api.by_status[i]);
	}
	counter(m, "studybot_slack_api_errors_total",
	        "Web API calls that ended with ok:false (Slack's error code is logged).",
	        s->api.errors);
	counter(m, "studybot_slack_api_rate_limited_total", "Web API answers 429 (ratelimited).",
	        s->api.rate_limited);
	counter(m, "studybot_slack_api_paced_total",
	        "Web API calls held back to keep Slack's per-method and per-channel pace.",
	        s->api.paced);
	metrics_family(m, "studybot_slack_ack_seconds", METRICS_HISTOGRAM,
	               "From an envelope read off the socket to its ack (Slack allows 3 s).");
	metrics_histogram(m, &s->bridge.ack_latency);
}

int sk_metrics_healthy(const struct sk_metrics_snapshot *s, char *why, size_t whysz)
{
	if (s->stopping) {
		snprintf(why, whysz, "stopping");
		return 0;
	}
	if (s->sm.open < 1) {
		snprintf(why, whysz, "socket mode not connected: 0 of %d connections open",
		         s->connections);
		return 0;
	}
	snprintf(why, whysz, "ok: %d of %d connections open", s->sm.open, s->connections);
	return 1;
}
