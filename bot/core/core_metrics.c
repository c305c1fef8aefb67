/* Names follow Prometheus's conventions: studybot_ prefix, snake_case, base
 * units (seconds), counters ending in _total. */
#include "core/core_metrics.h"

#ifndef STUDYBOT_VERSION
#define STUDYBOT_VERSION "0"
#endif

void core_metrics_render(struct metrics *m, const char *platform, const struct core_stats *c,
                         double lag_last_s, double lag_max_s)
{
	metrics_family(m, "studybot_build_info", METRICS_GAUGE,
	               "Always 1; the labels name the running build.");
	metrics_sample(m, (const char *[]){"version", STUDYBOT_VERSION, "platform", platform, NULL},
	               1);
	metrics_family(m, "studybot_rounds_posted_total", METRICS_COUNTER,
	               "Study rounds whose question was posted.");
	metrics_sample(m, NULL, (double)c->rounds);
	metrics_family(m, "studybot_answers_recorded_total", METRICS_COUNTER,
	               "Answers recorded (a member's first answer to a round; edits not counted).");
	metrics_sample(m, NULL, (double)c->answers);
	metrics_family(m, "studybot_ratings_recorded_total", METRICS_COUNTER,
	               "Ratings recorded (a member's first rating of an answer; changes not "
	               "counted).");
	metrics_sample(m, NULL, (double)c->ratings);
	metrics_family(m, "studybot_event_loop_lag_seconds", METRICS_GAUGE,
	               "How late the last once-a-second probe timer fired on the event loop.");
	metrics_sample(m, NULL, lag_last_s);
	metrics_family(m, "studybot_event_loop_lag_max_seconds", METRICS_GAUGE,
	               "The largest event loop lag seen since start.");
	metrics_sample(m, NULL, lag_max_s);
}
