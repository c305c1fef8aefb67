/* A channel's posting schedule: a time of day on some weekdays, in the
 * channel's own time zone. Parsing only; the time arithmetic that turns it
 * into instants lives with the round scheduler. */
#ifndef SB_SCHEDULE_H
#define SB_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>

#define SCHED_ALL_DAYS 0x7f

struct schedule {
	unsigned char days; /* bit 0 = Monday ... bit 6 = Sunday */
	int secs;           /* seconds after local midnight, 0..86399 */
};

/* "09:00", "09:00:30", "mon,wed,fri 09:00", "mon-fri 18:30", "daily 09:00".
 * On failure writes a reason (what was expected) into err and returns false. */
bool sched_parse(const char *s, struct schedule *out, char *err, size_t errsz);
/* "daily 09:00" / "mon,wed,fri 09:00:30"; returns out. */
char *sched_format(const struct schedule *s, char *out, size_t outsz);

#endif
