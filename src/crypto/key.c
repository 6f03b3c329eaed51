/*
 * key.c: the key algorithms keyrite manages, as a small operations table.
 *
 * Each algorithm is a row of algs[] (name, OpenSSL key type, PKCS#8 OID,
 * digest, curve or size) pointing at the operations of its family (EC, RSA,
 * EdDSA), in the manner of OpenSSH's sshkey_impl_funcs: generation
 * parameters, recognising a key of this algorithm, and configuring a
 * signature context.  Everything else (encodings, ids, signing, the match
 * proof) is written once, against OpenSSL 3's EVP and encoder/decoder APIs.
 *
 * Private keys are EVP_PKEYs.  With OpenSSL's secure heap started (see
 * harden.h) their numbers live in locked memory, and their PKCS#8 encoding
 * is handed to callers only in kr_secmem memory.  OpenSSL itself still
 * passes the encoding through its ordinary heap while encoding and
 * decoding, and frees some of those buffers without wiping them; the
 * comments above kr_key_to_pkcs8() and kr_key_from_pkcs8() say where, as
 * measured against OpenSSL 3.0.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "base/err.h"
#include "base/hex.h"
#include "base/secmem.h"
#include "key.h"

/* The match proof signs MATCH_LABEL || MATCH_NONCE_BYTES random bytes. */
#define MATCH_LABEL		"keyrite key-match proof v1"
#define MATCH_NONCE_BYTES	32

struct key_funcs {
	/* Sets generation parameters on ctx after EVP_PKEY_keygen_init(). */
	int	(*keygen_params)(const struct kr_key_alg *, EVP_PKEY_CTX *);
	/* 1 if key, already known to be of alg's key type, is alg's. */
	int	(*matches)(const struct kr_key_alg *, const EVP_PKEY *);
	/* Configures a signing or verifying context; NULL: nothing to do. */
	int	(*sig_params)(const struct kr_key_alg *, EVP_PKEY_CTX *);
};

struct kr_key_alg {
	const char		*name;
	const char		*keytype;	/* OpenSSL key type name */
	int			 pkcs8_nid;	/* PKCS#8 algorithm OID */
	const char		*digest;	/* NULL: pure EdDSA */
	const char		*group;		/* EC curve, short name */
	int			 bits;		/* RSA modulus size */
	const struct key_funcs	*funcs;
};

/* --- EC ------------------------------------------------------------------ */

static int
ec_keygen_params(const struct kr_key_alg *alg, EVP_PKEY_CTX *ctx)
{
	return EVP_PKEY_CTX_set_group_name(ctx, alg->group);
}

/*
 * The curve must be alg's and named: keyrite's SPKIs and key ids are of
 * named-curve encodings, and explicit parameters are an attack surface
 * keyrite has no use for.
 */
static int
ec_matches(const struct kr_key_alg *alg, const EVP_PKEY *key)
{
	char name[64], enc[32];
	int nid;

	if (EVP_PKEY_get_group_name(key, name, sizeof(name), NULL) != 1 ||
	    EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_EC_ENCODING,
	    enc, sizeof(enc), NULL) != 1) {
		ERR_clear_error();
		return 0;
	}
	if (strcmp(enc, OSSL_PKEY_EC_ENCODING_GROUP) != 0)
		return 0;
	if ((nid = OBJ_txt2nid(name)) == NID_undef)
		nid = EC_curve_nist2nid(name);
	ERR_clear_error();
	return nid != NID_undef && nid == OBJ_txt2nid(alg->group);
}

static const struct key_funcs ec_funcs = {
	.keygen_params	= ec_keygen_params,
	.matches	= ec_matches,
	.sig_params	= NULL,
};

/* --- RSA ----------------------------------------------------------------- */

static int
rsa_keygen_params(const struct kr_key_alg *alg, EVP_PKEY_CTX *ctx)
{
	return EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, alg->bits);
}

static int
rsa_matches(const struct kr_key_alg *alg, const EVP_PKEY *key)
{
	return EVP_PKEY_get_bits(key) == alg->bits;
}

/* RSA-PSS, MGF1 with the signature digest, salt as long as the digest. */
static int
rsa_sig_params(const struct kr_key_alg *alg, EVP_PKEY_CTX *ctx)
{
	if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md_name(ctx, alg->digest, NULL) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_DIGEST) <= 0)
		return 0;
	return 1;
}

