/* Discord payloads as core events: the `d` of INTERACTION_CREATE and
 * MESSAGE_CREATE dispatches, parsed in one place (STYLE 8) and fuzzed
 * (tests/fuzz/fuzz_dc_event.c). Pure: no sockets, no logging.
 *
 * Parsing is strict: every field is type-checked before use; ids are
 * snowflake strings ("1234", digits only, no leading zero, within
 * uint64_t), never JSON numbers; every string must be well-formed UTF-8.
 * What breaks a rule is refused (SB_ERR_INVALID) rather than guessed at.
 *
 * Ownership: the caller owns the struct (large because it holds its own
 * strings: allocate it, or make it static, rather than put it on a small
 * stack). The event inside points only into the struct itself, so it is
 * valid for as long as the struct is and until the next parse into it.
 * json is borrowed and need not be NUL-terminated. Nothing is allocated
 * that outlives a call. */
#ifndef SB_DISCORD_DC_EVENT_H
#define SB_DISCORD_DC_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chat/chat.h"
#include "util/rc.h"

#define DC_JSON_MAX  (1024 * 1024) /* a bigger payload is refused (SB_ERR_TOOBIG) */
#define DC_TOKEN_MAX 512           /* interaction token, NUL included */
#define DC_ID_CHARS  20            /* digits of the largest uint64_t */
#define DC_NAME_MAX  128           /* bytes of a display name kept (cut on a character boundary) */
/* Bytes of one option, form field or message text. A text input holds up to
 * 4000 characters, 16000 bytes at most: longer values are still passed on
 * (the core refuses over-long answers with a clear message), absurd ones
 * are refused with SB_ERR_TOOBIG. */
#define DC_VALUE_MAX (16 * 1024)
#define DC_POOL_MAX  (96 * 1024) /* all strings of one interaction together */

enum dc_interaction_type {
	DC_PING = 1,
	DC_APPLICATION_COMMAND = 2,
	DC_MESSAGE_COMPONENT = 3,
	DC_AUTOCOMPLETE = 4,
	DC_MODAL_SUBMIT = 5,
};

struct dc_interaction {
	uint64_t id, application_id;
	char token[DC_TOKEN_MAX];
	int type;            /* enum dc_interaction_type */
	bool ping;           /* a PING: answer {"type":1}; ev is not filled */
	uint64_t guild_id;   /* 0 in a DM */
	uint64_t channel_id; /* where it happened (a thread's own id in a thread) */
	uint64_t thread_id;  /* the thread it happened in, else 0 */
	uint64_t user_id;
	uint64_t message_id; /* MESSAGE_COMPONENT: the message the button is on, else 0 */
	/* Command (EV_COMMAND), button (EV_BUTTON) or form (EV_FORM).
	 * workspace = guild id (NULL in a DM); channel = the channel id, the
	 * parent channel's when in a thread (the channel that has a round);
	 * user = the member's id, user_name = member nick, else global name,
	 * else username; admin = MANAGE_GUILD or ADMINISTRATOR in the
	 * interaction's member permissions (never in a DM). */
	struct event ev;
	/* Storage the event points into. */
	char guild[DC_ID_CHARS + 1], channel[DC_ID_CHARS + 1], user[DC_ID_CHARS + 1];
	size_t pool_len;
	char pool[DC_POOL_MAX];
};

/* Parses the `d` of an INTERACTION_CREATE.
 * SB_OK: ev is ready for core_handle(). APPLICATION_COMMAND: data.name
 * "study", whose first option (a subcommand) is ev.command and whose options
 * are ev.opts, as text (numbers and booleans written out, user and channel
 * options as ids). MESSAGE_COMPONENT: EV_BUTTON with data.custom_id.
 * MODAL_SUBMIT: EV_FORM with data.custom_id and each text input's
 * custom_id/value as an option (inputs in action rows or in labels).
 * SB_ERR_NOTFOUND: nothing for the core: a PING (out->ping is set, with
 * id, application_id and token), or a command that is not ours.
 * SB_ERR_INVALID: malformed, or another interaction type (autocomplete).
 * SB_ERR_TOOBIG: past DC_JSON_MAX, DC_VALUE_MAX, DC_POOL_MAX, EV_MAX_OPTS
 * options or the token size. On any error out->ev is not to be used. */
enum sb_rc dc_parse_interaction(const char *json, size_t len, struct dc_interaction *out);

struct dc_message {
	uint64_t id, channel_id, guild_id, author_id; /* guild_id 0 in a DM */
	/* EV_MESSAGE: channel = thread = channel_id (a thread started from a
	 * message has that message's id, so the thread names the question it
	 * answers), text = content, user = author id, user_name = member nick,
	 * else author global name, else username; workspace = guild id or
	 * NULL; never admin. */
	struct event ev;
	/* Storage the event points into. */
	char channel[DC_ID_CHARS + 1], guild[DC_ID_CHARS + 1], user[DC_ID_CHARS + 1];
	char name[DC_NAME_MAX + 1];
	char text[DC_VALUE_MAX + 1];
};

/* Parses the `d` of a MESSAGE_CREATE.
 * SB_ERR_NOTFOUND ("not for us", cheap to ignore): from a bot, a system
 * user or a webhook, of a type other than DEFAULT (0) or REPLY (19), or
 * with empty content (attachments only, or no MESSAGE_CONTENT intent).
 * SB_ERR_INVALID: malformed; SB_ERR_TOOBIG: past DC_JSON_MAX or content
 * past DC_VALUE_MAX bytes. */
enum sb_rc dc_parse_message(const char *json, size_t len, struct dc_message *out);

#endif
