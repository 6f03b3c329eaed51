/*
 * engine-recover.c: the verbs that bring an escrowed key back: load its
 * package, collect shares card by card until a quorum of good ones is
 * there (naming every bad card), open the package and prove the key.
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


static int
load_cert(struct kr_engine *e, const char *name)
{
	uint8_t *spki = NULL, h[32];
	char path[4096], *pem = NULL, fp[KR_X509_FP_TEXT_BYTES];
	uint8_t fpb[KR_X509_FP_BYTES];
	size_t len = 0, spkilen = 0;
	int r;

	if ((r = kr_media_path(e->media, 0, name, path, sizeof(path))) != 0 ||
	    (r = kr_media_read(path, KR_X509_PEM_MAX, &pem, &len, h)) != 0 ||
	    (r = kr_x509_from_pem(pem, len, path, &e->cert)) != 0 ||
	    (r = kr_x509_public_spki(e->cert, &spki, &spkilen)) != 0)
		goto out;
	if (spkilen != e->escrow->spki_len ||
	    memcmp(spki, e->escrow->spki, spkilen) != 0) {
		r = kr_err_set(KR_ERR_KEY_MISMATCH, "%s is not the certificate "
		    "of the key in %s: bring the matching certificate",
		    path, e->escrow->source);
		goto out;
	}
	if ((r = kr_x509_fingerprint(e->cert, fpb)) != 0)
		goto out;
	kr_x509_fingerprint_text(fpb, fp, sizeof(fp));
	{
		char hex[65];
		struct kr_fact f[] = { { "certificate", name },
		    { "sha256", hex }, { "sha256-fingerprint", fp } };

		kr_hex_encode(h, sizeof(h), hex, sizeof(hex));
		r = kr_engine_record(e, "certificate-loaded", "engine", f, 3);
	}
 out:
	free(pem);
	free(spki);
	return r;
}

int
kr_engine_verb_load_escrow(struct kr_engine *e,
    const struct kr_script_step *st)
{
	const char *file = kr_script_arg(st, "file");
	const char *cert = kr_script_arg(st, "certificate");
	char path[4096], id[65], hex[65], m[8], n[8], *text = NULL;
	uint8_t h[32];
	size_t len;
	int r;

	if (file == NULL || *file == '\0')
		file = "root-ca.escrow";
	if ((r = kr_media_path(e->media, 0, file, path, sizeof(path))) != 0 ||
	    (r = kr_media_read(path, 1024 * 1024, &text, &len, h)) != 0)
		return r;
	r = kr_escrow_parse(text, len, path, &e->escrow);
	free(text);
	if (r != 0)
		return r;
	kr_hex_encode(e->escrow->key_id, 32, id, sizeof(id));
	kr_hex_encode(h, sizeof(h), hex, sizeof(hex));
	snprintf(m, sizeof(m), "%u", e->escrow->m);
	snprintf(n, sizeof(n), "%u", e->escrow->n);
	{
		struct kr_fact f[] = { { "escrow", file }, { "sha256", hex },
		    { "key-id", id }, { "algorithm", e->escrow->algorithm },
		    { "threshold", m }, { "shares", n } };

		if ((r = kr_engine_record(e, "escrow-loaded", "engine", f,
		    6)) != 0)
			return r;
	}
	if (cert != NULL && *cert != '\0')
		return load_cert(e, cert);
	return 0;
}

struct collected {
	struct kr_quorum_input	 in[MAX_INPUTS];
	char			 names[MAX_INPUTS][128];
	uint8_t			*values;	/* secmem, MAX_INPUTS shares */
	size_t			 n;
};

