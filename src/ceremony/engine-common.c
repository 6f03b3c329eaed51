/*
 * engine-common.c: the verbs every ceremony uses (self-test, air-gap
 * check, roll call, witnesses' fingerprint check, wipe, seal), the facts
 * shown with a step's instruction, and the table that maps a script's
 * verb names to their functions.
 *
 * A verb whose outcome people read aloud or check (the self-tests, the
 * air gap, the wipe) ends with kr_engine_result(), so that the outcome is
 * on the step's own screen before the next step's instruction.
 */
#include <stdarg.h>
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

#define ENGINE_REVIEW_ROUNDS	32	/* roll-call corrections, at most */

static int
verb_selftest(struct kr_engine *e, const struct kr_script_step *st)
{
	struct kr_selftest_result res[KR_SELFTEST_MAX_RESULTS];
	struct kr_engine_details ds;
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
	memset(&ds, 0, sizeof(ds));
	kr_engine_detail(&ds, KR_DETAIL_GOOD, "self-tests", "PASSED: %zu of "
	    "%zu", n, n);
	kr_engine_detail(&ds, 0, "covering", "every algorithm the policy "
	    "allows (known answers and pairwise checks), the random "
	    "generator, secret sharing, AES-256-GCM");
	return kr_engine_result(e, "Self-tests passed", &ds);
}

/* The air-gap check's verdict as details, for the people to read. */
static void
airgap_details(const struct kr_airgap_report *rep, int r, int rehearsal,
    struct kr_engine_details *ds)
{
	char list[1024];
	size_t i, used;

	kr_engine_detail(ds, (r == 0 ? KR_DETAIL_GOOD : KR_DETAIL_BAD) |
	    KR_DETAIL_SUMMARY, "air gap", "%s", r == 0 ? "AIR-GAPPED" :
	    rehearsal ? "NOT AIR-GAPPED: allowed in a rehearsal, and recorded" :
	    "NOT AIR-GAPPED");
	used = 0;
	list[0] = '\0';
	for (i = 0; i < rep->nnetifs && used < sizeof(list); i++)
		used += (size_t)snprintf(list + used, sizeof(list) - used,
		    "%s%s%s", used ? ", " : "", rep->netifs[i].name,
		    rep->netifs[i].ok ? "" : " (NOT ALLOWED)");
	kr_engine_detail(ds, 0, "interfaces", "%s", used ? list : "none");
	used = 0;
	list[0] = '\0';
	for (i = 0; i < rep->nradios && used < sizeof(list); i++)
		used += (size_t)snprintf(list + used, sizeof(list) - used,
		    "%s%s (%s)", used ? ", " : "", rep->radios[i].name,
		    rep->radios[i].kind);
	kr_engine_detail(ds, rep->nradios ? KR_DETAIL_BAD : 0, "radios", "%s",
	    used ? list : "none");
	used = 0;
	list[0] = '\0';
	for (i = 0; i < rep->nusb; i++) {
		if (rep->usb[i].ok)
			continue;
		if (used < sizeof(list))
			used += (size_t)snprintf(list + used, sizeof(list) -
			    used, "%s%04x:%04x %s (%s)", used ? "; " : "",
			    rep->usb[i].vid, rep->usb[i].pid,
			    rep->usb[i].product, rep->usb[i].reason);
	}
	kr_engine_detail(ds, used ? KR_DETAIL_BAD : 0, "USB devices",
	    "%zu attached%s%s", rep->nusb, used ? "; not allowed: " :
	    ", none can reach a network", list);
	if (rep->incomplete[0] != '\0')
		kr_engine_detail(ds, KR_DETAIL_BAD, "not read", "%s",
		    rep->incomplete);
	kr_engine_detail(ds, 0, "watched", "from now until the seal: "
	    "anything new stops the ceremony%s", rehearsal && r != 0 ?
	    " (in this rehearsal, it is only recorded)" : "");
}

