/*
 * engine-create.c: the verbs that make a new escrowed key: generate it,
 * certify it, split its KEK, write the shares to the custodians' cards,
 * verify them, and write the escrow package.
 *
 * The same verbs escrow a key again: after an import (escrow-import), or
 * after a recovery, for a new roster (custodian-reshare).  A reshare's
 * split keeps the loaded package as the one it supersedes: the new
 * package names it (supersedes), keeps its key class and cryptoperiod,
 * and each new share goes beside the old one on an old custodian's card
 * until the seal retires the old (engine-lifecycle.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "base/err.h"
#include "base/hex.h"
#include "base/secmem.h"
#include "crypto/key.h"
#include "crypto/quorum.h"
#include "crypto/shamir.h"
#include "crypto/share.h"
#include "crypto/symkey.h"
#include "crypto/x509.h"
#include "host/media.h"
#include "engine-int.h"


static const char *
arg(const struct kr_script_step *st, const char *name, const char *def)
{
	const char *v = kr_script_arg(st, name);

	return v != NULL && *v != '\0' ? v : def;
}

int
kr_engine_verb_generate_key(struct kr_engine *e,
    const struct kr_script_step *st)
{
	const char *name = arg(st, "algorithm", "");
	const struct kr_key_alg *alg = kr_key_alg_find(name);
	struct kr_engine_details ds;
	uint8_t id[KR_KEY_ID_BYTES];
	char hex[65];
	int r;

	if (alg == NULL)
		return kr_err_set(KR_ERR_KEY_ALGORITHM, "%s:%zu: algorithm "
		    "'%s' is not one keyrite manages", e->script->source,
		    st->line, name);
	if (e->key != NULL)
		return kr_err_set(KR_ERR_ENGINE_STATE, "a key exists already");
	kr_engine_progress(e, "generating the key", 0, 1);
	if ((r = kr_key_generate(alg, &e->key)) != 0 ||
	    (r = kr_key_id(e->key, id)) != 0)
		return r;
	kr_engine_progress(e, "generating the key", 1, 1);
	kr_hex_encode(id, sizeof(id), hex, sizeof(hex));
	{
		struct kr_fact f[] = { { "algorithm", name },
		    { "key-id", hex } };

		if ((r = kr_engine_record(e, "key-generated", "engine", f,
		    2)) != 0)
			return r;
	}
	memset(&ds, 0, sizeof(ds));
	kr_engine_detail(&ds, KR_DETAIL_GOOD, "key", "generated, in locked "
	    "memory only");
	kr_engine_detail(&ds, 0, "algorithm", "%s", name);
	kr_engine_detail(&ds, KR_DETAIL_GROUPS | KR_DETAIL_SUMMARY, "key id",
	    "%s", hex);
	return kr_engine_result(e, "Key generated", &ds);
}

int
kr_engine_verb_self_sign(struct kr_engine *e, const struct kr_script_step *st)
{
	struct kr_x509_request req;
	struct kr_x509_info info;
	struct kr_engine_details ds;
	char fp[KR_X509_FP_TEXT_BYTES];
	int r;

	if (e->key == NULL)
		return kr_err_set(KR_ERR_ENGINE_STATE, "self-sign: no key");
	memset(&req, 0, sizeof(req));
	req.subject = arg(st, "subject", "");
	req.validity_days = atoi(arg(st, "validity-days", "0"));
	/* "none" (or not given): no pathLenConstraint. */
	req.path_len = strcmp(arg(st, "path-length", "none"), "none") == 0 ?
	    -1 : atoi(arg(st, "path-length", "-1"));
	req.rehearsal = e->cfg.rehearsal;
	if (strcmp(arg(st, "profile", "root-ca"), "code-signing") == 0)
		req.profile = KR_X509_PROFILE_CODE_SIGNING;
	if ((r = kr_x509_self_sign(e->key, &req, &e->cert)) != 0 ||
	    (r = kr_x509_describe(e->cert, &info)) != 0)
		return r;
	kr_x509_fingerprint_text(info.fingerprint, fp, sizeof(fp));
	{
		struct kr_fact f[] = { { "subject", info.subject },
		    { "serial", info.serial },
		    { "not-before", info.not_before },
		    { "not-after", info.not_after },
		    { "signature", info.sig_alg },
		    { "sha256-fingerprint", fp },
		    { "profile", arg(st, "profile", "root-ca") } };

		if ((r = kr_engine_record(e, "certificate-issued", "engine", f,
		    7)) != 0)
			return r;
	}
	memset(&ds, 0, sizeof(ds));
	kr_engine_detail(&ds, KR_DETAIL_GOOD, "certificate", "signed and "
	    "checked");
	kr_engine_detail(&ds, 0, "subject", "%s", info.subject);
	kr_engine_detail(&ds, 0, "valid", "%s to %s", info.not_before,
	    info.not_after);
	kr_engine_detail(&ds, 0, "path length", "%s", req.path_len < 0 ?
	    "none (no pathLenConstraint)" : arg(st, "path-length", ""));
	kr_engine_detail(&ds, 0, "signature", "%s", info.sig_alg);
	kr_engine_detail(&ds, KR_DETAIL_GROUPS | KR_DETAIL_SUMMARY,
	    "certificate SHA-256", "%s", fp);
	return kr_engine_result(e, "Certificate signed", &ds);
}

