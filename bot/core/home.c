/* A member's home page (Slack's App Home): per study channel of the
 * workspace, their points and streak, when the next question comes, and
 * this week's leaderboard. Read-only. */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/core_int.h"
#include "util/buf.h"
#include "util/mem.h"

static void channel_msg(struct core *c, const struct st_channel *ch, int64_t member, int64_t now,
                        struct chat_msg *m)
{
	struct st_reason reasons[16];
	struct st_streak s = {0};
	size_t nr = 0;
	long total = 0;
	struct buf b;
	char when[96], key[16];
	int64_t next = ch->paused ? INT64_MAX : round_next_slot(c, ch, now);

	buf_init(&b, 16 * 1024);
	if (member && store_points_by_reason(c->st, ch->id, member, reasons, 16, &nr) == SB_OK)
		for (size_t i = 0; i < nr; i++)
			total += reasons[i].points;
	if (member)
		store_streak_get(c->st, member, ch->id, &s);
	buf_printf(&b, "**%ld points** here · streak %d (best %d)", total, s.current, s.best);
	if (s.freezes)
		buf_printf(&b, " · %d freeze%s held", s.freezes, s.freezes == 1 ? "" : "s");
	buf_adds(&b, "\n");
	if (ch->paused) {
		buf_adds(&b, "Rounds are paused.\n");
	} else if (next != INT64_MAX) {
		core_fmt_time(c, ch->timezone, next, when, sizeof when);
		buf_printf(&b, "Next question: %s\n", when);
	}
	m->title = xstrdup(ch->name[0] ? ch->name : ch->ext_id);
	m->text = buf_take(&b);
	buf_reset(&b);
	if (core_period_key(core_zone(c, ch->timezone), "week", now, key) &&
	    core_leaderboard_text(c, ch, key, "", member, &b) == SB_OK && b.len)
		chat_msg_field(m, "This week", buf_str(&b));
	buf_free(&b);
}

enum sb_rc core_home(struct core *c, const char *workspace, const char *user, int64_t now,
                     struct chat_msg *out, size_t max, size_t *n)
{
	struct st_channel *chs = NULL;
	struct st_member me;
	int64_t member = 0;
	size_t nch = 0;
	enum sb_rc rc;

	*n = 0;
	rc = store_member_by_ext(c->st, user, &me);
	if (rc == SB_OK)
		member = me.id;
	else if (rc != SB_ERR_NOTFOUND)
		return rc;
	rc = store_channels(c->st, &chs, &nch);
	if (rc != SB_OK)
		return rc;
	for (size_t i = 0; i < nch && *n < max; i++) {
		if (workspace && chs[i].workspace[0] && strcmp(chs[i].workspace, workspace) != 0)
			continue;
		memset(&out[*n], 0, sizeof out[*n]);
		channel_msg(c, &chs[i], member, now, &out[*n]);
		(*n)++;
	}
	free(chs);
	if (*n == 0 && max) {
		memset(&out[0], 0, sizeof out[0]);
		out[0].title = xstrdup("studybot");
		out[0].text = xstrdup("No channel studies here yet. An admin can start daily "
		                      "questions in a channel with `/study setup`.");
		*n = 1;
	}
	return SB_OK;
}
