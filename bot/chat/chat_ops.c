/* /healthz, /metrics and / on the loop. See chat_ops.h. */
#include "chat/chat_ops.h"

#include <time.h>

#include "core/page.h"
#include "util/log.h"

static int ops_healthz(void *ud, struct buf *body, const char **type)
{
	const struct chat_ops_hooks *h = ud;
	char why[160];
	int ok;

	(void)type;
	ok = h->healthy(h->ud, why, sizeof why);
	buf_printf(body, "%s\n", why);
	return ok ? 200 : 503;
}

static int ops_metrics(void *ud, struct buf *body, const char **type)
{
	const struct chat_ops_hooks *h = ud;
	struct metrics m;

	metrics_begin(&m, body);
	h->metrics(h->ud, &m);
	if (m.rc != SB_OK) {
		log_error("cannot render /metrics", "error=%s", sb_strerror(m.rc));
		buf_reset(body);
		return 500;
	}
	*type = METRICS_CONTENT_TYPE;
	return 200;
}

static int ops_page(void *ud, struct buf *body, const char **type)
{
	const struct chat_ops_hooks *h = ud;
	enum sb_rc rc = core_page_html(h->core, (int64_t)time(NULL), body);

	if (rc != SB_OK) {
		log_error("cannot render the leaderboards page", "error=%s", sb_strerror(rc));
		buf_reset(body);
		return 500;
	}
	*type = "text/html; charset=utf-8";
	return 200;
}

enum sb_rc chat_ops_start(struct httpd **out, struct net_loop *loop, const char *listen,
                          const struct chat_ops_hooks *hooks)
{
	enum sb_rc rc;

	*out = NULL;
	if (!listen || !*listen)
		return SB_OK;
	rc = httpd_new(out, loop, listen);
	if (rc != SB_OK)
		return rc;
	/* The handlers take the hooks, const only in spirit: httpd's ud is
	 * not const. */
	httpd_route(*out, "/healthz", ops_healthz, (void *)hooks);
	httpd_route(*out, "/metrics", ops_metrics, (void *)hooks);
	httpd_route(*out, "/", ops_page, (void *)hooks);
	net_loop_watch_lag(loop);
	return SB_OK;
}
