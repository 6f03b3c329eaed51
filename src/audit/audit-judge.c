/*
 * audit-judge.c: linking and judging a ceremony archive.
 *
 * From the transcripts audit-model.c read: the chain of ceremonies
 * (previous-transcript-sha256), the managed keys and their lives, and the
 * findings.  Every finding cites the file and record it rests on, and
 * names what an auditor should ask for (docs/auditor-guide.md, whose
 * table lists the same codes with the same words).
 *
 * What counts:
 *   - a transcript that fails verification (BAD) says nothing: its
 *     records are neither used nor believed, only reported;
 *   - an unsealed one is used for what it shows happened before it
 *     stopped (a failed recovery presented cards), never as a ceremony
 *     that completed: it cannot create a key, vouch for a package or
 *     count as a drill;
 *   - a key's last recovery is its last sealed ceremony that recovered
 *     it (a drill or a use), else its creation;
 *   - its cryptoperiod starts at its creation record and lasts the
 *     cryptoperiod-days of the policy named by the creating transcript
 *     (the policy file must be in the archive or given with --policy).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "base/err.h"
#include "base/hex.h"
#include "crypto/key.h"
#include "audit-int.h"
#include "audit.h"

static const struct kr_audit_ref noref = { -1, 0 };

/* Each finding's code, and the evidence an auditor should ask for. */
static const struct {
	const char	*code;
	const char	*evidence;
} evidence[] = {
	{ "transcript-bad", "the original media and the paper record of the "
	    "ceremony; compare the paper's final chain value and the "
	    "witnesses' notes with the file" },
	{ "transcript-unreadable", "another copy of the transcript (backup "
	    "media, the paper record)" },
	{ "scan-incomplete", "a new scan of the pages the message names" },
	{ "transcript-unsealed", "the witnesses' signed paper record and the "
	    "administrator's account of how the ceremony ended" },
	{ "cosignature-missing", "the custodian's account and the signed "
	    "sign-off block; why the card could not sign" },
	{ "chain-gap", "the missing transcript (its SHA-256 is named), from "
	    "any medium or its paper record" },
	{ "chain-fork", "both branches' paper records, and why two ceremonies "
	    "continued from the same one" },
	{ "chain-break", "the records of the ceremonies between, and the "
	    "appliance's clock settings" },
	{ "recovery-unauthorized", "the change ticket, board resolution or "
	    "order that authorised the recovery" },
	{ "drill-overdue", "the schedule of recovery drills and the reason "
	    "the last one was missed; hold a drill" },
	{ "cryptoperiod-ended", "the plan to replace the key (new key, "
	    "re-issued certificates, then key-destroy)" },
	{ "cryptoperiod-ending", "the plan to replace the key before its "
	    "cryptoperiod ends" },
	{ "rehearsal-in-real-archive", "why a rehearsal was filed with real "
	    "ceremonies; that no rehearsal output was put to use" },
	{ "escrow-unvouched", "the transcript of the ceremony that made the "
	    "package; until then, do not use it" },
	{ "escrow-unreadable", "another copy of the escrow package" },
	{ "escrow-missing", "the escrow package's copies (backup media, "
	    "paper)" },
	{ "unrecorded-signature", "the transcript of the ceremony that "
	    "signed it; if none exists, treat the key as compromised" },
	{ "policy-unknown", "the policy file in force at the time (its "
	    "SHA-256 is in the transcript header)" },
	{ "policy-unreadable", "the reviewed copy of the policy file" },
};

const char *
kr_audit_evidence(const char *code)
{
	size_t i;

	for (i = 0; i < sizeof(evidence) / sizeof(evidence[0]); i++)
		if (strcmp(evidence[i].code, code) == 0)
			return evidence[i].evidence;
	return "";
}

static int
usable(const struct kr_audit_transcript *t)
{
	return t->status <= KR_AUDIT_UNSEALED;
}

