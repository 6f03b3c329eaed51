/*
 * ocsp.c: planning, signing and checking pre-signed OCSP responses
 * (ocsp.h, RFC 6960).
 *
 * OpenSSL's OCSP_* functions encode the response; the signature is made
 * through the same digest-sign context as certificates and CRLs
 * (kr_x509_sign_init(), the signature table in x509.c), so a root signs
 * its responses with the algorithm it signs everything with.  What is
 * signed is then decoded again and compared with the plan field by
 * field, without reusing the builder, and verified by OpenSSL's own
 * OCSP_basic_verify() with the root as the only certificate it knows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "base/err.h"
#include "base/hex.h"
#include "ocsp.h"
#include "x509-int.h"

/* --- planning ------------------------------------------------------------ */

/* The root's hashes: CertID (SHA-256) and ResponderID byKey (SHA-1). */
static int
issuer_hashes(struct kr_ocsp_plan *p)
{
	const ASN1_BIT_STRING *key = X509_get0_pubkey_bitstr(p->issuer);
	unsigned char *der = NULL;
	int len, ok;

	if (key == NULL || (len = i2d_X509_NAME(X509_get_subject_name(
	    p->issuer), &der)) <= 0)
		return kr_err_libcrypto(KR_ERR_X509_SIGN, "the root's name or "
		    "key");
	ok = EVP_Digest(der, (size_t)len, p->name_hash, NULL, EVP_sha256(),
	    NULL) == 1 && EVP_Digest(key->data, (size_t)key->length,
	    p->key_hash, NULL, EVP_sha256(), NULL) == 1 &&
	    EVP_Digest(key->data, (size_t)key->length, p->responder_key_hash,
	    NULL, EVP_sha1(), NULL) == 1;
	OPENSSL_free(der);
	return ok ? 0 : kr_err_libcrypto(KR_ERR_LIBCRYPTO, "hashing the "
	    "root's name and key");
}

/* Whether the root issued x: its name, its key identifier, its signature. */
static void
check_issued(const struct kr_ocsp_plan *p, const char *source,
    const struct kr_ocsp_entry *e, X509 *x, struct kr_x509_problems *pb)
{
	const ASN1_OCTET_STRING *aki, *ski;
	char issuer[512];

	if (X509_cmp(x, p->issuer) == 0 || EVP_PKEY_eq(X509_get0_pubkey(x),
	    X509_get0_pubkey(p->issuer)) == 1) {
		kr_x509_problem(pb, "%s:%zu: %s is the root's own certificate "
		    "(or its key): a root's status is not given by its own OCSP "
		    "responses; leave it out", source, e->line, e->file);
		return;
	}
	if (X509_NAME_cmp(X509_get_issuer_name(x),
	    X509_get_subject_name(p->issuer)) != 0) {
		if (kr_x509_name_text(X509_get_issuer_name(x), issuer,
		    sizeof(issuer)) != 0)
			snprintf(issuer, sizeof(issuer), "?");
		kr_x509_problem(pb, "%s:%zu: %s was not issued by this root: "
		    "its issuer is %s; this root signs the status of its own "
		    "certificates only", source, e->line, e->file, issuer);
		return;
	}
	aki = X509_get0_authority_key_id(x);
	ski = X509_get0_subject_key_id(p->issuer);
	if (aki != NULL && (ski == NULL || ASN1_OCTET_STRING_cmp(aki,
	    ski) != 0))
		kr_x509_problem(pb, "%s:%zu: %s names this root's name as its "
		    "issuer but another key (its authorityKeyIdentifier is not "
		    "the root's): it was not issued by this root", source,
		    e->line, e->file);
	else if (X509_verify(x, X509_get0_pubkey(p->issuer)) != 1)
		kr_x509_problem(pb, "%s:%zu: %s names this root as its issuer "
		    "but its signature does not verify under the root's key: "
		    "it was not issued by this root (or it was altered)",
		    source, e->line, e->file);
	ERR_clear_error();
}

