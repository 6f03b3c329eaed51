/*
 * engine.c: the ceremony state machine.
 *
 * kr_engine_new() does everything that can refuse a ceremony before the
 * first irreversible act: parse the script, apply overrides, check the
 * policy (listing every violation) and the certificate subject as the
 * certificate code will, open the media (distinct, writable, with room),
 * finish or undo what interrupted ceremonies left on them, check that
 * every output name is distinct and absent, load the PKCS#11 module, and
 * read and check every input file.
 *
 * kr_engine_run() then opens the staging directories and the transcript
 * and runs the steps in order, one verb function each (engine-common.c,
 * engine-create.c, engine-recover.c).  Outputs are staged, not published.
 * The seal of the transcript is the commit point: only after it are the
 * staged outputs published, and shares count only once it exists
 * (docs/architecture.md, "The commit point").  Every failure, abort or
 * expired recovery window goes through one path: record why, wipe every
 * secret, discard the staged outputs, leave the transcript unsealed.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "base/err.h"
#include "base/hex.h"
#include "base/secmem.h"
#include "base/text.h"
#include "base/version.h"
#include "crypto/selftest.h"
#include "crypto/x509.h"
#include "engine-int.h"
#include "host/media.h"
#include "host/paperproc.h"
#include "record/paper.h"
#include "reviewed.h"

/* --- frontend helpers ---------------------------------------------------- */

void
kr_engine_notice(struct kr_engine *e, const char *fmt, ...)
{
	struct kr_event ev;
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	memset(&ev, 0, sizeof(ev));
	ev.kind = KR_EVENT_NOTICE;
	ev.step = e->step;
	ev.text = text;
	if (e->fe.event != NULL)
		e->fe.event(e->fe.ctx, &ev);
}

static void
progress(struct kr_engine *e, const char *what, uint64_t done, uint64_t total,
    int bytes)
{
	struct kr_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = KR_EVENT_PROGRESS;
	ev.step = e->step;
	ev.text = what;
	ev.done = done;
	ev.total = total;
	ev.bytes = bytes;
	if (e->fe.event != NULL)
		e->fe.event(e->fe.ctx, &ev);
}

void
kr_engine_detail(struct kr_engine_details *ds, unsigned int flags,
    const char *key, const char *fmt, ...)
{
	char raw[2048], *value = NULL, *k = NULL;
	size_t vlen;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	if (ds->n == ds->cap) {
		size_t cap = ds->cap ? 2 * ds->cap : 16;
		struct kr_detail *d = reallocarray(ds->d, cap, sizeof(*d));

		if (d == NULL)
			return;
		ds->d = d;
		ds->cap = cap;
	}
	vlen = 4 * strlen(raw) + 1;
	if ((value = malloc(vlen)) == NULL ||
	    (k = malloc(4 * strlen(key) + 1)) == NULL) {
		free(value);
		return;
	}
	kr_printable(raw, value, vlen);
	kr_printable(key, k, 4 * strlen(key) + 1);
	ds->d[ds->n].key = k;
	ds->d[ds->n].value = value;
	ds->d[ds->n].flags = flags;
	ds->n++;
}

void
kr_engine_details_free(struct kr_engine_details *ds)
{
	size_t i;

	for (i = 0; i < ds->n; i++) {
		free((char *)(uintptr_t)ds->d[i].key);
		free((char *)(uintptr_t)ds->d[i].value);
	}
	free(ds->d);
	memset(ds, 0, sizeof(*ds));
}

static void
result_event(struct kr_engine *e, const char *id, const char *title,
    const struct kr_engine_details *ds)
{
	struct kr_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = KR_EVENT_RESULT;
	ev.step = e->step;
	ev.nsteps = e->script->nsteps;
	ev.id = id;
	ev.text = title;
	ev.details = ds->d;
	ev.ndetails = ds->n;
	if (e->fe.event != NULL)
		e->fe.event(e->fe.ctx, &ev);
}

int
kr_engine_inform(struct kr_engine *e, const char *id, const char *role,
    const char *actor, const char *title, const char *text,
    struct kr_engine_details *ds)
{
	struct kr_prompt p;
	struct kr_answer a;
	int r;

	memset(&p, 0, sizeof(p));
	p.kind = KR_PROMPT_INFO;
	p.id = id;
	p.role = role;
	p.actor = actor;
	p.title = title;
	p.text = text;
	p.details = ds->d;
	p.ndetails = ds->n;
	r = kr_engine_ask(e, &p, &a);
	if (r == 0)
		kr_engine_answer_free(&p, &a);
	kr_engine_details_free(ds);
	return r;
}

int
kr_engine_result(struct kr_engine *e, const char *title,
    struct kr_engine_details *ds)
{
	const struct kr_script_step *st = e->step > 0 ?
	    &e->script->steps[e->step - 1] : NULL;
	char id[48];

	/* Step 0: what a real ceremony runs before the script's steps. */
	if (st == NULL)
		snprintf(id, sizeof(id), "preflight.result");
	else
		snprintf(id, sizeof(id), "step.%zu.result", e->step);
	result_event(e, id, title, ds);
	return kr_engine_inform(e, id, st ? kr_script_role_name(st->role) :
	    "administrator", NULL, title, st ? st->say : NULL, ds);
}

void
kr_engine_progress(struct kr_engine *e, const char *what, uint64_t done,
    uint64_t total)
{
	progress(e, what, done, total, 0);
}

void
kr_engine_progress_bytes(struct kr_engine *e, const char *what,
    uint64_t done, uint64_t total)
{
	progress(e, what, done, total, 1);
}

/*
 * Asks the frontend, with the air gap looked at before and after and, by
 * the frontend, while it waits (kr_prompt.watch).
 */
int
kr_engine_ask(struct kr_engine *e, const struct kr_prompt *p,
    struct kr_answer *a)
{
	struct kr_prompt q = *p;
	char detail[512];
	int r;

	memset(a, 0, sizeof(*a));
	if ((r = kr_engine_watch(e)) != 0 ||
	    (r = kr_engine_check_window(e)) != 0)
		return r;
	if (e->watch != NULL) {
		q.watch = kr_engine_watch_prompt;
		q.watch_ctx = e;
	}
	r = e->fe.ask(e->fe.ctx, &q, a);
	if (r == KR_ERR_ABORTED)
		kr_err_set(r, "aborted at prompt %s", p->id);
	else if (r == KR_ERR_SIGNALLED || r == KR_ERR_TERMINAL_LOST) {
		snprintf(detail, sizeof(detail), "%s", kr_err_detail());
		kr_err_set(r, "%s, at prompt %s", detail, p->id);
	} else if (r == KR_ERR_ANSWER_MISSING && *kr_err_detail() == '\0')
		kr_err_set(r, "no answer for prompt %s", p->id);
	if (r == 0 && ((r = kr_engine_watch(e)) != 0 ||
	    (r = kr_engine_check_window(e)) != 0))
		kr_engine_answer_free(p, a);
	return r;
}

void
kr_engine_answer_free(const struct kr_prompt *p, struct kr_answer *a)
{
	if (a->text != NULL && p->kind == KR_PROMPT_PIN)
		kr_secmem_free(a->text, a->len + 1);
	else
		free(a->text);
	memset(a, 0, sizeof(*a));
}