static int
verb_airgap(struct kr_engine *e, const struct kr_script_step *st)
{
	struct kr_airgap_report *rep = NULL;
	struct kr_engine_details ds;
	char *json = NULL, detail[1024];
	int r, rj;

	(void)st;
	memset(&ds, 0, sizeof(ds));
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
	airgap_details(rep, r, e->cfg.rehearsal, &ds);
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
	if (r == 0)
		r = kr_engine_result(e, "Air-gap check", &ds);
	rj = r;
 out:
	kr_engine_details_free(&ds);
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
 * Who else in this roll call has this name, leaving out self (the entry
 * being asked, which may hold it already): one person holds one role and
 * one share.
 */
static const char *
named_already(const struct kr_engine *e, const char *name, const char *self)
{
	size_t i;

	if (self != e->operator_name && strcasecmp(name, e->operator_name) == 0)
		return "the administrator";
	for (i = 0; i < e->nwitnesses; i++)
		if (self != e->witnesses[i] &&
		    strcasecmp(name, e->witnesses[i]) == 0)
			return "a witness";
	for (i = 0; i < e->ncustodians; i++)
		if (self != e->custodians[i].name &&
		    strcasecmp(name, e->custodians[i].name) == 0)
			return "a custodian";
	return NULL;
}

/*
 * Asks a person's name into name (one of the roll call's buffers),
 * refusing on the spot a name that is someone else's in this roll call.
 * An optional name may be left empty.
 */
static int
ask_name(struct kr_engine *e, const char *id, const char *text, int required,
    char *name, size_t len)
{
	char refused[256] = "";
	const char *who;
	size_t tries;
	int r;

	for (tries = 0;; tries++) {
		if (tries == ENGINE_ANSWER_TRIES)
			return kr_err_set(KR_ERR_INVALID_ARGUMENT, "%s: %s",
			    id, refused);
		if ((r = kr_engine_ask_text_again(e, id, "administrator",
		    "Roll call", text, required, refused[0] ? refused : NULL,
		    name, len)) != 0)
			return r;
		if (name[0] == '\0' ||
		    (who = named_already(e, name, name)) == NULL)
			return 0;
		snprintf(refused, sizeof(refused), "%s is %s already: one "
		    "person holds one role and one share", name, who);
		kr_engine_notice(e, "%s", refused);
	}
}

/*
 * The serial of the card c names, if it is in a reader now ("" if not):
 * so that a card named by its label and again by its serial is seen to
 * be one card as soon as it is named.
 */
static void
card_serial(struct kr_engine *e, struct kr_engine_custodian *c)
{
	struct kr_token_info info;

	c->serial[0] = '\0';
	if (e->mod == NULL || kr_token_module_reload(e->mod) != 0)
		return;
	if (kr_token_find(e->mod, c->card, &info) == 0)
		snprintf(c->serial, sizeof(c->serial), "%s", info.serial);
	kr_err_clear();
}

/* The serials of the cards named for custodians other than i. */
static size_t
other_serials(const struct kr_engine *e, size_t i, char (*out)[17])
{
	size_t j, n = 0;

	for (j = 0; j < e->ncustodians; j++)
		if (j != i && e->custodians[j].serial[0] != '\0')
			memcpy(out[n++], e->custodians[j].serial, 17);
	return n;
}

/*
 * Asks which card custodian i brings: a frontend may offer the cards
 * present to choose from (cards_present), without the ones named already
 * (used), and takes a typed label for a card not in a reader yet; the
 * roll call's review checks that every card is there before the
 * ceremony goes on.  The same card twice is refused on the spot.
 */
static int
ask_card(struct kr_engine *e, size_t i)
{
	struct kr_engine_custodian *c = &e->custodians[i];
	char id[64], text[256], refused[512] = "", (*used)[17];
	struct kr_prompt p;
	size_t j, tries;
	int r = 0;

	if ((used = calloc(e->ncustodians + 1, sizeof(*used))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "roll call");
	snprintf(id, sizeof(id), "custodian.%zu.card", i + 1);
	snprintf(text, sizeof(text), "Label of %s's card.", c->name);
	for (tries = 0;; tries++) {
		if (tries == ENGINE_ANSWER_TRIES) {
			r = kr_err_set(KR_ERR_INVALID_ARGUMENT, "%s: %s", id,
			    refused);
			break;
		}
		memset(&p, 0, sizeof(p));
		p.id = id;
		p.role = "administrator";
		p.title = "Roll call";
		p.text = text;
		p.refused = refused[0] ? refused : NULL;
		if (e->mod != NULL) {
			p.cards_present = kr_engine_cards_present;
			p.cards_ctx = e;
		}
		p.nused = other_serials(e, i, used);
		p.used = used;
		if ((r = kr_engine_ask_line(e, &p, c->card,
		    sizeof(c->card))) != 0)
			break;
		card_serial(e, c);
		for (j = 0; j < e->ncustodians; j++)
			if (j != i && e->custodians[j].card[0] != '\0' &&
			    (strcmp(c->card, e->custodians[j].card) == 0 ||
			    (c->serial[0] != '\0' && strcmp(c->serial,
			    e->custodians[j].serial) == 0)))
				break;
		if (j == e->ncustodians)
			break;
		snprintf(refused, sizeof(refused), "card %s is %s's already: "
		    "each custodian brings a card of their own", c->card,
		    e->custodians[j].name);
		kr_engine_notice(e, "%s", refused);
	}
	free(used);
	return r;
}

/* Asks for custodian i's name and card, refusing repeats on the spot. */
static int
roll_one_custodian(struct kr_engine *e, size_t i)
{
	struct kr_engine_custodian *c = &e->custodians[i];
	char id[64], text[256];
	int r;

	snprintf(id, sizeof(id), "custodian.%zu.name", i + 1);
	snprintf(text, sizeof(text), "Name of custodian %zu of %zu.", i + 1,
	    e->ncustodians);
	if ((r = ask_name(e, id, text, 1, c->name, sizeof(c->name))) != 0)
		return r;
	return ask_card(e, i);
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
	kr_err_clear();
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

/*
 * The roll call as entries (one line each, the order the review and its
 * corrections use): the administrator, each witness, why, what
 * authorizes it, each custodian with the card and its serial.
 */
struct roll_entries {
	char	*line[3 + ENGINE_MAX_WITNESSES + 255];
	size_t	 n;
};

static void
entries_free(struct roll_entries *re)
{
	size_t i;

	for (i = 0; i < re->n; i++)
		free(re->line[i]);
	re->n = 0;
}

static void
entry_add(struct roll_entries *re, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
entry_add(struct roll_entries *re, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (re->n < sizeof(re->line) / sizeof(re->line[0]) &&
	    (re->line[re->n] = strdup(buf)) != NULL)
		re->n++;
}

static void
roll_entries(const struct kr_engine *e, struct roll_entries *re)
{
	size_t i;

	re->n = 0;
	entry_add(re, "Administrator: %s", e->operator_name);
	for (i = 0; i < e->nwitnesses; i++)
		entry_add(re, "Witness %zu: %s", i + 1, e->witnesses[i]);
	entry_add(re, "Why: %s", e->reason[0] ? e->reason : "(not given)");
	entry_add(re, "Authorization: %s", e->authorization[0] ?
	    e->authorization : "(not given)");
	for (i = 0; i < e->ncustodians; i++)
		entry_add(re, "Custodian %zu: %s, card %s%s%s", i + 1,
		    e->custodians[i].name, e->custodians[i].card,
		    e->custodians[i].serial[0] ? " serial " : " (not in a "
		    "reader)", e->custodians[i].serial);
}

static void
roll_call_text(const struct kr_engine *e, const struct roll_entries *re,
    const char *problems, char *out, size_t outlen)
{
	size_t i, j, used = 0;

	out[0] = '\0';
	for (i = 0; i < re->n && used < outlen; i++) {
		/* A reshare: the old roster, then the new one. */
		if (i == 3 + e->nwitnesses && is_reshare(e)) {
			used += (size_t)snprintf(out + used, outlen - used,
			    "Old roster (%s, %u of %u), retired at the "
			    "seal:\n", e->escrow_name, e->escrow->m,
			    e->escrow->n);
			for (j = 0; j < e->escrow->n && used < outlen; j++)
				used += (size_t)snprintf(out + used,
				    outlen - used, "  %zu: %s, card %s "
				    "serial %s\n", j + 1,
				    e->escrow->roster[j].name,
				    e->escrow->roster[j].card,
				    e->escrow->roster[j].serial);
			if (used < outlen)
				used += (size_t)snprintf(out + used,
				    outlen - used, "New roster:\n");
			if (used >= outlen)
				break;
		}
		used += (size_t)snprintf(out + used, outlen - used, "%s\n",
		    re->line[i]);
	}
	if (used < outlen)
		snprintf(out + used, outlen - used, problems[0] ? "\nTo "
		    "correct: %s.\nInsert the cards and answer yes to check "
		    "again, or correct the roll call." : "\nIs this right? "
		    "yes: go on; no: correct the roll call.", problems);
}

static int ask_why(struct kr_engine *, int);
static int ask_authorization(struct kr_engine *, int);

/*
 * Corrects entry k (1-based, in roll_entries() order) alone: the person
 * or answer is asked for again.  k = 0: every custodian again.
 */
static int
correct_entry(struct kr_engine *e, size_t k)
{
	size_t nw = e->nwitnesses, i;
	char id[64], text[128];
	int r;

	if (k == 1)
		return ask_name(e, "operator.name", "Name of the ceremony "
		    "administrator.", 1, e->operator_name,
		    sizeof(e->operator_name));
	if (k >= 2 && k < 2 + nw) {
		snprintf(id, sizeof(id), "witness.%zu.name", k - 1);
		snprintf(text, sizeof(text), "Name of witness %zu.", k - 1);
		return ask_name(e, id, text, 1, e->witnesses[k - 2],
		    sizeof(e->witnesses[0]));
	}
	if (k == 2 + nw)
		return ask_why(e, 1);
	if (k == 3 + nw)
		return ask_authorization(e, 1);
	if (k > 3 + nw && k - 4 - nw < e->ncustodians) {
		i = k - 4 - nw;
		memset(&e->custodians[i], 0, sizeof(e->custodians[i]));
		return roll_one_custodian(e, i);
	}
	kr_engine_notice(e, "the roll call is corrected: the custodians are "
	    "asked again");
	for (i = 0; i < e->ncustodians; i++)
		memset(&e->custodians[i], 0, sizeof(e->custodians[i]));
	for (i = 0; i < e->ncustodians; i++)
		if ((r = roll_one_custodian(e, i)) != 0)
			return r;
	return 0;
}

/*
 * The roll call, shown whole for review before anything irreversible:
 * every card must be in a reader and distinct.  People may correct any
 * one entry (the engine asks for it again) or every custodian; cards put
 * in meanwhile are checked again.
 */
static int
review_roll_call(struct kr_engine *e)
{
	char problems[1024], text[8192], refused[1100], table[8192];
	struct kr_engine_details ds;
	struct roll_entries re;
	struct kr_prompt p;
	struct kr_answer a;
	size_t tries = 0, rounds, k;
	int r, yes;

	refused[0] = '\0';
	re.n = 0;
	for (rounds = 0; rounds < ENGINE_REVIEW_ROUNDS; rounds++) {
		entries_free(&re);
		if ((r = check_cards(e, problems, sizeof(problems))) != 0)
			return r;
		roll_entries(e, &re);
		roll_call_text(e, &re, problems, text, sizeof(text));
		if (is_reshare(e))
			reshare_table(e, table, sizeof(table));
		memset(&p, 0, sizeof(p));
		p.table = is_reshare(e) ? table : NULL;
		p.kind = KR_PROMPT_CONFIRM;
		p.id = problems[0] ? "roll-call.check" : "roll-call.confirm";
		p.role = "administrator";
		p.title = "Roll call";
		p.text = text;
		p.choices = (const char *const *)re.line;
		p.nchoices = re.n;
		p.refused = refused[0] ? refused : NULL;
		memset(&ds, 0, sizeof(ds));
		if (problems[0] != '\0')
			kr_engine_detail(&ds, KR_DETAIL_BAD, "to correct",
			    "%s", problems);
		p.details = ds.d;
		p.ndetails = ds.n;
		r = kr_engine_ask(e, &p, &a);
		kr_engine_details_free(&ds);
		if (r != 0)
			break;
		yes = a.yes || (a.text != NULL && strcasecmp(a.text,
		    "yes") == 0);
		k = a.choice;
		kr_engine_answer_free(&p, &a);
		if (yes && problems[0] == '\0')
			break;
		if (yes) {
			snprintf(refused, sizeof(refused), "still to correct: "
			    "%s", problems);
			if (++tries == ENGINE_ANSWER_TRIES) {
				r = kr_err_set(KR_ERR_TOKEN_NOT_PRESENT, "roll "
				    "call: %s: insert the cards named, or "
				    "correct the roll call", problems);
				break;
			}
			continue;
		}
		refused[0] = '\0';
		if ((r = correct_entry(e, k <= re.n ? k : 0)) != 0)
			break;
	}
	entries_free(&re);
	if (rounds == ENGINE_REVIEW_ROUNDS)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "the roll call was "
		    "corrected %d times without being confirmed",
		    ENGINE_REVIEW_ROUNDS);
	return r;
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
		if ((r = roll_one_custodian(e, i)) != 0)
			return r;
	return 0;
}

/* Witnesses until an empty name; a name given twice is asked again. */
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
		r = ask_name(e, id, text, j == 0, e->witnesses[j],
		    sizeof(e->witnesses[0]));
		if (r == KR_ERR_ANSWER_MISSING && j > 0)
			break;
		if (r != 0)
			return r;
		if (e->witnesses[j][0] == '\0')
			break;
		e->nwitnesses++;
	}
	return 0;
}

static int
record_roll_call(struct kr_engine *e)
{
	struct kr_fact f[4 + ENGINE_MAX_WITNESSES + 3 * 255];
	char keys[ENGINE_MAX_WITNESSES + 3 * 255][48];
	size_t n = 0, k = 0, i;

	f[n++] = (struct kr_fact){ "operator", e->operator_name };
	f[n++] = (struct kr_fact){ "reason", e->reason };
	f[n++] = (struct kr_fact){ "authorization", e->authorization };
	for (i = 0; i < e->nwitnesses; i++, k++) {
		snprintf(keys[k], sizeof(keys[k]), "witness.%zu", i + 1);
		f[n++] = (struct kr_fact){ keys[k], e->witnesses[i] };
	}
	for (i = 0; i < e->ncustodians; i++) {
		snprintf(keys[k], sizeof(keys[k]), "custodian.%zu", i + 1);
		f[n++] = (struct kr_fact){ keys[k++], e->custodians[i].name };
		snprintf(keys[k], sizeof(keys[k]), "custodian.%zu.card", i + 1);
		f[n++] = (struct kr_fact){ keys[k++], e->custodians[i].card };
		snprintf(keys[k], sizeof(keys[k]), "custodian.%zu.serial",
		    i + 1);
		f[n++] = (struct kr_fact){ keys[k++], e->custodians[i].serial };
	}
	return kr_engine_record(e, "roll-call", "administrator", f, n);
}

/*
 * Why the ceremony is held, and what authorizes it: required in a real
 * ceremony (and when corrected), "rehearsal" when a rehearsal leaves
 * them empty.
 */
static int
ask_reason(struct kr_engine *e, const char *id, const char *title,
    const char *text, int need, char *out, size_t outlen)
{
	int r;

	/* Destroying a key is never held without saying why and who says so. */
	need = need || !e->cfg.rehearsal || script_has(e, "destroy-shares");
	r = kr_engine_ask_text(e, id, "administrator", title, text, need, out,
	    outlen);
	if (r == KR_ERR_ANSWER_MISSING && !need) {
		out[0] = '\0';
		r = 0;
	}
	if (r == KR_ERR_ANSWER_MISSING)
		return kr_err_set(r, "%s; %s does not start without a reason "
		    "and an authorization", kr_err_detail(), e->cfg.rehearsal ?
		    "a key-destroy, even in rehearsal," : "a real ceremony");
	if (r == 0 && out[0] == '\0')
		snprintf(out, outlen, "rehearsal");
	return r;
}

static int
ask_why(struct kr_engine *e, int need)
{
	return ask_reason(e, "ceremony.reason", "Why", "Why is this ceremony "
	    "held?", need, e->reason, sizeof(e->reason));
}

static int
ask_authorization(struct kr_engine *e, int need)
{
	return ask_reason(e, "ceremony.authorization", "Authorization", "What "
	    "authorizes it (change ticket, board resolution, court order)?",
	    need, e->authorization, sizeof(e->authorization));
}

static int
verb_roll_call(struct kr_engine *e, const struct kr_script_step *st)
{
	int r;

	(void)st;
	if ((r = ask_name(e, "operator.name", "Name of the ceremony "
	    "administrator.", 1, e->operator_name,
	    sizeof(e->operator_name))) != 0 ||
	    (r = roll_witnesses(e)) != 0 || (r = ask_why(e, 0)) != 0 ||
	    (r = ask_authorization(e, 0)) != 0 ||
	    (r = roll_custodians(e)) != 0 || (r = review_roll_call(e)) != 0)
		return r;
	return record_roll_call(e);
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

/*
 * The fingerprint witnesses compare (the certificate's, else the key
 * id); the screens and the recovery checks use it.
 */
int
kr_engine_fingerprint_text(struct kr_engine *e, char *out, size_t outlen)
{
	return fingerprint_text(e, 0, out, outlen);
}

/* What the fingerprint is of, for the people comparing it. */
static const char *
fingerprint_of(const struct kr_engine *e, int of_key)
{
	if (e->cert != NULL && !of_key)
		return "SHA-256 fingerprint of the certificate";
	if ((e->escrow != NULL && e->escrow->symmetric) || e->symkey != NULL)
		return "check value of the symmetric key";
	return "key id: SHA-256 of the public key";
}

/*
 * Each witness types the last group of fp (labelled label on the
 * screen).  A group typed wrong is recorded (fingerprint-refused) and
 * asked for again, with the reason; three wrong groups abort the
 * ceremony.  A group typed right is recorded as event.
 */
int
kr_engine_witness_confirm(struct kr_engine *e, size_t j, const char *what,
    const char *title, const char *label, const char *text, const char *fp,
    const char *event)
{
	struct kr_engine_details ds;
	struct kr_prompt p;
	struct kr_answer a;
	const char *last = strrchr(fp, ' ') ? strrchr(fp, ' ') + 1 : fp;
	char id[64], refused[256] = "", typed[16];
	int r, tries, ok;

	snprintf(id, sizeof(id), "witness.%zu.%s", j + 1, what);
	for (tries = 0; tries < 3; tries++) {
		memset(&p, 0, sizeof(p));
		memset(&ds, 0, sizeof(ds));
		kr_engine_detail(&ds, KR_DETAIL_GROUPS, label, "%s", fp);
		p.kind = KR_PROMPT_CONFIRM;
		p.id = id;
		p.role = "witness";
		p.actor = e->witnesses[j];
		p.title = title;
		p.text = text;
		p.expect = last;
		p.refused = refused[0] ? refused : NULL;
		p.details = ds.d;
		p.ndetails = ds.n;
		r = kr_engine_ask(e, &p, &a);
		kr_engine_details_free(&ds);
		if (r != 0)
			return r;
		ok = a.yes || (a.text != NULL && strcasecmp(a.text, last) == 0);
		snprintf(typed, sizeof(typed), "%s", a.text ? a.text : "");
		free(a.text);
		if (ok) {
			struct kr_fact f[] = { { "witness", e->witnesses[j] },
			    { what, fp } };

			return kr_engine_record(e, event, "witness", f, 2);
		}
		{
			struct kr_fact f[] = { { "witness", e->witnesses[j] },
			    { "typed", typed }, { "expected", last } };

			if ((r = kr_engine_record(e, "fingerprint-refused",
			    "witness", f, 3)) != 0)
				return r;
		}
		snprintf(refused, sizeof(refused), "%s is not the last group "
		    "(%d of 3 tries left): compare again, group by group",
		    typed[0] ? typed : "nothing typed", 2 - tries);
		kr_engine_notice(e, "%s", refused);
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
		    "Fingerprint", fingerprint_of(e, of_key), text, fp,
		    "fingerprint-confirmed")) != 0)
			return r;
	}
	return 0;
}