/* The certificate's serial into the entry (a positive INTEGER). */
static void
cert_serial(const char *source, struct kr_ocsp_item *it,
    struct kr_x509_problems *pb)
{
	BIGNUM *bn;
	int n;

	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(it->cert),
	    NULL)) == NULL || BN_is_negative(bn) || BN_is_zero(bn) ||
	    (n = BN_num_bytes(bn)) > KR_CRL_SERIAL_MAX)
		kr_x509_problem(pb, "%s:%zu: %s has a serial number that is not "
		    "a positive integer of at most 20 octets", source,
		    it->e.line, it->e.file);
	else {
		it->e.rev.serial_len = (size_t)BN_bn2bin(bn, it->e.rev.serial);
		kr_hex_encode(it->e.rev.serial, it->e.rev.serial_len,
		    it->e.rev.serial_hex, sizeof(it->e.rev.serial_hex));
	}
	BN_free(bn);
	ERR_clear_error();
}

static void
check_item(const struct kr_ocsp_plan *p, const char *source,
    struct kr_ocsp_item *it, struct kr_x509_problems *pb)
{
	const char *why;
	ASN1_TIME *t;

	if (it->cert != NULL) {
		check_issued(p, source, &it->e, it->cert, pb);
		cert_serial(source, it, pb);
		if (kr_x509_name_text(X509_get_subject_name(it->cert),
		    it->subject, sizeof(it->subject)) != 0)
			snprintf(it->subject, sizeof(it->subject), "?");
		(void)kr_x509_time_text(X509_get0_notAfter(it->cert),
		    "notAfter", it->not_after);
		if (it->e.revoked && it->e.rev.date != 0 &&
		    (t = ASN1_TIME_set(NULL, it->e.rev.date)) != NULL) {
			if (ASN1_TIME_compare(t,
			    X509_get0_notBefore(it->cert)) < 0)
				kr_x509_problem(pb, "%s:%zu: %s is revoked on a "
				    "date before its notBefore: it cannot have "
				    "been revoked before it was valid", source,
				    it->e.line, it->e.file);
			ASN1_TIME_free(t);
		}
	}
	if (it->e.revoked && (why = kr_crl_reason_refused(
	    it->e.rev.reason)) != NULL)
		kr_x509_problem(pb, "%s:%zu: reason %s", source, it->e.line,
		    why);
	ERR_clear_error();
}

static void
check_serials(const struct kr_ocsp_plan *p, const char *source,
    struct kr_x509_problems *pb)
{
	const struct kr_crl_entry *a, *b;
	size_t i, j;

	for (i = 0; i < p->n; i++)
		for (j = 0; j < i; j++) {
			a = &p->items[i].e.rev;
			b = &p->items[j].e.rev;
			if (a->serial_len != 0 && a->serial_len ==
			    b->serial_len && memcmp(a->serial, b->serial,
			    a->serial_len) == 0)
				kr_x509_problem(pb, "%s:%zu: serial %s is named "
				    "already on line %zu: one response per "
				    "certificate", source, p->items[i].e.line,
				    a->serial_hex, p->items[j].e.line);
		}
}

static void
check_days(const struct kr_ocsp_plan *p, time_t now,
    struct kr_x509_problems *pb)
{
	ASN1_TIME *end;
	char root_end[21] = "?";

	if (p->next_update_days < 1 ||
	    (unsigned)p->next_update_days > p->max_days) {
		kr_x509_problem(pb, "next_update_days %d is outside 1..%u, the "
		    "most policy %s allows (max-ocsp-next-update-days)",
		    p->next_update_days, p->max_days, p->policy);
		return;
	}
	(void)kr_x509_time_text(X509_get0_notAfter(p->issuer), "notAfter",
	    root_end);
	if ((end = X509_time_adj_ex(NULL, p->next_update_days, 0, &now)) ==
	    NULL || ASN1_TIME_compare(end, X509_get0_notAfter(p->issuer)) > 0)
		kr_x509_problem(pb, "next_update_days %d would put nextUpdate "
		    "after the root's notAfter (%s): a response may not outlive "
		    "the key that signed it", p->next_update_days, root_end);
	ASN1_TIME_free(end);
	ERR_clear_error();
}