int
kr_engine_ask_text(struct kr_engine *e, const char *id, const char *role,
    const char *title, const char *text, int required, char *out,
    size_t outlen)
{
	return kr_engine_ask_text_again(e, id, role, title, text, required,
	    NULL, out, outlen);
}

int
kr_engine_ask_text_again(struct kr_engine *e, const char *id,
    const char *role, const char *title, const char *text, int required,
    const char *refused, char *out, size_t outlen)
{
	struct kr_prompt p;

	memset(&p, 0, sizeof(p));
	p.kind = KR_PROMPT_TEXT;
	p.id = id;
	p.role = role;
	p.title = title;
	p.text = text;
	p.optional = !required;
	p.refused = refused;
	return kr_engine_ask_line(e, &p, out, outlen);
}

int
kr_engine_ask_line(struct kr_engine *e, struct kr_prompt *p, char *out,
    size_t outlen)
{
	struct kr_answer a;
	int r;

	p->kind = KR_PROMPT_TEXT;
	p->max_len = outlen - 1;
	if ((r = kr_engine_ask(e, p, &a)) != 0)
		return r;
	if (a.text == NULL || a.len == 0 || a.len >= outlen) {
		free(a.text);
		if (p->optional && (a.text == NULL || a.len == 0)) {
			out[0] = '\0';
			return 0;
		}
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "%s: give 1 to "
		    "%zu characters", p->id, outlen - 1);
	}
	memcpy(out, a.text, a.len + 1);
	free(a.text);
	return 0;
}

int
kr_engine_record(struct kr_engine *e, const char *event, const char *actor,
    const struct kr_fact *facts, size_t n)
{
	struct kr_event ev;
	int r;

	if (e->tr == NULL)
		return 0;
	/*
	 * After the seal (while cards co-sign, or a reshare retires old
	 * shares) the chain is closed: what happens is shown, not recorded;
	 * a missing co-signature gets its line in the signature block.
	 */
	if (kr_transcript_sealed(e->tr)) {
		if (e->rolling_forward)
			kr_engine_notice(e, "(after the seal, not recorded) %s",
			    event);
		return 0;
	}
	if ((r = kr_transcript_append(e->tr, event, actor, facts, n,
	    NULL)) != 0)
		return r;
	memset(&ev, 0, sizeof(ev));
	ev.kind = KR_EVENT_RECORD;
	ev.step = e->step;
	ev.text = event;
	if (e->fe.event != NULL)
		e->fe.event(e->fe.ctx, &ev);
	return 0;
}

/* Lists name first: a copy staged before a failure is discarded too. */
static int
list_staged(struct kr_engine *e, const char *name)
{
	if (e->nstaged == ENGINE_MAX_OUTPUTS)
		return kr_err_set(KR_ERR_INTERNAL, "more than %d outputs",
		    ENGINE_MAX_OUTPUTS);
	snprintf(e->staged[e->nstaged++], sizeof(e->staged[0]), "%s", name);
	return 0;
}

int
kr_engine_output_file(struct kr_engine *e, const char *name,
    const void *data, size_t len, const char *kind)
{
	uint8_t h[32];
	int r;

	if ((r = list_staged(e, name)) != 0 ||
	    (r = kr_media_stage(e->media, name, data, len, h)) != 0)
		return r;
	return kr_engine_output_staged(e, name, h, kind);
}

int
kr_engine_output_stream_begin(struct kr_engine *e, const char *name,
    struct kr_media_stream **sp)
{
	int r;

	*sp = NULL;
	if ((r = list_staged(e, name)) != 0)
		return r;
	return kr_media_stage_stream_begin(e->media, name, sp);
}

int
kr_engine_output_stream_end(struct kr_engine *e, const char *name,
    struct kr_media_stream *s, const char *kind, uint8_t sha256[32])
{
	uint8_t h[32];
	int r;

	if ((r = kr_media_stage_stream_end(s, h)) != 0)
		return r;
	if (sha256 != NULL)
		memcpy(sha256, h, sizeof(h));
	return kr_engine_output_staged(e, name, h, kind);
}

int
kr_engine_output_staged(struct kr_engine *e, const char *name,
    const uint8_t h[32], const char *kind)
{
	char hex[65], copies[16];

	kr_hex_encode(h, 32, hex, sizeof(hex));
	snprintf(copies, sizeof(copies), "%zu", kr_media_count(e->media));
	kr_engine_notice(e, "%s staged on %s medi%s; it is published %s", name,
	    copies, kr_media_count(e->media) == 1 ? "um" : "a",
	    kr_transcript_sealed(e->tr) ? "with the others at the end" :
	    "when the transcript is sealed");
	{
		struct kr_fact f[] = { { "kind", kind }, { "name", name },
		    { "sha256", hex }, { "copies", copies } };

		return kr_engine_record(e, "output-staged", "engine", f, 4);
	}
}

/* After the seal: every medium gets the transcript and the outputs. */
static int
publish(struct kr_engine *e)
{
	struct kr_event ev;
	char *text = NULL;
	size_t len = 0, i, j;
	int r;

	if (kr_media_count(e->media) > 1) {
		if ((r = kr_media_read(e->transcript_path,
		    KR_TRANSCRIPT_FILE_MAX, &text, &len, NULL)) != 0)
			return r;
		for (i = 1; i < kr_media_count(e->media); i++)
			if ((r = kr_media_stage_on(e->media, i,
			    e->transcript_name, text, len, NULL)) != 0)
				break;
		free(text);
		if (r != 0)
			return kr_err_set(r, "%s; the ceremony is complete: run "
			    "keyrite clean with every medium to finish "
			    "publishing", kr_err_detail());
	}
	if ((r = kr_media_publish(e->media)) != 0)
		return r;
	for (i = 0; i < e->nstaged; i++)
		for (j = 0; j < kr_media_count(e->media) &&
		    e->noutputs < ENGINE_MAX_PATHS; j++) {
			kr_media_path(e->media, j, e->staged[i],
			    e->outputs[e->noutputs], sizeof(e->outputs[0]));
			memset(&ev, 0, sizeof(ev));
			ev.kind = KR_EVENT_OUTPUT;
			ev.step = e->step;
			ev.text = e->outputs[e->noutputs++];
			if (e->fe.event != NULL)
				e->fe.event(e->fe.ctx, &ev);
		}
	return 0;
}

/* --- cards --------------------------------------------------------------- */

static struct kr_token_pin_budget *
budget_for(struct kr_engine *e, const char *serial)
{
	size_t i;

	for (i = 0; i < e->nbudgets; i++)
		if (strcmp(e->budgets[i].serial, serial) == 0)
			return &e->budgets[i].budget;
	if (e->nbudgets == sizeof(e->budgets) / sizeof(e->budgets[0]))
		return NULL;
	snprintf(e->budgets[i].serial, sizeof(e->budgets[i].serial), "%s",
	    serial);
	e->budgets[i].budget.limit = e->pclass != NULL &&
	    e->pclass->pin_attempts > 0 ? e->pclass->pin_attempts :
	    KR_TOKEN_PIN_ATTEMPTS;
	e->budgets[i].budget.failed = 0;
	e->nbudgets++;
	return &e->budgets[i].budget;
}

