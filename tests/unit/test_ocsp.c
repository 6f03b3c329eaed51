/*
 * test_ocsp.c: OCSP status lists (ocsp-list.c) and the responses a root
 * signs in advance (ocsp.c).  The list reader is a table of good and bad
 * files with the file:line message each must give.  Responses are
 * planned for serials, signed, and read back with OpenSSL's own OCSP
 * accessors (status, reason, revocation time, SHA-256 CertID, byKey
 * responder, nextUpdate) and OCSP_basic_verify(); plans that break the
 * policy, the root's life or name a certificate another key issued are
 * refused with every problem named.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "base/err.h"
#include "base/harden.h"
#include "crypto/key.h"
#include "crypto/ocsp.h"
#include "crypto/x509.h"

static EVP_PKEY *key1, *key2;
static X509 *root1, *root2;	/* the same subject, different keys */

static void
setup(void)
{
	struct kr_x509_request req = { "CN=OCSP Root,O=Test", 400, 1, 0, 0 };

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

TestSuite(ocsp, .init = setup, .fini = teardown, .timeout = 60);

static const struct list_case {
	const char	*name, *text;
	size_t		 n;		/* entries, when accepted */
	const char	*part;		/* NULL: accepted */
} list_cases[] = {
	{ "files_and_serials", "# x\nint-1a.pem good\n\n0a1b revoked "
	    "keyCompromise 2026-01-02\nc.der\trevoked superseded # y\n", 3,
	    NULL },
	{ "empty", "# nothing\n", 0, "s.txt: names no certificate" },
	{ "no_status", "int.pem\n", 0, "s.txt:1: 'int.pem' has no status" },
	{ "unknown", "0a unknown\n", 0,
	    "s.txt:1: status 'unknown': write good, or revoked" },
	{ "good_with_reason", "0a good keyCompromise\n", 0,
	    "a good certificate has no reason or date" },
	{ "revoked_no_reason", "0a revoked\n", 0,
	    "s.txt:1: a revoked certificate needs its reason" },
	{ "bad_reason", "0a revoked stolen\n", 0, "unknown reason 'stolen'" },
	{ "future", "0a revoked superseded 2999-01-01\n", 0, "in the future" },
	{ "file_twice", "a.pem good\nb.pem good\na.pem good\n", 0,
	    "s.txt:3: a.pem is listed already on line 1" },
	{ "serial_twice", "0a good\n000A revoked superseded\n", 0,
	    "s.txt:2: serial 0a is listed already on line 1" },
	{ "neither", "../etc/x good\n", 0, "is neither a serial" },
	{ "five_fields", "0a revoked superseded 2026-01-01 x\n", 0,
	    "more than four fields" },
	{ "crlf", "0a good\r\n", 0, "carriage return" },
	{ "no_final_lf", "0a good", 0, "no line feed" },
};

Test(ocsp, status_lists)
{
	struct kr_ocsp_list *l = NULL;
	size_t i;
	int r;

	for (i = 0; i < sizeof(list_cases) / sizeof(list_cases[0]); i++) {
		const struct list_case *c = &list_cases[i];

		r = kr_ocsp_list_parse(c->text, strlen(c->text), "s.txt",
		    time(NULL), &l);
		if (c->part == NULL) {
			cr_assert_eq(r, 0, "%s: %s", c->name, kr_err_detail());
			cr_assert_eq(l->n, c->n, "%s: %zu entries", c->name,
			    l->n);
			kr_ocsp_list_free(l);
			l = NULL;
			continue;
		}
		cr_assert_neq(r, 0, "%s accepted", c->name);
		cr_assert_null(l, "%s: output set on failure", c->name);
		cr_assert_not_null(strstr(kr_err_detail(), c->part),
		    "%s: '%s' does not say '%s'", c->name, kr_err_detail(),
		    c->part);
	}
	{
		static const char t[] = "int.pem good\n0a1b revoked "
		    "keyCompromise 2026-01-02\n";

		r = kr_ocsp_list_parse(t, strlen(t), "s.txt", time(NULL), &l);
	}
	cr_assert_eq(r, 0, "%s", kr_err_detail());
	cr_assert_str_eq(l->e[0].file, "int.pem");
	cr_assert_eq(l->e[0].revoked, 0);
	cr_assert_str_eq(l->e[1].file, "");
	cr_assert_eq(l->e[1].revoked, 1);
	cr_assert_str_eq(l->e[1].rev.serial_hex, "0a1b");
	cr_assert_eq(l->e[1].rev.reason, 1, "keyCompromise");
	cr_assert_eq(l->e[1].rev.date, 1767312000, "2026-01-02 UTC");
	kr_ocsp_list_free(l);
}

static struct kr_ocsp_plan *
plan(X509 *issuer, const char *text, X509 *const *certs, int days)
{
	struct kr_ocsp_list *l = NULL;
	struct kr_ocsp_plan *p = NULL;

	cr_assert_eq(kr_ocsp_list_parse(text, strlen(text), "s.txt",
	    time(NULL), &l), 0, "%s", kr_err_detail());
	cr_assert_eq(kr_ocsp_plan_new(issuer, l, certs, "ocsp", days, 365,
	    "test", time(NULL), &p), 0, "%s", kr_err_detail());
	kr_ocsp_list_free(l);
	return p;
}

Test(ocsp, signed_and_read_back)
{
	static const char list[] = "0a1b good\n"
	    "7c revoked keyCompromise 2026-01-02\n";
	struct kr_ocsp_plan *p = plan(root1, list, (X509 *const[]){ NULL,
	    NULL }, 30);
	struct kr_ocsp_response *resp = NULL;
	time_t now = time(NULL);
	size_t i;

	cr_assert_eq(p->n, 2);
	cr_assert_not_null(strstr(p->items[0].file_name, "ocsp-0a1b-"),
	    "%s", p->items[0].file_name);
	cr_assert_eq(kr_ocsp_issue(p, key2, now, &resp), KR_ERR_KEY_MISMATCH,
	    "another key signed");
	cr_assert_null(resp);
	cr_assert_eq(kr_ocsp_issue(p, key1, now, &resp), 0, "%s",
	    kr_err_detail());
	for (i = 0; i < p->n; i++) {
		const unsigned char *q = resp[i].der;
		OCSP_RESPONSE *or = d2i_OCSP_RESPONSE(NULL, &q,
		    (long)resp[i].len);
		OCSP_BASICRESP *bs;
		OCSP_SINGLERESP *sr;
		ASN1_GENERALIZEDTIME *rt = NULL, *tu = NULL, *nu = NULL;
		ASN1_OBJECT *md = NULL;
		ASN1_INTEGER *serial = NULL;
		OCSP_CERTID *id = NULL;
		STACK_OF(X509) *certs = sk_X509_new_null();
		X509_STORE *st = X509_STORE_new();
		int reason = -1, status, days = 0, sec = 0;
		char hex[64];

		cr_assert_not_null(or, "response %zu does not decode", i);
		cr_assert_eq(OCSP_response_status(or),
		    OCSP_RESPONSE_STATUS_SUCCESSFUL);
		cr_assert_not_null(bs = OCSP_response_get1_basic(or));
		cr_assert_eq(OCSP_resp_count(bs), 1);
		sr = OCSP_resp_get0(bs, 0);
		status = OCSP_single_get0_status(sr, &reason, &rt, &tu, &nu);
		cr_assert_eq(status, i == 0 ? V_OCSP_CERTSTATUS_GOOD :
		    V_OCSP_CERTSTATUS_REVOKED, "status %zu", i);
		if (i == 1) {
			cr_assert_eq(reason, 1, "keyCompromise");
			cr_assert_eq(ASN1_TIME_cmp_time_t(rt, 1767312000), 0);
		}
		cr_assert_eq(ASN1_TIME_cmp_time_t(tu, now), 0);
		cr_assert_eq(ASN1_TIME_diff(&days, &sec, tu, nu), 1);
		cr_assert_eq(days, 30);
		cr_assert_eq(sec, 0);
		cr_assert_not_null(id = OCSP_CERTID_dup(
		    OCSP_SINGLERESP_get0_id(sr)));
		cr_assert_eq(OCSP_id_get0_info(NULL, &md, NULL, &serial, id),
		    1);
		cr_assert_eq(OBJ_obj2nid(md), NID_sha256, "CertID SHA-256");
		{
			BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);
			char *h = BN_bn2hex(bn);

			snprintf(hex, sizeof(hex), "%s", h);
			OPENSSL_free(h);
			BN_free(bn);
		}
		cr_assert_str_eq(hex, i == 0 ? "0A1B" : "7C");
		OCSP_CERTID_free(id);
		sk_X509_push(certs, root1);
		X509_STORE_add_cert(st, root1);
		cr_assert_eq(OCSP_basic_verify(bs, certs, st, 0), 1,
		    "OCSP_basic_verify %zu", i);
		/* One byte changed in the signature: no longer verifies. */
		{
			uint8_t *t = malloc(resp[i].len);
			const unsigned char *tq = t;
			OCSP_RESPONSE *tor;
			OCSP_BASICRESP *tbs;

			memcpy(t, resp[i].der, resp[i].len);
			t[resp[i].len - 3] ^= 0x01;
			tor = d2i_OCSP_RESPONSE(NULL, &tq, (long)resp[i].len);
			if (tor != NULL && (tbs = OCSP_response_get1_basic(
			    tor)) != NULL) {
				cr_assert_neq(OCSP_basic_verify(tbs, certs, st,
				    0), 1, "a changed byte verified");
				OCSP_BASICRESP_free(tbs);
			}
			OCSP_RESPONSE_free(tor);
			free(t);
		}
		X509_STORE_free(st);
		sk_X509_free(certs);
		OCSP_BASICRESP_free(bs);
		OCSP_RESPONSE_free(or);
	}
	kr_ocsp_responses_free(resp, p->n);
	kr_ocsp_plan_free(p);
}

