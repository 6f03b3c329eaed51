/*
 * x509-issue.c: planning, building and issuing certificates for other
 * keys with a CA key (x509-issue.h), to the profiles in
 * docs/certificates.md.
 *
 * The profiles are a table; so are the options a ceremony may set and
 * the extensions a certificate carries, each with the function that
 * builds it from the plan.  Nothing is copied from the request but its
 * subject and public key: extensions come from the profile and the
 * ceremony's options only, and the plan says for each extension the
 * request asked for whether it is issued as asked, otherwise, or
 * dropped.  x509-lint.c checks what is built.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "base/err.h"
#include "base/hex.h"
#include "base/text.h"
#include "key.h"
#include "subject-cert.h"
#include "x509-int.h"
#include "x509-issue.h"

/* --- profiles ------------------------------------------------------------ */

static const struct kr_x509_profile profiles[] = {
	/*
	 * A subordinate CA (RFC 5280; BR 7.1.2.6, 7.1.2.10): CA, keyCertSign
	 * and cRLSign, digitalSignature when it signs OCSP responses
	 * itself; every option.
	 */
	{ "intermediate-ca", "intermediate-ca", "intermediate", 1,
	    KR_X509_KU_KEY_CERT_SIGN | KR_X509_KU_CRL_SIGN,
	    KR_X509_KU_KEY_CERT_SIGN | KR_X509_KU_CRL_SIGN |
	    KR_X509_KU_DIGITAL_SIGNATURE,
	    KR_X509_OPT_POLICIES | KR_X509_OPT_EKU | KR_X509_OPT_CRL_URI |
	    KR_X509_OPT_CA_ISSUERS | KR_X509_OPT_OCSP |
	    KR_X509_OPT_NAME_CONSTRAINTS, 0, NULL },
	/*
	 * A cross-certificate (RFC 5280 3.2 and 6.1; BR 7.1.2.2): another
	 * CA's name and key as its own certificate has them, and its own
	 * subjectKeyIdentifier, so that a chain built through this
	 * certificate and one built through the CA's own certificate match.
	 * Bounded by the root-ca class: what is certified is a root's key.
	 */
	{ "cross-ca", "root-ca", "cross", 1,
	    KR_X509_KU_KEY_CERT_SIGN | KR_X509_KU_CRL_SIGN,
	    KR_X509_KU_KEY_CERT_SIGN | KR_X509_KU_CRL_SIGN,
	    KR_X509_OPT_CRL_URI | KR_X509_OPT_CA_ISSUERS, KR_X509_PROF_CROSS,
	    NULL },
	/*
	 * A delegated OCSP responder (RFC 6960 4.2.2.2; BR 7.1.2.8):
	 * digitalSignature, id-kp-OCSPSigning and id-pkix-ocsp-nocheck, not
	 * a CA; short-lived (the issuer's max-ocsp-signer-days), because
	 * nothing can revoke it.  Its key's algorithms: intermediate-ca's.
	 */
	{ "ocsp-signer", "intermediate-ca", "ocsp-signer", 0,
	    KR_X509_KU_DIGITAL_SIGNATURE, KR_X509_KU_DIGITAL_SIGNATURE, 0,
	    KR_X509_PROF_OCSP_SIGNER, "1.3.6.1.5.5.7.3.9" },
};
#define NPROFILES	(sizeof(profiles) / sizeof(profiles[0]))

const struct kr_x509_profile *
kr_x509_profile_find(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < NPROFILES; i++)
		if (strcmp(profiles[i].name, name) == 0)
			return &profiles[i];
	return NULL;
}

const struct kr_x509_profile *
kr_x509_profile_at(size_t i)
{
	return i < NPROFILES ? &profiles[i] : NULL;
}

/* --- problems, extension text --------------------------------------------- */

