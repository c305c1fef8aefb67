/* One result type for the whole program (STYLE: one result enum, human detail
 * in a diagnostic list or the log, never in the return value). */
#ifndef SB_RC_H
#define SB_RC_H

enum sb_rc {
	SB_OK = 0,
	SB_ERR_NOMEM,   /* allocation failed (only where we do not abort) */
	SB_ERR_IO,      /* a file could not be read or written */
	SB_ERR_INVALID, /* input broke a rule; details are in the diagnostics */
	SB_ERR_TOOBIG,  /* input exceeded a hard cap */
	SB_ERR_NOTFOUND,
	SB_ERR_USAGE,
};

/* Returns a static string; never NULL. */
const char *sb_strerror(enum sb_rc rc);

#endif
