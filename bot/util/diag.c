#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mem.h"

void diags_init(struct diags *d)
{
	memset(d, 0, sizeof *d);
	d->max = 1000;
}

void diags_free(struct diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].path);
		free(d->v[i].msg);
	}
	free(d->v);
	memset(d, 0, sizeof *d);
}

void diag_add(struct diags *d, const char *path, int line, const char *fmt, ...)
{
	if (d->n >= d->max) {
		d->dropped++;
		return;
	}
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 16;
		d->v = xrealloc(d->v, d->cap * sizeof *d->v);
	}
	struct buf b;
	buf_init(&b, 4096);
	va_list ap;
	va_start(ap, fmt);
	if (buf_vprintf(&b, fmt, ap) != SB_OK) {
		buf_reset(&b);
		buf_adds(&b, "(message too long)");
	}
	va_end(ap);
	d->v[d->n].path = xstrdup(path ? path : "");
	d->v[d->n].line = line;
	d->v[d->n].msg = buf_take(&b);
	d->n++;
}

size_t diags_total(const struct diags *d)
{
	return d->n + d->dropped;
}

static int cmp(const void *a, const void *b)
{
	const struct diag *x = a, *y = b;
	int c = strcmp(x->path, y->path);
	if (c)
		return c;
	return (x->line > y->line) - (x->line < y->line);
}

void diags_sort(struct diags *d)
{
	/* insertion sort: stable, and lists are short */
	for (size_t i = 1; i < d->n; i++) {
		struct diag t = d->v[i];
		size_t j = i;
		while (j > 0 && cmp(&d->v[j - 1], &t) > 0) {
			d->v[j] = d->v[j - 1];
			j--;
		}
		d->v[j] = t;
	}
}

void diags_print(const struct diags *d, FILE *out)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct diag *g = &d->v[i];
		if (g->path[0] && g->line > 0)
			fprintf(out, "%s:%d: %s\n", g->path, g->line, g->msg);
		else if (g->path[0])
			fprintf(out, "%s: %s\n", g->path, g->msg);
		else
			fprintf(out, "%s\n", g->msg);
	}
	if (d->dropped)
		fprintf(out, "(%zu more problems not shown)\n", d->dropped);
}
