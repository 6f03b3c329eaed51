/*
 * x509-lint.c: checking a certificate against its plan and profile
 * (kr_x509_lint(), x509-issue.h), before it is signed and again after.
 *
 * The checks decode what was built, field by field, with OpenSSL's
 * decoders, and compare it with the plan's options on their own terms:
 * they do not reuse the builders of x509-issue.c, so a builder that
 * writes the wrong thing is caught here.  Every problem is listed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/err.h"
#include "x509-int.h"
#include "x509-issue.h"

/* Whether the DER encodings of two names are the same bytes. */
static int
same_name(const X509_NAME *a, const X509_NAME *b)
{
	const unsigned char *da = NULL, *db = NULL;
	size_t la = 0, lb = 0;

	return X509_NAME_get0_der(a, &da, &la) == 1 &&
	    X509_NAME_get0_der(b, &db, &lb) == 1 && la == lb &&
	    memcmp(da, db, la) == 0;
}

static void
lint_fields(const struct kr_x509_plan *p, X509 *x,
    struct kr_x509_problems *pb)
{
	const ASN1_BIT_STRING *iuid = NULL, *suid = NULL;
	unsigned char *spki = NULL, *q;
	uint8_t b[21];
	BIGNUM *bn;
	int n, len;

	if (X509_get_version(x) != X509_VERSION_3)
		kr_x509_problem(pb, "not version 3");
	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL)) ==
	    NULL || BN_is_negative(bn) || BN_is_zero(bn) ||
	    (n = BN_num_bytes(bn)) < 8 || n > 20)
		kr_x509_problem(pb, "the serial number is not a positive "
		    "integer of 64 to 159 bits (RFC 5280 4.1.2.2, BR 7.1)");
	else if (BN_bn2bin(bn, b) != (int)sizeof(p->serial) ||
	    memcmp(b, p->serial, sizeof(p->serial)) != 0)
		kr_x509_problem(pb, "the serial number is not the one planned");
	BN_free(bn);
	if (!same_name(X509_get_issuer_name(x),
	    X509_get_subject_name(p->issuer)))
		kr_x509_problem(pb, "the issuer name is not the issuer "
		    "certificate's subject byte for byte");
	if (!same_name(X509_get_subject_name(x), p->subject) ||
	    X509_NAME_entry_count(X509_get_subject_name(x)) == 0)
		kr_x509_problem(pb, "the subject is not the planned one");
	if ((len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), NULL)) <= 0 ||
	    (spki = malloc((size_t)len)) == NULL ||
	    (q = spki, i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &q)) != len ||
	    (size_t)len != p->spki_len || memcmp(spki, p->spki, p->spki_len)
	    != 0)
		kr_x509_problem(pb, "the subjectPublicKeyInfo is not the "
		    "request's byte for byte");
	free(spki);
	X509_get0_uids(x, &iuid, &suid);
	if (iuid != NULL || suid != NULL)
		kr_x509_problem(pb, "it carries a unique identifier (RFC 5280 "
		    "4.1.2.8: CAs must not)");
	if (X509_get_extension_flags(x) & EXFLAG_INVALID)
		kr_x509_problem(pb, "OpenSSL finds its extensions invalid");
}

/* UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 4.1.2.5). */
static int
time_type_ok(const ASN1_TIME *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return ASN1_STRING_type(t) == (tm.tm_year + 1900 < 2050 ?
	    V_ASN1_UTCTIME : V_ASN1_GENERALIZEDTIME);
}

static void
lint_validity(const struct kr_x509_plan *p, X509 *x,
    struct kr_x509_problems *pb)
{
	const ASN1_TIME *nb = X509_get0_notBefore(x);
	const ASN1_TIME *na = X509_get0_notAfter(x);
	int days = 0, sec = 0;