const char *
kr_engine_holder(const struct kr_engine *e, const char *label,
    const char *serial)
{
	size_t i;

	for (i = 0; i < e->ncustodians; i++) {
		const struct kr_engine_custodian *c = &e->custodians[i];

		if (c->card[0] != '\0' && (strcmp(c->card, label) == 0 ||
		    strcmp(c->card, serial) == 0))
			return c->name;
	}
	for (i = 0; e->escrow != NULL && i < e->escrow->n; i++) {
		const struct kr_escrow_custodian *c = &e->escrow->roster[i];

		if ((c->serial[0] != '\0' && strcmp(c->serial, serial) == 0) ||
		    (c->serial[0] == '\0' && strcmp(c->card, label) == 0))
			return c->name;
	}
	return NULL;
}

/*
 * For CARD prompts and the roll call's card labels: the cards present
 * now (no session is open then), with whose each is when known.
 */
int
kr_engine_cards_present(void *ctx, struct kr_card_view *out, size_t max,
    size_t *n)
{
	struct kr_engine *e = ctx;
	struct kr_token_info *list = NULL;
	const char *holder;
	size_t count = 0, i;
	int r;

	*n = 0;
	if (e->mod == NULL && (r = kr_token_module_open(e->cfg.module,
	    &e->mod)) != 0)
		return r;
	if ((r = kr_token_module_reload(e->mod)) != 0 ||
	    (r = kr_token_list(e->mod, &list, &count)) != 0)
		return r;
	for (i = 0; i < count && *n < max; i++) {
		memset(&out[*n], 0, sizeof(out[*n]));
		kr_token_printable(list[i].label, out[*n].label,
		    sizeof(out[*n].label));
		kr_token_printable(list[i].serial, out[*n].serial,
		    sizeof(out[*n].serial));
		if ((holder = kr_engine_holder(e, list[i].label,
		    list[i].serial)) != NULL)
			kr_printable(holder, out[*n].holder,
			    sizeof(out[*n].holder));
		(*n)++;
	}
	free(list);
	return 0;
}

/*
 * Finds the card the person named; modules that see new tokens only after
 * re-initialising (SoftHSM2) get one reload before it counts as absent.
 */
static int
find_card(struct kr_engine *e, const char *which, struct kr_token_info *info)
{
	int r;

	if (which == NULL || *which == '\0')
		return kr_err_set(KR_ERR_TOKEN_NOT_PRESENT, "no card was named: "
		    "insert the card and give its label");
	r = kr_token_find(e->mod, which, info);
	if (r == KR_ERR_TOKEN_NOT_PRESENT && kr_token_module_reload(e->mod) == 0)
		r = kr_token_find(e->mod, which, info);
	return r;
}

/* A real ceremony takes hardware cards only (reviewed.h); recorded. */
static int
check_card(struct kr_engine *e, const struct kr_token_info *info)
{
	char why[1024];
	int r;

	if ((r = kr_reviewed_token_ok(e->policy, info, e->cfg.rehearsal, why,
	    sizeof(why))) == 0)
		return 0;
	{
		struct kr_fact f[] = { { "card", info->label },
		    { "serial", info->serial },
		    { "manufacturer", info->manufacturer },
		    { "model", info->model },
		    { "hw-slot", info->hw_slot ? "yes" : "no" } };

		(void)kr_engine_record(e, "card-refused", "engine", f, 5);
	}
	return kr_err_set(r, "%s", why);
}

int
kr_engine_card_refused(struct kr_engine *e, const struct kr_token_info *info,
    const char *why)
{
	struct kr_fact f[] = { { "card", info->label },
	    { "serial", info->serial }, { "reason", why } };

	return kr_engine_record(e, "card-refused", "engine", f, 3);
}

/* Whether serial is one of the n serials in used. */
static int
serial_in(const char *serial, const char (*used)[17], size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(serial, used[i]) == 0)
			return 1;
	return 0;
}

/*
 * Asks for a card until the wanted one (want may be NULL) is presented;
 * a card whose serial is in used (already presented) is refused like a
 * wrong card, before any PIN is asked.
 */
static int
present_card(struct kr_engine *e, const char *id, const char *actor,
    const char *want, const char (*used)[17], size_t nused,
    struct kr_token_info *info)
{
	struct kr_prompt p;
	struct kr_answer a;
	char text[512], name[128], refused[512] = "";
	int r, tries = 0, wrong = 0;

	if (e->mod == NULL && (r = kr_token_module_open(e->cfg.module,
	    &e->mod)) != 0)
		return r;
	while (tries < ENGINE_CARD_TRIES && wrong < ENGINE_WRONG_CARDS) {
		memset(&p, 0, sizeof(p));
		p.kind = KR_PROMPT_CARD;
		p.id = id;
		p.role = "custodian";
		p.actor = actor;
		p.card = want;
		p.cards_present = kr_engine_cards_present;
		p.cards_ctx = e;
		p.used = used;
		p.nused = nused;
		p.refused = refused[0] ? refused : NULL;
		snprintf(text, sizeof(text), "Custodian%s%s: insert your "
		    "card%s%s and confirm.", actor ? " " : "",
		    actor ? actor : "", want ? " " : "", want ? want : "");
		p.title = "Insert card";
		p.text = text;
		if ((r = kr_engine_ask(e, &p, &a)) != 0)
			return r;
		r = find_card(e, a.text, info);
		free(a.text);
		/*
		 * Any custodian's card will do (a recovery): a card that
		 * cannot be used is out, and the next custodian's is asked
		 * for; only a named custodian's card is asked for again.
		 */
		if (r != 0 && want == NULL)
			return r;
		if (r != 0) {
			snprintf(refused, sizeof(refused), "%s",
			    kr_err_detail());
			kr_engine_notice(e, "%s", refused);
			tries++;
			continue;
		}
		kr_token_name(info, name, sizeof(name));
		if (serial_in(info->serial, used, nused)) {
			(void)kr_engine_card_refused(e, info, "presented already");
			return kr_err_set(KR_ERR_TOKEN_EXISTS, "%s was presented "
			    "already in this step: each card counts once",
			    name);
		}
		/* People correct a wrong card; each one is recorded. */
		if (want != NULL && strcmp(info->label, want) != 0 &&
		    strcmp(info->serial, want) != 0) {
			snprintf(refused, sizeof(refused), "wrong card: %s is "
			    "not %s; take it out and insert %s", name, want,
			    want);
			kr_engine_notice(e, "%s", refused);
			(void)kr_engine_card_refused(e, info, "wrong card");
			wrong++;
			continue;
		}
		return check_card(e, info);
	}
	if (wrong == ENGINE_WRONG_CARDS)
		return kr_err_set(KR_ERR_TOKEN_NOT_PRESENT, "%d wrong cards "
		    "were presented for %s: check the roll call", wrong, want);
	return kr_err_set(KR_ERR_TOKEN_NOT_PRESENT, "%s was not presented "
	    "after %d tries: check that it is in the reader and that its label "
	    "is the one given at the roll call", want, ENGINE_CARD_TRIES);
}

