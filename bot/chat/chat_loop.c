/* Batches and ticks of the core on the loop. See chat_loop.h. */
#include "chat/chat_loop.h"

#include <stdlib.h>
#include <time.h>

#include "util/log.h"
#include "util/mem.h"

/* The wall clock may jump: look again at least this often. */
#define MAX_TICK_MS (60 * 1000)

struct chat_loop {
	struct core *core;
	struct store *st;
	struct chat_loop_ops ops;
	void *ud;
	uv_check_t check;
	uv_idle_t idle; /* active while a batch is open: the loop does not block */
	uv_timer_t tick;
	int batch_open;
	int closing;
};

static int64_t wall_now(void)
{
	return (int64_t)time(NULL);
}

static void flush(struct chat_loop *cl, int commit_failed)
{
	struct actions acts = {0};

	core_take_actions(cl->core, &acts);
	for (size_t i = 0; i < acts.n; i++) {
		struct action *a = &acts.v[i];

		if (a->type == ACT_POST || a->type == ACT_DM)
			cl->ops.post(cl->ud, a);
		else
			cl->ops.reply(cl->ud, a);
	}
	actions_free(&acts);
	if (cl->ops.flushed)
		cl->ops.flushed(cl->ud, commit_failed);
}

static void schedule_tick(struct chat_loop *cl);

void chat_loop_end(struct chat_loop *cl)
{
	int failed;

	if (!cl->batch_open)
		return;
	cl->batch_open = 0;
	uv_idle_stop(&cl->idle);
	failed = core_batch_end(cl->core) != SB_OK;
	if (failed)
		log_error("a batch of events could not be committed; none of it was confirmed",
		          "error=%s", log_q(store_errmsg(cl->st)));
	flush(cl, failed);
	schedule_tick(cl);
}

static void check_cb(uv_check_t *h)
{
	chat_loop_end(h->data);
}

static void idle_cb(uv_idle_t *h)
{
	(void)h; /* its being active is the point: see chat_loop_begin() */
}

void chat_loop_begin(struct chat_loop *cl)
{
	if (cl->batch_open)
		return;
	cl->batch_open = 1;
	/* A batch opened outside the poll phase (in a timer callback, say)
	 * would otherwise wait for the next wake-up of poll before the check
	 * phase ends it: with an idle handle active, poll does not block, so
	 * the batch ends in this loop turn whatever opened it. */
	uv_idle_start(&cl->idle, idle_cb);
	core_batch_begin(cl->core);
}

static void tick_cb(uv_timer_t *t)
{
	struct chat_loop *cl = t->data;

	chat_loop_end(cl);
	if (core_tick(cl->core, wall_now()) != SB_OK)
		log_error("scheduled work failed; it is tried again", "error=%s",
		          log_q(store_errmsg(cl->st)));
	flush(cl, 0);
	schedule_tick(cl);
}

static void schedule_tick(struct chat_loop *cl)
{
	int64_t now = wall_now();
	int64_t wake = core_next_wake(cl->core, now);
	uint64_t ms = wake > now ? (uint64_t)(wake - now) * 1000 : 1000;

	if (cl->closing)
		return;
	if (ms > MAX_TICK_MS)
		ms = MAX_TICK_MS;
	uv_timer_start(&cl->tick, tick_cb, ms, 0);
}

enum sb_rc chat_loop_new(struct chat_loop **out, struct net_loop *loop, struct core *core,
                         struct store *st, const struct chat_loop_ops *ops, void *ud)
{
	struct chat_loop *cl = xcalloc(1, sizeof *cl);

	cl->core = core;
	cl->st = st;
	cl->ops = *ops;
	cl->ud = ud;
	uv_check_init(net_loop_uv(loop), &cl->check);
	cl->check.data = cl;
	uv_check_start(&cl->check, check_cb);
	uv_idle_init(net_loop_uv(loop), &cl->idle);
	cl->idle.data = cl;
	uv_timer_init(net_loop_uv(loop), &cl->tick);
	cl->tick.data = cl;
	/* What a crash left unsent goes first, with its old nonce. */
	if (core_resend_pending(core) != SB_OK)
		log_error("unsent messages could not be read back", "error=%s",
		          log_q(store_errmsg(st)));
	flush(cl, 0);
	/* core_next_wake names only future times: a round due while the bot
	 * was down is found by looking now. */
	uv_timer_start(&cl->tick, tick_cb, 0, 0);
	*out = cl;
	return SB_OK;
}

static void closed_cb(uv_handle_t *h)
{
	struct chat_loop *cl = h->data;

	if (h == (uv_handle_t *)&cl->tick)
		free(cl);
}

void chat_loop_free(struct chat_loop *cl)
{
	if (!cl)
		return;
	chat_loop_end(cl);
	cl->closing = 1;
	uv_check_stop(&cl->check);
	uv_idle_stop(&cl->idle);
	uv_timer_stop(&cl->tick);
	uv_close((uv_handle_t *)&cl->check, NULL);
	uv_close((uv_handle_t *)&cl->idle, NULL);
	uv_close((uv_handle_t *)&cl->tick, closed_cb);
}
