/* The bundled bank (questions/) is content a study group trusts: it must
 * parse, meet the content rules every question promises, and cover every
 * question of the interview notes it grew from. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "core/bank.h"
#include "core/keypoint.h"

static struct bank bank;

static int setup(void **state)
{
	(void)state;
	struct diags d;
	diags_init(&d);
	bank_init(&bank);
	enum sb_rc rc = bank_load_dir(&bank, SOURCE_DIR "/questions", &d);
	diags_print(&d, stderr);
	diags_free(&d);
	return rc == SB_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	bank_free(&bank);
	return 0;
}

static void size_and_mix(void **state)
{
	(void)state;
	size_t mcq = 0, level[4] = {0};
	for (size_t i = 0; i < bank.nq; i++) {
		mcq += bank.q[i].correct >= 0;
		level[bank.q[i].difficulty]++;
	}
	if (bank.nq < 150)
		fail_msg("the bank has %zu questions; it promises at least 150", bank.nq);
	if (mcq < 20)
		fail_msg("%zu multiple-choice questions; at least 20 expected", mcq);
	/* every level well represented, so a channel filtered to one level has a pool */
	for (int l = 1; l <= 3; l++)
		if (level[l] < bank.nq / 5)
			fail_msg("only %zu questions of difficulty %d", level[l], l);
}

