/* The Discord platform's /metrics page and /healthz verdict, rendered from a
 * snapshot of the counters the gateway, the REST client, the core and the
 * loop keep anyway (nothing here counts by itself).
 *
 * Ownership: the snapshot is a plain value the caller fills and owns; the
 * renderer borrows it and the metrics writer. */
#ifndef SB_DISCORD_DC_METRICS_H
#define SB_DISCORD_DC_METRICS_H

#include <stddef.h>

#include "core/core.h"
#include "discord/dc_bridge.h"
#include "discord/gw.h"
#include "discord/rest.h"
#include "util/buf.h"
#include "util/metrics.h"

#define DC_METRICS_MAX_SHARDS 64

struct dc_metrics_snapshot {
	struct {
		int id; /* Discord's shard id */
		struct gw_stats st;
	} shards[DC_METRICS_MAX_SHARDS];
	size_t nshards; /* 0 until the gateway address is known */
	struct rest_stats rest;
	struct core_stats core;
	struct dc_bridge_stats bridge;
	double lag_last_s, lag_max_s;
	int stopping;
};

/* Writes every family (Prometheus text format 0.0.4) into m. */
void dc_metrics_render(const struct dc_metrics_snapshot *s, struct metrics *m);

/* 1 when every shard holds a READY (or resumed) session and the bot is not
 * stopping; otherwise 0 with a one-line reason in why. */
int dc_metrics_healthy(const struct dc_metrics_snapshot *s, char *why, size_t whysz);

#endif