static void
name_outputs(struct kr_ocsp_plan *p, const char *source, const char *prefix,
    time_t now, struct kr_x509_problems *pb)
{
	char day[9], name[KR_OCSP_FILE_MAX + 64];
	struct tm tm;
	size_t i;

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(day, sizeof(day), "%Y%m%d", &tm) != 8)
		snprintf(day, sizeof(day), "00000000");
	for (i = 0; i < p->n; i++) {
		snprintf(name, sizeof(name), "%.64s-%s-%s.der", prefix,
		    p->items[i].e.rev.serial_hex, day);
		if (strlen(name) > KR_OCSP_FILE_MAX)
			kr_x509_problem(pb, "%s:%zu: the output name %s is "
			    "longer than %d bytes: give a shorter prefix",
			    source, p->items[i].e.line, name,
			    KR_OCSP_FILE_MAX);
		else
			memcpy(p->items[i].file_name, name, strlen(name) + 1);
	}
}

int
kr_ocsp_plan_new(X509 *issuer, const struct kr_ocsp_list *l,
    X509 *const *certs, const char *prefix, int next_update_days,
    unsigned max_days, const char *policy, time_t now,
    struct kr_ocsp_plan **pp)
{
	struct kr_x509_problems pb;
	struct kr_ocsp_plan *p = NULL;
	size_t i;
	int r = KR_ERR_INTERNAL;

	*pp = NULL;
	if (issuer == NULL || l == NULL || certs == NULL || prefix == NULL ||
	    l->n == 0)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "planning OCSP "
		    "responses: something is missing");
	memset(&pb, 0, sizeof(pb));
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->items = calloc(l->n, sizeof(*p->items))) == NULL) {
		free(p);
		return kr_err_set(KR_ERR_NOMEM, "planning OCSP responses");
	}
	if (X509_up_ref(issuer) != 1) {
		free(p->items);
		free(p);
		return kr_err_libcrypto(KR_ERR_INTERNAL, "issuer");
	}
	p->issuer = issuer;
	p->next_update_days = next_update_days;
	p->max_days = max_days;
	snprintf(p->policy, sizeof(p->policy), "%s", policy ? policy : "?");
	for (i = 0; i < l->n; i++, p->n++) {
		p->items[i].e = l->e[i];
		if ((l->e[i].file[0] != '\0') != (certs[i] != NULL)) {
			r = kr_err_set(KR_ERR_INVALID_ARGUMENT, "%s:%zu: the "
			    "certificate read does not match the line",
			    l->source, l->e[i].line);
			goto out;
		}
		if (certs[i] != NULL && X509_up_ref(certs[i]) == 1)
			p->items[i].cert = certs[i];
		check_item(p, l->source, &p->items[i], &pb);
	}
	check_serials(p, l->source, &pb);
	check_days(p, now, &pb);
	name_outputs(p, l->source, prefix, now, &pb);
	if (pb.n > 0) {
		r = kr_err_set(KR_ERR_OCSP, "%s: %zu problem%s:%s", l->source,
		    pb.n, pb.n == 1 ? "" : "s", pb.text);
		goto out;
	}
	if ((r = issuer_hashes(p)) != 0)
		goto out;
	*pp = p;
	p = NULL;
	r = 0;
 out:
	kr_ocsp_plan_free(p);
	return r;
}

void
kr_ocsp_plan_free(struct kr_ocsp_plan *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n; i++)
		X509_free(p->items[i].cert);
	free(p->items);
	X509_free(p->issuer);
	free(p);
}

/* --- building and signing ------------------------------------------------ */

static int
build(const struct kr_ocsp_plan *p, const struct kr_ocsp_item *it,
    time_t now, OCSP_BASICRESP **bsp)
{
	OCSP_BASICRESP *bs = NULL;
	OCSP_CERTID *id = NULL;
	ASN1_INTEGER *serial = NULL;
	ASN1_TIME *tu = NULL, *nu = NULL, *rt = NULL;
	int r = KR_ERR_INTERNAL;

	*bsp = NULL;
	if ((r = kr_x509_serial_integer(it->e.rev.serial,
	    it->e.rev.serial_len, &serial)) != 0)
		goto out;
	if ((id = OCSP_cert_id_new(EVP_sha256(), X509_get_subject_name(
	    p->issuer), X509_get0_pubkey_bitstr(p->issuer), serial)) == NULL ||
	    (bs = OCSP_BASICRESP_new()) == NULL ||
	    (tu = ASN1_GENERALIZEDTIME_set(NULL, now)) == NULL ||
	    (nu = ASN1_GENERALIZEDTIME_adj(NULL, now, p->next_update_days,
	    0)) == NULL || (it->e.revoked && (rt = ASN1_GENERALIZEDTIME_set(
	    NULL, it->e.rev.date ? it->e.rev.date : now)) == NULL) ||
	    OCSP_basic_add1_status(bs, id, it->e.revoked ?
	    V_OCSP_CERTSTATUS_REVOKED : V_OCSP_CERTSTATUS_GOOD,
	    it->e.revoked ? it->e.rev.reason : OCSP_REVOKED_STATUS_NOSTATUS,
	    rt, tu, nu) == NULL) {
		r = kr_err_libcrypto(KR_ERR_X509_SIGN, "building an OCSP "
		    "response");
		goto out;
	}
	*bsp = bs;
	bs = NULL;
	r = 0;
 out:
	OCSP_BASICRESP_free(bs);
	OCSP_CERTID_free(id);
	ASN1_INTEGER_free(serial);
	ASN1_TIME_free(tu);
	ASN1_TIME_free(nu);
	ASN1_TIME_free(rt);
	return r;
}

