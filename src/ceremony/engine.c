/*
 * engine.c: the ceremony state machine.
 *
 * kr_engine_new() does everything that can refuse a ceremony without
 * touching a card or a file: parse the script, apply overrides, check the
 * policy (listing every violation), check that no output exists.
 * kr_engine_run() then opens the transcript and runs the steps in order,
 * one verb function each (engine-create.c, engine-recover.c).  Every
 * failure, abort or expired recovery window goes through one path:
 * record why, wipe every secret, leave the transcript unsealed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "base/err.h"
#include "base/hex.h"
#include "base/secmem.h"
#include "base/version.h"
#include "crypto/selftest.h"
#include "engine-int.h"
#include "host/media.h"

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

void
kr_engine_progress(struct kr_engine *e, const char *what, uint64_t done,
    uint64_t total)
{
	struct kr_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = KR_EVENT_PROGRESS;
	ev.step = e->step;
	ev.text = what;
	ev.done = done;
	ev.total = total;
	if (e->fe.event != NULL)
		e->fe.event(e->fe.ctx, &ev);
}

int
kr_engine_ask(struct kr_engine *e, const struct kr_prompt *p,
    struct kr_answer *a)
{
	int r;

	memset(a, 0, sizeof(*a));
	if ((r = kr_engine_check_window(e)) != 0)
		return r;
	r = e->fe.ask(e->fe.ctx, p, a);
	if (r == KR_ERR_ABORTED)
		kr_err_set(r, "aborted at prompt %s", p->id);
	else if (r == KR_ERR_ANSWER_MISSING && *kr_err_detail() == '\0')
		kr_err_set(r, "no answer for prompt %s", p->id);
	if (r == 0 && (r = kr_engine_check_window(e)) != 0)
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
	struct kr_prompt p;
	struct kr_answer a;
	int r;

	memset(&p, 0, sizeof(p));
	p.kind = KR_PROMPT_TEXT;
	p.id = id;
	p.role = role;
	p.title = title;
	p.text = text;
	p.optional = !required;
	p.max_len = outlen - 1;
	if ((r = kr_engine_ask(e, &p, &a)) != 0)
		return r;
	if (a.text == NULL || a.len == 0 || a.len >= outlen) {
		free(a.text);
		if (!required && (a.text == NULL || a.len == 0)) {
			out[0] = '\0';
			return 0;
		}
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "%s: give 1 to "
		    "%zu characters", id, outlen - 1);
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

int
kr_engine_output_file(struct kr_engine *e, const char *name,
    const void *data, size_t len, const char *kind)
{
	struct kr_event ev;
	uint8_t h[32];
	char hex[65];
	size_t i;
	int r;

	if ((r = kr_media_write(e->media, name, data, len, h)) != 0)
		return r;
	kr_hex_encode(h, sizeof(h), hex, sizeof(hex));
	for (i = 0; i < kr_media_count(e->media); i++) {
		if (e->noutputs < ENGINE_MAX_OUTPUTS)
			kr_media_path(e->media, i, name,
			    e->outputs[e->noutputs++], sizeof(e->outputs[0]));
		memset(&ev, 0, sizeof(ev));
		ev.kind = KR_EVENT_OUTPUT;
		ev.step = e->step;
		ev.text = e->outputs[e->noutputs - 1];
		if (e->fe.event != NULL)
			e->fe.event(e->fe.ctx, &ev);
	}
	{
		char copies[16];
		struct kr_fact f[] = { { "kind", kind }, { "name", name },
		    { "sha256", hex }, { "copies", copies } };

		snprintf(copies, sizeof(copies), "%zu",
		    kr_media_count(e->media));
		return kr_engine_record(e, "output-written", "engine", f, 4);
	}
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

/* For CARD prompts: the cards present now (no session is open then). */
static int
cards_present(void *ctx, struct kr_card_view *out, size_t max, size_t *n)
{
	struct kr_engine *e = ctx;
	struct kr_token_info *list = NULL;
	size_t count = 0, i;
	int r;

	*n = 0;
	if ((r = kr_token_module_reload(e->mod)) != 0 ||
	    (r = kr_token_list(e->mod, &list, &count)) != 0)
		return r;
	for (i = 0; i < count && *n < max; i++) {
		kr_token_printable(list[i].label, out[*n].label,
		    sizeof(out[*n].label));
		kr_token_printable(list[i].serial, out[*n].serial,
		    sizeof(out[*n].serial));
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

/* Asks for a card until the wanted one (want may be NULL) is presented. */
static int
present_card(struct kr_engine *e, const char *id, const char *actor,
    const char *want, struct kr_token_info *info)
{
	struct kr_prompt p;
	struct kr_answer a;
	char text[512], name[128];
	int r, tries;

	if (e->mod == NULL && (r = kr_token_module_open(e->cfg.module,
	    &e->mod)) != 0)
		return r;
	for (tries = 0; tries < ENGINE_CARD_TRIES; tries++) {
		memset(&p, 0, sizeof(p));
		p.kind = KR_PROMPT_CARD;
		p.id = id;
		p.role = "custodian";
		p.actor = actor;
		p.card = want;
		p.cards_present = cards_present;
		p.cards_ctx = e;
		snprintf(text, sizeof(text), "Custodian%s%s: insert your "
		    "card%s%s and confirm.", actor ? " " : "",
		    actor ? actor : "", want ? " " : "", want ? want : "");
		p.title = "Insert card";
		p.text = text;
		if ((r = kr_engine_ask(e, &p, &a)) != 0)
			return r;
		r = find_card(e, a.text, info);
		free(a.text);
		if (r != 0) {
			kr_engine_notice(e, "%s", kr_err_detail());
			continue;
		}
		kr_token_name(info, name, sizeof(name));
		if (want != NULL && strcmp(info->label, want) != 0 &&
		    strcmp(info->serial, want) != 0) {
			kr_engine_notice(e, "wrong card: %s is not %s; take it "
			    "out and insert %s", name, want, want);
			continue;
		}
		return 0;
	}
	return kr_err_set(KR_ERR_TOKEN_NOT_PRESENT, "%s was not presented "
	    "after %d tries: check that it is in the reader and that its label "
	    "is the one given at the roll call", want ? want : "a card",
	    ENGINE_CARD_TRIES);
}

static int
login(struct kr_engine *e, struct kr_token_session *s,
    const struct kr_token_info *info, const char *actor)
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
		p.attempts_left = b->failed < b->limit ? b->limit - b->failed :
		    0;
		p.final_try = now != NULL && now->pin_final_try;
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
		kr_engine_notice(e, "%s", kr_err_detail());
		{
			struct kr_fact f[] = { { "card", info->label },
			    { "serial", info->serial } };

			if ((r = kr_engine_record(e, "pin-rejected",
			    "custodian", f, 2)) != 0)
				return r;
		}
	}
}

