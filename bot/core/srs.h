/* SuperMemo-2 spaced repetition: when should a member see a question again?
 * Cards are plain values owned by the caller; nothing here allocates, reads
 * a clock or touches storage.
 *
 * Scheduling follows the published SM-2 description:
 *   EF' = EF + (0.1 - (5 - q) * (0.08 + (5 - q) * 0.02)), never below 1.3,
 *   updated after every review, failed ones included;
 *   q < 3: the repetitions restart (reps = 0, interval 1 day);
 *   q >= 3: interval 1 day, then 6 days, then round(interval * EF), where EF
 *   is the factor the card had before this review; reps += 1.
 *   due = now + interval_days * 86400.
 * srs.c explains the two choices the description leaves open.
 *
 * Quality mapping (SM-2's q is 0..5; 3 or more counts as remembered):
 *   srs_quality_from_rating:
 *     not answered on time           -> 1 (a miss: the card restarts)
 *     answered, no peer ratings yet  -> 3 (remembered, nothing says how well)
 *     answered, average rating r     -> r clamped to [1, 5], rounded half up,
 *                                       so 1.0 -> 1 (restart), 2.5 -> 3,
 *                                       4.4 -> 4, 5.0 -> 5
 *   srs_quality_from_choice:
 *     correct pick -> 4 (recognising an answer among choices is easier than
 *                        recalling it, so it never earns a perfect 5)
 *     wrong pick   -> 1 (wrong, but the right answer is shown afterwards) */
#ifndef SB_SRS_H
#define SB_SRS_H

#include <stdbool.h>
#include <stdint.h>

struct srs_card {
	double ef; /* easiness factor, >= 1.3 */
	int reps;  /* successful reviews in a row */
	int interval_days;
	int64_t due; /* unix seconds */
};

/* ef 2.5, reps 0, interval 0, due now. */
void srs_card_new(struct srs_card *c, int64_t now);
/* Grades the card with quality q (clamped to 0..5) at time now and schedules
 * the next review. */
void srs_review(struct srs_card *c, int q, int64_t now);
/* avg_rating is the mean peer rating in [1, 5]; it is ignored (pass 0) when
 * has_ratings is false. Returns 1..5. */
int srs_quality_from_rating(double avg_rating, bool has_ratings, bool answered_on_time);
/* Returns 4 or 1. */
int srs_quality_from_choice(bool correct);

#endif
