/* The one event loop (SPEC §9): a libuv loop that libwebsockets runs on as a
 * foreign loop and that drives curl's multi_socket API. One thread; nothing
 * on it blocks. SIGINT and SIGTERM only set a flag and call the stop hook,
 * so the platform can say goodbye before the loop ends.
 *
 * Ownership: net_loop_new() returns a loop freed with net_loop_free(). The
 * protocol array handed to it is borrowed and must outlive the loop. Timers
 * and polls belong to the structs they serve, which close them before they
 * go away (uv_close, then free in the close callback or after the loop has
 * run once more). */
#ifndef SB_NET_LOOP_H
#define SB_NET_LOOP_H

#include <stdint.h>
#include <uv.h>

#include "util/rc.h"

struct lws_context;
struct lws_protocols;
struct net_loop;

/* protocols: the websocket client protocols, ended by a zeroed entry, or
 * NULL for a loop without websockets (tests of the HTTP client). On failure
 * the reason is logged. */
enum sb_rc net_loop_new(struct net_loop **out, const struct lws_protocols *protocols);
/* Stops and releases everything the loop owns; the caller has already closed
 * its own handles. */
void net_loop_free(struct net_loop *l);

uv_loop_t *net_loop_uv(struct net_loop *l);           /* borrowed */
struct lws_context *net_loop_lws(struct net_loop *l); /* borrowed; NULL without protocols */

/* Runs until net_loop_stop(). Returns the code given to net_loop_stop(). */
int net_loop_run(struct net_loop *l);
/* Asks the loop to end with exit code `code` once pending closes are done;
 * the first call's code wins. Safe from any callback. */
void net_loop_stop(struct net_loop *l, int code);
int net_loop_stopping(const struct net_loop *l);

/* Called once when SIGINT/SIGTERM arrives (before the loop is stopped), so
 * the platform can close its connections politely. The hook must end with
 * net_loop_stop(); a second signal stops the loop at once. */
void net_loop_on_signal(struct net_loop *l, void (*hook)(void *ud), void *ud);

/* Monotonic milliseconds, read now (the loop clock is brought up to date,
 * so timers started after it count from the true present). */
uint64_t net_loop_now_ms(struct net_loop *l);

/* Loop lag, for /metrics: how late a timer due every second fires, which is
 * how long some callback held the loop. Measured once net_loop_watch_lag()
 * was called (the probe never keeps the loop alive); seconds, the last
 * probe's and the largest since start (0 before the first probe). */
void net_loop_watch_lag(struct net_loop *l);
void net_loop_lag(const struct net_loop *l, double *last_s, double *max_s);

#endif
