/* The Prometheus text format writer, the Discord metrics page and health
 * verdict from a snapshot, and http_listen addresses. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "discord/dc_metrics.h"
#include "net/httpd.h"
#include "util/buf.h"
#include "util/metrics.h"

static void header_lines(void **state)
{
	struct buf b;
	struct metrics m;

	(void)state;
	buf_init(&b, 4096);
	metrics_begin(&m, &b);
	metrics_family(&m, "studybot_x_total", METRICS_COUNTER, "Things counted.");
	metrics_sample(&m, NULL, 3);
	metrics_family(&m, "studybot_lag_seconds", METRICS_GAUGE, "How late.");
	metrics_sample(&m, NULL, 0.25);
	assert_int_equal(m.rc, SB_OK);
	assert_string_equal(buf_str(&b), "# HELP studybot_x_total Things counted.\n"
	                                 "# TYPE studybot_x_total counter\n"
	                                 "studybot_x_total 3\n"
	                                 "# HELP studybot_lag_seconds How late.\n"
	                                 "# TYPE studybot_lag_seconds gauge\n"
	                                 "studybot_lag_seconds 0.25\n");
	buf_free(&b);
}

static void escaping(void **state)
{
	struct buf b;
	struct metrics m;

	(void)state;
	buf_init(&b, 4096);
	metrics_begin(&m, &b);
	/* HELP escapes backslash and newline, not quotes. */
	metrics_family(&m, "a_total", METRICS_COUNTER, "say \"hi\" \\ then\nmore");
	/* Label values escape all three. */
	metrics_sample(&m, (const char *[]){"path", "C:\\dir \"q\"\nx", "k", "", NULL}, 1);
	metrics_sample1(&m, "status", "200", 7);
	metrics_sample1(&m, "name", "Zoë — 日本", 2);
	assert_int_equal(m.rc, SB_OK);
	assert_string_equal(buf_str(&b), "# HELP a_total say \"hi\" \\\\ then\\nmore\n"
	                                 "# TYPE a_total counter\n"
	                                 "a_total{path=\"C:\\\\dir \\\"q\\\"\\nx\",k=\"\"} 1\n"
	                                 "a_total{status=\"200\"} 7\n"
	                                 "a_total{name=\"Zoë — 日本\"} 2\n");
	buf_free(&b);
}