static int
sealed(const struct kr_audit_transcript *t)
{
	return t->status <= KR_AUDIT_INCOMPLETE;
}

static const uint8_t *
sha_of(const struct kr_audit *a, const struct kr_audit_transcript *t)
{
	return a->files[t->ref.file].sha256;
}

/* --- the chain ------------------------------------------------------------ */

static int
find_by_sha(const struct kr_audit *a, const uint8_t sha[32])
{
	size_t i;

	for (i = 0; i < a->ntranscripts; i++)
		if (a->transcripts[i].status != KR_AUDIT_UNREADABLE &&
		    memcmp(sha_of(a, &a->transcripts[i]), sha, 32) == 0)
			return (int)i;
	return -1;
}

static void
link_one(struct kr_audit *a, size_t j, int *first, int nbad)
{
	struct kr_audit_transcript *t = &a->transcripts[j], *p;
	char hex[65];
	int i;

	if (!t->has_previous) {
		if (*first < 0) {
			*first = (int)j;
			t->link = KR_AUDIT_LINK_FIRST;
			return;
		}
		t->link = KR_AUDIT_LINK_RESTART;
		kr_audit_find(a, "chain-break", KR_AUDIT_MEDIUM, &t->ref, -1,
		    (int)j, "ceremony %s (%s) names no previous ceremony, "
		    "though %s (%s) came before it: the chain starts again "
		    "here", t->ceremony_id, t->started,
		    a->transcripts[*first].ceremony_id,
		    a->transcripts[*first].started);
		return;
	}
	kr_hex_encode(t->previous, 32, hex, sizeof(hex));
	if ((i = find_by_sha(a, t->previous)) < 0) {
		t->link = KR_AUDIT_LINK_GAP;
		kr_audit_find(a, "chain-gap", KR_AUDIT_HIGH, &t->ref, -1,
		    (int)j, "ceremony %s names as its previous ceremony a "
		    "transcript with SHA-256 %s, which is not in the "
		    "archive%s", t->ceremony_id, hex, nbad > 0 ? " (a "
		    "transcript that fails verification may be an altered "
		    "copy of it)" : "");
		return;
	}
	p = &a->transcripts[i];
	t->prev = i;
	if (!usable(p)) {
		t->link = KR_AUDIT_LINK_TO_BAD;
		return;
	}
	if (p->t_started > t->t_started) {
		t->link = KR_AUDIT_LINK_BACKWARDS;
		kr_audit_find(a, "chain-break", KR_AUDIT_HIGH, &t->ref, -1,
		    (int)j, "ceremony %s (%s) names as its previous ceremony "
		    "%s, which started later (%s)", t->ceremony_id,
		    t->started, p->ceremony_id, p->started);
		return;
	}
	if (p->next >= 0) {
		t->link = KR_AUDIT_LINK_FORK;
		kr_audit_find(a, "chain-fork", KR_AUDIT_HIGH, &t->ref, -1,
		    (int)j, "ceremonies %s and %s both name %s as their "
		    "previous ceremony: the chain forks there",
		    a->transcripts[p->next].ceremony_id, t->ceremony_id,
		    p->ceremony_id);
		return;
	}
	p->next = (int)j;
	t->link = KR_AUDIT_LINK_OK;
}

static void
link_chain(struct kr_audit *a)
{
	size_t j;
	int first = -1, nbad = 0;

	for (j = 0; j < a->ntranscripts; j++) {
		a->transcripts[j].prev = -1;
		a->transcripts[j].next = -1;
		a->transcripts[j].link = KR_AUDIT_LINK_NONE;
		nbad += !usable(&a->transcripts[j]);
	}
	for (j = 0; j < a->ntranscripts; j++)
		if (usable(&a->transcripts[j]))
			link_one(a, j, &first, nbad);
}

/* --- keys ----------------------------------------------------------------- */