void
kr_x509_problem(struct kr_x509_problems *pb, const char *fmt, ...)
{
	va_list ap;
	int n;

	pb->n++;
	if (pb->used + 8 >= sizeof(pb->text))
		return;
	pb->used += (size_t)snprintf(pb->text + pb->used,
	    sizeof(pb->text) - pb->used, "\n  - ");
	if (pb->used >= sizeof(pb->text)) {
		pb->used = sizeof(pb->text) - 1;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(pb->text + pb->used, sizeof(pb->text) - pb->used, fmt,
	    ap);
	va_end(ap);
	if (n > 0)
		pb->used += (size_t)n;
	if (pb->used >= sizeof(pb->text))
		pb->used = sizeof(pb->text) - 1;
}

int
kr_x509_problems_err(const struct kr_x509_problems *pb, const char *what)
{
	if (pb->n == 0)
		return 0;
	return kr_err_set(KR_ERR_X509_PROFILE, "%s: %zu problem%s:%s", what,
	    pb->n, pb->n == 1 ? "" : "s", pb->text);
}

void
kr_x509_ext_text(X509_EXTENSION *ext, char *out, size_t outlen)
{
	BUF_MEM *mem = NULL;
	BIO *bio;
	const char *p, *end;
	char *line, *q;
	size_t n;

	out[0] = '\0';
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return;
	if (X509V3_EXT_print(bio, ext, X509V3_EXT_DUMP_UNKNOWN, 0) != 1) {
		(void)BIO_reset(bio);
		ASN1_STRING_print(bio, X509_EXTENSION_get_data(ext));
	}
	/* Lines become "; ": at most two bytes for each one read. */
	if (BIO_get_mem_ptr(bio, &mem) > 0 && mem != NULL &&
	    mem->data != NULL &&	/* nothing printed: no buffer at all */
	    (n = mem->length > 2 * outlen ? 2 * outlen : mem->length,
	    line = malloc(2 * n + 1)) != NULL) {
		for (p = mem->data, end = p + n, q = line; p < end; p++) {
			if (*p != '\n' && *p != '\r') {
				if (*p != ' ' || q != line)
					*q++ = *p;
				continue;
			}
			while (p + 1 < end && (p[1] == ' ' || p[1] == '\n' ||
			    p[1] == '\r'))
				p++;
			if (p + 1 < end && q != line) {
				*q++ = ';';
				*q++ = ' ';
			}
		}
		*q = '\0';
		kr_printable(line, out, outlen);
		free(line);
	}
	BIO_free(bio);
	ERR_clear_error();
}

/* --- extensions ---------------------------------------------------------- */

static GENERAL_NAME *
uri_name(const char *uri)
{
	GENERAL_NAME *gn;
	ASN1_IA5STRING *s;

	if ((gn = GENERAL_NAME_new()) == NULL)
		return NULL;
	if ((s = ASN1_IA5STRING_new()) == NULL ||
	    ASN1_STRING_set(s, uri, (int)strlen(uri)) != 1) {
		ASN1_IA5STRING_free(s);
		GENERAL_NAME_free(gn);
		return NULL;
	}
	GENERAL_NAME_set0_value(gn, GEN_URI, s);
	return gn;
}

static GENERAL_NAME *
subtree_name(const struct kr_x509_subtree *t)
{
	GENERAL_NAME *gn;
	ASN1_IA5STRING *s;
	X509_NAME *dn = NULL;

	if ((gn = GENERAL_NAME_new()) == NULL)
		return NULL;
	if (t->type == KR_X509_SUBTREE_DN) {
		if (kr_x509_dn_parse(t->value, &dn) != 0) {
			GENERAL_NAME_free(gn);
			return NULL;
		}
		GENERAL_NAME_set0_value(gn, GEN_DIRNAME, dn);
		return gn;
	}
	if ((s = ASN1_IA5STRING_new()) == NULL ||
	    ASN1_STRING_set(s, t->value, (int)strlen(t->value)) != 1) {
		ASN1_IA5STRING_free(s);
		GENERAL_NAME_free(gn);
		return NULL;
	}
	GENERAL_NAME_set0_value(gn, t->type == KR_X509_SUBTREE_DNS ? GEN_DNS :
	    GEN_EMAIL, s);
	return gn;
}

static void *
make_bc(const struct kr_x509_plan *p)
{
	BASIC_CONSTRAINTS *bc;

	if ((bc = BASIC_CONSTRAINTS_new()) == NULL)
		return NULL;
	bc->ca = p->profile->ca ? 0xff : 0;
	if (p->profile->ca && p->opt.path_len >= 0 &&
	    ((bc->pathlen = ASN1_INTEGER_new()) == NULL ||
	    ASN1_INTEGER_set(bc->pathlen, p->opt.path_len) != 1)) {
		BASIC_CONSTRAINTS_free(bc);
		return NULL;
	}
	return bc;
}

static void *
make_ku(const struct kr_x509_plan *p)
{
	unsigned bits = p->profile->ku_required | p->opt.key_usage;
	ASN1_BIT_STRING *ku;
	int i;

	if ((ku = ASN1_BIT_STRING_new()) == NULL)
		return NULL;
	for (i = 0; i < 9; i++)
		if ((bits & (1u << i)) &&
		    ASN1_BIT_STRING_set_bit(ku, i, 1) != 1) {
			ASN1_BIT_STRING_free(ku);
			return NULL;
		}
	return ku;
}

static void *
make_eku(const struct kr_x509_plan *p)
{
	EXTENDED_KEY_USAGE *eku;
	ASN1_OBJECT *o;
	size_t i;

	if (p->opt.nekus == 0 || (eku = sk_ASN1_OBJECT_new_null()) == NULL)
		return NULL;
	for (i = 0; i < p->opt.nekus; i++)
		if ((o = OBJ_txt2obj(p->opt.ekus[i], 1)) == NULL ||
		    sk_ASN1_OBJECT_push(eku, o) <= 0) {
			ASN1_OBJECT_free(o);
			sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
			return NULL;
		}
	return eku;
}

static void *
make_policies(const struct kr_x509_plan *p)
{
	CERTIFICATEPOLICIES *cp;
	POLICYINFO *pi;
	size_t i;

	if (p->opt.npolicies == 0 ||
	    (cp = sk_POLICYINFO_new_null()) == NULL)
		return NULL;
	for (i = 0; i < p->opt.npolicies; i++) {
		if ((pi = POLICYINFO_new()) == NULL ||
		    (ASN1_OBJECT_free(pi->policyid),
		    pi->policyid = OBJ_txt2obj(p->opt.policies[i], 1)) ==
		    NULL || sk_POLICYINFO_push(cp, pi) <= 0) {
			POLICYINFO_free(pi);
			sk_POLICYINFO_pop_free(cp, POLICYINFO_free);
			return NULL;
		}
	}
	return cp;
}

static STACK_OF(GENERAL_SUBTREE) *
subtrees(const struct kr_x509_subtree *t, size_t n)
{
	STACK_OF(GENERAL_SUBTREE) *sk;
	GENERAL_SUBTREE *st;
	size_t i;

	if ((sk = sk_GENERAL_SUBTREE_new_null()) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if ((st = GENERAL_SUBTREE_new()) == NULL ||
		    (GENERAL_NAME_free(st->base),
		    st->base = subtree_name(&t[i])) == NULL ||
		    sk_GENERAL_SUBTREE_push(sk, st) <= 0) {
			GENERAL_SUBTREE_free(st);
			sk_GENERAL_SUBTREE_pop_free(sk, GENERAL_SUBTREE_free);
			return NULL;
		}
	}
	return sk;
}

static void *
make_nc(const struct kr_x509_plan *p)
{
	NAME_CONSTRAINTS *nc;

	if (p->opt.npermitted + p->opt.nexcluded == 0 ||
	    (nc = NAME_CONSTRAINTS_new()) == NULL)
		return NULL;
	if ((p->opt.npermitted > 0 && (nc->permittedSubtrees =
	    subtrees(p->opt.permitted, p->opt.npermitted)) == NULL) ||
	    (p->opt.nexcluded > 0 && (nc->excludedSubtrees =
	    subtrees(p->opt.excluded, p->opt.nexcluded)) == NULL)) {
		NAME_CONSTRAINTS_free(nc);
		return NULL;
	}
	return nc;
}

static void *
make_crldp(const struct kr_x509_plan *p)
{
	CRL_DIST_POINTS *dps;
	DIST_POINT *dp = NULL;
	GENERAL_NAME *gn = NULL;

	if (p->opt.crl_uri[0] == '\0' ||
	    (dps = sk_DIST_POINT_new_null()) == NULL)
		return NULL;
	if ((dp = DIST_POINT_new()) == NULL ||
	    (dp->distpoint = DIST_POINT_NAME_new()) == NULL ||
	    (dp->distpoint->name.fullname = GENERAL_NAMES_new()) == NULL ||
	    (gn = uri_name(p->opt.crl_uri)) == NULL ||
	    sk_GENERAL_NAME_push(dp->distpoint->name.fullname, gn) <= 0)
		goto fail;
	gn = NULL;
	dp->distpoint->type = 0;	/* fullName */
	if (sk_DIST_POINT_push(dps, dp) <= 0)
		goto fail;
	return dps;
 fail:
	GENERAL_NAME_free(gn);
	DIST_POINT_free(dp);
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	return NULL;
}

static int
push_access(AUTHORITY_INFO_ACCESS *aia, int nid, const char *uri)
{
	ACCESS_DESCRIPTION *ad;

	if ((ad = ACCESS_DESCRIPTION_new()) == NULL)
		return 0;
	ASN1_OBJECT_free(ad->method);
	GENERAL_NAME_free(ad->location);
	ad->method = OBJ_nid2obj(nid);
	if ((ad->location = uri_name(uri)) == NULL ||
	    sk_ACCESS_DESCRIPTION_push(aia, ad) <= 0) {
		ACCESS_DESCRIPTION_free(ad);
		return 0;
	}
	return 1;
}

static void *
make_aia(const struct kr_x509_plan *p)
{
	AUTHORITY_INFO_ACCESS *aia;

	if ((p->opt.ocsp_uri[0] == '\0' && p->opt.ca_issuers_uri[0] ==
	    '\0') || (aia = sk_ACCESS_DESCRIPTION_new_null()) == NULL)
		return NULL;
	if ((p->opt.ocsp_uri[0] != '\0' && !push_access(aia, NID_ad_OCSP,
	    p->opt.ocsp_uri)) || (p->opt.ca_issuers_uri[0] != '\0' &&
	    !push_access(aia, NID_ad_ca_issuers, p->opt.ca_issuers_uri))) {
		AUTHORITY_INFO_ACCESS_free(aia);
		return NULL;
	}
	return aia;
}

static void *
make_ski(const struct kr_x509_plan *p)
{
	ASN1_OCTET_STRING *s;

	if ((s = ASN1_OCTET_STRING_new()) == NULL)
		return NULL;
	if (ASN1_OCTET_STRING_set(s, p->ski, (int)p->ski_len) != 1) {
		ASN1_OCTET_STRING_free(s);
		return NULL;
	}
	return s;
}

/* keyIdentifier only (BR 7.1.2.11.1). */
static void *
make_aki(const struct kr_x509_plan *p)
{
	AUTHORITY_KEYID *akid;

	if ((akid = AUTHORITY_KEYID_new()) == NULL)
		return NULL;
	if ((akid->keyid = ASN1_OCTET_STRING_new()) == NULL ||
	    ASN1_OCTET_STRING_set(akid->keyid, p->issuer_ski,
	    (int)p->issuer_ski_len) != 1) {
		AUTHORITY_KEYID_free(akid);
		return NULL;
	}
	return akid;
}

/* id-pkix-ocsp-nocheck: its value is NULL (RFC 6960 4.2.2.2.1). */
static void *
make_nocheck(const struct kr_x509_plan *p)
{
	(void)p;
	return ASN1_NULL_new();
}

static int
applies_nocheck(const struct kr_x509_plan *p)
{
	return (p->profile->flags & KR_X509_PROF_OCSP_SIGNER) != 0;
}

static int
applies_always(const struct kr_x509_plan *p)
{
	(void)p;
	return 1;
}

static int
applies_eku(const struct kr_x509_plan *p)
{
	return p->opt.nekus > 0;
}

static int
applies_policies(const struct kr_x509_plan *p)
{
	return p->opt.npolicies > 0;
}

static int
applies_nc(const struct kr_x509_plan *p)
{
	return p->opt.npermitted + p->opt.nexcluded > 0;
}

static int
applies_crldp(const struct kr_x509_plan *p)
{
	return p->opt.crl_uri[0] != '\0';
}

static int
applies_aia(const struct kr_x509_plan *p)
{
	return p->opt.ocsp_uri[0] != '\0' || p->opt.ca_issuers_uri[0] != '\0';
}

/*
 * The extensions a certificate may carry, in the order written, each
 * with its criticality (RFC 5280 4.2; BR 7.1.2.10), when it applies and
 * how it is built.  x509-lint.c decodes each and compares it with the
 * plan on its own.
 */
static const struct ext_row {
	const char	*name;
	int		 nid;
	int		 critical;
	int		(*applies)(const struct kr_x509_plan *);
	void		*(*make)(const struct kr_x509_plan *);
} ext_rows[] = {
	{ "basicConstraints", NID_basic_constraints, 1, applies_always,
	    make_bc },
	{ "keyUsage", NID_key_usage, 1, applies_always, make_ku },
	{ "extendedKeyUsage", NID_ext_key_usage, 0, applies_eku, make_eku },
	{ "certificatePolicies", NID_certificate_policies, 0,
	    applies_policies, make_policies },
	{ "nameConstraints", NID_name_constraints, 1, applies_nc, make_nc },
	{ "cRLDistributionPoints", NID_crl_distribution_points, 0,
	    applies_crldp, make_crldp },
	{ "authorityInfoAccess", NID_info_access, 0, applies_aia, make_aia },
	{ "noCheck", NID_id_pkix_OCSP_noCheck, 0, applies_nocheck,
	    make_nocheck },
	{ "subjectKeyIdentifier", NID_subject_key_identifier, 0,
	    applies_always, make_ski },
	{ "authorityKeyIdentifier", NID_authority_key_identifier, 0,
	    applies_always, make_aki },
};
#define NEXT_ROWS	(sizeof(ext_rows) / sizeof(ext_rows[0]))

static int
add_extensions(X509 *x, const struct kr_x509_plan *p)
{
	const X509V3_EXT_METHOD *m;
	void *v;
	size_t i;
	int ok;

	for (i = 0; i < NEXT_ROWS; i++) {
		if (!ext_rows[i].applies(p))
			continue;
		if ((v = ext_rows[i].make(p)) == NULL)
			return kr_err_libcrypto(KR_ERR_X509_SIGN,
			    ext_rows[i].name);
		ok = X509_add1_ext_i2d(x, ext_rows[i].nid, v,
		    ext_rows[i].critical, X509V3_ADD_DEFAULT) == 1;
		if ((m = X509V3_EXT_get_nid(ext_rows[i].nid)) != NULL &&
		    m->it != NULL)
			ASN1_item_free(v, ASN1_ITEM_ptr(m->it));
		if (!ok)
			return kr_err_libcrypto(KR_ERR_X509_SIGN,
			    ext_rows[i].name);
	}
	return 0;
}

/* --- the to-be-signed certificate ---------------------------------------- */

int
kr_x509_plan_tbs(const struct kr_x509_plan *p, time_t now, X509 **xp)
{
	ASN1_INTEGER *serial = NULL;
	X509 *x = NULL;
	int r = KR_ERR_INTERNAL;

	*xp = NULL;
	if ((r = kr_x509_serial_integer(p->serial, sizeof(p->serial),
	    &serial)) != 0)
		goto out;
	if ((x = X509_new()) == NULL ||
	    X509_set_version(x, X509_VERSION_3) != 1 ||
	    X509_set_serialNumber(x, serial) != 1 ||
	    X509_set_issuer_name(x, X509_get_subject_name(p->issuer)) != 1 ||
	    X509_set_subject_name(x, p->subject) != 1 ||
	    ASN1_TIME_adj(X509_getm_notBefore(x), now, 0, 0) == NULL ||
	    ASN1_TIME_adj(X509_getm_notAfter(x), now, p->opt.validity_days,
	    0) == NULL || X509_set_pubkey(x, p->key) != 1) {
		r = kr_err_libcrypto(KR_ERR_X509_SIGN, "certificate: setting "
		    "its fields");
		goto out;
	}
	if ((r = add_extensions(x, p)) != 0)
		goto out;
	*xp = x;
	x = NULL;
	r = 0;
 out:
	ASN1_INTEGER_free(serial);
	X509_free(x);
	return r;
}

/* --- the plan ------------------------------------------------------------ */

/* The CN, with KR_X509_REHEARSAL_SUFFIX appended, back into name. */
static int
mark_rehearsal(X509_NAME *name, struct kr_x509_problems *pb)
{
	X509_NAME_ENTRY *ne;
	unsigned char *utf8 = NULL;
	char cn[256 + sizeof(KR_X509_REHEARSAL_SUFFIX)];
	int loc = -1, i, len, set, r = 0;
	size_t chars = 0, k;

	while ((i = X509_NAME_get_index_by_NID(name, NID_commonName,
	    loc)) >= 0)
		loc = i;
	if (loc < 0)
		return 0;	/* no CN: a problem of its own */
	ne = X509_NAME_get_entry(name, loc);
	set = X509_NAME_ENTRY_set(ne);
	if ((len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(ne))) <
	    0 || (size_t)len + sizeof(KR_X509_REHEARSAL_SUFFIX) > sizeof(cn)) {
		kr_x509_problem(pb, "the request's CN cannot be read as UTF-8 "
		    "to mark it as a rehearsal");
		goto out;
	}
	for (k = 0; k < (size_t)len; k++)
		chars += (utf8[k] & 0xc0) != 0x80;
	if (chars + strlen(KR_X509_REHEARSAL_SUFFIX) > 64) {
		kr_x509_problem(pb, "the request's CN is %zu characters; with "
		    "\"%s\" appended for a rehearsal it exceeds RFC 5280's 64: "
		    "rehearse with a request whose CN has at most %zu", chars,
		    KR_X509_REHEARSAL_SUFFIX, 64 -
		    strlen(KR_X509_REHEARSAL_SUFFIX));
		goto out;
	}
	memcpy(cn, utf8, (size_t)len);
	memcpy(cn + len, KR_X509_REHEARSAL_SUFFIX,
	    sizeof(KR_X509_REHEARSAL_SUFFIX));
	/* Alone in its RDN: replaced in place; else added to its RDN. */
	X509_NAME_ENTRY_free(X509_NAME_delete_entry(name, loc));
	if (X509_NAME_add_entry_by_NID(name, NID_commonName,
	    MBSTRING_UTF8, (unsigned char *)cn, -1, loc,
	    loc > 0 && X509_NAME_ENTRY_set(X509_NAME_get_entry(name,
	    loc - 1)) == set ? -1 : 0) != 1)
		r = kr_err_libcrypto(KR_ERR_X509_SIGN, "marking the CN as a "
		    "rehearsal");
 out:
	OPENSSL_free(utf8);
	return r;
}

