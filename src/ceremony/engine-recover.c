/*
 * engine-recover.c: the verbs that bring an escrowed key back: load its
 * package, collect shares card by card until a quorum of good ones is
 * there (naming every bad card and going on with the next), open the
 * package and prove the key.
 *
 * The package is read and judged before the ceremony touches anything
 * (kr_engine_preflight_escrow(), from kr_engine_new()): it must parse, its
 * certificate must be its key's, and the ceremony that made it must have
 * committed: its transcript, found on the media, sealed by the package's
 * own key, and recording these exact bytes as the package it staged.  A
 * package whose ceremony was interrupted, or that nobody's transcript
 * vouches for, is refused with the reason.
 *
 * From the moment the KEK is recovered the policy's recovery window runs;
 * kr_engine_check_window() wipes the key when it has passed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/err.h"
#include "base/hex.h"
#include "base/secmem.h"
#include "crypto/quorum.h"
#include "crypto/share.h"
#include "crypto/x509.h"
#include "engine-int.h"
#include "host/media.h"

#define MAX_INPUTS	64
#define ESCROW_MAX	(1024 * 1024)

/* --- before anything: the package, its certificate, its ceremony ------ */

static int
load_cert(struct kr_engine *e, const char *name)
{
	uint8_t *spki = NULL;
	char path[4096], *pem = NULL;
	size_t len = 0, spkilen = 0;
	int r;

	if ((r = kr_media_path(e->media, 0, name, path, sizeof(path))) != 0 ||
	    (r = kr_media_read(path, KR_X509_PEM_MAX, &pem, &len,
	    e->cert_sha256)) != 0 ||
	    (r = kr_x509_from_pem(pem, len, path, &e->cert)) != 0 ||
	    (r = kr_x509_public_spki(e->cert, &spki, &spkilen)) != 0)
		goto out;
	if (spkilen != e->escrow->spki_len ||
	    memcmp(spki, e->escrow->spki, spkilen) != 0) {
		r = kr_err_set(KR_ERR_KEY_MISMATCH, "%s is not the certificate "
		    "of the key in %s: bring the matching certificate, or set "
		    "the certificate parameter to its name", path,
		    e->escrow->source);
		goto out;
	}
	snprintf(e->cert_name, sizeof(e->cert_name), "%s", name);
 out:
	free(pem);
	free(spki);
	return r;
}

/*
 * Whether a record of the (verified) transcript text stages an escrow
 * package with the fact sha (" sha256=<hex> ").  Values are
 * percent-encoded, so " key=" can only start a fact.
 */
static int
staged_record(const char *text, const char *sha)
{
	static const char ev[] = " output-staged engine kind=escrow-package ";
	const char *p = text, *end;

	const char *hit;

	while ((p = strstr(p, ev)) != NULL) {
		if ((end = strchr(p, '\n')) == NULL)
			return 0;
		if ((hit = strstr(p, sha)) != NULL && hit < end)
			return 1;
		p = end;
	}
	return 0;
}

/*
 * The ceremony that made the package committed: its transcript is on the
 * media, sealed by the package's key, and records staging exactly these
 * bytes as an escrow package, after the chain value the package names.
 */
