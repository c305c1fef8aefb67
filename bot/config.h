/* studybot's configuration: an INI file (SPEC §3) parsed with inih.
 *
 * Every key is described once, in a table in config.c (name, type, range,
 * default), and defaults go through the same parser as file values. A
 * struct config owns all of its strings (in its arena); cfg_free() releases
 * them. Tokens are never stored: only the names of the environment variables
 * that hold them. */
#ifndef SB_CONFIG_H
#define SB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "core/schedule.h"
#include "util/arena.h"
#include "util/diag.h"
#include "util/log.h"
#include "util/rc.h"

#define CFG_DEFAULT_PATH "config/studybot.ini"
#define CFG_MAX_BYTES    (256 * 1024)
#define CFG_MAX_CHANNELS 500

enum cfg_platform { PLATFORM_DISCORD, PLATFORM_SLACK };
enum cfg_answer_mode { ANSWER_MODAL, ANSWER_THREAD };
enum cfg_compress { COMPRESS_NONE, COMPRESS_ZLIB_STREAM };

struct cfg_scoring {
	int answer, peer_max, review, review_cap, mcq, streak, streak_cap, hint, key_points;
};

struct cfg_channel {
	char *name; /* the section's quoted name */
	char *id;   /* platform channel id, checked against the platform */
	struct schedule schedule;
	char *timezone; /* IANA name */
	char **topics;  /* topic slugs; ntopics == 0 means all */
	size_t ntopics;
	int diff_min, diff_max;
	long answer_window, review_window, remind_before; /* seconds */
	int answer_mode;                                  /* enum cfg_answer_mode */
	int line; /* the [channel] header: where whole-channel problems are reported */
	int id_line, topics_line, remind_line; /* 0 when the key was not set */
};

struct config {
	struct arena arena;
	const char *path; /* in the arena */

	int platform; /* enum cfg_platform */
	char *database;
	char *questions;
	char *http_listen; /* "" = off */
	int log_level;     /* enum log_level */

	struct {
		char *token_env;
		unsigned long long application_id; /* 0 = from READY */
		char *api_base;
		int shard_id, shard_count; /* -1/-1 = auto */
		int compress;              /* enum cfg_compress */
	} discord;

	struct {
		char *app_token_env, *bot_token_env;
		char *api_base;
		int connections;
		char **admins;
		size_t nadmins;
	} slack;

	struct cfg_scoring scoring;

	struct cfg_channel *channels; /* in the arena */
	size_t nchannels;
};

/* Fills c with every default (no file read). Always succeeds. */
void cfg_init(struct config *c);
void cfg_free(struct config *c);
/* Parses an INI document held in memory. path is used in diagnostics.
 * Returns SB_OK or SB_ERR_INVALID with every problem added to d. c must have
 * been cfg_init()ed; values not in the document keep their defaults. */
enum sb_rc cfg_parse(struct config *c, const char *path, const char *text, size_t len,
                     struct diags *d);
/* Reads and parses a file (at most CFG_MAX_BYTES). */
enum sb_rc cfg_load(struct config *c, const char *path, struct diags *d);

/* The value of the environment variable a token lives in, or NULL when it
 * is unset or empty. Borrowed from the environment: never log it. */
const char *cfg_env_token(const char *env_name);

const char *cfg_platform_name(enum cfg_platform p);
const char *cfg_answer_mode_name(enum cfg_answer_mode m);

#endif
