/*
 * fuzz_csr.c: libFuzzer harness for the certificate request reader,
 * kr_csr_parse(), and what a ceremony does next with a request that
 * reads: plan an intermediate CA certificate for it (kr_x509_plan_new(),
 * which builds and lints the to-be-signed certificate), and for the
 * options' text reader, kr_x509_option_parse().  Run with `make fuzz`
 * (tests/fuzz/fuzz.mk); seeds in tests/fuzz/corpus/csr/, made by
 * tests/fuzz/corpus/mkseeds-use.sh.
 *
 * Input: one mode byte, then the data.
 *
 *   mode 0: the data is a request file (PEM or DER), read as it is.
 *   mode 1: the data is DER; if OpenSSL decodes it as a request, its
 *       public key is replaced by fuzz-ca.h's and it is signed again with
 *       that key, so that a mutated request still proves possession and
 *       reaches the attribute and extension checks and the plan.
 *   mode 2: the data is "KEY\0VALUE" for kr_x509_option_parse().
 *
 * Invariants, abort() when broken: a request that reads has a SPKI, the
 * SHA-256 of its DER and of its SPKI are what OpenSSL computes, its texts
 * are terminated; a plan that succeeds lints clean again and names an
 * output file intermediate-<32 hex>.pem; refusals have the codes the
 * headers promise and set no output.
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

#include "base/err.h"
#include "crypto/csr.h"
#include "crypto/x509-issue.h"
#include "fuzz-ca.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what, int r)
{
	fprintf(stderr, "fuzz_csr: %s (r = %d: %s)\n", what, r,
	    kr_err_detail());
	abort();
}

static void
plan(const struct kr_csr *c)
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
	o.rehearsal = (c->sha256[0] & 1) != 0;
	r = kr_x509_plan_new(kr_x509_profile_find("intermediate-ca"), ca, c,
	    &o, &lim, time(NULL), &p);
	if (r != 0) {
		if (p != NULL || (r != KR_ERR_X509_PROFILE &&
		    r != KR_ERR_X509_SUBJECT && r != KR_ERR_TOO_LARGE &&
		    r != KR_ERR_X509_SIGN && r != KR_ERR_NOMEM))
			fail("kr_x509_plan_new failed badly", r);
		return;
	}
	if (strncmp(p->file_name, "intermediate-", 13) != 0 ||
	    strlen(p->file_name) != 13 + 32 + 4)
		fail("the planned file name", 0);
	if ((r = kr_x509_plan_tbs(p, time(NULL), &x)) != 0 ||
	    (r = kr_x509_lint(p, x, 0)) != 0)
		fail("a plan that was made does not build and lint again", r);
	X509_free(x);
	kr_x509_plan_free(p);
}

static void
read_request(const uint8_t *data, size_t size)
{
	struct kr_csr *c = NULL;
	uint8_t h[32];
	unsigned char *der = NULL;
	int r, len;

	r = kr_csr_parse(data, size, "fuzz.csr", &c);
	if (r != 0) {
		if (c != NULL || (r != KR_ERR_X509_CSR &&
		    r != KR_ERR_TOO_LARGE && r != KR_ERR_NOMEM &&
		    r != KR_ERR_LIBCRYPTO))
			fail("kr_csr_parse failed badly", r);
		return;
	}
	if (c->spki == NULL || c->spki_len == 0 ||
	    memchr(c->subject, '\0', sizeof(c->subject)) == NULL)
		fail("a request that reads has no SPKI or subject", 0);
	if (EVP_Digest(c->spki, c->spki_len, h, NULL, EVP_sha256(), NULL) !=
	    1 || memcmp(h, c->spki_sha256, 32) != 0)
		fail("the SPKI SHA-256 is not of the SPKI", 0);
	if ((len = i2d_X509_REQ(c->req, &der)) <= 0 ||
	    EVP_Digest(der, (size_t)len, h, NULL, EVP_sha256(), NULL) != 1 ||
	    memcmp(h, c->sha256, 32) != 0)
		fail("the request's SHA-256 is not of its DER", 0);
	OPENSSL_free(der);
	plan(c);
	kr_csr_free(c);
}

/* Decoded, given fuzz-ca.h's key, signed again, read. */
static void
resign(const uint8_t *data, size_t size)
{
	const unsigned char *p = data;
	unsigned char *der = NULL;
	X509_REQ *req;
	EVP_PKEY *key;
	X509 *ca;
	int len;

	fuzz_ca(&key, &ca);
	if ((req = d2i_X509_REQ(NULL, &p, (long)size)) == NULL)
		return;
	if (X509_REQ_set_pubkey(req, key) == 1 &&
	    X509_REQ_sign(req, key, EVP_sha256()) > 0 &&
	    (len = i2d_X509_REQ(req, &der)) > 0)
		read_request(der, (size_t)len);
	OPENSSL_free(der);
	X509_REQ_free(req);
}

static void
option(const uint8_t *data, size_t size)
{
	struct kr_x509_options o;
	char *t;
	int r;

	if ((t = malloc(size + 2)) == NULL)
		return;
	memcpy(t, data, size);
	t[size] = t[size + 1] = '\0';
	kr_x509_options_init(&o);
	r = kr_x509_option_parse(&o, t, t + strlen(t) + (strlen(t) < size));
	if (r != 0 && r != KR_ERR_X509_REQUEST && r != KR_ERR_INVALID_ARGUMENT)
		fail("kr_x509_option_parse failed badly", r);
	if (o.npolicies > KR_X509_MAX_OIDS || o.nekus > KR_X509_MAX_OIDS ||
	    o.npermitted > KR_X509_MAX_SUBTREES ||
	    o.nexcluded > KR_X509_MAX_SUBTREES)
		fail("more options than the arrays hold", 0);
	free(t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0:
		read_request(data + 1, size - 1);
		break;
	case 1:
		resign(data + 1, size - 1);
		break;
	default:
		option(data + 1, size - 1);
		break;
	}
	ERR_clear_error();
	return 0;
}