/* show-fingerprint: the fingerprint is on the screen as it is read. */
static void
details_fingerprint(struct kr_engine *e, const struct kr_script_step *st,
    struct kr_engine_details *ds)
{
	const char *of = kr_script_arg(st, "of");
	char fp[KR_X509_FP_TEXT_BYTES];
	int of_key = of != NULL && strcmp(of, "key") == 0;

	if (fingerprint_text(e, of_key, fp, sizeof(fp)) != 0) {
		kr_err_clear();
		return;
	}
	kr_engine_detail(ds, KR_DETAIL_GROUPS | KR_DETAIL_SUMMARY,
	    fingerprint_of(e, of_key), "%s", fp);
}

/* load-escrow: the package was read before the ceremony; show it. */
static void
details_escrow(struct kr_engine *e, const struct kr_script_step *st,
    struct kr_engine_details *ds)
{
	(void)st;
	kr_engine_escrow_details(e, ds);
}

/*
 * The facts a step's instruction speaks of, shown with it: the verbs
 * whose instruction says something "is now on the screen".
 */
static const struct {
	const char	*verb;
	void		(*details)(struct kr_engine *,
			    const struct kr_script_step *,
			    struct kr_engine_details *);
} step_details[] = {
	{ "show-fingerprint",	details_fingerprint },
	{ "load-escrow",	details_escrow },
};

