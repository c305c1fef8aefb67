/* Key-point coverage: does an answer mention a question's key points?
 * Matching is case-insensitive and treats any run of spaces and ASCII
 * punctuation as one separator, on word boundaries, so "select_related"
 * matches "select related" but "F" does not match inside "Foo". */
#ifndef SB_KEYPOINT_H
#define SB_KEYPOINT_H

#include <stdbool.h>
#include <stddef.h>

/* Normalised copy of text: returns new, free() it. */
char *kp_normalize(const char *text);
/* point may hold alternatives separated by " | "; norm_text comes from
 * kp_normalize(). */
bool kp_match(const char *norm_text, const char *point);
/* How many of points[0..n) text mentions; marks each in hit[] if non-NULL. */
size_t kp_coverage(const char *text, const char *const *points, size_t n, bool *hit);
/* The part of a point shown to people (its first alternative), into out. */
void kp_display(const char *point, char *out, size_t outsz);

#endif
