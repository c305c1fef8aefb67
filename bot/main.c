/* studybot: a daily study group for backend interviews, on Discord and Slack.
 * main() only dispatches: each command lives in its own cmd_*.c. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"

#ifndef STUDYBOT_VERSION
#define STUDYBOT_VERSION "0.0.0-dev"
#endif

/* One entry a line, in --help order: a table, not a paragraph. */
/* clang-format off */
static const struct cmd_entry *const cmd_table[] = {
    &cmd_run_entry,
    &cmd_sandbox_entry,
    &cmd_check_entry,
    &cmd_questions_entry,
    &cmd_leaderboard_entry,
    &cmd_invite_entry,
};
/* clang-format on */
#define NCMDS (sizeof cmd_table / sizeof cmd_table[0])

static void usage(FILE *f)
{
	fprintf(f, "studybot %s: a daily study group for backend interviews\n\nusage:\n",
	        STUDYBOT_VERSION);
	for (size_t i = 0; i < NCMDS; i++)
		fprintf(f, "  studybot %s %s\n      %s\n", cmd_table[i]->name, cmd_table[i]->usage,
		        cmd_table[i]->summary);
	fprintf(f, "  studybot --help | --version\n\n"
	           "exit codes: 0 ok, 1 bad config/bank/input, 2 usage, 3 authentication refused,\n"
	           "4 unrecoverable runtime error\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(name, "--version") == 0) {
		printf("studybot %s\n", STUDYBOT_VERSION);
		return EXIT_OK;
	}
	for (size_t i = 0; i < NCMDS; i++)
		if (strcmp(cmd_table[i]->name, name) == 0)
			return cmd_table[i]->exec(argc - 1, argv + 1);
	fprintf(stderr, "studybot: unknown command '%s'\n\n", name);
	usage(stderr);
	return EXIT_USAGE;
}