static const struct key_funcs rsa_funcs = {
	.keygen_params	= rsa_keygen_params,
	.matches	= rsa_matches,
	.sig_params	= rsa_sig_params,
};

/* --- EdDSA --------------------------------------------------------------- */

static int
eddsa_matches(const struct kr_key_alg *alg, const EVP_PKEY *key)
{
	(void)alg;
	(void)key;
	return 1;	/* the key type says it all */
}

static const struct key_funcs eddsa_funcs = {
	.keygen_params	= NULL,
	.matches	= eddsa_matches,
	.sig_params	= NULL,
};

/* --- the table ----------------------------------------------------------- */

static const struct kr_key_alg algs[] = {
	{ "ecdsa-p256", "EC", NID_X9_62_id_ecPublicKey, "SHA256",
	    "prime256v1", 0, &ec_funcs },
	{ "ecdsa-p384", "EC", NID_X9_62_id_ecPublicKey, "SHA384",
	    "secp384r1", 0, &ec_funcs },
	{ "ecdsa-p521", "EC", NID_X9_62_id_ecPublicKey, "SHA512",
	    "secp521r1", 0, &ec_funcs },
	{ "rsa-2048", "RSA", NID_rsaEncryption, "SHA256", NULL, 2048,
	    &rsa_funcs },
	{ "rsa-3072", "RSA", NID_rsaEncryption, "SHA256", NULL, 3072,
	    &rsa_funcs },
	{ "rsa-4096", "RSA", NID_rsaEncryption, "SHA256", NULL, 4096,
	    &rsa_funcs },
	{ "ed25519", "ED25519", NID_ED25519, NULL, NULL, 0, &eddsa_funcs },
	{ "ed448", "ED448", NID_ED448, NULL, NULL, 0, &eddsa_funcs },
};
#define NALGS	(sizeof(algs) / sizeof(algs[0]))

const struct kr_key_alg *
kr_key_alg_find(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < NALGS; i++)
		if (strcmp(algs[i].name, name) == 0)
			return &algs[i];
	return NULL;
}

const struct kr_key_alg *
kr_key_alg_at(size_t i)
{
	return i < NALGS ? &algs[i] : NULL;
}

const char *
kr_key_alg_name(const struct kr_key_alg *alg)
{
	return alg->name;
}

const char *
kr_key_alg_digest(const struct kr_key_alg *alg)
{
	return alg->digest;
}

const struct kr_key_alg *
kr_key_alg_of(const EVP_PKEY *key)
{
	size_t i;

	if (key == NULL)
		return NULL;
	for (i = 0; i < NALGS; i++)
		if (EVP_PKEY_is_a(key, algs[i].keytype) &&
		    algs[i].funcs->matches(&algs[i], key))
			return &algs[i];
	return NULL;
}

/* The family of a PKCS#8 algorithm OID, for the decoder; NULL if none. */
static const struct kr_key_alg *
alg_of_pkcs8_nid(int nid)
{
	size_t i;

	for (i = 0; i < NALGS; i++)
		if (algs[i].pkcs8_nid == nid)
			return &algs[i];
	return NULL;
}

/*
 * OpenSSL 3 takes EVP_PKEY * for operations that only read the key (it
 * caches provider-side copies inside the object, under its own lock).
 * keyrite's API keeps const; it is dropped here, and only here.
 */
static EVP_PKEY *
pkey_rw(const EVP_PKEY *key)
{
	union {
		const EVP_PKEY	*ro;
		EVP_PKEY	*rw;
	} u = { .ro = key };

	return u.rw;
}

/* --- generation ---------------------------------------------------------- */

int
kr_key_generate(const struct kr_key_alg *alg, EVP_PKEY **keyp)
{
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;
	char what[96];
	int r = KR_ERR_INTERNAL;

	*keyp = NULL;
	if (alg == NULL)
		return kr_err_set(KR_ERR_KEY_ALGORITHM, "generating a key: "
		    "unknown algorithm; use one of ecdsa-p256, ecdsa-p384, "
		    "ecdsa-p521, rsa-2048, rsa-3072, rsa-4096, ed25519, "
		    "ed448");
	snprintf(what, sizeof(what), "generating an %s key", alg->name);
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, alg->keytype,
	    NULL)) == NULL ||
	    EVP_PKEY_keygen_init(ctx) <= 0 ||
	    (alg->funcs->keygen_params != NULL &&
	    alg->funcs->keygen_params(alg, ctx) <= 0) ||
	    EVP_PKEY_generate(ctx, &key) <= 0) {
		r = kr_err_libcrypto(KR_ERR_KEY_GENERATE, what);
		goto out;
	}
	if (kr_key_alg_of(key) != alg) {
		r = kr_err_set(KR_ERR_KEY_GENERATE, "%s: OpenSSL returned a "
		    "key of another type or size", what);
		goto out;
	}
	*keyp = key;
	key = NULL;
	r = 0;
 out:
	EVP_PKEY_free(key);
	EVP_PKEY_CTX_free(ctx);
	return r;
}

