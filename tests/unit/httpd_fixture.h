/* The loop-and-log fixture the HTTP client tests share: a net_loop with a
 * 20 ms tick (so uv_run(ONCE) returns now and then and waits can check the
 * clock), the scripted server of script_httpd.h on it, and the log captured
 * at DEBUG level in a temporary file, checked for secrets at teardown.
 *
 * Ownership: the caller owns the struct hfx (usually a static); hfx_setup
 * creates the loop, the server and the log file, hfx_teardown frees them.
 * The client under test is the caller's, freed before hfx_teardown.
 * hfx_read_log returns a string the caller frees. */
#ifndef STUDYBOT_TESTS_HTTPD_FIXTURE_H
#define STUDYBOT_TESTS_HTTPD_FIXTURE_H

#include <stdio.h>

#include <uv.h>

#include "net/loop.h"
#include "script_httpd.h"

struct hfx {
	struct shd_server srv;
	struct net_loop *loop;
	char base[64]; /* http://127.0.0.1:<port><prefix>, the client's API base */
	/* the rest is the fixture's own */
	uv_timer_t tick;
	FILE *log_file;
};

/* Runs f's loop until cond holds; a test that waits 30 s has hung. */
#define HFX_RUN_UNTIL(f, cond)                                                                     \
	do {                                                                                       \
		uint64_t t0_ = shd_mono_ms();                                                      \
		while (!(cond)) {                                                                  \
			if (shd_mono_ms() - t0_ > 30000)                                           \
				fail_msg("timed out waiting for %s", #cond);                       \
			uv_run(net_loop_uv((f)->loop), UV_RUN_ONCE);                               \
		}                                                                                  \
	} while (0)

/* Captures the log, makes the loop and starts the server with prefix and
 * unscripted_body (both borrowed, see shd_start). Fails the test on error. */
void hfx_setup(struct hfx *f, const char *prefix, const char *unscripted_body);

/* Runs f's loop for ms milliseconds, whatever happens. */
void hfx_run_for(struct hfx *f, unsigned ms);

/* Everything logged since hfx_setup. */
char *hfx_read_log(struct hfx *f);

/* Stops the server, frees the loop and restores the log. Fails the test if
 * any of secrets (NULL-terminated) reached the log or a request met no
 * step; prints the log to stderr if the environment variable log_env is
 * set, to see what the client logged. */
void hfx_teardown(struct hfx *f, const char *const *secrets, const char *log_env);

#endif
