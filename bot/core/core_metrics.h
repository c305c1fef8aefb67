/* The /metrics families every platform shares: the build, what the core
 * recorded, and the event loop's lag (Prometheus text format, through
 * util/metrics.h). Each platform adds its own families around these.
 *
 * Ownership: everything is borrowed for the call. */
#ifndef SB_CORE_CORE_METRICS_H
#define SB_CORE_CORE_METRICS_H

#include "core/core.h"
#include "util/metrics.h"

/* platform: "discord", "slack"… (the build_info label). */
void core_metrics_render(struct metrics *m, const char *platform, const struct core_stats *c,
                         double lag_last_s, double lag_max_s);

#endif
