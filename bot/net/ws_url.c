/* URL splitting on lws_parse_uri(), which cuts a copy in place. */
#include "net/ws_url.h"

#include <libwebsockets.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* 127.x.x.x as a whole dotted quad: "127.evil.example" is a name that
 * anyone can point anywhere, and "127.0.0.256" no address. */
static int is_127(const char *h)
{
	int parts = 0;
	size_t i = 0, n = strlen(h);

	while (i < n) {
		size_t start = i;
		long v = 0;

		while (i < n && h[i] >= '0' && h[i] <= '9' && i - start < 3)
			v = v * 10 + (h[i++] - '0');
		if (i == start || v > 255 || (parts == 0 && v != 127))
			return 0;
		parts++;
		if (i == n)
			break;
		if (h[i] != '.' || parts == 4)
			return 0;
		i++;
		if (i == n)
			return 0;
	}
	return parts == 4;
}

int net_host_is_loopback(const char *host)
{
	return strcasecmp(host, "localhost") == 0 || is_127(host) || strcmp(host, "::1") == 0 ||
	       strcmp(host, "[::1]") == 0;
}

enum sb_rc net_url_split(const char *url, const char *tls_scheme, const char *plain_scheme,
                         struct net_url *out)
{
	char tmp[1280];
	const char *proto, *host, *upath;
	int port;

	memset(out, 0, sizeof *out);
	if (!url || strlen(url) >= sizeof tmp) {
		out->why = "URL missing or too long";
		return SB_ERR_INVALID;
	}
	snprintf(tmp, sizeof tmp, "%s", url);
	if (lws_parse_uri(tmp, &proto, &host, &port, &upath) != 0 || !host[0]) {
		out->why = "URL cannot be parsed";
		return SB_ERR_INVALID;
	}
	out->tls = strcmp(proto, tls_scheme) == 0;
	if (!out->tls && !(strcmp(proto, plain_scheme) == 0 && net_host_is_loopback(host))) {
		out->why = "URL scheme not allowed (the plain one only on loopback)";
		return SB_ERR_INVALID;
	}
	if (strlen(host) >= sizeof out->host || strlen(upath) + 2 > sizeof out->path) {
		out->why = "URL too long";
		return SB_ERR_INVALID;
	}
	snprintf(out->host, sizeof out->host, "%s", host);
	snprintf(out->path, sizeof out->path, "/%s", upath);
	out->port = port;
	return SB_OK;
}
