/* What loop.c and http.c share; nothing outside bot/net includes this. */
#ifndef SB_NET_INT_H
#define SB_NET_INT_H

#include <curl/curl.h>

#include "net/loop.h"

/* The requests a loop has queued (kept by http.c, stored in the loop). */
struct net_http;
struct net_http_list {
	struct net_http *head;
	size_t n;
};
struct net_http_list *net_loop_http(struct net_loop *l);

/* The loop's curl multi handle (owned by the loop). */
CURLM *net_loop_multi(struct net_loop *l);
/* Hands finished transfers to their callbacks. */
void net_http_check_done(struct net_loop *l);
/* Cancels every request still queued (at loop teardown). */
void net_http_cancel_all(struct net_loop *l);

#endif