static int
login(struct kr_engine *e, struct kr_token_session *s,
    const struct kr_token_info *info, const char *actor, int may_skip)
{
	struct kr_token_pin_budget *b;
	struct kr_prompt p;
	struct kr_answer a;
	char id[128], text[512], name[128];
	int r;

	kr_token_name(info, name, sizeof(name));
	if ((b = budget_for(e, info->serial)) == NULL)
		return kr_err_set(KR_ERR_INTERNAL, "too many cards");
	snprintf(id, sizeof(id), "pin.%s", info->label);
	for (;;) {
		const struct kr_token_info *now = kr_token_session_info(s);

		memset(&p, 0, sizeof(p));
		p.kind = KR_PROMPT_PIN;
		p.id = id;
		p.role = "custodian";
		p.actor = actor;
		p.card = info->label;
		p.card_serial = info->serial;
		p.attempts_left = b->failed < b->limit ? b->limit - b->failed :
		    0;
		p.final_try = now != NULL && now->pin_final_try;
		p.may_skip = may_skip;
		snprintf(text, sizeof(text), "%s%s: type the PIN of %s.%s",
		    actor ? "Custodian " : "Custodian", actor ? actor : "",
		    name, p.final_try ? " WARNING: the card says this is the "
		    "LAST try before it locks for good." : "");
		p.title = "PIN";
		p.text = text;
		if ((r = kr_engine_ask(e, &p, &a)) != 0)
			return r;
		r = kr_token_login(s, a.text ? a.text : "", a.len, b);
		kr_engine_answer_free(&p, &a);
		if (r == 0)
			return 0;
		if (r != KR_ERR_TOKEN_PIN_INCORRECT)
			return r;
		{
			struct kr_fact f[] = { { "card", info->label },
			    { "serial", info->serial } };

			if ((r = kr_engine_record(e, "pin-rejected",
			    "custodian", f, 2)) != 0)
				return r;
		}
		if (b->failed >= b->limit)
			return kr_err_set(KR_ERR_TOKEN_ATTEMPTS, "%s: %u wrong "
			    "PINs, as many as keyrite allows on one card in one "
			    "ceremony; the card is not used again in this "
			    "ceremony", name, b->failed);
		kr_engine_notice(e, "%s", kr_err_detail());
	}
}

int
kr_engine_card(struct kr_engine *e, const char *id, const char *actor,
    const char *want, const char (*used)[17], size_t nused,
    struct kr_token_session **sp, struct kr_token_info *info)
{
	struct kr_token_session *s = NULL;
	int r;

	*sp = NULL;
	if ((r = present_card(e, id, actor, want, used, nused, info)) != 0)
		return r;
	if ((r = kr_token_open(e->mod, info, &s)) != 0)
		return r;
	/* Any custodian's card: its holder, from the package's roster. */
	if (actor == NULL)
		actor = kr_engine_holder(e, info->label, info->serial);
	if ((r = login(e, s, info, actor, want == NULL)) != 0) {
		kr_token_close(s);
		/* No PIN for this card (skipped): the card is out, not all. */
		if (r == KR_ERR_ANSWER_MISSING) {
			char name[KR_TOKEN_NAME_MAX];

			kr_token_name(info, name, sizeof(name));
			r = kr_err_set(KR_ERR_TOKEN_NOT_LOGGED_IN, "no PIN was "
			    "given for %s: the card is skipped", name);
		}
		return r;
	}
	*sp = s;
	return 0;
}

/* --- secrets, windows ---------------------------------------------------- */

void
kr_engine_wipe_kek(struct kr_engine *e)
{
	kr_secmem_free(e->kek, KR_KEK_BYTES);
	e->kek = NULL;
	kr_secmem_free(e->shares, e->shareslen);
	e->shares = NULL;
	e->shareslen = 0;
}

void
kr_engine_wipe_secrets(struct kr_engine *e)
{
	EVP_PKEY_free(e->key);
	e->key = NULL;
	kr_secmem_free(e->symkey, e->symkey_len);
	e->symkey = NULL;
	e->symkey_len = 0;
	kr_engine_wipe_kek(e);
	e->key_deadline = 0;
}

time_t
kr_engine_now(const struct kr_engine *e)
{
	return e->cfg.clock != NULL ? e->cfg.clock() : time(NULL);
}

int
kr_engine_check_window(struct kr_engine *e)
{
	char mins[16];

	if (e->key_deadline == 0 || kr_engine_now(e) <= e->key_deadline)
		return 0;
	kr_engine_wipe_secrets(e);
	e->abort_reason = "recovery-window-expired";
	snprintf(mins, sizeof(mins), "%u", e->pclass ?
	    e->pclass->recovery_window_minutes : 0);
	{
		struct kr_fact f[] = { { "minutes", mins } };

		(void)kr_engine_record(e, "recovery-window-expired", "engine",
		    f, 1);
	}
	return kr_err_set(KR_ERR_ABORTED, "the recovery window of %s minutes "
	    "expired; the recovered key was wiped", mins);
}

/* --- creating the engine ------------------------------------------------- */

static int
policy_path(const struct kr_engine_config *cfg, char *out, size_t outlen)
{
	const char *slash;

	if (cfg->policy_path != NULL) {
		snprintf(out, outlen, "%s", cfg->policy_path);
		return 0;
	}
	slash = strrchr(cfg->script_path, '/');
	if (slash == NULL)
		snprintf(out, outlen, "policy.conf");
	else
		snprintf(out, outlen, "%.*s/policy.conf",
		    (int)(slash - cfg->script_path), cfg->script_path);
	return 0;
}

static int
apply_sets(struct kr_engine *e)
{
	char name[128];
	const char *eq;
	size_t i;
	int r;

	for (i = 0; i < e->cfg.nsets; i++) {
		if ((eq = strchr(e->cfg.sets[i], '=')) == NULL ||
		    (size_t)(eq - e->cfg.sets[i]) >= sizeof(name))
			return kr_err_set(KR_ERR_INVALID_ARGUMENT, "--set %s: "
			    "write NAME=VALUE", e->cfg.sets[i]);
		snprintf(name, sizeof(name), "%.*s",
		    (int)(eq - e->cfg.sets[i]), e->cfg.sets[i]);
		if ((r = kr_script_set_param(e->script, name, eq + 1)) != 0)
			return r;
	}
	return kr_script_resolve(e->script);
}

static int	uses_verb(const struct kr_script *, const char *);

static int
check_policy(struct kr_engine *e)
{
	struct kr_policy_request req;
	char **v = NULL, msg[4096];
	size_t n = 0, i, used = 0;
	int r;

	memset(&req, 0, sizeof(req));
	kr_script_policy_request(e->script, &req);
	if (e->key_class == NULL)
		e->key_class = kr_engine_import_class(e->script) != NULL ?
		    kr_engine_import_class(e->script) : e->script->key_class;
	req.key_class = e->key_class;
	if ((e->pclass = kr_policy_class(e->policy, e->key_class)) == NULL)
		return kr_err_set(KR_ERR_POLICY_VIOLATION, "%s: key class '%s' "
		    "is not in the policy %s", e->script->source,
		    e->key_class, e->policy->source);
	/*
	 * An import is checked once the key file is read (its algorithm), a
	 * ceremony on a package once the package is (its key class).
	 */
	if (uses_verb(e->script, "import-key") ||
	    (uses_verb(e->script, "load-escrow") && e->escrow == NULL))
		return 0;
	if ((r = kr_policy_check(e->policy, &req, &v, &n)) == 0)
		return 0;
	msg[0] = '\0';
	for (i = 0; i < n && used < sizeof(msg); i++)
		used += (size_t)snprintf(msg + used, sizeof(msg) - used,
		    "\n  - %s", v[i]);
	kr_policy_violations_free(v, n);
	return kr_err_set(r, "%s refused by policy %s (%zu reason%s):%s",
	    e->script->name, e->policy->name, n, n == 1 ? "" : "s", msg);
}

