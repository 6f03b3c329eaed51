/*
 * ui-runner.c: a ceremony run through the TUI, the engine's frontend.
 *
 * kr_ui_ceremony() builds the engine from the Parameters screen's script
 * and edits, gives the PKCS#11 module up (the engine opens its own), and
 * calls kr_engine_run().  From inside it the engine calls:
 *
 *  - ask(): runs the screen for the prompt (card wait, PIN entry,
 *    fingerprint check, or the runner screen's action area for
 *    instructions, names, choices and confirmations) until people answer
 *    or abort.  Answers are checked here before they go back, so that a
 *    slip of the finger (an empty name, a mistyped fingerprint group, the
 *    wrong card picked) is corrected on screen instead of failing the
 *    ceremony.  An abort returns KR_ERR_ABORTED; the engine then wipes
 *    every secret and records "ceremony-aborted".
 *  - event(): updates what the runner screen shows (the step list, the
 *    progress, notices, the last transcript records) and repaints it, and
 *    notes an abort key pressed while the machine works, for the next
 *    prompt.
 *
 * When kr_engine_run() returns, the Summary screen shows the outcome.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "ceremony/lobby.h"
#include "ceremony/script.h"
#include "ui-int.h"

#define FACT_MAX	48	/* bytes of a fact value in the pane */

/* Percent-decodes v (up to len bytes) for reading, keeping controls. */
static size_t
decode_value(const char *v, size_t len, char *out, size_t outlen)
{
	size_t i, o = 0;
	unsigned int b;

	for (i = 0; i < len && o + 4 < outlen; i++) {
		if (v[i] == '%' && i + 2 < len &&
		    sscanf(v + i + 1, "%2x", &b) == 1 && b >= 0x20 &&
		    b != 0x7f) {
			out[o++] = (char)b;
			i += 2;
		} else
			out[o++] = v[i];
	}
	out[o] = '\0';
	return o;
}

/*
 * A transcript record for the pane: "#19 14:05:09 share-written custodian
 * card=custodian-1 ...", chain values left out, values decoded and cut.
 */
static void
tail_text(const char *line, char *out, size_t outlen)
{
	char word[FACT_MAX * 3 + 8], val[FACT_MAX * 3 + 8];
	const char *p = line, *sp, *eq;
	size_t used = 0, len, field = 0;

	out[0] = '\0';
	while (*p != '\0' && *p != '\n' && used + 1 < outlen) {
		sp = p + strcspn(p, " \n");
		len = (size_t)(sp - p);
		if (field == 0)
			used += (size_t)snprintf(out + used, outlen - used,
			    "#%.*s ", (int)len, p);
		else if (field == 1 && len >= 19)
			used += (size_t)snprintf(out + used, outlen - used,
			    "%.8s ", p + 11);
		else if (field >= 4 && (eq = memchr(p, '=', len)) != NULL) {
			if (strncmp(p, "chain=", 6) != 0) {
				size_t klen = (size_t)(eq - p);
				size_t vlen = len - klen - 1;

				decode_value(eq + 1, vlen, val, sizeof(val));
				snprintf(word, sizeof(word), "%.*s=%.*s%s",
				    (int)klen, p, FACT_MAX, val,
				    strlen(val) > FACT_MAX ? "..." : "");
				used += (size_t)snprintf(out + used,
				    outlen - used, " %s", word);
			}
		} else if (field >= 2)
			used += (size_t)snprintf(out + used, outlen - used,
			    "%s%.*s", field == 2 ? "" : " ", (int)len, p);
		if (used >= outlen)
			break;
		field++;
		p = *sp == ' ' ? sp + 1 : sp;
	}
}

