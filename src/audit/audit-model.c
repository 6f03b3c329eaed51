/*
 * audit-model.c: what each transcript's records say, for the audit.
 *
 * The event table below is the one place that knows what an event means
 * for a key's timeline: a ceremony kind (creation, drill, use...) follows
 * from the events it holds, not from its script's name, so that a new
 * ceremony slots in by adding its events here.  Rows marked with an issue
 * number are events of ceremonies being built elsewhere, by the names
 * their docs/transcript-format.md tables give; an event not in the table
 * is kept in the transcript and counts for nothing.
 *
 * Records are read with the transcript cursor (record/transcript.h) from
 * text that kr_transcript_verify() accepted; values are percent-decoded
 * here, and every figure keeps the record number it came from.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/hex.h"
#include "record/transcript.h"
#include "audit-int.h"
#include "audit.h"

#define MAX_FACTS	1024

static const struct {
	struct kr_audit_event_row	row;
	enum kr_audit_act_kind		kind;
} events[] = {
	{ { "roll-call", "who was there, why, and what authorised it", NULL },
	    ACT_ROLL_CALL },
	{ { "key-generated", "the key was made: its creation", NULL },
	    ACT_CREATE },
	{ { "key-imported", "a key made elsewhere was brought under escrow",
	    "issue 16" }, ACT_IMPORT },
	{ { "kek-split", "the quorum: M of N", NULL }, ACT_SPLIT },
	{ { "share-written", "a custodian's card received a share", NULL },
	    ACT_SHARE },
	{ { "output-staged", "an output, by SHA-256 (an escrow package "
	    "vouches for that package)", NULL }, ACT_OUTPUT },
	{ { "escrow-loaded", "the key's escrow package was read: the "
	    "ceremony sets out to recover the key", NULL }, ACT_LOAD },
	{ { "card-presented", "a custodian's card took part in a recovery",
	    NULL }, ACT_CARD },
	{ { "kek-recovered", "the quorum recovered the key", NULL },
	    ACT_RECOVER },
	{ { "key-proven", "the recovered key matched its public key (use=none: "
	    "a drill)", NULL }, ACT_PROVE },
	{ { "certificate-issued", "a certificate signed (a use, after a "
	    "recovery; part of the creation otherwise)", "issue 12" },
	    ACT_SIGN },
	{ { "crl-issued", "a CRL signed: a use", "issue 12" }, ACT_SIGN },
	{ { "hsm-key-restored", "the key restored into an HSM: a use",
	    "issue 12" }, ACT_RESTORE },
	{ { "image-signed", "a firmware image signed: a use", "issue 13" },
	    ACT_SIGN },
	{ { "release-signed", "a firmware release record signed: a use",
	    "issue 13" }, ACT_SIGN },
	{ { "escrow-superseded", "a reshare: a new roster and package replace "
	    "the old", "issue 16" }, ACT_RESHARE },
	{ { "key-destroyed", "the key was destroyed", "issue 16" },
	    ACT_DESTROY },
	{ { "card-checked", "a custodian checked their own card", "issue 16" },
	    ACT_CARD_CHECK },
	{ { "ceremony-failed", "the ceremony failed: it did not happen",
	    NULL }, ACT_FAILED },
	{ { "ceremony-aborted", "the ceremony was stopped: it did not happen",
	    NULL }, ACT_ABORTED },
	{ { "sealed", "the ceremony key signed the record: it happened",
	    NULL }, ACT_SEALED },
};

#define NEVENTS	(sizeof(events) / sizeof(events[0]))

const struct kr_audit_event_row *
kr_audit_event_at(size_t i)
{
	return i < NEVENTS ? &events[i].row : NULL;
}

const struct kr_audit_event_row *
kr_audit_event_find(const char *event, enum kr_audit_act_kind *kind)
{
	size_t i;

	for (i = 0; i < NEVENTS; i++)
		if (strcmp(events[i].row.event, event) == 0) {
			*kind = events[i].kind;
			return &events[i].row;
		}
	*kind = ACT_NONE;
	return NULL;
}

/* One record's facts, still encoded. */
struct facts {
	size_t		 n;
	const char	*k[MAX_FACTS], *v[MAX_FACTS];
	size_t		 kl[MAX_FACTS], vl[MAX_FACTS];
};

static void
facts_split(const struct kr_transcript_record *rec, struct facts *f)
{
	size_t off = 0;

	f->n = 0;
	while (f->n < MAX_FACTS && kr_transcript_fact_next(rec->facts,
	    rec->factslen, &off, &f->k[f->n], &f->kl[f->n], &f->v[f->n],
	    &f->vl[f->n]) == 1)
		f->n++;
}

