/*
 * test_crl.c: revocation list files (crl-list.c), previous CRLs and the
 * CRLs a root issues (crl.c).  The list reader is a table of good and bad
 * files with the file:line message each must give.  CRLs are issued,
 * checked with OpenSSL's own accessors (version, issuer, times, number,
 * AKI, entries with dates and reasons) and X509_CRL_verify, read back as
 * the previous CRL, continued (number + 1, every entry carried), and
 * refused when another root signed them or a serial would be revoked
 * twice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>
#include <openssl/asn1.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/err.h"
#include "base/harden.h"
#include "crypto/crl.h"
#include "crypto/key.h"
#include "crypto/x509.h"

static EVP_PKEY *key1, *key2;
static X509 *root1, *root2;	/* the same subject, different keys */

static void
setup(void)
{
	struct kr_x509_request req = { .subject = "CN=CRL Root,O=Test",
	    .validity_days = 3000, .path_len = 1 };

	cr_assert_eq(kr_harden_process(NULL), 0, "%s", kr_err_detail());
	cr_assert_eq(kr_key_generate(kr_key_alg_find("ecdsa-p256"), &key1),
	    0);
	cr_assert_eq(kr_key_generate(kr_key_alg_find("ecdsa-p256"), &key2),
	    0);
	cr_assert_eq(kr_x509_self_sign(key1, &req, &root1), 0);
	cr_assert_eq(kr_x509_self_sign(key2, &req, &root2), 0);
}

static void
teardown(void)
{
	X509_free(root1);
	X509_free(root2);
	EVP_PKEY_free(key1);
	EVP_PKEY_free(key2);
}

TestSuite(crl, .init = setup, .fini = teardown, .timeout = 60);

static const struct list_case {
	const char	*name, *text;
	size_t		 n;		/* entries, when accepted */
	const char	*part;		/* NULL: accepted */
} list_cases[] = {
	{ "empty", "", 0, NULL },
	{ "comments", "# nothing yet\n\n   # still nothing\n", 0, NULL },
	{ "two", "0a1b keyCompromise\n\t0C superseded 2026-01-02\n", 2,
	    NULL },
	{ "trailing_comment", "12 cACompromise 2026-01-02T03:04:05Z # x\n",
	    1, NULL },
	{ "leading_zeros", "0000ab superseded\n", 1, NULL },
	{ "non_hex", "12g4 keyCompromise\n", 0,
	    "l.txt:1: serial '12g4' is not a hexadecimal number" },
	{ "colons", "0a:1b keyCompromise\n", 0, "without colons" },
	{ "zero", "000 superseded\n", 0, "l.txt:1: serial 0" },
	{ "long", "0123456789012345678901234567890123456789ab superseded\n", 0,
	    "41 hex digits" },
	{ "duplicate", "0a keyCompromise\n# x\n000A superseded\n", 0,
	    "l.txt:3: serial 0a is listed already on line 1" },
	{ "unknown_reason", "0a stolen\n", 0,
	    "l.txt:1: unknown reason 'stolen': RFC 5280 names" },
	{ "reason_case", "0a KeyCompromise\n", 0,
	    "write it as keyCompromise" },
	{ "no_reason", "0a\n", 0, "l.txt:1: '0a' has no reason" },
	{ "four_fields", "0a superseded 2026-01-01 extra\n", 0,
	    "more than three fields" },
	{ "bad_date", "0a superseded 2026-13-01\n", 0, "is not a date and time that exists" },
	{ "feb29", "0a superseded 2025-02-29\n", 0, "is not a date and time that exists" },
	{ "date_form", "0a superseded 01/02/2026\n", 0, "write YYYY-MM-DD" },
	{ "future", "0a superseded 2999-01-01\n", 0, "is in the future" },
	{ "crlf", "0a superseded\r\n", 0, "carriage return" },
	{ "nul", "0a super\001seded\n", 0, "control byte 0x01" },
	{ "no_final_lf", "0a superseded", 0, "no line feed" },
	{ "utf8_outside", "0a supersed\xc3\xa9\n", 0, "not ASCII" },
	{ "utf8_comment", "0a superseded # d\xc3\xa9j\xc3\xa0\n", 1, NULL },
};

