/* The core's messages and forms as Slack Block Kit (SPEC §5; Slack docs,
 * "Block Kit", "Formatting text for app surfaces"), within Slack's limits:
 * 50 blocks a message (100 in a modal or the App Home), 3000 characters a
 * section text, 150 a header, 75 a button label, 255 an action_id, 2000 a
 * button value, 24 a modal title, 3000 a text input. Anything longer is
 * cut at a character boundary with "…", never refused by Slack.
 *
 * The core writes a small Markdown (bold **x**, italics *x* or _x_, inline
 * `code`, ``` code blocks, [text](url) links, "- " lists, # headings):
 * sk_mrkdwn() turns it into Slack's mrkdwn, escaping &, < and > so member
 * text never becomes a mention, a link or a channel ping.
 *
 * Ownership: every function returns a malloc'd NUL-terminated string the
 * caller frees (NULL only when an argument is missing). Inputs are
 * borrowed. */
#ifndef SB_SLACK_SK_RENDER_H
#define SB_SLACK_SK_RENDER_H

#include <stdbool.h>
#include <stddef.h>

#include "chat/chat.h"

#define SK_TEXT_MAX    3000 /* a section's text, a text input's value */
#define SK_BLOCKS_MAX  50   /* a message */
#define SK_VIEW_BLOCKS 100  /* a modal, the App Home */

/* Markdown → mrkdwn, cut to at most max characters (not bytes). */
char *sk_mrkdwn(const char *md, size_t max);
/* Markdown → mrkdwn in pieces of at most max (≥ 16) characters each, for
 * text longer than one section: split at line breaks, outside code blocks
 * when a block fits in a piece (else the block is closed at the end of one
 * piece and reopened in the next); a single overlong line is split at a
 * space, never inside an escape or a link. Writes at most maxpieces new
 * strings to out (blank pieces are dropped) and returns how many; *more is
 * set when text was left out for want of pieces. */
size_t sk_mrkdwn_split(const char *md, size_t max, char **out, size_t maxpieces, bool *more);

/* chat.postMessage: {"channel","thread_ts"?,"text" (the notification
 * fallback),"blocks","unfurl_links":false,"unfurl_media":false}. */
char *sk_render_post(const struct chat_msg *m, const char *channel, const char *thread_ts);
/* chat.postEphemeral: the same with "user". */
char *sk_render_ephemeral(const struct chat_msg *m, const char *channel, const char *user,
                          const char *thread_ts);
/* The payload of a slash command's ack: {"response_type":"ephemeral" or
 * "in_channel","text","blocks"}. */
char *sk_render_response(const struct chat_msg *m, bool public_reply);
/* views.open: {"trigger_id","view":{"type":"modal","callback_id":form id,
 * "title","submit","close","private_metadata","blocks":[input…]}}. Each
 * input's block_id and action_id are the input's id. */
char *sk_render_modal(const struct chat_form *f, const char *trigger_id,
                      const char *private_metadata);
/* The ack payload that keeps a modal open and shows text under one input:
 * {"response_action":"errors","errors":{input_id:text}}. */
char *sk_render_form_errors(const char *input_id, const char *text);
/* views.publish for the App Home: {"user_id","view":{"type":"home","blocks"}};
 * the messages are stacked, a divider between them. */
char *sk_render_home(const char *user_id, const struct chat_msg *msgs, size_t n);

#endif
