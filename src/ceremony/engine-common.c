/*
 * engine-common.c: the verbs every ceremony uses (self-test, air-gap
 * check, roll call, witnesses' fingerprint check, wipe, seal) and the
 * table that maps a script's verb names to their functions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "base/hex.h"
#include "base/text.h"
#include "base/secmem.h"
#include "crypto/key.h"
#include "crypto/selftest.h"
#include "crypto/symkey.h"
#include "crypto/x509.h"
#include "engine-int.h"
#include "host/airgap.h"
#include "reviewed.h"


static int
verb_selftest(struct kr_engine *e, const struct kr_script_step *st)
{
	struct kr_selftest_result res[KR_SELFTEST_MAX_RESULTS];
	char passed[16], failed[512] = "";
	size_t n = 0, i, nfail = 0, used = 0;
	int r;

	(void)st;
	r = kr_selftest_run(res, KR_SELFTEST_MAX_RESULTS, &n);
	for (i = 0; i < n; i++)
		if (!res[i].ok) {
			nfail++;
			if (used < sizeof(failed))
				used += (size_t)snprintf(failed + used,
				    sizeof(failed) - used, "%s%s", used ?
				    "; " : "", res[i].name);
		}
	snprintf(passed, sizeof(passed), "%zu", n - nfail);
	{
		struct kr_fact f[] = { { "passed", passed },
		    { "failed", nfail ? failed : "none" } };

		if (kr_engine_record(e, "selftest", "engine", f, 2) != 0)
			return kr_err_set(KR_ERR_IO, "writing the transcript");
	}
	if (r != 0 || nfail > 0)
		return kr_err_set(KR_ERR_SELFTEST_FAILED, "self-tests failed "
		    "(%s): this machine must not be used for a ceremony",
		    failed);
	return 0;
}

static int
verb_airgap(struct kr_engine *e, const struct kr_script_step *st)
{
	struct kr_airgap_report *rep = NULL;
	char *json = NULL, detail[1024];
	int r, rj;

	(void)st;
	r = kr_airgap_scan(&rep);
	snprintf(detail, sizeof(detail), "%s", r ? kr_err_detail() : "");
	if (rep == NULL)
		return r;
	if ((rj = kr_airgap_report_json(rep, &json)) != 0)
		goto out;
	{
		struct kr_fact f[] = { { "air-gapped", r == 0 ? "yes" : "no" },
		    { "policy", r == 0 ? "ok" : e->cfg.rehearsal ?
		    "allowed-in-rehearsal" : "refused" },
		    { "inventory", json } };

		if ((rj = kr_engine_record(e, "airgap-check", "engine", f,
		    3)) != 0)
			goto out;
	}
	if (r != 0 && e->cfg.rehearsal) {
		kr_engine_notice(e, "not air-gapped (%s); allowed because this "
		    "is a rehearsal, and recorded", detail);
		r = 0;
	} else if (r != 0)
		kr_err_set(r, "%s; a real ceremony does not start on this "
		    "machine", detail);
	/* From here on the air gap is watched (engine-watch.c). */
	if (r == 0)
		r = kr_engine_watch_start(e, rep);
	rj = r;
 out:
	free(json);
	kr_airgap_report_free(rep);
	return rj;
}

/* The number of custodians the script's split step will need. */
static size_t
custodians_needed(const struct kr_engine *e)
{
	size_t i;

	for (i = 0; i < e->script->nsteps; i++)
		if (strcmp(e->script->steps[i].verb, "split") == 0)
			return (size_t)atoi(kr_script_arg(&e->script->steps[i],
			    "shares"));
	return 0;
}

/*
 * Who has been named so far in this roll call, other than the entry
 * being asked: the same person may not hold two roles or two shares.
 */
static const char *
named_already(const struct kr_engine *e, const char *name, size_t upto)
{
	size_t i;

	if (strcasecmp(name, e->operator_name) == 0)
		return "the administrator";
	for (i = 0; i < e->nwitnesses; i++)
		if (strcasecmp(name, e->witnesses[i]) == 0)
			return "a witness";
	for (i = 0; i < upto; i++)
		if (strcasecmp(name, e->custodians[i].name) == 0)
			return "a custodian";
	return NULL;
}

