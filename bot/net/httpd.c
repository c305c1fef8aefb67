/* The HTTP listener: a libwebsockets server vhost on the loop's context (the
 * h1 server role), so its sockets are polled by the same libuv loop as the
 * gateway and curl. A response is built whole in LWS_CALLBACK_HTTP and
 * written in one LWS_CALLBACK_HTTP_WRITEABLE. */
#include "net/httpd.h"

#include <arpa/inet.h>
#include <libwebsockets.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/mem.h"

#define MAX_ROUTES    16
#define TEXT_PLAIN    "text/plain; charset=utf-8"
#define HEADER_ROOM   1024
#define VHOST_NAME    "studybot-http"
#define PROTOCOL_NAME "studybot-http"

struct httpd_route {
	char *path;
	httpd_handler fn;
	void *ud;
};

struct httpd {
	struct lws_vhost *vh;
	struct lws_protocols protocols[2];
	struct httpd_route routes[MAX_ROUTES];
	size_t nroutes;
	int port;
	int closed;   /* httpd_free() ran: the vhost is going, h waits for finalize */
	int creating; /* inside lws_create_vhost(), which finalizes when it fails */
};

/* One per connection, allocated and zeroed by lws; kept across the
 * requests of a keep-alive connection. */
struct httpd_conn {
	unsigned char *out; /* LWS_PRE headroom, then the body */
	size_t len;
};

/* --- the address ----------------------------------------------------------- */

static int port_of(const char *s, int *port)
{
	long v = 0;

	if (!*s || strlen(s) > 5)
		return 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		v = v * 10 + (*p - '0');
	}
	if (v > 65535)
		return 0;
	*port = (int)v;
	return 1;
}

enum sb_rc httpd_parse_listen(const char *spec, char host[HTTPD_HOST_MAX], int *port, char *err,
                              size_t errsz)
{
	char name[HTTPD_HOST_MAX];
	const char *colon;
	size_t n;
	unsigned char addr[16];

	host[0] = '\0';
	*port = 0;
	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');

		n = close ? (size_t)(close - spec - 1) : 0;
		if (!close || close[1] != ':' || n == 0 || n >= sizeof name) {
			snprintf(err, errsz, "'%s': an IPv6 address is written [ADDRESS]:PORT",
			         spec);
			return SB_ERR_INVALID;
		}
		memcpy(name, spec + 1, n);
		name[n] = '\0';
		if (inet_pton(AF_INET6, name, addr) != 1) {
			snprintf(err, errsz, "'%s' is not an IPv6 address", name);
			return SB_ERR_INVALID;
		}
		colon = close + 1;
	} else {
		colon = strrchr(spec, ':');
		n = colon ? (size_t)(colon - spec) : 0;
		if (!colon || n >= sizeof name) {
			snprintf(err, errsz, "'%s' is not HOST:PORT (e.g. 127.0.0.1:8080)", spec);
			return SB_ERR_INVALID;
		}
		memcpy(name, spec, n);
		name[n] = '\0';
		if (strchr(name, ':')) {
			snprintf(err, errsz, "'%s': put an IPv6 address in brackets, [::1]:8080",
			         spec);
			return SB_ERR_INVALID;
		}
		if (strcmp(name, "*") == 0)
			name[0] = '\0';
		else if (strcmp(name, "localhost") == 0)
			snprintf(name, sizeof name, "127.0.0.1");
		if (name[0] && inet_pton(AF_INET, name, addr) != 1) {
			snprintf(
			    err, errsz,
			    "'%s': HOST must be an IP address (127.0.0.1), localhost, or * for "
			    "every interface",
			    spec);
			return SB_ERR_INVALID;
		}
	}
	if (!port_of(colon + 1, port)) {
		snprintf(err, errsz, "'%s': PORT must be a number from 0 to 65535", spec);
		return SB_ERR_INVALID;
	}
	snprintf(host, HTTPD_HOST_MAX, "%s", name);
	return SB_OK;
}

/* --- answering -------------------------------------------------------------- */

static void conn_drop_body(struct httpd_conn *c)
{
	free(c->out);
	c->out = NULL;
	c->len = 0;
}

static int add_headers(struct lws *wsi, int status, const char *type, size_t len, int close,
                       unsigned char *start, unsigned char **p, unsigned char *end)
{
	if (lws_add_http_common_headers(wsi, (unsigned)status, type, (lws_filepos_t)len, p, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
	                                (const unsigned char *)"no-store", 8, p, end))
		return -1;
	if (status == 405 &&
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"allow:",
	                                (const unsigned char *)"GET, HEAD", 9, p, end))
		return -1;
	if (close && lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION,
	                                          (const unsigned char *)"close", 5, p, end))
		return -1;
	return lws_finalize_write_http_header(wsi, start, p, end);
}