static int
key_index(struct kr_audit *a, const uint8_t id[32], int add)
{
	struct kr_audit_key *k;
	size_t i;

	for (i = 0; i < a->nkeys; i++)
		if (memcmp(a->keys[i].id, id, 32) == 0)
			return (int)i;
	if (!add)
		return -1;
	if ((k = realloc(a->keys, (a->nkeys + 1) * sizeof(*k))) == NULL)
		return -1;
	a->keys = k;
	k += a->nkeys;
	memset(k, 0, sizeof(*k));
	memcpy(k->id, id, 32);
	k->created = -1;
	k->created_ref = noref;
	k->escrow = -1;
	k->last_recovery = -1;
	k->cp_policy = -1;
	k->destroyed = -1;
	return (int)a->nkeys++;
}

static int
push_int(int **v, size_t *n, int x)
{
	int *p;

	if ((p = realloc(*v, (*n + 1) * sizeof(*p))) == NULL)
		return -1;
	*v = p;
	p[(*n)++] = x;
	return 0;
}

static const struct kr_audit_class_rules *
rules_of(const struct kr_audit *a, const uint8_t policy[32],
    const char *key_class, int *pi)
{
	size_t i, j;

	for (i = 0; i < a->npolicies; i++) {
		if (memcmp(a->policies[i].sha256, policy, 32) != 0)
			continue;
		for (j = 0; j < a->policies[i].nclasses; j++)
			if (strcmp(a->policies[i].classes[j].key_class,
			    key_class) == 0) {
				*pi = (int)i;
				return &a->policies[i].classes[j];
			}
	}
	*pi = -1;
	return NULL;
}

static void
key_pkey(struct kr_audit *a, struct kr_audit_key *k)
{
	const uint8_t *spki = NULL;
	size_t len = 0, i;
	EVP_PKEY *pk = NULL;
	uint8_t id[32];

	for (i = 0; i < a->ntranscripts && spki == NULL; i++) {
		const struct kr_audit_transcript *t = &a->transcripts[i];

		if (sealed(t) && t->signer_spki != NULL &&
		    memcmp(t->signer_key_id, k->id, 32) == 0) {
			spki = t->signer_spki;
			len = t->signer_spki_len;
		}
	}
	if (spki != NULL && kr_key_from_spki(spki, len, &pk) == 0 &&
	    kr_key_id(pk, id) == 0 && memcmp(id, k->id, 32) == 0)
		k->pkey = pk;
	else
		EVP_PKEY_free(pk);
}

/* Keys from sealed creations, escrow packages and the ceremonies on them. */
static void
gather_keys(struct kr_audit *a)
{
	size_t i;
	int k;

	for (i = 0; i < a->ntranscripts; i++) {
		struct kr_audit_transcript *t = &a->transcripts[i];

		if (sealed(t) && t->has_key_id &&
		    (t->kind == KR_AUDIT_KIND_CREATE ||
		    t->kind == KR_AUDIT_KIND_IMPORT) &&
		    (k = key_index(a, t->key_id, 1)) >= 0 &&
		    a->keys[k].created < 0) {
			a->keys[k].created = (int)i;
			a->keys[k].created_ref = t->key_ref;
			snprintf(a->keys[k].created_at,
			    sizeof(a->keys[k].created_at), "%s", t->key_at);
			a->keys[k].threshold = t->threshold;
			a->keys[k].shares = t->nsplit;
		}
	}
	for (i = 0; i < a->nescrows; i++)
		if (a->escrows[i].ok)
			a->escrows[i].key = key_index(a,
			    a->escrows[i].key_id, 1);
	for (i = 0; i < a->ntranscripts; i++) {
		struct kr_audit_transcript *t = &a->transcripts[i];

		if (!usable(t) || !t->has_key_id)
			continue;
		if ((k = key_index(a, t->key_id, t->escrow_loaded.record >
		    0)) < 0)
			continue;
		t->key = k;
		push_int(&a->keys[k].events, &a->keys[k].nevents, (int)i);
	}
}