static int
alg_allowed(const struct kr_x509_limits *l, const char *alg)
{
	size_t i;

	for (i = 0; alg[0] != '\0' && i < l->nalgorithms; i++)
		if (strcmp(l->algorithms[i], alg) == 0)
			return 1;
	return 0;
}

/*
 * What a certificate certifies, from a request or from a CA's own
 * certificate: the same checks and review apply to both.
 */
struct subject_in {
	const char		*source;
	const char		*what;	/* "the request", ... */
	const X509_NAME		*name;
	EVP_PKEY		*key;
	X509_PUBKEY		*pk;
	const uint8_t		*spki;
	size_t			 spki_len;
	const char		*key_alg;
	const char		*key_text;
	const struct kr_csr_ext	*exts;
	size_t			 nexts;
	const uint8_t		*ski;	/* kept; NULL: SHA-1 of the key */
	size_t			 ski_len;
};

static void
check_key(const struct kr_x509_plan *p, const struct subject_in *in,
    struct kr_x509_problems *pb)
{
	char allowed[256];
	size_t i, used = 0;

	allowed[0] = '\0';
	for (i = 0; i < p->limits.nalgorithms && used < sizeof(allowed); i++)
		used += (size_t)snprintf(allowed + used, sizeof(allowed) - used,
		    "%s%s", i ? ", " : "", p->limits.algorithms[i]);
	if (!alg_allowed(&p->limits, in->key_alg))
		kr_x509_problem(pb, "%s's key is %s, which policy %s does not "
		    "allow for %s certificates (allowed: %s): the key must be "
		    "one of those", in->what, in->key_text, p->limits.policy,
		    p->profile->policy_class, allowed);
	if (EVP_PKEY_eq(p->key, X509_get0_pubkey(p->issuer)) == 1)
		kr_x509_problem(pb, "%s's key is the issuer's own key", in->what);
	ERR_clear_error();
}

