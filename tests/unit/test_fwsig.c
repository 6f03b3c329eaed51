/*
 * test_fwsig.c: firmware signatures over a digest, per algorithm: the
 * scheme table (digest and length), raw signatures that verify and that
 * fail for another digest, detached CMS that kr_cms_check_digest()
 * accepts only for its own digest and certificate, the Authenticode
 * SignedData (refused for EdDSA keys), and what firmware-key-create
 * publishes: the pubhash text and the PKCS#10 request.  The outside
 * verifiers (openssl cms, dgst, pkeyutl, certtool, sbverify) are run on
 * the same outputs by tests/integration/t-firmware.sh and
 * t-secure-boot.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "base/err.h"
#include "base/harden.h"
#include "base/hex.h"
#include "crypto/authenticode.h"
#include "crypto/cms.h"
#include "crypto/fwkey.h"
#include "crypto/fwsig.h"
#include "crypto/key.h"
#include "crypto/x509.h"

static const struct {
	const char	*alg, *digest, *raw;
	size_t		 dlen;
} cases[] = {
	{ "ecdsa-p256", "SHA256", "ECDSA", 32 },
	{ "ecdsa-p384", "SHA384", "ECDSA", 48 },
	{ "ecdsa-p521", "SHA512", "ECDSA", 64 },
	{ "rsa-2048", "SHA256", "RSA-PSS", 32 },
	{ "ed25519", "SHA512", "Ed25519", 64 },
	{ "ed448", "SHAKE256", "Ed448", 64 },
};
#define NCASES	(sizeof(cases) / sizeof(cases[0]))

static int
contains(const uint8_t *p, size_t len, const char *pat, size_t plen)
{
	size_t i;

	for (i = 0; i + plen <= len; i++)
		if (memcmp(p + i, pat, plen) == 0)
			return 1;
	return 0;
}

static void
setup(void)
{
	cr_assert_eq(kr_harden_process(NULL), 0, "%s", kr_err_detail());
}

static void
key_and_cert(const char *alg, EVP_PKEY **kp, X509 **cp)
{
	struct kr_x509_request req;

	memset(&req, 0, sizeof(req));
	req.subject = "CN=Firmware Test";
	req.validity_days = 30;
	req.path_len = -1;
	req.profile = KR_X509_PROFILE_CODE_SIGNING;
	cr_assert_eq(kr_key_generate(kr_key_alg_find(alg), kp), 0, "%s: %s",
	    alg, kr_err_detail());
	cr_assert_eq(kr_x509_self_sign(*kp, &req, cp), 0, "%s: %s", alg,
	    kr_err_detail());
}

static void
digest_of(const char *name, const void *msg, size_t len, uint8_t *out,
    size_t dlen)
{
	EVP_MD_CTX *md = NULL;

	cr_assert_eq(kr_fwsig_digest_new(name, &md), 0, "%s", kr_err_detail());
	cr_assert_eq(EVP_DigestUpdate(md, msg, len), 1);
	cr_assert_eq(kr_fwsig_digest_final(md, out, dlen), 0);
	EVP_MD_CTX_free(md);
}

Test(fwsig, every_algorithm, .init = setup)
{
	static const char image[] = "a firmware image";
	uint8_t d[64], *sig, *cms, *none;
	size_t siglen, cmslen, nonelen, i;
	EVP_PKEY *k;
	X509 *c, *other_cert;
	EVP_PKEY *other;

	key_and_cert("ecdsa-p256", &other, &other_cert);
	for (i = 0; i < NCASES; i++) {
		const struct kr_fwsig_scheme *s;

		key_and_cert(cases[i].alg, &k, &c);
		cr_assert_not_null(s = kr_fwsig_scheme_of(k), "%s",
		    cases[i].alg);
		cr_assert_str_eq(s->digest, cases[i].digest);
		cr_assert_str_eq(s->raw, cases[i].raw);
		cr_assert_eq(s->dlen, cases[i].dlen);
		digest_of(s->digest, image, sizeof(image), d, s->dlen);

		cr_assert_eq(kr_fwsig_sign(k, d, s->dlen, &sig, &siglen), 0,
		    "%s: %s", cases[i].alg, kr_err_detail());
		cr_assert_eq(kr_fwsig_verify(k, d, s->dlen, sig, siglen), 0);
		d[0] ^= 1;
		cr_assert_eq(kr_fwsig_verify(k, d, s->dlen, sig, siglen),
		    KR_ERR_KEY_MISMATCH, "%s: another digest verified",
		    cases[i].alg);
		d[0] ^= 1;
		cr_assert_eq(kr_fwsig_sign(k, d, s->dlen - 1, &none,
		    &nonelen), KR_ERR_INVALID_ARGUMENT, "a short digest");
		cr_assert_null(none, "output set on failure");

		cr_assert_eq(kr_cms_sign_digest(k, c, d, s->dlen, time(NULL),
		    &cms, &cmslen), 0, "%s: %s", cases[i].alg, kr_err_detail());
		cr_assert_eq(kr_cms_check_digest(cms, cmslen, c, d, s->dlen),
		    0, "%s: %s", cases[i].alg, kr_err_detail());
		d[5] ^= 0x80;
		cr_assert_eq(kr_cms_check_digest(cms, cmslen, c, d, s->dlen),
		    KR_ERR_CMS, "%s: CMS accepted another digest",
		    cases[i].alg);
		d[5] ^= 0x80;
		cms[cmslen - 3] ^= 1;	/* inside the signature */
		cr_assert_eq(kr_cms_check_digest(cms, cmslen, c, d, s->dlen),
		    KR_ERR_CMS, "%s: CMS accepted a changed signature",
		    cases[i].alg);
		cr_assert_eq(kr_cms_sign_digest(k, other_cert, d, s->dlen,
		    time(NULL), &none, &nonelen), KR_ERR_KEY_MISMATCH,
		    "%s: another key's certificate", cases[i].alg);
		cr_assert_null(none, "output set on failure");
		free(cms);
		free(sig);
		X509_free(c);
		EVP_PKEY_free(k);
	}
	X509_free(other_cert);
	EVP_PKEY_free(other);
}

