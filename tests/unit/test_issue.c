/*
 * test_issue.c: certificate requests (csr.c) and certificates issued to a
 * profile (x509-issue.c, x509-options.c, x509-lint.c).  Requests are made
 * here with OpenSSL's own API, some of them wrong on purpose (a bad
 * signature, SHA-1, an attribute, an empty subject, a duplicate
 * extension, bytes after the DER), and each refusal's message is checked.
 * The options' readers are tables of good and bad values.  Plans are
 * refused, every problem listed, for a key the policy does not allow, a
 * validity beyond the policy or the issuer, a path length the issuer
 * does not allow, the issuer's own name or key.  Issued certificates are
 * checked with OpenSSL's accessors and its path validation (strict); the
 * lint is shown to catch a certificate that is not the plan's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>
#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/err.h"
#include "base/harden.h"
#include "crypto/csr.h"
#include "crypto/key.h"
#include "crypto/x509-issue.h"
#include "crypto/x509.h"

static EVP_PKEY *root_key;
static X509 *root;		/* 3000 days, pathLen 1 */

static void
setup(void)
{
	struct kr_x509_request req = { .subject = "CN=Test Root,O=Test",
	    .validity_days = 3000, .path_len = 1 };

	cr_assert_eq(kr_harden_process(NULL), 0, "%s", kr_err_detail());
	cr_assert_eq(kr_key_generate(kr_key_alg_find("ecdsa-p384"),
	    &root_key), 0, "%s", kr_err_detail());
	cr_assert_eq(kr_x509_self_sign(root_key, &req, &root), 0, "%s",
	    kr_err_detail());
}

static void
teardown(void)
{
	X509_free(root);
	EVP_PKEY_free(root_key);
}

TestSuite(issue, .init = setup, .fini = teardown, .timeout = 60);

/* A request for key with subject cn, extensions exts (may be NULL). */
static X509_REQ *
make_req(EVP_PKEY *key, const char *cn, const EVP_MD *md,
    STACK_OF(X509_EXTENSION) *exts)
{
	X509_REQ *r = X509_REQ_new();
	X509_NAME *n = X509_NAME_new();

	cr_assert(r != NULL && n != NULL);
	if (cn != NULL)
		cr_assert_eq(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
		    (const unsigned char *)cn, -1, -1, 0), 1);
	cr_assert_eq(X509_REQ_set_subject_name(r, n), 1);
	X509_NAME_free(n);
	cr_assert_eq(X509_REQ_set_pubkey(r, key), 1);
	if (exts != NULL)
		cr_assert_eq(X509_REQ_add_extensions(r, exts), 1);
	cr_assert_gt(X509_REQ_sign(r, key, md), 0, "signing the request");
	return r;
}

static char *
req_pem(X509_REQ *r, size_t *lenp)
{
	BIO *b = BIO_new(BIO_s_mem());
	BUF_MEM *m = NULL;
	char *out;

	cr_assert_eq(PEM_write_bio_X509_REQ(b, r), 1);
	BIO_get_mem_ptr(b, &m);
	out = malloc(m->length + 1);
	memcpy(out, m->data, m->length);
	out[m->length] = '\0';
	*lenp = m->length;
	BIO_free(b);
	return out;
}

static unsigned char *
req_der(X509_REQ *r, size_t *lenp)
{
	unsigned char *der = NULL;
	int n = i2d_X509_REQ(r, &der);

	cr_assert_gt(n, 0);
	*lenp = (size_t)n;
	return der;
}

static EVP_PKEY *
key(const char *alg)
{
	EVP_PKEY *k = NULL;

	cr_assert_eq(kr_key_generate(kr_key_alg_find(alg), &k), 0);
	return k;
}

static void
want_refused(const void *data, size_t len, int code, const char *part)
{
	struct kr_csr *c = NULL;
	int r = kr_csr_parse(data, len, "t.csr", &c);

	cr_assert_eq(r, code, "code %d, want %d: %s", r, code,
	    kr_err_detail());
	cr_assert_null(c, "output set on failure");
	cr_assert_not_null(strstr(kr_err_detail(), part), "detail '%s' does "
	    "not say '%s'", kr_err_detail(), part);
	cr_assert_not_null(strstr(kr_err_detail(), "t.csr"), "file named");
}