static void
check_validity(const struct kr_x509_plan *p, time_t now,
    struct kr_x509_problems *pb)
{
	ASN1_TIME *end = NULL;
	char issuer_end[21] = "?";
	int days = p->opt.validity_days, left = 0, sec = 0;

	if ((days < 1 || (unsigned)days > p->limits.max_days) &&
	    (p->profile->flags & KR_X509_PROF_OCSP_SIGNER))
		kr_x509_problem(pb, "validity_days %d is outside 1..%u, the "
		    "most policy %s allows for an OCSP responder "
		    "(max-ocsp-signer-days of the issuer's class)", days,
		    p->limits.max_days, p->limits.policy);
	else if (days < 1 || (unsigned)days > p->limits.max_days)
		kr_x509_problem(pb, "validity_days %d is outside 1..%u, the "
		    "most policy %s allows for %s certificates", days,
		    p->limits.max_days, p->limits.policy,
		    p->profile->policy_class);
	(void)kr_x509_time_text(X509_get0_notAfter(p->issuer), "notAfter",
	    issuer_end);
	if ((end = X509_time_adj_ex(NULL, days, 0, &now)) == NULL ||
	    ASN1_TIME_compare(end, X509_get0_notAfter(p->issuer)) > 0) {
		if (ASN1_TIME_diff(&left, &sec, end,
		    X509_get0_notAfter(p->issuer)) == 1)
			left = days + left - (sec < 0 ? 1 : 0);
		kr_x509_problem(pb, "validity_days %d would end after the "
		    "issuer's notAfter (%s): a certificate may not outlive its "
		    "issuer; give at most %d", days, issuer_end,
		    left > 0 ? left : 0);
	}
	ASN1_TIME_free(end);
	ERR_clear_error();
}