	if (!time_type_ok(nb) || !time_type_ok(na))
		kr_x509_problem(pb, "a validity time is not UTCTime before "
		    "2050 and GeneralizedTime after");
	if (ASN1_TIME_diff(&days, &sec, nb, na) != 1 ||
	    days != p->opt.validity_days || sec != 0)
		kr_x509_problem(pb, "the validity is not exactly %d days",
		    p->opt.validity_days);
	if (days < 1 || (unsigned)days > p->limits.max_days)
		kr_x509_problem(pb, "the validity of %d days is over policy "
		    "%s's %u for %s", days, p->limits.policy,
		    p->limits.max_days, p->profile->policy_class);
	if (ASN1_TIME_compare(na, X509_get0_notAfter(p->issuer)) > 0)
		kr_x509_problem(pb, "notAfter is after the issuer's notAfter");
	if (ASN1_TIME_compare(nb, X509_get0_notBefore(p->issuer)) < 0)
		kr_x509_problem(pb, "notBefore is before the issuer's "
		    "notBefore (is the clock right?)");
	ERR_clear_error();
}

/* The extensions expected, by NID, from the plan's options. */
static size_t
expected(const struct kr_x509_plan *p, int *nids)
{
	size_t n = 0;

	nids[n++] = NID_basic_constraints;
	nids[n++] = NID_key_usage;
	nids[n++] = NID_subject_key_identifier;
	nids[n++] = NID_authority_key_identifier;
	if (p->opt.nekus > 0)
		nids[n++] = NID_ext_key_usage;
	if (p->opt.npolicies > 0)
		nids[n++] = NID_certificate_policies;
	if (p->opt.npermitted + p->opt.nexcluded > 0)
		nids[n++] = NID_name_constraints;
	if (p->opt.crl_uri[0] != '\0')
		nids[n++] = NID_crl_distribution_points;
	if (p->opt.ocsp_uri[0] != '\0' || p->opt.ca_issuers_uri[0] != '\0')
		nids[n++] = NID_info_access;
	if (p->profile->flags & KR_X509_PROF_OCSP_SIGNER)
		nids[n++] = NID_id_pkix_OCSP_noCheck;
	return n;
}

static void
lint_set(const struct kr_x509_plan *p, X509 *x, struct kr_x509_problems *pb)
{
	int nids[16], i, j, count = X509_get_ext_count(x), nid;
	size_t n = expected(p, nids), k;
	const ASN1_OBJECT *o;

	for (i = 0; i < count; i++) {
		o = X509_EXTENSION_get_object(X509_get_ext(x, i));
		nid = OBJ_obj2nid(o);
		for (k = 0; k < n && nids[k] != nid; k++)
			;
		if (k == n)
			kr_x509_problem(pb, "it carries %s, which the plan "
			    "does not", nid != NID_undef ? OBJ_nid2sn(nid) :
			    "an unknown extension");
		for (j = i + 1; j < count; j++)
			if (OBJ_cmp(o, X509_EXTENSION_get_object(
			    X509_get_ext(x, j))) == 0)
				kr_x509_problem(pb, "%s appears twice",
				    OBJ_nid2sn(nid));
	}
	for (k = 0; k < n; k++)
		if (X509_get_ext_by_NID(x, nids[k], -1) < 0)
			kr_x509_problem(pb, "%s is missing",
			    OBJ_nid2sn(nids[k]));
}

static void
want_critical(X509 *x, int nid, int critical, struct kr_x509_problems *pb)
{
	int at = X509_get_ext_by_NID(x, nid, -1);

	if (at >= 0 && (X509_EXTENSION_get_critical(X509_get_ext(x, at)) >
	    0) != critical)
		kr_x509_problem(pb, "%s must %sbe critical", OBJ_nid2sn(nid),
		    critical ? "" : "not ");
}

static void
lint_bc_ku(const struct kr_x509_plan *p, X509 *x, struct kr_x509_problems *pb)
{
	unsigned want = p->profile->ku_required | p->opt.key_usage;
	BASIC_CONSTRAINTS *bc;
	ASN1_BIT_STRING *ku;
	int i;

	if ((bc = X509_get_ext_d2i(x, NID_basic_constraints, NULL, NULL)) !=
	    NULL) {
		if ((bc->ca != 0) != (p->profile->ca != 0))
			kr_x509_problem(pb, "basicConstraints cA is not %s",
			    p->profile->ca ? "TRUE" : "FALSE");
		if (p->opt.path_len < 0 ? bc->pathlen != NULL :
		    (bc->pathlen == NULL ||
		    ASN1_INTEGER_get(bc->pathlen) != p->opt.path_len))
			kr_x509_problem(pb, "pathLenConstraint is not %d",
			    p->opt.path_len);
		BASIC_CONSTRAINTS_free(bc);
	}
	if ((ku = X509_get_ext_d2i(x, NID_key_usage, NULL, NULL)) != NULL) {
		for (i = 0; i < 16; i++)
			if ((ASN1_BIT_STRING_get_bit(ku, i) != 0) !=
			    ((want & (1u << i)) != 0))
				kr_x509_problem(pb, "keyUsage bit %d is %s", i,
				    ASN1_BIT_STRING_get_bit(ku, i) ? "set" :
				    "clear");
		if (ku->length > 2)
			kr_x509_problem(pb, "keyUsage is longer than its bits");
		ASN1_BIT_STRING_free(ku);
	}
	want_critical(x, NID_basic_constraints, 1, pb);
	want_critical(x, NID_key_usage, 1, pb);
}