/* Writes the status line and headers now and queues the body for the next
 * WRITEABLE. body may be NULL; head: headers only (a HEAD request). */
static int respond(struct lws *wsi, struct httpd_conn *c, int status, const char *type,
                   const char *body, size_t len, int head)
{
	unsigned char hdr[LWS_PRE + HEADER_ROOM];
	unsigned char *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof hdr - 1;

	conn_drop_body(c);
	if (add_headers(wsi, status, type, len, 0, start, &p, end))
		return -1;
	if (!head && len) {
		c->out = xmalloc(LWS_PRE + len);
		memcpy(c->out + LWS_PRE, body, len);
		c->len = len;
	}
	lws_callback_on_writable(wsi);
	return 0;
}

/* Answers a request we will not serve and hangs up, all from inside
 * LWS_CALLBACK_HTTP: a request body may follow, and waiting for it would
 * hand lws the connection's next transaction (the way lws_return_http_status
 * answers). lws flushes what the socket did not take before it closes. */
static int refuse(struct lws *wsi, int status, const char *text, int head)
{
	unsigned char out[LWS_PRE + HEADER_ROOM + 128];
	unsigned char *start = out + LWS_PRE, *p = start, *end = out + sizeof out - 1;
	size_t len = strlen(text);

	if (add_headers(wsi, status, TEXT_PLAIN, len, 1, start, &p, end))
		return -1;
	if (!head && (size_t)(end - p) >= len) {
		memcpy(p, text, len);
		lws_write(wsi, p, len, LWS_WRITE_HTTP_FINAL);
	}
	return -1;
}

static const struct httpd_route *find_route(const struct httpd *h, const char *path)
{
	for (size_t i = 0; i < h->nroutes; i++)
		if (strcmp(h->routes[i].path, path) == 0)
			return &h->routes[i];
	return NULL;
}

/* A request announcing a body: we take none, and leaving it unread would
 * make its bytes look like the next request, so such a connection closes. */
static int has_body(struct lws *wsi)
{
	char cl[32];

	if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0)
		return 1;
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0)
		return 0;
	if (lws_hdr_copy(wsi, cl, sizeof cl, WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0)
		return 1;
	return strcmp(cl, "0") != 0;
}

static int on_request(struct httpd *h, struct lws *wsi, struct httpd_conn *c, const char *path)
{
	int get = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0;
	int head = !get && lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) > 0;
	const struct httpd_route *r;
	struct buf body;
	const char *type = TEXT_PLAIN;
	int status;

	if (!get && !head) {
		log_debug("http request refused", "path=%s status=405", log_q(path));
		return refuse(wsi, 405, "method not allowed: GET or HEAD\n", 0);
	}
	if (has_body(wsi)) {
		log_debug("http request refused", "path=%s status=413", log_q(path));
		return refuse(wsi, 413, "a request body is not accepted here\n", head);
	}
	r = find_route(h, path);
	if (!r) {
		log_debug("http request", "path=%s status=404", log_q(path));
		return respond(wsi, c, 404, TEXT_PLAIN, "not found\n", 10, head);
	}
	buf_init(&body, HTTPD_MAX_BODY);
	status = r->fn(r->ud, &body, &type);
	if (status < 100 || status > 599) {
		log_error("an HTTP handler returned no status", "path=%s status=%d", log_q(path),
		          status);
		status = 500;
	}
	log_debug("http request", "path=%s status=%d bytes=%zu", log_q(path), status, body.len);
	status = respond(wsi, c, status, type ? type : TEXT_PLAIN, buf_str(&body), body.len, head);
	buf_free(&body);
	return status;
}