/* An output staged on every medium, as a step's result. */
static int
staged_result(struct kr_engine *e, const char *name, const char *title)
{
	struct kr_engine_details ds;
	size_t i, n = kr_media_count(e->media);

	memset(&ds, 0, sizeof(ds));
	kr_engine_detail(&ds, KR_DETAIL_GOOD, "written", "%s, read back "
	    "identical", name);
	for (i = 0; i < n; i++) {
		char k[32];

		snprintf(k, sizeof(k), "medium %zu", i + 1);
		kr_engine_detail(&ds, 0, k, "%s", kr_media_dir(e->media, i));
	}
	kr_engine_detail(&ds, 0, "published", "under its name when the "
	    "transcript is sealed, at the end; until then it is kept aside "
	    "and an interrupted ceremony leaves none");
	return kr_engine_result(e, title, &ds);
}

int
kr_engine_verb_write_certificate(struct kr_engine *e,
    const struct kr_script_step *st)
{
	char *pem = NULL;
	size_t len = 0;
	int r;

	if (e->cert == NULL)
		return kr_err_set(KR_ERR_ENGINE_STATE, "write-certificate: no "
		    "certificate");
	if ((r = kr_x509_to_pem(e->cert, &pem, &len)) != 0)
		return r;
	r = kr_engine_output_file(e, arg(st, "name", "root-ca.pem"), pem, len,
	    "certificate");
	free(pem);
	if (r != 0)
		return r;
	return staged_result(e, arg(st, "name", "root-ca.pem"),
	    "Certificate written");
}

static int
new_escrow(struct kr_engine *e, unsigned int m, unsigned int n)
{
	size_t i;
	int r;

	const struct kr_escrow *old = e->old_escrow;
	time_t start, end;

	if (m < 2 || m > n || n > 255 || e->ncustodians != n)
		return kr_err_set(KR_ERR_SHAMIR_PARAMS, "split %u of %u, but "
		    "the roll call named %zu custodians", m, n,
		    e->ncustodians);
	if ((e->escrow = kr_escrow_new((uint8_t)m, (uint8_t)n)) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "escrow package");
	e->made_escrow = 1;
	if (e->symkey != NULL)
		r = kr_escrow_set_symmetric(e->escrow, kr_symkey_alg_find(old ?
		    old->algorithm : e->import->algorithm), e->symkey,
		    e->symkey_len, e->key);
	else
		r = kr_escrow_set_key(e->escrow, e->key);
	if (r != 0)
		return r;
	snprintf(e->escrow->key_class, sizeof(e->escrow->key_class), "%s",
	    e->key_class);
	snprintf(e->escrow->policy_name, sizeof(e->escrow->policy_name), "%s",
	    e->policy->name);
	memcpy(e->escrow->policy_hash, kr_policy_sha256(e->policy), 32);
	kr_escrow_time_format(kr_engine_now(e), e->escrow->created);
	/* A key's cryptoperiod starts when it is made (docs/formats.md). */
	kr_escrow_set_cryptoperiod(e->escrow, kr_engine_now(e),
	    e->pclass->cryptoperiod_days);
	if (old != NULL) {
		/* A new split does not make the key younger. */
		if ((r = kr_escrow_cryptoperiod(old,
		    e->pclass->cryptoperiod_days, &start, &end)) != 0)
			return r;
		kr_escrow_time_format(start, e->escrow->cp_start);
		kr_escrow_time_format(end, e->escrow->cp_end);
		e->escrow->has_supersedes = 1;
		memcpy(e->escrow->supersedes, e->old_escrow_sha256, 32);
	}
	for (i = 0; i < n; i++) {
		snprintf(e->escrow->roster[i].name,
		    sizeof(e->escrow->roster[i].name), "%s",
		    e->custodians[i].name);
		snprintf(e->escrow->roster[i].card,
		    sizeof(e->escrow->roster[i].card), "%s",
		    e->custodians[i].card);
	}
	return 0;
}