static void
check_issuer(struct kr_x509_plan *p, struct kr_x509_problems *pb)
{
	const ASN1_OCTET_STRING *ski;
	long pl = X509_get_pathlen(p->issuer);

	if (X509_check_ca(p->issuer) < 1 || (X509_get_key_usage(p->issuer) &
	    KU_KEY_CERT_SIGN) == 0)
		kr_x509_problem(pb, "the issuer's certificate is not a CA "
		    "certificate that may sign certificates");
	if ((ski = X509_get0_subject_key_id(p->issuer)) == NULL ||
	    ski->length <= 0 || (size_t)ski->length > sizeof(p->issuer_ski))
		kr_x509_problem(pb, "the issuer's certificate has no "
		    "subjectKeyIdentifier to name in authorityKeyIdentifier");
	else {
		memcpy(p->issuer_ski, ski->data, (size_t)ski->length);
		p->issuer_ski_len = (size_t)ski->length;
	}
	if (p->profile->ca && pl == 0)
		kr_x509_problem(pb, "the issuer's pathLenConstraint is 0: it "
		    "may not certify another CA");
	else if (p->profile->ca && pl > 0 && (p->opt.path_len < 0 ||
	    p->opt.path_len > pl - 1))
		kr_x509_problem(pb, "path_length %d is larger than the issuer "
		    "allows: its pathLenConstraint is %ld, so a CA below it "
		    "may have at most %ld", p->opt.path_len, pl, pl - 1);
	ERR_clear_error();
}

