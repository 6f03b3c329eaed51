/*
 * test_key.c: the managed key algorithms, table-driven over all seven:
 * generation (in OpenSSL's secure heap), identification, PKCS#8 and SPKI
 * round trips, key ids, signatures checked by an independently configured
 * verifier, and the key-match proof, including a private key whose public
 * half matches but whose private half does not.  Then the edges: unknown
 * names, keys keyrite does not manage, malformed encodings, public keys
 * where private ones are needed.
 *
 * Criterion runs every test in its own process, so nothing is cached
 * across tests: each algorithm's keys are generated once, by the one
 * parameterized test that covers that algorithm (rsa-4096 costs a second
 * or two per key).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "base/err.h"
#include "base/harden.h"
#include "base/secmem.h"
#include "crypto/key.h"

static const struct alg_case {
	const char	*name;
	const char	*keytype;	/* OpenSSL key type */
	const char	*digest;	/* signature digest; NULL: pure EdDSA */
	int		 pss;		/* RSA-PSS, salt = digest length */
	size_t		 other;		/* a cheap case of another algorithm */
} cases[] = {
	{ "ecdsa-p256", "EC", "SHA256", 0, 5 },
	{ "ecdsa-p384", "EC", "SHA384", 0, 5 },
	{ "ecdsa-p521", "EC", "SHA512", 0, 5 },
	{ "rsa-2048", "RSA", "SHA256", 1, 5 },
	{ "rsa-3072", "RSA", "SHA256", 1, 5 },
	{ "rsa-4096", "RSA", "SHA256", 1, 5 },
	{ "ed25519", "ED25519", NULL, 0, 0 },
	{ "ed448", "ED448", NULL, 0, 5 },
};
#define NCASES	(sizeof(cases) / sizeof(cases[0]))

static const uint8_t message[] = "keyrite test message: sign me";

static void
setup(void)
{
	cr_assert_eq(kr_harden_process(NULL), 0, "harden: %s",
	    kr_err_detail());
	cr_assert(CRYPTO_secure_malloc_initialized(),
	    "OpenSSL's secure heap should be on after kr_harden_process");
}

TestSuite(key, .init = setup, .timeout = 120);

/* --- helpers -------------------------------------------------------------- */

static EVP_PKEY *
generate(const char *name)
{
	EVP_PKEY *key = NULL;

	cr_assert_eq(kr_key_generate(kr_key_alg_find(name), &key), 0,
	    "%s: generate: %s", name, kr_err_detail());
	cr_assert_not_null(key, "%s: generate returned 0 but no key", name);
	return key;
}

static void
spki_of(const char *name, const EVP_PKEY *key, uint8_t **derp, size_t *lenp)
{
	cr_assert_eq(kr_key_to_spki(key, derp, lenp), 0, "%s: to_spki: %s",
	    name, kr_err_detail());
	cr_assert(*derp != NULL && *lenp > 0, "%s: to_spki gave nothing",
	    name);
}

static EVP_PKEY *
public_of(const char *name, const EVP_PKEY *key)
{
	uint8_t *spki;
	size_t len;
	EVP_PKEY *pub = NULL;

	spki_of(name, key, &spki, &len);
	cr_assert_eq(kr_key_from_spki(spki, len, &pub), 0,
	    "%s: from_spki: %s", name, kr_err_detail());
	free(spki);
	return pub;
}

static int
same_spki(const EVP_PKEY *a, const EVP_PKEY *b)
{
	uint8_t *da, *db;
	size_t la, lb;
	int same;

	spki_of("a", a, &da, &la);
	spki_of("b", b, &db, &lb);
	same = la == lb && memcmp(da, db, la) == 0;
	free(da);
	free(db);
	return same;
}

/*
 * A key with a's public half and b's private half, built with OpenSSL's
 * import and no consistency check: what a damaged or forged private key
 * looks like to kr_key_prove_match().
 */