/* Asks for custodian i's name and card, refusing repeats on the spot. */
static int
roll_one_custodian(struct kr_engine *e, size_t i, size_t n)
{
	struct kr_engine_custodian *c = &e->custodians[i];
	char id[64], text[256], refused[256];
	const char *who;
	size_t j, tries;
	int r;

	refused[0] = '\0';
	snprintf(id, sizeof(id), "custodian.%zu.name", i + 1);
	snprintf(text, sizeof(text), "Name of custodian %zu of %zu.", i + 1,
	    n);
	for (tries = 0;; tries++) {
		if (tries == ENGINE_ANSWER_TRIES)
			return kr_err_set(KR_ERR_INVALID_ARGUMENT, "%s: %s",
			    id, refused);
		if ((r = kr_engine_ask_text_again(e, id, "administrator",
		    "Roll call", text, 1, refused[0] ? refused : NULL,
		    c->name, sizeof(c->name))) != 0)
			return r;
		if ((who = named_already(e, c->name, i)) == NULL)
			break;
		snprintf(refused, sizeof(refused), "%s is %s already: one "
		    "person holds one role and one share", c->name, who);
		kr_engine_notice(e, "%s", refused);
	}
	refused[0] = '\0';
	snprintf(id, sizeof(id), "custodian.%zu.card", i + 1);
	snprintf(text, sizeof(text), "Label of %s's card.", c->name);
	for (tries = 0;; tries++) {
		if (tries == ENGINE_ANSWER_TRIES)
			return kr_err_set(KR_ERR_INVALID_ARGUMENT, "%s: %s",
			    id, refused);
		if ((r = kr_engine_ask_text_again(e, id, "administrator",
		    "Roll call", text, 1, refused[0] ? refused : NULL,
		    c->card, sizeof(c->card))) != 0)
			return r;
		for (j = 0; j < i; j++)
			if (strcmp(c->card, e->custodians[j].card) == 0)
				break;
		if (j == i)
			return 0;
		snprintf(refused, sizeof(refused), "card %s is %s's already: "
		    "each custodian brings a card of their own", c->card,
		    e->custodians[j].name);
		kr_engine_notice(e, "%s", refused);
	}
}

/*
 * Every card named is in a reader, and no two names are one card (a label
 * and a serial of the same token).  Fills each custodian's serial; writes
 * what is wrong into problems (empty when nothing is).
 */
static int
check_cards(struct kr_engine *e, char *problems, size_t plen)
{
	struct kr_token_info info;
	char why[1024];
	size_t i, j, used = 0;
	int r;

	problems[0] = '\0';
	if (e->mod == NULL)
		return 0;
	if ((r = kr_token_module_reload(e->mod)) != 0)
		return r;
	for (i = 0; i < e->ncustodians; i++) {
		struct kr_engine_custodian *c = &e->custodians[i];
		char label[4 * KR_ESCROW_LABEL_MAX + 1];

		c->serial[0] = '\0';
		kr_printable(c->card, label, sizeof(label));
		r = kr_token_find(e->mod, c->card, &info);
		if (r == KR_ERR_TOKEN_NOT_PRESENT) {
			used += (size_t)snprintf(problems + used, plen - used,
			    "%scard %s (%s's) is not in a reader",
			    used ? "; " : "", label, c->name);
			continue;
		}
		if (r != 0)
			return r;
		snprintf(c->serial, sizeof(c->serial), "%s", info.serial);
		/* A real ceremony: a hardware card, before any key exists. */
		if (kr_reviewed_token_ok(e->policy, &info, e->cfg.rehearsal,
		    why, sizeof(why)) != 0)
			used += (size_t)snprintf(problems + used, plen - used,
			    "%s%s", used ? "; " : "", why);
		for (j = 0; j < i; j++)
			if (strcmp(e->custodians[j].serial, c->serial) == 0)
				used += (size_t)snprintf(problems + used,
				    plen - used, "%s%s's card and %s's card are "
				    "the same card (serial %s)", used ? "; " :
				    "", e->custodians[j].name, c->name,
				    c->serial);
		if (used >= plen)
			break;
	}
	return 0;
}

