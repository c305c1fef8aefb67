#include "csv.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

void csv_init(struct csv *c, struct buf *out, bool guard_formulas)
{
	c->out = out;
	c->col = 0;
	c->guard_formulas = guard_formulas;
}

static bool needs_guard(const char *s, size_t n)
{
	if (n == 0)
		return false;
	switch (s[0]) {
	case '=':
	case '+':
	case '-':
	case '@':
	case '\t':
	case '\r':
		return true;
	default:
		return false;
	}
}

/* The room a field needs is worked out before anything is appended, so that
 * hitting the cap leaves the buffer exactly as it was. */
static bool room_for(const struct buf *b, size_t need)
{
	return b->len <= b->max && need <= b->max - b->len;
}

enum sb_rc csv_fieldn(struct csv *c, const char *s, size_t n)
{
	if (!s) {
		s = "";
		n = 0;
	}
	bool guard = c->guard_formulas && needs_guard(s, n);
	bool quote = n > 0 && (s[0] == ' ' || s[n - 1] == ' ');
	size_t quotes = 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (ch == '"')
			quotes++;
		if (ch == ',' || ch == '"' || ch == '\r' || ch == '\n')
			quote = true;
	}
	size_t sep = c->col > 0;
	/* quotes <= n, so the sum below is at most 2n + 4: keep that from wrapping. */
	if (n > (SIZE_MAX - 4) / 2)
		return SB_ERR_TOOBIG;
	size_t need = sep + guard + (quote ? 2 : 0) + n + quotes;
	if (!room_for(c->out, need))
		return SB_ERR_TOOBIG;

	enum sb_rc rc = SB_OK;
	if (sep)
		rc = buf_addc(c->out, ',');
	if (rc == SB_OK && quote)
		rc = buf_addc(c->out, '"');
	if (rc == SB_OK && guard)
		rc = buf_addc(c->out, '\'');
	size_t start = 0;
	for (size_t i = 0; rc == SB_OK && quote && i < n; i++) {
		if (s[i] != '"')
			continue;
		/* Copy up to and including the quote, then leave it to be copied
		 * again with the next run: that doubles it. */
		rc = buf_add(c->out, s + start, i + 1 - start);
		start = i;
	}
	if (rc == SB_OK)
		rc = buf_add(c->out, s + start, n - start);
	if (rc == SB_OK && quote)
		rc = buf_addc(c->out, '"');
	if (rc == SB_OK)
		c->col++;
	return rc;
}

enum sb_rc csv_field(struct csv *c, const char *s)
{
	return csv_fieldn(c, s, s ? strlen(s) : 0);
}

enum sb_rc csv_int(struct csv *c, long long v)
{
	char num[32];
	int n = snprintf(num, sizeof num, "%s%lld", c->col > 0 ? "," : "", v);
	if (n < 0 || (size_t)n >= sizeof num)
		return SB_ERR_INVALID;
	enum sb_rc rc = buf_add(c->out, num, (size_t)n);
	if (rc == SB_OK)
		c->col++;
	return rc;
}

enum sb_rc csv_end_row(struct csv *c)
{
	enum sb_rc rc = buf_add(c->out, "\r\n", 2);
	if (rc == SB_OK)
		c->col = 0;
	return rc;
}