static EVP_PKEY *
splice(const struct alg_case *c, EVP_PKEY *a, EVP_PKEY *b)
{
	OSSL_PARAM *pa = NULL, *pb = NULL, *merged;
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *k = NULL;

	cr_assert_eq(EVP_PKEY_todata(a, EVP_PKEY_PUBLIC_KEY, &pa), 1,
	    "%s: todata(public)", c->name);
	cr_assert_eq(EVP_PKEY_todata(b, EVP_PKEY_KEYPAIR, &pb), 1,
	    "%s: todata(keypair)", c->name);
	cr_assert_not_null(merged = OSSL_PARAM_merge(pb, pa), "%s: merge",
	    c->name);
	cr_assert_not_null(ctx = EVP_PKEY_CTX_new_from_name(NULL, c->keytype,
	    NULL), "%s: ctx", c->name);
	cr_assert_eq(EVP_PKEY_fromdata_init(ctx), 1, "%s: fromdata_init",
	    c->name);
	cr_assert_eq(EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_KEYPAIR, merged), 1,
	    "%s: fromdata", c->name);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(merged);
	OSSL_PARAM_free(pa);
	OSSL_PARAM_free(pb);
	return k;
}

/* Verifies with a context set up here from the table, not by key.c. */
static int
independent_verify(const struct alg_case *c, EVP_PKEY *pub,
    const uint8_t *sig, size_t siglen, int saltlen)
{
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int ok;

	cr_assert_not_null(mctx, "%s: md ctx", c->name);
	cr_assert_eq(EVP_DigestVerifyInit_ex(mctx, &pctx, c->digest, NULL,
	    NULL, pub, NULL), 1, "%s: independent verify init", c->name);
	if (c->pss) {
		cr_assert_eq(EVP_PKEY_CTX_set_rsa_padding(pctx,
		    RSA_PKCS1_PSS_PADDING), 1, "%s: pss", c->name);
		cr_assert_eq(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, saltlen),
		    1, "%s: saltlen", c->name);
	}
	ok = EVP_DigestVerify(mctx, sig, siglen, message, sizeof(message));
	EVP_MD_CTX_free(mctx);
	ERR_clear_error();
	return ok;
}

/* --- per algorithm -------------------------------------------------------- */

static void
check_identity(const struct alg_case *c, EVP_PKEY *a)
{
	const struct kr_key_alg *alg = kr_key_alg_find(c->name);
	EVP_PKEY *pub = public_of(c->name, a);

	cr_assert_not_null(alg, "%s: kr_key_alg_find", c->name);
	cr_assert_eq(kr_key_alg_of(a), alg, "%s: alg_of(private key)",
	    c->name);
	cr_assert_str_eq(kr_key_alg_name(kr_key_alg_of(a)), c->name,
	    "%s: alg_of does not round-trip the name", c->name);
	cr_assert_eq(kr_key_alg_of(pub), alg, "%s: alg_of(public key)",
	    c->name);
	cr_assert(EVP_PKEY_is_a(a, c->keytype), "%s: key type is not %s",
	    c->name, c->keytype);
	if (c->digest == NULL)
		cr_assert_null(kr_key_alg_digest(alg), "%s: digest should "
		    "be NULL", c->name);
	else
		cr_assert_str_eq(kr_key_alg_digest(alg), c->digest,
		    "%s: digest", c->name);
	EVP_PKEY_free(pub);
}

