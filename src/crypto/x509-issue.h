/*
 * x509-issue.h: certificates a CA key issues for someone else's key.
 *
 * Issuing is split in three, so that everything that can refuse happens
 * before any card is touched:
 *
 *   1. kr_x509_plan_new(): a profile (what kind of certificate: an
 *      intermediate CA, a cross-certificate, a delegated OCSP
 *      responder), the issuer's certificate, a checked request (csr.h)
 *      or, for a cross-certificate, the CA's own certificate
 *      (kr_x509_plan_new_cert(), subject-cert.h), the ceremony's
 *      options and the policy's limits give a
 *      plan: subject, public key, serial number (drawn now, so that the
 *      output's name is known), validity, extensions.  Every problem is
 *      listed at once.
 *   2. kr_x509_plan_tbs() builds the to-be-signed certificate from the
 *      plan; kr_x509_lint() checks it against the profile and the plan,
 *      field by field, decoding what was built rather than trusting the
 *      builder.  The people in the room review the plan (what the
 *      request asked for, what is issued, what is dropped) from it.
 *   3. kr_x509_issue(), with the recovered CA key: build, lint, sign,
 *      decode the DER and lint the result again, then verify it with
 *      OpenSSL's own path validation (X509_verify_cert, strict) against
 *      the issuer as trust anchor.
 *
 * Everything here is public except the issuer's private key, which only
 * kr_x509_issue() touches (through EVP_DigestSign).  docs/certificates.md
 * gives the profiles.
 */
#ifndef KR_X509_ISSUE_H
#define KR_X509_ISSUE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "csr.h"
#include "x509.h"

/* keyUsage bits, as RFC 5280 4.2.1.3 numbers them (bit n = 1 << n). */
#define KR_X509_KU_DIGITAL_SIGNATURE	(1u << 0)
#define KR_X509_KU_KEY_CERT_SIGN	(1u << 5)
#define KR_X509_KU_CRL_SIGN		(1u << 6)

/* What a profile lets a ceremony put in (struct kr_x509_profile.options). */
#define KR_X509_OPT_POLICIES		0x01
#define KR_X509_OPT_EKU			0x02
#define KR_X509_OPT_CRL_URI		0x04
#define KR_X509_OPT_CA_ISSUERS		0x08
#define KR_X509_OPT_OCSP		0x10
#define KR_X509_OPT_NAME_CONSTRAINTS	0x20

#define KR_X509_MAX_OIDS	8	/* policies, extended key usages */
#define KR_X509_OID_MAX		64	/* bytes of a dotted OID */
#define KR_X509_URI_MAX		256
#define KR_X509_MAX_SUBTREES	16	/* permitted, and again excluded */
#define KR_X509_EXT_TEXT_MAX	512	/* one extension, as text */
#define KR_X509_MAX_EXTS	16	/* extensions a plan issues */

/* What sets a profile apart (struct kr_x509_profile.flags). */
/*
 * A cross-certificate: the subject CA's name, key and its own
 * subjectKeyIdentifier certified as they are (never marked as a
 * rehearsal: the chain must match the CA's own certificate); the output
 * is named cross-<subject SKI hex>-by-<issuer SKI hex>.pem.
 */
#define KR_X509_PROF_CROSS		0x01
/*
 * A delegated OCSP responder (RFC 6960 4.2.2.2): id-pkix-ocsp-nocheck,
 * and a validity bounded by the issuer's class's max-ocsp-signer-days
 * rather than the profile class's max-validity-days.
 */
#define KR_X509_PROF_OCSP_SIGNER	0x02

/*
 * A kind of certificate: a row of kr_x509_profiles[] (x509-issue.c).
 * policy_class names the class of the policy whose algorithms and
 * maximum validity bound it; outputs are named <file_prefix>-<serial in
 * hex>.pem (cross-certificates otherwise: KR_X509_PROF_CROSS).
 */
struct kr_x509_profile {
	const char	*name;
	const char	*policy_class;
	const char	*file_prefix;
	int		 ca;		/* basicConstraints cA TRUE */
	unsigned	 ku_required;	/* KR_X509_KU_* always set */
	unsigned	 ku_allowed;	/* and those an option may add */
	unsigned	 options;	/* KR_X509_OPT_* it may carry */
	unsigned	 flags;		/* KR_X509_PROF_* */
	const char	*eku;		/* a purpose always issued, or NULL */
};

