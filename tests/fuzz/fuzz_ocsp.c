/*
 * fuzz_ocsp.c: libFuzzer harness for the OCSP status list reader,
 * kr_ocsp_list_parse(), followed, for a list that reads and names its
 * certificates by serial only, by the round trip a ceremony makes of it:
 * plan the responses signed by fuzz-ca.h's CA (kr_ocsp_plan_new()), sign
 * them (kr_ocsp_issue(), which checks each against its plan and with
 * OCSP_basic_verify()), decode each with OpenSSL and compare.  Run with
 * `make fuzz` (tests/fuzz/fuzz.mk); seeds in tests/fuzz/corpus/ocsp/.
 *
 * Input: the status list file.
 *
 * Invariants, abort() when broken: an entry read names a file of allowed
 * bytes with a '.' or has a positive serial of at most 20 octets whose
 * hex is its own; a revoked entry has a reason RFC 5280 names and a date
 * not in the future, a good one neither; no file or serial twice; each
 * response signed decodes as successful with one single response of the
 * list's status and reason; refusals are KR_ERR_OCSP naming the file, or
 * KR_ERR_TOO_LARGE.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>

#include "base/err.h"
#include "base/hex.h"
#include "crypto/ocsp.h"
#include "fuzz-ca.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what, int r)
{
	fprintf(stderr, "fuzz_ocsp: %s (r = %d: %s)\n", what, r,
	    kr_err_detail());
	abort();
}

static void
check_entries(const struct kr_ocsp_list *l, time_t now)
{
	char hex[41];
	size_t i, j, k;

	for (i = 0; i < l->n; i++) {
		const struct kr_ocsp_entry *e = &l->e[i];

		if (e->line == 0)
			fail("an entry without its line", 0);
		if (e->file[0] != '\0') {
			if (strchr(e->file, '.') == NULL || e->file[0] == '.')
				fail("a file name without an extension", 0);
			for (k = 0; e->file[k] != '\0'; k++)
				if (strchr("abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
				    e->file[k]) == NULL)
					fail("a file name with a bad byte", 0);
		} else {
			if (e->rev.serial_len == 0 || e->rev.serial_len > 20 ||
			    e->rev.serial[0] == 0)
				fail("a serial that is not well formed", 0);
			kr_hex_encode(e->rev.serial, e->rev.serial_len, hex,
			    sizeof(hex));
			if (strcmp(hex, e->rev.serial_hex) != 0)
				fail("serial_hex is not the serial's hex", 0);
		}
		if (e->revoked && (kr_crl_reason_name(e->rev.reason) ==
		    NULL || e->rev.date > now))
			fail("a revocation that is not well formed", 0);
		for (j = 0; j < i; j++) {
			const struct kr_ocsp_entry *o = &l->e[j];

			if (e->file[0] != '\0' && strcmp(o->file, e->file) == 0)
				fail("a file read twice", 0);
			if (e->file[0] == '\0' && o->file[0] == '\0' &&
			    o->rev.serial_len == e->rev.serial_len &&
			    memcmp(o->rev.serial, e->rev.serial,
			    e->rev.serial_len) == 0)
				fail("a serial read twice", 0);
		}
	}
}

/* Sign responses for a list of serials and decode them. */
static void
round_trip(const struct kr_ocsp_list *l, time_t now)
{
	struct kr_ocsp_plan *p = NULL;
	struct kr_ocsp_response *resp = NULL;
	X509 *certs[KR_OCSP_MAX_ENTRIES] = { NULL };
	EVP_PKEY *key;
	X509 *ca;
	size_t i;
	int r;

	fuzz_ca(&key, &ca);
	if ((r = kr_ocsp_plan_new(ca, l, certs, "ocsp", 30, 365, "fuzz", now,
	    &p)) != 0) {
		if (r != KR_ERR_OCSP)	/* a reason a CA may not give */
			fail("kr_ocsp_plan_new failed badly", r);
		return;
	}
	if ((r = kr_ocsp_issue(p, key, now, &resp)) != 0)
		fail("planned responses do not sign", r);
	for (i = 0; i < p->n; i++) {
		const unsigned char *q = resp[i].der;
		OCSP_RESPONSE *or;
		OCSP_BASICRESP *bs = NULL;
		int status, reason = -1;

		if ((or = d2i_OCSP_RESPONSE(NULL, &q, (long)resp[i].len)) ==
		    NULL || OCSP_response_status(or) !=
		    OCSP_RESPONSE_STATUS_SUCCESSFUL ||
		    (bs = OCSP_response_get1_basic(or)) == NULL ||
		    OCSP_resp_count(bs) != 1)
			fail("a signed response does not decode", 0);
		status = OCSP_single_get0_status(OCSP_resp_get0(bs, 0),
		    &reason, NULL, NULL, NULL);
		if (status != (p->items[i].e.revoked ?
		    V_OCSP_CERTSTATUS_REVOKED : V_OCSP_CERTSTATUS_GOOD) ||
		    (p->items[i].e.revoked && reason !=
		    p->items[i].e.rev.reason))
			fail("a response's status is not the list's", 0);
		OCSP_BASICRESP_free(bs);
		OCSP_RESPONSE_free(or);
	}
	kr_ocsp_responses_free(resp, p->n);
	kr_ocsp_plan_free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kr_ocsp_list *l = NULL;
	time_t now = time(NULL);
	size_t i;
	int r;

	r = kr_ocsp_list_parse((const char *)data, size, "fuzz.txt", now, &l);
	if (r != 0) {
		if (l != NULL || (r != KR_ERR_OCSP && r != KR_ERR_TOO_LARGE &&
		    r != KR_ERR_NOMEM))
			fail("kr_ocsp_list_parse failed badly", r);
		if (r == KR_ERR_OCSP &&
		    strncmp(kr_err_detail(), "fuzz.txt", 8) != 0)
			fail("a refusal does not name the file", r);
		return 0;
	}
	check_entries(l, now);
	/* Signing costs a signature each: a few serials only. */
	for (i = 0; i < l->n && l->e[i].file[0] == '\0'; i++)
		;
	if (i == l->n && l->n <= 4)
		round_trip(l, now);
	kr_ocsp_list_free(l);
	ERR_clear_error();
	return 0;
}