/* --- PKCS#8 -------------------------------------------------------------- */

/*
 * The encoder writes into a BIO_s_secmem(), whose buffer is in OpenSSL's
 * secure heap and wiped when freed, and the bytes are copied from there
 * into kr_secmem memory.  This avoids EVP_PKEY2PKCS8(), which encodes into
 * an ordinary buffer, frees it unwiped and decodes it again.
 *
 * Residual exposure, measured with OpenSSL 3.0 (a CRYPTO_set_mem_functions
 * hook scanning every freed block for private-key bytes): inside the
 * provider's encoder, ASN1_item_i2d_bio() encodes the whole PrivateKeyInfo
 * into an ordinary heap buffer and frees it without wiping (one copy, all
 * algorithms); for EC keys i2d_ECPrivateKey() also frees an unwiped copy of
 * the private scalar.  Closing these needs a wiping free installed with
 * CRYPTO_set_mem_functions() before OpenSSL's first allocation, which is a
 * process-wide decision for main(), not for this file.
 */
int
kr_key_to_pkcs8(const EVP_PKEY *key, uint8_t **derp, size_t *lenp)
{
	OSSL_ENCODER_CTX *ectx = NULL;
	BIO *bio = NULL;
	BUF_MEM *mem = NULL;
	uint8_t *der = NULL;
	size_t len = 0;
	int r = KR_ERR_INTERNAL;

	*derp = NULL;
	*lenp = 0;
	if ((ectx = OSSL_ENCODER_CTX_new_for_pkey(key, EVP_PKEY_KEYPAIR,
	    "DER", "PrivateKeyInfo", NULL)) == NULL ||
	    OSSL_ENCODER_CTX_get_num_encoders(ectx) == 0) {
		r = kr_err_libcrypto(KR_ERR_UNSUPPORTED, "encoding a private "
		    "key as PKCS#8: OpenSSL has no encoder for this key");
		goto out;
	}
	if ((bio = BIO_new(BIO_s_secmem())) == NULL ||
	    !OSSL_ENCODER_to_bio(ectx, bio) ||
	    BIO_get_mem_ptr(bio, &mem) <= 0 || mem == NULL ||
	    mem->length == 0) {
		r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "encoding a private "
		    "key as PKCS#8 (is it a private key?)");
		goto out;
	}
	len = mem->length;
	if ((der = kr_secmem_alloc(len)) == NULL) {
		r = KR_ERR_SECMEM_MLOCK;	/* detail set by secmem */
		goto out;
	}
	memcpy(der, mem->data, len);
	*derp = der;
	*lenp = len;
	der = NULL;
	r = 0;
 out:
	kr_secmem_free(der, len);
	BIO_free(bio);			/* wipes the secure-heap buffer */
	OSSL_ENCODER_CTX_free(ectx);
	return r;
}

/*
 * Reads the algorithm OID of a PrivateKeyInfo without touching the private
 * key: SEQUENCE { INTEGER version, AlgorithmIdentifier, OCTET STRING ... }.
 * Only the (public) AlgorithmIdentifier is copied.  Returns 0 or
 * KR_ERR_KEY_DECODE (no detail set; OpenSSL's queue may say more).
 */
static int
pkcs8_alg_nid(const uint8_t *der, size_t len, int *nidp)
{
	const unsigned char *p = der, *end = der + len;
	const ASN1_OBJECT *obj = NULL;
	X509_ALGOR *algor = NULL;
	long plen;
	int tag, xclass, ret;

	*nidp = NID_undef;
	ret = ASN1_get_object(&p, &plen, &tag, &xclass, (long)len);
	if ((ret & 0x80) || ret != V_ASN1_CONSTRUCTED ||
	    tag != V_ASN1_SEQUENCE || xclass != V_ASN1_UNIVERSAL)
		return KR_ERR_KEY_DECODE;
	ret = ASN1_get_object(&p, &plen, &tag, &xclass, end - p);
	if ((ret & 0x80) || ret != 0 || tag != V_ASN1_INTEGER ||
	    xclass != V_ASN1_UNIVERSAL)
		return KR_ERR_KEY_DECODE;
	p += plen;
	if ((algor = d2i_X509_ALGOR(NULL, &p, end - p)) == NULL)
		return KR_ERR_KEY_DECODE;
	X509_ALGOR_get0(&obj, NULL, NULL, algor);
	*nidp = OBJ_obj2nid(obj);
	X509_ALGOR_free(algor);
	return 0;
}

