/*
 * fuzz_subject_cert.c: libFuzzer harness for the reader of the CA
 * certificates a ceremony is given (kr_subject_cert_parse(),
 * subject-cert.h), followed, for a certificate that reads, by what
 * root-ca-cross-sign makes of it: a cross-certificate planned under
 * fuzz-ca.h's CA (kr_x509_plan_new_cert(), profile cross-ca), built and
 * linted again.  Run with `make fuzz` (tests/fuzz/fuzz.mk); seeds in
 * tests/fuzz/corpus/subject_cert/.
 *
 * Input: the certificate file (PEM or DER).
 *
 * Invariants, abort() when broken: a certificate that reads is a CA's
 * (basicConstraints cA) with an SPKI whose SHA-256 is spki_sha256, a DER
 * whose SHA-256 is sha256, a subjectKeyIdentifier of 1 to 32 octets whose
 * hex is ski_hex, at most KR_CSR_MAX_EXTS extensions; a plan made keeps
 * that SKI and builds a certificate that lints; refusals are
 * KR_ERR_X509_CERT, KR_ERR_TOO_LARGE or KR_ERR_NOMEM, and a plan's
 * KR_ERR_X509_PROFILE or KR_ERR_X509_SUBJECT.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/err.h"
#include "base/hex.h"
#include "crypto/subject-cert.h"
#include "crypto/x509-issue.h"
#include "fuzz-ca.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what, int r)
{
	fprintf(stderr, "fuzz_subject_cert: %s (r = %d: %s)\n", what, r,
	    kr_err_detail());
	abort();
}

static void
plan(const struct kr_subject_cert *sc)
{
	static const char *const algs[] = { "ecdsa-p256", "ecdsa-p384",
	    "rsa-3072", "ed25519" };
	struct kr_x509_limits lim = { 3653, algs, 4, "fuzz" };
	struct kr_x509_options o;
	struct kr_x509_plan *p = NULL;
	EVP_PKEY *key;
	X509 *ca, *x = NULL;
	int r;

	fuzz_ca(&key, &ca);
	kr_x509_options_init(&o);
	o.validity_days = 365;
	o.path_len = 0;
	r = kr_x509_plan_new_cert(kr_x509_profile_find("cross-ca"), ca, sc,
	    &o, &lim, time(NULL), &p);
	if (r != 0) {
		if (p != NULL || (r != KR_ERR_X509_PROFILE &&
		    r != KR_ERR_X509_SUBJECT && r != KR_ERR_TOO_LARGE &&
		    r != KR_ERR_NOMEM))
			fail("kr_x509_plan_new_cert failed badly", r);
		return;
	}
	if (p->ski_len != sc->ski_len || memcmp(p->ski, sc->ski,
	    sc->ski_len) != 0)
		fail("the plan does not keep the CA's SKI", 0);
	if ((r = kr_x509_plan_tbs(p, time(NULL), &x)) != 0 ||
	    (r = kr_x509_lint(p, x, 0)) != 0)
		fail("a plan that was made does not build and lint again", r);
	X509_free(x);
	kr_x509_plan_free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kr_subject_cert *sc = NULL;
	unsigned char *der = NULL;
	char hex[2 * KR_SUBJECT_CERT_SKI_MAX + 1];
	uint8_t h[32];
	int r, len;

	r = kr_subject_cert_parse(data, size, "fuzz.pem", &sc);
	if (r != 0) {
		if (sc != NULL || (r != KR_ERR_X509_CERT &&
		    r != KR_ERR_TOO_LARGE && r != KR_ERR_NOMEM))
			fail("kr_subject_cert_parse failed badly", r);
		ERR_clear_error();
		return 0;
	}
	if (sc->spki == NULL || sc->spki_len == 0 ||
	    EVP_Digest(sc->spki, sc->spki_len, h, NULL, EVP_sha256(), NULL) !=
	    1 || memcmp(h, sc->spki_sha256, 32) != 0)
		fail("the SPKI SHA-256 is not of the SPKI", 0);
	if ((len = i2d_X509(sc->cert, &der)) <= 0 ||
	    EVP_Digest(der, (size_t)len, h, NULL, EVP_sha256(), NULL) != 1 ||
	    memcmp(h, sc->sha256, 32) != 0)
		fail("the certificate's SHA-256 is not of its DER", 0);
	OPENSSL_free(der);
	if (X509_check_ca(sc->cert) == 0)
		fail("a certificate that is not a CA's was read", 0);
	if (sc->ski_len == 0 || sc->ski_len > KR_SUBJECT_CERT_SKI_MAX)
		fail("an SKI of a bad length", 0);
	kr_hex_encode(sc->ski, sc->ski_len, hex, sizeof(hex));
	if (strcmp(hex, sc->ski_hex) != 0)
		fail("ski_hex is not the SKI's hex", 0);
	if (sc->nexts > KR_CSR_MAX_EXTS)
		fail("too many extensions", 0);
	plan(sc);
	kr_subject_cert_free(sc);
	ERR_clear_error();
	return 0;
}
