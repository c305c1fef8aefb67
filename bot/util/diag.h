/* A list of "FILE:LINE: message" diagnostics. Parsers add to it and keep
 * going, so that one run reports every problem; callers print it once.
 * The list owns copies of everything added; diag_free() releases them. */
#ifndef SB_DIAG_H
#define SB_DIAG_H

#include <stddef.h>
#include <stdio.h>

struct diag {
	char *path; /* may be "" when no file is involved */
	int line;   /* 0 when the problem is about the whole file */
	char *msg;
};

struct diags {
	struct diag *v;
	size_t n, cap;
	size_t max; /* stop recording after this many (a garbage file must not eat memory) */
	size_t dropped;
};

void diags_init(struct diags *d);
void diags_free(struct diags *d);
void diag_add(struct diags *d, const char *path, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5))); /* gcc/clang: checks the format */
/* Problems reported so far, counting those past the cap that were not
 * recorded: compare totals, never d->n, to learn whether something failed. */
size_t diags_total(const struct diags *d);
/* Stable sort by path then line, so output reads top to bottom per file. */
void diags_sort(struct diags *d);
void diags_print(const struct diags *d, FILE *out);

#endif
