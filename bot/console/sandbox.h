/* `studybot sandbox`: one complete study round, offline, on the console
 * platform, with scripted members and a clock N times faster than real. */
#ifndef SB_SANDBOX_H
#define SB_SANDBOX_H

#include <stdbool.h>
#include <stdio.h>

#include "config.h"
#include "core/bank.h"

struct sandbox_opts {
	const struct bank *bank;           /* borrowed */
	const struct cfg_scoring *scoring; /* borrowed */
	const char *question;              /* NULL: dj-transactions, else the rotation's pick */
	double speed;                      /* clock speed-up; 0 = no pauses at all */
	const char *zone;                  /* the channel's zone */
	const char *database;              /* NULL: in memory, gone at exit */
	FILE *out;
	bool color;
};

/* Runs the round; returns SB_OK, or an error already explained on stderr. */
enum sb_rc sandbox_run(const struct sandbox_opts *o);

#endif
