#include "core/page.h"

#include <stdlib.h>

#include "core/core_int.h"
#include "store/store.h"

enum sb_rc html_escape(struct buf *out, const char *s)
{
	enum sb_rc rc = SB_OK;
	for (; *s && rc == SB_OK; s++) {
		switch (*s) {
		case '&':
			rc = buf_adds(out, "&amp;");
			break;
		case '<':
			rc = buf_adds(out, "&lt;");
			break;
		case '>':
			rc = buf_adds(out, "&gt;");
			break;
		case '"':
			rc = buf_adds(out, "&quot;");
			break;
		case '\'':
			rc = buf_adds(out, "&#39;");
			break;
		default:
			rc = buf_addc(out, *s);
		}
	}
	return rc;
}

static enum sb_rc board(struct core *c, const struct st_channel *ch, const char *title,
                        const char *period, struct buf *out)
{
	struct st_rank top[10], me;
	size_t n = 0;
	enum sb_rc rc = store_leaderboard(c->st, ch->id, period, "", 10, 0, top, &n, &me);
	if (rc != SB_OK)
		return rc;
	buf_printf(out, "<h3>%s</h3>\n", title);
	if (n == 0)
		return buf_adds(out, "<p>No points yet.</p>\n");
	buf_adds(out, "<ol>\n");
	for (size_t i = 0; i < n; i++) {
		buf_printf(out, "<li value=\"%ld\">", top[i].rank);
		html_escape(out, top[i].name[0] ? top[i].name : "someone");
		buf_printf(out, ": %ld</li>\n", top[i].points);
	}
	return buf_adds(out, "</ol>\n");
}

enum sb_rc core_page_html(struct core *c, int64_t now, struct buf *out)
{
	struct st_channel *chs = NULL;
	size_t n = 0;
	enum sb_rc rc = store_channels(c->st, &chs, &n);
	if (rc != SB_OK)
		return rc;
	buf_adds(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	              "<meta name=\"viewport\" content=\"width=device-width\">"
	              "<title>studybot leaderboards</title>"
	              "<style>body{font-family:sans-serif;max-width:40em;margin:auto;padding:1em}"
	              "section{display:inline-block;vertical-align:top;margin-right:3em}</style>"
	              "</head><body>\n<h1>Leaderboards</h1>\n");
	if (n == 0)
		buf_adds(out, "<p>No study channel is set up yet.</p>\n");
	for (size_t i = 0; i < n && rc == SB_OK; i++) {
		/* A zone that no longer loads: all time is still right. */
		const struct tz *z = core_zone(c, chs[i].timezone);
		char keys[4][16];
		if (z)
			core_period_keys(z, now, keys);
		buf_adds(out, "<h2>");
		html_escape(out, chs[i].name[0] ? chs[i].name : chs[i].ext_id);
		buf_adds(out, "</h2>\n<section>\n");
		rc = z ? board(c, &chs[i], "This week", keys[2], out) : SB_OK;
		if (rc == SB_OK) {
			buf_adds(out, "</section><section>\n");
			rc = board(c, &chs[i], "All time", "all", out);
			buf_adds(out, "</section>\n");
		}
	}
	free(chs);
	if (rc == SB_OK)
		rc = buf_adds(out, "</body></html>\n");
	return rc;
}
