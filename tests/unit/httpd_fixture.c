/* The loop-and-log fixture of httpd_fixture.h. Ownership: see the header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "httpd_fixture.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/rc.h"

static void tick_cb(uv_timer_t *t)
{
	(void)t; /* only makes uv_run(ONCE) return now and then */
}

void hfx_setup(struct hfx *f, const char *prefix, const char *unscripted_body)
{
	f->log_file = tmpfile();
	assert_non_null(f->log_file);
	log_set_stream(f->log_file);
	log_set_level(LOG_DEBUG);
	assert_int_equal(net_loop_new(&f->loop, NULL), SB_OK);
	uv_timer_init(net_loop_uv(f->loop), &f->tick);
	uv_timer_start(&f->tick, tick_cb, 20, 20);
	shd_start(&f->srv, net_loop_uv(f->loop), prefix, unscripted_body);
	snprintf(f->base, sizeof f->base, "http://127.0.0.1:%d%s", f->srv.port, prefix);
}

void hfx_run_for(struct hfx *f, unsigned ms)
{
	uint64_t end = shd_mono_ms() + ms;

	while (shd_mono_ms() < end)
		uv_run(net_loop_uv(f->loop), UV_RUN_ONCE);
}

char *hfx_read_log(struct hfx *f)
{
	struct buf b;
	char chunk[4096];
	size_t n;

	buf_init(&b, 64 * 1024 * 1024);
	fflush(f->log_file);
	rewind(f->log_file);
	while ((n = fread(chunk, 1, sizeof chunk, f->log_file)) > 0)
		buf_add(&b, chunk, n);
	return buf_take(&b);
}

void hfx_teardown(struct hfx *f, const char *const *secrets, const char *log_env)
{
	char *log = hfx_read_log(f);

	shd_stop(&f->srv);
	uv_close((uv_handle_t *)&f->tick, NULL);
	net_loop_free(f->loop);
	f->loop = NULL;
	log_set_stream(NULL);
	log_set_level(LOG_INFO);
	fclose(f->log_file);
	f->log_file = NULL;
	/* secrets never reach the log, whatever happened */
	for (const char *const *s = secrets; *s; s++) {
		if (strstr(log, *s))
			fail_msg("a secret (...%s) reached the log:\n%s", *s + strlen(*s) - 4, log);
	}
	if (getenv(log_env))
		fputs(log, stderr);
	free(log);
	assert_int_equal(f->srv.unscripted, 0);
}