static void
key_escrow(struct kr_audit *a, struct kr_audit_key *k, int ki)
{
	size_t i;
	int e = -1;

	for (i = 0; i < a->nescrows; i++)
		if (a->escrows[i].ok && a->escrows[i].key == ki &&
		    (e < 0 || strcmp(a->escrows[i].created,
		    a->escrows[e].created) > 0))
			e = (int)i;
	k->escrow = e;
	if (e < 0)
		return;
	snprintf(k->key_class, sizeof(k->key_class), "%s",
	    a->escrows[e].key_class);
	snprintf(k->algorithm, sizeof(k->algorithm), "%s",
	    a->escrows[e].algorithm);
	if (k->threshold == 0) {
		k->threshold = a->escrows[e].m;
		k->shares = a->escrows[e].n;
	}
}

static void
key_recovery(struct kr_audit *a, struct kr_audit_key *k)
{
	const struct kr_audit_transcript *t;
	time_t when;
	size_t i;

	for (i = 0; i < k->nevents; i++) {
		t = &a->transcripts[k->events[i]];
		if (sealed(t) && t->recovered.record > 0)
			k->last_recovery = k->events[i];
		if (sealed(t) && t->kind == KR_AUDIT_KIND_DESTROY)
			k->destroyed = k->events[i];
	}
	if (k->last_recovery >= 0) {
		t = &a->transcripts[k->last_recovery];
		snprintf(k->last_recovery_at, sizeof(k->last_recovery_at),
		    "%s", t->started);
	} else if (k->created >= 0)
		snprintf(k->last_recovery_at, sizeof(k->last_recovery_at),
		    "%s", k->created_at);
	if (k->last_recovery_at[0] != '\0' &&
	    kr_audit_parse_date(k->last_recovery_at, &when) == 0)
		k->days_since_recovery = kr_audit_days(when, a->opt.at);
}

static unsigned int
drill_interval(const struct kr_audit *a, const struct kr_audit_key *k)
{
	const struct kr_audit_class_rules *r;
	size_t i;
	int pi;

	if (a->opt.drill_interval_days > 0)
		return a->opt.drill_interval_days;
	/* The policy of the newest transcript on this key that has one. */
	for (i = k->nevents; i-- > 0;) {
		r = rules_of(a, a->transcripts[k->events[i]].policy_sha256,
		    k->key_class, &pi);
		if (r != NULL && r->drill_interval_days > 0)
			return r->drill_interval_days;
	}
	return KR_AUDIT_DRILL_INTERVAL_DEFAULT;
}

/*
 * The cryptoperiod.  Escrow packages will carry their own (issue 16:
 * cryptoperiod-start/-end); until then it is the creating policy's.
 */
static void
key_cryptoperiod(struct kr_audit *a, struct kr_audit_key *k)
{
	const struct kr_audit_class_rules *r;
	const struct kr_audit_transcript *t;
	time_t start, end;

	if (k->created < 0 || k->key_class[0] == '\0' ||
	    kr_audit_parse_date(k->created_at, &start) != 0)
		return;
	t = &a->transcripts[k->created];
	if ((r = rules_of(a, t->policy_sha256, k->key_class,
	    &k->cp_policy)) == NULL || r->cryptoperiod_days == 0)
		return;
	k->has_cryptoperiod = 1;
	k->cp_days = r->cryptoperiod_days;
	end = start + (time_t)r->cryptoperiod_days * 86400;
	snprintf(k->cp_start, sizeof(k->cp_start), "%s", k->created_at);
	kr_audit_format_time(end, k->cp_end);
	k->cp_days_left = kr_audit_days(a->opt.at, end);
	if (a->opt.at > end && k->cp_days_left == 0)
		k->cp_days_left = -1;
}

