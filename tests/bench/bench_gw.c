/* Gateway envelope decoding: the scanner (gw_envelope_decode alone, then
 * with the lookups a dispatch handler does) against building and freeing a
 * whole cJSON tree of the same ~1 KB MESSAGE_CREATE, which is what decoding
 * every dispatch with cJSON would cost. Best of 5 rounds; wall time, so
 * only indicative on a busy machine.
 *   bench_gw [N]   (default 200000 decodes per round) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "discord/gw_payload.h"

static const char message_create[] =
    "{\"t\":\"MESSAGE_CREATE\",\"s\":5,\"op\":0,\"d\":{\"type\":0,\"tts\":false,\"timestamp\":"
    "\"2024-05-14T09:12:45.123000+00:00\",\"referenced_message\":null,\"pinned\":false,"
    "\"nonce\":\"1239876543210987520\",\"mentions\":[],\"mention_roles\":[],"
    "\"mention_everyone\":false,\"member\":{\"roles\":[\"1100000000000000001\"],"
    "\"premium_since\":null,\"pending\":false,\"nick\":null,\"mute\":false,\"joined_at\":"
    "\"2023-01-02T10:00:00.000000+00:00\",\"flags\":0,\"deaf\":false,"
    "\"communication_disabled_until\":null,\"avatar\":null},\"id\":\"1239876543210987521\","
    "\"flags\":0,\"embeds\":[],\"edited_timestamp\":null,\"content\":\"A QuerySet is lazy: "
    "filter() returns a new QuerySet and nothing hits the database until you iterate, slice "
    "with a step, call len() or list(). select_related follows foreign keys with a JOIN; "
    "prefetch_related runs a second query and joins in Python \\u2014 \\\"N+1\\\" is what you "
    "get without them.\",\"components\":[],\"channel_id\":\"1100000000000000002\",\"author\":{"
    "\"username\":\"ada\",\"public_flags\":0,\"id\":\"1100000000000000003\",\"global_name\":"
    "\"Ada L.\",\"discriminator\":\"0\",\"avatar_decoration_data\":null,\"avatar\":"
    "\"a1b2c3d4e5f60718293a4b5c6d7e8f90\"},\"attachments\":[],\"guild_id\":"
    "\"1100000000000000004\"}}";

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static volatile uint64_t sink; /* keeps the work from being optimised away */

static double round_scan(const char *buf, size_t len, long n)
{
	double t0 = now_ns();
	for (long i = 0; i < n; i++) {
		struct gw_envelope e;
		if (gw_envelope_decode(buf, len, &e) != SB_OK)
			abort();
		sink += (uint64_t)e.op + gw_span_id(gw_json_key(e.d, "channel_id"));
	}
	return (now_ns() - t0) / (double)n;
}

/* What a MESSAGE_CREATE handler reads: four fields, one pass. */
static const char *const handler_keys[] = {"channel_id", "author", "content", "guild_id"};

static double round_scan_keys(const char *buf, size_t len, long n)
{
	double t0 = now_ns();
	for (long i = 0; i < n; i++) {
		struct gw_envelope e;
		struct gw_span v[4];
		if (gw_envelope_decode(buf, len, &e) != SB_OK)
			abort();
		sink += gw_json_keys(e.d, handler_keys, v, 4) + gw_span_id(v[0]);
	}
	return (now_ns() - t0) / (double)n;
}

static double round_scan_only(const char *buf, size_t len, long n)
{
	double t0 = now_ns();
	for (long i = 0; i < n; i++) {
		struct gw_envelope e;
		if (gw_envelope_decode(buf, len, &e) != SB_OK)
			abort();
		sink += (uint64_t)e.op + e.d.n;
	}
	return (now_ns() - t0) / (double)n;
}

static double round_cjson(const char *buf, size_t len, long n)
{
	double t0 = now_ns();
	for (long i = 0; i < n; i++) {
		cJSON *root = cJSON_ParseWithLength(buf, len);
		if (!root)
			abort();
		const cJSON *op = cJSON_GetObjectItemCaseSensitive(root, "op");
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "d");
		for (size_t k = 0; k < 4; k++)
			sink += cJSON_GetObjectItemCaseSensitive(d, handler_keys[k]) != NULL;
		sink += (uint64_t)cJSON_IsNumber(op);
		cJSON_Delete(root);
	}
	return (now_ns() - t0) / (double)n;
}

static double best(double (*f)(const char *, size_t, long), const char *buf, size_t len, long n)
{
	double b = 1e300;
	for (int r = 0; r < 5; r++) {
		double t = f(buf, len, n);
		if (t < b)
			b = t;
	}
	return b;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 200000;
	if (n <= 0) {
		fprintf(stderr, "usage: bench_gw [N]\n");
		return 2;
	}
	size_t len = strlen(message_create);
	char *buf = malloc(len); /* not NUL-terminated, like a websocket frame */
	if (!buf)
		return 1;
	memcpy(buf, message_create, len);
	double scan = best(round_scan_only, buf, len, n);
	double scan_key = best(round_scan, buf, len, n);
	double scan_keys = best(round_scan_keys, buf, len, n);
	double cj = best(round_cjson, buf, len, n);
	printf("gateway: MESSAGE_CREATE of %zu bytes, best of 5 rounds of %ld\n", len, n);
	printf("gateway: envelope scan              %8.0f ns/decode (%.2f GB/s)\n", scan,
	       (double)len / scan);
	printf("gateway: envelope scan + 1 key      %8.0f ns/decode\n", scan_key);
	printf("gateway: envelope scan + 4 keys     %8.0f ns/decode (gw_json_keys)\n", scan_keys);
	printf("gateway: cJSON parse + 4 keys + del %8.0f ns/decode\n", cj);
	printf("gateway: cJSON / scan               %8.1fx (envelope), %.1fx (with 4 keys)\n",
	       cj / scan, cj / scan_keys);
	free(buf);
	return 0;
}