Test(issue, request_pem_and_der_read_the_same)
{
	EVP_PKEY *k = key("ecdsa-p256");
	X509_REQ *r = make_req(k, "Sub CA", EVP_sha256(), NULL);
	struct kr_csr *a = NULL, *b = NULL;
	unsigned char *der;
	char *pem;
	size_t pl, dl;

	pem = req_pem(r, &pl);
	der = req_der(r, &dl);
	cr_assert_eq(kr_csr_parse((uint8_t *)pem, pl, "a.csr", &a), 0, "%s",
	    kr_err_detail());
	cr_assert_eq(kr_csr_parse(der, dl, "b.csr", &b), 0, "%s",
	    kr_err_detail());
	cr_assert(a->pem && !b->pem);
	cr_assert_eq(memcmp(a->sha256, b->sha256, 32), 0, "same DER hash");
	cr_assert_str_eq(a->subject, "CN=Sub CA");
	cr_assert_str_eq(a->key_alg, "ecdsa-p256");
	cr_assert_str_eq(a->key_text, "EC P-256");
	cr_assert_eq(a->spki_len, b->spki_len);
	kr_csr_free(a);
	kr_csr_free(b);
	free(pem);
	OPENSSL_free(der);
	X509_REQ_free(r);
	EVP_PKEY_free(k);
}

Test(issue, requests_refused)
{
	EVP_PKEY *k = key("ecdsa-p256"), *other = key("ecdsa-p256");
	STACK_OF(X509_EXTENSION) *dup = sk_X509_EXTENSION_new_null();
	X509_REQ *r;
	unsigned char *der, *bad;
	char *pem, *trail, *cert = NULL;
	size_t pl, dl, cl = 0;

	r = make_req(k, "Sub CA", EVP_sha256(), NULL);
	der = req_der(r, &dl);
	pem = req_pem(r, &pl);
	/* The signature's last byte changed. */
	bad = malloc(dl);
	memcpy(bad, der, dl);
	bad[dl - 1] ^= 1;
	want_refused(bad, dl, KR_ERR_X509_CSR, "does not verify under its own");
	want_refused(der, dl - 10, KR_ERR_X509_CSR, "truncated");
	want_refused("hello, world\n", 13, KR_ERR_X509_CSR, "neither a PEM");
	want_refused("", 0, KR_ERR_X509_CSR, "empty");
	trail = malloc(pl + 8);
	memcpy(trail, pem, pl);
	memcpy(trail + pl, "junk\n", 6);
	want_refused(trail, pl + 5, KR_ERR_X509_CSR, "something follows");
	bad = realloc(bad, dl + 1);
	memcpy(bad, der, dl);
	bad[dl] = 0;
	want_refused(bad, dl + 1, KR_ERR_X509_CSR, "bytes follow");
	/* Another key's public key in a request signed by k. */
	X509_REQ_free(r);
	r = make_req(k, "Sub CA", EVP_sha256(), NULL);
	cr_assert_eq(X509_REQ_set_pubkey(r, other), 1);
	OPENSSL_free(der);
	der = req_der(r, &dl);
	want_refused(der, dl, KR_ERR_X509_CSR, "no proof of possession");
	/* SHA-1. */
	X509_REQ_free(r);
	r = make_req(k, "Sub CA", EVP_sha1(), NULL);
	OPENSSL_free(der);
	der = req_der(r, &dl);
	want_refused(der, dl, KR_ERR_X509_CSR, "SHA-256 or stronger");
	/* No subject. */
	X509_REQ_free(r);
	r = make_req(k, NULL, EVP_sha256(), NULL);
	OPENSSL_free(der);
	der = req_der(r, &dl);
	want_refused(der, dl, KR_ERR_X509_CSR, "subject is empty");
	/* An attribute besides the extensions. */
	X509_REQ_free(r);
	r = make_req(k, "Sub CA", EVP_sha256(), NULL);
	cr_assert_eq(X509_REQ_add1_attr_by_NID(r, NID_pkcs9_challengePassword,
	    MBSTRING_ASC, (const unsigned char *)"secret", -1), 1);
	cr_assert_gt(X509_REQ_sign(r, k, EVP_sha256()), 0);
	OPENSSL_free(der);
	der = req_der(r, &dl);
	want_refused(der, dl, KR_ERR_X509_CSR, "the attribute challengePassword");
	/* An extension asked twice. */
	sk_X509_EXTENSION_push(dup, X509V3_EXT_conf_nid(NULL, NULL,
	    NID_key_usage, "critical,keyCertSign"));
	sk_X509_EXTENSION_push(dup, X509V3_EXT_conf_nid(NULL, NULL,
	    NID_key_usage, "critical,cRLSign"));
	X509_REQ_free(r);
	r = make_req(k, "Sub CA", EVP_sha256(), dup);
	OPENSSL_free(der);
	der = req_der(r, &dl);
	want_refused(der, dl, KR_ERR_X509_CSR, "keyUsage twice");
	/* A certificate. */
	cr_assert_eq(kr_x509_to_pem(root, &cert, &cl), 0);
	want_refused(cert, cl, KR_ERR_X509_CSR, "this is a certificate");
	sk_X509_EXTENSION_pop_free(dup, X509_EXTENSION_free);
	free(cert);
	free(trail);
	free(bad);
	free(pem);
	OPENSSL_free(der);
	X509_REQ_free(r);
	EVP_PKEY_free(other);
	EVP_PKEY_free(k);
}

