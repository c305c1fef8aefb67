/* The Slack platform's /metrics page and /healthz verdict, rendered from a
 * snapshot of the counters Socket Mode, the Web API client, the bridge, the
 * core and the loop keep anyway.
 *
 * Ownership: the snapshot is a plain value the caller fills and owns; the
 * renderer borrows it and the metrics writer. */
#ifndef SB_SLACK_SK_METRICS_H
#define SB_SLACK_SK_METRICS_H

#include <stddef.h>

#include "core/core.h"
#include "slack/sk_bridge.h"
#include "slack/sm.h"
#include "slack/webapi.h"
#include "util/metrics.h"

struct sk_metrics_snapshot {
	struct sm_stats sm;
	struct webapi_stats api;
	struct core_stats core;
	struct sk_bridge_stats bridge;
	double lag_last_s, lag_max_s;
	int connections; /* configured */
	int stopping;
};

void sk_metrics_render(const struct sk_metrics_snapshot *s, struct metrics *m);
/* 1 while at least one Socket Mode connection is open (said hello) and the
 * bot is not stopping; otherwise 0 with a one-line reason in why. */
int sk_metrics_healthy(const struct sk_metrics_snapshot *s, char *why, size_t whysz);

#endif