static void
check_options(const struct kr_x509_plan *p, struct kr_x509_problems *pb)
{
	const struct kr_x509_profile *f = p->profile;
	const struct kr_x509_options *o = &p->opt;

	if ((o->key_usage | f->ku_allowed) != f->ku_allowed)
		kr_x509_problem(pb, "%s certificates do not take the key usage "
		    "asked for", f->name);
	if (!f->ca && o->path_len >= 0)
		kr_x509_problem(pb, "%s certificates have no path length",
		    f->name);
	if ((o->npolicies && !(f->options & KR_X509_OPT_POLICIES)) ||
	    (o->nekus && !(f->options & KR_X509_OPT_EKU)) ||
	    (o->crl_uri[0] && !(f->options & KR_X509_OPT_CRL_URI)) ||
	    (o->ca_issuers_uri[0] && !(f->options & KR_X509_OPT_CA_ISSUERS)) ||
	    (o->ocsp_uri[0] && !(f->options & KR_X509_OPT_OCSP)) ||
	    (o->npermitted + o->nexcluded &&
	    !(f->options & KR_X509_OPT_NAME_CONSTRAINTS)))
		kr_x509_problem(pb, "%s certificates do not take an option "
		    "that was given", f->name);
}

static void
check_subject(struct kr_x509_plan *p, struct kr_x509_problems *pb)
{
	if (X509_NAME_get_index_by_NID(p->subject, NID_commonName, -1) < 0)
		kr_x509_problem(pb, "%s's subject has no CN: %s names its "
		    "subject in a common name (BR 7.1.2.10.2); ask for one "
		    "with a CN", p->what, p->profile->ca ? "a CA certificate" :
		    "a responder certificate");
	if (X509_NAME_cmp(p->subject, X509_get_subject_name(p->issuer)) == 0)
		kr_x509_problem(pb, "%s's subject is the issuer's own name: the "
		    "certificate would look self-issued%s", p->what,
		    p->profile->flags & KR_X509_PROF_CROSS ? " (give a new "
		    "root a name of its own, e.g. with G2 in its CN)" : "");
}

/* Fills p->exts and p->verdict from the certificate as it would be. */
static int
review(struct kr_x509_plan *p, const struct subject_in *in, X509 *x)
{
	X509_EXTENSION *ext, *mine;
	ASN1_OBJECT *o;
	const ASN1_OCTET_STRING *v;
	int i, n = X509_get_ext_count(x), at;
	size_t k;

	for (i = 0; i < n && (size_t)i < KR_X509_MAX_EXTS; i++) {
		ext = X509_get_ext(x, i);
		at = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
		snprintf(p->exts[i].name, sizeof(p->exts[i].name), "%s",
		    OBJ_nid2sn(at));
		p->exts[i].critical = X509_EXTENSION_get_critical(ext) > 0;
		kr_x509_ext_text(ext, p->exts[i].text,
		    sizeof(p->exts[i].text));
		p->nexts++;
	}
	for (k = 0; k < in->nexts; k++) {
		if ((o = OBJ_txt2obj(in->exts[k].oid, 1)) == NULL)
			return kr_err_libcrypto(KR_ERR_NOMEM, "reviewing");
		at = X509_get_ext_by_OBJ(x, o, -1);
		ASN1_OBJECT_free(o);
		if (at < 0) {
			p->verdict[k] = KR_X509_DROPPED;
			continue;
		}
		mine = X509_get_ext(x, at);
		v = X509_EXTENSION_get_data(mine);
		p->verdict[k] = (size_t)v->length == in->exts[k].value_len &&
		    memcmp(v->data, in->exts[k].value, (size_t)v->length) ==
		    0 && (X509_EXTENSION_get_critical(mine) > 0) ==
		    in->exts[k].critical ? KR_X509_ISSUED_AS_ASKED :
		    KR_X509_ISSUED_OTHERWISE;
	}
	return 0;
}

/* Subject, key, serial, key identifiers. */
static int
fill(struct kr_x509_plan *p, X509 *issuer, const struct subject_in *in)
{
	int r;

	if (X509_up_ref(issuer) != 1)
		return kr_err_libcrypto(KR_ERR_INTERNAL, "issuer");
	p->issuer = issuer;
	if (EVP_PKEY_up_ref(in->key) != 1)
		return kr_err_libcrypto(KR_ERR_INTERNAL, "subject key");
	p->key = in->key;
	p->what = in->what;
	if ((p->subject = X509_NAME_dup(in->name)) == NULL ||
	    (p->spki = malloc(in->spki_len)) == NULL)
		return kr_err_libcrypto(KR_ERR_NOMEM, "planning a certificate");
	memcpy(p->spki, in->spki, in->spki_len);
	p->spki_len = in->spki_len;
	if ((r = kr_x509_random_serial(p->serial)) != 0)
		return r;
	if (in->ski != NULL && in->ski_len > 0 &&
	    in->ski_len <= sizeof(p->ski)) {
		memcpy(p->ski, in->ski, in->ski_len);
		p->ski_len = in->ski_len;
		p->ski_kept = 1;
	} else if ((r = kr_x509_key_identifier(in->pk, p->ski)) != 0)
		return r;
	else
		p->ski_len = KR_X509_SKI_BYTES;
	kr_hex_encode(p->serial, sizeof(p->serial), p->serial_hex,
	    sizeof(p->serial_hex));
	return 0;
}