static const struct opt_case {
	const char	*key, *value, *part;	/* part NULL: accepted */
} opt_cases[] = {
	{ "policies", "2.23.140.1.2.1 1.3.6.1.4.1.99999.1", NULL },
	{ "policies", "anyPolicy", NULL },
	{ "policies", "2.23.140.1.2.1 2.23.140.1.2.1", "listed twice" },
	{ "policies", "2.23.x", "not a dotted OID" },
	{ "policies", "2.023.1", "not a dotted OID" },
	{ "policies", "7.1.2", "not a dotted OID" },
	{ "eku", "serverAuth clientAuth 1.3.6.1.5.5.7.3.17", NULL },
	{ "eku", "serverauth", "is not serverAuth" },
	{ "eku", "anyExtendedKeyUsage", "may not carry" },
	{ "crl-uri", "http://crl.example.com/root.crl", NULL },
	{ "crl-uri", "https://crl.example.com/root.crl", "not an http://" },
	{ "crl-uri", "http://crl.example.com/a b", "without spaces" },
	{ "ca-issuers-uri", "http://", "not an http://" },
	{ "ocsp-uri", "http://ocsp.example.com", NULL },
	{ "permitted", "dns:example.com; dns:.example.org; email:ex.com", NULL },
	{ "permitted", "email:pki@example.com; dn:O=Example\\; Inc,C=DE", NULL },
	{ "permitted", "dns:-bad.com", "is not a DNS name" },
	{ "permitted", "dns:a..b", "is not a DNS name" },
	{ "permitted", "ip:10.0.0.0/8", "does not start with" },
	{ "excluded", "email:a@b@c", "is not a mailbox" },
	{ "excluded", "dn:CN=x,FOO=y", "unknown type" },
	{ "excluded", "dns:x.com;dns:x.com", "listed twice" },
	{ "policies", "", NULL },
};

