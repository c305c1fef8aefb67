/* The console platform: the channel is the terminal. It carries out the
 * core's actions by printing them as a transcript, and it is the smallest
 * proof that a platform is one folder: it only translates.
 *
 * Ownership: struct console borrows the core and the stream; it owns the
 * copies of posted messages it keeps (so a script can click their
 * buttons); console_free() releases them. */
#ifndef SB_CONSOLE_H
#define SB_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "chat/chat.h"
#include "core/core.h"

struct console_msg {
	char id[24];   /* "m12" */
	char *channel; /* or the DM's member */
	bool dm;
	struct chat_msg msg; /* a copy */
};

struct console {
	struct core *core;
	FILE *out;
	bool color;
	struct tz *zone; /* how transcript times are shown; owned */
	struct console_msg *msgs;
	size_t nmsgs, cap;
	unsigned long seq;
	char *form_id, *form_value; /* the last form opened */
};

void console_init(struct console *k, struct core *core, FILE *out, bool color, const char *zone);
void console_free(struct console *k);
/* Prints what the core queued, as seen by `who` (the member whose event it
 * was; NULL for the clock), and confirms posts and DMs to the core. */
enum sb_rc console_deliver(struct console *k, const char *who, int64_t now);
/* The id of a button on the latest message that shows `text` (any message
 * when NULL) and whose label starts with `label`; NULL when there is none. Borrowed. */
const char *console_find_button(const struct console *k, const char *text, const char *label);
/* The last form opened, if any: its id and prefilled value (borrowed). */
const char *console_last_form(const struct console *k, const char **value);

#endif