/* Signs bs (byKey, no certificates); *derp the whole OCSPResponse. */
static int
sign(const struct kr_ocsp_plan *p, OCSP_BASICRESP *bs, EVP_PKEY *key,
    uint8_t **derp, size_t *lenp)
{
	const struct kr_x509_sig *sig = NULL;
	EVP_MD_CTX *mctx = NULL;
	OCSP_RESPONSE *resp = NULL;
	unsigned char *der = NULL;
	int len, r = KR_ERR_INTERNAL;

	*derp = NULL;
	if ((r = kr_x509_sig_of(key, &sig)) != 0 ||
	    (r = kr_x509_sign_init(key, sig, &mctx)) != 0)
		goto out;
	if (OCSP_basic_sign_ctx(bs, p->issuer, mctx, NULL, OCSP_NOCERTS |
	    OCSP_RESPID_KEY) != 1 || (resp = OCSP_response_create(
	    OCSP_RESPONSE_STATUS_SUCCESSFUL, bs)) == NULL ||
	    (len = i2d_OCSP_RESPONSE(resp, &der)) <= 0) {
		r = kr_err_libcrypto(KR_ERR_X509_SIGN, "signing an OCSP "
		    "response");
		goto out;
	}
	if ((*derp = malloc((size_t)len)) == NULL) {
		r = kr_err_set(KR_ERR_NOMEM, "an OCSP response");
		goto out;
	}
	memcpy(*derp, der, (size_t)len);
	*lenp = (size_t)len;
	r = 0;
 out:
	EVP_MD_CTX_free(mctx);
	OCSP_RESPONSE_free(resp);
	OPENSSL_free(der);
	return r;
}

/* --- checking what was signed -------------------------------------------- */

static int
octets_are(const ASN1_OCTET_STRING *s, const uint8_t *b, size_t n)
{
	return s != NULL && (size_t)s->length == n && memcmp(s->data, b, n) ==
	    0;
}