static int	uses_verb(const struct kr_script *, const char *);

/* The most bytes a step's output may take, for the free-space check. */
static uint64_t
output_estimate(const char *verb)
{
	if (strcmp(verb, "write-certificate") == 0)
		return 64u << 10;
	if (strcmp(verb, "write-escrow") == 0)
		return 256u << 10;
	if (strcmp(verb, "check-card") == 0)
		return 0;
	return 1u << 20;
}

/*
 * Every file the steps will write has a name of its own, none exists on
 * any medium, and every medium has room for all of them, the transcript
 * and its seal.
 */
static int
check_outputs(struct kr_engine *e)
{
	const char *names[ENGINE_MAX_OUTPUTS];
	size_t steps[ENGINE_MAX_OUTPUTS];
	uint64_t need = ENGINE_TRANSCRIPT_RESERVE;
	size_t i, j, n = 0;
	int r;

	for (i = 0; i < e->script->nsteps; i++) {
		const struct kr_script_step *st = &e->script->steps[i];
		const char *name = kr_script_arg(st, "name");

		if (strncmp(st->verb, "write-", 6) != 0 || name == NULL)
			continue;
		if (n == ENGINE_MAX_OUTPUTS - 1)
			return kr_err_set(KR_ERR_SCRIPT_SYNTAX, "%s: more than "
			    "%d outputs", e->script->source,
			    ENGINE_MAX_OUTPUTS - 1);
		if (!kr_media_name_ok(name))
			return kr_err_set(KR_ERR_SCRIPT_PARAM, "%s:%zu: step %zu "
			    "(%s) names its output '%s': give a plain file "
			    "name of letters, digits, '.', '_' and '-'",
			    e->script->source, st->line, i + 1, st->verb, name);
		for (j = 0; j < n; j++)
			if (strcmp(names[j], name) == 0)
				return kr_err_set(KR_ERR_SCRIPT_PARAM, "%s: step "
				    "%zu (%s) and step %zu (%s) would both write "
				    "%s: give each output a name of its own "
				    "(--set)", e->script->source, steps[j] + 1,
				    e->script->steps[steps[j]].verb, i + 1,
				    st->verb, name);
		steps[n] = i;
		names[n++] = name;
		need += output_estimate(st->verb);
	}
	for (i = 0; i < e->nplanned; i++) {
		for (j = 0; j < n; j++)
			if (strcmp(names[j], e->planned[i]) == 0)
				return kr_err_set(KR_ERR_SCRIPT_PARAM, "%s: "
				    "two outputs would be called %s: give "
				    "each a name of its own (--set)",
				    e->script->source, e->planned[i]);
		if (n == ENGINE_MAX_OUTPUTS - 1)
			return kr_err_set(KR_ERR_SCRIPT_SYNTAX, "%s: more than "
			    "%d outputs", e->script->source,
			    ENGINE_MAX_OUTPUTS - 1);
		names[n++] = e->planned[i];
		need += e->planned_size[i];
	}
	/* The paper record: the PDF (about 60 KiB a page) and its log. */
	if (uses_verb(e->script, "print-transcript"))
		need += ENGINE_PAPER_RESERVE;
	i = n;
	if ((r = kr_engine_release_outputs(e, names, ENGINE_MAX_OUTPUTS - 1,
	    &n, &need)) != 0)
		return r;
	for (; i < n; i++)
		for (j = 0; j < i; j++)
			if (strcmp(names[j], names[i]) == 0)
				return kr_err_set(KR_ERR_SCRIPT_PARAM, "%s: two "
				    "outputs would be called %s: give the "
				    "release record another name (--set)",
				    e->script->source, names[i]);
	for (j = 0; j < n; j++)
		if (strcmp(names[j], e->transcript_name) == 0)
			return kr_err_set(KR_ERR_SCRIPT_PARAM, "%s: an output "
			    "may not be called %s, the transcript's name",
			    e->script->source, names[j]);
	names[n++] = e->transcript_name;
	if ((r = kr_media_check_absent(e->media, names, n)) != 0)
		return r;
	return kr_media_check_space(e->media, need);
}

/*
 * The paper size of a print-transcript step, known before the seal; and
 * the paper helper that will render it (host/paperproc.h), found now: a
 * ceremony must not reach its seal to learn it cannot make its paper
 * record.
 */
static int
check_paper(struct kr_engine *e)
{
	enum kr_paper_size size;
	char helper[PATH_MAX];
	size_t i;
	int r;

	for (i = 0; i < e->script->nsteps; i++) {
		const struct kr_script_step *st = &e->script->steps[i];
		const char *paper = kr_script_arg(st, "paper");

		if (strcmp(st->verb, "print-transcript") != 0)
			continue;
		if (paper != NULL && kr_paper_size_parse(paper, &size) != 0)
			return kr_err_set(KR_ERR_SCRIPT_PARAM, "%s:%zu: step %zu "
			    "(print-transcript): paper '%s': give a4 or letter",
			    e->script->source, st->line, i + 1, paper);
		if ((r = kr_paperproc_find(helper, sizeof(helper))) != 0)
			return kr_err_set(r, "%s:%zu: step %zu "
			    "(print-transcript): %s", e->script->source,
			    st->line, i + 1, kr_err_detail());
	}
	return 0;
}

/* Each self-sign subject, checked now exactly as the certificate will be. */
static int
check_subjects(struct kr_engine *e)
{
	X509_NAME *name = NULL;
	size_t i;
	int r;

	for (i = 0; i < e->script->nsteps; i++) {
		const struct kr_script_step *st = &e->script->steps[i];
		const char *subject = kr_script_arg(st, "subject");

		if (strcmp(st->verb, "self-sign") != 0 || subject == NULL)
			continue;
		r = kr_x509_subject_parse(subject, e->cfg.rehearsal, &name);
		X509_NAME_free(name);
		name = NULL;
		if (r != 0)
			return kr_err_set(r, "%s:%zu: step %zu (self-sign): "
			    "subject \"%s\": %s", e->script->source, st->line,
			    i + 1, subject, kr_err_detail());
	}
	return 0;
}

/*
 * Arguments that take one of a few words: self-sign profile= and
 * show-fingerprint of=, refused now with the words they take.
 */
static int
check_words(struct kr_engine *e)
{
	static const struct {
		const char	*verb, *arg, *w1, *w2;
	} words[] = {
		{ "self-sign", "profile", "root-ca", "code-signing" },
		{ "show-fingerprint", "of", "certificate", "key" },
	};
	const struct kr_script_step *st;
	const char *v;
	size_t i, k;

	for (i = 0; i < e->script->nsteps; i++) {
		st = &e->script->steps[i];
		for (k = 0; k < sizeof(words) / sizeof(words[0]); k++) {
			if (strcmp(st->verb, words[k].verb) != 0 ||
			    (v = kr_script_arg(st, words[k].arg)) == NULL ||
			    strcmp(v, words[k].w1) == 0 ||
			    strcmp(v, words[k].w2) == 0)
				continue;
			return kr_err_set(KR_ERR_SCRIPT_PARAM, "%s:%zu: step %zu "
			    "(%s): %s=%s: write %s=%s or %s=%s",
			    e->script->source, st->line, i + 1, st->verb,
			    words[k].arg, v, words[k].arg, words[k].w1,
			    words[k].arg, words[k].w2);
		}
	}
	return 0;
}

