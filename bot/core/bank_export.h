/* The bank written out again: as JSON (a stable, documented shape; see
 * docs/bank-format.md) or as normalised Markdown that parses back to the
 * same questions. Both return a new string: free() it. */
#ifndef SB_BANK_EXPORT_H
#define SB_BANK_EXPORT_H

#include "bank.h"

#define BANK_JSON_FORMAT 1

/* topic == NULL: every topic. NULL only if the topic does not exist. */
char *bank_export_json(const struct bank *b, const char *topic);
char *bank_export_markdown(const struct bank *b, const char *topic);

#endif