enum kr_x509_subtree_type {
	KR_X509_SUBTREE_DNS,		/* dNSName */
	KR_X509_SUBTREE_EMAIL,		/* rfc822Name */
	KR_X509_SUBTREE_DN,		/* directoryName */
};

struct kr_x509_subtree {
	enum kr_x509_subtree_type	type;
	char				value[KR_X509_SUBJECT_MAX + 1];
};

/*
 * What the ceremony asks to put in, beyond subject and key: filled by
 * kr_x509_options_init() and kr_x509_option_parse().
 */
struct kr_x509_options {
	int			validity_days;
	int			path_len;	/* -1: no pathLenConstraint */
	unsigned		key_usage;	/* added to ku_required */
	char			policies[KR_X509_MAX_OIDS][KR_X509_OID_MAX];
	size_t			npolicies;
	char			ekus[KR_X509_MAX_OIDS][KR_X509_OID_MAX];
	size_t			nekus;
	char			crl_uri[KR_X509_URI_MAX];
	char			ca_issuers_uri[KR_X509_URI_MAX];
	char			ocsp_uri[KR_X509_URI_MAX];
	struct kr_x509_subtree	permitted[KR_X509_MAX_SUBTREES];
	size_t			npermitted;
	struct kr_x509_subtree	excluded[KR_X509_MAX_SUBTREES];
	size_t			nexcluded;
	int			rehearsal;	/* " (REHEARSAL)" on the CN */
};

/* The policy's bounds for the profile's class (policy.h, by the caller). */
struct kr_x509_limits {
	unsigned		 max_days;
	const char *const	*algorithms;	/* key.h names */
	size_t			 nalgorithms;
	const char		*policy;	/* its name, for messages */
};

/* One extension of the plan, for review and the transcript. */
struct kr_x509_ext_view {
	char	name[64];
	int	critical;
	char	text[KR_X509_EXT_TEXT_MAX];
};

/* What becomes of an extension the request asked for. */
enum kr_x509_verdict {
	KR_X509_ISSUED_AS_ASKED,	/* the same value and criticality */
	KR_X509_ISSUED_OTHERWISE,	/* issued, with the profile's value */
	KR_X509_DROPPED,		/* not issued at all */
};

struct kr_x509_plan {
	const struct kr_x509_profile	*profile;
	struct kr_x509_options		 opt;
	struct kr_x509_limits		 limits;
	X509				*issuer;
	X509_NAME			*subject;
	EVP_PKEY			*key;		/* public */
	uint8_t				*spki;		/* the request's DER */
	size_t				 spki_len;
	uint8_t				 serial[KR_X509_SERIAL_BYTES];
	char				 serial_hex[2 * KR_X509_SERIAL_BYTES +
					    1];
	uint8_t				 issuer_ski[64];
	size_t				 issuer_ski_len;
	/* SHA-1 of the key (20 octets), or the subject CA's own (kept). */
	uint8_t				 ski[32];
	size_t				 ski_len;
	int				 ski_kept;
	const char			*what;	/* "the request", ... */
	char				 subject_text[KR_X509_NAME_TEXT_MAX];
	char				 not_after[21];	/* as planned */
	char				 file_name[128];
	struct kr_x509_ext_view		 exts[KR_X509_MAX_EXTS];
	size_t				 nexts;
	/* For each of the request's extensions, in its order. */
	enum kr_x509_verdict		 verdict[KR_CSR_MAX_EXTS];
};

/* The profile called name ("intermediate-ca"), or NULL. */
const struct kr_x509_profile	*kr_x509_profile_find(const char *name);

/* The i-th profile (0-based), or NULL past the end. */
const struct kr_x509_profile	*kr_x509_profile_at(size_t i);

/* Empty options: no extras, path_len -1, validity 0. */
void	kr_x509_options_init(struct kr_x509_options *o);

/*
 * Sets option key from its text value (what a ceremony parameter
 * holds); an empty value sets nothing.  Keys and their forms:
 *
 *   policies        certificatePolicies OIDs, dotted, space-separated
 *   eku             extendedKeyUsage: serverAuth clientAuth codeSigning
 *                   emailProtection timeStamping OCSPSigning or dotted
 *                   OIDs, space-separated
 *   crl-uri         cRLDistributionPoints: one http:// URI
 *   ca-issuers-uri  authorityInfoAccess caIssuers: one http:// URI
 *   ocsp-uri        authorityInfoAccess OCSP: one http:// URI
 *   permitted       nameConstraints permittedSubtrees, and
 *   excluded        excludedSubtrees: entries separated by ';', each
 *                   dns:NAME, email:ADDRESS-OR-DOMAIN or dn:DN (the
 *                   subject grammar of kr_x509_subject_parse(), no CN
 *                   needed)
 *
 * Returns 0 or KR_ERR_X509_REQUEST with a detail that names key (as the
 * parameter) and the entry that is wrong.
 */