static void
lint_key_ids(const struct kr_x509_plan *p, X509 *x,
    struct kr_x509_problems *pb)
{
	const ASN1_OCTET_STRING *issuer_ski;
	ASN1_OCTET_STRING *ski;
	AUTHORITY_KEYID *aki;
	uint8_t mine[KR_X509_SKI_BYTES];

	if ((ski = X509_get_ext_d2i(x, NID_subject_key_identifier, NULL,
	    NULL)) != NULL) {
		/* A cross-certificate keeps the CA's own, whatever it is. */
		if (p->ski_kept && ((size_t)ski->length != p->ski_len ||
		    memcmp(ski->data, p->ski, p->ski_len) != 0))
			kr_x509_problem(pb, "subjectKeyIdentifier is not the "
			    "subject CA's own");
		else if (!p->ski_kept && (kr_x509_key_identifier(
		    X509_get_X509_PUBKEY(x), mine) != 0 ||
		    ski->length != KR_X509_SKI_BYTES ||
		    memcmp(ski->data, mine, sizeof(mine)) != 0))
			kr_x509_problem(pb, "subjectKeyIdentifier is not the "
			    "SHA-1 of the subject's key (RFC 5280 4.2.1.2)");
		ASN1_OCTET_STRING_free(ski);
	}
	issuer_ski = X509_get0_subject_key_id(p->issuer);
	if ((aki = X509_get_ext_d2i(x, NID_authority_key_identifier, NULL,
	    NULL)) != NULL) {
		if (aki->keyid == NULL || issuer_ski == NULL ||
		    ASN1_OCTET_STRING_cmp(aki->keyid, issuer_ski) != 0)
			kr_x509_problem(pb, "authorityKeyIdentifier is not the "
			    "issuer's subjectKeyIdentifier");
		if (aki->issuer != NULL || aki->serial != NULL)
			kr_x509_problem(pb, "authorityKeyIdentifier carries an "
			    "issuer or serial (BR 7.1.2.11.1: keyIdentifier "
			    "only)");
		AUTHORITY_KEYID_free(aki);
	}
	want_critical(x, NID_subject_key_identifier, 0, pb);
	want_critical(x, NID_authority_key_identifier, 0, pb);
}

static int
oid_is(const ASN1_OBJECT *o, const char *dotted)
{
	char t[KR_X509_OID_MAX];

	return OBJ_obj2txt(t, sizeof(t), o, 1) > 0 && strcmp(t, dotted) == 0;
}

static void
lint_eku_cp(const struct kr_x509_plan *p, X509 *x,
    struct kr_x509_problems *pb)
{
	EXTENDED_KEY_USAGE *eku;
	CERTIFICATEPOLICIES *cp;
	POLICYINFO *pi;
	size_t i;