/* Certificates of each key, and what each key signed. */
static void
key_signatures(struct kr_audit *a)
{
	size_t i, j;

	for (j = 0; j < a->nkeys; j++)
		if (a->keys[j].pkey == NULL)
			key_pkey(a, &a->keys[j]);
	for (i = 0; i < a->ncerts; i++) {
		struct kr_audit_cert *c = &a->certs[i];

		if (!c->ok)
			continue;
		c->recorded = kr_audit_hash_named(a, c->der_sha256) ||
		    kr_audit_hash_named(a, a->files[c->ref.file].sha256);
		for (j = 0; j < a->nkeys; j++) {
			struct kr_audit_key *k = &a->keys[j];

			if (!c->is_crl && memcmp(c->spki_id, k->id, 32) == 0) {
				c->key = (int)j;
				push_int(&k->certs, &k->ncerts, (int)i);
			}
			if (k->pkey == NULL || c->signer >= 0)
				continue;
			if ((c->is_crl ? X509_CRL_verify(c->x, k->pkey) :
			    X509_verify(c->x, k->pkey)) == 1) {
				c->signer = (int)j;
				push_int(&k->signed_, &k->nsigned, (int)i);
			}
			ERR_clear_error();
		}
	}
}

static void
build_keys(struct kr_audit *a)
{
	size_t i;

	gather_keys(a);
	for (i = 0; i < a->nkeys; i++) {
		struct kr_audit_key *k = &a->keys[i];

		key_escrow(a, k, (int)i);
		key_recovery(a, k);
		k->drill_interval = drill_interval(a, k);
		k->drill_overdue = k->destroyed < 0 &&
		    k->last_recovery_at[0] != '\0' &&
		    k->days_since_recovery > (long)k->drill_interval;
		key_cryptoperiod(a, k);
	}
	key_signatures(a);
}

/* --- findings ------------------------------------------------------------- */

static void
judge_transcripts(struct kr_audit *a)
{
	size_t i, j;

	for (i = 0; i < a->ntranscripts; i++) {
		struct kr_audit_transcript *t = &a->transcripts[i];
		const struct kr_audit_ref *last;

		switch (t->status) {
		case KR_AUDIT_UNREADABLE:
			kr_audit_find(a, t->from_scan ? "scan-incomplete" :
			    "transcript-unreadable", t->from_scan ?
			    KR_AUDIT_MEDIUM : KR_AUDIT_HIGH, &t->ref, -1,
			    (int)i, "%s", t->error);
			break;
		case KR_AUDIT_BAD:
			kr_audit_find(a, "transcript-bad", KR_AUDIT_HIGH,
			    &t->ref, -1, (int)i, "%s", t->error);
			break;
		case KR_AUDIT_UNSEALED:
			last = t->end_ref.record > 0 ? &t->end_ref : &t->ref;
			if (t->end == KR_AUDIT_END_CUT)
				kr_audit_find(a, "transcript-unsealed",
				    KR_AUDIT_HIGH, &t->ref, -1, (int)i,
				    "ceremony %s (%s) ends after record %lu "
				    "with neither a seal nor a failure record: "
				    "it was interrupted, or records were cut "
				    "from its end", t->ceremony_id,
				    t->ceremony, t->records);
			else
				kr_audit_find(a, "transcript-unsealed",
				    KR_AUDIT_MEDIUM, last, -1, (int)i,
				    "ceremony %s (%s) %s at record %lu (%s): "
				    "unsealed, its records are not signed and "
				    "it did not happen", t->ceremony_id,
				    t->ceremony, t->end == KR_AUDIT_END_FAILED ?
				    "failed" : "was aborted", t->end_ref.record,
				    t->end_reason != NULL ? t->end_reason :
				    "no reason recorded");
			break;
		default:
			break;
		}
		for (j = 0; j < t->nmissing; j++)
			kr_audit_find(a, "cosignature-missing", KR_AUDIT_MEDIUM,
			    &t->missing[j].ref, -1, (int)i, "ceremony %s: "
			    "card %s (serial %s) took part but did not co-sign "
			    "the seal%s%s", t->ceremony_id, t->missing[j].label,
			    t->missing[j].serial, t->missing[j].reason[0] ?
			    "; the signature block says: " : "",
			    t->missing[j].reason);
	}
}