/* Reads the transcript and keeps the records not seen yet for the pane. */
static void
tail_update(struct kr_ui *ui, struct kr_run *run)
{
	const char *path = run->engine != NULL ?
	    kr_engine_transcript_path(run->engine) : NULL;
	char *text = NULL, *line, *next;
	size_t len = 0, k = 0;

	if (run->engine == NULL || path == NULL)
		return;
	if (run->transcript[0] == '\0') {
		snprintf(run->transcript, sizeof(run->transcript), "%s", path);
		ui->transcript = run->transcript;
	}
	if (kr_lobby_transcript(path, &text, &len, NULL) != 0)
		return;
	for (line = text; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (*line < '0' || *line > '9')
			continue;
		if (k++ < run->records)
			continue;
		tail_text(line, run->tail[run->ntail % KR_RUN_TAIL],
		    KR_RUN_LINE);
		run->ntail++;
	}
	run->records = k;
	free(text);
}

static void
repaint_working(struct kr_ui *ui)
{
	struct kr_ui_ask idle;

	if (ui->run->in_ask)
		return;
	memset(&idle, 0, sizeof(idle));
	kr_ui_screen_draw(ui, &kr_ui_runner_ops, &idle);
	kr_ui_poll_keys(ui);
}

static void
fact_copy(struct kr_run_fact *f, const struct kr_detail *d)
{
	snprintf(f->key, sizeof(f->key), "%s", d->key);
	snprintf(f->value, sizeof(f->value), "%s", d->value);
	f->flags = d->flags;
}

/*
 * Keeps from a result what the Summary repeats: the facts marked for it,
 * and, whole, how a ceremony that did not commit ended and what it left.
 */
static void
keep_result(struct kr_run *run, const struct kr_event *ev)
{
	size_t i;

	if (ev->id != NULL && strcmp(ev->id, "ceremony.end") == 0) {
		snprintf(run->end_title, sizeof(run->end_title), "%s",
		    ev->text ? ev->text : "");
		for (run->nend = 0; run->nend < ev->ndetails &&
		    run->nend < KR_RUN_FACTS; run->nend++)
			fact_copy(&run->end[run->nend],
			    &ev->details[run->nend]);
		return;
	}
	for (i = 0; i < ev->ndetails && run->nfacts < KR_RUN_FACTS; i++)
		if (ev->details[i].flags & KR_DETAIL_SUMMARY)
			fact_copy(&run->facts[run->nfacts++], &ev->details[i]);
}

static void
fe_event(void *ctx, const struct kr_event *ev)
{
	struct kr_ui *ui = ctx;
	struct kr_run *run = ui->run;

	switch (ev->kind) {
	case KR_EVENT_STEP:
		if (run->step > 0 && run->step <= run->nsteps)
			run->state[run->step - 1] = KR_STEP_DONE;
		run->step = ev->step;
		if (run->step > 0 && run->step <= run->nsteps)
			run->state[run->step - 1] = KR_STEP_CURRENT;
		snprintf(run->say, sizeof(run->say), "%s", ev->text ?
		    ev->text : "");
		snprintf(run->role, sizeof(run->role), "%s", ev->role ?
		    ev->role : "");
		run->progress_on = 0;
		break;
	case KR_EVENT_RECORD:
		tail_update(ui, run);
		break;
	case KR_EVENT_PROGRESS:
		run->progress_on = 1;
		snprintf(run->progress_text, sizeof(run->progress_text), "%s",
		    ev->text ? ev->text : "");
		run->progress_done = ev->done;
		run->progress_total = ev->total;
		run->progress_bytes = ev->bytes;
		break;
	case KR_EVENT_NOTICE:
		snprintf(run->notice, sizeof(run->notice), "Step %zu: %s",
		    run->step, ev->text ? ev->text : "");
		break;
	case KR_EVENT_RESULT:
		keep_result(run, ev);
		break;
	case KR_EVENT_OUTPUT:
		break;
	}
	repaint_working(ui);
}

static int
is_fingerprint(const struct kr_prompt *p)
{
	size_t n = strlen(p->id);

	return p->expect != NULL && n > 12 &&
	    strcmp(p->id + n - 12, ".fingerprint") == 0;
}

/* A witness confirming a release manifest (witness.<j>.release). */
static int
is_release(const struct kr_prompt *p)
{
	size_t n = strlen(p->id);

	return p->expect != NULL && n > 8 &&
	    strcmp(p->id + n - 8, ".release") == 0;
}

/*
 * The screen that asks p: most prompts have one of their own; the rest
 * (instructions, names, choices, yes/no) are the Runner's action area.
 */
