/* A small HTTP listener on the loop's libwebsockets context (SPEC §3
 * http_listen): GET and HEAD of registered paths, nothing else. It serves
 * operations pages (/healthz, /metrics) from the same thread as everything
 * else, so a handler reads the bot's state without locks.
 *
 * Requests carry no body: any other method is answered 405 and a request
 * with a body 413, both closing the connection; an unknown path is 404.
 * Headers are capped by libwebsockets.
 *
 * Ownership: httpd_new() returns a listener freed with httpd_free(), which
 * must run before the loop is freed. The loop is borrowed. Route paths are
 * copied; their ud is borrowed and must stay valid until httpd_free(). A
 * handler fills a buffer the listener owns; the content type it returns is
 * borrowed (a string literal). */
#ifndef SB_NET_HTTPD_H
#define SB_NET_HTTPD_H

#include <stddef.h>

#include "net/loop.h"
#include "util/buf.h"
#include "util/rc.h"

/* Largest response body a handler may write. */
#define HTTPD_MAX_BODY (1024 * 1024)
#define HTTPD_HOST_MAX 64

struct httpd;

/* Fills body (empty, capped at HTTPD_MAX_BODY) and returns the HTTP status;
 * *content_type starts as "text/plain; charset=utf-8". A handler whose body
 * overflows should return 500. */
typedef int (*httpd_handler)(void *ud, struct buf *body, const char **content_type);

/* Splits an http_listen value: "127.0.0.1:8080", "[::1]:8080", ":8080" or
 * "*:8080" (every interface), "localhost:0" (port 0: the system picks one).
 * host gets the numeric address ("" for every interface). SB_ERR_INVALID,
 * with the reason in err, when it is not such a value. */
enum sb_rc httpd_parse_listen(const char *spec, char host[HTTPD_HOST_MAX], int *port, char *err,
                              size_t errsz);

/* Listens on spec (see httpd_parse_listen) and logs "http listening" with
 * the address actually bound. On failure the reason is logged. */
enum sb_rc httpd_new(struct httpd **out, struct net_loop *loop, const char *spec);
/* Serves GET/HEAD path (exact match; a query string is ignored) with fn.
 * A second route for the same path replaces the first. */
void httpd_route(struct httpd *h, const char *path, httpd_handler fn, void *ud);
/* The port bound (the system's pick when spec said 0). */
int httpd_port(const struct httpd *h);
/* Stops listening and drops open connections; no handler runs after it. */
void httpd_free(struct httpd *h);

#endif