/*
 * Decodes with an OSSL_DECODER restricted to the key type named by the
 * AlgorithmIdentifier, reading straight from the caller's buffer (a
 * read-only memory BIO, no copy made here).  Without the key type the
 * decoder would try every key type, each reading the DER again.
 *
 * Residual exposure, measured with OpenSSL 3.0 as for encoding: the
 * decoder chain reads the DER into ordinary heap buffers once per decoder
 * it tries (two to four, depending on the key type) and frees them without
 * wiping; for EC and EdDSA keys the private key's OCTET STRING is also
 * freed unwiped.  The decoded numbers themselves go to the secure heap.
 * EVP_PKCS82PKEY() and d2i_AutoPrivateKey() leave two to five times as
 * many copies.
 */
int
kr_key_from_pkcs8(const uint8_t *der, size_t len, EVP_PKEY **keyp)
{
	OSSL_DECODER_CTX *dctx = NULL;
	const struct kr_key_alg *family;
	const unsigned char *p = der;
	EVP_PKEY *key = NULL;
	size_t left = len;
	int nid, r = KR_ERR_INTERNAL;

	*keyp = NULL;
	if (der == NULL || len == 0 || len > INT_MAX)
		return kr_err_set(KR_ERR_KEY_DECODE, "private key: empty or "
		    "oversized PKCS#8 (%zu bytes)", len);
	if (pkcs8_alg_nid(der, len, &nid) != 0) {
		r = kr_err_libcrypto(KR_ERR_KEY_DECODE, "private key: not a "
		    "PKCS#8 PrivateKeyInfo");
		goto out;
	}
	if ((family = alg_of_pkcs8_nid(nid)) == NULL) {
		r = kr_err_set(KR_ERR_KEY_ALGORITHM, "private key: PKCS#8 "
		    "algorithm %s is not one keyrite manages",
		    nid == NID_undef ? "(unknown OID)" : OBJ_nid2sn(nid));
		goto out;
	}
	if ((dctx = OSSL_DECODER_CTX_new_for_pkey(&key, "DER",
	    "PrivateKeyInfo", family->keytype, EVP_PKEY_KEYPAIR, NULL,
	    NULL)) == NULL) {
		r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "private key: setting "
		    "up the PKCS#8 decoder");
		goto out;
	}
	if (!OSSL_DECODER_from_data(dctx, &p, &left) || key == NULL) {
		r = kr_err_libcrypto(KR_ERR_KEY_DECODE, "private key: "
		    "malformed PKCS#8");
		goto out;
	}
	if (left != 0) {
		r = kr_err_set(KR_ERR_KEY_DECODE, "private key: %zu bytes "
		    "after the PKCS#8 structure", left);
		goto out;
	}
	if (kr_key_alg_of(key) == NULL) {
		r = kr_err_set(KR_ERR_KEY_ALGORITHM, "private key: a %s key "
		    "of a size or curve keyrite does not manage",
		    family->keytype);
		goto out;
	}
	*keyp = key;
	key = NULL;
	r = 0;
 out:
	EVP_PKEY_free(key);
	OSSL_DECODER_CTX_free(dctx);
	return r;
}

/* --- SubjectPublicKeyInfo and key ids ------------------------------------ */

int
kr_key_to_spki(const EVP_PKEY *key, uint8_t **derp, size_t *lenp)
{
	uint8_t *der = NULL, *p;
	int len, r = KR_ERR_INTERNAL;

	*derp = NULL;
	*lenp = 0;
	if ((len = i2d_PUBKEY(key, NULL)) <= 0) {
		r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "encoding a public key "
		    "as SubjectPublicKeyInfo");
		goto out;
	}
	if ((der = malloc(len)) == NULL) {
		r = kr_err_set(KR_ERR_NOMEM, "encoding a public key");
		goto out;
	}
	p = der;
	if (i2d_PUBKEY(key, &p) != len) {
		r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "encoding a public key "
		    "as SubjectPublicKeyInfo");
		goto out;
	}
	*derp = der;
	*lenp = (size_t)len;
	der = NULL;
	r = 0;
 out:
	free(der);
	return r;
}