static int
check_committed(struct kr_engine *e, const char *path)
{
	struct kr_transcript_summary *sum = NULL;
	const char *dirs[KR_MEDIA_MAX_DIRS], *id = e->escrow->transcript_id;
	char tpath[4400], hex[65], want[200], *text = NULL;
	enum kr_clean_state st;
	size_t n = kr_media_count(e->media), i, len = 0;
	int r;

	if (!e->escrow->has_transcript)
		return kr_err_set(KR_ERR_ESCROW_FORMAT, "%s names no creation "
		    "transcript, so keyrite cannot tell whether the ceremony "
		    "that made it completed: it is not used", path);
	for (i = 0; i < n; i++)
		dirs[i] = kr_media_dir(e->media, i);
	st = kr_clean_state_of(dirs, n, id, tpath, sizeof(tpath));
	switch (st) {
	case KR_CLEAN_UNKNOWN:
		return kr_err_set(KR_ERR_NOT_FOUND, "%s was made by ceremony "
		    "%s, whose transcript transcript-%s.txt is not on the "
		    "media: copy it next to the package (every medium of "
		    "that ceremony holds one), so that keyrite can check that "
		    "the ceremony completed", path, id, id);
	case KR_CLEAN_FAILED:
		return kr_err_set(KR_ERR_TRANSCRIPT_UNSEALED, "%s was made by "
		    "ceremony %s, which did not complete (%s is unsealed): "
		    "the package and the shares it wrote must not be used; "
		    "keyrite clean removes them", path, id, tpath);
	case KR_CLEAN_DAMAGED:
		return kr_err_set(KR_ERR_TRANSCRIPT_CHAIN, "%s was made by "
		    "ceremony %s, whose transcript %s does not verify (run "
		    "keyrite verify on it): the package is not used", path, id,
		    tpath);
	case KR_CLEAN_COMMITTED:
		break;
	}
	if ((sum = calloc(1, sizeof(*sum))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "%s", path);
	if ((r = kr_transcript_verify_file(tpath, NULL, 0, sum)) != 0)
		goto out;
	if (memcmp(sum->signer_key_id, e->escrow->key_id, 32) != 0) {
		r = kr_err_set(KR_ERR_KEY_MISMATCH, "%s is sealed by another "
		    "key than the one in %s: the package is not the one that "
		    "ceremony made", tpath, path);
		goto out;
	}
	if ((r = kr_media_read(tpath, KR_TRANSCRIPT_FILE_MAX, &text, &len,
	    NULL)) != 0)
		goto out;
	kr_hex_encode(e->escrow_sha256, 32, hex, sizeof(hex));
	snprintf(want, sizeof(want), " sha256=%s ", hex);
	if (!staged_record(text, want)) {
		r = kr_err_set(KR_ERR_ESCROW_INTEGRITY, "%s does not record "
		    "staging these bytes of %s: this is not the package that "
		    "ceremony committed", tpath, path);
		goto out;
	}
	kr_hex_encode(e->escrow->transcript_hash, 32, hex, sizeof(hex));
	snprintf(want, sizeof(want), " chain=%s\n", hex);
	if (strstr(text, want) == NULL) {
		r = kr_err_set(KR_ERR_ESCROW_INTEGRITY, "%s: the chain value "
		    "the package names (transcript-hash) is in no record of "
		    "%s", path, tpath);
		goto out;
	}
	snprintf(e->escrow_creation, sizeof(e->escrow_creation), "%s", tpath);
	r = 0;
 out:
	free(text);
	free(sum);
	return r;
}

int
kr_engine_preflight_escrow(struct kr_engine *e,
    const struct kr_script_step *st)
{
	const char *file = kr_script_arg(st, "file");
	const char *cert = kr_script_arg(st, "certificate");
	char path[4096], *text = NULL;
	size_t len;
	int r;

	if (e->escrow != NULL)
		return kr_err_set(KR_ERR_SCRIPT_SYNTAX, "%s:%zu: a ceremony "
		    "loads one escrow package", e->script->source, st->line);
	if (file == NULL || *file == '\0')
		file = "root-ca.escrow";
	if ((r = kr_media_path(e->media, 0, file, path, sizeof(path))) != 0 ||
	    (r = kr_media_read(path, ESCROW_MAX, &text, &len,
	    e->escrow_sha256)) != 0)
		return r;
	r = kr_escrow_parse(text, len, path, &e->escrow);
	free(text);
	if (r != 0)
		return r;
	snprintf(e->escrow_name, sizeof(e->escrow_name), "%s", file);
	if ((r = check_committed(e, path)) != 0 ||
	    (r = kr_engine_preflight_lineage(e)) != 0)
		return r;
	/* "none": a key without a certificate (an imported one, say). */
	if (cert != NULL && *cert != '\0' && strcmp(cert, "none") != 0)
		return load_cert(e, cert);
	return 0;
}

int
kr_engine_verb_load_escrow(struct kr_engine *e,
    const struct kr_script_step *st)
{
	char id[65], hex[65], m[8], n[8];
	int r;

	(void)st;
	if (e->escrow == NULL)
		return kr_err_set(KR_ERR_ENGINE_STATE, "load-escrow: the "
		    "package was not read before the ceremony started");
	kr_hex_encode(e->escrow->key_id, 32, id, sizeof(id));
	kr_hex_encode(e->escrow_sha256, 32, hex, sizeof(hex));
	snprintf(m, sizeof(m), "%u", e->escrow->m);
	snprintf(n, sizeof(n), "%u", e->escrow->n);
	{
		struct kr_fact f[] = { { "escrow", e->escrow_name },
		    { "sha256", hex }, { "key-id", id },
		    { "algorithm", e->escrow->algorithm },
		    { "threshold", m }, { "shares", n },
		    { "created-by", e->escrow->transcript_id },
		    { "creation", "committed: transcript sealed by this "
		    "key, records this package" } };

		if ((r = kr_engine_record(e, "escrow-loaded", "engine", f,
		    8)) != 0)
			return r;
	}
	if ((r = kr_engine_record_drill(e)) != 0 ||
	    (r = kr_engine_cryptoperiod_check(e, KR_ENGINE_USE_MAINTAIN)) != 0)
		return r;
	if (e->cert == NULL)
		return 0;
	{
		uint8_t fpb[KR_X509_FP_BYTES];
		char fp[KR_X509_FP_TEXT_BYTES];
		struct kr_fact f[] = { { "certificate", e->cert_name },
		    { "sha256", hex }, { "sha256-fingerprint", fp } };

		if ((r = kr_x509_fingerprint(e->cert, fpb)) != 0)
			return r;
		kr_x509_fingerprint_text(fpb, fp, sizeof(fp));
		kr_hex_encode(e->cert_sha256, 32, hex, sizeof(hex));
		return kr_engine_record(e, "certificate-loaded", "engine", f,
		    3);
	}
}

void
kr_engine_escrow_details(struct kr_engine *e, struct kr_engine_details *ds)
{
	const struct kr_escrow *x = e->escrow;
	char hex[65], fp[KR_X509_FP_TEXT_BYTES];
	uint8_t fpb[KR_X509_FP_BYTES];
	size_t i;

	if (x == NULL)
		return;
	kr_engine_detail(ds, 0, "package", "%s, made by ceremony %s (its "
	    "transcript is sealed)", e->escrow_name, x->transcript_id);
	kr_hex_encode(x->key_id, sizeof(x->key_id), hex, sizeof(hex));
	kr_engine_detail(ds, KR_DETAIL_GROUPS | KR_DETAIL_SUMMARY, "key id",
	    "%s", hex);
	if (e->cert != NULL && kr_x509_fingerprint(e->cert, fpb) == 0) {
		kr_x509_fingerprint_text(fpb, fp, sizeof(fp));
		kr_engine_detail(ds, KR_DETAIL_GROUPS, "certificate", "%s",
		    fp);
	}
	kr_engine_detail(ds, 0, "algorithm", "%s, class %s, made %s",
	    x->algorithm, x->key_class, x->created);
	kr_engine_detail(ds, 0, "quorum", "any %u of %u custodians", x->m,
	    x->n);
	kr_engine_detail(ds, KR_DETAIL_HEADING, "custodians", "%s",
	    "name, card, serial");
	for (i = 0; i < x->n; i++) {
		char k[24];

		snprintf(k, sizeof(k), "%zu", i + 1);
		kr_engine_detail(ds, KR_DETAIL_ROW, k, "%-24s %-16s %s",
		    x->roster[i].name, x->roster[i].card,
		    x->roster[i].serial[0] ? x->roster[i].serial : "-");
	}
}

/* --- collecting shares, card by card ----------------------------------- */

struct collected {
	struct kr_quorum_input	 in[MAX_INPUTS];
	char			 names[MAX_INPUTS][KR_TOKEN_NAME_MAX];
	char			 labels[MAX_INPUTS][33];	/* its card's */
	char			 cserials[MAX_INPUTS][17];
	uint8_t			*values;	/* secmem, MAX_INPUTS shares */
	size_t			 n;
	char			 serials[MAX_INPUTS][17];	/* cards seen */
	size_t			 ncards;
};

/*
 * Whether a share object is what its label says and as keyrite writes
 * one: private, of this key and index, from the ceremony the package
 * names.  Returns NULL, or why not (a sentence about the card).
 */
static const char *
share_fault(const struct kr_engine *e, const struct kr_token_share *sh,
    char *why, size_t whylen)
{
	struct kr_share *d;
	const char *fault = NULL;

	if (!sh->is_private)
		return "its share is a public object, readable without the "
		    "PIN: keyrite never writes one so; it is not used";
	if (sh->ceremony[0] != '\0' &&
	    strcmp(sh->ceremony, e->escrow->transcript_id) != 0) {
		snprintf(why, whylen, "its share was written by ceremony %s, "
		    "not by %s, which made this package: it is not used",
		    sh->ceremony, e->escrow->transcript_id);
		return why;
	}
	if ((d = kr_secmem_alloc(sizeof(*d))) == NULL)
		return "its share could not be checked (no locked memory)";
	if (kr_share_decode(sh->value, sh->len, "share", d) == 0 &&
	    (d->x != sh->x || memcmp(d->key_id, sh->key_id,
	    KR_SHARE_ID_BYTES) != 0))
		fault = "its share object is mislabelled: its label says "
		    "another index or key than the share it holds; it is not "
		    "used";
	kr_secmem_free(d, sizeof(*d));
	return fault;
}

/*
 * Of the card's shares of this key, keeps at the front those written by
 * the ceremony that made the package (or with no ceremony in their label,
 * written before labels named one); returns how many.  A card may also
 * hold a share of this key from another split: the one a reshare retired
 * (until it is deleted), or one a failed reshare left pending.
 */
static size_t
of_package(const struct kr_engine *e, struct kr_token_share *sh, size_t n)
{
	struct kr_token_share t;
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (sh[i].ceremony[0] == '\0' ||
		    strcmp(sh[i].ceremony, e->escrow->transcript_id) == 0) {
			t = sh[k];
			sh[k++] = sh[i];
			sh[i] = t;
		}
	return k;
}

/*
 * A card was presented and logged in: reads its share of this key and
 * adds the good one to c.  Returns 0, or a card-level refusal (the card
 * holds no usable share of this key) with the detail naming the card, or
 * another error that ends the recovery.
 */
static int
read_card(struct kr_engine *e, struct collected *c,
    struct kr_token_session *s, const struct kr_token_info *info)
{
	struct kr_token_share *sh = NULL, *all = NULL;
	char name[KR_TOKEN_NAME_MAX], why[256], count[8];
	const char *fault = NULL;
	size_t nsh = 0, nall = 0, len, mine;
	int r;

	kr_token_name(info, name, sizeof(name));
	if ((r = kr_token_read_shares(s, e->escrow->key_id, &sh, &nsh)) != 0 ||
	    (r = kr_token_read_shares(s, NULL, &all, &nall)) != 0)
		goto out;
	if (nall > nsh && nsh > 0)
		kr_engine_notice(e, "%s also holds %zu share%s of other keys; "
		    "they are not touched", name, nall - nsh,
		    nall - nsh == 1 ? "" : "s");
	snprintf(count, sizeof(count), "%zu", nsh);
	{
		struct kr_fact f[] = { { "card", info->label },
		    { "serial", info->serial },
		    { "shares-of-this-key", count } };

		if ((r = kr_engine_record(e, "card-presented", "custodian", f,
		    3)) != 0)
			goto out;
	}
	if (nsh == 0) {
		char other[33] = "";

		if (nall > 0)
			kr_hex_encode(all[0].key_id, sizeof(all[0].key_id),
			    other, sizeof(other));
		r = kr_err_set(KR_ERR_SHARE_FOREIGN_KEY, "%s holds no share of "
		    "this key%s%s%s: it is not one of its custodians' cards, "
		    "this is the wrong card for this key", name, nall ?
		    " (it holds a share of key " : "", other, nall ? ")" : "");
		goto out;
	}
	mine = of_package(e, sh, nsh);
	if (mine == 0) {
		r = kr_err_set(KR_ERR_SHARE_FOREIGN_SET, "%s holds a share of "
		    "this key written by ceremony %s, not by %s, which made "
		    "this package: it belongs to another split of the key (one "
		    "a reshare replaced, or one that never committed); it is "
		    "not used", name, sh[0].ceremony, e->escrow->transcript_id);
		goto out;
	}
	if (mine > 1) {
		r = kr_err_set(KR_ERR_SHARE_FORMAT, "%s holds %zu share "
		    "objects of this key, where keyrite writes one: the card "
		    "was altered; it is not used", name, mine);
		goto out;
	}
	if (nsh > mine)
		kr_engine_notice(e, "%s also holds a share of this key written "
		    "by ceremony %s, of another split; it is not used", name,
		    sh[mine].ceremony);
	if ((fault = share_fault(e, &sh[0], why, sizeof(why))) != NULL) {
		r = kr_err_set(KR_ERR_SHARE_FORMAT, "%s: %s", name, fault);
		goto out;
	}
	if (c->n == MAX_INPUTS) {
		r = kr_err_set(KR_ERR_TOO_LARGE, "more than %d cards",
		    MAX_INPUTS);
		goto out;
	}
	/*
	 * The card's custodian key must be the one the package enrolled with
	 * this share; it is bound in the chain, and the card co-signs at the
	 * end.  (A package from before custodian keys has none to check.)
	 */
	if (sh[0].x >= 1 && sh[0].x <= e->escrow->n &&
	    e->escrow->roster[sh[0].x - 1].has_key) {
		uint8_t kid[32];

		if ((r = kr_engine_bind_card(e, s, info,
		    e->escrow->roster[sh[0].x - 1].name, 0,
		    e->escrow->roster[sh[0].x - 1].key_id, kid)) != 0)
			goto out;
	}
	len = sh[0].len < KR_SHARE_BYTES ? sh[0].len : KR_SHARE_BYTES;
	memcpy(c->values + c->n * KR_SHARE_BYTES, sh[0].value, len);
	snprintf(c->names[c->n], sizeof(c->names[0]), "%s", name);
	snprintf(c->labels[c->n], sizeof(c->labels[0]), "%s", info->label);
	snprintf(c->cserials[c->n], sizeof(c->cserials[0]), "%s",
	    info->serial);
	c->in[c->n].source = c->names[c->n];
	c->in[c->n].data = c->values + c->n * KR_SHARE_BYTES;
	/* The true length: kr_share_decode() refuses a wrong one before
	 * reading, so only KR_SHARE_BYTES are ever kept. */
	c->in[c->n].len = sh[0].len;
	c->n++;
	r = 0;
 out:
	kr_token_shares_free(sh, nsh);
	kr_token_shares_free(all, nall);
	return r;
}

/* Errors that are about one card: the recovery goes on without it. */
static int
card_level(int r)
{
	return (r <= -1000 && r > -1100) ||	/* KR_ERR_TOKEN_* */
	    (r <= -500 && r > -600);		/* KR_ERR_SHARE_* */
}

/* Presents the k-th card and reads it; *refusedp when it was refused. */
static int
collect_card(struct kr_engine *e, struct collected *c, size_t k,
    int *refusedp)
{
	struct kr_token_session *s = NULL;
	struct kr_token_info info;
	char id[64], detail[1024];
	size_t before = c->n;
	int r;

	*refusedp = 0;
	memset(&info, 0, sizeof(info));
	snprintf(id, sizeof(id), "recover.card.%zu", k);
	r = kr_engine_card(e, id, NULL, NULL, c->serials, c->ncards, &s,
	    &info);
	if (r == 0) {
		if (c->ncards < MAX_INPUTS)
			snprintf(c->serials[c->ncards++], sizeof(c->serials[0]),
			    "%s", info.serial);
		r = read_card(e, c, s, &info);
	}
	kr_token_close(s);
	if (r == 0 || !card_level(r))
		return r;
	/* This card is out; the next custodian's may do. */
	c->n = before;
	*refusedp = 1;
	snprintf(detail, sizeof(detail), "%s", kr_err_detail());
	kr_engine_notice(e, "%s; present the next custodian's card", detail);
	{
		struct kr_fact f[] = { { "card", info.label[0] ? info.label :
		    "(not identified)" }, { "serial", info.serial },
		    { "reason", kr_strerror(r) }, { "detail", detail } };

		return kr_engine_record(e, "card-refused", "engine", f, 4);
	}
}

static int
record_verdicts(struct kr_engine *e, const struct collected *c,
    const struct kr_quorum_verdict *v)
{
	char x[8];
	size_t i;
	int r;

	for (i = 0; i < c->n; i++) {
		struct kr_fact f[] = { { "card", c->labels[i] },
		    { "serial", c->cserials[i] }, { "x", x },
		    { "verdict", v[i].status == 0 ? (v[i].used ? "used" :
		    "good, not needed") : kr_strerror(v[i].status) },
		    { "detail", v[i].status ? v[i].detail : "" } };

		snprintf(x, sizeof(x), "%u", v[i].x);
		if ((r = kr_engine_record(e, "share-checked", "engine", f,
		    v[i].status ? 5 : 4)) != 0)
			return r;
	}
	return 0;
}

/*
 * Shares found bad while the quorum is not yet reached leave the count:
 * each is named, recorded as its card refused, and dropped, so that
 * the progress counts good shares only and the next card is asked for.
 */
static int
drop_bad(struct kr_engine *e, struct collected *c,
    const struct kr_quorum_verdict *v)
{
	size_t i, k = 0;
	int r = 0;

	for (i = 0; i < c->n; i++) {
		if (v[i].status == 0) {
			if (k != i) {
				c->in[k] = c->in[i];
				memcpy(c->values + k * KR_SHARE_BYTES,
				    c->values + i * KR_SHARE_BYTES,
				    KR_SHARE_BYTES);
				c->in[k].data = c->values + k * KR_SHARE_BYTES;
				memcpy(c->names[k], c->names[i],
				    sizeof(c->names[0]));
				memcpy(c->labels[k], c->labels[i],
				    sizeof(c->labels[0]));
				memcpy(c->cserials[k], c->cserials[i],
				    sizeof(c->cserials[0]));
				c->in[k].source = c->names[k];
			}
			k++;
			continue;
		}
		kr_engine_notice(e, "%s; present the next custodian's card",
		    v[i].detail);
		{
			struct kr_fact f[] = { { "card", c->labels[i] },
			    { "serial", c->cserials[i] },
			    { "reason", kr_strerror(v[i].status) },
			    { "detail", v[i].detail } };

			if (r == 0)
				r = kr_engine_record(e, "card-refused",
				    "engine", f, 4);
		}
	}
	explicit_bzero(c->values + k * KR_SHARE_BYTES,
	    (c->n - k) * KR_SHARE_BYTES);
	c->n = k;
	return r;
}

static int
try_recover(struct kr_engine *e, struct collected *c, int last)
{
	struct kr_quorum_verdict v[MAX_INPUTS];
	int r;

	if ((r = kr_quorum_recover(e->escrow, c->in, c->n, v, e->kek)) == 0 ||
	    last) {
		char detail[1024];

		snprintf(detail, sizeof(detail), "%s", kr_err_detail());
		(void)record_verdicts(e, c, v);
		kr_err_set(r, "%s", detail);
	} else {
		int rd;

		if ((rd = drop_bad(e, c, v)) != 0)
			return rd;
	}
	return r;
}

/* The quorum reached: which cards gave it, and how long the key stays. */
static int
recovered_result(struct kr_engine *e, const struct collected *c)
{
	struct kr_engine_details ds;
	const char *who;
	char k[24];
	size_t i;

	memset(&ds, 0, sizeof(ds));
	kr_engine_detail(&ds, KR_DETAIL_GOOD, "quorum", "reached: %u good "
	    "shares, as the package needs (any %u of %u)", e->escrow->m,
	    e->escrow->m, e->escrow->n);
	kr_engine_detail(&ds, KR_DETAIL_HEADING, "cards", "%s",
	    "card, serial, custodian");
	for (i = 0; i < c->n; i++) {
		who = kr_engine_holder(e, c->labels[i], c->cserials[i]);
		snprintf(k, sizeof(k), "%zu", i + 1);
		kr_engine_detail(&ds, KR_DETAIL_ROW, k, "%-16s %s  %s",
		    c->labels[i], c->cserials[i], who ? who : "");
	}
	kr_engine_detail(&ds, 0, "window", "the recovered key is wiped after "
	    "%u minutes, whatever the ceremony is doing then", e->pclass ?
	    e->pclass->recovery_window_minutes : 30);
	return kr_engine_result(e, "Quorum reached", &ds);
}

int
kr_engine_verb_recover(struct kr_engine *e, const struct kr_script_step *st)
{
	struct collected *c = NULL;
	size_t k;
	int r = KR_ERR_SHAMIR_TOO_FEW, refused;

	(void)st;
	if (e->escrow == NULL)
		return kr_err_set(KR_ERR_ENGINE_STATE, "recover: load-escrow "
		    "must come first");
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "recover");
	if ((c->values = kr_secmem_alloc(MAX_INPUTS * KR_SHARE_BYTES)) ==
	    NULL || (e->kek = kr_secmem_alloc(KR_KEK_BYTES)) == NULL) {
		r = KR_ERR_SECMEM_MLOCK;
		goto out;
	}
	for (k = 1; k <= MAX_INPUTS; k++) {
		kr_engine_progress(e, "custodian cards presented", c->n,
		    e->escrow->m);
		r = collect_card(e, c, k, &refused);
		if (r == KR_ERR_ANSWER_MISSING) {
			/* No more cards: say exactly what is missing. */
			if ((r = try_recover(e, c, 1)) == 0)
				break;
			goto out;
		}
		if (r != 0)
			goto out;
		if (!refused && c->n >= e->escrow->m &&
		    (r = try_recover(e, c, 0)) == 0)
			break;
	}
	if (r != 0)
		goto out;
	kr_engine_progress(e, "custodian cards presented", e->escrow->m,
	    e->escrow->m);
	e->key_deadline = kr_engine_now(e) + 60 * (time_t)(e->pclass ?
	    e->pclass->recovery_window_minutes : 30);
	{
		char mins[16], id[65];
		struct kr_fact f[] = { { "recovered", "kek" },
		    { "window-minutes", mins }, { "key-id", id } };

		snprintf(mins, sizeof(mins), "%u", e->pclass ?
		    e->pclass->recovery_window_minutes : 30);
		kr_hex_encode(e->escrow->key_id, 32, id, sizeof(id));
		if ((r = kr_engine_record(e, "kek-recovered", "engine", f,
		    3)) != 0)
			goto out;
	}
	r = recovered_result(e, c);
 out:
	kr_secmem_free(c->values, MAX_INPUTS * KR_SHARE_BYTES);
	free(c);
	return r;
}