void
kr_engine_step_details(struct kr_engine *e, const struct kr_script_step *st,
    struct kr_engine_details *ds)
{
	size_t i;

	for (i = 0; i < sizeof(step_details) / sizeof(step_details[0]); i++)
		if (strcmp(step_details[i].verb, st->verb) == 0)
			step_details[i].details(e, st, ds);
}

static int
verb_wipe(struct kr_engine *e, const struct kr_script_step *st)
{
	struct kr_engine_details ds;
	int r;

	(void)st;
	kr_engine_wipe_kek(e);
	kr_secmem_free(e->symkey, e->symkey_len);
	e->symkey = NULL;
	e->symkey_len = 0;
	{
		struct kr_fact f[] = { { "wiped", "kek shares" },
		    { "kept", e->key ? "ceremony key, until the seal" :
		    "nothing" } };

		if ((r = kr_engine_record(e, "secrets-wiped", "engine", f,
		    2)) != 0)
			return r;
	}
	memset(&ds, 0, sizeof(ds));
	kr_engine_detail(&ds, KR_DETAIL_GOOD, "wipe", "COMPLETE");
	kr_engine_detail(&ds, 0, "wiped", "the key-encryption key and every "
	    "share, from locked memory");
	kr_engine_detail(&ds, 0, "kept", "%s", e->key ? "the key, only to "
	    "sign the transcript at the next step; then it is wiped too" :
	    "nothing");
	return kr_engine_result(e, "Secrets wiped", &ds);
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