int
kr_engine_card(struct kr_engine *e, const char *id, const char *actor,
    const char *want, struct kr_token_session **sp, struct kr_token_info *info)
{
	struct kr_token_session *s = NULL;
	int r;

	*sp = NULL;
	if ((r = present_card(e, id, actor, want, info)) != 0)
		return r;
	if ((r = kr_token_open(e->mod, info, &s)) != 0)
		return r;
	if ((r = login(e, s, info, actor)) != 0) {
		kr_token_close(s);
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

static int
check_policy(struct kr_engine *e)
{
	struct kr_policy_request req;
	char **v = NULL, msg[4096];
	size_t n = 0, i, used = 0;
	int r;

	memset(&req, 0, sizeof(req));
	kr_script_policy_request(e->script, &req);
	if ((e->pclass = kr_policy_class(e->policy, e->script->key_class)) ==
	    NULL)
		return kr_err_set(KR_ERR_POLICY_VIOLATION, "%s: key class '%s' "
		    "is not in the policy %s", e->script->source,
		    e->script->key_class, e->policy->source);
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

/* Every file a step will write must be absent before anything starts. */
static int
check_outputs(struct kr_engine *e)
{
	const char *names[ENGINE_MAX_OUTPUTS];
	size_t i, n = 0;

	for (i = 0; i < e->script->nsteps && n < ENGINE_MAX_OUTPUTS - 1; i++) {
		const struct kr_script_step *st = &e->script->steps[i];
		const char *name = kr_script_arg(st, "name");

		if (strncmp(st->verb, "write-", 6) == 0 && name != NULL)
			names[n++] = name;
	}
	names[n++] = e->transcript_name;
	return kr_media_check_absent(e->media, names, n);
}

static int
prepare(struct kr_engine *e)
{
	char path[4096];
	int r;

	if ((r = kr_script_load(e->cfg.script_path, &e->script)) != 0 ||
	    (r = apply_sets(e)) != 0)
		return r;
	policy_path(&e->cfg, path, sizeof(path));
	if ((r = kr_policy_load(path, &e->policy)) != 0 ||
	    (r = check_policy(e)) != 0)
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
	return check_outputs(e);
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
	struct kr_fact f[KR_SCRIPT_MAX_PARAMS + 4];
	char hex[65];
	size_t i, n = 0;

	kr_hex_encode(e->script->sha256, 32, hex, sizeof(hex));
	f[n++] = (struct kr_fact){ "script", e->script->name };
	f[n++] = (struct kr_fact){ "script-sha256", hex };
	f[n++] = (struct kr_fact){ "policy", e->policy->name };
	f[n++] = (struct kr_fact){ "mode", e->cfg.rehearsal ? "rehearsal" :
	    "real" };
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
	snprintf(id, sizeof(id), "step.%zu", e->step);
	p.kind = KR_PROMPT_INFO;
	p.id = id;
	p.role = ev.role;
	p.title = st->verb;
	p.text = st->say;
	if ((r = kr_engine_ask(e, &p, &a)) != 0)
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

static void
record_failure(struct kr_engine *e, int r)
{
	char code[16], detail[1024];
	struct kr_fact f[] = { { "error", kr_strerror(r) }, { "code", code },
	    { "detail", detail } };

	snprintf(code, sizeof(code), "%d", r);
	snprintf(detail, sizeof(detail), "%s", kr_err_detail());
	(void)kr_engine_record(e, r == KR_ERR_ABORTED ? "ceremony-aborted" :
	    "ceremony-failed", "engine", f, 3);
	kr_err_set(r, "%s", detail);
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
	size_t i;
	int r;

	if (e->tr != NULL)
		return kr_err_set(KR_ERR_ENGINE_STATE, "ceremony already run");
	if ((r = kr_transcript_create(e->transcript_path, &e->header,
	    &e->tr)) != 0)
		return r;
	if ((r = record_start(e)) != 0 || (r = kr_engine_record_machine(e)) != 0 ||
	    (r = preflight(e)) != 0)
		goto fail;
	for (i = 0; i < e->script->nsteps; i++) {
		e->step = i + 1;
		if ((r = kr_engine_check_window(e)) != 0 ||
		    (r = run_step(e, &e->script->steps[i])) != 0)
			goto fail;
	}
	kr_engine_wipe_secrets(e);
	return 0;
 fail:
	kr_engine_wipe_secrets(e);
	record_failure(e, r);
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
	X509_free(e->cert);
	kr_escrow_free(e->escrow);
	kr_transcript_close(e->tr);
	kr_token_module_close(e->mod);
	kr_media_close(e->media);
	kr_policy_free(e->policy);
	kr_script_free(e->script);
	free(e->custodians);
	free(e);
}