Test(issue, options_read_and_refused)
{
	struct kr_x509_options o;
	size_t i;
	int r;

	for (i = 0; i < sizeof(opt_cases) / sizeof(opt_cases[0]); i++) {
		kr_x509_options_init(&o);
		r = kr_x509_option_parse(&o, opt_cases[i].key,
		    opt_cases[i].value);
		if (opt_cases[i].part == NULL) {
			cr_assert_eq(r, 0, "%s=%s: %s", opt_cases[i].key,
			    opt_cases[i].value, kr_err_detail());
			continue;
		}
		cr_assert_eq(r, KR_ERR_X509_REQUEST, "%s=%s accepted",
		    opt_cases[i].key, opt_cases[i].value);
		cr_assert_not_null(strstr(kr_err_detail(), opt_cases[i].part),
		    "%s=%s: '%s' does not say '%s'", opt_cases[i].key,
		    opt_cases[i].value, kr_err_detail(), opt_cases[i].part);
		cr_assert_eq(strncmp(kr_err_detail(), opt_cases[i].key,
		    strlen(opt_cases[i].key)), 0, "the parameter is named");
	}
	kr_x509_options_init(&o);
	cr_assert_eq(kr_x509_option_parse(&o, "nonsense", "x"),
	    KR_ERR_INVALID_ARGUMENT);
}

static const char *const algs[] = { "ecdsa-p256", "ecdsa-p384",
	"rsa-3072" };

static struct kr_csr *
csr_for(EVP_PKEY *k, const char *cn)
{
	/* EdDSA signs without a separate digest. */
	X509_REQ *r = make_req(k, cn, EVP_PKEY_get_base_id(k) ==
	    EVP_PKEY_ED25519 ? NULL : EVP_sha256(), NULL);
	struct kr_csr *c = NULL;
	unsigned char *der;
	size_t dl;

	der = req_der(r, &dl);
	cr_assert_eq(kr_csr_parse(der, dl, "req.csr", &c), 0, "%s",
	    kr_err_detail());
	OPENSSL_free(der);
	X509_REQ_free(r);
	return c;
}

static void
plan_for(struct kr_csr *c, struct kr_x509_options *o, int *rp,
    struct kr_x509_plan **pp)
{
	struct kr_x509_limits l = { 3653, algs, 3, "test" };

	*rp = kr_x509_plan_new(kr_x509_profile_find("intermediate-ca"), root,
	    c, o, &l, time(NULL), pp);
}

Test(issue, issued_and_verified)
{
	EVP_PKEY *k = key("ecdsa-p256");
	struct kr_csr *c = csr_for(k, "Issuing CA");
	struct kr_x509_options o;
	struct kr_x509_plan *p = NULL;
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	BASIC_CONSTRAINTS *bc;
	X509 *x = NULL;
	int r;

	kr_x509_options_init(&o);
	o.validity_days = 1000;
	o.path_len = 0;
	o.key_usage = KR_X509_KU_DIGITAL_SIGNATURE;
	cr_assert_eq(kr_x509_option_parse(&o, "crl-uri",
	    "http://crl.example.com/r.crl"), 0);
	plan_for(c, &o, &r, &p);
	cr_assert_eq(r, 0, "%s", kr_err_detail());
	cr_assert_eq(strncmp(p->file_name, "intermediate-", 13), 0);
	cr_assert_eq(strlen(p->serial_hex), 32);
	cr_assert_eq(kr_x509_issue(p, root_key, time(NULL), &x), 0, "%s",
	    kr_err_detail());
	cr_assert_eq(X509_check_issued(root, x), X509_V_OK);
	cr_assert_eq(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE |
	    KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	bc = X509_get_ext_d2i(x, NID_basic_constraints, NULL, NULL);
	cr_assert(bc != NULL && bc->ca && ASN1_INTEGER_get(bc->pathlen) == 0);
	BASIC_CONSTRAINTS_free(bc);
	cr_assert_eq(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(x),
	    X509_get0_subject_key_id(root)), 0, "AKI = root SKI");
	X509_STORE_add_cert(st, root);
	X509_STORE_CTX_init(ctx, st, x, NULL);
	X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_X509_STRICT);
	cr_assert_eq(X509_verify_cert(ctx), 1, "%s",
	    X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	/* Another key cannot issue it. */
	X509_free(x);
	x = NULL;
	cr_assert_eq(kr_x509_issue(p, k, time(NULL), &x), KR_ERR_KEY_MISMATCH);
	cr_assert_null(x);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	kr_x509_plan_free(p);
	kr_csr_free(c);
	EVP_PKEY_free(k);
}