/* An authorization reference: text with a letter or digit, not the
 * placeholder a rehearsal records when none was given. */
static int
authorized(const char *s)
{
	if (s == NULL || strcmp(s, "rehearsal") == 0)
		return 0;
	for (; *s != '\0'; s++)
		if (isalnum((unsigned char)*s))
			return 1;
	return 0;
}

static void
judge_access(struct kr_audit *a)
{
	char id[17];
	size_t i;

	for (i = 0; i < a->ntranscripts; i++) {
		struct kr_audit_transcript *t = &a->transcripts[i];
		const struct kr_audit_ref *r;

		if (!usable(t) || (t->escrow_loaded.record == 0 &&
		    t->recovered.record == 0))
			continue;
		if (a->real && t->rehearsal)
			continue;	/* reported as a rehearsal */
		if (authorized(t->authorization))
			continue;
		r = t->roll_call.record > 0 ? &t->roll_call : &t->ref;
		kr_audit_short_id(t->key_id, id);
		kr_audit_find(a, "recovery-unauthorized", KR_AUDIT_HIGH, r,
		    t->key, (int)i, "ceremony %s (%s) %s key %s (package %s) "
		    "without an authorization reference (the roll call "
		    "records %s%s%s)", t->ceremony_id, t->ceremony,
		    t->recovered.record > 0 ? "recovered" :
		    "set out to recover", t->has_key_id ? id : "?",
		    t->escrow_name != NULL ? t->escrow_name : "?",
		    t->roll_call.record == 0 ? "no roll call" :
		    t->authorization == NULL ? "no authorization" :
		    "authorization=", t->authorization != NULL &&
		    t->roll_call.record > 0 ? t->authorization : "",
		    t->authorization != NULL && strcmp(t->authorization,
		    "rehearsal") == 0 ? ", the placeholder keyrite writes "
		    "when none was given" : "");
	}
}

static void
judge_keys(struct kr_audit *a)
{
	const struct kr_audit_ref *r;
	char id[17];
	size_t i, j;
	int reported;

	for (i = 0; i < a->nkeys; i++) {
		struct kr_audit_key *k = &a->keys[i];

		kr_audit_short_id(k->id, id);
		if (k->drill_overdue) {
			r = k->last_recovery >= 0 ?
			    &a->transcripts[k->last_recovery].recovered :
			    &k->created_ref;
			kr_audit_find(a, "drill-overdue", KR_AUDIT_MEDIUM, r,
			    (int)i, k->last_recovery, "key %s (%s): %s %s, "
			    "%ld days before %s; the drill interval is %u "
			    "days", id, k->key_class, k->last_recovery >= 0 ?
			    "last recovered" : "never recovered since its "
			    "creation", k->last_recovery_at,
			    k->days_since_recovery, a->at_text,
			    k->drill_interval);
		}
		if (k->has_cryptoperiod && k->destroyed < 0 &&
		    k->cp_days_left < 0)
			kr_audit_find(a, "cryptoperiod-ended", KR_AUDIT_HIGH,
			    &k->created_ref, (int)i, k->created, "key %s (%s): "
			    "its cryptoperiod of %u days ended %s, %ld days "
			    "before %s, and no destruction is recorded", id,
			    k->key_class, k->cp_days, k->cp_end,
			    -k->cp_days_left, a->at_text);
		else if (k->has_cryptoperiod && k->destroyed < 0 &&
		    k->cp_days_left <= KR_AUDIT_CRYPTOPERIOD_WARN)
			kr_audit_find(a, "cryptoperiod-ending", KR_AUDIT_LOW,
			    &k->created_ref, (int)i, k->created, "key %s (%s): "
			    "its cryptoperiod ends %s, %ld days after %s",
			    id, k->key_class, k->cp_end, k->cp_days_left,
			    a->at_text);
		if (k->created >= 0 && !k->has_cryptoperiod &&
		    k->key_class[0] != '\0') {
			reported = 0;
			for (j = 0; j < i; j++)
				reported |= a->keys[j].created >= 0 &&
				    !a->keys[j].has_cryptoperiod &&
				    memcmp(a->transcripts[a->keys[j].created].
				    policy_sha256, a->transcripts[k->created].
				    policy_sha256, 32) == 0;
			if (!reported)
				kr_audit_find(a, "policy-unknown",
				    KR_AUDIT_LOW,
				    &a->transcripts[k->created].ref, (int)i,
				    k->created, "the policy in force when "
				    "key %s was created is not in the "
				    "archive (give it with --policy): its "
				    "cryptoperiod cannot be judged", id);
		}
	}
}