/* The decoded value of key (malloc()ed), or NULL when absent. */
static char *
fact(const struct facts *f, const char *key)
{
	size_t i, n = strlen(key), len;
	char *out;

	for (i = 0; i < f->n; i++)
		if (f->kl[i] == n && memcmp(f->k[i], key, n) == 0) {
			if (kr_transcript_pct_decode(f->v[i], f->vl[i], &out,
			    &len) != 0)
				return NULL;
			return out;
		}
	return NULL;
}

/* The still-encoded value of key (not NUL-terminated), or NULL. */
static const char *
fact_raw(const struct facts *f, const char *key, size_t *len)
{
	size_t i, n = strlen(key);

	for (i = 0; i < f->n; i++)
		if (f->kl[i] == n && memcmp(f->k[i], key, n) == 0) {
			*len = f->vl[i];
			return f->v[i];
		}
	return NULL;
}

static int
fact_hex32(const struct facts *f, const char *key, uint8_t out[32])
{
	const char *v;
	char hex[65];
	size_t n;

	if ((v = fact_raw(f, key, &n)) == NULL || n != 64)
		return -1;
	memcpy(hex, v, 64);
	hex[64] = '\0';
	return kr_hex_decode(hex, out, 32);
}

static unsigned int
fact_uint(const struct facts *f, const char *key)
{
	char *v = fact(f, key);
	unsigned long n = 0;

	if (v != NULL)
		n = strtoul(v, NULL, 10);
	free(v);
	return n > 255 ? 0 : (unsigned int)n;
}

static int
add_person(struct kr_audit_person **v, size_t *n, char *name, char *card,
    char *serial, const struct kr_audit_ref *ref)
{
	struct kr_audit_person *p;

	if ((p = realloc(*v, (*n + 1) * sizeof(*p))) == NULL) {
		free(name);
		free(card);
		free(serial);
		return kr_err_set(KR_ERR_NOMEM, "audit: out of memory");
	}
	*v = p;
	p += (*n)++;
	p->name = name;
	p->card = card;
	p->serial = serial;
	p->ref = *ref;
	return 0;
}

static int
roll_call(struct kr_audit_transcript *t, const struct facts *f,
    const struct kr_audit_ref *ref)
{
	char key[48], *name;
	unsigned int i;
	int r;

	t->roll_call = *ref;
	free(t->operator_.name);
	t->operator_.name = fact(f, "operator");
	t->operator_.ref = *ref;
	free(t->reason);
	t->reason = fact(f, "reason");
	free(t->authorization);
	t->authorization = fact(f, "authorization");
	for (i = 1; i <= 255; i++) {
		snprintf(key, sizeof(key), "witness.%u", i);
		if ((name = fact(f, key)) == NULL)
			break;
		if ((r = add_person(&t->witnesses, &t->nwitnesses, name, NULL,
		    NULL, ref)) != 0)
			return r;
	}
	for (i = 1; i <= 255; i++) {
		snprintf(key, sizeof(key), "custodian.%u", i);
		if ((name = fact(f, key)) == NULL)
			break;
		snprintf(key, sizeof(key), "custodian.%u.card", i);
		if ((r = add_person(&t->custodians, &t->ncustodians, name,
		    fact(f, key), NULL, ref)) != 0)
			return r;
	}
	return 0;
}

/* The facts of a use worth showing, in this order, as "k=v k=v". */
static char *
act_detail(const struct facts *f)
{
	static const char *const keys[] = { "name", "subject", "serial",
	    "number", "image", "release", "token", "entries",
	    "added-serials", "sha256", "csr-sha256", "spki-sha256",
	    "cms-sha256", "superseded-sha256", "package-sha256", "package",
	    "shares-deleted", "shares-not-deleted" };
	struct kr_buf b;
	char *v, *out = NULL;
	size_t i, len;

	memset(&b, 0, sizeof(b));
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if ((v = fact(f, keys[i])) == NULL)
			continue;
		kr_buf_printf(&b, "%s%s=%s", b.len > 0 ? " " : "", keys[i], v);
		free(v);
	}
	if (b.len == 0)
		kr_buf_puts(&b, "");
	if (kr_buf_take(&b, &out, &len) != 0)
		return NULL;
	return out;
}

