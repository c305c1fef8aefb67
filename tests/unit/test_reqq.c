/* The request machinery shared by the HTTP API clients (net/reqq.h): the
 * URL and token checks, backoff bounds, status classes, whole-body JSON,
 * and the queue's order and lifecycle with a fake platform plugged in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/loop.h"
#include "net/reqq.h"
#include "util/log.h"
#include "util/mem.h"

static void urls_and_tokens(void **state)
{
	const char *why = NULL;

	(void)state;
	assert_true(reqq_url_ok("https://slack.com/api", 100, &why));
	assert_true(reqq_url_ok("http://127.0.0.1:8080/api", 100, &why));
	assert_true(reqq_url_ok("http://localhost/api", 100, &why));
	assert_true(reqq_url_ok("http://[::1]:9/x", 100, &why));
	assert_false(reqq_url_ok("http://example.com/api", 100, &why));
	assert_string_equal(why, "plain http:// is allowed only to a loopback host");
	assert_false(reqq_url_ok("http://127.0.0.1.evil.com/", 100, &why));
	assert_false(reqq_url_ok("http://128.0.0.1/", 100, &why));
	assert_false(reqq_url_ok("ftp://x", 100, &why));
	assert_false(reqq_url_ok("https://", 100, &why));
	assert_false(reqq_url_ok("https://a b", 100, &why));
	assert_false(reqq_url_ok("https://slack.com/api", 10, &why));
	assert_string_equal(why, "the URL is too long");

	assert_int_equal(reqq_check("Test", "https://x", 100, "tok"), SB_OK);
	assert_int_equal(reqq_check("Test", NULL, 100, "tok"), SB_ERR_INVALID);
	assert_int_equal(reqq_check("Test", "https://x", 100, ""), SB_ERR_INVALID);
	assert_int_equal(reqq_check("Test", "https://x", 100, "a\r\nb"), SB_ERR_INVALID);
}

static void answers(void **state)
{
	struct net_http_resp r;
	cJSON *j;

	(void)state;
	memset(&r, 0, sizeof r);
	r.status = 503;
	assert_int_equal(reqq_status_class(&r), 5);
	assert_true(reqq_transient(&r));
	r.status = 429;
	assert_int_equal(reqq_status_class(&r), 4);
	assert_false(reqq_transient(&r));
	r.status = 700;
	assert_int_equal(reqq_status_class(&r), 0);
	r.status = 0;
	r.failed = 1;
	assert_int_equal(reqq_status_class(&r), 0);
	assert_true(reqq_transient(&r));
	r.too_big = 1;
	assert_false(reqq_transient(&r));

	j = reqq_json_parse("{\"a\":1}\r\n ", 10);
	assert_non_null(j);
	cJSON_Delete(j);
	assert_null(reqq_json_parse("{\"a\":1} x", 9));
	assert_null(reqq_json_parse("", 0));
	assert_null(reqq_json_parse(NULL, 4));
}

/* --- a fake platform ------------------------------------------------------- */

struct fake_req {
	struct reqq_node n;
	int id;
	int retry; /* goes back to the queue once before it finishes */
};

struct fake {
	struct reqq c;
	int order[16];
	int n_order;
	int refused;
	int free_in_cb; /* id whose callback frees the client */
};

static void fake_node_free(struct reqq_node *n)
{
	free(n);
}

static void fake_deliver(struct reqq_node *n, const void *res)
{
	struct fake *f = (struct fake *)n->c;
	struct fake_req *q = (struct fake_req *)n;

	(void)res;
	f->order[f->n_order++] = q->id;
	if (q->id == f->free_in_cb)
		reqq_free(&f->c);
}

static uint64_t fake_wait(struct reqq *c, struct reqq_node *n, uint64_t now)
{
	(void)c;
	(void)n;
	(void)now;
	return 0;
}

/* Answers at once, without HTTP: what matters here is the queue. */
static int fake_send(struct reqq *c, struct reqq_node *n, uint64_t now)
{
	struct fake_req *q = (struct fake_req *)n;

	(void)now;
	reqq_unlink(&c->queue, n);
	if (q->retry) {
		q->retry = 0;
		n->failures++;
		reqq_requeue(c, n);
		return 0;
	}
	return reqq_finish(n, NULL);
}

static int fake_refuse(struct reqq_node *n)
{
	((struct fake *)n->c)->refused++;
	return reqq_finish(n, NULL);
}

static void fake_answer(struct reqq_node *n, const struct net_http_resp *resp)
{
	(void)n;
	(void)resp;
}

static int freed;