static void
judge_escrows(struct kr_audit *a)
{
	char id[17];
	size_t i, j;

	for (i = 0; i < a->nescrows; i++) {
		struct kr_audit_escrow *e = &a->escrows[i];

		if (!e->ok) {
			kr_audit_find(a, "escrow-unreadable", KR_AUDIT_MEDIUM,
			    &e->ref, -1, -1, "%s", e->error);
			continue;
		}
		for (j = 0; j < a->ntranscripts; j++) {
			const struct kr_audit_transcript *t =
			    &a->transcripts[j];

			if (sealed(t) && t->staged_escrow &&
			    memcmp(t->staged_escrow_sha256,
			    a->files[e->ref.file].sha256, 32) == 0) {
				e->vouched_by = (int)j;
				e->vouch_ref = t->staged_escrow_ref;
				break;
			}
		}
		if (e->vouched_by >= 0)
			continue;
		kr_audit_short_id(e->key_id, id);
		kr_audit_find(a, "escrow-unvouched", KR_AUDIT_HIGH, &e->ref,
		    e->key, -1, "escrow package of key %s (%s) names "
		    "ceremony %s, but no sealed transcript in the archive "
		    "staged a package with these bytes", id, e->key_class,
		    e->transcript_id[0] ? e->transcript_id : "(none)");
	}
	/* A sealed creation's package that is not in the archive. */
	for (j = 0; j < a->ntranscripts; j++) {
		const struct kr_audit_transcript *t = &a->transcripts[j];
		int found = 0;

		if (!sealed(t) || !t->staged_escrow)
			continue;
		for (i = 0; i < a->nescrows && !found; i++)
			found = memcmp(a->files[a->escrows[i].ref.file].sha256,
			    t->staged_escrow_sha256, 32) == 0;
		if (!found)
			kr_audit_find(a, "escrow-missing", KR_AUDIT_LOW,
			    &t->staged_escrow_ref, t->key, (int)j, "ceremony "
			    "%s made an escrow package that is not in the "
			    "archive", t->ceremony_id);
	}
}

static void
judge_certs(struct kr_audit *a)
{
	char id[17];
	size_t i;

	for (i = 0; i < a->ncerts; i++) {
		const struct kr_audit_cert *c = &a->certs[i];

		if (!c->ok || c->signer < 0 || c->recorded)
			continue;
		kr_audit_short_id(a->keys[c->signer].id, id);
		kr_audit_find(a, "unrecorded-signature", KR_AUDIT_HIGH, &c->ref,
		    c->signer, -1, "%s %s (%s %s) is signed by managed key %s, "
		    "but no sealed transcript records it", c->is_crl ? "CRL" :
		    "certificate", c->subject, c->is_crl ? "number" : "serial",
		    c->serial != NULL ? c->serial : "?", id);
	}
}

