/* Threads on question messages (Discord).
 *
 * A round's reveal, its answer cards and its results go in the thread of the
 * question message, and in answer_mode = thread the members' answers too.
 * Discord makes that thread with POST /channels/{ch}/messages/{msg}/threads;
 * the thread's id is the message's. This module asks Discord once per
 * message, however many posts are headed there: posts that come while the
 * start is in flight wait behind it and are handed on in the order they
 * came, so a reveal's head still comes before its cards, and Discord is not
 * asked again (and again refused with 160004 "already created") for each.
 *
 * When the thread cannot be started — the bot lacks Create Public Threads,
 * or the question message was deleted — the posts are handed the channel
 * instead (in_thread 0): the reveal still reaches the members, as replies
 * to the question. That answer is kept for the message, so a reveal of
 * thirty cards makes one refused request, not thirty.
 *
 * Ownership: dc_thread_new() borrows the REST client, which must outlive
 * the table (its callbacks name the table's slots); dc_thread_free()
 * releases the table and the waiters still queued, without calling them
 * (their ud stays the caller's, as with a cancelled REST request). */
#ifndef SB_DISCORD_DC_THREAD_H
#define SB_DISCORD_DC_THREAD_H

#include "discord/rest.h"

struct dc_threads;

/* where: the thread's id (in_thread 1), or the channel's (in_thread 0).
 * Borrowed for the call. */
typedef void (*dc_thread_cb)(void *ud, const char *where, int in_thread);

struct dc_threads *dc_thread_new(struct rest *rest);
void dc_thread_free(struct dc_threads *t);

/* Calls cb(ud, …) once the thread on message (a message of channel) is
 * there or known to be impossible: at once when that is known already,
 * else when Discord answers. cb may be NULL: the thread is only started (a
 * question in thread mode, where members answer in it). Ids are decimal
 * snowflakes of at most 20 digits; others are refused with a log line. */
void dc_thread_post(struct dc_threads *t, const char *channel, const char *message, dc_thread_cb cb,
                    void *ud);

#endif
