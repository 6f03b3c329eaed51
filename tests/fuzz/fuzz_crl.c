/*
 * fuzz_crl.c: libFuzzer harness for the previous-CRL reader,
 * kr_crl_parse(), and the plan of the CRL that continues it,
 * kr_crl_plan_new().  Run with `make fuzz` (tests/fuzz/fuzz.mk); seeds in
 * tests/fuzz/corpus/crl/, made by tests/fuzz/corpus/mkseeds-use.sh with
 * fuzz-ca.h's key.
 *
 * Input: one mode byte, then the data.
 *
 *   mode 0: the data is a CRL file (PEM or DER), read as it is against
 *       fuzz-ca.h's certificate.
 *   mode 1: the data is DER; if OpenSSL decodes it as a CRL, its issuer
 *       is set to fuzz-ca.h's subject and it is signed again with that
 *       key, so that a mutated CRL still verifies and reaches the checks
 *       of its number, extensions and entries.
 *
 * Invariants, abort() when broken: a CRL that reads has its number, its
 * entries sorted and distinct, their serials positive and at most 20
 * octets; its continuation plans number + 1 with every entry carried;
 * refusals have the codes crl.h promises and set no output.
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
#include "crypto/crl.h"
#include "fuzz-ca.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what, int r)
{
	fprintf(stderr, "fuzz_crl: %s (r = %d: %s)\n", what, r,
	    kr_err_detail());
	abort();
}

static int
entry_cmp(const struct kr_crl_entry *a, const struct kr_crl_entry *b)
{
	if (a->serial_len != b->serial_len)
		return a->serial_len < b->serial_len ? -1 : 1;
	return memcmp(a->serial, b->serial, a->serial_len);
}

static void
read_crl(const uint8_t *data, size_t size)
{
	struct kr_crl *c = NULL;
	struct kr_crl_plan *p = NULL;
	EVP_PKEY *key;
	X509 *ca;
	size_t i;
	int r;

	fuzz_ca(&key, &ca);
	r = kr_crl_parse(data, size, "fuzz.crl", ca, time(NULL), &c);
	if (r != 0) {
		if (c != NULL || (r != KR_ERR_CRL && r != KR_ERR_TOO_LARGE &&
		    r != KR_ERR_NOMEM && r != KR_ERR_LIBCRYPTO))
			fail("kr_crl_parse failed badly", r);
		return;
	}
	for (i = 0; i < c->n; i++) {
		if (c->e[i].serial_len == 0 || c->e[i].serial_len > 20 ||
		    c->e[i].serial[0] == 0)
			fail("an entry's serial is not a positive magnitude", 0);
		if (i > 0 && entry_cmp(&c->e[i - 1], &c->e[i]) >= 0)
			fail("entries not sorted and distinct", 0);
	}
	r = kr_crl_plan_new(ca, c, NULL, 30, 365, "fuzz", &p);
	if (r != 0)
		fail("a CRL that reads cannot be continued", r);
	if (p->number != c->number + 1 || p->n != c->n ||
	    p->ncarried != c->n || p->nadded != 0)
		fail("the continuation is not number + 1 with every entry", 0);
	kr_crl_plan_free(p);
	kr_crl_free(c);
}

static void
resign(const uint8_t *data, size_t size)
{
	const unsigned char *q = data;
	unsigned char *der = NULL;
	X509_CRL *crl;
	EVP_PKEY *key;
	X509 *ca;
	int len;

	fuzz_ca(&key, &ca);
	if ((crl = d2i_X509_CRL(NULL, &q, (long)size)) == NULL)
		return;
	if (X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)) == 1 &&
	    X509_CRL_sign(crl, key, EVP_sha256()) > 0 &&
	    (len = i2d_X509_CRL(crl, &der)) > 0)
		read_crl(der, (size_t)len);
	OPENSSL_free(der);
	X509_CRL_free(crl);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1)
		resign(data + 1, size - 1);
	else
		read_crl(data + 1, size - 1);
	ERR_clear_error();
	return 0;
}
