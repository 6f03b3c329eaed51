/*
 * cmd-run.c: keyrite run, the batch frontend.
 *
 * Runs a ceremony script with every human answer taken from an answers
 * file (docs/prompts.md lists the prompt ids, which are the file's keys).
 * For rehearsals, tests and automation; a real ceremony refuses
 * `confirm = yes`, so every confirmation must be written out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/secmem.h"
#include "base/text.h"
#include "ceremony/answers.h"
#include "ceremony/engine.h"
#include "cmd.h"

#define MAX_SETS	64

struct batch {
	struct kr_answers	*answers;
	int			 rehearsal;
	int			 confirm_all;
	char			 progress[160];	/* bytes: what, and the last */
	unsigned int		 decile;	/* tenth printed */
};

static int
missing(const struct batch *b, const struct kr_prompt *p)
{
	return kr_err_set(KR_ERR_ANSWER_MISSING, "%s has no answer for "
	    "prompt '%s' (%s): add a line '%s = ...'",
	    kr_answers_path(b->answers), p->id, p->title ? p->title : "",
	    p->id);
}

/*
 * <step>.card.<k> (recover, retire, destroy) may come from the list
 * <step>.cards = a, b, c.
 */
static int
card_from_list(const struct batch *b, const char *id, char *out,
    size_t outlen)
{
	const char *dot = strstr(id, ".card."), *list;
	char key[64];
	unsigned long k;
	size_t len;

	if (dot == NULL || (size_t)(dot - id) + 7 > sizeof(key))
		return -1;
	snprintf(key, sizeof(key), "%.*s.cards", (int)(dot - id), id);
	if ((list = kr_answers_get(b->answers, key)) == NULL)
		return -1;
	k = strtoul(dot + 6, NULL, 10);
	while (k > 1 && list != NULL) {
		list = strchr(list, ',');
		if (list != NULL)
			list++;
		k--;
	}
	if (list == NULL)
		return -1;
	while (*list == ' ')
		list++;
	len = strcspn(list, ",");
	while (len > 0 && list[len - 1] == ' ')
		len--;
	if (len == 0 || len >= outlen)
		return -1;
	memcpy(out, list, len);
	out[len] = '\0';
	return 0;
}

static int
answer_text(const char *v, struct kr_answer *a)
{
	if ((a->text = strdup(v)) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "answer");
	a->len = strlen(v);
	return 0;
}

static int
batch_ask(void *ctx, const struct kr_prompt *p, struct kr_answer *a)
{
	struct batch *b = ctx;
	const char *v = kr_answers_get(b->answers, p->id);
	char card[128], buf[4 * 128 + 1];
	size_t i;

	/* A person could correct a refused answer; a file cannot. */
	if (p->refused != NULL) {
		unsigned int line = kr_answers_line(b->answers, p->id);

		if (line > 0)
			return kr_err_set(KR_ERR_INVALID_ARGUMENT, "%s line %u: "
			    "the answer to '%s' was refused: %s",
			    kr_answers_path(b->answers), line, p->id,
			    p->refused);
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "prompt '%s' was "
		    "refused: %s", p->id, p->refused);
	}
	switch (p->kind) {
	case KR_PROMPT_INFO:
		return 0;
	case KR_PROMPT_CONFIRM:
		if (v == NULL && b->confirm_all) {
			a->yes = 1;
			return 0;
		}
		if (v == NULL)
			return missing(b, p);
		a->yes = strcmp(v, "yes") == 0 && p->expect == NULL;
		return answer_text(v, a);
	case KR_PROMPT_PIN:
		if (v == NULL && p->card_serial != NULL) {
			char key[64];

			snprintf(key, sizeof(key), "pin.%s", p->card_serial);
			v = kr_answers_get(b->answers, key);
		}
		if (v == NULL)
			return missing(b, p);
		a->len = strlen(v);
		if ((a->text = kr_secmem_alloc(a->len + 1)) == NULL)
			return KR_ERR_SECMEM_MLOCK;
		memcpy(a->text, v, a->len);
		return 0;
	case KR_PROMPT_CARD:
		if (v == NULL && card_from_list(b, p->id, card,
		    sizeof(card)) == 0)
			v = card;
		/* A prompt for one named card (co-signing): that card, or
		 * "skip" when its custodian cannot. */
		if (v != NULL && strcmp(v, "skip") == 0)
			return kr_err_set(KR_ERR_ANSWER_MISSING, "%s: skipped "
			    "(%s line %u)", p->id, kr_answers_path(b->answers),
			    kr_answers_line(b->answers, p->id));
		if (v == NULL && p->card != NULL &&
		    strncmp(p->id, "cosign.", 7) == 0)
			v = p->card;
		if (v == NULL)
			return missing(b, p);
		printf("  card: %s presented for %s\n", kr_printable(v, buf,
		    sizeof(buf)), p->id);
		return answer_text(v, a);
	case KR_PROMPT_CHOICE:
		if (v == NULL)
			return missing(b, p);
		for (i = 0; i < p->nchoices; i++)
			if (strcmp(v, p->choices[i]) == 0) {
				a->choice = i;
				return answer_text(v, a);
			}
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "%s line %u: '%s' "
		    "is not one of the choices", kr_answers_path(b->answers),
		    kr_answers_line(b->answers, p->id), p->id);
	case KR_PROMPT_TEXT:
		if (v == NULL)
			return missing(b, p);
		return answer_text(v, a);
	}
	return kr_err_set(KR_ERR_INTERNAL, "prompt kind %d", (int)p->kind);
}