static void values(void **state)
{
	static const struct {
		double v;
		const char *want;
	} cases[] = {
	    {0, "g 0\n"},
	    {42, "g 42\n"},
	    {-3, "g -3\n"},
	    {1e15, "g 1e+15\n"},
	    {0.001234, "g 0.001234\n"},
	    {4294967296.0, "g 4294967296\n"},
	    {INFINITY, "g +Inf\n"},
	    {-INFINITY, "g -Inf\n"},
	    {NAN, "g NaN\n"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct buf b;
		struct metrics m;
		const char *line;

		buf_init(&b, 4096);
		metrics_begin(&m, &b);
		metrics_family(&m, "g", METRICS_GAUGE, "");
		metrics_sample(&m, NULL, cases[i].v);
		assert_int_equal(m.rc, SB_OK);
		line = strstr(buf_str(&b), "\ng ") + 1;
		if (strcmp(line, cases[i].want) != 0)
			fail_msg("%g -> [%s], want [%s]", cases[i].v, line, cases[i].want);
		buf_free(&b);
	}
}

static void names(void **state)
{
	(void)state;
	assert_true(metrics_name_ok("studybot_a:b_total"));
	assert_true(metrics_name_ok("_x"));
	assert_true(metrics_name_ok(":x"));
	assert_false(metrics_name_ok(""));
	assert_false(metrics_name_ok("9lives"));
	assert_false(metrics_name_ok("a-b"));
	assert_false(metrics_name_ok("a b"));
	assert_false(metrics_name_ok("é"));
	assert_true(metrics_label_ok("status"));
	assert_true(metrics_label_ok("_x1"));
	assert_false(metrics_label_ok("__reserved"));
	assert_false(metrics_label_ok("a:b"));
	assert_false(metrics_label_ok("1a"));
	assert_false(metrics_label_ok(""));
}

/* Each mistake poisons the writer: the page is never served half right. */
static void mistakes(void **state)
{
	struct buf b;
	struct metrics m;

	(void)state;
	buf_init(&b, 4096);

	metrics_begin(&m, &b);
	metrics_sample(&m, NULL, 1); /* no family yet: no TYPE before it */
	assert_int_equal(m.rc, SB_ERR_INVALID);
	assert_int_equal(b.len, 0);

	metrics_begin(&m, &b);
	metrics_family(&m, "requests", METRICS_COUNTER, "a counter not named _total");
	assert_int_equal(m.rc, SB_ERR_INVALID);

	metrics_begin(&m, &b);
	metrics_family(&m, "bad-name", METRICS_GAUGE, "");
	assert_int_equal(m.rc, SB_ERR_INVALID);

	buf_reset(&b);
	metrics_begin(&m, &b);
	metrics_family(&m, "ok_total", METRICS_COUNTER, "");
	metrics_sample1(&m, "__name__", "x", 1);
	assert_int_equal(m.rc, SB_ERR_INVALID);
	metrics_family(&m, "later_total", METRICS_COUNTER, "");
	assert_null(strstr(buf_str(&b), "later_total")); /* nothing after a mistake */

	buf_free(&b);
	buf_init(&b, 40);
	metrics_begin(&m, &b);
	metrics_family(&m, "studybot_overflowing_total", METRICS_COUNTER, "too long for 40 bytes");
	assert_int_equal(m.rc, SB_ERR_TOOBIG);
	buf_free(&b);
}

static void snapshot_page(void **state)
{
	struct dc_metrics_snapshot *s = calloc(1, sizeof *s);
	struct buf b;
	struct metrics m;
	char why[128];

	(void)state;
	assert_false(dc_metrics_healthy(s, why, sizeof why));
	assert_non_null(strstr(why, "not started"));

	s->nshards = 2;
	s->shards[0].id = 4;
	s->shards[0].st.ready = 1;
	s->shards[0].st.events = 10;
	s->shards[1].id = 5;
	s->shards[1].st.reconnects = 2;
	s->rest.by_status[200 - 100] = 7;
	s->rest.by_status[429 - 100] = 1;
	s->rest.rate_limited = 1;
	s->rest.rate_limit_waits = 3;
	s->core.rounds = 1;
	s->core.answers = 5;
	s->core.ratings = 9;
	s->lag_last_s = 0.002;
	s->lag_max_s = 0.5;
	assert_false(dc_metrics_healthy(s, why, sizeof why));
	assert_string_equal(why, "gateway not ready: 1 of 2 shards ready");
	s->shards[1].st.ready = 1;
	assert_true(dc_metrics_healthy(s, why, sizeof why));
	s->stopping = 1;
	assert_false(dc_metrics_healthy(s, why, sizeof why));

	buf_init(&b, 64 * 1024);
	metrics_begin(&m, &b);
	dc_metrics_render(s, &m);
	assert_int_equal(m.rc, SB_OK);
	static const char *const want[] = {
	    "# TYPE studybot_discord_gateway_ready gauge\n"
	    "studybot_discord_gateway_ready{shard=\"4\"} 1\n"
	    "studybot_discord_gateway_ready{shard=\"5\"} 1\n",
	    "studybot_discord_gateway_events_total{shard=\"4\"} 10\n",
	    "studybot_discord_gateway_reconnects_total{shard=\"5\"} 2\n",
	    "# TYPE studybot_discord_rest_requests_total counter\n"
	    "studybot_discord_rest_requests_total{status=\"200\"} 7\n"
	    "studybot_discord_rest_requests_total{status=\"429\"} 1\n# HELP",
	    "studybot_discord_rest_rate_limit_waits_total{reason=\"429\"} 1\n"
	    "studybot_discord_rest_rate_limit_waits_total{reason=\"limit\"} 3\n",
	    "\nstudybot_rounds_posted_total 1\n",
	    "\nstudybot_answers_recorded_total 5\n",
	    "\nstudybot_ratings_recorded_total 9\n",
	    "\nstudybot_event_loop_lag_seconds 0.002\n",
	    "\nstudybot_event_loop_lag_max_seconds 0.5\n",
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		if (!strstr(buf_str(&b), want[i]))
			fail_msg("missing [%s] in\n%s", want[i], buf_str(&b));
	/* Every sample line follows its own family's TYPE line. */
	const char *family = NULL;
	size_t flen = 0;
	for (const char *line = buf_str(&b); *line;) {
		const char *nl = strchr(line, '\n');
		assert_non_null(nl);
		if (strncmp(line, "# TYPE ", 7) == 0) {
			family = line + 7;
			flen = (size_t)(strchr(family, ' ') - family);
		} else if (line[0] != '#') {
			assert_non_null(family);
			size_t k = flen;
			/* A histogram's samples: its name plus _bucket, _sum, _count. */
			if (strncmp(line, family, flen) == 0)
				for (const char *suf = "_bucket\0_sum\0_count\0"; *suf;
				     suf += strlen(suf) + 1)
					if (strncmp(line + flen, suf, strlen(suf)) == 0)
						k = flen + strlen(suf);
			if (strncmp(line, family, flen) != 0 || (line[k] != '{' && line[k] != ' '))
				fail_msg("sample outside its family: %.*s", (int)(nl - line), line);
		}
		line = nl + 1;
	}
	buf_free(&b);
	free(s);
}

static void listen_addresses(void **state)
{
	static const struct {
		const char *spec, *host;
		int port; /* -1: refused */
	} cases[] = {
	    {"127.0.0.1:8080", "127.0.0.1", 8080},
	    {"127.0.0.1:0", "127.0.0.1", 0},
	    {"localhost:9100", "127.0.0.1", 9100},
	    {"0.0.0.0:80", "0.0.0.0", 80},
	    {"*:8080", "", 8080},
	    {":8080", "", 8080},
	    {"[::1]:8080", "::1", 8080},
	    {"[::]:65535", "::", 65535},
	    {"127.0.0.1:65536", NULL, -1},
	    {"127.0.0.1:", NULL, -1},
	    {"127.0.0.1:-1", NULL, -1},
	    {"127.0.0.1:80x", NULL, -1},
	    {"127.0.0.1", NULL, -1},
	    {"::1:8080", NULL, -1},
	    {"[::1]8080", NULL, -1},
	    {"[nope]:80", NULL, -1},
	    {"example.com:80", NULL, -1},
	    {"300.1.1.1:80", NULL, -1},
	    {"", NULL, -1},
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char host[HTTPD_HOST_MAX], err[160];
		int port;
		enum sb_rc rc = httpd_parse_listen(cases[i].spec, host, &port, err, sizeof err);

		if (cases[i].port < 0) {
			if (rc != SB_ERR_INVALID)
				fail_msg("[%s] accepted", cases[i].spec);
			assert_true(strlen(err) > 10);
			continue;
		}
		if (rc != SB_OK)
			fail_msg("[%s] refused: %s", cases[i].spec, err);
		assert_string_equal(host, cases[i].host);
		assert_int_equal(port, cases[i].port);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(header_lines),     cmocka_unit_test(escaping),
	    cmocka_unit_test(values),           cmocka_unit_test(names),
	    cmocka_unit_test(mistakes),         cmocka_unit_test(snapshot_page),
	    cmocka_unit_test(listen_addresses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
