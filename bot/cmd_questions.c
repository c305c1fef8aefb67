/* studybot questions list [--topic T] | show ID | export [--json] [--topic T] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "core/bank_export.h"
#include "util/str.h"

static void print_list(const struct bank *b, const char *topic)
{
	printf("%-36s %-16s %s %s  %s\n", "ID", "TOPIC", "D", "MCQ", "QUESTION");
	for (size_t i = 0; i < b->nq; i++) {
		const struct bank_question *q = &b->q[i];
		if (topic && strcmp(q->topic, topic) != 0)
			continue;
		/* cut long prompts on a character boundary */
		char prompt[80];
		size_t n = strlen(q->prompt);
		if (n >= sizeof prompt - 4) {
			n = sizeof prompt - 4;
			while (n && ((unsigned char)q->prompt[n] & 0xc0) == 0x80)
				n--;
			snprintf(prompt, sizeof prompt, "%.*s...", (int)n, q->prompt);
		} else {
			snprintf(prompt, sizeof prompt, "%s", q->prompt);
		}
		printf("%-36s %-16s %d %-3s  %s\n", q->id, q->topic, q->difficulty,
		       q->correct >= 0 ? "yes" : "", prompt);
	}
}

static void print_items(const char *title, const char *const *v, size_t n, bool boxes, int right)
{
	if (!n)
		return;
	printf("\n%s\n", title);
	for (size_t i = 0; i < n; i++) {
		if (boxes)
			printf("  [%c] %s\n", (int)i == right ? 'x' : ' ', v[i]);
		else
			printf("  - %s\n", v[i]);
	}
}

static void print_show(const struct bank *b, const struct bank_question *q)
{
	const struct bank_topic *t = bank_topic(b, q->topic);
	static const char *const level[] = {"", "easy", "medium", "hard"};
	printf("%s\n", q->prompt);
	printf("id: %s   topic: %s   difficulty: %d (%s)", q->id, t ? t->title : q->topic,
	       q->difficulty, level[q->difficulty]);
	if (q->ntags) {
		printf("   tags: ");
		for (size_t i = 0; i < q->ntags; i++)
			printf("%s%s", i ? ", " : "", q->tags[i]);
	}
	printf("\nsource: %s:%d\n", q->file, q->line);
	if (*q->body)
		printf("\n%s\n", q->body);
	print_items("Choices", q->choices, q->nchoices, true, q->correct);
	printf("\nAnswer\n%s\n", q->answer);
	print_items("Hints", q->hints, q->nhints, false, -1);
	print_items("Key points", q->key_points, q->nkey_points, false, -1);
}

static int exec_questions(int argc, char **argv)
{
	const struct cmd_entry *e = &cmd_questions_entry;
	if (argc < 2)
		return cmd_usage_error(e, "which: list, show or export?");
	const char *sub = argv[1];
	const char *path = NULL, *topic = NULL, *id = NULL;
	bool json = false;
	for (int i = 2; i < argc; i++) {
		bool bad = false;
		if (cmd_config_opt(argc, argv, &i, &path, &bad)) {
			if (bad)
				return cmd_usage_error(e, "-c needs a file");
		} else if (strcmp(argv[i], "--topic") == 0 && i + 1 < argc &&
		           strcmp(sub, "show") != 0) {
			topic = argv[++i];
		} else if (strcmp(argv[i], "--json") == 0 && strcmp(sub, "export") == 0) {
			json = true;
		} else if (strcmp(sub, "show") == 0 && !id && argv[i][0] != '-') {
			id = argv[i];
		} else {
			return cmd_usage_error(e, "unexpected '%s'", argv[i]);
		}
	}
	if (strcmp(sub, "list") != 0 && strcmp(sub, "show") != 0 && strcmp(sub, "export") != 0)
		return cmd_usage_error(e, "unknown subcommand '%s'", sub);
	if (strcmp(sub, "show") == 0 && !id)
		return cmd_usage_error(e, "show needs a question id");

	struct cmd_ctx ctx;
	int rc = EXIT_OK;
	if (!cmd_load(&ctx, path, true)) {
		cmd_print_diags(&ctx);
		fprintf(stderr,
		        "studybot questions: fix these first (studybot check shows them too)\n");
		rc = EXIT_INVALID;
		goto out;
	}
	if (topic && !bank_topic(&ctx.bank, topic)) {
		fprintf(
		    stderr,
		    "studybot questions: no topic '%s' (the topics are the file names in %s/)\n",
		    topic, ctx.cfg.questions);
		rc = EXIT_INVALID;
		goto out;
	}
	if (strcmp(sub, "list") == 0) {
		print_list(&ctx.bank, topic);
	} else if (strcmp(sub, "show") == 0) {
		const struct bank_question *q = bank_find(&ctx.bank, id);
		if (!q) {
			fprintf(stderr,
			        "studybot questions: no question with id '%s' (studybot questions "
			        "list shows them)\n",
			        id);
			rc = EXIT_INVALID;
			goto out;
		}
		print_show(&ctx.bank, q);
	} else {
		char *s = json ? bank_export_json(&ctx.bank, topic)
		               : bank_export_markdown(&ctx.bank, topic);
		fputs(s, stdout);
		if (json)
			fputc('\n', stdout);
		free(s);
	}
out:
	cmd_ctx_free(&ctx);
	return rc;
}

const struct cmd_entry cmd_questions_entry = {
    .name = "questions",
    .usage = "list [--topic T] | show ID | export [--json] [--topic T]  [-c FILE]",
    .summary = "browse the question bank, or write it out as Markdown or JSON",
    .exec = exec_questions,
};