/* prefix-serial.pem, or cross-<subject SKI>-by-<issuer SKI>.pem. */
static void
file_name(struct kr_x509_plan *p, struct kr_x509_problems *pb)
{
	char sub[2 * sizeof(p->ski) + 1], iss[2 * sizeof(p->issuer_ski) + 1];
	char name[sizeof(sub) + sizeof(iss) + 32];

	if (!(p->profile->flags & KR_X509_PROF_CROSS)) {
		snprintf(p->file_name, sizeof(p->file_name), "%s-%s.pem",
		    p->profile->file_prefix, p->serial_hex);
		return;
	}
	kr_hex_encode(p->ski, p->ski_len, sub, sizeof(sub));
	kr_hex_encode(p->issuer_ski, p->issuer_ski_len, iss, sizeof(iss));
	snprintf(name, sizeof(name), "%s-%s-by-%s.pem",
	    p->profile->file_prefix, sub, iss);
	if (strlen(name) >= sizeof(p->file_name))
		kr_x509_problem(pb, "the two key identifiers are too long to "
		    "name the output (%zu characters, at most %zu)",
		    strlen(name), sizeof(p->file_name) - 1);
	else
		memcpy(p->file_name, name, strlen(name) + 1);
}

/* The purpose a profile always issues (an OCSP responder's). */
static void
add_profile_eku(struct kr_x509_plan *p)
{
	if (p->profile->eku == NULL || p->opt.nekus >= KR_X509_MAX_OIDS)
		return;
	snprintf(p->opt.ekus[p->opt.nekus++], KR_X509_OID_MAX, "%s",
	    p->profile->eku);
}

static int
plan_make(const struct kr_x509_profile *prof, X509 *issuer,
    const struct subject_in *in, const struct kr_x509_options *opt,
    const struct kr_x509_limits *limits, time_t now,
    struct kr_x509_plan **planp)
{
	struct kr_x509_problems pb;
	struct kr_x509_plan *p = NULL;
	X509 *x = NULL;
	int r = KR_ERR_INTERNAL;

	memset(&pb, 0, sizeof(pb));
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "planning a certificate");
	p->profile = prof;
	p->opt = *opt;
	p->limits = *limits;
	if ((r = fill(p, issuer, in)) != 0)
		goto out;
	check_key(p, in, &pb);
	check_validity(p, now, &pb);
	check_issuer(p, &pb);
	check_options(p, &pb);
	check_subject(p, &pb);
	add_profile_eku(p);
	file_name(p, &pb);
	if (opt->rehearsal && !(prof->flags & KR_X509_PROF_CROSS) &&
	    pb.n == 0 && (r = mark_rehearsal(p->subject, &pb)) != 0)
		goto out;
	if ((r = kr_x509_problems_err(&pb, in->source)) != 0)
		goto out;
	if ((r = kr_x509_name_text(p->subject, p->subject_text,
	    sizeof(p->subject_text))) != 0 ||
	    (r = kr_x509_plan_tbs(p, now, &x)) != 0 ||
	    (r = kr_x509_time_text(X509_get0_notAfter(x), "notAfter",
	    p->not_after)) != 0 || (r = review(p, in, x)) != 0 ||
	    (r = kr_x509_lint(p, x, 0)) != 0)
		goto out;
	*planp = p;
	p = NULL;
	r = 0;
 out:
	X509_free(x);
	kr_x509_plan_free(p);
	return r;
}

int
kr_x509_plan_new(const struct kr_x509_profile *prof, X509 *issuer,
    const struct kr_csr *csr, const struct kr_x509_options *opt,
    const struct kr_x509_limits *limits, time_t now,
    struct kr_x509_plan **planp)
{
	struct subject_in in;

	*planp = NULL;
	if (prof == NULL || issuer == NULL || csr == NULL || opt == NULL ||
	    limits == NULL)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "planning a "
		    "certificate: something is missing");
	memset(&in, 0, sizeof(in));
	in.source = csr->source;
	in.what = "the request";
	in.name = X509_REQ_get_subject_name(csr->req);
	in.key = csr->key;
	in.pk = X509_REQ_get_X509_PUBKEY(csr->req);
	in.spki = csr->spki;
	in.spki_len = csr->spki_len;
	in.key_alg = csr->key_alg;
	in.key_text = csr->key_text;
	in.exts = csr->exts;
	in.nexts = csr->nexts;
	return plan_make(prof, issuer, &in, opt, limits, now, planp);
}

int
kr_x509_plan_new_cert(const struct kr_x509_profile *prof, X509 *issuer,
    const struct kr_subject_cert *sc, const struct kr_x509_options *opt,
    const struct kr_x509_limits *limits, time_t now,
    struct kr_x509_plan **planp)
{
	struct subject_in in;

	*planp = NULL;
	if (prof == NULL || issuer == NULL || sc == NULL || opt == NULL ||
	    limits == NULL || !(prof->flags & KR_X509_PROF_CROSS))
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "planning a "
		    "certificate from a CA's certificate: something is "
		    "missing, or the profile is not a cross-certificate's");
	memset(&in, 0, sizeof(in));
	in.source = sc->source;
	in.what = "the subject certificate";
	in.name = X509_get_subject_name(sc->cert);
	in.key = X509_get0_pubkey(sc->cert);
	in.pk = X509_get_X509_PUBKEY(sc->cert);
	in.spki = sc->spki;
	in.spki_len = sc->spki_len;
	in.key_alg = sc->key_alg;
	in.key_text = sc->key_text;
	in.exts = sc->exts;
	in.nexts = sc->nexts;
	in.ski = sc->ski;
	in.ski_len = sc->ski_len;
	return plan_make(prof, issuer, &in, opt, limits, now, planp);
}

