/* Durations as people write them in the config: "45s", "90m", "10h", "2d",
 * and sums of those ("1h30m"). A bare "0" means zero (used for "off"). */
#ifndef SB_DURATION_H
#define SB_DURATION_H

#include <stdbool.h>

/* On success stores seconds in *out. Rejects a missing unit ("10"), unknown
 * units, repeated units, negative values and totals over 365 days. */
bool dur_parse(const char *s, long *out);
/* Formats seconds the same way ("1h30m", "0s"); returns out. */
char *dur_format(long secs, char *out, unsigned outsz);

#endif
