/* HTTP requests on the loop's curl multi handle. Each request owns its
 * easy handle, header list, body copy and response buffers; bodies are
 * capped in the write callback (curl 7.88's CURLOPT_MAXFILESIZE only stops
 * sizes announced up front). */
#include "net/http.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net/net_int.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"

#define MAX_HEADER_BYTES (64 * 1024)

struct net_http {
	struct net_loop *l;
	struct net_http *prev, *next;
	CURL *easy;
	struct curl_slist *headers;
	char *body;
	struct buf resp;
	struct buf hdrs;
	int too_big;
	int in_cb; /* its callback is running: a cancel now is a no-op */
	net_http_done cb;
	void *ud;
	char err[CURL_ERROR_SIZE];
};

static void unlink_req(struct net_http *h)
{
	struct net_http_list *list = net_loop_http(h->l);

	if (h->prev)
		h->prev->next = h->next;
	else
		list->head = h->next;
	if (h->next)
		h->next->prev = h->prev;
	list->n--;
}

static void free_req(struct net_http *h)
{
	unlink_req(h);
	curl_multi_remove_handle(net_loop_multi(h->l), h->easy);
	curl_easy_cleanup(h->easy);
	curl_slist_free_all(h->headers);
	free(h->body);
	buf_free(&h->resp);
	buf_free(&h->hdrs);
	free(h);
}

static size_t write_cb(char *p, size_t size, size_t n, void *ud)
{
	struct net_http *h = ud;

	if (buf_add(&h->resp, p, n) != SB_OK) {
		h->too_big = 1;
		return 0; /* makes curl abort the transfer with CURLE_WRITE_ERROR */
	}
	(void)size; /* always 1 */
	return n;
}

static size_t header_cb(char *p, size_t size, size_t n, void *ud)
{
	struct net_http *h = ud;

	(void)size;
	/* A new status line starts a new response (after 100-continue or a
	 * redirect): only the final one's headers count. */
	if (n >= 5 && memcmp(p, "HTTP/", 5) == 0)
		buf_reset(&h->hdrs);
	if (buf_add(&h->hdrs, p, n) != SB_OK) {
		h->too_big = 1; /* final: asking again gets the same headers */
		return 0;
	}
	return n;
}

const char *net_http_header(const struct net_http_resp *r, const char *name, char *out,
                            size_t outsz)
{
	size_t nl = strlen(name);
	const char *p = r->raw_headers;

	while (p && *p) {
		const char *eol = strchr(p, '\n');
		const char *end = eol ? eol : p + strlen(p);

		if ((size_t)(end - p) > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1;
			size_t len;

			while (v < end && (*v == ' ' || *v == '\t'))
				v++;
			while (end > v && isspace((unsigned char)end[-1]))
				end--;
			len = (size_t)(end - v);
			if (outsz == 0)
				return out;
			if (len >= outsz)
				len = outsz - 1;
			memcpy(out, v, len);
			out[len] = '\0';
			return out;
		}
		p = eol ? eol + 1 : NULL;
	}
	return NULL;
}

struct net_http *net_http_send(struct net_loop *l, const struct net_http_req *req, net_http_done cb,
                               void *ud)
{
	struct net_http *h = xcalloc(1, sizeof *h);
	struct net_http_list *list = net_loop_http(l);
	CURL *e;

	h->l = l;
	h->cb = cb;
	h->ud = ud;
	buf_init(&h->resp, req->max_body ? req->max_body : NET_HTTP_DEFAULT_MAX_BODY);
	buf_init(&h->hdrs, MAX_HEADER_BYTES);
	h->easy = e = curl_easy_init();
	if (!e) {
		buf_free(&h->resp);
		buf_free(&h->hdrs);
		free(h);
		log_error("cannot create an HTTP request", NULL);
		return NULL;
	}
	for (const char *const *hd = req->headers; hd && *hd; hd++)
		h->headers = curl_slist_append(h->headers, *hd);
	/* curl would otherwise send "Expect: 100-continue" on larger bodies
	 * and wait for an answer that APIs do not always give. */
	h->headers = curl_slist_append(h->headers, "Expect:");
	curl_easy_setopt(e, CURLOPT_URL, req->url);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h->headers);
	if (req->body) {
		h->body = xmalloc(req->body_len + 1);
		memcpy(h->body, req->body, req->body_len);
		h->body[req->body_len] = '\0';
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, h->body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
	} else if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "DELETE") != 0) {
		/* PUT/POST/PATCH with no body still need a length of 0. */
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
	}
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, h);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, h->err);
	curl_easy_setopt(e, CURLOPT_PRIVATE, h);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
	                 req->timeout_ms ? req->timeout_ms : (long)NET_HTTP_DEFAULT_TIMEOUT_MS);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	h->next = list->head;
	if (list->head)
		list->head->prev = h;
	list->head = h;
	list->n++;
	if (curl_multi_add_handle(net_loop_multi(l), e) != CURLM_OK) {
		log_error("cannot queue an HTTP request", NULL);
		free_req(h);
		return NULL;
	}
	return h;
}

void net_http_cancel(struct net_http *h)
{
	if (h && !h->in_cb)
		free_req(h);
}

size_t net_http_pending(struct net_loop *l)
{
	return net_loop_http(l)->n;
}

void net_http_cancel_all(struct net_loop *l)
{
	while (net_loop_http(l)->head)
		free_req(net_loop_http(l)->head);
}

static void finish(struct net_http *h, CURLcode rc)
{
	struct net_http_resp r;

	memset(&r, 0, sizeof r);
	curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &r.status);
	r.error = "";
	if (rc != CURLE_OK) {
		r.failed = 1;
		r.too_big = h->too_big;
		r.timed_out = rc == CURLE_OPERATION_TIMEDOUT;
		r.error = h->too_big  ? "response body too large"
		          : h->err[0] ? h->err
		                      : curl_easy_strerror(rc);
		r.status = 0;
	}
	r.body = buf_str(&h->resp);
	r.body_len = h->resp.len;
	r.raw_headers = buf_str(&h->hdrs);
	/* The callback may queue new requests or cancel others; this one is
	 * freed after it returns. */
	h->in_cb = 1;
	if (h->cb)
		h->cb(h->ud, &r);
	free_req(h);
}

void net_http_check_done(struct net_loop *l)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(net_loop_multi(l), &left))) {
		struct net_http *h = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&h);
		if (h)
			finish(h, m->data.result);
	}
}
