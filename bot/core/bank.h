/* The question bank (SPEC §4): a folder of Markdown files, one topic each,
 * parsed with cmark. docs/bank-format.md is the user-facing contract.
 *
 * A struct bank owns everything it holds: strings live in its arena, the
 * arrays are its own; bank_free() releases all of it. Pointers into a bank
 * stay valid until bank_free(). Parsing never stops at the first problem:
 * every violation is added to the caller's diagnostics as FILE:LINE. */
#ifndef SB_BANK_H
#define SB_BANK_H

#include <stdbool.h>
#include <stddef.h>

#include "../util/arena.h"
#include "../util/diag.h"
#include "../util/rc.h"

#define BANK_MAX_FILE_BYTES (1024 * 1024)
#define BANK_MAX_FILES      500
#define BANK_PROMPT_MIN     10
#define BANK_PROMPT_MAX     300
#define BANK_BODY_MAX       3000
#define BANK_ANSWER_MAX     4000
#define BANK_HINTS_MAX      5
#define BANK_HINT_MAX       300
#define BANK_KEYPOINTS_MAX  8
#define BANK_KEYPOINT_MAX   100
#define BANK_CHOICES_MIN    2
#define BANK_CHOICES_MAX    5
#define BANK_CHOICE_MAX     75
#define BANK_TAGS_MAX       8
#define BANK_ID_MIN         3
#define BANK_ID_MAX         64

struct bank_question {
	const char *id;
	const char *topic; /* the topic's slug */
	int difficulty;    /* 1 easy .. 3 hard */
	const char **tags;
	size_t ntags;
	const char *prompt; /* Markdown (inline) */
	const char *body;   /* Markdown, "" when none */
	const char *answer; /* Markdown */
	const char **hints;
	size_t nhints;
	const char **key_points; /* each may hold alternatives separated by " | " */
	size_t nkey_points;
	const char **choices; /* text without the [ ] / [x] box */
	size_t nchoices;
	int correct; /* index into choices; -1 when not multiple-choice */
	const char *file;
	int line;
	char hash[17]; /* 64-bit FNV-1a of the content, hex: tells a changed question */
};

struct bank_topic {
	const char *slug;  /* file name without .md */
	const char *title; /* the # heading */
	const char *intro; /* Markdown between the title and the first question; "" if none */
	const char *file;
	size_t count; /* questions in this topic */
};

struct bank {
	struct arena arena;
	struct bank_topic *topics;
	size_t ntopics;
	struct bank_question *q; /* in file order, topic by topic */
	size_t nq, qcap;
	struct bank_question **by_id; /* sorted by id; built by bank_finish() */
};

void bank_init(struct bank *b);
void bank_free(struct bank *b);

/* Parses one topic file held in memory. path is used in diagnostics and
 * its base name (without .md) is the topic's slug. */
enum sb_rc bank_parse(struct bank *b, const char *path, const char *text, size_t len,
                      struct diags *d);
/* Parses every *.md file of dir in name order, then bank_finish(). */
enum sb_rc bank_load_dir(struct bank *b, const char *dir, struct diags *d);
/* Cross-file checks (unique ids, a non-empty bank) and the id index. */
enum sb_rc bank_finish(struct bank *b, struct diags *d);

/* Borrowed pointers; NULL when absent. bank_find needs bank_finish(). */
const struct bank_question *bank_find(const struct bank *b, const char *id);
const struct bank_topic *bank_topic(const struct bank *b, const char *slug);

#endif