static const struct kr_screen_ops *
screen_for(const struct kr_prompt *p)
{
	switch (p->kind) {
	case KR_PROMPT_CARD:
		return &kr_ui_card_ops;
	case KR_PROMPT_PIN:
		return &kr_ui_pin_ops;
	case KR_PROMPT_CONFIRM:
		if (is_fingerprint(p))
			return &kr_ui_fingerprint_ops;
		/* A reshare's roll call: the old roster beside the new. */
		if (strncmp(p->id, "roll-call.", 10) == 0)
			return p->table != NULL ? &kr_ui_roster_ops :
			    &kr_ui_review_ops;
		if (strncmp(p->id, "csr.witness.", 12) == 0 ||
		    strncmp(p->id, "cross.witness.", 14) == 0)
			return &kr_ui_csr_ops;
		if (strcmp(p->id, "crl.confirm") == 0 ||
		    strcmp(p->id, "ocsp.confirm") == 0 ||
		    strcmp(p->id, "target.confirm") == 0)
			return &kr_ui_list_ops;
		if (is_release(p))
			return &kr_ui_release_ops;
		break;
	case KR_PROMPT_INFO:
		/* Facts to read: a key, a roster, a step's result. */
		if (p->ndetails > 0)
			return &kr_ui_result_ops;
		break;
	case KR_PROMPT_TEXT:
		/* Which card a custodian brings: chosen from those present. */
		if (p->cards_present != NULL)
			return &kr_ui_cardpick_ops;
		break;
	case KR_PROMPT_CHOICE:
		break;
	}
	return &kr_ui_runner_ops;
}

static int
ask_abort(struct kr_ui *ui)
{
	struct kr_ui_abort ab;
	int r;

	memset(&ab, 0, sizeof(ab));
	r = kr_ui_screen_run(ui, &kr_ui_abort_ops, &ab);
	return r == KR_SCREEN_ABORT || ab.confirmed;
}

/*
 * Why a prompt stopped: its air-gap watch failed, a signal or a lost
 * terminal, or else the people in the room aborted.
 */
static int
stopped(const struct kr_run *run)
{
	int r;

	if (run->watch_error != 0)
		return kr_err_set(run->watch_error, "%s", run->watch_detail);
	if ((r = kr_ui_stop_error()) != 0)
		return r;
	return KR_ERR_ABORTED;
}

static int
fe_ask(void *ctx, const struct kr_prompt *p, struct kr_answer *a)
{
	struct kr_ui *ui = ctx;
	struct kr_run *run = ui->run;
	const struct kr_screen_ops *ops = &kr_ui_runner_ops;
	struct kr_ui_ask st;
	int r;

	if ((r = kr_ui_stop_error()) != 0)
		return r;
	run->in_ask = 1;
	run->asking = p;
	run->watch_error = 0;
	if (run->abort_pending) {
		run->abort_pending = 0;
		if (ask_abort(ui)) {
			run->in_ask = 0;
			run->asking = NULL;
			return stopped(run);
		}
	}
	memset(&st, 0, sizeof(st));
	st.p = p;
	st.a = a;
	ops = screen_for(p);
	r = kr_ui_screen_run(ui, ops, &st);
	run->in_ask = 0;
	run->asking = NULL;
	if (r == KR_SCREEN_ABORT)
		return stopped(run);
	if (r == KR_SCREEN_DONE && st.no_more)
		return kr_err_set(KR_ERR_ANSWER_MISSING, "the administrator "
		    "said no more cards will be presented");
	if (r == KR_SCREEN_DONE && st.skipped)
		return kr_err_set(KR_ERR_ANSWER_MISSING, "the custodian left "
		    "card %s out", p->card ? p->card : "");
	if (r == KR_SCREEN_DONE) {
		run->notice[0] = '\0';
		repaint_working(ui);
		return 0;
	}
	return r < 0 ? r : KR_ERR_ABORTED;
}

