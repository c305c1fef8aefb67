/* What the core says, as Discord request bodies (REST v10). Pure: no
 * sockets, no clock; the REST client sends what these return.
 *
 * Mapping of a struct chat_msg:
 * - A title, fields or a footer make one embed. The text goes in the
 *   embed's description when there is a title, else in `content`.
 * - Buttons become action rows of up to 5 buttons (at most 5 rows, so all
 *   25 a message may hold), in order; the custom id is sent as given.
 * - `allowed_mentions: {"parse": []}` is always set: nothing in a body ever
 *   pings anyone, whatever member text it quotes. As a second guard,
 *   "@everyone" and "@here" get a zero-width space after the '@' (also in
 *   code, where it cannot be seen), so even a copy of the text is inert.
 * - Text is platform-neutral Markdown, which Discord renders nearly as is:
 *   nothing is escaped. Bytes that are not UTF-8 become U+FFFD.
 *
 * Limits are Discord's, counted in code points: content 2000 (the OpenAPI
 * description allows 4000, the docs say 2000), embed title 256,
 * description 4096, field name 256, value 1024, footer 2048, 6000 for all
 * the embed's text together, button label 80; modal title and input
 * label 45, placeholder 100, value and max_length 4000. Text past a limit
 * is cut at a code point boundary (before a space or a line break when one
 * is near), an open ``` fence is closed, and DC_CUT_MARK is appended: the
 * result is within the limit, marker included. When the embed's texts
 * together pass 6000, the longest are cut to one common length, so every
 * answer of a reveal keeps its start rather than the last ones vanishing.
 *
 * Ownership: every function borrows its arguments and returns a new
 * NUL-terminated string the caller frees with free(). NULL is returned
 * only where a function says so. */
#ifndef SB_DISCORD_DC_RENDER_H
#define SB_DISCORD_DC_RENDER_H

#include <stddef.h>

#include "chat/chat.h"

#define DC_CUT_MARK "\xe2\x80\xa6 (cut)" /* "… (cut)": 7 code points */

#define DC_CONTENT_MAX     2000
#define DC_EMBED_TITLE_MAX 256
#define DC_EMBED_DESC_MAX  4096
#define DC_FIELD_NAME_MAX  256
#define DC_FIELD_VALUE_MAX 1024
#define DC_FOOTER_MAX      2048
#define DC_EMBED_TOTAL_MAX 6000
#define DC_LABEL_MAX       80 /* button */
#define DC_BUTTONS_PER_ROW 5
#define DC_ROWS_MAX        5
#define DC_CUSTOM_ID_MAX   100
#define DC_NONCE_MAX       25
#define DC_MODAL_TITLE_MAX 45
#define DC_INPUT_LABEL_MAX 45
#define DC_PLACEHOLDER_MAX 100
#define DC_INPUT_MAX       4000 /* value, min_length and max_length of a text input */
#define DC_FILE_MAX        (10u * 1024 * 1024) /* per file, the default upload cap */
#define DC_REQUEST_MAX     (25u * 1024 * 1024) /* a whole multipart request */

/* Body of POST /channels/{id}/messages. nonce (may be NULL) is sent with
 * `enforce_nonce: true`, so a retry of the same body never posts twice; a
 * nonce longer than 25 characters is left out (and logged), since cutting
 * it could make two messages one. Files are not in a JSON body: see
 * dc_render_needs_multipart(). An empty message gets a zero-width space
 * as content (Discord refuses a message with nothing in it). */
char *dc_render_message(const struct chat_msg *m, const char *nonce);

/* The same as a reply to message reply_to of the same channel (NULL: none),
 * kept even when that message is gone: a post meant for a question's thread
 * that could not be started goes in the channel this way. */
char *dc_render_message_ref(const struct chat_msg *m, const char *nonce, const char *reply_to);

/* Body of POST /interactions/{id}/{token}/callback for a's message:
 * {"type":4,"data":{…message…,"flags":64}}, without the EPHEMERAL flag
 * when a->public_reply. For an ACT_FORM action it is dc_render_form(). */
char *dc_render_reply(const struct action *a);

/* Body of a modal callback: {"type":9,"data":{custom_id, title,
 * components: one action row per input, each with one text input}}.
 * Lengths are clamped to Discord's ranges (max_length 1-4000, min_length
 * 0-max_length); a prefilled value longer than max_length is cut. NULL
 * when the form has no usable custom id (1-100 characters) or no input
 * with one: Discord refuses such a modal. */
char *dc_render_form(const struct chat_form *f);

/* Body of PUT /applications/{app}/commands (bulk overwrite): the one
 * chat-input command `study` with the subcommands of SPEC §6. Admin
 * subcommands are listed to everyone; the core checks permissions. */
char *dc_render_commands(void);

/* Non-zero when m has files: then the body must be multipart/form-data. */
int dc_render_needs_multipart(const struct chat_msg *m);

/* A multipart/form-data body (Content-Type: multipart/form-data;
 * boundary=BOUNDARY) with a `payload_json` part, as dc_render_message()
 * plus an `attachments` array with ids "0", "1", …, and one `files[n]`
 * part per file. The body may hold any bytes: its length is stored in
 * *len (it is also NUL-terminated). NULL when the boundary is not 1-70
 * characters of [A-Za-z0-9'()+_,-./:=?], when it occurs in a part (pick
 * another and call again), or when a file passes DC_FILE_MAX or the whole
 * DC_REQUEST_MAX. File names are reduced to [A-Za-z0-9._-]. */
char *dc_render_multipart(const struct chat_msg *m, const char *nonce, const char *boundary,
                          size_t *len);

/* The same for an interaction callback (an export is a reply with files):
 * payload_json is dc_render_reply()'s body with `attachments` in data. */
char *dc_render_reply_multipart(const struct action *a, const char *boundary, size_t *len);

/* The same for the follow-up that completes a deferred reply (POST
 * /webhooks/{app}/{token}): payload_json is the message itself with
 * `flags: 64` unless a->public_reply, so a private reply stays private
 * even if Discord made the follow-up a message of its own. */
char *dc_render_followup_multipart(const struct action *a, const char *boundary, size_t *len);

#endif
