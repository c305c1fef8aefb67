/* Threads on question messages. See dc_thread.h. */
#include "discord/dc_thread.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/mem.h"

/* Messages remembered: a few days of rounds in many channels. A slot whose
 * start is in flight is never reused; the least recently used other one is. */
#define THREAD_SLOTS 256
#define ID_MAX       20 /* digits of the largest snowflake */
/* Discord: a thread of a message that has one already. */
#define ERR_THREAD_EXISTS 160004

enum slot_state { SLOT_FREE, SLOT_STARTING, SLOT_THREAD, SLOT_CHANNEL };

struct waiter {
	dc_thread_cb cb;
	void *ud;
	struct waiter *next;
};

struct slot {
	struct dc_threads *t;
	enum slot_state state;
	int spare;     /* not in the table: freed once its start is answered */
	uint64_t used; /* t->clock when last asked for */
	char channel[ID_MAX + 1], message[ID_MAX + 1];
	struct waiter *head, *tail; /* while SLOT_STARTING */
};

struct dc_threads {
	struct rest *rest;
	uint64_t clock;
	struct slot slots[THREAD_SLOTS];
};

static int id_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n > 0 && n <= ID_MAX && strspn(s, "0123456789") == n;
}

struct dc_threads *dc_thread_new(struct rest *rest)
{
	struct dc_threads *t = xcalloc(1, sizeof *t);

	t->rest = rest;
	for (size_t i = 0; i < THREAD_SLOTS; i++)
		t->slots[i].t = t;
	return t;
}

static void waiters_free(struct slot *s)
{
	while (s->head) {
		struct waiter *next = s->head->next;

		free(s->head);
		s->head = next;
	}
	s->tail = NULL;
}

void dc_thread_free(struct dc_threads *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < THREAD_SLOTS; i++)
		waiters_free(&t->slots[i]);
	free(t);
}

static void hand_on(struct slot *s, dc_thread_cb cb, void *ud)
{
	if (cb)
		cb(ud, s->state == SLOT_THREAD ? s->message : s->channel, s->state == SLOT_THREAD);
}

static void started(void *ud, const struct rest_result *res)
{
	struct slot *s = ud;
	struct waiter *w;

	if (res->ok || res->code == ERR_THREAD_EXISTS) {
		s->state = SLOT_THREAD;
	} else {
		s->state = SLOT_CHANNEL;
		log_warn("cannot start a thread on the question; its posts go in the channel",
		         "channel=%s message=%s status=%ld error=%s fix=%s", s->channel, s->message,
		         res->status, log_q(res->message),
		         log_q("give the bot the Create Public Threads and Send Messages in "
		               "Threads permissions in this channel"));
	}
	/* Taken off first: a waiter's post may ask for this slot again. */
	w = s->head;
	s->head = s->tail = NULL;
	while (w) {
		struct waiter *next = w->next;

		hand_on(s, w->cb, w->ud);
		free(w);
		w = next;
	}
	if (s->spare)
		free(s);
}

static struct slot *find(struct dc_threads *t, const char *channel, const char *message)
{
	struct slot *victim = NULL;

	for (size_t i = 0; i < THREAD_SLOTS; i++) {
		struct slot *s = &t->slots[i];

		if (s->state != SLOT_FREE && strcmp(s->message, message) == 0 &&
		    strcmp(s->channel, channel) == 0)
			return s;
		if (s->state == SLOT_STARTING)
			continue;
		if (!victim || s->state == SLOT_FREE ||
		    (victim->state != SLOT_FREE && s->used < victim->used))
			victim = s;
	}
	if (victim) {
		victim->state = SLOT_FREE;
		snprintf(victim->channel, sizeof victim->channel, "%s", channel);
		snprintf(victim->message, sizeof victim->message, "%s", message);
	}
	return victim;
}

static void start(struct slot *s)
{
	char path[128];

	s->state = SLOT_STARTING;
	snprintf(path, sizeof path, "/channels/%s/messages/%s/threads", s->channel, s->message);
	/* One day without a message archives it; a member's reply or the
	 * next post brings it back. */
	rest_request(s->t->rest, "POST", path,
	             "{\"name\":\"Answers and reviews\",\"auto_archive_duration\":1440}", started,
	             s);
}

void dc_thread_post(struct dc_threads *t, const char *channel, const char *message, dc_thread_cb cb,
                    void *ud)
{
	struct slot *s;

	if (!id_ok(channel) || !id_ok(message)) {
		log_error("a thread was asked for with a malformed id", "channel=%s message=%s",
		          log_q(channel ? channel : ""), log_q(message ? message : ""));
		if (cb)
			cb(ud, channel ? channel : "", 0);
		return;
	}
	s = find(t, channel, message);
	if (!s) {
		/* Every slot is starting a thread (hundreds of rounds revealed
		 * at once): this post starts its own, outside the table. */
		s = xcalloc(1, sizeof *s);
		s->t = t;
		s->spare = 1;
		snprintf(s->channel, sizeof s->channel, "%s", channel);
		snprintf(s->message, sizeof s->message, "%s", message);
	}
	s->used = ++t->clock;
	if (s->state == SLOT_THREAD || s->state == SLOT_CHANNEL) {
		hand_on(s, cb, ud);
		return;
	}
	if (cb) {
		struct waiter *w = xcalloc(1, sizeof *w);

		w->cb = cb;
		w->ud = ud;
		if (s->tail)
			s->tail->next = w;
		else
			s->head = w;
		s->tail = w;
	}
	if (s->state == SLOT_FREE)
		start(s);
}
