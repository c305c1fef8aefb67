/* The Discord platform behind `studybot run` (SPEC §7): the loop, the REST
 * client and one gateway connection per shard, started from the config.
 *
 * Ownership: discord_run() borrows the config and the bank for its whole run and owns
 * everything it creates; it returns a process exit code (enum exit_code). */
#ifndef SB_DISCORD_H
#define SB_DISCORD_H

#include "config.h"
#include "core/bank.h"

int discord_run(const struct config *cfg, const struct bank *bank);

/* The intents the config needs: GUILDS always; GUILD_MESSAGES and the
 * privileged MESSAGE_CONTENT only when a channel takes answers as thread
 * replies (answer_mode = thread). */
unsigned discord_intents(const struct config *cfg);

#endif