/*
 * What the recovered key is for: a new split (a reshare), its destruction,
 * or the first later step that is not the wipe, the seal or after it
 * (sign-csr, issue-crl, restore-key, sign-release); else nothing.
 */
static const char *
key_use(const struct kr_engine *e)
{
	const char *v;
	size_t i;

	for (i = 0; i < e->script->nsteps; i++) {
		if (strcmp(e->script->steps[i].verb, "split") == 0)
			return "reshare: a new split for a new roster";
		if (strcmp(e->script->steps[i].verb, "destroy-shares") == 0)
			return "destroy: proves the custodians hold it";
	}
	for (i = e->step; i < e->script->nsteps; i++) {
		v = e->script->steps[i].verb;
		if (strcmp(v, "wipe") != 0 && strcmp(v, "seal-transcript") != 0 &&
		    strcmp(v, "cosign-transcript") != 0 &&
		    strcmp(v, "print-transcript") != 0)
			return v;
	}
	return "none: drill";
}

int
kr_engine_verb_prove_key(struct kr_engine *e, const struct kr_script_step *st)
{
	struct kr_engine_details ds;
	uint8_t *spki = NULL;
	size_t spkilen = 0;
	char id[65], fp[KR_X509_FP_TEXT_BYTES];
	int r;

	(void)st;
	if (e->escrow == NULL || e->kek == NULL)
		return kr_err_set(KR_ERR_ENGINE_STATE, "prove-key: nothing "
		    "recovered");
	/* A symmetric key: its seal key, and the key itself for a reshare. */
	if (e->escrow->symmetric)
		r = kr_escrow_open_symmetric(e->escrow, e->kek, &e->key,
		    &e->symkey, &e->symkey_len);
	else
		r = kr_escrow_open(e->escrow, e->kek, &e->key);
	if (r != 0)
		return r;
	if (e->cert != NULL) {
		if ((r = kr_x509_public_spki(e->cert, &spki, &spkilen)) != 0)
			return r;
		if (spkilen != e->escrow->spki_len ||
		    memcmp(spki, e->escrow->spki, spkilen) != 0)
			r = kr_err_set(KR_ERR_KEY_MISMATCH, "the recovered key "
			    "is not the certificate's key");
		free(spki);
		if (r != 0)
			return r;
	}
	kr_hex_encode(e->escrow->key_id, 32, id, sizeof(id));
	{
		struct kr_fact f[] = { { "key-id", id },
		    { "proof", e->escrow->symmetric ? "key check value equal; "
		    "seal key's public key equal; signature verified" :
		    "public key equal; signature verified" },
		    { "certificate", e->cert ? "matches" : "not given" },
		    { "use", key_use(e) } };

		if ((r = kr_engine_record(e, "key-proven", "engine", f,
		    4)) != 0)
			return r;
	}
	memset(&ds, 0, sizeof(ds));
	kr_engine_detail(&ds, KR_DETAIL_GOOD, "package key", "YES: the "
	    "recovered key is the package's public key, and a test signature "
	    "verifies");
	kr_engine_detail(&ds, e->cert ? KR_DETAIL_GOOD : 0, "certificate",
	    "%s", e->cert ? "YES: it is the key of the certificate" :
	    "none was given");
	if (kr_engine_fingerprint_text(e, fp, sizeof(fp)) == 0)
		kr_engine_detail(&ds, KR_DETAIL_GROUPS | KR_DETAIL_SUMMARY,
		    e->cert ? "certificate SHA-256" : "key id", "%s", fp);
	kr_engine_detail(&ds, 0, "used for", "nothing else");
	return kr_engine_result(e, "Key proven", &ds);
}
