/* IANA time zones, read from the system zone database
 * ($TZDIR, else /usr/share/zoneinfo; Debian package tzdata).
 *
 * Zones are read from their TZif files (RFC 8536) by this module itself, so
 * that converting times for one user's zone never touches the process-wide
 * TZ variable or the C library's localtime state, which other threads and
 * other users' conversions share. */
#ifndef SB_TZ_H
#define SB_TZ_H

#include <stdbool.h>
#include <stdint.h>

#include "util/rc.h"

/* True if name is a well-formed zone name ("Europe/Berlin", "UTC") that the
 * zone database holds as a TZif file. */
bool tz_valid(const char *name);

/* A wall-clock reading together with the offset that produced it, so a caller
 * can tell the two 02:30s of a fall-back night apart. */
struct civil {
	int year, month, day; /* month 1-12, day 1-31 */
	int hour, min, sec;
	int wday;        /* 0 = Monday ... 6 = Sunday */
	long utc_offset; /* seconds east of UTC in force at that instant */
	int is_dst;
};

struct tz; /* opaque; one loaded zone */

/* Loads a zone by IANA name from $TZDIR (else /usr/share/zoneinfo). "UTC" and
 * "Etc/UTC" must work: when the database has no file for them a built-in zone
 * stands in, so a host without tzdata can still run in UTC.
 *
 * On success *out is a new zone the caller owns and frees with tz_free(); on
 * failure *out is NULL and nothing needs freeing. Returns SB_ERR_INVALID for an
 * ill-formed name or a file that is not valid TZif, SB_ERR_NOTFOUND when there
 * is no such zone, SB_ERR_TOOBIG for a file over the size cap and SB_ERR_IO
 * when the file exists but cannot be read (SB_ERR_USAGE if out is NULL). */
enum sb_rc tz_load(const char *name, struct tz **out);

/* Frees a zone from tz_load(); NULL is allowed. */
void tz_free(struct tz *z);

/* The name the zone was loaded by; the string belongs to z and lives as long
 * as z does. */
const char *tz_name(const struct tz *z);

/* Local civil time of the UTC instant t (seconds since the epoch). The caller
 * provides *out. Instants beyond about +-500,000 years are clamped, so the
 * year always fits an int. */
void tz_local(const struct tz *z, int64_t t, struct civil *out);

/* The UTC instant at which the local wall clock of z shows y-m-d plus secs
 * seconds after local midnight (0 <= secs < 86400). Rules: a wall time skipped
 * by a spring-forward gap maps to the first valid instant after the gap (the
 * transition instant itself, e.g. Berlin 2026-03-29 02:30 -> 01:00:00 UTC,
 * which is 03:00 CEST); a wall time that occurs twice in a fall-back overlap
 * maps to the earlier occurrence. Out-of-range months and days roll over into
 * the neighbouring ones rather than failing, as mktime() does. */
int64_t tz_mktime(const struct tz *z, int y, int m, int d, int secs);

/* Calendar helpers (proleptic Gregorian, no zone): days since 1970-01-01 for
 * a date, and back; weekday 0 = Monday. civil_to_days rolls months outside
 * 1-12 and days outside the month over, so callers can step by adding;
 * civil_from_days clamps days to the range whose year fits an int. */
int64_t civil_to_days(int y, int m, int d);
void civil_from_days(int64_t days, int *y, int *m, int *d);
int civil_wday(int64_t days);

#endif