	if ((eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL)) !=
	    NULL) {
		if ((size_t)sk_ASN1_OBJECT_num(eku) != p->opt.nekus)
			kr_x509_problem(pb, "extendedKeyUsage has %d purposes, "
			    "not %zu", sk_ASN1_OBJECT_num(eku), p->opt.nekus);
		for (i = 0; i < p->opt.nekus &&
		    (int)i < sk_ASN1_OBJECT_num(eku); i++)
			if (!oid_is(sk_ASN1_OBJECT_value(eku, (int)i),
			    p->opt.ekus[i]))
				kr_x509_problem(pb, "extendedKeyUsage purpose "
				    "%zu is not %s", i + 1, p->opt.ekus[i]);
		sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	}
	if ((cp = X509_get_ext_d2i(x, NID_certificate_policies, NULL,
	    NULL)) != NULL) {
		if ((size_t)sk_POLICYINFO_num(cp) != p->opt.npolicies)
			kr_x509_problem(pb, "certificatePolicies has %d "
			    "policies, not %zu", sk_POLICYINFO_num(cp),
			    p->opt.npolicies);
		for (i = 0; i < p->opt.npolicies &&
		    (int)i < sk_POLICYINFO_num(cp); i++) {
			pi = sk_POLICYINFO_value(cp, (int)i);
			if (!oid_is(pi->policyid, p->opt.policies[i]) ||
			    pi->qualifiers != NULL)
				kr_x509_problem(pb, "certificatePolicies entry "
				    "%zu is not %s without qualifiers", i + 1,
				    p->opt.policies[i]);
		}
		sk_POLICYINFO_pop_free(cp, POLICYINFO_free);
	}
	want_critical(x, NID_ext_key_usage, 0, pb);
	want_critical(x, NID_certificate_policies, 0, pb);
}

static int
subtree_is(const GENERAL_SUBTREE *st, const struct kr_x509_subtree *t)
{
	const GENERAL_NAME *gn = st->base;
	X509_NAME *dn = NULL;
	int ok;

	if (st->minimum != NULL || st->maximum != NULL)
		return 0;
	switch (t->type) {
	case KR_X509_SUBTREE_DNS:
	case KR_X509_SUBTREE_EMAIL:
		return gn->type == (t->type == KR_X509_SUBTREE_DNS ? GEN_DNS :
		    GEN_EMAIL) && (size_t)gn->d.ia5->length ==
		    strlen(t->value) && memcmp(gn->d.ia5->data, t->value,
		    strlen(t->value)) == 0;
	case KR_X509_SUBTREE_DN:
		if (gn->type != GEN_DIRNAME ||
		    kr_x509_dn_parse(t->value, &dn) != 0)
			return 0;
		ok = X509_NAME_cmp(dn, gn->d.directoryName) == 0;
		X509_NAME_free(dn);
		return ok;
	}
	return 0;
}

static void
lint_subtrees(const STACK_OF(GENERAL_SUBTREE) *sk,
    const struct kr_x509_subtree *t, size_t n, const char *which,
    struct kr_x509_problems *pb)
{
	size_t i;

	if ((size_t)sk_GENERAL_SUBTREE_num(sk) != n && !(sk == NULL &&
	    n == 0)) {
		kr_x509_problem(pb, "nameConstraints has %d %s subtrees, not "
		    "%zu", sk_GENERAL_SUBTREE_num(sk), which, n);
		return;
	}
	for (i = 0; i < n; i++)
		if (!subtree_is(sk_GENERAL_SUBTREE_value(sk, (int)i), &t[i]))
			kr_x509_problem(pb, "nameConstraints %s subtree %zu is "
			    "not %s", which, i + 1, t[i].value);
}

static int
uri_is(const GENERAL_NAME *gn, const char *uri)
{
	return gn != NULL && gn->type == GEN_URI &&
	    (size_t)gn->d.ia5->length == strlen(uri) &&
	    memcmp(gn->d.ia5->data, uri, strlen(uri)) == 0;
}

static void
lint_nc_crl(const struct kr_x509_plan *p, X509 *x,
    struct kr_x509_problems *pb)
{
	NAME_CONSTRAINTS *nc;
	CRL_DIST_POINTS *dps;
	DIST_POINT *dp;

	if ((nc = X509_get_ext_d2i(x, NID_name_constraints, NULL, NULL)) !=
	    NULL) {
		lint_subtrees(nc->permittedSubtrees, p->opt.permitted,
		    p->opt.npermitted, "permitted", pb);
		lint_subtrees(nc->excludedSubtrees, p->opt.excluded,
		    p->opt.nexcluded, "excluded", pb);
		NAME_CONSTRAINTS_free(nc);
	}
	if ((dps = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL,
	    NULL)) != NULL) {
		dp = sk_DIST_POINT_num(dps) == 1 ? sk_DIST_POINT_value(dps, 0) :
		    NULL;
		if (dp == NULL || dp->reasons != NULL ||
		    dp->CRLissuer != NULL || dp->distpoint == NULL ||
		    dp->distpoint->type != 0 ||
		    sk_GENERAL_NAME_num(dp->distpoint->name.fullname) != 1 ||
		    !uri_is(sk_GENERAL_NAME_value(dp->distpoint->name.fullname,
		    0), p->opt.crl_uri))
			kr_x509_problem(pb, "cRLDistributionPoints is not one "
			    "point with the URI %s", p->opt.crl_uri);
		sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	}
	want_critical(x, NID_name_constraints, 1, pb);
	want_critical(x, NID_crl_distribution_points, 0, pb);
}