static int
uses_verb(const struct kr_script *s, const char *verb)
{
	size_t i;

	for (i = 0; i < s->nsteps; i++)
		if (strcmp(s->steps[i].verb, verb) == 0)
			return 1;
	return 0;
}

/* The module is loaded now: a wrong path is found before any key exists. */
static int
open_module(struct kr_engine *e)
{
	if (!uses_verb(e->script, "write-shares") &&
	    !uses_verb(e->script, "recover") &&
	    !uses_verb(e->script, "check-card"))
		return 0;
	return kr_token_module_open(e->cfg.module, &e->mod);
}

/*
 * What the script does with a loaded key, for the cryptoperiod check:
 * signing new things is refused after the cryptoperiod, a CRL and the
 * key's maintenance are not (docs/policy.md, "Rotation").  Verbs that
 * sign belong in this table.
 */
static enum kr_engine_use
script_use(const struct kr_script *s)
{
	static const struct {
		const char		*verb;
		enum kr_engine_use	 use;
	} uses[] = {
		{ "sign-csr", KR_ENGINE_USE_SIGN },
		{ "sign-release", KR_ENGINE_USE_SIGN },
		{ "cross-sign", KR_ENGINE_USE_SIGN },
		{ "restore-key", KR_ENGINE_USE_SIGN },	/* to sign online */
		{ "issue-crl", KR_ENGINE_USE_CRL },
		{ "sign-ocsp", KR_ENGINE_USE_CRL },	/* revocation status */
	};
	enum kr_engine_use use = KR_ENGINE_USE_MAINTAIN;
	size_t i;

	for (i = 0; i < sizeof(uses) / sizeof(uses[0]); i++)
		if (uses_verb(s, uses[i].verb) && uses[i].use < use)
			use = uses[i].use;
	return use;
}

/*
 * A loaded package works on its own key class: the policy that governs
 * it (quorum for a reshare, recovery window, cryptoperiod) is its class's.
 */
static int
use_package_class(struct kr_engine *e)
{
	if (e->escrow == NULL)
		return 0;
	e->key_class = e->escrow->key_class;
	return check_policy(e);
}

/* Every step's own preflight (engine-common.c), in script order. */
static int
check_inputs(struct kr_engine *e)
{
	kr_engine_preflight_fn check;
	size_t i;
	int r;

	for (i = 0; i < e->script->nsteps; i++)
		if ((check = kr_engine_preflight_find(
		    e->script->steps[i].verb)) != NULL &&
		    (r = check(e, &e->script->steps[i])) != 0)
			return r;
	if ((r = use_package_class(e)) != 0)
		return r;
	return kr_engine_cryptoperiod_check(e, script_use(e->script));
}

int
kr_engine_plan_output(struct kr_engine *e, const char *name, uint64_t size)
{
	if (e->nplanned == ENGINE_MAX_OUTPUTS ||
	    strlen(name) >= sizeof(e->planned[0]))
		return kr_err_set(KR_ERR_INTERNAL, "planning output %s", name);
	snprintf(e->planned[e->nplanned], sizeof(e->planned[0]), "%s", name);
	e->planned_size[e->nplanned++] = size;
	return 0;
}

int
kr_engine_read_input(struct kr_engine *e, const char *name, size_t max,
    char **datap, size_t *lenp, uint8_t sha256[32], char *path,
    size_t pathlen)
{
	int r;

	*datap = NULL;
	if ((r = kr_media_path(e->media, 0, name, path, pathlen)) != 0)
		return r;
	return kr_media_read(path, max, datap, lenp, sha256);
}

const char *
kr_engine_last_group(const char *fp)
{
	const char *sp = strrchr(fp, ' ');

	return sp != NULL ? sp + 1 : fp;
}

/*
 * What interrupted ceremonies left on these media is finished (their
 * transcript sealed) or removed (not sealed) now, recorded in their own
 * transcripts; this ceremony's transcript lists it once it exists.  What
 * cannot be judged is left and listed too, but does not stop this
 * ceremony: it touches nothing of it.
 */
static int
clean_media(struct kr_engine *e)
{
	const char *dirs[KR_MEDIA_MAX_DIRS];
	size_t i;
	int r;

	for (i = 0; i < kr_media_count(e->media); i++)
		dirs[i] = kr_media_dir(e->media, i);
	r = kr_clean_media(dirs, i, e->header.ceremony_id, &e->cleaned);
	return r == KR_ERR_MEDIA ? 0 : r;
}

/*
 * Whether the script and policy parsed are the installed, reviewed ones
 * (reviewed.h): a real ceremony refuses anything else; a rehearsal records
 * the answer.
 */
static int
check_reviewed(struct kr_engine *e, const char *policy)
{
	int r;

	r = kr_reviewed_check(NULL, e->cfg.script_path, policy,
	    e->script->sha256, kr_policy_sha256(e->policy));
	e->script_reviewed = r == 0;
	if (r != 0 && e->cfg.rehearsal) {
		kr_err_clear();
		r = 0;
	}
	return r;
}

static int
prepare(struct kr_engine *e)
{
	char path[4096];
	int r;

	policy_path(&e->cfg, path, sizeof(path));
	/* Real: nothing unreviewed is even read; hashes follow the load. */
	if (!e->cfg.rehearsal && (r = kr_reviewed_check(NULL,
	    e->cfg.script_path, path, NULL, NULL)) != 0)
		return r;
	if ((r = kr_script_load(e->cfg.script_path, &e->script)) != 0 ||
	    (r = apply_sets(e)) != 0)
		return r;
	if ((r = kr_policy_load(path, &e->policy)) != 0 ||
	    (r = check_reviewed(e, path)) != 0 ||
	    (r = check_policy(e)) != 0 ||
	    (r = check_subjects(e)) != 0 || (r = check_paper(e)) != 0 ||
	    (r = check_words(e)) != 0)
		return r;
	if ((r = kr_media_open(e->cfg.media_dirs, e->cfg.nmedia,
	    &e->media)) != 0)
		return r;
	if ((r = kr_transcript_id_new(e->header.ceremony_id)) != 0)
		return r;
	snprintf(e->transcript_name, sizeof(e->transcript_name),
	    "transcript-%s.txt", e->header.ceremony_id);
	if ((r = kr_media_path(e->media, 0, e->transcript_name,
	    e->transcript_path, sizeof(e->transcript_path))) != 0)
		return r;
	snprintf(e->header.ceremony, sizeof(e->header.ceremony), "%s",
	    e->script->name);
	memcpy(e->header.script_sha256, e->script->sha256, 32);
	memcpy(e->header.policy_sha256, kr_policy_sha256(e->policy), 32);
	e->header.rehearsal = e->cfg.rehearsal;
	if (e->cfg.previous != NULL) {
		if ((r = kr_transcript_file_sha256(e->cfg.previous,
		    e->header.previous_sha256)) != 0)
			return r;
		e->header.has_previous = 1;
	}
	/*
	 * Inputs are read before the outputs are checked (some outputs are
	 * named by them: a serial, a CRL number, a release's images) but a
	 * release is hashed last: the quick refusals come before minutes of
	 * reading.
	 */
	if ((r = clean_media(e)) != 0 ||
	    (r = open_module(e)) != 0 ||
	    (r = check_inputs(e)) != 0 ||
	    (r = check_outputs(e)) != 0)
		return r;
	return kr_engine_hash_release(e);
}

