/*
 * fuzz_revocations.c: libFuzzer harness for the revocation list reader,
 * kr_crl_list_parse(), followed, for a list that reads, by the round
 * trip a ceremony makes of it: plan a first CRL with those entries, issue
 * it with fuzz-ca.h's key (kr_crl_issue(), which checks what it built
 * against the plan), read it back with kr_crl_parse() and compare.  Run
 * with `make fuzz` (tests/fuzz/fuzz.mk); seeds in
 * tests/fuzz/corpus/revocations/.
 *
 * Input: the revocation list file.
 *
 * Invariants, abort() when broken: an entry read has a positive serial of
 * at most 20 octets whose hex is its own, a reason RFC 5280 names, a date
 * not in the future, its line; no serial twice; the CRL issued reads back
 * with the same serials, reasons and dates; refusals are
 * KR_ERR_REVOCATIONS naming the file, or KR_ERR_TOO_LARGE.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>

#include "base/err.h"
#include "base/hex.h"
#include "crypto/crl.h"
#include "fuzz-ca.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what, int r)
{
	fprintf(stderr, "fuzz_revocations: %s (r = %d: %s)\n", what, r,
	    kr_err_detail());
	abort();
}

static void
check_entries(const struct kr_crl_list *l, time_t now)
{
	char hex[41];
	size_t i, j;

	for (i = 0; i < l->n; i++) {
		const struct kr_crl_entry *e = &l->e[i];

		if (e->serial_len == 0 || e->serial_len > 20 ||
		    e->serial[0] == 0 || e->line == 0 || e->date > now ||
		    kr_crl_reason_name(e->reason) == NULL)
			fail("an entry that read is not well formed", 0);
		kr_hex_encode(e->serial, e->serial_len, hex, sizeof(hex));
		if (strcmp(hex, e->serial_hex) != 0)
			fail("serial_hex is not the serial's hex", 0);
		for (j = 0; j < i; j++)
			if (l->e[j].serial_len == e->serial_len &&
			    memcmp(l->e[j].serial, e->serial,
			    e->serial_len) == 0)
				fail("a serial read twice", 0);
	}
}

/* Issue a CRL with the list and read it back: the same entries. */
static void
round_trip(const struct kr_crl_list *l, time_t now)
{
	struct kr_crl_plan *p = NULL;
	struct kr_crl *c = NULL;
	EVP_PKEY *key;
	X509 *ca;
	uint8_t *der = NULL;
	char *pem = NULL;
	size_t dl = 0, pl = 0, i;
	int r;

	fuzz_ca(&key, &ca);
	if ((r = kr_crl_plan_new(ca, NULL, l, 30, 365, "fuzz", &p)) != 0) {
		if (r != KR_ERR_X509_PROFILE)	/* a reason a CA may not use */
			fail("kr_crl_plan_new failed badly", r);
		return;
	}
	if ((r = kr_crl_issue(p, key, now, &der, &dl, &pem, &pl)) != 0)
		fail("a planned CRL does not issue", r);
	if ((r = kr_crl_parse(der, dl, "issued.crl", ca, now, &c)) != 0)
		fail("an issued CRL does not read back", r);
	if (c->number != 1 || c->n != p->n)
		fail("the CRL read back has another number or size", 0);
	for (i = 0; i < c->n; i++)
		if (strcmp(c->e[i].serial_hex, p->e[i].serial_hex) != 0 ||
		    c->e[i].reason != p->e[i].reason ||
		    c->e[i].date != (p->e[i].date ? p->e[i].date : now))
			fail("an entry read back differs", 0);
	kr_crl_free(c);
	kr_crl_plan_free(p);
	free(der);
	free(pem);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kr_crl_list *l = NULL;
	time_t now = time(NULL);
	int r;

	r = kr_crl_list_parse((const char *)data, size, "fuzz.txt", now, &l);
	if (r != 0) {
		if (l != NULL || (r != KR_ERR_REVOCATIONS &&
		    r != KR_ERR_TOO_LARGE && r != KR_ERR_NOMEM))
			fail("kr_crl_list_parse failed badly", r);
		if (r == KR_ERR_REVOCATIONS &&
		    strncmp(kr_err_detail(), "fuzz.txt:", 9) != 0)
			fail("a refusal does not name the file", r);
		return 0;
	}
	check_entries(l, now);
	/* Issuing costs a signature: only for lists of a useful size. */
	if (l->n <= 64)
		round_trip(l, now);
	kr_crl_list_free(l);
	ERR_clear_error();
	return 0;
}