Test(ocsp, plans_refused)
{
	struct kr_ocsp_list *l = NULL;
	struct kr_ocsp_plan *p = NULL;
	static const char list[] = "a.pem good\n0b revoked certificateHold\n";
	X509 *certs[2] = { root2, NULL };
	int r;

	cr_assert_eq(kr_ocsp_list_parse(list, strlen(list), "s.txt",
	    time(NULL), &l), 0, "%s", kr_err_detail());
	r = kr_ocsp_plan_new(root1, l, certs, "ocsp", 500, 365, "test",
	    time(NULL), &p);
	cr_assert_eq(r, KR_ERR_OCSP, "%s", kr_err_detail());
	cr_assert_null(p);
	cr_assert_not_null(strstr(kr_err_detail(), "s.txt:1: a.pem names "
	    "this root's name as its issuer but another key"), "%s",
	    kr_err_detail());
	cr_assert_not_null(strstr(kr_err_detail(), "s.txt:2: reason "
	    "certificateHold"), "%s", kr_err_detail());
	cr_assert_not_null(strstr(kr_err_detail(), "next_update_days 500 is "
	    "outside 1..365"), "%s", kr_err_detail());
	/* The root lives 400 days: 365 fits the policy, not the root. */
	certs[0] = root1;
	r = kr_ocsp_plan_new(root1, l, certs, "ocsp", 365, 365, "test",
	    time(NULL) + 100 * 86400, &p);
	cr_assert_eq(r, KR_ERR_OCSP);
	cr_assert_not_null(strstr(kr_err_detail(), "a.pem is the root's own "
	    "certificate"), "%s", kr_err_detail());
	cr_assert_not_null(strstr(kr_err_detail(), "after the root's "
	    "notAfter"), "%s", kr_err_detail());
	kr_ocsp_list_free(l);
}