int
kr_engine_new(const struct kr_engine_config *cfg, const struct kr_frontend *fe,
    struct kr_engine **ep)
{
	struct kr_engine *e;
	int r;

	*ep = NULL;
	if (cfg->script_path == NULL || cfg->nmedia == 0 || fe->ask == NULL)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "a ceremony needs "
		    "a script, a media directory and a frontend");
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "engine");
	e->cfg = *cfg;
	e->fe = *fe;
	if ((r = prepare(e)) != 0) {
		kr_engine_free(e);
		return r;
	}
	*ep = e;
	return 0;
}

/* --- running ------------------------------------------------------------- */

static int
record_start(struct kr_engine *e)
{
	struct kr_fact f[KR_SCRIPT_MAX_PARAMS + 6];
	char hex[65];
	size_t i, n = 0;

	kr_hex_encode(e->script->sha256, 32, hex, sizeof(hex));
	f[n++] = (struct kr_fact){ "script", e->script->name };
	f[n++] = (struct kr_fact){ "script-sha256", hex };
	f[n++] = (struct kr_fact){ "policy", e->policy->name };
	f[n++] = (struct kr_fact){ "mode", e->cfg.rehearsal ? "rehearsal" :
	    "real" };
	f[n++] = (struct kr_fact){ "script-reviewed", e->script_reviewed ?
	    "yes" : "no" };
	/* The ceremony this one follows (its hash is in the header). */
	if (e->cfg.previous != NULL) {
		const char *slash = strrchr(e->cfg.previous, '/');

		f[n++] = (struct kr_fact){ "previous", slash ? slash + 1 :
		    e->cfg.previous };
	}
	for (i = 0; i < e->script->nparams && n < sizeof(f) / sizeof(f[0]);
	    i++)
		f[n++] = (struct kr_fact){ e->script->params[i].name,
		    e->script->params[i].value };
	return kr_engine_record(e, "ceremony-started", "engine", f, n);
}

static int
run_step(struct kr_engine *e, const struct kr_script_step *st)
{
	const struct kr_engine_verb *v;
	struct kr_engine_details ds;
	struct kr_event ev;
	struct kr_prompt p;
	struct kr_answer a;
	char id[32], stepno[16];
	int r;

	memset(&ev, 0, sizeof(ev));
	ev.kind = KR_EVENT_STEP;
	ev.step = e->step;
	ev.nsteps = e->script->nsteps;
	ev.verb = st->verb;
	ev.role = kr_script_role_name(st->role);
	ev.text = st->say;
	if (e->fe.event != NULL)
		e->fe.event(e->fe.ctx, &ev);
	memset(&p, 0, sizeof(p));
	memset(&ds, 0, sizeof(ds));
	/* What the instruction speaks of is on the screen as it is read. */
	kr_engine_step_details(e, st, &ds);
	snprintf(id, sizeof(id), "step.%zu", e->step);
	p.kind = KR_PROMPT_INFO;
	p.id = id;
	p.role = ev.role;
	p.title = st->verb;
	p.text = st->say;
	p.details = ds.d;
	p.ndetails = ds.n;
	r = kr_engine_ask(e, &p, &a);
	kr_engine_details_free(&ds);
	if (r != 0)
		return r;
	free(a.text);
	snprintf(stepno, sizeof(stepno), "%zu", e->step);
	{
		struct kr_fact f[] = { { "step", stepno }, { "verb", st->verb } };

		if ((r = kr_engine_record(e, "step-started", ev.role, f,
		    2)) != 0)
			return r;
	}
	if ((v = kr_engine_verb_find(st->verb)) == NULL)
		return kr_err_set(KR_ERR_UNSUPPORTED, "%s:%zu: the verb %s is "
		    "not implemented by this keyrite", e->script->source,
		    st->line, st->verb);
	return v->run(e, st);
}

/*
 * Why a ceremony was aborted (the reason fact of ceremony-aborted), or
 * NULL when it failed: docs/transcript-format.md lists the words.
 */
static const char *
abort_reason(const struct kr_engine *e, int r)
{
	switch (r) {
	case KR_ERR_ABORTED:
		return e->abort_reason != NULL ? e->abort_reason : "operator";
	case KR_ERR_SIGNALLED:
		return "signal";
	case KR_ERR_TERMINAL_LOST:
		return "terminal-lost";
	case KR_ERR_AIRGAP_BREACHED:
		return "airgap-breached";
	}
	return NULL;
}

/* The roll-call cards a share was written to, ", "-separated. */
static void
pending_cards(const struct kr_engine *e, char *out, size_t outlen)
{
	size_t i, used = 0;

	out[0] = '\0';
	/* Only a ceremony that made the package wrote its shares. */
	if (e->escrow == NULL || e->kek == NULL || !e->made_escrow)
		return;
	for (i = 0; i < e->escrow->n && used < outlen; i++)
		if (e->escrow->roster[i].serial[0] != '\0')
			used += (size_t)snprintf(out + used, outlen - used,
			    "%s%s", used ? ", " : "", e->escrow->roster[i].card);
}

/*
 * Tells the frontend what a ceremony that did not commit leaves behind
 * and what must not be used (KR_EVENT_RESULT "ceremony.end"), for its
 * summary: nothing it staged is published; shares it wrote never count
 * and are deleted by keyrite clean; the transcript stays, unsealed.
 */
static void
leftovers_event(struct kr_engine *e, const char *reason, const char *staged,
    const char *pending)
{
	struct kr_engine_details ds;
	char media[1024];
	size_t i, used = 0;

	memset(&ds, 0, sizeof(ds));
	media[0] = '\0';
	for (i = 0; i < kr_media_count(e->media) && used < sizeof(media); i++)
		used += (size_t)snprintf(media + used, sizeof(media) - used,
		    " --media %s", kr_media_dir(e->media, i));
	kr_engine_detail(&ds, KR_DETAIL_BAD, "outcome", "%s: nothing this "
	    "ceremony made may be used", reason ? "aborted" : "failed");
	kr_engine_detail(&ds, 0, "outputs", "%s", staged ? "staged, never "
	    "published, and removed from the media:" : "none were staged");
	if (staged != NULL)
		kr_engine_detail(&ds, KR_DETAIL_ROW, "", "%s", staged);
	if (pending[0] != '\0') {
		kr_engine_detail(&ds, KR_DETAIL_BAD, "shares", "written to "
		    "cards but never valid (the transcript is not sealed); "
		    "they must not be used:");
		kr_engine_detail(&ds, KR_DETAIL_ROW, "", "%s", pending);
		kr_engine_detail(&ds, 0, "to clean", "keyrite clean%s --pins "
		    "FILE (or --ask-pin) with those cards inserted deletes "
		    "them and records it; the next ceremony that uses a card "
		    "does it too", media);
	} else
		kr_engine_detail(&ds, 0, "shares", "none were written");
	kr_engine_detail(&ds, 0, "transcript", "%s: unsealed, every record "
	    "up to the stop; keep it with the ceremony's paperwork",
	    e->transcript_name);
	result_event(e, "ceremony.end", reason ? "Ceremony aborted" :
	    "Ceremony failed", &ds);
	kr_engine_details_free(&ds);
}