static void
check_pkcs8(const struct alg_case *c, EVP_PKEY *a)
{
	PKCS8_PRIV_KEY_INFO *p8;
	const unsigned char *cp;
	uint8_t *der = NULL, *bad, *ref = NULL;
	size_t len = 0, live = kr_secmem_live();
	EVP_PKEY *back = NULL, *other;
	int reflen;

	cr_assert_eq(kr_key_to_pkcs8(a, &der, &len), 0, "%s: to_pkcs8: %s",
	    c->name, kr_err_detail());
	cr_assert(der != NULL && len > 0, "%s: to_pkcs8 gave nothing",
	    c->name);
	cr_assert_eq(kr_secmem_live(), live + 1, "%s: the PKCS#8 DER is not "
	    "in kr_secmem memory", c->name);
	cr_assert_eq(kr_secmem_check(der), 0, "%s: secmem canary", c->name);

	/* The same bytes as OpenSSL's own PKCS#8 encoder gives. */
	cr_assert_not_null(p8 = EVP_PKEY2PKCS8(a), "%s: EVP_PKEY2PKCS8",
	    c->name);
	reflen = i2d_PKCS8_PRIV_KEY_INFO(p8, &ref);
	cr_assert(reflen > 0 && (size_t)reflen == len &&
	    memcmp(ref, der, len) == 0, "%s: PKCS#8 differs from "
	    "i2d_PKCS8_PRIV_KEY_INFO (%d vs %zu bytes)", c->name, reflen, len);
	OPENSSL_clear_free(ref, reflen);
	PKCS8_PRIV_KEY_INFO_free(p8);

	cr_assert_eq(kr_key_from_pkcs8(der, len, &back), 0,
	    "%s: from_pkcs8: %s", c->name, kr_err_detail());
	cr_assert_eq(kr_key_alg_of(back), kr_key_alg_find(c->name),
	    "%s: decoded key has another algorithm", c->name);
	cr_assert(same_spki(a, back), "%s: PKCS#8 round trip changed the "
	    "public key", c->name);
	cr_assert_eq(EVP_PKEY_eq(a, back), 1, "%s: EVP_PKEY_eq after round "
	    "trip", c->name);
	EVP_PKEY_free(back);

	/* OpenSSL's own decoder reads it too. */
	cp = der;
	cr_assert_not_null(other = d2i_AutoPrivateKey(NULL, &cp, (long)len),
	    "%s: d2i_AutoPrivateKey rejects our PKCS#8", c->name);
	cr_assert(same_spki(a, other), "%s: d2i_AutoPrivateKey gives another "
	    "key", c->name);
	EVP_PKEY_free(other);

	/* Truncated, or with a trailing byte: refused, output untouched. */
	back = NULL;
	cr_assert_eq(kr_key_from_pkcs8(der, len - 1, &back), KR_ERR_KEY_DECODE,
	    "%s: truncated PKCS#8 accepted", c->name);
	cr_assert_null(back, "%s: output set on failure", c->name);
	cr_assert_not_null(bad = kr_secmem_alloc(len + 1), "secmem");
	memcpy(bad, der, len);
	cr_assert_eq(kr_key_from_pkcs8(bad, len + 1, &back), KR_ERR_KEY_DECODE,
	    "%s: PKCS#8 with a trailing byte accepted", c->name);
	cr_assert_null(back, "%s: output set on failure", c->name);
	kr_secmem_free(bad, len + 1);

	kr_secmem_free(der, len);
	cr_assert_eq(kr_secmem_live(), live, "%s: secmem leak", c->name);
}

static void
check_id(const struct alg_case *c, EVP_PKEY *a)
{
	uint8_t id[KR_KEY_ID_BYTES], want[KR_KEY_ID_BYTES], *spki = NULL;
	unsigned int n = 0;
	int len;

	/* SHA-256 of the DER SPKI, both computed here without key.c. */
	cr_assert((len = i2d_PUBKEY(a, &spki)) > 0, "%s: i2d_PUBKEY",
	    c->name);
	cr_assert_eq(EVP_Digest(spki, len, want, &n, EVP_sha256(), NULL), 1,
	    "%s: sha256", c->name);
	OPENSSL_free(spki);
	cr_assert_eq(kr_key_id(a, id), 0, "%s: kr_key_id: %s", c->name,
	    kr_err_detail());
	cr_assert_arr_eq(id, want, sizeof(id), "%s: key id is not SHA-256 "
	    "of the SPKI", c->name);
}

