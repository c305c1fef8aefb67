/* Slack has no nonce: a chat.postMessage retried after a crash (the outbox
 * resends what was never confirmed, SPEC §8) would post twice if the first
 * one had reached Slack. So every post carries the outbox nonce as message
 * metadata (docs: "Using message metadata"), and before a resend the
 * channel's latest messages (or the thread's) are read back with
 * include_all_metadata: a message of the bot's with that nonce is the post,
 * already delivered.
 *
 * Ownership: sk_with_nonce() returns a malloc'd body; sk_resend_find()
 * copies its arguments and calls done once, with a ts borrowed for the
 * call, or NULL when no such message was found (or Slack could not be
 * asked: posting is then the lesser harm). */
#ifndef SB_SLACK_SK_RESEND_H
#define SB_SLACK_SK_RESEND_H

#include "slack/webapi.h"

#define SK_NONCE_EVENT "studybot_post"

/* The chat.postMessage body with {"metadata":{"event_type":SK_NONCE_EVENT,
 * "event_payload":{"nonce":nonce}}} added; NULL if body is not a JSON
 * object. */
char *sk_with_nonce(const char *body, const char *nonce);

typedef void (*sk_resend_done)(void *ud, const char *ts);

/* thread_ts NULL: a top-level post, looked for in conversations.history;
 * else a reply, looked for in conversations.replies of that thread. */
void sk_resend_find(struct webapi *api, const char *channel, const char *thread_ts,
                    const char *nonce, sk_resend_done done, void *ud);

/* The ts of the message in a history or replies answer that carries nonce,
 * or NULL. Pure; exposed for tests. */
const char *sk_resend_match(const cJSON *answer, const char *nonce);

#endif
