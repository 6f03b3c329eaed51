/*
 * ocsp.h: OCSP responses a root signs in advance (RFC 6960), for the
 * certificates it issued, at a ceremony.
 *
 * An offline root cannot answer OCSP requests; it can sign, at each
 * ceremony, one response per certificate it issued (intermediates,
 * cross-certificates), valid until a nextUpdate, which an online server
 * then hands out unchanged.  As certificates and CRLs are (x509-issue.h,
 * crl.h), responses are planned before any card is touched and signed
 * with the recovered key afterwards:
 *
 *   kr_ocsp_list_parse()  the status list file (docs/formats.md, "OCSP
 *                         status list"): one certificate a line, by its
 *                         file or its serial, good or revoked with a
 *                         reason and a date; strict, errors
 *                         "file:line: ...".
 *   kr_ocsp_plan_new()    every certificate named by file must be one
 *                         this root issued (its issuer name, its
 *                         signature, its authorityKeyIdentifier); no
 *                         serial twice; a reason a CA may give; a
 *                         nextUpdate within the policy and the root's
 *                         life.  Output names are decided here.
 *   kr_ocsp_issue()       per certificate one OCSPResponse (successful,
 *                         id-pkix-ocsp-basic): ResponderID byKey (SHA-1
 *                         of the root's key), producedAt, one
 *                         SingleResponse with a SHA-256 CertID, the
 *                         status, thisUpdate now, nextUpdate exactly
 *                         next_update_days later, no extensions, no
 *                         certificates; signed with the root's key as
 *                         certificates and CRLs are (docs/certificates.md,
 *                         "Signature algorithms"), then decoded, checked
 *                         field by field against the plan and verified
 *                         with OCSP_basic_verify() under the root.
 *
 * Nothing here is secret but the root's key, which only kr_ocsp_issue()
 * touches.
 */
#ifndef KR_OCSP_H
#define KR_OCSP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "crl.h"
#include "x509.h"

#define KR_OCSP_LIST_MAX_BYTES	(64u << 10)	/* a status list file */
#define KR_OCSP_MAX_ENTRIES	64		/* lines with a certificate */
#define KR_OCSP_FILE_MAX	128		/* a certificate file's name */

/* One line of the status list. */
struct kr_ocsp_entry {
	size_t			line;
	char			file[KR_OCSP_FILE_MAX + 1]; /* "": by serial */
	int			revoked;	/* else good */
	/*
	 * The serial (given, or the certificate's once planned), and for a
	 * revoked one its reason and date (0: the response's thisUpdate),
	 * as a revocation list has them (crl.h).
	 */
	struct kr_crl_entry	rev;
};

struct kr_ocsp_list {
	char			 source[256];
	struct kr_ocsp_entry	*e;
	size_t			 n;
};

/* One response to sign. */
struct kr_ocsp_item {
	struct kr_ocsp_entry	 e;		/* with the serial filled */
	X509			*cert;		/* NULL: given by serial */
	char			 subject[KR_X509_NAME_TEXT_MAX]; /* or "" */
	char			 not_after[21];	/* the certificate's, or "" */
	char			 file_name[KR_OCSP_FILE_MAX + 1]; /* output */
};

struct kr_ocsp_plan {
	X509			*issuer;
	int			 next_update_days;
	unsigned		 max_days;	/* the policy's */
	char			 policy[64];
	uint8_t			 name_hash[32];	/* CertID, SHA-256 */
	uint8_t			 key_hash[32];
	uint8_t			 responder_key_hash[20];	/* SHA-1 */
	struct kr_ocsp_item	*items;
	size_t			 n;
};

/* One response signed. */
struct kr_ocsp_response {
	uint8_t	*der;			/* the OCSPResponse */
	size_t	 len;
	uint8_t	 sha256[32];		/* of der */
	char	 produced_at[21];
	char	 this_update[21];
	char	 next_update[21];
};

/*
 * Reads a status list: LF-terminated lines of "CERTIFICATE good" or
 * "CERTIFICATE revoked REASON [DATE]" separated by blanks, where
 * CERTIFICATE is a file name (letters, digits, '.', '_', '-', with a '.'
 * and not starting with one, at most KR_OCSP_FILE_MAX bytes) or a serial
 * (hexadecimal digits only), and REASON and DATE are written as in a
 * revocation list (crl.h); '#' starts a comment, blank lines are
 * ignored.  A file or serial listed twice, an unknown status, a
 * revocation without its reason, a bad serial, reason or date, a CR or
 * other control byte, more than KR_OCSP_MAX_ENTRIES lines: refused with
 * "source:line: ..." and what to write instead.  A list must name at
 * least one certificate.  *lp set only on success.  Returns 0,
 * KR_ERR_OCSP, KR_ERR_TOO_LARGE or KR_ERR_NOMEM.
 */
int	kr_ocsp_list_parse(const char *text, size_t len, const char *source,
	    time_t now, struct kr_ocsp_list **lp);

/* Frees l; NULL-safe. */
void	kr_ocsp_list_free(struct kr_ocsp_list *l);

/* "good" or "revoked". */
const char	*kr_ocsp_status_name(const struct kr_ocsp_entry *e);

/*
 * Plans the responses for list l signed by issuer: certs[i] is the
 * certificate read from the file entry i names (kr_subject_cert_read()),
 * NULL for an entry given by serial.  Every problem is listed at once
 * (KR_ERR_OCSP, "source:line: ..." each): a certificate this root did
 * not issue (another issuer name, a signature that does not verify under
 * the root's key, an authorityKeyIdentifier that is not the root's),
 * the root's own certificate, a serial named twice, a revocation date
 * before the certificate's notBefore, a reason a CA may not give (crl.h),
 * next_update_days outside 1..max_days, a nextUpdate after the root's
 * notAfter, an output name that would be too long.  Output names are
 * <prefix>-<serial hex>-<YYYYMMDD of now>.der.  *pp set only on success.
 */
int	kr_ocsp_plan_new(X509 *issuer, const struct kr_ocsp_list *l,
	    X509 *const *certs, const char *prefix, int next_update_days,
	    unsigned max_days, const char *policy, time_t now,
	    struct kr_ocsp_plan **pp);

/* Frees p (and its references); NULL-safe. */
void	kr_ocsp_plan_free(struct kr_ocsp_plan *p);

/*
 * Signs every planned response with key (the issuer's private key) at
 * time now, checks each (above) and returns them in *rp, p->n of them in
 * the plan's order (free with kr_ocsp_responses_free()).  *rp set only on
 * success.  Returns 0, KR_ERR_X509_PROFILE (a response does not match
 * its plan), KR_ERR_X509_SIGN, KR_ERR_X509_VERIFY or KR_ERR_KEY_MISMATCH.
 */
int	kr_ocsp_issue(const struct kr_ocsp_plan *p, EVP_PKEY *key, time_t now,
	    struct kr_ocsp_response **rp);

/* Frees n responses; NULL-safe. */
void	kr_ocsp_responses_free(struct kr_ocsp_response *r, size_t n);

#endif /* KR_OCSP_H */