static void
check_signatures(const struct alg_case *c, EVP_PKEY *a, EVP_PKEY *b)
{
	uint8_t *sig = NULL, *bsig = NULL, msg[sizeof(message)];
	size_t siglen = 0, bsiglen = 0, i;
	EVP_PKEY *pub = public_of(c->name, a);
	size_t at[4];

	cr_assert_eq(kr_key_sign(a, message, sizeof(message), &sig, &siglen),
	    0, "%s: sign: %s", c->name, kr_err_detail());
	cr_assert(sig != NULL && siglen > 0, "%s: empty signature", c->name);
	cr_assert_eq(kr_key_verify(pub, message, sizeof(message), sig,
	    siglen), 0, "%s: verify under the public key: %s", c->name,
	    kr_err_detail());
	cr_assert_eq(kr_key_verify(a, message, sizeof(message), sig, siglen),
	    0, "%s: verify under the private key: %s", c->name,
	    kr_err_detail());

	/* The scheme is what key.h says: checked by a verifier set up here. */
	cr_assert_eq(independent_verify(c, pub, sig, siglen,
	    c->pss ? 32 : 0), 1, "%s: an independent %s%s verifier rejects "
	    "the signature", c->name, c->digest ? c->digest : "pure EdDSA",
	    c->pss ? "/PSS salt 32" : "");
	if (c->pss)
		cr_assert_neq(independent_verify(c, pub, sig, siglen, 20), 1,
		    "%s: signature verifies with a 20-byte salt", c->name);

	/* Any flipped byte of the signature fails: first, middle, last. */
	at[0] = 0;
	at[1] = siglen / 2;
	at[2] = siglen - 1;
	at[3] = siglen / 3;
	for (i = 0; i < 4; i++) {
		sig[at[i]] ^= 0x01;
		cr_assert_eq(kr_key_verify(pub, message, sizeof(message), sig,
		    siglen), KR_ERR_KEY_MISMATCH, "%s: signature with byte "
		    "%zu flipped verifies", c->name, at[i]);
		sig[at[i]] ^= 0x01;
	}
	cr_assert_eq(kr_key_verify(pub, message, sizeof(message), sig,
	    siglen - 1), KR_ERR_KEY_MISMATCH, "%s: truncated signature "
	    "verifies", c->name);

	/* A flipped message byte fails. */
	for (i = 0; i < sizeof(msg); i += sizeof(msg) / 3) {
		memcpy(msg, message, sizeof(msg));
		msg[i] ^= 0x01;
		cr_assert_eq(kr_key_verify(pub, msg, sizeof(msg), sig, siglen),
		    KR_ERR_KEY_MISMATCH, "%s: message with byte %zu flipped "
		    "verifies", c->name, i);
	}

	/* Another key's signature fails. */
	cr_assert_eq(kr_key_sign(b, message, sizeof(message), &bsig,
	    &bsiglen), 0, "%s: sign with b: %s", c->name, kr_err_detail());
	cr_assert_eq(kr_key_verify(pub, message, sizeof(message), bsig,
	    bsiglen), KR_ERR_KEY_MISMATCH, "%s: another key's signature "
	    "verifies", c->name);

	free(sig);
	free(bsig);
	EVP_PKEY_free(pub);
}

static void
check_prove_match(const struct alg_case *c, EVP_PKEY *a, EVP_PKEY *b,
    EVP_PKEY *other)
{
	uint8_t *sa, *sb, *so;
	size_t la, lb, lo;
	EVP_PKEY *spliced;

	spki_of(c->name, a, &sa, &la);
	spki_of(c->name, b, &sb, &lb);
	spki_of(c->name, other, &so, &lo);

	cr_assert_eq(kr_key_prove_match(a, sa, la), 0, "%s: right pair: %s",
	    c->name, kr_err_detail());
	cr_assert_eq(kr_key_prove_match(b, sb, lb), 0, "%s: right pair b: "
	    "%s", c->name, kr_err_detail());

	cr_assert_eq(kr_key_prove_match(a, sb, lb), KR_ERR_KEY_MISMATCH,
	    "%s: another key of the same algorithm matches", c->name);
	cr_assert(strstr(kr_err_detail(), "public-key check") != NULL,
	    "%s: detail does not name the failed check: %s", c->name,
	    kr_err_detail());
	cr_assert_eq(kr_key_prove_match(a, so, lo), KR_ERR_KEY_MISMATCH,
	    "%s: a key of %s matches", c->name, cases[c->other].name);
	cr_assert_eq(kr_key_prove_match(other, sa, la), KR_ERR_KEY_MISMATCH,
	    "%s: a %s key matches it", c->name, cases[c->other].name);
	cr_assert_eq(kr_key_prove_match(a, sa, la - 1), KR_ERR_KEY_MISMATCH,
	    "%s: a truncated SPKI matches", c->name);

	/* Right public half, wrong private half: only the signature shows. */
	spliced = splice(c, a, b);
	cr_assert(same_spki(a, spliced), "%s: the spliced key should carry "
	    "a's public key", c->name);
	cr_assert_eq(kr_key_prove_match(spliced, sa, la), KR_ERR_KEY_MISMATCH,
	    "%s: a private key with the wrong private half matches",
	    c->name);
	cr_assert(strstr(kr_err_detail(), "signature check") != NULL,
	    "%s: detail does not name the failed check: %s", c->name,
	    kr_err_detail());
	EVP_PKEY_free(spliced);

	free(sa);
	free(sb);
	free(so);
}