static void
judge_modes(struct kr_audit *a)
{
	size_t i;

	if (!a->real)
		return;
	for (i = 0; i < a->ntranscripts; i++) {
		const struct kr_audit_transcript *t = &a->transcripts[i];

		if (usable(t) && t->rehearsal)
			kr_audit_find(a, "rehearsal-in-real-archive",
			    KR_AUDIT_MEDIUM, &t->ref, t->key, (int)i,
			    "ceremony %s (%s) is a rehearsal in an archive of "
			    "real ceremonies: it is evidence of nothing",
			    t->ceremony_id, t->ceremony);
	}
}

/* --- the window, the key filter, the order -------------------------------- */

static int
shown(const struct kr_audit *a, const struct kr_audit_finding *f)
{
	const struct kr_audit_transcript *t = f->transcript >= 0 ?
	    &a->transcripts[f->transcript] : NULL;

	/* The state of a key is judged at --at, whatever the window. */
	if (t != NULL && !t->in_window && strcmp(f->code, "drill-overdue")
	    != 0 && strncmp(f->code, "cryptoperiod", 12) != 0 &&
	    strcmp(f->code, "policy-unknown") != 0)
		return 0;
	if (a->key_filter < 0)
		return 1;
	if (f->key == a->key_filter)
		return 1;
	return t != NULL && t->key == a->key_filter;
}

static int
cmp_finding(const void *x, const void *y)
{
	const struct kr_audit_finding *f = x, *g = y;
	int tf = f->transcript, tg = g->transcript;

	if (f->severity != g->severity)
		return (int)f->severity - (int)g->severity;
	if (tf != tg)
		return tf < 0 ? 1 : tg < 0 ? -1 : tf - tg;
	if (f->ref.file != g->ref.file)
		return f->ref.file - g->ref.file;
	return f->ref.record < g->ref.record ? -1 :
	    f->ref.record > g->ref.record;
}

static int
select_key(struct kr_audit *a)
{
	char hex[65];
	size_t i, n;
	int hit = -1;

	if (a->opt.key == NULL)
		return 0;
	n = strlen(a->opt.key);
	for (i = 0; i < a->nkeys; i++) {
		kr_hex_encode(a->keys[i].id, 32, hex, sizeof(hex));
		if (strncmp(hex, a->opt.key, n) != 0)
			continue;
		if (hit >= 0)
			return kr_err_set(KR_ERR_INVALID_ARGUMENT, "--key %s: "
			    "more than one key of the archive starts so; give "
			    "more digits", a->opt.key);
		hit = (int)i;
	}
	if (hit < 0)
		return kr_err_set(KR_ERR_NOT_FOUND, "--key %s: no key of the "
		    "archive has that id", a->opt.key);
	a->key_filter = hit;
	a->keys[hit].selected = 1;
	return 0;
}

int
kr_audit_judge(struct kr_audit *a)
{
	size_t i, n;
	int r;

	for (i = 0; i < a->ntranscripts; i++) {
		struct kr_audit_transcript *t = &a->transcripts[i];

		t->in_window = !usable(t) || ((a->opt.from == 0 ||
		    t->t_started >= a->opt.from) && (a->opt.to == 0 ||
		    t->t_started <= a->opt.to));
		if (usable(t) && t->rehearsal)
			a->rehearsal = 1;
		else if (usable(t))
			a->real = 1;
	}
	link_chain(a);
	build_keys(a);
	judge_transcripts(a);
	judge_access(a);
	judge_keys(a);
	judge_escrows(a);
	judge_certs(a);
	judge_modes(a);
	if ((r = select_key(a)) != 0)
		return r;
	for (i = n = 0; i < a->nfindings; i++) {
		if (shown(a, &a->findings[i]))
			a->findings[n++] = a->findings[i];
		else
			free(a->findings[i].text);
	}
	a->nfindings = n;
	if (n > 0)
		qsort(a->findings, n, sizeof(*a->findings), cmp_finding);
	for (i = 0; i < n; i++)
		a->count[a->findings[i].severity]++;
	return 0;
}
