/* The command line (SPEC §2): one table entry per command, each in its own
 * cmd_*.c file (after tmux's cmd_entry table). A command returns the exit
 * code; only main() exits. */
#ifndef SB_CMD_H
#define SB_CMD_H

#include <stdbool.h>

#include "config.h"
#include "core/bank.h"
#include "util/diag.h"

enum exit_code {
	EXIT_OK = 0,
	EXIT_INVALID = 1, /* bad config, bank or input */
	EXIT_USAGE = 2,
	EXIT_AUTH = 3,    /* the platform refused our credentials */
	EXIT_RUNTIME = 4, /* unrecoverable runtime error */
};

struct cmd_entry {
	const char *name;
	const char *usage;                  /* after "studybot NAME " */
	const char *summary;                /* one line for --help */
	int (*exec)(int argc, char **argv); /* argv[0] is the command's name */
};

extern const struct cmd_entry cmd_run_entry;
extern const struct cmd_entry cmd_check_entry;
extern const struct cmd_entry cmd_questions_entry;
extern const struct cmd_entry cmd_sandbox_entry;
extern const struct cmd_entry cmd_leaderboard_entry;
extern const struct cmd_entry cmd_invite_entry;

/* Config and bank as most commands need them. */
struct cmd_ctx {
	struct config cfg;
	struct bank bank;
	struct diags diags;
	const char *cfg_path;
};

/* Reads "-c FILE"/"--config FILE" at argv[*i]; returns true if it consumed
 * it (advancing *i), false if argv[*i] is something else. Sets *bad on a
 * missing value. */
bool cmd_config_opt(int argc, char **argv, int *i, const char **path, bool *bad);
/* For a command whose only option is -c FILE: reads it into *path.
 * Returns -1 when argv held nothing else, or the usage error's exit code. */
int cmd_only_config(const struct cmd_entry *e, int argc, char **argv, const char **path);
/* Loads the config (a missing default file means defaults, unless it was
 * named explicitly) and, if want_bank, the bank it points to. Problems go to
 * ctx->diags; returns true when there were none. */
bool cmd_load(struct cmd_ctx *ctx, const char *cfg_path, bool want_bank);
void cmd_ctx_free(struct cmd_ctx *ctx);
/* cmd_load(); on problems prints them, frees ctx and returns false. */
bool cmd_load_or_report(struct cmd_ctx *ctx, const char *cfg_path, bool want_bank);
/* Prints ctx->diags to stderr, sorted. */
void cmd_print_diags(struct cmd_ctx *ctx);
int cmd_usage_error(const struct cmd_entry *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3))); /* gcc/clang: checks the format */

#endif
