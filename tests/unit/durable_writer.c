/* The victim of test_durability: records answers one transaction each and
 * prints each one's sequence number only once its commit has returned, the
 * way the bot tells a member their answer is recorded. The parent kills it
 * at random moments; every number it read must then be in the database.
 *
 * usage: durable_writer DB FIRST_SEQ
 * Answer n is member "m<n>"'s answer to the one round, with a text that
 * starts "answer <n> ". Runs until killed. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

#define SLOT "durability"

static int die(struct store *s, const char *what)
{
	fprintf(stderr, "durable_writer: %s: %s\n", what, s ? store_errmsg(s) : "");
	store_close(s);
	return 1;
}

/* The channel and round every answer goes to; made by whichever run gets
 * there first (an earlier run may have been killed half-way). */
static enum sb_rc round_for(struct store *s, int64_t *round_id)
{
	struct st_channel c;
	memset(&c, 0, sizeof c);
	snprintf(c.ext_id, sizeof c.ext_id, "durability");
	c.schedule.days = SCHED_ALL_DAYS;
	c.schedule.secs = 9 * 3600;
	snprintf(c.timezone, sizeof c.timezone, "UTC");
	c.diff_min = 1;
	c.diff_max = 3;
	enum sb_rc rc = store_begin(s);
	if (rc)
		return rc;
	rc = store_channel_put(s, &c);
	struct st_round r;
	if (!rc)
		rc = store_round_by_slot(s, c.id, SLOT, &r);
	if (rc == SB_ERR_NOTFOUND) {
		memset(&r, 0, sizeof r);
		r.channel_id = c.id;
		snprintf(r.slot, sizeof r.slot, SLOT);
		snprintf(r.qid, sizeof r.qid, "q-durable");
		r.state = ROUND_OPEN;
		rc = store_round_create(s, &r);
	}
	if (rc) {
		store_rollback(s);
		return rc;
	}
	*round_id = r.id;
	return store_commit(s);
}

/* One answer in its own transaction. It may exist already when an earlier
 * run committed it and was killed before it could say so: then it is
 * recorded all the same, and only checked. */
static enum sb_rc record(struct store *s, int64_t round_id, long long seq)
{
	char ext[32], name[32], text[300];
	snprintf(ext, sizeof ext, "m%lld", seq);
	snprintf(name, sizeof name, "Member %lld", seq);
	/* Long enough that one answer spans many WAL bytes, so a kill can land
	 * in the middle of one. */
	int len = snprintf(text, sizeof text, "answer %lld ", seq);
	for (; len < 240; len++)
		text[len] = (char)('a' + len % 26);
	text[len] = '\0';

	enum sb_rc rc = store_begin(s);
	if (rc)
		return rc;
	int64_t member_id;
	rc = store_member(s, ext, name, &member_id);
	struct st_answer a;
	if (!rc) {
		rc = store_answer_get(s, round_id, member_id, &a);
		if (rc == SB_OK) {
			bool same = a.text && strcmp(a.text, text) == 0;
			store_answer_clear(&a);
			if (!same) {
				fprintf(stderr, "durable_writer: answer %lld holds other text\n",
				        seq);
				rc = SB_ERR_INVALID;
			}
		} else if (rc == SB_ERR_NOTFOUND) {
			memset(&a, 0, sizeof a);
			a.round_id = round_id;
			a.member_id = member_id;
			a.text = text;
			a.choice = -1;
			a.created_at = a.updated_at = 1764000000 + seq;
			bool created;
			rc = store_answer_put(s, &a, &created);
		}
	}
	if (rc) {
		store_rollback(s);
		return rc;
	}
	return store_commit(s);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: durable_writer DB FIRST_SEQ\n");
		return 2;
	}
	char *end;
	long long seq = strtoll(argv[2], &end, 10);
	if (*end || seq < 1) {
		fprintf(stderr, "durable_writer: bad FIRST_SEQ '%s'\n", argv[2]);
		return 2;
	}
	struct store *s;
	char err[512];
	if (store_open(argv[1], &s, err, sizeof err)) {
		fprintf(stderr, "durable_writer: %s\n", err);
		return 1;
	}
	int64_t round_id;
	if (round_for(s, &round_id))
		return die(s, "setting up the round");
	/* Bounded, so a parent that never kills cannot leave it running. */
	for (long long stop = seq + 1000000; seq < stop; seq++) {
		if (record(s, round_id, seq))
			return die(s, "recording");
		/* Only now may anyone be told. */
		printf("%lld\n", seq);
		fflush(stdout);
	}
	store_close(s);
	return 0;
}