static int
add_act(struct kr_audit_transcript *t, const struct kr_audit_event_row *row,
    const struct facts *f, const struct kr_audit_ref *ref)
{
	struct kr_audit_act *a;

	if ((a = realloc(t->acts, (t->nacts + 1) * sizeof(*a))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "audit: out of memory");
	t->acts = a;
	a += t->nacts++;
	a->event = row->event;
	a->what = row->means;
	a->detail = act_detail(f);
	a->ref = *ref;
	return 0;
}

/* Every 64-hex value a sealed transcript names: outputs it vouches for. */
static void
remember_hashes(struct kr_audit *a, const struct facts *f)
{
	uint8_t h[32];
	char hex[65];
	size_t i;

	for (i = 0; i < f->n; i++) {
		if (f->vl[i] != 64)
			continue;
		memcpy(hex, f->v[i], 64);
		hex[64] = '\0';
		if (kr_hex_decode(hex, h, 32) == 0)
			kr_audit_hash_add(a, h);
	}
}

/* A missing co-signature's custodian-key-bound record. */
static void
bound(struct kr_audit_transcript *t, const struct facts *f,
    const struct kr_audit_ref *ref)
{
	const char *card, *serial;
	size_t cl, sl, i;

	if ((card = fact_raw(f, "card", &cl)) == NULL ||
	    (serial = fact_raw(f, "serial", &sl)) == NULL)
		return;
	for (i = 0; i < t->nmissing; i++)
		if (t->missing[i].ref.record == 0 &&
		    strlen(t->missing[i].label) == cl &&
		    memcmp(t->missing[i].label, card, cl) == 0 &&
		    strlen(t->missing[i].serial) == sl &&
		    memcmp(t->missing[i].serial, serial, sl) == 0)
			t->missing[i].ref = *ref;
}

static int
set_key(struct kr_audit_transcript *t, const struct facts *f,
    const char *name, const struct kr_audit_ref *ref, const char *when)
{
	uint8_t id[32];

	if (fact_hex32(f, name, id) != 0)
		return 0;
	memcpy(t->key_id, id, 32);
	snprintf(t->key_at, sizeof(t->key_at), "%s", when);
	t->has_key_id = 1;
	t->key_ref = *ref;
	return 1;
}

static int
one_record(struct kr_audit *a, struct kr_audit_transcript *t,
    const struct kr_transcript_record *rec, struct facts *f)
{
	const struct kr_audit_event_row *row;
	enum kr_audit_act_kind kind;
	struct kr_audit_ref ref = { t->ref.file, rec->seq };
	char *v;
	int r = 0;

	if (strcmp(rec->event, "custodian-key-bound") == 0) {
		facts_split(rec, f);
		bound(t, f, &ref);
	}
	if ((row = kr_audit_event_find(rec->event, &kind)) == NULL) {
		if (t->status <= KR_AUDIT_INCOMPLETE) {
			facts_split(rec, f);
			remember_hashes(a, f);
		}
		return 0;
	}
	facts_split(rec, f);
	if (t->status <= KR_AUDIT_INCOMPLETE)
		remember_hashes(a, f);
	switch (kind) {
	case ACT_ROLL_CALL:
		r = roll_call(t, f, &ref);
		break;
	case ACT_CREATE:
	case ACT_IMPORT:
		if (set_key(t, f, "key-id", &ref, rec->time))
			t->kind = kind == ACT_CREATE ? KR_AUDIT_KIND_CREATE :
			    KR_AUDIT_KIND_IMPORT;
		break;
	case ACT_SPLIT:
		t->threshold = fact_uint(f, "threshold");
		t->nsplit = fact_uint(f, "shares");
		t->split_ref = ref;
		break;
	case ACT_SHARE:
		r = add_person(&t->shares, &t->nshares, fact(f, "custodian"),
		    fact(f, "card"), fact(f, "serial"), &ref);
		break;
	case ACT_OUTPUT:
		if ((v = fact(f, "kind")) != NULL &&
		    strcmp(v, "escrow-package") == 0 &&
		    fact_hex32(f, "sha256", t->staged_escrow_sha256) == 0) {
			t->staged_escrow = 1;
			t->staged_escrow_ref = ref;
		}
		free(v);
		break;
	case ACT_LOAD:
		t->escrow_loaded = ref;
		free(t->escrow_name);
		t->escrow_name = fact(f, "escrow");
		fact_hex32(f, "sha256", t->escrow_sha256);
		if (!t->has_key_id)
			set_key(t, f, "key-id", &ref, rec->time);
		break;
	case ACT_CARD:
		r = add_person(&t->cards, &t->ncards, NULL, fact(f, "card"),
		    fact(f, "serial"), &ref);
		break;
	case ACT_RECOVER:
		t->recovered = ref;
		if (!t->has_key_id)
			set_key(t, f, "key-id", &ref, rec->time);
		break;
	case ACT_PROVE:
		t->proven = ref;
		if ((v = fact(f, "use")) != NULL &&
		    strncmp(v, "none", 4) == 0 &&
		    t->kind == KR_AUDIT_KIND_OTHER)
			t->kind = KR_AUDIT_KIND_DRILL;
		free(v);
		break;
	case ACT_SIGN:
	case ACT_RESTORE:
		/* A creation's own certificate is part of the creation. */
		if (t->recovered.record > 0)
			r = add_act(t, row, f, &ref);
		break;
	case ACT_RESHARE:
	case ACT_DESTROY:
		if (!t->has_key_id)
			set_key(t, f, "key-id", &ref, rec->time);
		r = add_act(t, row, f, &ref);
		break;
	case ACT_CARD_CHECK:
		t->kind = KR_AUDIT_KIND_CARD_CHECK;
		r = add_act(t, row, f, &ref);
		break;
	case ACT_FAILED:
	case ACT_ABORTED:
		t->end = kind == ACT_FAILED ? KR_AUDIT_END_FAILED :
		    KR_AUDIT_END_ABORTED;
		t->end_ref = ref;
		free(t->end_reason);
		if ((t->end_reason = fact(f, "reason")) == NULL)
			t->end_reason = fact(f, "error");
		break;
	case ACT_SEALED:
		t->end = KR_AUDIT_END_SEALED;
		t->end_ref = ref;
		break;
	default:
		break;
	}
	return r;
}

/* What kind of ceremony it was for its key, from what it did. */
static void
classify(struct kr_audit_transcript *t)
{
	size_t i;
	int use = 0, reshare = 0, destroy = 0;

	for (i = 0; i < t->nacts; i++) {
		if (strcmp(t->acts[i].event, "escrow-superseded") == 0)
			reshare = 1;
		else if (strcmp(t->acts[i].event, "key-destroyed") == 0)
			destroy = 1;
		else if (strcmp(t->acts[i].event, "card-checked") != 0)
			use = 1;
	}
	if (t->kind == KR_AUDIT_KIND_CREATE ||
	    t->kind == KR_AUDIT_KIND_IMPORT ||
	    t->kind == KR_AUDIT_KIND_CARD_CHECK)
		return;
	if (destroy)
		t->kind = KR_AUDIT_KIND_DESTROY;
	else if (reshare)
		t->kind = KR_AUDIT_KIND_RESHARE;
	else if (use)
		t->kind = KR_AUDIT_KIND_USE;
	else if (t->recovered.record > 0 && t->kind != KR_AUDIT_KIND_DRILL)
		t->kind = strcmp(t->ceremony, "key-recovery-drill") == 0 ?
		    KR_AUDIT_KIND_DRILL : KR_AUDIT_KIND_USE;
	else if (t->recovered.record == 0 && t->escrow_loaded.record > 0)
		t->kind = KR_AUDIT_KIND_ATTEMPT;
}

/* The signer's public key from the signature block, for certificates. */
static void
signer_spki(struct kr_audit_transcript *t, const char *text, size_t len,
    size_t off)
{
	static const char tag[] = "signer-public-key: ";
	const char *p = text + off, *end = text + len, *nl;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		if ((size_t)(nl - p) > sizeof(tag) - 1 &&
		    memcmp(p, tag, sizeof(tag) - 1) == 0) {
			if (kr_base64_decode(p + sizeof(tag) - 1,
			    (size_t)(nl - p) - (sizeof(tag) - 1),
			    &t->signer_spki, &t->signer_spki_len) != 0)
				t->signer_spki = NULL;
			return;
		}
		p = nl + 1;
	}
}

int
kr_audit_read_records(struct kr_audit *a, size_t i)
{
	struct kr_audit_transcript *t = &a->transcripts[i];
	struct kr_audit_text *x = &((struct kr_audit_priv *)a->priv)->texts[i];
	struct kr_transcript_cursor c;
	struct kr_transcript_record rec;
	struct facts *f = NULL;
	time_t when;
	int r;

	if (t->status >= KR_AUDIT_BAD || x->text == NULL)
		return 0;
	if (kr_audit_parse_date(t->started, &when) == 0)
		t->t_started = when;
	t->end = KR_AUDIT_END_CUT;
	if ((f = malloc(sizeof(*f))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "audit: out of memory");
	if ((r = kr_transcript_cursor_init(&c, x->text, x->len)) != 0)
		goto out;
	while ((r = kr_transcript_cursor_next(&c, &rec)) == 1)
		if ((r = one_record(a, t, &rec, f)) != 0)
			goto out;
	if (r < 0)
		goto out;
	if (t->status <= KR_AUDIT_INCOMPLETE)
		signer_spki(t, x->text, x->len, c.off);
	classify(t);
	r = 0;
 out:
	free(f);
	return r;
}