static int on_writable(struct lws *wsi, struct httpd_conn *c)
{
	if (c->out) {
		int n = lws_write(wsi, c->out + LWS_PRE, c->len, LWS_WRITE_HTTP_FINAL);

		conn_drop_body(c);
		if (n < 0)
			return -1;
	}
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int httpd_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                          size_t len)
{
	struct httpd_conn *c = user;
	struct lws_vhost *vh = lws_get_vhost(wsi);
	struct httpd *h = vh ? lws_vhost_user(vh) : NULL;

	(void)len;
	switch (reason) {
	case LWS_CALLBACK_HTTP:
		if (!h || h->closed || !c)
			return -1;
		return on_request(h, wsi, c, in ? (const char *)in : "/");
	case LWS_CALLBACK_HTTP_BODY:
		return 0; /* refused in LWS_CALLBACK_HTTP; the connection closes */
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (!c)
			return -1;
		return on_writable(wsi, c);
	case LWS_CALLBACK_CLOSED_HTTP:
		if (c)
			conn_drop_body(c);
		return 0;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* --- life ------------------------------------------------------------------ */

static void vhost_finalized(struct lws_vhost *vh, void *arg)
{
	struct httpd *h = arg;

	(void)vh;
	if (!h->creating)
		free(h);
}

/* lws creates a vhost on an address this host does not have and waits for
 * the interface to appear; a listener configured wrong should fail at
 * start instead, so the address is tried first (on port 0: the real port's
 * own errors come from lws's bind). */
static int address_here(const char *host)
{
	struct sockaddr_storage sa;
	socklen_t len;
	int fd, ok;

	memset(&sa, 0, sizeof sa);
	if (strchr(host, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&sa;

		s6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, host, &s6->sin6_addr);
		len = sizeof *s6;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&sa;

		s4->sin_family = AF_INET;
		inet_pton(AF_INET, host, &s4->sin_addr);
		len = sizeof *s4;
	}
	fd = socket(sa.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		return 1; /* let lws try and report */
	ok = bind(fd, (struct sockaddr *)&sa, len) == 0;
	close(fd);
	return ok;
}

enum sb_rc httpd_new(struct httpd **out, struct net_loop *loop, const char *spec)
{
	struct lws_context *ctx = net_loop_lws(loop);
	struct lws_context_creation_info info;
	char host[HTTPD_HOST_MAX], err[160];
	int port;
	struct httpd *h;

	*out = NULL;
	if (httpd_parse_listen(spec, host, &port, err, sizeof err) != SB_OK) {
		log_error("cannot listen for HTTP: [bot] http_listen is not an address", "error=%s",
		          log_q(err));
		return SB_ERR_INVALID;
	}
	if (!ctx) {
		log_error("cannot listen for HTTP: the loop has no libwebsockets context", NULL);
		return SB_ERR_INVALID;
	}
	if (host[0] && !address_here(host)) {
		log_error("cannot listen for HTTP: no interface of this host has that address",
		          "addr=%s fix=%s", log_q(spec),
		          log_q("set [bot] http_listen to an address of this host, e.g. "
		                "127.0.0.1:8080"));
		return SB_ERR_IO;
	}
	h = xcalloc(1, sizeof *h);
	h->protocols[0].name = PROTOCOL_NAME;
	h->protocols[0].callback = httpd_callback;
	h->protocols[0].per_session_data_size = sizeof(struct httpd_conn);
	memset(&info, 0, sizeof info);
	info.vhost_name = VHOST_NAME;
	info.port = port;
	info.iface = host[0] ? host : NULL;
	info.protocols = h->protocols;
	info.user = h;
	info.finalize = vhost_finalized;
	info.finalize_arg = h;
	/* An IPv4 address binds an IPv4 socket, not a v4-mapped IPv6 one. */
	if (host[0] && !strchr(host, ':'))
		info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
	h->creating = 1;
	h->vh = lws_create_vhost(ctx, &info);
	h->creating = 0;
	if (!h->vh) {
		free(h);
		log_error("cannot listen for HTTP (port in use, or below 1024 without the right?)",
		          "addr=%s fix=%s", log_q(spec),
		          log_q("change [bot] http_listen, or leave it empty to turn the "
		                "listener off"));
		return SB_ERR_IO;
	}
	h->port = lws_get_vhost_listen_port(h->vh);
	if (h->port <= 0) {
		log_error("cannot listen for HTTP: no port was bound", "addr=%s", log_q(spec));
		httpd_free(h);
		return SB_ERR_IO;
	}
	if (strchr(host, ':'))
		log_info("http listening", "addr=[%s]:%d", host, h->port);
	else
		log_info("http listening", "addr=%s:%d", host[0] ? host : "*", h->port);
	*out = h;
	return SB_OK;
}

void httpd_route(struct httpd *h, const char *path, httpd_handler fn, void *ud)
{
	struct httpd_route *r = NULL;

	for (size_t i = 0; i < h->nroutes && !r; i++)
		if (strcmp(h->routes[i].path, path) == 0)
			r = &h->routes[i];
	if (!r) {
		if (h->nroutes == MAX_ROUTES) {
			log_error("too many HTTP routes; one is not served", "path=%s",
			          log_q(path));
			return;
		}
		r = &h->routes[h->nroutes++];
		r->path = xstrdup(path);
	}
	r->fn = fn;
	r->ud = ud;
}

int httpd_port(const struct httpd *h)
{
	return h->port;
}

void httpd_free(struct httpd *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->nroutes; i++)
		free(h->routes[i].path);
	h->nroutes = 0;
	h->closed = 1;
	/* On a foreign loop the vhost goes in steps (its listen socket's
	 * handle closes on a later turn); h is freed by the finalize hook,
	 * at the latest when the context is destroyed. */
	lws_vhost_destroy(h->vh);
}