Test(crl, revocation_lists)
{
	struct kr_crl_list *l = NULL;
	size_t i;
	int r;

	for (i = 0; i < sizeof(list_cases) / sizeof(list_cases[0]); i++) {
		const struct list_case *c = &list_cases[i];

		r = kr_crl_list_parse(c->text, strlen(c->text), "l.txt",
		    time(NULL), &l);
		if (c->part == NULL) {
			cr_assert_eq(r, 0, "%s: %s", c->name, kr_err_detail());
			cr_assert_eq(l->n, c->n, "%s: %zu entries", c->name,
			    l->n);
			kr_crl_list_free(l);
			l = NULL;
			continue;
		}
		cr_assert_neq(r, 0, "%s accepted", c->name);
		cr_assert_null(l, "%s: output set on failure", c->name);
		cr_assert_not_null(strstr(kr_err_detail(), c->part),
		    "%s: '%s' does not say '%s'", c->name, kr_err_detail(),
		    c->part);
	}
	r = kr_crl_list_parse("0000ab superseded 2026-01-02\n", 29, "l.txt",
	    time(NULL), &l);
	cr_assert_eq(r, 0);
	cr_assert_str_eq(l->e[0].serial_hex, "ab");
	cr_assert_eq(l->e[0].serial_len, 1);
	cr_assert_eq(l->e[0].reason, 4);
	cr_assert_eq(l->e[0].date, 1767312000, "2026-01-02 UTC");
	kr_crl_list_free(l);
}

static void
issue(X509 *root, EVP_PKEY *k, const struct kr_crl *prev, const char *list,
    int days, uint8_t **derp, size_t *lenp)
{
	struct kr_crl_list *l = NULL;
	struct kr_crl_plan *p = NULL;
	char *pem = NULL;
	size_t pl = 0;

	if (list != NULL)
		cr_assert_eq(kr_crl_list_parse(list, strlen(list), "l.txt",
		    time(NULL), &l), 0, "%s", kr_err_detail());
	cr_assert_eq(kr_crl_plan_new(root, prev, l, days, 365, "test", &p),
	    0, "%s", kr_err_detail());
	cr_assert_eq(kr_crl_issue(p, k, time(NULL), derp, lenp, &pem, &pl),
	    0, "%s", kr_err_detail());
	cr_assert_not_null(strstr(pem, "-----BEGIN X509 CRL-----"));
	free(pem);
	kr_crl_plan_free(p);
	kr_crl_list_free(l);
}