static void every_question_is_complete(void **state)
{
	(void)state;
	size_t bad = 0;
	for (size_t i = 0; i < bank.nq; i++) {
		const struct bank_question *q = &bank.q[i];
		const char *why = NULL;
		if (q->nhints < 1)
			why = "needs at least one hint";
		else if (q->nkey_points < 3 || q->nkey_points > 6)
			why = "needs 3-6 key points";
		else if (q->ntags < 1)
			why = "needs at least one tag";
		else if (strlen(q->answer) < 200)
			why = "has a model answer too short to teach anything";
		if (why) {
			fprintf(stderr, "%s:%d: %s %s\n", q->file, q->line, q->id, why);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* A key point its own model answer does not mention would mark the model
 * answer itself as incomplete: the points must be matchable. */
static void model_answers_cover_their_key_points(void **state)
{
	(void)state;
	size_t bad = 0;
	for (size_t i = 0; i < bank.nq; i++) {
		const struct bank_question *q = &bank.q[i];
		bool hit[BANK_KEYPOINTS_MAX];
		kp_coverage(q->answer, q->key_points, q->nkey_points, hit);
		for (size_t k = 0; k < q->nkey_points; k++) {
			if (!hit[k]) {
				fprintf(stderr,
				        "%s:%d: %s: key point '%s' is not in the model answer\n",
				        q->file, q->line, q->id, q->key_points[k]);
				bad++;
			}
		}
	}
	assert_int_equal(bad, 0);
}

static bool contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

/* Every question of the interview notes the bank grew from, and the words
 * that find it among the prompts (and bodies, for code-review tasks). */
static const struct {
	const char *seed;
	const char *topic; /* NULL = any */
	const char *words[3];
} seeds[] = {
    {"brief introduction about yourself and your projects",
     "behavioural",
     {"introduction about yourself"}},
    {"difference between Flask, DRF and FastAPI", "drf", {"Flask", "FastAPI"}},
    {"limit the number of requests our API can return", "drf", {"limit the number of requests"}},
    {"how can we implement middleware", "django", {"middleware", "write your own"}},
    {"restricting all APIs with a security constraint",
     "drf",
     {"security constraint", "every endpoint"}},
    {"pagination in Django and DRF",
     "drf",
     {"pagination in plain Django", "Django REST Framework"}},
    {"improving one API from 700 ms to 100 ms", "api-performance", {"700 ms", "100 ms"}},
    {"nested serializers", "drf", {"nested serializers"}},
    {"generators and iterators", "python", {"iterators and generators"}},
    {"decorators, with examples", "python", {"decorator"}},
    {"property in Python", "python", {"`property`"}},
    {"database insertion API efficiency", "orm", {"insertion API efficiency"}},
    {"OpenCV basic operations", "opencv", {"OpenCV"}},
    {"serializer methods and attributes", "drf", {"methods of a DRF serializer"}},
    {"raw SQL to do things fast", "orm", {"raw SQL for speed"}},
    {"staticmethod vs classmethod", "python", {"staticmethod", "classmethod"}},
    {"F, Q and ORM practicals", "orm", {"F() expressions"}},
    {"Q objects", "orm", {"Q objects"}},
    {"annotations and aggregations", "orm", {"annotate()", "aggregate()"}},
    {"what is middleware, how to write your own", "django", {"What is middleware"}},
    {"Django MVT architecture", "django", {"MVT architecture"}},
    {"viewsets and routers", "drf", {"Router"}},
    {"class-based vs function-based views",
     "django",
     {"Class-based views vs function-based views"}},
    {"model inheritance, proxy inheritance", "django", {"model inheritance"}},
    {"proxy models", "django", {"same table"}},
    {"authentication vs authorization", "django", {"authentication and authorization"}},
    {"types of serializers in DRF", "drf", {"types of serializers"}},
    {"APIView vs ViewSet", "drf", {"APIView and a ViewSet"}},
    {"how to use SQL queries in Django", "orm", {"run SQL directly"}},
    {"login from one device only", "django", {"only one device"}},
    {"types of authentication", "django", {"kinds of authentication"}},
    {"list vs tuple", "python", {"lists and tuples"}},
    {"what is a mixin, when to use, how it differs", "python", {"mixin"}},
    {"git cherry-pick", "git", {"cherry-pick"}},
    {"git rebase", "git", {"git rebase` do"}},
    {"convert 3 commits into 1", "git", {"last 3 commits into a single commit"}},
    {"what is database indexing", "databases", {"database index"}},
    {"indexing and its effect on performance",
     "databases",
     {"difference does an index make to performance"}},
    {"the Employee/manager practical task", "code-review", {"Employee"}},
    {"Django 4.1 updates", "django", {"Django 4.1"}},
    {"questions to ask the interviewer", "behavioural", {"any questions for us"}},
    {"honesty: saying you don't know", "behavioural", {"don't know"}},
    {"calm, confident, disciplined, honest, positive", "behavioural", {"calm, confident"}},
};

static void covers_the_interview_notes(void **state)
{
	(void)state;
	size_t missing = 0;
	for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
		bool found = false;
		for (size_t i = 0; i < bank.nq && !found; i++) {
			const struct bank_question *q = &bank.q[i];
			if (seeds[s].topic && strcmp(q->topic, seeds[s].topic) != 0)
				continue;
			bool all = true;
			for (int w = 0; w < 3 && seeds[s].words[w]; w++)
				all &= contains_ci(q->prompt, seeds[s].words[w]) ||
				       contains_ci(q->body, seeds[s].words[w]);
			found = all;
		}
		if (!found) {
			fprintf(stderr, "no question for the seed \"%s\"\n", seeds[s].seed);
			missing++;
		}
	}
	assert_int_equal(missing, 0);
}

/* The practical task keeps the snippet exactly as the interview gave it. */
static void employee_task_is_verbatim(void **state)
{
	(void)state;
	const struct bank_question *found = NULL;
	for (size_t i = 0; i < bank.nq; i++)
		if (strcmp(bank.q[i].topic, "code-review") == 0 &&
		    strstr(bank.q[i].body, "class Employee"))
			found = &bank.q[i];
	assert_non_null(found);
	assert_non_null(strstr(found->body, "from django.db.modesl import Q, F"));
	assert_non_null(strstr(found->body, "filter(salary__gt=F(manager__salary))"));
	assert_non_null(strstr(found->answer, "F(\"manager__salary\")"));
	assert_non_null(strstr(found->answer, "max_digits"));
	assert_non_null(strstr(found->answer, "\"self\""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(size_and_mix),
	    cmocka_unit_test(every_question_is_complete),
	    cmocka_unit_test(model_answers_cover_their_key_points),
	    cmocka_unit_test(covers_the_interview_notes),
	    cmocka_unit_test(employee_task_is_verbatim),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