static void
lint_aia(const struct kr_x509_plan *p, X509 *x, struct kr_x509_problems *pb)
{
	AUTHORITY_INFO_ACCESS *aia;
	ACCESS_DESCRIPTION *ad;
	int i = 0, ok = 1;

	if ((aia = X509_get_ext_d2i(x, NID_info_access, NULL, NULL)) == NULL)
		return;
	if (p->opt.ocsp_uri[0] != '\0') {
		ad = sk_ACCESS_DESCRIPTION_value(aia, i++);
		ok = ad != NULL && OBJ_obj2nid(ad->method) == NID_ad_OCSP &&
		    uri_is(ad->location, p->opt.ocsp_uri);
	}
	if (ok && p->opt.ca_issuers_uri[0] != '\0') {
		ad = sk_ACCESS_DESCRIPTION_value(aia, i++);
		ok = ad != NULL && OBJ_obj2nid(ad->method) ==
		    NID_ad_ca_issuers && uri_is(ad->location,
		    p->opt.ca_issuers_uri);
	}
	if (!ok || sk_ACCESS_DESCRIPTION_num(aia) != i)
		kr_x509_problem(pb, "authorityInfoAccess is not the OCSP and "
		    "caIssuers URIs given");
	AUTHORITY_INFO_ACCESS_free(aia);
	want_critical(x, NID_info_access, 0, pb);
}

/* id-pkix-ocsp-nocheck: NULL, not critical (RFC 6960 4.2.2.2.1). */
static void
lint_nocheck(X509 *x, struct kr_x509_problems *pb)
{
	const ASN1_OCTET_STRING *v;
	int at;

	if ((at = X509_get_ext_by_NID(x, NID_id_pkix_OCSP_noCheck, -1)) < 0)
		return;
	v = X509_EXTENSION_get_data(X509_get_ext(x, at));
	if (v->length != 2 || v->data[0] != 0x05 || v->data[1] != 0x00)
		kr_x509_problem(pb, "id-pkix-ocsp-nocheck is not NULL");
	want_critical(x, NID_id_pkix_OCSP_noCheck, 0, pb);
}

static void
lint_signature(const struct kr_x509_plan *p, X509 *x,
    struct kr_x509_problems *pb)
{
	const struct kr_x509_sig *sig = NULL;

	if (kr_x509_sig_of(X509_get0_pubkey(p->issuer), &sig) != 0)
		kr_x509_problem(pb, "the issuer's key has no signature "
		    "algorithm in keyrite's table");
	else if (X509_get_signature_nid(x) != sig->sig_nid)
		kr_x509_problem(pb, "signed with %s, not %s",
		    OBJ_nid2ln(X509_get_signature_nid(x)),
		    OBJ_nid2ln(sig->sig_nid));
	if (X509_verify(x, X509_get0_pubkey(p->issuer)) != 1)
		kr_x509_problem(pb, "its signature does not verify under the "
		    "issuer's key");
	ERR_clear_error();
}

int
kr_x509_lint(const struct kr_x509_plan *p, X509 *x, int is_signed)
{
	struct kr_x509_problems pb;

	memset(&pb, 0, sizeof(pb));
	lint_fields(p, x, &pb);
	lint_validity(p, x, &pb);
	lint_set(p, x, &pb);
	lint_bc_ku(p, x, &pb);
	lint_key_ids(p, x, &pb);
	lint_eku_cp(p, x, &pb);
	lint_nc_crl(p, x, &pb);
	lint_aia(p, x, &pb);
	lint_nocheck(x, &pb);
	if (is_signed)
		lint_signature(p, x, &pb);
	ERR_clear_error();
	return kr_x509_problems_err(&pb, is_signed ? "the signed certificate "
	    "against its profile" : "the certificate to be signed against "
	    "its profile");
}
