/*
 * cmd-clean.c: keyrite clean --media DIR [--media DIR...] [--module PATH]
 *     [--pins FILE] [--ask-pin]
 *
 * Finishes or undoes what interrupted ceremonies left (src/ceremony/
 * clean.h): on every medium given, a staging directory of a ceremony
 * whose transcript is sealed is published, one whose transcript is
 * unsealed is removed, stray temporary files are removed; with cards' PINs,
 * shares written by a ceremony that did not complete are deleted from the
 * cards present.  Every removal is recorded in the failed ceremony's own
 * transcript.  What cannot be judged (its transcript is not on the media
 * given) is left and listed with what to do.
 *
 * Exit codes: 0 when nothing is left to clean, KR_EXIT_FAILURE when
 * something was left or could not be done (the output says what).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/text.h"
#include "card/token.h"
#include "ceremony/answers.h"
#include "ceremony/clean.h"
#include "cmd.h"
#include "host/media.h"

struct clean_opts {
	const char		*media[KR_MEDIA_MAX_DIRS];
	size_t			 nmedia;
	const char		*module;
	struct kr_answers	*pins;
	int			 ask;
};

static void
print_report(const struct kr_clean_report *rep)
{
	char what[4 * 1100], why[4 * 512], dir[4 * 256];
	size_t i;

	for (i = 0; i < rep->n; i++) {
		const struct kr_clean_action *a = &rep->a[i];

		kr_printable(a->what, what, sizeof(what));
		kr_printable(a->why, why, sizeof(why));
		kr_printable(a->dir, dir, sizeof(dir));
		printf("%s%s%s: ceremony %s (%s): %s", dir, dir[0] ? ": " : "",
		    a->done, a->id[0] ? a->id : "?",
		    kr_clean_state_name(a->state), what[0] ? what : "-");
		if (why[0] != '\0')
			printf(": %s", why);
		printf("\n");
	}
}

static int
clean_cards(const struct clean_opts *o, struct kr_clean_report *rep)
{
	struct kr_token_module *m = NULL;
	struct kr_token_info *list = NULL;
	struct kr_token_session *s = NULL;
	char name[KR_TOKEN_NAME_MAX];
	size_t n = 0, i;
	int r, rc = KR_EXIT_OK;

	if ((r = kr_token_module_open(o->module, &m)) != 0 ||
	    (r = kr_token_list(m, &list, &n)) != 0) {
		kr_cmd_perror("clean", r);
		rc = KR_EXIT_FAILURE;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (!list[i].initialized)
			continue;
		kr_token_name(&list[i], name, sizeof(name));
		if ((r = kr_token_open(m, &list[i], &s)) != 0) {
			kr_cmd_perror("clean", r);
			rc = KR_EXIT_FAILURE;
			continue;
		}
		r = kr_cmd_card_login(o->pins, o->ask, s, name, "clean");
		if (r == 0 && (r = kr_clean_card(s, &list[i], o->media,
		    o->nmedia, "keyrite clean", rep)) != 0)
			kr_cmd_perror("clean", r);
		if (r == KR_ERR_NOT_FOUND)
			printf("%s: not opened (no PIN given): any share it "
			    "holds of a failed ceremony stays\n", name);
		else if (r != 0)
			rc = KR_EXIT_FAILURE;
		kr_token_close(s);
		s = NULL;
	}
 out:
	free(list);
	kr_token_module_close(m);
	return rc;
}

static int
cmd_clean(int argc, char **argv)
{
	struct clean_opts o;
	struct kr_clean_report rep;
	const char *pins = NULL;
	int i, r, rc = KR_EXIT_OK;

	memset(&o, 0, sizeof(o));
	memset(&rep, 0, sizeof(rep));
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--media") == 0 && i + 1 < argc &&
		    o.nmedia < KR_MEDIA_MAX_DIRS)
			o.media[o.nmedia++] = argv[++i];
		else if (strcmp(argv[i], "--module") == 0 && i + 1 < argc)
			o.module = argv[++i];
		else if (strcmp(argv[i], "--pins") == 0 && i + 1 < argc)
			pins = argv[++i];
		else if (strcmp(argv[i], "--ask-pin") == 0)
			o.ask = 1;
		else
			return kr_cmd_usage(&kr_cmd_clean_entry);
	}
	if (o.nmedia == 0)
		return kr_cmd_usage(&kr_cmd_clean_entry);
	if (pins != NULL && (r = kr_answers_load(pins, &o.pins)) != 0) {
		kr_cmd_perror("clean", r);
		return KR_EXIT_FAILURE;
	}
	r = kr_clean_media(o.media, o.nmedia, "keyrite clean", &rep);
	if (r != 0 && r != KR_ERR_MEDIA) {
		kr_cmd_perror("clean", r);
		rc = KR_EXIT_FAILURE;
	}
	if (rc == KR_EXIT_OK && (o.pins != NULL || o.ask))
		rc = clean_cards(&o, &rep);
	print_report(&rep);
	if (rep.left > 0)
		rc = KR_EXIT_FAILURE;
	printf("clean: %zu found, %zu left\n", rep.n, rep.left);
	kr_clean_report_free(&rep);
	kr_answers_free(o.pins);
	return rc;
}

const struct kr_cmd_entry kr_cmd_clean_entry = {
	.name = "clean",
	.args = "--media DIR [--media DIR...] [--module PATH] [--pins FILE] "
	    "[--ask-pin]",
	.summary = "finish or undo what interrupted ceremonies left on media "
	    "and cards",
	.flags = KR_CMD_SECRETS,
	.exec = cmd_clean,
	.help =
	"Judges what interrupted ceremonies left by their transcripts, as the\n"
	"commit point says (docs/architecture.md, \"The commit point\"):\n"
	"  - a staging directory (.keyrite-staging-<id>) whose transcript is\n"
	"    sealed is published (the ceremony had completed);\n"
	"  - one whose transcript is intact but unsealed is removed, and so is\n"
	"    a stray .keyrite-tmp-* file;\n"
	"  - with PINs, a share a failed ceremony wrote is deleted from each\n"
	"    card present;\n"
	"each removal is recorded in the failed ceremony's own transcript.\n"
	"What cannot be judged (its transcript not on the media given, or\n"
	"damaged) is left and listed with what to do.  Every ceremony does the\n"
	"same on its media when it starts.\n"
	"\n"
	"  --media DIR    a medium of the failed ceremony; give every one\n"
	"  --module PATH  the PKCS#11 module, for cards\n"
	"  --pins FILE    cards' PINs, pin.<label> = <PIN> (keyrite cards --help)\n"
	"  --ask-pin      ask each card's PIN at the terminal\n"
	"\n"
	"Exit status: 0 nothing left to clean; 1 something was left or could\n"
	"not be done (each is listed); 2 bad command line.\n",
};