Test(fwsig, authenticode, .init = setup)
{
	uint8_t hash[32] = { 1, 2, 3 }, *der = NULL;
	size_t len = 0;
	EVP_PKEY *k;
	X509 *c;

	key_and_cert("rsa-2048", &k, &c);
	cr_assert_eq(kr_authenticode_sign(k, c, hash, &der, &len), 0, "%s",
	    kr_err_detail());
	/* The SpcIndirectDataContent carries the hash, after sha256's OID. */
	cr_assert(contains(der, len, "\x06\x09\x60\x86\x48\x01\x65\x03"
	    "\x04\x02\x01\x05\x00\x04\x20\x01\x02\x03", 18), "no DigestInfo");
	cr_assert(contains(der, len, "\x2b\x06\x01\x04\x01\x82\x37\x02"
	    "\x01\x04", 10), "no SPC_INDIRECT_DATA");
	free(der);
	X509_free(c);
	EVP_PKEY_free(k);
	key_and_cert("ed25519", &k, &c);
	der = NULL;
	cr_assert_eq(kr_authenticode_sign(k, c, hash, &der, &len),
	    KR_ERR_KEY_ALGORITHM);
	cr_assert_null(der);
	X509_free(c);
	EVP_PKEY_free(k);
}

Test(fwsig, pubhash_and_request, .init = setup)
{
	uint8_t *spki = NULL, h[32];
	char *text = NULL, *pem = NULL, hex[65], line[160];
	size_t len, spkilen;
	X509_REQ *req;
	BIO *bio;
	EVP_PKEY *k;
	X509 *c;

	key_and_cert("ed25519", &k, &c);
	cr_assert_eq(kr_fwkey_pubhash(k, &text, &len), 0);
	cr_assert_eq(kr_key_to_spki(k, &spki, &spkilen), 0);
	cr_assert_eq(EVP_Digest(spki, spkilen, h, NULL, EVP_sha256(), NULL), 1);
	kr_hex_encode(h, 32, hex, sizeof(hex));
	snprintf(line, sizeof(line), "\nsha256-spki-der: %s\n", hex);
	cr_assert_not_null(strstr(text, line), "%s", text);
	/* Ed25519: the raw key is the SPKI's last 32 bytes. */
	cr_assert_eq(EVP_Digest(spki + spkilen - 32, 32, h, NULL, EVP_sha256(),
	    NULL), 1);
	kr_hex_encode(h, 32, hex, sizeof(hex));
	snprintf(line, sizeof(line), "\nsha256-raw-public-key: %s\n", hex);
	cr_assert_not_null(strstr(text, line), "%s", text);
	cr_assert_eq(strncmp(text, "keyrite-pubhash 1\nalgorithm: ed25519\n",
	    37), 0, "%s", text);
	free(text);

	cr_assert_eq(kr_fwkey_csr(k, c, &pem, &len), 0, "%s", kr_err_detail());
	cr_assert_not_null(bio = BIO_new_mem_buf(pem, (int)len));
	cr_assert_not_null(req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL));
	cr_assert_eq(X509_REQ_verify(req, k), 1, "request signature");
	cr_assert_eq(X509_NAME_cmp(X509_REQ_get_subject_name(req),
	    X509_get_subject_name(c)), 0, "request subject");
	X509_REQ_free(req);
	BIO_free(bio);
	free(pem);
	free(spki);
	X509_free(c);
	EVP_PKEY_free(k);
}