static void
lint_single(const struct kr_ocsp_plan *p, const struct kr_ocsp_item *it,
    OCSP_SINGLERESP *single, time_t now, struct kr_x509_problems *pb)
{
	ASN1_OCTET_STRING *nh = NULL, *kh = NULL;
	ASN1_OBJECT *md = NULL;
	ASN1_INTEGER *serial = NULL;
	ASN1_GENERALIZEDTIME *rt = NULL, *tu = NULL, *nu = NULL;
	ASN1_INTEGER *want = NULL;
	OCSP_CERTID *id;
	int status, reason = -1, days = 0, sec = 0;

	/* A copy: OpenSSL reads a CertID's parts from a non-const one only. */
	if ((id = OCSP_CERTID_dup(OCSP_SINGLERESP_get0_id(single))) == NULL ||
	    OCSP_id_get0_info(&nh, &md, &kh, &serial, id) != 1 ||
	    OBJ_obj2nid(md) != NID_sha256)
		kr_x509_problem(pb, "the CertID is not SHA-256");
	if (!octets_are(nh, p->name_hash, 32) ||
	    !octets_are(kh, p->key_hash, 32))
		kr_x509_problem(pb, "the CertID's issuer hashes are not the "
		    "root's name and key");
	if (kr_x509_serial_integer(it->e.rev.serial, it->e.rev.serial_len,
	    &want) != 0 || serial == NULL || ASN1_INTEGER_cmp(serial,
	    want) != 0)
		kr_x509_problem(pb, "the CertID's serial is not %s",
		    it->e.rev.serial_hex);
	ASN1_INTEGER_free(want);
	OCSP_CERTID_free(id);
	status = OCSP_single_get0_status(single, &reason, &rt, &tu, &nu);
	if (status != (it->e.revoked ? V_OCSP_CERTSTATUS_REVOKED :
	    V_OCSP_CERTSTATUS_GOOD))
		kr_x509_problem(pb, "the status is not %s",
		    kr_ocsp_status_name(&it->e));
	if (it->e.revoked && (reason != it->e.rev.reason || rt == NULL ||
	    ASN1_TIME_cmp_time_t(rt, it->e.rev.date ? it->e.rev.date :
	    now) != 0))
		kr_x509_problem(pb, "the revocation's reason or time is not "
		    "the list's");
	if (tu == NULL || ASN1_TIME_cmp_time_t(tu, now) != 0 ||
	    ASN1_STRING_type(tu) != V_ASN1_GENERALIZEDTIME)
		kr_x509_problem(pb, "thisUpdate is not the signing time");
	if (nu == NULL || ASN1_TIME_diff(&days, &sec, tu, nu) != 1 ||
	    days != p->next_update_days || sec != 0)
		kr_x509_problem(pb, "nextUpdate is not exactly %d days after "
		    "thisUpdate", p->next_update_days);
	if (OCSP_SINGLERESP_get_ext_count(single) != 0)
		kr_x509_problem(pb, "the single response carries extensions");
	ERR_clear_error();
}

static void
lint_basic(const struct kr_ocsp_plan *p, const struct kr_ocsp_item *it,
    OCSP_BASICRESP *bs, time_t now, struct kr_x509_problems *pb)
{
	const ASN1_OCTET_STRING *by_key = NULL;
	const X509_NAME *by_name = NULL;
	const struct kr_x509_sig *sig = NULL;
	const X509_ALGOR *alg;
	const STACK_OF(X509) *certs;

	if (OCSP_resp_get0_id(bs, &by_key, &by_name) != 1 || by_name != NULL ||
	    !octets_are(by_key, p->responder_key_hash, 20))
		kr_x509_problem(pb, "the ResponderID is not byKey, the SHA-1 "
		    "of the root's key");
	if (OCSP_resp_get0_produced_at(bs) == NULL ||
	    ASN1_STRING_type(OCSP_resp_get0_produced_at(bs)) !=
	    V_ASN1_GENERALIZEDTIME)
		kr_x509_problem(pb, "producedAt is missing");
	if ((certs = OCSP_resp_get0_certs(bs)) != NULL &&
	    sk_X509_num(certs) != 0)
		kr_x509_problem(pb, "it carries certificates");
	if (OCSP_BASICRESP_get_ext_count(bs) != 0)
		kr_x509_problem(pb, "it carries response extensions");
	alg = OCSP_resp_get0_tbs_sigalg(bs);
	if (kr_x509_sig_of(X509_get0_pubkey(p->issuer), &sig) != 0 ||
	    alg == NULL || OBJ_obj2nid(alg->algorithm) != sig->sig_nid)
		kr_x509_problem(pb, "it is not signed with the root's signature "
		    "algorithm");
	if (OCSP_resp_count(bs) != 1)
		kr_x509_problem(pb, "it holds %d single responses, not 1",
		    OCSP_resp_count(bs));
	else
		lint_single(p, it, OCSP_resp_get0(bs, 0), now, pb);
	ERR_clear_error();
}

/* OpenSSL's own verification: the root the only certificate it knows. */
static int
verify(const struct kr_ocsp_plan *p, OCSP_BASICRESP *bs)
{
	STACK_OF(X509) *certs = NULL;
	X509_STORE *st = NULL;
	int r = KR_ERR_INTERNAL;

	if ((certs = sk_X509_new_null()) == NULL ||
	    sk_X509_push(certs, p->issuer) <= 0 ||
	    (st = X509_STORE_new()) == NULL ||
	    X509_STORE_add_cert(st, p->issuer) != 1) {
		r = kr_err_libcrypto(KR_ERR_NOMEM, "verifying a response");
		goto out;
	}
	if (OCSP_basic_verify(bs, certs, st, 0) != 1) {
		r = kr_err_libcrypto(KR_ERR_X509_VERIFY, "the signed OCSP "
		    "response does not verify under the root with "
		    "OCSP_basic_verify(); nothing was written");
		goto out;
	}
	r = 0;
 out:
	ERR_clear_error();
	sk_X509_free(certs);
	X509_STORE_free(st);
	return r;
}