int
kr_engine_verb_split(struct kr_engine *e, const struct kr_script_step *st)
{
	unsigned int m = (unsigned int)atoi(arg(st, "threshold", "0"));
	unsigned int n = (unsigned int)atoi(arg(st, "shares", "0"));
	struct kr_engine_details ds;
	char setid[33], mm[8], nn[8];
	int r;

	if (e->key == NULL || e->old_escrow != NULL ||
	    (e->escrow != NULL && e->kek == NULL))
		return kr_err_set(KR_ERR_ENGINE_STATE, "split: no key, or "
		    "split twice");
	if (e->escrow != NULL) {
		/* A reshare: the recovered package is the one superseded. */
		e->old_escrow = e->escrow;
		e->escrow = NULL;
		memcpy(e->old_escrow_sha256, e->escrow_sha256, 32);
		kr_engine_wipe_kek(e);
	}
	if ((r = new_escrow(e, m, n)) != 0)
		return r;
	e->shareslen = (size_t)n * KR_SHARE_BYTES;
	if ((e->kek = kr_secmem_alloc(KR_KEK_BYTES)) == NULL ||
	    (e->shares = kr_secmem_alloc(e->shareslen)) == NULL)
		return KR_ERR_SECMEM_MLOCK;
	if (RAND_priv_bytes(e->kek, KR_KEK_BYTES) != 1)
		return kr_err_libcrypto(KR_ERR_LIBCRYPTO, "random KEK");
	kr_engine_progress(e, "splitting and verifying every subset", 0, 1);
	if ((r = kr_quorum_split(e->escrow, e->kek, e->shares)) != 0)
		return r;
	kr_engine_progress(e, "splitting and verifying every subset", 1, 1);
	kr_hex_encode(e->escrow->set_id, 16, setid, sizeof(setid));
	snprintf(mm, sizeof(mm), "%u", m);
	snprintf(nn, sizeof(nn), "%u", n);
	{
		struct kr_fact f[] = { { "threshold", mm }, { "shares", nn },
		    { "share-set", setid }, { "replaces", e->old_escrow ?
		    e->old_escrow->transcript_id : "" } };

		if ((r = kr_engine_record(e, "kek-split", "engine", f,
		    e->old_escrow ? 4 : 3)) != 0)
			return r;
	}
	memset(&ds, 0, sizeof(ds));
	kr_engine_detail(&ds, KR_DETAIL_GOOD, "split", "%u shares, any %u of "
	    "which recover the key", n, m);
	kr_engine_detail(&ds, 0, "checked", "every group of %u shares gives "
	    "the sealing key back", m);
	kr_engine_detail(&ds, 0, "share set", "%s", setid);
	return kr_engine_result(e, "Sealing key split", &ds);
}

/*
 * A card presented for a share may still hold one written by a ceremony
 * that failed (its transcript on these media unsealed): that share never
 * counted, and it is deleted now, recorded in both transcripts.
 */
static int
clean_card(struct kr_engine *e, struct kr_token_session *s,
    const struct kr_token_info *info)
{
	struct kr_clean_report rep;
	const char *dirs[KR_MEDIA_MAX_DIRS];
	size_t i, n = kr_media_count(e->media);
	int r;

	for (i = 0; i < n; i++)
		dirs[i] = kr_media_dir(e->media, i);
	memset(&rep, 0, sizeof(rep));
	r = kr_clean_card(s, info, dirs, n, e->header.ceremony_id, &rep);
	for (i = 0; r == 0 && i < rep.n; i++) {
		struct kr_fact f[] = { { "ceremony", rep.a[i].id },
		    { "state", kr_clean_state_name(rep.a[i].state) },
		    { "action", rep.a[i].done }, { "what", rep.a[i].what },
		    { "why", rep.a[i].why } };

		r = kr_engine_record(e, "leftovers-cleaned", "engine", f,
		    rep.a[i].why[0] ? 5 : 4);
	}
	kr_clean_report_free(&rep);
	return r;
}

