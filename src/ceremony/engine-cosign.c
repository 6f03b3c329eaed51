/*
 * engine-cosign.c: custodian cards bound into the chain, and their
 * co-signatures of the sealed transcript.
 *
 * Every card that takes part in a ceremony (a share written to it, or a
 * share of it used in a recovery) carries a P-256 custodian key made on
 * the card and never exported (src/card/token-custodian.c).  When the card
 * takes part, its public key is bound inside the chain by a
 * custodian-key-bound record (card label, serial, SHA-256 of the key) and,
 * in a creating ceremony, in the escrow package's roster; in a recovery
 * the card's key is checked against that roster.  After the seal, the
 * cosign-transcript step asks each bound card in turn to sign the
 * co-sign message over the final chain value.  A card that cannot (lost,
 * skipped, out of PIN attempts) gets a cosignature-missing line with the
 * reason, and keyrite verify calls the transcript incomplete: the chain,
 * which the seal covers, says which co-signatures are expected, so none can
 * be left out, and none made with another key can be added.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "base/err.h"
#include "base/hex.h"
#include "engine-int.h"

/*
 * Binds the custodian key of the open, logged-in card s: made on the card
 * when create is set and it has none.  When expect is not NULL the card's
 * key must be that one (the escrow roster's).  key_id receives the key's
 * SHA-256.  Records custodian-key-bound and remembers the card for the
 * co-signing step, which asks for it again as cosign.<label>.
 */
int
kr_engine_bind_card(struct kr_engine *e, struct kr_token_session *s,
    const struct kr_token_info *info, const char *name, int create,
    const uint8_t *expect, uint8_t key_id[32])
{
	struct kr_engine_cosigner *c;
	char cname[KR_TOKEN_NAME_MAX], hex[65];
	uint8_t *spki = NULL;
	size_t len = 0, i;
	int r, created = 0;

	kr_token_name(info, cname, sizeof(cname));
	if ((r = kr_token_custodian_key(s, create, &spki, &len,
	    &created)) != 0) {
		if (r == KR_ERR_NOT_FOUND)
			r = kr_err_set(KR_ERR_TOKEN_CUSTODIAN_KEY, "%s has no "
			    "custodian key, but the escrow package enrolled one "
			    "for this share: the share is not on the card it "
			    "was written to; it is not used", cname);
		goto out;
	}
	if (EVP_Digest(spki, len, key_id, NULL, EVP_sha256(), NULL) != 1) {
		r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "custodian key id");
		goto out;
	}
	if (expect != NULL && memcmp(expect, key_id, 32) != 0) {
		r = kr_err_set(KR_ERR_TOKEN_CUSTODIAN_KEY, "%s's custodian key "
		    "is not the one the escrow package enrolled with this "
		    "share: the share is not on the card it was written to; it "
		    "is not used", cname);
		goto out;
	}
	for (i = 0; i < e->ncosigners; i++)
		if (strcmp(e->cosigners[i].serial, info->serial) == 0)
			break;
	if (i == e->ncosigners) {
		if (e->ncosigners == ENGINE_MAX_COSIGNERS) {
			r = kr_err_set(KR_ERR_INTERNAL, "too many cards");
			goto out;
		}
		c = &e->cosigners[e->ncosigners++];
		memset(c, 0, sizeof(*c));
		snprintf(c->label, sizeof(c->label), "%s", info->label);
		snprintf(c->serial, sizeof(c->serial), "%s", info->serial);
		snprintf(c->name, sizeof(c->name), "%s", name ? name : "");
		memcpy(c->key_id, key_id, 32);
	}
	kr_hex_encode(key_id, 32, hex, sizeof(hex));
	{
		/* The order of the first three is the by-hand check's. */
		struct kr_fact f[] = { { "card", info->label },
		    { "serial", info->serial }, { "key-id", hex },
		    { "made-now", created ? "yes" : "no" } };

		r = kr_engine_record(e, "custodian-key-bound", "engine", f, 4);
	}
 out:
	free(spki);
	return r;
}