static void
run_init(struct kr_run *run, const struct kr_script *s)
{
	size_t i;

	run->script = s;
	snprintf(run->name, sizeof(run->name), "%s", s->name);
	run->nsteps = s->nsteps < KR_RUN_MAX_STEPS ? s->nsteps :
	    KR_RUN_MAX_STEPS;
	for (i = 0; i < run->nsteps; i++) {
		snprintf(run->verbs[i], sizeof(run->verbs[0]), "%s",
		    s->steps[i].verb);
		snprintf(run->roles[i], sizeof(run->roles[0]), "%s",
		    kr_script_role_name(s->steps[i].role));
	}
}

static void
run_finish(struct kr_ui *ui, struct kr_run *run, int r)
{
	size_t i;

	run->finished = 1;
	run->result = r;
	snprintf(run->detail, sizeof(run->detail), "%s", r ? kr_err_detail() :
	    "");
	for (i = 0; i < run->nsteps; i++)
		if (run->state[i] == KR_STEP_CURRENT)
			run->state[i] = r ? KR_STEP_FAILED : KR_STEP_DONE;
	run->progress_on = 0;
	tail_update(ui, run);
}

int
kr_ui_ceremony(struct kr_ui *ui, struct kr_ui_params *pp)
{
	char sets[KR_SCRIPT_MAX_PARAMS][KR_SCRIPT_MAX_NAME +
	    KR_SCRIPT_MAX_VALUE + 2];
	const char *setp[KR_SCRIPT_MAX_PARAMS];
	struct kr_engine_config cfg;
	struct kr_frontend fe;
	struct kr_run *run;
	size_t i;
	int r;

	if ((run = calloc(1, sizeof(*run))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "ceremony");
	memset(&cfg, 0, sizeof(cfg));
	cfg.script_path = pp->path;
	cfg.policy_path = ui->cfg->policy;
	for (i = 0; i < ui->cfg->nmedia && i < 8; i++)
		cfg.media_dirs[cfg.nmedia++] = ui->cfg->media[i];
	cfg.module = ui->cfg->module;
	cfg.target_module = ui->cfg->target_module;
	cfg.rehearsal = ui->cfg->rehearsal;
	/* The ceremony this one follows, as chosen on Parameters. */
	cfg.previous = pp->previous[0] != '\0' ? pp->previous : NULL;
	cfg.printer = ui->cfg->printer;
	for (i = 0; i < pp->script->nparams && i < KR_SCRIPT_MAX_PARAMS; i++) {
		if (!pp->edited[i])
			continue;
		snprintf(sets[cfg.nsets], sizeof(sets[0]), "%s=%s",
		    pp->script->params[i].name, pp->script->params[i].value);
		setp[cfg.nsets] = sets[cfg.nsets];
		cfg.nsets++;
	}
	cfg.sets = setp;
	fe.ask = fe_ask;
	fe.event = fe_event;
	fe.ctx = ui;
	/* The engine loads the PKCS#11 module itself; one user at a time. */
	kr_lobby_release(ui->lobby);
	/* Up first: preflight may take a while (a release's images). */
	run_init(run, pp->script);
	ui->run = run;
	if ((r = kr_engine_new(&cfg, &fe, &run->engine)) != 0) {
		snprintf(pp->message, sizeof(pp->message), "Not started: %s: "
		    "%s", kr_strerror(r), kr_err_detail());
		ui->run = NULL;
		free(run);
		return 1;
	}
	run->progress_on = 0;
	repaint_working(ui);
	r = kr_engine_run(run->engine);
	run_finish(ui, run, r);
	if (!kr_ui_stopping())
		kr_ui_screen_run(ui, &kr_ui_summary_ops, run);
	/* For the message keyrite leaves when it stops. */
	if (kr_ui_stopping() || r == KR_ERR_AIRGAP_BREACHED)
		snprintf(ui->last_transcript, KR_UI_PATH_MAX, "%s",
		    run->transcript);
	/* A breached air gap ends keyrite, with the reason. */
	if (r == KR_ERR_AIRGAP_BREACHED)
		kr_err_set(r, "%s", run->detail);
	else
		r = 0;
	ui->run = NULL;
	ui->transcript = NULL;
	kr_engine_free(run->engine);
	free(run);
	return r;
}
