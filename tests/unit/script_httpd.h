/* A scripted HTTP/1.1 server for unit tests, on the test's own libuv loop
 * and a random loopback port, so a client under test (REST, Web API) runs
 * against it in the same thread. The script says, per request path, what
 * to answer: status, headers, body, a delay, no answer at all, or a
 * connection reset. The server records what it got and when, so tests check
 * headers, bodies, order and "not before" times (never upper bounds:
 * machines are noisy).
 *
 * Ownership: the caller owns the struct shd_server (usually a static) and
 * the script's steps, which must outlive the requests they answer. The
 * server allocates each connection and each recorded request's headers and
 * body; shd_stop closes the connections (freed once libuv has closed their
 * handles, so run the loop or free it afterwards) and frees the records. */
#ifndef STUDYBOT_TESTS_SCRIPT_HTTPD_H
#define STUDYBOT_TESTS_SCRIPT_HTTPD_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#define SHD_MAX_SEEN 32
#define SHD_SLACK_MS 2 /* clock rounding between the server's and the loop's ms */

enum shd_what { SHD_ANSWER = 0, SHD_HANG, SHD_RESET };

struct shd_step {
	const char *path; /* request path after the server's prefix, query excluded;
	                     paths outside the prefix as they are; NULL: any */
	int what;         /* SHD_ANSWER, SHD_HANG (never answer), SHD_RESET (close with RST) */
	int status;
	const char *headers; /* extra header lines, each ending in \r\n */
	const char *body;    /* NULL: empty */
	size_t big;          /* > 0: a body of this many 'x' instead */
	unsigned delay_ms;
	int used;
};

struct shd_seen {
	char method[16];
	char path[512];
	char *headers;
	char *body; /* body_len bytes and a NUL; bodies may hold NULs (files) */
	size_t body_len;
	uint64_t at;          /* when it arrived (monotonic ms) */
	uint64_t answered_at; /* when the answer was written; 0 if none */
};

struct shd_conn;

struct shd_server {
	int port;
	struct shd_seen seen[SHD_MAX_SEEN];
	size_t nseen;
	int unscripted; /* requests no step matched */
	/* the rest is the server's own */
	uv_tcp_t listener;
	const char *prefix;
	struct shd_step *steps;
	size_t nsteps;
	struct shd_step fallback;
	struct shd_conn *conns;
};

/* Monotonic milliseconds, the clock of shd_seen's times. */
uint64_t shd_mono_ms(void);

/* Listens on 127.0.0.1, a random port (srv->port), on uv. prefix (borrowed,
 * e.g. "/api/v10") is cut from request paths before they meet the script
 * when a '/' follows it. unscripted_body (borrowed) is the 418 answer's body
 * for a request no step matches. Fails the test if it cannot listen. */
void shd_start(struct shd_server *srv, uv_loop_t *uv, const char *prefix,
               const char *unscripted_body);

/* Stops listening, closes the connections, frees what was recorded. */
void shd_stop(struct shd_server *srv);

/* Replaces the script (borrowed); steps are taken in order, each once. */
void shd_script(struct shd_server *srv, struct shd_step *steps, size_t n);

/* Fails the test unless the request carried this whole header line. */
void shd_assert_header(const struct shd_seen *s, const char *line);

#endif