/* Decodes der, which must re-encode the same, and checks it. */
static int
check(const struct kr_ocsp_plan *p, const struct kr_ocsp_item *it,
    const uint8_t *der, size_t len, time_t now, struct kr_ocsp_response *out)
{
	struct kr_x509_problems pb;
	const unsigned char *q = der;
	unsigned char *again = NULL;
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *bs = NULL;
	int r = KR_ERR_INTERNAL, n;

	memset(&pb, 0, sizeof(pb));
	if ((resp = d2i_OCSP_RESPONSE(NULL, &q, (long)len)) == NULL ||
	    q != der + len || (n = i2d_OCSP_RESPONSE(resp, &again)) !=
	    (int)len || memcmp(again, der, len) != 0 ||
	    OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL ||
	    (bs = OCSP_response_get1_basic(resp)) == NULL) {
		r = kr_err_libcrypto(KR_ERR_X509_SELFCHECK, "the signed OCSP "
		    "response does not decode and re-encode to the same bytes "
		    "as a successful basic response");
		goto out;
	}
	lint_basic(p, it, bs, now, &pb);
	if (pb.n > 0) {
		r = kr_err_set(KR_ERR_X509_PROFILE, "the OCSP response for %s "
		    "against its plan: %zu problem%s:%s", it->e.rev.serial_hex,
		    pb.n, pb.n == 1 ? "" : "s", pb.text);
		goto out;
	}
	if ((r = verify(p, bs)) != 0 ||
	    (r = kr_x509_time_text(OCSP_resp_get0_produced_at(bs),
	    "producedAt", out->produced_at)) != 0)
		goto out;
	r = 0;
 out:
	ERR_clear_error();
	OPENSSL_free(again);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	return r;
}

static void
date_text(time_t t, char out[21])
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) != 20)
		snprintf(out, 21, "?");
}

int
kr_ocsp_issue(const struct kr_ocsp_plan *p, EVP_PKEY *key, time_t now,
    struct kr_ocsp_response **rp)
{
	struct kr_ocsp_response *out = NULL;
	OCSP_BASICRESP *bs = NULL;
	size_t i;
	int r = KR_ERR_INTERNAL;

	*rp = NULL;
	if (p == NULL || key == NULL)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "signing OCSP "
		    "responses: no plan or no key");
	if (EVP_PKEY_eq(X509_get0_pubkey(p->issuer), key) != 1) {
		ERR_clear_error();
		return kr_err_set(KR_ERR_KEY_MISMATCH, "signing OCSP "
		    "responses: the key is not the root certificate's key");
	}
	if ((out = calloc(p->n, sizeof(*out))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "OCSP responses");
	for (i = 0; i < p->n; i++) {
		if ((r = build(p, &p->items[i], now, &bs)) != 0 ||
		    (r = sign(p, bs, key, &out[i].der, &out[i].len)) != 0 ||
		    (r = check(p, &p->items[i], out[i].der, out[i].len, now,
		    &out[i])) != 0)
			goto out;
		OCSP_BASICRESP_free(bs);
		bs = NULL;
		if (EVP_Digest(out[i].der, out[i].len, out[i].sha256, NULL,
		    EVP_sha256(), NULL) != 1) {
			r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "hashing a "
			    "response");
			goto out;
		}
		date_text(now, out[i].this_update);
		date_text(now + 86400 * (time_t)p->next_update_days,
		    out[i].next_update);
	}
	*rp = out;
	out = NULL;
	r = 0;
 out:
	OCSP_BASICRESP_free(bs);
	kr_ocsp_responses_free(out, p->n);
	return r;
}

void
kr_ocsp_responses_free(struct kr_ocsp_response *r, size_t n)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < n; i++)
		free(r[i].der);
	free(r);
}