int	kr_x509_option_parse(struct kr_x509_options *o, const char *key,
	    const char *value);

/*
 * Plans a certificate of profile prof for csr's subject and key, issued
 * by issuer (a CA certificate with a subjectKeyIdentifier), at time now.
 * Checks everything that does not need the issuer's private key and
 * lists every problem at once: the key's algorithm against limits, the
 * validity against limits and the issuer's notAfter, the path length
 * against the issuer's, the subject (a CN, not the issuer's own), the
 * key (not the issuer's), options the profile does not take.  Draws the
 * serial number and builds the to-be-signed certificate once to fill
 * exts and verdict.  *planp set only on success (free with
 * kr_x509_plan_free()).  Returns 0, KR_ERR_X509_PROFILE (every problem,
 * one a line, in the detail), or another error.
 */
int	kr_x509_plan_new(const struct kr_x509_profile *prof, X509 *issuer,
	    const struct kr_csr *csr, const struct kr_x509_options *opt,
	    const struct kr_x509_limits *limits, time_t now,
	    struct kr_x509_plan **planp);

/*
 * The same for a cross-certificate (a profile with KR_X509_PROF_CROSS)
 * of the CA whose certificate sc is (subject-cert.h): its subject, its
 * SubjectPublicKeyInfo and its own subjectKeyIdentifier are certified as
 * they are; the extensions it carries are reviewed as a request's are
 * (verdict[], in its order).  The same checks, every problem listed;
 * KR_ERR_INVALID_ARGUMENT for a profile without KR_X509_PROF_CROSS.
 */
struct kr_subject_cert;
int	kr_x509_plan_new_cert(const struct kr_x509_profile *prof,
	    X509 *issuer, const struct kr_subject_cert *sc,
	    const struct kr_x509_options *opt,
	    const struct kr_x509_limits *limits, time_t now,
	    struct kr_x509_plan **planp);

/* Frees p and what it holds (its references to issuer and key); NULL-safe. */
void	kr_x509_plan_free(struct kr_x509_plan *p);

/*
 * The to-be-signed certificate for plan p with notBefore now: every
 * field and extension, no signature.  *xp set only on success.
 */
int	kr_x509_plan_tbs(const struct kr_x509_plan *p, time_t now, X509 **xp);

/*
 * Checks certificate x against plan p and its profile, decoding each
 * field and extension from x (x509-lint.c): version, serial, issuer
 * byte for byte, subject, the public key byte for byte as requested,
 * validity (length, within the issuer's, within the policy), the exact
 * set of extensions with their criticality and values, and with signed
 * set the signature algorithm for the issuer's key.  Returns 0 or
 * KR_ERR_X509_PROFILE with every problem in the detail.
 */
int	kr_x509_lint(const struct kr_x509_plan *p, X509 *x, int is_signed);

/*
 * Issues the planned certificate with the issuer's private key at time
 * now: builds it, lints it, signs it, decodes its DER and re-encodes it
 * (the same bytes), lints the decoded copy with its signature, and
 * verifies it with X509_verify_cert() against p->issuer as the only
 * trust anchor (X509_V_FLAG_X509_STRICT, the anchor's own signature
 * checked too).  *certp (the decoded copy) set only on success.  Returns
 * 0, KR_ERR_X509_PROFILE, KR_ERR_X509_SIGN, KR_ERR_X509_SELFCHECK,
 * KR_ERR_X509_VERIFY (OpenSSL's reason in the detail) or
 * KR_ERR_KEY_MISMATCH (the key is not the issuer's).
 */
int	kr_x509_issue(const struct kr_x509_plan *p, EVP_PKEY *issuer_key,
	    time_t now, X509 **certp);

/* "issued as asked", "issued as the profile says", "dropped". */
const char	*kr_x509_verdict_name(enum kr_x509_verdict v);

#endif /* KR_X509_ISSUE_H */