static int
script_has(const struct kr_engine *e, const char *verb)
{
	size_t i;

	for (i = 0; i < e->script->nsteps; i++)
		if (strcmp(e->script->steps[i].verb, verb) == 0)
			return 1;
	return 0;
}

/* A reshare: a package is loaded and split again for a new roster. */
static int
is_reshare(const struct kr_engine *e)
{
	return e->escrow != NULL && script_has(e, "split");
}

/* Whether card serial is in the package's roster (an old card). */
static int
in_old_roster(const struct kr_escrow *p, const char *serial)
{
	size_t i;

	for (i = 0; serial[0] != '\0' && i < p->n; i++)
		if (strcmp(p->roster[i].serial, serial) == 0)
			return 1;
	return 0;
}

/*
 * A reshare's roll call: the old roster (the package's) and the new one
 * side by side, as TAB-separated cells for the TUI and as text.
 */
static void
reshare_table(const struct kr_engine *e, char *out, size_t outlen)
{
	const struct kr_escrow *p = e->escrow;
	size_t i, used, rows = p->n > e->ncustodians ? p->n : e->ncustodians;

	const char *m = "?";

	for (i = 0; i < e->script->nsteps; i++)
		if (strcmp(e->script->steps[i].verb, "split") == 0)
			m = kr_script_arg(&e->script->steps[i], "threshold");
	used = (size_t)snprintf(out, outlen, "Old roster: %u of %u (%s)\t"
	    "New roster: %s of %zu\n", p->m, p->n, e->escrow_name, m,
	    e->ncustodians);
	for (i = 0; i < rows && used < outlen; i++) {
		if (i < p->n)
			used += (size_t)snprintf(out + used, outlen - used,
			    "%zu %s, %s", i + 1, p->roster[i].name,
			    p->roster[i].card);
		used += (size_t)snprintf(out + used, outlen - used, "\t");
		/* Which card is new shows first: names may be cut. */
		if (i < e->ncustodians)
			used += (size_t)snprintf(out + used, outlen - used,
			    "%zu %s %s, %s", i + 1,
			    e->custodians[i].serial[0] == '\0' ? "MISSING" :
			    in_old_roster(p, e->custodians[i].serial) ? "old" :
			    "NEW", e->custodians[i].card,
			    e->custodians[i].name);
		if (used < outlen)
			used += (size_t)snprintf(out + used, outlen - used,
			    "\n");
	}
}

static void
roll_call_text(const struct kr_engine *e, const char *problems, char *out,
    size_t outlen)
{
	size_t i, used;

	used = (size_t)snprintf(out, outlen, "Administrator: %s\n",
	    e->operator_name);
	for (i = 0; i < e->nwitnesses && used < outlen; i++)
		used += (size_t)snprintf(out + used, outlen - used,
		    "Witness %zu: %s\n", i + 1, e->witnesses[i]);
	if (is_reshare(e) && used < outlen)
		used += (size_t)snprintf(out + used, outlen - used, "Old "
		    "roster (%s, %u of %u), retired at the seal:\n",
		    e->escrow_name, e->escrow->m, e->escrow->n);
	for (i = 0; is_reshare(e) && i < e->escrow->n && used < outlen; i++)
		used += (size_t)snprintf(out + used, outlen - used,
		    "  %zu: %s, card %s serial %s\n", i + 1,
		    e->escrow->roster[i].name, e->escrow->roster[i].card,
		    e->escrow->roster[i].serial);
	if (is_reshare(e) && used < outlen)
		used += (size_t)snprintf(out + used, outlen - used, "New "
		    "roster:\n");
	for (i = 0; i < e->ncustodians && used < outlen; i++)
		used += (size_t)snprintf(out + used, outlen - used,
		    "Custodian %zu: %s, card %s%s%s\n", i + 1,
		    e->custodians[i].name, e->custodians[i].card,
		    e->custodians[i].serial[0] ? " serial " : " (not in a "
		    "reader)", e->custodians[i].serial);
	if (used < outlen)
		snprintf(out + used, outlen - used, problems[0] ? "\nTo "
		    "correct: %s.\nInsert the cards and answer yes to check "
		    "again, or no to correct the roll call." : "\nIs this "
		    "right? yes: go on; no: correct the roll call.", problems);
}