/* One card's co-signature; a word for why not in *why. */
static int
cosign_one(struct kr_engine *e, struct kr_engine_cosigner *c,
    const char **why)
{
	struct kr_token_session *s = NULL;
	struct kr_token_info info;
	uint8_t chain[32], digest[32], id[32], *spki = NULL, *sig = NULL;
	char msg[KR_TRANSCRIPT_COSIGN_MSG_MAX], pid[64];
	size_t msglen, len = 0, siglen = 0;
	int r;

	*why = "card-absent";
	snprintf(pid, sizeof(pid), "cosign.%s", c->label);
	if ((r = kr_engine_card(e, pid, c->name[0] ? c->name : NULL,
	    c->label, NULL, 0, &s, &info)) != 0) {
		if (r == KR_ERR_TOKEN_NOT_LOGGED_IN ||
		    r == KR_ERR_ANSWER_MISSING)
			*why = "skipped";
		else if (r == KR_ERR_TOKEN_ATTEMPTS ||
		    r == KR_ERR_TOKEN_PIN_LOCKED)
			*why = "pin-attempts";
		goto out;
	}
	*why = "card-fault";
	if (strcmp(info.serial, c->serial) != 0) {
		r = kr_err_set(KR_ERR_TOKEN_NOT_PRESENT, "the card presented "
		    "has another serial than the card that took part");
		goto out;
	}
	if ((r = kr_token_custodian_key(s, 0, &spki, &len, NULL)) != 0)
		goto out;
	if (EVP_Digest(spki, len, id, NULL, EVP_sha256(), NULL) != 1) {
		r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "custodian key id");
		goto out;
	}
	if (memcmp(id, c->key_id, 32) != 0) {
		*why = "key-changed";
		r = kr_err_set(KR_ERR_TOKEN_CUSTODIAN_KEY, "card %s's custodian "
		    "key changed during the ceremony", c->label);
		goto out;
	}
	kr_transcript_chain(e->tr, chain);
	msglen = kr_transcript_cosign_message(kr_transcript_id(e->tr), chain,
	    c->label, c->serial, msg);
	if (msglen == 0 || EVP_Digest(msg, msglen, digest, NULL,
	    EVP_sha256(), NULL) != 1) {
		r = kr_err_set(KR_ERR_INTERNAL, "co-sign message");
		goto out;
	}
	if ((r = kr_token_custodian_sign(s, digest, &sig, &siglen)) != 0 ||
	    (r = kr_transcript_cosign(e->tr, c->label, c->serial, spki, len,
	    sig, siglen)) != 0)
		goto out;
	/* A reshare's old share goes while the card is here anyway. */
	if ((r = kr_engine_retire_on(e, s, &info)) >= 0)
		c->retired = r > 0 ? 2 : 1;
	r = 0;
 out:
	kr_token_close(s);
	free(spki);
	free(sig);
	return r;
}

/*
 * cosign-transcript: after the seal, each card that took part co-signs.
 * Nothing a card does here can undo the ceremony, which committed at the
 * seal: a card that cannot sign is named and recorded as missing, and the
 * next one is asked for.  Only people stopping the ceremony (an abort, a
 * signal, a lost terminal, a breached air gap) end the step early; the
 * run loop then records the cards not reached as missing
 * (kr_engine_cosign_stopped()).
 */
int
kr_engine_verb_cosign(struct kr_engine *e, const struct kr_script_step *st)
{
	struct kr_engine_cosigner *c;
	const char *why;
	size_t i, signed_ = 0;
	int r;

	(void)st;
	if (!kr_transcript_sealed(e->tr))
		return kr_err_set(KR_ERR_ENGINE_STATE, "cosign-transcript: "
		    "the transcript is not sealed yet");
	for (i = 0; i < e->ncosigners; i++) {
		c = &e->cosigners[i];
		kr_engine_progress(e, "co-signatures", signed_,
		    e->ncosigners);
		if ((r = cosign_one(e, c, &why)) == 0) {
			c->done = 1;
			signed_++;
			continue;
		}
		if (r == KR_ERR_ABORTED || r == KR_ERR_SIGNALLED ||
		    r == KR_ERR_TERMINAL_LOST || r == KR_ERR_AIRGAP_BREACHED)
			return r;	/* the rest: kr_engine_cosign_stopped() */
		kr_engine_notice(e, "card %s (serial %s) did not co-sign (%s): "
		    "%s", c->label, c->serial, why, kr_err_detail());
		if ((r = kr_transcript_cosign_missing(e->tr, c->label,
		    c->serial, why)) != 0)
			return r;
		c->done = 1;
	}
	kr_engine_progress(e, "co-signatures", signed_, e->ncosigners);
	return 0;
}

void
kr_engine_cosign_stopped(struct kr_engine *e)
{
	size_t i;

	for (i = 0; i < e->ncosigners; i++)
		if (!e->cosigners[i].done &&
		    kr_transcript_cosign_missing(e->tr, e->cosigners[i].label,
		    e->cosigners[i].serial, "ceremony-stopped") == 0)
			e->cosigners[i].done = 1;
}