int
kr_key_from_spki(const uint8_t *der, size_t len, EVP_PKEY **keyp)
{
	const unsigned char *p = der;
	EVP_PKEY *key = NULL;
	int r = KR_ERR_INTERNAL;

	*keyp = NULL;
	if (der == NULL || len == 0 || len > LONG_MAX)
		return kr_err_set(KR_ERR_KEY_DECODE, "public key: empty or "
		    "oversized SubjectPublicKeyInfo (%zu bytes)", len);
	if ((key = d2i_PUBKEY(NULL, &p, (long)len)) == NULL) {
		r = kr_err_libcrypto(KR_ERR_KEY_DECODE, "public key: "
		    "malformed SubjectPublicKeyInfo");
		goto out;
	}
	if (p != der + len) {
		r = kr_err_set(KR_ERR_KEY_DECODE, "public key: %zu bytes "
		    "after the SubjectPublicKeyInfo", (size_t)(der + len - p));
		goto out;
	}
	*keyp = key;
	key = NULL;
	r = 0;
 out:
	EVP_PKEY_free(key);
	return r;
}

/* SHA-256 of an encoded SPKI. */
static int
spki_id(const uint8_t *spki, size_t len, uint8_t id[KR_KEY_ID_BYTES])
{
	unsigned int n = 0;

	if (EVP_Digest(spki, len, id, &n, EVP_sha256(), NULL) != 1 ||
	    n != KR_KEY_ID_BYTES)
		return kr_err_libcrypto(KR_ERR_LIBCRYPTO, "SHA-256 of a public "
		    "key");
	return 0;
}

int
kr_key_id(const EVP_PKEY *key, uint8_t id[KR_KEY_ID_BYTES])
{
	uint8_t *spki = NULL, tmp[KR_KEY_ID_BYTES];
	size_t len = 0;
	int r = KR_ERR_INTERNAL;

	if ((r = kr_key_to_spki(key, &spki, &len)) != 0)
		goto out;
	if ((r = spki_id(spki, len, tmp)) != 0)
		goto out;
	memcpy(id, tmp, sizeof(tmp));
	r = 0;
 out:
	free(spki);
	return r;
}

/* --- signatures ---------------------------------------------------------- */

/* A digest-sign or digest-verify context for key under alg's scheme. */
static int
sig_ctx(const struct kr_key_alg *alg, const EVP_PKEY *key, int sign,
    EVP_MD_CTX **mctxp)
{
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	int ok, r = KR_ERR_INTERNAL;

	*mctxp = NULL;
	if ((mctx = EVP_MD_CTX_new()) == NULL) {
		r = kr_err_libcrypto(KR_ERR_NOMEM, "signature context");
		goto out;
	}
	if (sign)
		ok = EVP_DigestSignInit_ex(mctx, &pctx, alg->digest, NULL,
		    NULL, pkey_rw(key), NULL);
	else
		ok = EVP_DigestVerifyInit_ex(mctx, &pctx, alg->digest, NULL,
		    NULL, pkey_rw(key), NULL);
	if (ok != 1 || (alg->funcs->sig_params != NULL &&
	    alg->funcs->sig_params(alg, pctx) != 1)) {
		r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, sign ?
		    "setting up a signature" : "setting up a verification");
		goto out;
	}
	*mctxp = mctx;
	mctx = NULL;
	r = 0;
 out:
	EVP_MD_CTX_free(mctx);
	return r;
}

int
kr_key_sign(const EVP_PKEY *key, const uint8_t *msg, size_t msglen,
    uint8_t **sigp, size_t *siglenp)
{
	const struct kr_key_alg *alg;
	EVP_MD_CTX *mctx = NULL;
	uint8_t *sig = NULL;
	size_t siglen = 0;
	int r = KR_ERR_INTERNAL;

	*sigp = NULL;
	*siglenp = 0;
	if ((alg = kr_key_alg_of(key)) == NULL)
		return kr_err_set(KR_ERR_KEY_ALGORITHM, "signing: the key's "
		    "algorithm is not one keyrite manages");
	if ((r = sig_ctx(alg, key, 1, &mctx)) != 0)
		goto out;
	if (EVP_DigestSign(mctx, NULL, &siglen, msg, msglen) != 1 ||
	    siglen == 0) {
		r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "signing: signature "
		    "size");
		goto out;
	}
	if ((sig = malloc(siglen)) == NULL) {
		r = kr_err_set(KR_ERR_NOMEM, "signing");
		goto out;
	}
	if (EVP_DigestSign(mctx, sig, &siglen, msg, msglen) != 1) {
		r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "signing (is it a "
		    "private key?)");
		goto out;
	}
	*sigp = sig;
	*siglenp = siglen;
	sig = NULL;
	r = 0;
 out:
	free(sig);
	EVP_MD_CTX_free(mctx);
	return r;
}