static void fake_free_now(struct reqq *c)
{
	reqq_fini(c);
	freed = 1;
	free(c);
}

static const struct reqq_ops fake_ops = {
    .wait = fake_wait,
    .send = fake_send,
    .refuse = fake_refuse,
    .answer = fake_answer,
    .deliver = fake_deliver,
    .node_free = fake_node_free,
    .free_now = fake_free_now,
};

static void push(struct fake *f, int id, int retry, const char *refused)
{
	struct fake_req *q = xcalloc(1, sizeof *q);

	q->id = id;
	q->retry = retry;
	q->n.refused = refused;
	reqq_push(&f->c, &q->n);
}

static void turns(struct net_loop *l, int n)
{
	for (int i = 0; i < n; i++)
		uv_run(net_loop_uv(l), UV_RUN_NOWAIT);
}

static struct fake *fake_new(struct net_loop *l, const char *base, const char *token)
{
	struct fake *f = xcalloc(1, sizeof *f);

	freed = 0;
	reqq_init(&f->c, l, &fake_ops, base, "Bot", token);
	return f;
}

static void queue_order_and_free_in_callback(void **state)
{
	struct net_loop *l;
	struct fake *f;
	struct reqq_node *mid;

	(void)state;
	assert_int_equal(net_loop_new(&l, NULL), SB_OK);
	f = fake_new(l, "https://x.test///", "secret-token-wxyz");
	assert_string_equal(f->c.base, "https://x.test");
	assert_string_equal(f->c.auth, "Authorization: Bot secret-token-wxyz");
	assert_null(strstr(f->c.token_hint, "secret"));

	/* a request taken out and put back takes its old place */
	push(f, 7, 0, NULL);
	push(f, 8, 0, NULL);
	push(f, 9, 0, NULL);
	mid = f->c.queue.head->next;
	reqq_unlink(&f->c.queue, mid);
	reqq_requeue(&f->c, mid);
	assert_ptr_equal(f->c.queue.head->next, mid);
	assert_int_equal(((struct fake_req *)f->c.queue.tail)->id, 9);
	turns(l, 5);
	assert_int_equal(f->n_order, 3);
	assert_int_equal(f->order[1], 8);
	f->n_order = 0;

	push(f, 1, 1, NULL); /* retried: goes again after 2 and 3 */
	push(f, 2, 0, NULL);
	push(f, 3, 0, "refused");
	assert_int_equal(reqq_pending(&f->c), 3);
	assert_int_equal(f->n_order, 0); /* nothing runs inside push */
	turns(l, 5);
	assert_int_equal(f->n_order, 3);
	assert_int_equal(f->order[0], 2); /* 1 went back to the queue after 2 was sent */
	assert_int_equal(f->order[1], 3);
	assert_int_equal(f->order[2], 1);
	assert_int_equal(f->refused, 1);
	assert_int_equal(reqq_pending(&f->c), 0);

	/* freed from a callback: deferred until it returns, the rest dropped */
	f->free_in_cb = 4;
	push(f, 4, 0, NULL);
	push(f, 5, 0, NULL);
	turns(l, 5);
	assert_int_equal(freed, 1);
	turns(l, 2); /* the timer's close callback */

	/* freed outside any callback: at once, with requests still queued */
	f = fake_new(l, "https://x.test", "t");
	push(f, 6, 0, NULL);
	reqq_free(&f->c);
	assert_int_equal(freed, 1);
	turns(l, 2);
	net_loop_free(l);
}

static void backoff_bounds(void **state)
{
	struct net_loop *l;
	struct fake *f;

	(void)state;
	assert_int_equal(net_loop_new(&l, NULL), SB_OK);
	f = fake_new(l, "https://x.test", "t");
	for (int i = 0; i < 200; i++) {
		uint64_t a = reqq_backoff(&f->c, 500, 1);
		uint64_t c = reqq_backoff(&f->c, 500, 3);
		uint64_t z = reqq_backoff(&f->c, 500, 40);

		assert_true(a >= 500 && a <= 750);
		assert_true(c >= 2000 && c <= 3000);
		assert_true(z >= REQQ_MAX_BACKOFF_MS && z <= REQQ_MAX_BACKOFF_MS * 3 / 2);
	}
	reqq_free(&f->c);
	turns(l, 2);
	net_loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(urls_and_tokens),
	    cmocka_unit_test(answers),
	    cmocka_unit_test(queue_order_and_free_in_callback),
	    cmocka_unit_test(backoff_bounds),
	};

	log_set_stream(tmpfile()); /* refusals are logged; keep the output to results */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