/* Adds every keyrite share on the card to c. */
static int
collect_card(struct kr_engine *e, struct collected *c, size_t k)
{
	struct kr_token_session *s = NULL;
	struct kr_token_share *sh = NULL;
	struct kr_token_info info;
	char id[64], name[128];
	size_t nsh = 0, i;
	int r;

	snprintf(id, sizeof(id), "recover.card.%zu", k);
	if ((r = kr_engine_card(e, id, NULL, NULL, &s, &info)) != 0)
		return r;
	kr_token_name(&info, name, sizeof(name));
	r = kr_token_read_shares(s, NULL, &sh, &nsh);
	kr_token_close(s);
	if (r != 0)
		return r;
	if (nsh == 0)
		kr_engine_notice(e, "%s holds no keyrite share", name);
	for (i = 0; i < nsh && c->n < MAX_INPUTS; i++, c->n++) {
		size_t len = sh[i].len < KR_SHARE_BYTES ? sh[i].len :
		    KR_SHARE_BYTES;

		memcpy(c->values + c->n * KR_SHARE_BYTES, sh[i].value, len);
		snprintf(c->names[c->n], sizeof(c->names[0]), "%s", name);
		c->in[c->n].source = c->names[c->n];
		c->in[c->n].data = c->values + c->n * KR_SHARE_BYTES;
		/* The true length: kr_share_decode() refuses a wrong one
		 * before reading, so only KR_SHARE_BYTES are ever kept. */
		c->in[c->n].len = sh[i].len;
	}
	kr_token_shares_free(sh, nsh);
	{
		char count[8];
		struct kr_fact f[] = { { "card", info.label },
		    { "serial", info.serial }, { "shares-on-card", count } };

		snprintf(count, sizeof(count), "%zu", nsh);
		return kr_engine_record(e, "card-presented", "custodian", f, 3);
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
		struct kr_fact f[] = { { "card", c->names[i] }, { "x", x },
		    { "verdict", v[i].status == 0 ? (v[i].used ? "used" :
		    "good, not needed") : kr_strerror(v[i].status) },
		    { "detail", v[i].status ? v[i].detail : "" } };

		snprintf(x, sizeof(x), "%u", v[i].x);
		if ((r = kr_engine_record(e, "share-checked", "engine", f,
		    v[i].status ? 4 : 3)) != 0)
			return r;
	}
	return 0;
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
		size_t i;

		for (i = 0; i < c->n; i++)
			if (v[i].status != 0)
				kr_engine_notice(e, "%s", v[i].detail);
	}
	return r;
}

int
kr_engine_verb_recover(struct kr_engine *e, const struct kr_script_step *st)
{
	struct collected c;
	size_t k;
	int r = KR_ERR_SHAMIR_TOO_FEW;

	(void)st;
	if (e->escrow == NULL)
		return kr_err_set(KR_ERR_ENGINE_STATE, "recover: load-escrow "
		    "must come first");
	memset(&c, 0, sizeof(c));
	if ((c.values = kr_secmem_alloc(MAX_INPUTS * KR_SHARE_BYTES)) == NULL ||
	    (e->kek = kr_secmem_alloc(KR_KEK_BYTES)) == NULL) {
		r = KR_ERR_SECMEM_MLOCK;
		goto out;
	}
	for (k = 1; k <= MAX_INPUTS; k++) {
		kr_engine_progress(e, "custodian cards presented", c.n,
		    e->escrow->m);
		r = collect_card(e, &c, k);
		if (r == KR_ERR_ANSWER_MISSING) {
			/* No more cards: say exactly what is missing. */
			r = try_recover(e, &c, 1);
			if (r == 0)
				break;
			goto out;
		}
		if (r != 0)
			goto out;
		if (c.n >= e->escrow->m && (r = try_recover(e, &c, 0)) == 0)
			break;
	}
	if (r != 0)
		goto out;
	e->key_deadline = kr_engine_now(e) + 60 * (time_t)(e->pclass ?
	    e->pclass->recovery_window_minutes : 30);
	{
		char mins[16];
		struct kr_fact f[] = { { "recovered", "kek" },
		    { "window-minutes", mins } };

		snprintf(mins, sizeof(mins), "%u", e->pclass ?
		    e->pclass->recovery_window_minutes : 30);
		r = kr_engine_record(e, "kek-recovered", "engine", f, 2);
	}
 out:
	kr_secmem_free(c.values, MAX_INPUTS * KR_SHARE_BYTES);
	return r;
}

int
kr_engine_verb_prove_key(struct kr_engine *e, const struct kr_script_step *st)
{
	uint8_t *spki = NULL;
	size_t spkilen = 0;
	char id[65];
	int r;

	(void)st;
	if (e->escrow == NULL || e->kek == NULL)
		return kr_err_set(KR_ERR_ENGINE_STATE, "prove-key: nothing "
		    "recovered");
	if ((r = kr_escrow_open(e->escrow, e->kek, &e->key)) != 0)
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
		    { "proof", "public key equal; signature verified" },
		    { "certificate", e->cert ? "matches" : "not given" },
		    { "use", "none: drill" } };

		return kr_engine_record(e, "key-proven", "engine", f, 4);
	}
}