int
kr_key_verify(const EVP_PKEY *key, const uint8_t *msg, size_t msglen,
    const uint8_t *sig, size_t siglen)
{
	const struct kr_key_alg *alg;
	EVP_MD_CTX *mctx = NULL;
	int r = KR_ERR_INTERNAL;

	if ((alg = kr_key_alg_of(key)) == NULL)
		return kr_err_set(KR_ERR_KEY_ALGORITHM, "verifying: the key's "
		    "algorithm is not one keyrite manages");
	if ((r = sig_ctx(alg, key, 0, &mctx)) != 0)
		goto out;
	/* 0 is a bad signature, < 0 one too malformed to check: both fail. */
	if (EVP_DigestVerify(mctx, sig, siglen, msg, msglen) != 1) {
		r = kr_err_libcrypto(KR_ERR_KEY_MISMATCH, "the signature does "
		    "not verify under this public key");
		goto out;
	}
	r = 0;
 out:
	EVP_MD_CTX_free(mctx);
	return r;
}

/* --- proof that a private key is the one a public key names -------------- */

/* The first KR_KEY_ID_SHORT_BYTES of SHA-256(spki) in hex, for messages. */
static void
short_id(const uint8_t *spki, size_t len, char *out, size_t outlen)
{
	uint8_t id[KR_KEY_ID_BYTES];

	if (spki_id(spki, len, id) != 0)
		snprintf(out, outlen, "?");
	else
		kr_hex_encode(id, KR_KEY_ID_SHORT_BYTES, out, outlen);
}

int
kr_key_prove_match(const EVP_PKEY *priv, const uint8_t *spki,
    size_t spkilen)
{
	uint8_t challenge[sizeof(MATCH_LABEL) - 1 + MATCH_NONCE_BYTES];
	uint8_t *mine = NULL, *sig = NULL;
	size_t minelen = 0, siglen = 0;
	char want[2 * KR_KEY_ID_SHORT_BYTES + 1];
	char got[2 * KR_KEY_ID_SHORT_BYTES + 1];
	EVP_PKEY *pub = NULL;
	int r = KR_ERR_INTERNAL;

	if ((r = kr_key_to_spki(priv, &mine, &minelen)) != 0)
		goto out;
	if (spki == NULL || minelen != spkilen ||
	    CRYPTO_memcmp(mine, spki, spkilen) != 0) {
		short_id(mine, minelen, got, sizeof(got));
		if (spki != NULL && spkilen != 0)
			short_id(spki, spkilen, want, sizeof(want));
		else
			snprintf(want, sizeof(want), "(none)");
		r = kr_err_set(KR_ERR_KEY_MISMATCH, "public-key check failed: "
		    "the private key's public key (id %s) is not the recorded "
		    "one (id %s); this is another key", got, want);
		goto out;
	}
	if ((r = kr_key_from_spki(spki, spkilen, &pub)) != 0)
		goto out;
	memcpy(challenge, MATCH_LABEL, sizeof(MATCH_LABEL) - 1);
	if (RAND_bytes(challenge + sizeof(MATCH_LABEL) - 1,
	    MATCH_NONCE_BYTES) != 1) {
		r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "key-match challenge");
		goto out;
	}
	if ((r = kr_key_sign(priv, challenge, sizeof(challenge), &sig,
	    &siglen)) != 0)
		goto out;
	if (kr_key_verify(pub, challenge, sizeof(challenge), sig,
	    siglen) != 0) {
		r = kr_err_set(KR_ERR_KEY_MISMATCH, "signature check failed: "
		    "the private key's signature does not verify under the "
		    "recorded public key, although its public half matches; "
		    "the private key is damaged: do not use it");
		goto out;
	}
	r = 0;
 out:
	EVP_PKEY_free(pub);
	free(mine);
	free(sig);
	return r;
}
