/* IANA time zones, checked against the system zone database
 * ($TZDIR, else /usr/share/zoneinfo; Debian package tzdata). */
#ifndef SB_TZ_H
#define SB_TZ_H

#include <stdbool.h>

/* True if name is a well-formed zone name ("Europe/Berlin", "UTC") that the
 * zone database holds as a TZif file. */
bool tz_valid(const char *name);

#endif
