/* Prometheus text exposition format 0.0.4, written into a capped buffer.
 *
 * A family is announced once (# HELP, # TYPE), then its samples follow:
 *
 *     metrics_family(&m, "studybot_x_total", METRICS_COUNTER, "What x counts.");
 *     metrics_sample(&m, (const char *[]){"status", "200", NULL}, 3);
 *
 * Names and label names are checked against the format's grammar, label
 * values and help text are escaped. A mistake (a bad name, a sample before
 * any family, a counter not named *_total) or a full buffer is remembered in
 * m->rc and everything after it is dropped, so a caller checks once at the
 * end and answers 500 rather than a half-written page.
 *
 * Ownership: the writer borrows the output buffer, which the caller owns. */
#ifndef SB_METRICS_H
#define SB_METRICS_H

#include <stddef.h>

#include "util/buf.h"
#include "util/rc.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define METRICS_NAME_MAX     128

enum metrics_type { METRICS_COUNTER, METRICS_GAUGE, METRICS_HISTOGRAM };

struct metrics {
	struct buf *out; /* borrowed */
	char family[METRICS_NAME_MAX + 1];
	enum sb_rc rc; /* SB_OK, or the first failure */
};

void metrics_begin(struct metrics *m, struct buf *out);
/* Announces a family; its samples carry this name. help: one line of
 * plain text (escaped here). */
void metrics_family(struct metrics *m, const char *name, enum metrics_type type, const char *help);
/* One sample of the current family. labels: NULL, or name/value pairs
 * ended by NULL ({"status", "200", NULL}); values are escaped here. */
void metrics_sample(struct metrics *m, const char *const *labels, double value);
/* metrics_sample() with one label. */
void metrics_sample1(struct metrics *m, const char *label, const char *value, double v);

/* A histogram of durations in seconds, filled with metrics_hist_observe():
 * per-bucket counts (not cumulative) for upper bounds le[0..n), plus one
 * past the last, their sum and count. */
#define METRICS_HIST_MAX 16
struct metrics_hist {
	const double *le; /* ascending upper bounds, static */
	size_t n;
	unsigned long counts[METRICS_HIST_MAX + 1];
	double sum;
	unsigned long count;
};
void metrics_hist_init(struct metrics_hist *h, const double *le, size_t n);
void metrics_hist_observe(struct metrics_hist *h, double v);
/* The family (declared METRICS_HISTOGRAM) as _bucket{le=…} (cumulative,
 * ending with +Inf), _sum and _count samples. */
void metrics_histogram(struct metrics *m, const struct metrics_hist *h);

/* Whether s is a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*) or label
 * name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with "__"). */
int metrics_name_ok(const char *s);
int metrics_label_ok(const char *s);

#endif