/*
 * The roll call, shown whole for review before anything irreversible:
 * every card must be in a reader and distinct.  No corrects it (the
 * custodians are asked again); cards put in meanwhile are checked again.
 */
static int
review_roll_call(struct kr_engine *e)
{
	char problems[1024], text[8192], refused[1100], table[8192];
	struct kr_prompt p;
	struct kr_answer a;
	size_t i, tries = 0;
	int r, yes;

	refused[0] = '\0';
	for (;;) {
		if ((r = check_cards(e, problems, sizeof(problems))) != 0)
			return r;
		roll_call_text(e, problems, text, sizeof(text));
		if (is_reshare(e))
			reshare_table(e, table, sizeof(table));
		memset(&p, 0, sizeof(p));
		p.table = is_reshare(e) ? table : NULL;
		p.kind = KR_PROMPT_CONFIRM;
		p.id = problems[0] ? "roll-call.check" : "roll-call.confirm";
		p.role = "administrator";
		p.title = "Roll call";
		p.text = text;
		p.refused = refused[0] ? refused : NULL;
		if ((r = kr_engine_ask(e, &p, &a)) != 0)
			return r;
		yes = a.yes || (a.text != NULL && strcasecmp(a.text,
		    "yes") == 0);
		kr_engine_answer_free(&p, &a);
		if (yes && problems[0] == '\0')
			return 0;
		if (yes) {
			snprintf(refused, sizeof(refused), "still to correct: "
			    "%s", problems);
			if (++tries == ENGINE_ANSWER_TRIES)
				return kr_err_set(KR_ERR_TOKEN_NOT_PRESENT,
				    "roll call: %s: insert the cards named, or "
				    "correct the roll call", problems);
			continue;
		}
		refused[0] = '\0';
		kr_engine_notice(e, "the roll call is corrected: the "
		    "custodians are asked again");
		for (i = 0; i < e->ncustodians; i++)
			memset(&e->custodians[i], 0, sizeof(e->custodians[i]));
		for (i = 0; i < e->ncustodians; i++)
			if ((r = roll_one_custodian(e, i,
			    e->ncustodians)) != 0)
				return r;
	}
}