ParameterizedTestParameters(key, every_algorithm)
{
	static size_t idx[NCASES];
	size_t i;

	for (i = 0; i < NCASES; i++)
		idx[i] = i;
	return cr_make_param_array(size_t, idx, NCASES);
}

ParameterizedTest(size_t *i, key, every_algorithm)
{
	const struct alg_case *c = &cases[*i];
	size_t used = CRYPTO_secure_used();
	EVP_PKEY *a, *b, *other;

	a = generate(c->name);
	cr_assert_gt(CRYPTO_secure_used(), used, "%s: the private key is not "
	    "in OpenSSL's secure heap", c->name);
	b = generate(c->name);
	other = generate(cases[c->other].name);
	cr_assert(!same_spki(a, b), "%s: two generated keys are equal",
	    c->name);

	check_identity(c, a);
	check_pkcs8(c, a);
	check_id(c, a);
	check_signatures(c, a, b);
	check_prove_match(c, a, b, other);

	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	EVP_PKEY_free(other);
	cr_assert_eq(kr_secmem_live(), 0, "%s: secret memory still live",
	    c->name);
}

/* --- the table and names -------------------------------------------------- */

Test(key, table_lists_the_eight_algorithms)
{
	const struct kr_key_alg *alg;
	size_t i;

	for (i = 0; i < NCASES; i++) {
		cr_assert_not_null(alg = kr_key_alg_at(i), "alg_at(%zu)", i);
		cr_assert_str_eq(kr_key_alg_name(alg), cases[i].name,
		    "alg_at(%zu) is not %s", i, cases[i].name);
		cr_assert_eq(kr_key_alg_find(cases[i].name), alg,
		    "find(%s) differs from alg_at(%zu)", cases[i].name, i);
	}
	cr_assert_null(kr_key_alg_at(NCASES), "alg_at past the end");
	cr_assert_null(kr_key_alg_at((size_t)-1), "alg_at(SIZE_MAX)");
}

Test(key, unknown_names)
{
	static const char *const names[] = {
		"", "rsa", "rsa-1024", "ECDSA-P256", "ecdsa-p256 ",
		"ed25519\n", "x25519", "dsa", "ecdsa-secp256k1",
	};
	EVP_PKEY *key = NULL;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		cr_assert_null(kr_key_alg_find(names[i]), "find(\"%s\") "
		    "should be NULL", names[i]);
	cr_assert_null(kr_key_alg_find(NULL), "find(NULL)");
	cr_assert_eq(kr_key_generate(kr_key_alg_find("rsa-1024"), &key),
	    KR_ERR_KEY_ALGORITHM, "generate(unknown) should fail");
	cr_assert_null(key, "generate set its output on failure");
}

/* --- keys keyrite does not manage ----------------------------------------- */

