#include "srs.h"

#include <limits.h>
#include <math.h>

#define SRS_EF_START 2.5
#define SRS_EF_MIN   1.3
#define SRS_DAY      86400
/* SM-2 has no ceiling, but a card reviewed perfectly for long enough would
 * overflow int; a century is beyond any study plan. */
#define SRS_MAX_INTERVAL_DAYS 36500

void srs_card_new(struct srs_card *c, int64_t now)
{
	c->ef = SRS_EF_START;
	c->reps = 0;
	c->interval_days = 0;
	c->due = now;
}

void srs_review(struct srs_card *c, int q, int64_t now)
{
	if (q < 0)
		q = 0;
	if (q > 5)
		q = 5;
	/* Cards come back from storage: a corrupt factor (NaN included) or
	 * interval must not poison every later review. */
	double ef = c->ef >= SRS_EF_MIN ? c->ef : SRS_EF_MIN;
	int prev = c->interval_days > 0 ? c->interval_days : 1;
	if (c->reps < 0)
		c->reps = 0;

	if (q < 3) {
		c->reps = 0;
		c->interval_days = 1;
	} else {
		if (c->reps == 0) {
			c->interval_days = 1;
		} else if (c->reps == 1) {
			c->interval_days = 6;
		} else {
			/* I(n) = I(n-1) * EF with the factor the card had going into
			 * this review: the description lists the interval step before
			 * "after each repetition modify the E-Factor", and the widely
			 * quoted SM-2 pseudocode (Wikipedia's among them) does the same.
			 * SM-2 says to round a fraction up; like most implementations we
			 * round to the nearest day, so the schedule does not drift a day
			 * later on every review. */
			double next = (double)prev * ef;
			c->interval_days = next >= SRS_MAX_INTERVAL_DAYS ? SRS_MAX_INTERVAL_DAYS
			                                                 : (int)lround(next);
		}
		if (c->reps < INT_MAX)
			c->reps++;
	}

	/* The factor moves after every review, failures too. The description's
	 * "start repetitions from the beginning without changing the E-Factor"
	 * means a restart does not reset EF to 2.5; its own step 5 still applies
	 * the formula after each repetition, and lowering EF on a failure is what
	 * makes a hard card come back more often once it is relearnt. */
	int d = 5 - q;
	ef += 0.1 - d * (0.08 + d * 0.02);
	c->ef = ef < SRS_EF_MIN ? SRS_EF_MIN : ef;

	int64_t span = (int64_t)c->interval_days * SRS_DAY;
	c->due = now > INT64_MAX - span ? INT64_MAX : now + span;
}

int srs_quality_from_rating(double avg_rating, bool has_ratings, bool answered_on_time)
{
	if (!answered_on_time)
		return 1;
	/* A NaN average carries no information: treat it as no ratings. */
	if (!has_ratings || isnan(avg_rating))
		return 3;
	if (avg_rating < 1.0)
		avg_rating = 1.0;
	if (avg_rating > 5.0)
		avg_rating = 5.0;
	return (int)lround(avg_rating); /* halves round up: 2.5 -> 3 */
}

int srs_quality_from_choice(bool correct)
{
	return correct ? 4 : 1;
}