Test(crl, issued_read_back_and_continued)
{
	struct kr_crl *c1 = NULL, *c2 = NULL;
	const unsigned char *q;
	uint8_t *der = NULL, *der2 = NULL;
	size_t len = 0, len2 = 0;
	X509_CRL *x;
	ASN1_INTEGER *num;
	int days = 0, sec = 0;

	issue(root1, key1, NULL, "0a keyCompromise 2026-01-02\n"
	    "0b superseded\n", 30, &der, &len);
	q = der;
	cr_assert_not_null(x = d2i_X509_CRL(NULL, &q, (long)len));
	cr_assert_eq(X509_CRL_get_version(x), X509_CRL_VERSION_2);
	cr_assert_eq(X509_NAME_cmp(X509_CRL_get_issuer(x),
	    X509_get_subject_name(root1)), 0);
	cr_assert_eq(X509_CRL_verify(x, X509_get0_pubkey(root1)), 1);
	cr_assert_neq(X509_CRL_verify(x, X509_get0_pubkey(root2)), 1);
	ASN1_TIME_diff(&days, &sec, X509_CRL_get0_lastUpdate(x),
	    X509_CRL_get0_nextUpdate(x));
	cr_assert(days == 30 && sec == 0, "nextUpdate 30 days later");
	num = X509_CRL_get_ext_d2i(x, NID_crl_number, NULL, NULL);
	cr_assert(num != NULL && ASN1_INTEGER_get(num) == 1, "number 1");
	ASN1_INTEGER_free(num);
	cr_assert_eq(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(x)), 2);
	X509_CRL_free(x);

	cr_assert_eq(kr_crl_parse(der, len, "one.crl", root1, time(NULL),
	    &c1), 0, "%s", kr_err_detail());
	cr_assert_eq(c1->number, 1);
	cr_assert_eq(c1->n, 2);
	cr_assert_eq(c1->e[0].date, 1767312000);
	cr_assert_eq(c1->e[0].reason, 1);
	/* Another root, the same name: its key does not verify it. */
	cr_assert_eq(kr_crl_parse(der, len, "one.crl", root2, time(NULL),
	    &c2), KR_ERR_CRL);
	cr_assert_not_null(strstr(kr_err_detail(), "one.crl: its signature "
	    "does not verify under the root's key"));

	issue(root1, key1, c1, "0c cessationOfOperation\n", 7, &der2, &len2);
	cr_assert_eq(kr_crl_parse(der2, len2, "two.crl", root1, time(NULL),
	    &c2), 0, "%s", kr_err_detail());
	cr_assert_eq(c2->number, 2);
	cr_assert_eq(c2->n, 3);
	cr_assert_eq(c2->e[0].date, c1->e[0].date, "carried as it was");
	cr_assert_eq(c2->e[1].date, c1->e[1].date);
	cr_assert_str_eq(c2->e[2].serial_hex, "0c");
	kr_crl_free(c1);
	kr_crl_free(c2);
	free(der);
	free(der2);
}

Test(crl, plans_refused)
{
	struct kr_crl_list *l = NULL;
	struct kr_crl_plan *p = NULL;
	struct kr_crl *c1 = NULL, *c2 = NULL;
	uint8_t *der = NULL;
	size_t len = 0;
	const char *t = "0a unspecified\n0b certificateHold\n"
	    "0c removeFromCRL\n0d aACompromise\n";

	issue(root1, key1, NULL, "0e keyCompromise\n", 30, &der, &len);
	cr_assert_eq(kr_crl_parse(der, len, "one.crl", root1, time(NULL),
	    &c1), 0);
	cr_assert_eq(kr_crl_list_parse(t, strlen(t), "l.txt", time(NULL), &l),
	    0);
	cr_assert_eq(kr_crl_plan_new(root1, c1, l, 400, 365, "test", &p),
	    KR_ERR_X509_PROFILE);
	cr_assert_null(p);
	cr_assert_not_null(strstr(kr_err_detail(), "5 problems"), "%s",
	    kr_err_detail());
	cr_assert_not_null(strstr(kr_err_detail(), "l.txt:2: serial 0b: "
	    "reason certificateHold"));
	cr_assert_not_null(strstr(kr_err_detail(), "next_update_days 400"));
	kr_crl_list_free(l);
	cr_assert_eq(kr_crl_list_parse("0e superseded\n", 14, "l.txt",
	    time(NULL), &l), 0);
	cr_assert_eq(kr_crl_plan_new(root1, c1, l, 30, 365, "test", &p),
	    KR_ERR_X509_PROFILE);
	cr_assert_not_null(strstr(kr_err_detail(), "serial 0e is revoked "
	    "already by one.crl (CRL number 1)"));
	cr_assert_eq(kr_crl_parse((const uint8_t *)"junk", 4, "j.crl", root1,
	    time(NULL), &c2), KR_ERR_CRL);
	cr_assert_null(c2, "a refused CRL is not handed back");
	kr_crl_list_free(l);
	kr_crl_free(c1);
	free(der);
}
