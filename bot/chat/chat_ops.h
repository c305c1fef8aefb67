/* The operations endpoints of [bot] http_listen, for any platform (SPEC §3):
 * /healthz, /metrics (Prometheus text) and / (the leaderboards page),
 * served from the loop by net/httpd. The platform says whether it is
 * healthy and writes its own metric families; the page is the core's.
 *
 * Ownership: chat_ops_start() borrows hooks (which must outlive the
 * server) and returns a server the caller frees with httpd_free() before
 * anything the hooks read goes away. */
#ifndef SB_CHAT_CHAT_OPS_H
#define SB_CHAT_CHAT_OPS_H

#include <stddef.h>

#include "core/core.h"
#include "net/httpd.h"
#include "net/loop.h"
#include "util/metrics.h"

struct chat_ops_hooks {
	/* 1 when healthy; why gets a one-line reason either way. */
	int (*healthy)(void *ud, char *why, size_t whysz);
	/* Writes every family into m. */
	void (*metrics)(void *ud, struct metrics *m);
	struct core *core;
	void *ud;
};

/* *out stays NULL when listen is NULL or empty (endpoints off). */
enum sb_rc chat_ops_start(struct httpd **out, struct net_loop *loop, const char *listen,
                          const struct chat_ops_hooks *hooks);

#endif