static EVP_PKEY *
foreign_key(int which)
{
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *k = NULL;
	OSSL_PARAM params[3];
	char group[] = "prime256v1", enc[] = "explicit";

	switch (which) {
	case 0:
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	case 1:
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1");
	case 2:
		return EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	case 3:
		/* P-256 itself, but with explicit curve parameters. */
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
		params[0] = OSSL_PARAM_construct_utf8_string(
		    OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
		params[1] = OSSL_PARAM_construct_utf8_string(
		    OSSL_PKEY_PARAM_EC_ENCODING, enc, 0);
		params[2] = OSSL_PARAM_construct_end();
		if (ctx == NULL || EVP_PKEY_keygen_init(ctx) != 1 ||
		    EVP_PKEY_CTX_set_params(ctx, params) != 1 ||
		    EVP_PKEY_generate(ctx, &k) != 1)
			k = NULL;
		EVP_PKEY_CTX_free(ctx);
		return k;
	}
	return NULL;
}

Test(key, foreign_keys_are_refused)
{
	static const char *const what[] = { "RSA-1024", "EC secp256k1",
	    "X25519", "P-256 with explicit parameters" };
	uint8_t *der, *sig;
	size_t len, siglen, i;
	EVP_PKEY *k, *back;

	cr_assert_null(kr_key_alg_of(NULL), "alg_of(NULL)");
	for (i = 0; i < sizeof(what) / sizeof(what[0]); i++) {
		cr_assert_not_null(k = foreign_key((int)i), "making a %s key",
		    what[i]);
		cr_assert_null(kr_key_alg_of(k), "alg_of(%s) should be NULL",
		    what[i]);
		sig = NULL;
		cr_assert_eq(kr_key_sign(k, message, sizeof(message), &sig,
		    &siglen), KR_ERR_KEY_ALGORITHM, "signing with %s",
		    what[i]);
		cr_assert_null(sig, "sign set its output on failure");

		/* Its PKCS#8 encodes, but keyrite will not decode it. */
		cr_assert_eq(kr_key_to_pkcs8(k, &der, &len), 0,
		    "to_pkcs8(%s): %s", what[i], kr_err_detail());
		back = NULL;
		cr_assert_eq(kr_key_from_pkcs8(der, len, &back),
		    KR_ERR_KEY_ALGORITHM, "from_pkcs8(%s) should refuse: %s",
		    what[i], kr_err_detail());
		cr_assert_null(back, "from_pkcs8 set its output on failure");
		kr_secmem_free(der, len);
		EVP_PKEY_free(k);
	}
	cr_assert_eq(kr_secmem_live(), 0, "secret memory still live");
}

/* --- malformed input and wrong key kinds ---------------------------------- */

Test(key, malformed_encodings)
{
	static const uint8_t junk[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
	uint8_t *spki, *longer;
	size_t len;
	EVP_PKEY *k = generate("ed25519"), *out = NULL;

	cr_assert_eq(kr_key_from_pkcs8(junk, sizeof(junk), &out),
	    KR_ERR_KEY_DECODE, "junk PKCS#8 accepted");
	cr_assert_eq(kr_key_from_pkcs8(junk, 0, &out), KR_ERR_KEY_DECODE,
	    "empty PKCS#8 accepted");
	cr_assert_eq(kr_key_from_pkcs8(NULL, 0, &out), KR_ERR_KEY_DECODE,
	    "NULL PKCS#8 accepted");
	cr_assert_eq(kr_key_from_spki(junk, sizeof(junk), &out),
	    KR_ERR_KEY_DECODE, "junk SPKI accepted");
	cr_assert_eq(kr_key_from_spki(NULL, 0, &out), KR_ERR_KEY_DECODE,
	    "NULL SPKI accepted");
	cr_assert_null(out, "output set on failure");

	/* An SPKI is not a PKCS#8, and an SPKI with a trailing byte is bad. */
	spki_of("ed25519", k, &spki, &len);
	cr_assert_eq(kr_key_from_pkcs8(spki, len, &out), KR_ERR_KEY_DECODE,
	    "an SPKI decoded as PKCS#8");
	cr_assert_not_null(longer = calloc(1, len + 1), "calloc");
	memcpy(longer, spki, len);
	cr_assert_eq(kr_key_from_spki(longer, len + 1, &out),
	    KR_ERR_KEY_DECODE, "SPKI with a trailing byte accepted");
	cr_assert_null(out, "output set on failure");
	free(longer);
	free(spki);
	EVP_PKEY_free(k);
}

Test(key, public_keys_cannot_act_as_private)
{
	EVP_PKEY *k = generate("ecdsa-p256"), *pub = public_of("p256", k);
	static uint8_t dummy[1];
	uint8_t *der = dummy, *sig = dummy, *spki;
	size_t len = 7, siglen = 7, spkilen;

	cr_assert_neq(kr_key_to_pkcs8(pub, &der, &len), 0,
	    "a public key encoded as PKCS#8");
	cr_assert(der == NULL && len == 0, "to_pkcs8 outputs not cleared");
	cr_assert_neq(kr_key_sign(pub, message, sizeof(message), &sig,
	    &siglen), 0, "a public key signed");
	cr_assert(sig == NULL && siglen == 0, "sign outputs not cleared");
	spki_of("p256", k, &spki, &spkilen);
	cr_assert_neq(kr_key_prove_match(pub, spki, spkilen), 0,
	    "a public key proved possession of the private key");
	cr_assert_eq(kr_key_prove_match(k, NULL, 0), KR_ERR_KEY_MISMATCH,
	    "a NULL SPKI matched");
	free(spki);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(k);
	cr_assert_eq(kr_secmem_live(), 0, "secret memory still live");
}
