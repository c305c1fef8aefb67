/* Slack payloads → the core's events (chat/chat.h). Pure and fuzzed: any
 * JSON tree gives a filled struct or an error, never a crash.
 *
 * The /study slash command takes the same words as Discord's subcommands
 * (SPEC §6): "/study leaderboard week django", "/study stats <@U123>",
 * "/study remind on", "/study setup #channel 09:00 Europe/Berlin python,django
 * 1-3 thread" (after the time zone, a word that is modal or thread is the
 * mode, one like 2 or 1-3 the difficulty, anything else the topics; a
 * schedule with days is "mon,wed,fri 18:30"), "/study post" (no words, as
 * on Discord). Slack escapes mentions as <@U123|name> and channels as
 * <#C123|name> when the command's "escape" option is on (the manifest sets
 * should_escape); both are read back to ids. A bare "@name" or "#name"
 * cannot be and gets a usage reply. Text Slack escapes (&amp; &lt; &gt;)
 * is unescaped for the core, in slash words and in message text.
 *
 * Ownership: the strings in out (ev included) point into the payload tree,
 * into out->buf or out->text, or at static text, so they live as long as
 * the tree and out. out is large (about 21 KB): allocate it or make it
 * static rather than put it on a small stack. */
#ifndef SB_SLACK_SK_EVENT_H
#define SB_SLACK_SK_EVENT_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "chat/chat.h"
#include "util/rc.h"

/* Bytes of a thread reply's text kept unescaped in sk_event.text; a longer
 * text (over 4096 characters, past any answer's cap) is passed as Slack
 * sent it, for the core to refuse as too long. */
#define SK_MSG_TEXT_MAX (16 * 1024)

enum sk_kind {
	SK_CORE,   /* hand ev to the core */
	SK_HOME,   /* app_home_opened on the Home tab: publish ev.user's home (only
	              ev.user, ev.workspace and ev.channel are set) */
	SK_IGNORE, /* nothing for the core (the bot's own message, chatter, an edit of
	              something else, a type we do not handle) */
};

struct sk_event {
	struct event ev;
	enum sk_kind kind;
	const char *trigger_id; /* slash command, block_actions, view_submission; else NULL */
	const char *message_ts; /* block_actions on a message: that message's ts;
	                           messages: the message's own ts */
	const char *thread_ts;  /* block_actions: the thread that message is a reply in (NULL
	                           for a top-level message, a thread's parent included);
	                           messages: thread_ts */
	const char *view_id;    /* view_submission, and block_actions in a view */
	bool admin_needed;      /* an admin subcommand: the platform must set ev.admin first */
	const char *usage;      /* slash text that could not be read: the private reply that
	                           says how to write it (kind is SK_IGNORE) */
	const char *ignore_why; /* SK_IGNORE: a few words for the debug log */
	char buf[4096];         /* the slash text's words and the ids read from mentions */
	char text[SK_MSG_TEXT_MAX + 1]; /* EV_MESSAGE: the text, unescaped */
};

/* All three return SB_OK with out->kind set (SK_IGNORE included: a type
 * we do not handle is not an error), SB_ERR_INVALID for a payload that
 * breaks Slack's shapes (a missing user id, a field of the wrong type, text
 * that is not UTF-8), SB_ERR_TOOBIG past EV_MAX_OPTS form values or a
 * value over SK_MSG_TEXT_MAX bytes. On an error out is zeroed but for kind
 * SK_IGNORE and ignore_why.
 *
 * Slash commands: ev.workspace = team_id, channel = channel_id, user =
 * user_id, user_name = user_name; kind SK_CORE, or SK_IGNORE with usage.
 * Interactive: ev.user = user.id, user_name = user.username or user.name,
 * workspace = team.id (user.team_id when team is null). */

/* A slash_commands envelope's payload (command "/study"). */
enum sb_rc sk_parse_slash(const cJSON *payload, struct sk_event *out);
/* An interactive envelope's payload: block_actions (a button: EV_BUTTON with
 * the action_id as custom id) and view_submission (EV_FORM: each input
 * block's value as an option named by its block_id; the channel is the
 * view's private_metadata). Other types are SK_IGNORE. A button in a
 * view (a modal, the App Home) has view_id set and ev.channel = the view's
 * private_metadata, "" when it has none. */
enum sb_rc sk_parse_interactive(const cJSON *payload, struct sk_event *out);
/* An events_api envelope's payload (an event_callback). A reply in a
 * thread is EV_MESSAGE with ev.thread = thread_ts; an edit of one
 * (message_changed) is the same with the new text; app_home_opened on the
 * home tab is SK_HOME. Messages of the bot itself (bot_user / bot_id match,
 * or any bot_id) and other subtypes are SK_IGNORE. */
enum sb_rc sk_parse_event(const cJSON *payload, const char *bot_user, struct sk_event *out);

#endif
