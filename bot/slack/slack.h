/* The Slack platform behind `studybot run` with [bot] platform = slack
 * (SPEC §7): the loop, the Web API client (bot token) and Socket Mode
 * (app-level token), started from the config.
 *
 * Ownership: slack_run() borrows the config and the bank for its whole
 * run and owns everything it creates; it returns a process exit code
 * (enum exit_code). */
#ifndef SB_SLACK_SLACK_H
#define SB_SLACK_SLACK_H

#include "config.h"
#include "core/bank.h"

int slack_run(const struct config *cfg, const struct bank *bank);

#endif