/* Work counted in bytes (an image hashed): a line every tenth. */
static void
batch_progress(struct batch *b, const struct kr_event *ev)
{
	char text[4 * 160 + 1];
	unsigned int d = ev->total ? (unsigned int)(ev->done * 10 /
	    ev->total) : 10;
	double mib = 1024.0 * 1024.0;

	if (!ev->bytes || ev->text == NULL)
		return;
	if (strcmp(b->progress, ev->text) == 0 && d == b->decile)
		return;
	snprintf(b->progress, sizeof(b->progress), "%s", ev->text);
	b->decile = d;
	kr_printable(ev->text, text, sizeof(text));
	if (ev->total >= 1024 * 1024)
		printf("  progress: %s: %u%% (%.1f of %.1f MiB)\n", text,
		    d * 10, (double)ev->done / mib, (double)ev->total / mib);
	else
		printf("  progress: %s: %u%% (%llu of %llu bytes)\n", text,
		    d * 10, (unsigned long long)ev->done,
		    (unsigned long long)ev->total);
}

static void
batch_event(void *ctx, const struct kr_event *ev)
{
	char text[4 * 1024 + 1];
	size_t i;

	switch (ev->kind) {
	case KR_EVENT_STEP:
		printf("step %zu/%zu [%s] %s\n", ev->step, ev->nsteps,
		    ev->role ? ev->role : "-", ev->verb);
		break;
	case KR_EVENT_NOTICE:
		/* Notices quote names from the answers file and cards. */
		printf("  notice: %s\n", kr_printable(ev->text, text,
		    sizeof(text)));
		break;
	case KR_EVENT_RESULT:
		/* Details are printable already (engine.h). */
		printf("  %s:\n", ev->text ? ev->text : "result");
		for (i = 0; i < ev->ndetails; i++)
			printf("    %s%s%s\n", ev->details[i].key,
			    ev->details[i].key[0] ? ": " : "  ",
			    ev->details[i].value);
		break;
	case KR_EVENT_PROGRESS:
		batch_progress(ctx, ev);
		break;
	case KR_EVENT_RECORD:
	case KR_EVENT_OUTPUT:
		break;
	}
	fflush(stdout);
}

struct run_args {
	struct kr_engine_config	 cfg;
	const char		*sets[MAX_SETS];
	const char		*answers;
};

static int
parse_args(int argc, char **argv, struct run_args *ra)
{
	int i;

	memset(ra, 0, sizeof(*ra));
	ra->cfg.sets = ra->sets;
	if (argc < 2 || argv[1][0] == '-')
		return -1;
	ra->cfg.script_path = argv[1];
	for (i = 2; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(o, "--rehearsal") == 0) {
			ra->cfg.rehearsal = 1;
			continue;
		}
		if (v == NULL)
			return -1;
		i++;
		if (strcmp(o, "--media") == 0 && ra->cfg.nmedia < 8)
			ra->cfg.media_dirs[ra->cfg.nmedia++] = v;
		else if (strcmp(o, "--answers") == 0)
			ra->answers = v;
		else if (strcmp(o, "--module") == 0)
			ra->cfg.module = v;
		else if (strcmp(o, "--target-module") == 0)
			ra->cfg.target_module = v;
		else if (strcmp(o, "--policy") == 0)
			ra->cfg.policy_path = v;
		else if (strcmp(o, "--previous") == 0)
			ra->cfg.previous = v;
		else if (strcmp(o, "--printer") == 0)
			ra->cfg.printer = v;
		else if (strcmp(o, "--set") == 0 && ra->cfg.nsets < MAX_SETS)
			ra->sets[ra->cfg.nsets++] = v;
		else
			return -1;
	}
	return ra->cfg.nmedia > 0 && ra->answers != NULL ? 0 : -1;
}

static int
report(struct kr_engine *e, int r)
{
	const char *t = kr_engine_transcript_path(e);
	char buf[4 * 4096 + 1];
	size_t i;

	for (i = 0; r == 0 && i < kr_engine_outputs(e); i++)
		printf("output: %s\n", kr_printable(kr_engine_output(e, i),
		    buf, sizeof(buf)));
	if (t != NULL)
		printf("transcript: %s%s\n", kr_printable(t, buf, sizeof(buf)),
		    r ? " (unsealed: the ceremony did not complete)" : "");
	return r;
}