void
kr_x509_plan_free(struct kr_x509_plan *p)
{
	if (p == NULL)
		return;
	X509_free(p->issuer);
	X509_NAME_free(p->subject);
	EVP_PKEY_free(p->key);
	free(p->spki);
	free(p);
}

const char *
kr_x509_verdict_name(enum kr_x509_verdict v)
{
	switch (v) {
	case KR_X509_ISSUED_AS_ASKED:
		return "issued as asked";
	case KR_X509_ISSUED_OTHERWISE:
		return "issued as the profile says, not as asked";
	case KR_X509_DROPPED:
		return "dropped";
	}
	return "?";
}

/* --- issuing ------------------------------------------------------------- */

/* OpenSSL's own path validation, the issuer the only trust anchor. */
static int
verify_chain(const struct kr_x509_plan *p, X509 *y, time_t now)
{
	X509_STORE *st = NULL;
	X509_STORE_CTX *ctx = NULL;
	X509_VERIFY_PARAM *vp;
	STACK_OF(X509) *chain;
	int r = KR_ERR_INTERNAL, err;

	if ((st = X509_STORE_new()) == NULL ||
	    X509_STORE_add_cert(st, p->issuer) != 1 ||
	    (ctx = X509_STORE_CTX_new()) == NULL ||
	    X509_STORE_CTX_init(ctx, st, y, NULL) != 1) {
		r = kr_err_libcrypto(KR_ERR_NOMEM, "verifying the certificate");
		goto out;
	}
	vp = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_X509_STRICT |
	    X509_V_FLAG_CHECK_SS_SIGNATURE);
	X509_VERIFY_PARAM_set_time(vp, now);
	if (X509_verify_cert(ctx) != 1) {
		err = X509_STORE_CTX_get_error(ctx);
		r = kr_err_set(KR_ERR_X509_VERIFY, "the issued certificate "
		    "does not verify under %s with OpenSSL's path validation: "
		    "%s (depth %d); nothing was written", "its issuer",
		    X509_verify_cert_error_string(err),
		    X509_STORE_CTX_get_error_depth(ctx));
		goto out;
	}
	chain = X509_STORE_CTX_get0_chain(ctx);
	if (sk_X509_num(chain) != 2 ||
	    X509_cmp(sk_X509_value(chain, 1), p->issuer) != 0) {
		r = kr_err_set(KR_ERR_X509_VERIFY, "the issued certificate "
		    "verified through another chain than its issuer");
		goto out;
	}
	r = 0;
 out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	return r;
}

/* Signs x; *yp the decoded copy of its DER, which re-encodes the same. */
static int
sign_decode(X509 *x, EVP_PKEY *key, X509 **yp)
{
	const struct kr_x509_sig *sig = NULL;
	EVP_MD_CTX *mctx = NULL;
	unsigned char *der = NULL, *der2 = NULL;
	const unsigned char *q;
	X509 *y = NULL;
	int len, r = KR_ERR_INTERNAL;

	*yp = NULL;
	if ((r = kr_x509_sig_of(key, &sig)) != 0 ||
	    (r = kr_x509_sign_init(key, sig, &mctx)) != 0)
		goto out;
	if (X509_sign_ctx(x, mctx) <= 0) {
		r = kr_err_libcrypto(KR_ERR_X509_SIGN, "signing the "
		    "certificate");
		goto out;
	}
	if ((len = i2d_X509(x, &der)) <= 0 || (q = der,
	    (y = d2i_X509(NULL, &q, len)) == NULL) || q != der + len ||
	    i2d_X509(y, &der2) != len || memcmp(der, der2, (size_t)len) != 0) {
		r = kr_err_libcrypto(KR_ERR_X509_SELFCHECK, "the signed "
		    "certificate's DER does not decode and re-encode to the "
		    "same bytes");
		goto out;
	}
	*yp = y;
	y = NULL;
	r = 0;
 out:
	EVP_MD_CTX_free(mctx);
	OPENSSL_free(der);
	OPENSSL_free(der2);
	X509_free(y);
	return r;
}

int
kr_x509_issue(const struct kr_x509_plan *p, EVP_PKEY *issuer_key,
    time_t now, X509 **certp)
{
	X509 *x = NULL, *y = NULL;
	int r = KR_ERR_INTERNAL;

	*certp = NULL;
	if (p == NULL || issuer_key == NULL)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "issuing: no plan "
		    "or no key");
	if (EVP_PKEY_eq(X509_get0_pubkey(p->issuer), issuer_key) != 1) {
		ERR_clear_error();
		return kr_err_set(KR_ERR_KEY_MISMATCH, "issuing: the key is "
		    "not the issuer certificate's key");
	}
	if ((r = kr_x509_plan_tbs(p, now, &x)) != 0 ||
	    (r = kr_x509_lint(p, x, 0)) != 0 ||
	    (r = sign_decode(x, issuer_key, &y)) != 0 ||
	    (r = kr_x509_lint(p, y, 1)) != 0 ||
	    (r = verify_chain(p, y, now)) != 0)
		goto out;
	*certp = y;
	y = NULL;
	r = 0;
 out:
	X509_free(x);
	X509_free(y);
	return r;
}