Test(issue, plan_lists_every_problem)
{
	EVP_PKEY *k = key("ed25519");
	struct kr_csr *c = csr_for(k, "Test Root");
	struct kr_x509_options o;
	struct kr_x509_plan *p = NULL;
	int r;

	kr_x509_options_init(&o);
	o.validity_days = 3700;
	o.path_len = 1;
	plan_for(c, &o, &r, &p);
	cr_assert_eq(r, KR_ERR_X509_PROFILE, "%s", kr_err_detail());
	cr_assert_null(p);
	cr_assert_not_null(strstr(kr_err_detail(), "4 problems"), "%s",
	    kr_err_detail());
	cr_assert_not_null(strstr(kr_err_detail(), "Ed25519, which policy "
	    "test does not allow"));
	cr_assert_not_null(strstr(kr_err_detail(), "outside 1..3653"));
	cr_assert_not_null(strstr(kr_err_detail(), "after the issuer's "
	    "notAfter"));
	cr_assert_not_null(strstr(kr_err_detail(), "path_length 1 is larger"));
	kr_csr_free(c);
	/* The issuer's own key and name. */
	c = csr_for(root_key, "Test Root");
	o.validity_days = 100;
	o.path_len = 0;
	plan_for(c, &o, &r, &p);
	cr_assert_eq(r, KR_ERR_X509_PROFILE);
	cr_assert_not_null(strstr(kr_err_detail(), "issuer's own key"));
	kr_csr_free(c);
	EVP_PKEY_free(k);
}

Test(issue, rehearsal_marks_the_cn)
{
	EVP_PKEY *k = key("ecdsa-p384");
	struct kr_csr *c = csr_for(k, "Issuing CA");
	struct kr_x509_options o;
	struct kr_x509_plan *p = NULL;
	int r;

	kr_x509_options_init(&o);
	o.validity_days = 10;
	o.path_len = 0;
	o.rehearsal = 1;
	plan_for(c, &o, &r, &p);
	cr_assert_eq(r, 0, "%s", kr_err_detail());
	cr_assert_str_eq(p->subject_text, "CN=Issuing CA (REHEARSAL)");
	kr_x509_plan_free(p);
	kr_csr_free(c);
	c = csr_for(k, "A common name that is exactly sixty characters long, "
	    "padded..");
	plan_for(c, &o, &r, &p);
	cr_assert_eq(r, KR_ERR_X509_PROFILE);
	cr_assert_not_null(strstr(kr_err_detail(), "for a rehearsal"));
	kr_csr_free(c);
	EVP_PKEY_free(k);
}

Test(issue, lint_catches_what_is_not_planned)
{
	EVP_PKEY *k = key("ecdsa-p256");
	struct kr_csr *c = csr_for(k, "Issuing CA");
	struct kr_x509_options o;
	struct kr_x509_plan *p = NULL;
	X509_EXTENSION *san;
	ASN1_INTEGER *one = ASN1_INTEGER_new();
	X509 *x = NULL;
	int r;

	kr_x509_options_init(&o);
	o.validity_days = 10;
	o.path_len = 0;
	plan_for(c, &o, &r, &p);
	cr_assert_eq(r, 0);
	cr_assert_eq(kr_x509_plan_tbs(p, time(NULL), &x), 0);
	cr_assert_eq(kr_x509_lint(p, x, 0), 0, "%s", kr_err_detail());
	san = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name,
	    "DNS:x.example");
	cr_assert_eq(X509_add_ext(x, san, -1), 1);
	ASN1_INTEGER_set(one, 1);
	cr_assert_eq(X509_set_serialNumber(x, one), 1);
	cr_assert_eq(kr_x509_lint(p, x, 0), KR_ERR_X509_PROFILE);
	cr_assert_not_null(strstr(kr_err_detail(), "carries subjectAltName"),
	    "%s", kr_err_detail());
	cr_assert_not_null(strstr(kr_err_detail(), "serial number"), "%s",
	    kr_err_detail());
	X509_EXTENSION_free(san);
	ASN1_INTEGER_free(one);
	X509_free(x);
	kr_x509_plan_free(p);
	kr_csr_free(c);
	EVP_PKEY_free(k);
}
