/* HTTP requests on the loop's curl multi handle (curl's multi_socket API,
 * driven by uv polls and one uv timer, as curl's docs/examples/multi-uv.c).
 * No blocking call: a request is queued and its callback runs on the loop.
 *
 * Ownership: net_http_send() copies the request (URL, headers, body); the
 * caller's strings may go away at once. The response handed to the
 * callback, body and headers included, is borrowed for the duration of the
 * callback only. A request is freed right after its callback returns, or by
 * net_http_cancel(), after which its callback is never called. */
#ifndef SB_NET_HTTP_H
#define SB_NET_HTTP_H

#include <stddef.h>

#include "net/loop.h"

#define NET_HTTP_DEFAULT_MAX_BODY   (1024 * 1024)
#define NET_HTTP_DEFAULT_TIMEOUT_MS 15000

struct net_http_req {
	const char *method; /* "GET", "POST", "PUT", "PATCH", "DELETE" */
	const char *url;
	const char *const *headers; /* "Name: value" lines, NULL-terminated; may be NULL */
	const char *body;           /* may be NULL */
	size_t body_len;
	size_t max_body; /* response body cap; 0 = NET_HTTP_DEFAULT_MAX_BODY */
	long timeout_ms; /* whole transfer; 0 = NET_HTTP_DEFAULT_TIMEOUT_MS */
};

struct net_http_resp {
	long status;       /* HTTP status; 0 when the transfer failed */
	int failed;        /* the transfer failed: no answer, timeout, reset, body too big */
	int timed_out;     /* failed because of timeout_ms */
	int too_big;       /* the body passed max_body; the transfer was cut */
	const char *error; /* human reason when failed, else "" */
	const char *body;  /* NUL-terminated; "" when empty */
	size_t body_len;
	const char *raw_headers; /* the final response's header lines, "Name: value\r\n"… */
};

/* Case-insensitive look-up of a response header of the final response.
 * Writes the trimmed value to out (cut to outsz) and returns out, or NULL
 * when the header is absent. */
const char *net_http_header(const struct net_http_resp *r, const char *name, char *out,
                            size_t outsz);

typedef void (*net_http_done)(void *ud, const struct net_http_resp *r);
struct net_http;

/* Queues the request. Returns a handle valid until the callback has
 * returned (or net_http_cancel), or NULL when curl refused the request
 * (logged). */
struct net_http *net_http_send(struct net_loop *l, const struct net_http_req *req, net_http_done cb,
                               void *ud);
void net_http_cancel(struct net_http *h);
/* Requests queued or in flight on l. */
size_t net_http_pending(struct net_loop *l);

#endif