/*
 * The custodian is told, by name, that the share is on the card and was
 * read back, and takes the card back before the next one is asked for.
 */
static int
share_written(struct kr_engine *e, size_t i,
    const struct kr_token_info *info)
{
	struct kr_engine_details ds;
	char id[64], text[256];

	memset(&ds, 0, sizeof(ds));
	kr_engine_detail(&ds, KR_DETAIL_GOOD, "share", "%zu of %u written "
	    "and read back identical", i + 1, e->escrow->n);
	kr_engine_detail(&ds, 0, "custodian", "%s", e->custodians[i].name);
	kr_engine_detail(&ds, 0, "card", "%s", info->label);
	kr_engine_detail(&ds, 0, "serial", "%s", info->serial);
	kr_engine_detail(&ds, 0, "valid", "once the transcript is sealed, at "
	    "the end of this ceremony");
	snprintf(id, sizeof(id), "custodian.%zu.written", i + 1);
	snprintf(text, sizeof(text), "Share written. %s, take your card back "
	    "now and keep it safe.", e->custodians[i].name);
	return kr_engine_inform(e, id, "custodian", e->custodians[i].name,
	    "Share written", text, &ds);
}

/*
 * In a reshare, the ceremony whose share an old custodian's card may keep
 * beside the new one until the seal: the old package's.  A card that is
 * not in the old roster must hold no share of the key at all.
 */
static const char *
old_share(const struct kr_engine *e, const struct kr_token_info *info)
{
	size_t i;

	if (e->old_escrow == NULL)
		return NULL;
	for (i = 0; i < e->old_escrow->n; i++)
		if (strcmp(e->old_escrow->roster[i].serial, info->serial) == 0)
			return e->old_escrow->transcript_id;
	return NULL;
}

static int
write_one_share(struct kr_engine *e, size_t i)
{
	struct kr_token_session *s = NULL;
	struct kr_token_info info;
	char id[64], x[8], commit[65];
	int r;

	snprintf(id, sizeof(id), "custodian.%zu.card", i + 1);
	if ((r = kr_engine_card(e, id, e->custodians[i].name,
	    e->custodians[i].card, NULL, 0, &s, &info)) != 0)
		return r;
	if ((r = clean_card(e, s, &info)) == 0 &&
	    (r = kr_engine_bind_card(e, s, &info, e->custodians[i].name, 1,
	    NULL, e->escrow->roster[i].key_id)) == 0) {
		e->escrow->roster[i].has_key = 1;
		r = kr_token_write_share_beside(s, e->escrow->key_id,
		    (uint8_t)(i + 1), e->shares + i * KR_SHARE_BYTES,
		    KR_SHARE_BYTES, e->escrow->roster[i].commitment,
		    e->header.ceremony_id, old_share(e, &info));
	}
	kr_token_close(s);
	if (r != 0)
		return r;
	snprintf(e->escrow->roster[i].serial,
	    sizeof(e->escrow->roster[i].serial), "%s", info.serial);
	snprintf(x, sizeof(x), "%zu", i + 1);
	kr_hex_encode(e->escrow->roster[i].commitment, 32, commit,
	    sizeof(commit));
	{
		struct kr_fact f[] = { { "custodian", e->custodians[i].name },
		    { "card", info.label }, { "serial", info.serial },
		    { "x", x }, { "commitment", commit },
		    { "read-back", "identical" },
		    { "state", "pending until the seal" } };

		if ((r = kr_engine_record(e, "share-written", "custodian", f,
		    7)) != 0)
			return r;
	}
	return share_written(e, i, &info);
}

int
kr_engine_verb_write_shares(struct kr_engine *e,
    const struct kr_script_step *st)
{
	size_t i;
	int r;

	(void)st;
	if (e->shares == NULL)
		return kr_err_set(KR_ERR_ENGINE_STATE, "write-shares: nothing "
		    "split");
	for (i = 0; i < e->escrow->n; i++) {
		kr_engine_progress(e, "writing shares", i, e->escrow->n);
		if ((r = write_one_share(e, i)) != 0)
			return r;
	}
	kr_engine_progress(e, "writing shares", i, e->escrow->n);
	return 0;
}