static int
cmd_run(int argc, char **argv)
{
	struct run_args ra;
	struct batch b;
	struct kr_frontend fe;
	struct kr_engine *e = NULL;
	int r;

	if (parse_args(argc, argv, &ra) != 0)
		return kr_cmd_usage(&kr_cmd_run_entry);
	memset(&b, 0, sizeof(b));
	b.rehearsal = ra.cfg.rehearsal;
	if ((r = kr_answers_load(ra.answers, &b.answers)) != 0) {
		kr_cmd_perror("run", r);
		return KR_EXIT_FAILURE;
	}
	if (kr_answers_get(b.answers, "confirm") != NULL) {
		if (!b.rehearsal) {
			fprintf(stderr, "keyrite: run: %s line %u: 'confirm = "
			    "yes' is accepted only with --rehearsal; a real "
			    "ceremony needs every confirmation written out\n",
			    ra.answers, kr_answers_line(b.answers, "confirm"));
			kr_answers_free(b.answers);
			return KR_EXIT_USAGE;
		}
		b.confirm_all = strcmp(kr_answers_get(b.answers, "confirm"),
		    "yes") == 0;
	}
	fe.ask = batch_ask;
	fe.event = batch_event;
	fe.ctx = &b;
	/* Nothing irreversible happens before kr_engine_new() succeeds. */
	if ((r = kr_engine_new(&ra.cfg, &fe, &e)) != 0) {
		kr_cmd_perror("run: refused before any work", r);
		kr_answers_free(b.answers);
		return KR_EXIT_REFUSED;
	}
	r = kr_engine_run(e);
	if (r != 0)
		kr_cmd_perror("run", r);
	report(e, r);
	kr_engine_free(e);
	kr_answers_free(b.answers);
	if (r == KR_ERR_AIRGAP_BREACHED)
		return KR_EXIT_AIRGAP;
	return r == 0 ? KR_EXIT_OK : KR_EXIT_FAILURE;
}

const struct kr_cmd_entry kr_cmd_run_entry = {
	.name = "run",
	.args = "SCRIPT --media DIR [--media DIR...] --answers FILE "
	    "[--module PATH] [--target-module PATH] [--rehearsal] "
	    "[--set NAME=VALUE...] [--previous TRANSCRIPT] [--policy FILE] "
	    "[--printer NAME]",
	.summary = "run a ceremony script with answers from a file (batch "
	    "frontend)",
	.flags = KR_CMD_SECRETS,
	.exec = cmd_run,
	.help =
	"Runs the ceremony SCRIPT (ceremony-scripts/*.ceremony, docs/scripts.md)\n"
	"with every answer a person would give taken from an answers file: for\n"
	"rehearsals, tests and automation.  Everything is checked before the\n"
	"first irreversible act (exit 7 if not); outputs are published only\n"
	"when the transcript is sealed.  Steps, notices and each step's result\n"
	"are printed as they happen.  Without --rehearsal the ceremony is real:\n"
	"only the installed, reviewed scripts and hardware cards are accepted.\n"
	"\n"
	"  --media DIR           where outputs and the transcript go; each\n"
	"                        medium gets a copy (up to 8)\n"
	"  --answers FILE        key = value lines, keys the prompt ids of\n"
	"                        docs/prompts.md: operator.name, witness.N.name,\n"
	"                        ceremony.reason, custodian.N.name,\n"
	"                        custodian.N.card, pin.<card>, recover.cards,\n"
	"                        roll-call.confirm, witness.N.fingerprint;\n"
	"                        docs/examples/*.answers are ready ones\n"
	"  --module PATH         the PKCS#11 module for the cards\n"
	"  --target-module PATH  the PKCS#11 module of the HSM a key is\n"
	"                        restored to (key-restore-hsm)\n"
	"  --rehearsal           a rehearsal: any script, virtual cards, and\n"
	"                        'confirm = yes' allowed; recorded as such\n"
	"  --set NAME=VALUE      a script parameter (keyrite checks its type,\n"
	"                        range and the policy)\n"
	"  --previous TRANSCRIPT the ceremony this one follows; its SHA-256 goes\n"
	"                        into this transcript's header\n"
	"  --policy FILE         the policy (default: policy.conf beside SCRIPT)\n"
	"  --printer NAME        the CUPS printer for print-transcript\n"
	"                        (default: CUPS's default printer, if any)\n"
	"\n"
	"Exit status: 0 completed, transcript sealed, outputs published; 1\n"
	"failed or aborted (the transcript says why, unsealed); 4 the air gap\n"
	"was breached during the ceremony; 7 refused before any work; 2 bad\n"
	"command line, or 'confirm = yes' without --rehearsal.\n",
};
