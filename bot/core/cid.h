/* Custom ids: what a button or form carries back to us (at most 100
 * characters, Discord's limit). They come back from outside, so parsing is
 * strict: a forged or mangled id is refused, never trusted; whether the
 * round or answer it names still exists is the handler's check. */
#ifndef SB_CID_H
#define SB_CID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CID_MAX 100

enum cid_verb {
	CID_ANSWER,      /* "sb1:a:ROUND": open the answer form */
	CID_HINT,        /* "sb1:h:ROUND": show the next hint */
	CID_PICK,        /* "sb1:c:ROUND:N": multiple-choice pick N (0-based) */
	CID_RATE,        /* "sb1:r:ANSWER:STARS": rate an answer 1-5 */
	CID_FORGET,      /* "sb1:x:MEMBER": confirm forget-me */
	CID_SHOW,        /* "sb1:s:QID": practice: show the model answer */
	CID_GRADE,       /* "sb1:g:Q:QID": practice: grade one's recall 0-5 */
	CID_FORM_ANSWER, /* "sb1:fa:ROUND": the answer form */
	CID_FORM_ADD,    /* "sb1:fq": the add-a-question form */
	CID_KEEP,        /* "sb1:xk:MEMBER": cancel forget-me, keep everything */
};

struct cid {
	enum cid_verb verb;
	int64_t num; /* round, answer or member id */
	int arg;     /* choice, stars or grade */
	char qid[65];
};

bool cid_parse(const char *s, struct cid *out);
/* Writes the id for c into out (CID_MAX + 1 bytes). */
void cid_format(const struct cid *c, char *out);

#endif