int
kr_engine_verb_verify_shares(struct kr_engine *e,
    const struct kr_script_step *st)
{
	struct kr_shamir_share *ss = NULL;
	struct kr_engine_details ds;
	struct kr_share *one = NULL;
	size_t sslen, i;
	char count[16] = "";
	int r;

	(void)st;
	if (e->shares == NULL || e->kek == NULL)
		return kr_err_set(KR_ERR_ENGINE_STATE, "verify-shares: no "
		    "shares");
	sslen = e->escrow->n * sizeof(*ss);
	if ((ss = kr_secmem_alloc(sslen)) == NULL ||
	    (one = kr_secmem_alloc(sizeof(*one))) == NULL) {
		r = KR_ERR_SECMEM_MLOCK;
		goto out;
	}
	/* The shares exactly as the cards gave them back at write time. */
	for (i = 0; i < e->escrow->n; i++) {
		if ((r = kr_share_decode(e->shares + i * KR_SHARE_BYTES,
		    KR_SHARE_BYTES, e->escrow->roster[i].card, one)) != 0 ||
		    (r = kr_share_check(one, e->escrow->roster[i].card,
		    e->escrow->key_id, e->escrow->set_id,
		    e->escrow->roster[i].commitment)) != 0)
			goto out;
		ss[i].x = one->x;
		memcpy(ss[i].y, one->y, sizeof(ss[i].y));
	}
	kr_engine_progress(e, "recombining every subset", 0, 1);
	if ((r = kr_shamir_verify_split(e->kek, ss, e->escrow->m,
	    e->escrow->n)) != 0)
		goto out;
	kr_engine_progress(e, "recombining every subset", 1, 1);
	snprintf(count, sizeof(count), "%zu",
	    kr_shamir_verify_count(e->escrow->m, e->escrow->n));
	{
		struct kr_fact f[] = { { "subsets-recombined", count },
		    { "result", "every subset gives the KEK" } };

		r = kr_engine_record(e, "shares-verified", "engine", f, 2);
	}
 out:
	kr_secmem_free(one, sizeof(*one));
	kr_secmem_free(ss, sslen);
	if (r != 0)
		return r;
	memset(&ds, 0, sizeof(ds));
	kr_engine_detail(&ds, KR_DETAIL_GOOD, "shares", "all %u checked "
	    "against their commitments", e->escrow->n);
	kr_engine_detail(&ds, KR_DETAIL_GOOD, "groups", "%s groups of %u "
	    "recombined: every one gives the sealing key", count,
	    e->escrow->m);
	return kr_engine_result(e, "Shares verified", &ds);
}

int
kr_engine_verb_write_escrow(struct kr_engine *e,
    const struct kr_script_step *st)
{
	char *text = NULL;
	size_t len = 0, i;
	int r;

	uint8_t sha[32];
	unsigned int mdlen;

	if (e->escrow == NULL || e->kek == NULL || e->key == NULL)
		return kr_err_set(KR_ERR_ENGINE_STATE, "write-escrow: nothing "
		    "to seal");
	for (i = 0; i < e->escrow->n; i++)
		if (e->escrow->roster[i].serial[0] == '\0')
			return kr_err_set(KR_ERR_ENGINE_STATE, "write-escrow: "
			    "share %zu was never written to a card", i + 1);
	e->escrow->has_transcript = 1;
	snprintf(e->escrow->transcript_id, sizeof(e->escrow->transcript_id),
	    "%s", e->header.ceremony_id);
	kr_transcript_chain(e->tr, e->escrow->transcript_hash);
	if (e->escrow->symmetric)
		r = kr_escrow_seal_symmetric(e->escrow, e->symkey,
		    e->symkey_len, e->key, e->kek);
	else
		r = kr_escrow_seal(e->escrow, e->key, e->kek);
	if (r != 0 || (r = kr_escrow_encode(e->escrow, &text, &len)) != 0)
		return r;
	if (!EVP_Digest(text, len, sha, &mdlen, EVP_sha256(), NULL)) {
		free(text);
		return kr_err_libcrypto(KR_ERR_LIBCRYPTO, "hashing the package");
	}
	r = kr_engine_output_file(e, arg(st, "name", "root-ca.escrow"), text,
	    len, "escrow-package");
	free(text);
	if (r == 0 && e->old_escrow != NULL)
		r = kr_engine_record_supersedes(e, arg(st, "name",
		    "root-ca.escrow"), sha);
	if (r != 0)
		return r;
	return staged_result(e, arg(st, "name", "root-ca.escrow"),
	    "Escrow package written");
}