/*
 * Records why the ceremony stopped and what it leaves: the outputs it
 * staged are discarded (next), the shares it wrote stay on their cards
 * but never count, because this transcript will never be sealed; keyrite
 * clean deletes them when the cards are presented.
 */
static void
record_failure(struct kr_engine *e, int r, const char *pending)
{
	const char *reason = abort_reason(e, r);
	char code[16], detail[1024], staged[1100] = "";
	struct kr_fact f[6];
	size_t i, n = 0, used = 0;

	for (i = 0; i < e->nstaged && used < sizeof(staged); i++)
		used += (size_t)snprintf(staged + used, sizeof(staged) - used,
		    "%s%s", used ? ", " : "", e->staged[i]);
	snprintf(code, sizeof(code), "%d", r);
	snprintf(detail, sizeof(detail), "%s", kr_err_detail());
	f[n++] = (struct kr_fact){ "error", kr_strerror(r) };
	f[n++] = (struct kr_fact){ "code", code };
	f[n++] = (struct kr_fact){ "detail", detail };
	f[n++] = (struct kr_fact){ "outputs-discarded", used ? staged :
	    "none" };
	f[n++] = (struct kr_fact){ "uncommitted-shares", pending[0] ?
	    pending : "none" };
	if (reason != NULL)
		f[n++] = (struct kr_fact){ "reason", reason };
	(void)kr_engine_record(e, reason != NULL ? "ceremony-aborted" :
	    "ceremony-failed", "engine", f, n);
	leftovers_event(e, reason, used ? staged : NULL, pending);
	kr_err_set(r, "%s", detail);
}

/* Lists in this transcript what was cleaned from the media at the start. */
static int
record_cleaned(struct kr_engine *e)
{
	const struct kr_clean_action *a;
	size_t i;
	int r;

	for (i = 0; i < e->cleaned.n; i++) {
		a = &e->cleaned.a[i];
		{
			struct kr_fact f[] = { { "ceremony", a->id },
			    { "state", kr_clean_state_name(a->state) },
			    { "action", a->done }, { "medium", a->dir },
			    { "what", a->what }, { "why", a->why } };

			if ((r = kr_engine_record(e, "leftovers-cleaned",
			    "engine", f, a->why[0] ? 6 : 5)) != 0)
				return r;
		}
		if (strcmp(a->done, "left") == 0)
			kr_engine_notice(e, "left on %s: %s (%s)", a->dir,
			    a->what, a->why);
	}
	return 0;
}

/*
 * A real ceremony always starts with the self-tests and the air-gap check,
 * whatever the script says; a script that starts with them runs them once.
 */
static int
preflight(struct kr_engine *e)
{
	static const char *const verbs[] = { "selftest", "airgap-check" };
	const struct kr_engine_verb *v;
	size_t i;
	int r;

	if (e->cfg.rehearsal)
		return 0;
	for (i = 0; i < 2; i++) {
		if (e->script->nsteps > i &&
		    strcmp(e->script->steps[i].verb, verbs[i]) == 0)
			continue;
		if ((v = kr_engine_verb_find(verbs[i])) == NULL)
			return kr_err_set(KR_ERR_INTERNAL, "no verb %s",
			    verbs[i]);
		if ((r = v->run(e, NULL)) != 0)
			return r;
	}
	return 0;
}

int
kr_engine_run(struct kr_engine *e)
{
	char pending[1024];
	size_t i;
	int r;

	if (e->tr != NULL)
		return kr_err_set(KR_ERR_ENGINE_STATE, "ceremony already run");
	/*
	 * The transcript first: every staging directory then has a
	 * transcript that judges it, whenever the process is killed.
	 */
	if ((r = kr_transcript_create(e->transcript_path, &e->header,
	    &e->tr)) != 0)
		return r;
	if ((r = kr_media_stage_open(e->media, e->header.ceremony_id,
	    e->script->name)) != 0 ||
	    (r = record_start(e)) != 0 ||
	    (r = kr_engine_record_machine(e)) != 0 ||
	    (r = record_cleaned(e)) != 0 ||
	    (r = preflight(e)) != 0)
		goto fail;
	for (i = 0; i < e->script->nsteps; i++) {
		e->step = i + 1;
		if ((r = kr_engine_watch(e)) != 0 ||
		    (r = kr_engine_check_window(e)) != 0 ||
		    (r = run_step(e, &e->script->steps[i])) != 0)
			goto fail;
	}
	if (!kr_transcript_sealed(e->tr)) {
		r = kr_err_set(KR_ERR_ENGINE_STATE, "%s ended without "
		    "sealing its transcript, so the ceremony did not commit: "
		    "its last step must be seal-transcript", e->script->source);
		goto fail;
	}
	kr_engine_wipe_secrets(e);
	/* Committed: from here on, outputs are only ever published. */
	if ((r = publish(e)) != 0)
		return r;
	/* A reshare's roll-forward: the old shares, from the cards shown. */
	kr_engine_retire_old_shares(e);
	kr_err_clear();
	return 0;
 fail:
	pending_cards(e, pending, sizeof(pending));
	kr_engine_wipe_secrets(e);
	if (kr_transcript_sealed(e->tr)) {
		int rp;

		kr_engine_cosign_stopped(e);
		rp = publish(e);
		return rp != 0 ? rp : r;
	}
	record_failure(e, r, pending);
	{
		char detail[1024];

		snprintf(detail, sizeof(detail), "%s", kr_err_detail());
		if (kr_media_discard(e->media) != 0)
			snprintf(detail + strlen(detail), sizeof(detail) -
			    strlen(detail), "; the staged outputs could not "
			    "all be removed (%s): keyrite clean removes them",
			    kr_err_detail());
		kr_err_set(r, "%s", detail);
	}
	return r;
}

size_t
kr_engine_outputs(const struct kr_engine *e)
{
	return e->noutputs;
}

const char *
kr_engine_output(const struct kr_engine *e, size_t i)
{
	return i < e->noutputs ? e->outputs[i] : NULL;
}

const char *
kr_engine_transcript_path(const struct kr_engine *e)
{
	return e->tr != NULL ? e->transcript_path : NULL;
}

void
kr_engine_free(struct kr_engine *e)
{
	if (e == NULL)
		return;
	kr_engine_wipe_secrets(e);
	kr_engine_watch_stop(e);
	kr_engine_sign_free(e);
	kr_engine_crl_free(e);
	kr_engine_ocsp_free(e);
	kr_engine_restore_free(e);
	X509_free(e->cert);
	kr_escrow_free(e->escrow);
	kr_engine_fw_free(e->fw);
	kr_engine_seal_card_close(e);
	kr_escrow_free(e->old_escrow);
	kr_lineage_free(&e->lineage);
	free(e->import);
	kr_transcript_close(e->tr);
	kr_token_module_close(e->mod);
	kr_media_close(e->media);
	kr_policy_free(e->policy);
	kr_script_free(e->script);
	free(e->custodians);
	free(e);
}