static int
roll_custodians(struct kr_engine *e)
{
	size_t i, n = custodians_needed(e);
	int r;

	if (n == 0)
		return 0;
	if ((e->custodians = calloc(n, sizeof(*e->custodians))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "roll call");
	e->ncustodians = n;
	for (i = 0; i < n; i++)
		if ((r = roll_one_custodian(e, i, n)) != 0)
			return r;
	return 0;
}

static int
named_witness(const struct kr_engine *e, size_t j)
{
	size_t i;

	for (i = 0; i < j; i++)
		if (strcasecmp(e->witnesses[i], e->witnesses[j]) == 0)
			return 1;
	return 0;
}

static int
roll_witnesses(struct kr_engine *e)
{
	char id[64], text[128];
	size_t j;
	int r;

	for (j = 0; j < ENGINE_MAX_WITNESSES; j++) {
		snprintf(id, sizeof(id), "witness.%zu.name", j + 1);
		snprintf(text, sizeof(text), "Name of witness %zu%s.", j + 1,
		    j == 0 ? "" : " (empty when there are no more)");
		r = kr_engine_ask_text(e, id, "administrator", "Roll call",
		    text, j == 0, e->witnesses[j], sizeof(e->witnesses[0]));
		if (r == KR_ERR_ANSWER_MISSING && j > 0)
			break;
		if (r != 0)
			return r;
		if (e->witnesses[j][0] == '\0')
			break;
		if (strcasecmp(e->witnesses[j], e->operator_name) == 0 ||
		    named_witness(e, j))
			return kr_err_set(KR_ERR_INVALID_ARGUMENT, "%s: %s is "
			    "named already in this roll call: a witness is a "
			    "person of their own", id, e->witnesses[j]);
		e->nwitnesses++;
	}
	return 0;
}

static int
record_roll_call(struct kr_engine *e, const char *reason, const char *auth)
{
	struct kr_fact f[4 + ENGINE_MAX_WITNESSES + 2 * 255];
	char keys[ENGINE_MAX_WITNESSES + 2 * 255][48];
	size_t n = 0, k = 0, i;

	f[n++] = (struct kr_fact){ "operator", e->operator_name };
	f[n++] = (struct kr_fact){ "reason", reason };
	f[n++] = (struct kr_fact){ "authorization", auth };
	for (i = 0; i < e->nwitnesses; i++, k++) {
		snprintf(keys[k], sizeof(keys[k]), "witness.%zu", i + 1);
		f[n++] = (struct kr_fact){ keys[k], e->witnesses[i] };
	}
	for (i = 0; i < e->ncustodians; i++) {
		snprintf(keys[k], sizeof(keys[k]), "custodian.%zu", i + 1);
		f[n++] = (struct kr_fact){ keys[k++], e->custodians[i].name };
		snprintf(keys[k], sizeof(keys[k]), "custodian.%zu.card", i + 1);
		f[n++] = (struct kr_fact){ keys[k++], e->custodians[i].card };
	}
	return kr_engine_record(e, "roll-call", "administrator", f, n);
}

static int
verb_roll_call(struct kr_engine *e, const struct kr_script_step *st)
{
	char reason[ENGINE_TEXT_MAX + 1], auth[ENGINE_TEXT_MAX + 1];
	/* Destroying a key is never held without saying why and who says so. */
	int r, need = !e->cfg.rehearsal || script_has(e, "destroy-shares");

	(void)st;
	if ((r = kr_engine_ask_text(e, "operator.name", "administrator",
	    "Roll call", "Name of the ceremony administrator.", 1,
	    e->operator_name, sizeof(e->operator_name))) != 0 ||
	    (r = roll_witnesses(e)) != 0)
		return r;
	r = kr_engine_ask_text(e, "ceremony.reason", "administrator", "Why",
	    "Why is this ceremony held?", need, reason, sizeof(reason));
	if (r == KR_ERR_ANSWER_MISSING && !need) {
		reason[0] = '\0';
		r = 0;
	}
	if (r == 0)
		r = kr_engine_ask_text(e, "ceremony.authorization",
		    "administrator", "Authorization", "What authorizes it "
		    "(change ticket, board resolution, court order)?", need,
		    auth, sizeof(auth));
	if (r == KR_ERR_ANSWER_MISSING && !need) {
		auth[0] = '\0';
		r = 0;
	}
	if (r != 0)
		return r == KR_ERR_ANSWER_MISSING ? kr_err_set(r, "%s; %s does "
		    "not start without a reason and an authorization",
		    kr_err_detail(), e->cfg.rehearsal ? "a key-destroy, even "
		    "in rehearsal," : "a real ceremony") : r;
	if (reason[0] == '\0')
		snprintf(reason, sizeof(reason), "rehearsal");
	if (auth[0] == '\0')
		snprintf(auth, sizeof(auth), "rehearsal");
	if ((r = roll_custodians(e)) != 0 ||
	    (r = review_roll_call(e)) != 0)
		return r;
	return record_roll_call(e, reason, auth);
}

/*
 * The text witnesses compare: the certificate's fingerprint, else the key
 * id (SHA-256 of the public key) of the escrowed or the generated key;
 * with of=key the key id even when there is a certificate.
 */
static int
fingerprint_text(struct kr_engine *e, int of_key, char *out, size_t outlen)
{
	uint8_t fp[KR_X509_FP_BYTES];
	int r;

	if (e->cert != NULL && !of_key) {
		if ((r = kr_x509_fingerprint(e->cert, fp)) != 0)
			return r;
		kr_x509_fingerprint_text(fp, out, outlen);
		return 0;
	}
	/* A symmetric key: its check value (docs/formats.md). */
	if (e->escrow != NULL && e->escrow->symmetric) {
		kr_x509_fingerprint_text(e->escrow->key_check, out, outlen);
		return 0;
	}
	if (e->symkey != NULL) {
		uint8_t check[KR_SYMKEY_CHECK_BYTES];

		if ((r = kr_symkey_check(e->symkey, e->symkey_len,
		    check)) != 0)
			return r;
		kr_x509_fingerprint_text(check, out, outlen);
		return 0;
	}
	if (e->escrow != NULL) {
		kr_x509_fingerprint_text(e->escrow->key_id, out, outlen);
		return 0;
	}
	if (e->key != NULL) {
		if ((r = kr_key_id(e->key, fp)) != 0)
			return r;
		kr_x509_fingerprint_text(fp, out, outlen);
		return 0;
	}
	return kr_err_set(KR_ERR_ENGINE_STATE, "show-fingerprint: no "
	    "certificate or key yet");
}

int
kr_engine_witness_confirm(struct kr_engine *e, size_t j, const char *what,
    const char *title, const char *text, const char *fp, const char *event)
{
	struct kr_prompt p;
	struct kr_answer a;
	const char *last = strrchr(fp, ' ') ? strrchr(fp, ' ') + 1 : fp;
	char id[64];
	int r, tries, ok;

	snprintf(id, sizeof(id), "witness.%zu.%s", j + 1, what);
	for (tries = 0; tries < 3; tries++) {
		memset(&p, 0, sizeof(p));
		p.kind = KR_PROMPT_CONFIRM;
		p.id = id;
		p.role = "witness";
		p.actor = e->witnesses[j];
		p.title = title;
		p.text = text;
		p.expect = last;
		if ((r = kr_engine_ask(e, &p, &a)) != 0)
			return r;
		ok = a.yes || (a.text != NULL && strcasecmp(a.text, last) == 0);
		free(a.text);
		if (ok) {
			struct kr_fact f[] = { { "witness", e->witnesses[j] },
			    { what, fp } };

			return kr_engine_record(e, event, "witness", f, 2);
		}
		kr_engine_notice(e, "that is not the last group (%s); compare "
		    "again", last);
	}
	/* A static word for the record (docs/transcript-format.md). */
	e->abort_reason = strcmp(what, "fingerprint") == 0 ?
	    "fingerprint-not-confirmed" : "release-not-confirmed";
	return kr_err_set(KR_ERR_ABORTED, "witness %s did not confirm the "
	    "%s", e->witnesses[j], what);
}

static int
verb_show_fingerprint(struct kr_engine *e, const struct kr_script_step *st)
{
	const char *of = kr_script_arg(st, "of");
	char fp[KR_X509_FP_TEXT_BYTES], text[512];
	int of_key = of != NULL && strcmp(of, "key") == 0, r;
	size_t j;

	if ((r = fingerprint_text(e, of_key, fp, sizeof(fp))) != 0)
		return r;
	if (e->nwitnesses == 0)
		return kr_err_set(KR_ERR_ENGINE_STATE, "no witness to confirm "
		    "the fingerprint: the roll call must come first");
	for (j = 0; j < e->nwitnesses; j++) {
		snprintf(text, sizeof(text), "Witness %s: compare this SHA-256 "
		    "%s with the one read aloud and on the printout:\n\n"
		    "%s\n\nType its last group to confirm.", e->witnesses[j],
		    of_key ? "key id (of the public key, as in the pubhash "
		    "file's sha256-spki-der)" : "fingerprint", fp);
		if ((r = kr_engine_witness_confirm(e, j, "fingerprint",
		    "Fingerprint", text, fp, "fingerprint-confirmed")) != 0)
			return r;
	}
	return 0;
}

static int
verb_wipe(struct kr_engine *e, const struct kr_script_step *st)
{
	(void)st;
	kr_engine_wipe_kek(e);
	kr_secmem_free(e->symkey, e->symkey_len);
	e->symkey = NULL;
	e->symkey_len = 0;
	{
		struct kr_fact f[] = { { "wiped", "kek shares" },
		    { "kept", e->key ? "ceremony key, until the seal" :
		    "nothing" } };

		return kr_engine_record(e, "secrets-wiped", "engine", f, 2);
	}
}

static int
verb_seal(struct kr_engine *e, const struct kr_script_step *st)
{
	int r;

	(void)st;
	/* A card-check has no ceremony key: the custodian's card seals. */
	if (e->key == NULL && e->seal_card != NULL) {
		if ((r = kr_engine_watch_end(e)) != 0)
			return r;
		return kr_engine_seal_with_card(e);
	}
	if (e->key == NULL)
		return kr_err_set(KR_ERR_ENGINE_STATE, "seal-transcript: no "
		    "ceremony key to sign with (was it wiped by the recovery "
		    "window?)");
	/* The air gap's last look, and how often it was looked at. */
	if ((r = kr_engine_watch_end(e)) != 0)
		return r;
	r = kr_transcript_seal(e->tr, e->key);
	EVP_PKEY_free(e->key);
	e->key = NULL;
	e->key_deadline = 0;
	return r;
}

static const struct kr_engine_verb verbs[] = {
	{ "selftest",		verb_selftest },
	{ "airgap-check",	verb_airgap },
	{ "roll-call",		verb_roll_call },
	{ "generate-key",	kr_engine_verb_generate_key },
	{ "self-sign",		kr_engine_verb_self_sign },
	{ "show-fingerprint",	verb_show_fingerprint },
	{ "write-certificate",	kr_engine_verb_write_certificate },
	{ "split",		kr_engine_verb_split },
	{ "write-shares",	kr_engine_verb_write_shares },
	{ "verify-shares",	kr_engine_verb_verify_shares },
	{ "write-escrow",	kr_engine_verb_write_escrow },
	{ "load-escrow",	kr_engine_verb_load_escrow },
	{ "recover",		kr_engine_verb_recover },
	{ "prove-key",		kr_engine_verb_prove_key },
	{ "review-csr",		kr_engine_verb_review_csr },
	{ "sign-csr",		kr_engine_verb_sign_csr },
	{ "review-crl",		kr_engine_verb_review_crl },
	{ "issue-crl",		kr_engine_verb_issue_crl },
	{ "review-target",	kr_engine_verb_review_target },
	{ "restore-key",	kr_engine_verb_restore_key },
	{ "write-public-key",	kr_engine_verb_write_public_key },
	{ "write-pubhash",	kr_engine_verb_write_pubhash },
	{ "write-csr",		kr_engine_verb_write_csr },
	{ "review-release",	kr_engine_verb_review_release },
	{ "sign-release",	kr_engine_verb_sign_release },
	{ "review-cross",	kr_engine_verb_review_csr },
	{ "cross-sign",		kr_engine_verb_sign_csr },
	{ "review-ocsp",	kr_engine_verb_review_ocsp },
	{ "sign-ocsp",		kr_engine_verb_sign_ocsp },
	{ "wipe",		verb_wipe },
	{ "seal-transcript",	verb_seal },
	{ "import-key",		kr_engine_verb_import_key },
	{ "destroy-shares",	kr_engine_verb_destroy_shares },
	{ "attest-copies",	kr_engine_verb_attest_copies },
	{ "check-card",		kr_engine_verb_check_card },
	{ "cosign-transcript",	kr_engine_verb_cosign },
	{ "print-transcript",	kr_engine_verb_print },
};

const struct kr_engine_verb *
kr_engine_verb_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(verbs[i].name, name) == 0)
			return &verbs[i];
	return NULL;
}

static const struct {
	const char		*name;
	kr_engine_preflight_fn	 fn;
} preflights[] = {
	{ "load-escrow",	kr_engine_preflight_escrow },
	{ "sign-csr",		kr_engine_preflight_sign },
	{ "issue-crl",		kr_engine_preflight_crl },
	{ "restore-key",	kr_engine_preflight_restore },
	{ "review-release",	kr_engine_preflight_release },
	{ "import-key",		kr_engine_preflight_import },
	{ "cross-sign",		kr_engine_preflight_cross },
	{ "sign-ocsp",		kr_engine_preflight_ocsp },
};

kr_engine_preflight_fn
kr_engine_preflight_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(preflights) / sizeof(preflights[0]); i++)
		if (strcmp(preflights[i].name, name) == 0)
			return preflights[i].fn;
	return NULL;
}
