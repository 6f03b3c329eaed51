/*
 * crl.h: certificate revocation lists a CA key issues (RFC 5280 5), the
 * previous CRL they continue, and the revocation list file that says
 * what to add.
 *
 * Like certificates (x509-issue.h), a CRL is planned before any card is
 * touched and issued with the recovered key afterwards:
 *
 *   kr_crl_list_parse()  the revocation list file: one serial a line
 *                        with its reason and an optional date; strict,
 *                        errors "file:line: ...".
 *   kr_crl_parse()       a previous CRL: one PEM or DER CRL, v2, issued
 *                        and signed by the issuer given, with a CRL
 *                        number; its entries are carried over.
 *   kr_crl_plan_new()    the next CRL: number one above the previous (1
 *                        when none), the previous entries and the new
 *                        ones, refused when a serial is listed twice or
 *                        a reason is one a CA's CRL may not use.
 *   kr_crl_issue()       build, check, sign, decode and check again,
 *                        verify under the issuer's public key.
 *
 * Nothing here is secret but the issuer's key, which only kr_crl_issue()
 * touches.  docs/certificates.md gives the profile, docs/formats.md the
 * revocation list format.
 */
#ifndef KR_CRL_H
#define KR_CRL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define KR_CRL_MAX_BYTES	(4u << 20)	/* a CRL file, at most */
#define KR_CRL_LIST_MAX_BYTES	(1u << 20)	/* a revocation list file */
#define KR_CRL_MAX_ENTRIES	20000
#define KR_CRL_SERIAL_MAX	20		/* octets (RFC 5280 4.1.2.2) */

/* CRLReason (RFC 5280 5.3.1); KR_CRL_NO_REASON: no reasonCode. */
#define KR_CRL_NO_REASON	(-1)

struct kr_crl_entry {
	uint8_t	serial[KR_CRL_SERIAL_MAX];	/* magnitude, big-endian, */
	size_t	serial_len;			/* no leading zero byte */
	char	serial_hex[2 * KR_CRL_SERIAL_MAX + 1];	/* lower case */
	time_t	date;		/* revocationDate; 0: the CRL's thisUpdate */
	int	reason;		/* CRLReason, or KR_CRL_NO_REASON */
	size_t	line;		/* in the revocation list; 0 if carried */
};

/* A revocation list file, read. */
struct kr_crl_list {
	char			 source[256];
	struct kr_crl_entry	*e;
	size_t			 n;
};

/* A CRL read, checked and verified under its issuer. */
struct kr_crl {
	X509_CRL		*crl;
	char			 source[256];
	uint8_t			 sha256[32];	/* of the DER */
	uint64_t		 number;	/* cRLNumber */
	char			 this_update[21];
	char			 next_update[21];	/* "" if absent */
	struct kr_crl_entry	*e;
	size_t			 n;
};

/* The next CRL, before it is signed. */
struct kr_crl_plan {
	X509			*issuer;
	uint64_t		 number;
	int			 next_update_days;
	unsigned		 max_days;	/* the policy's */
	char			 policy[64];	/* its name, for messages */
	struct kr_crl_entry	*e;		/* sorted by serial */
	size_t			 n;
	size_t			 ncarried;	/* from the previous CRL */
	size_t			 nadded;	/* from the revocation list */
	uint8_t			 issuer_ski[64];
	size_t			 issuer_ski_len;
};

/* "keyCompromise", ...; NULL for a value RFC 5280 does not define. */
const char	*kr_crl_reason_name(int reason);

/*
 * Why a CA may not give reason for a certificate it revokes now (BR
 * 7.2.2: unspecified, certificateHold; removeFromCRL, aACompromise), in
 * words, or NULL when it may.  For CRLs and OCSP responses alike.
 */
const char	*kr_crl_reason_refused(int reason);

/*
 * Reads a revocation list (docs/formats.md): LF-terminated lines of
 * "SERIAL REASON [DATE]" separated by spaces or tabs, where SERIAL is
 * hexadecimal (1 to 40 digits, not zero), REASON an RFC 5280 CRLReason
 * name ("keyCompromise") and DATE "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ",
 * not after now; '#' starts a comment, blank lines are ignored.  A serial
 * listed twice, an unknown reason, a bad serial or date, a CR or NUL or
 * other control byte, more than KR_CRL_MAX_ENTRIES entries: refused with
 * "source:line: ..." and what to write instead.  An empty list (only
 * comments) is fine.  *lp set only on success.  Returns 0,
 * KR_ERR_REVOCATIONS, KR_ERR_TOO_LARGE or KR_ERR_NOMEM.
 */
int	kr_crl_list_parse(const char *text, size_t len, const char *source,
	    time_t now, struct kr_crl_list **lp);

/* Frees l; NULL-safe. */
void	kr_crl_list_free(struct kr_crl_list *l);

/*
 * One field of a revocation list line, read exactly as
 * kr_crl_list_parse() reads it, into e (the OCSP status list, ocsp.h,
 * writes its revocations the same way): a SERIAL (serial, serial_len,
 * serial_hex), a REASON (reason) or a DATE (date, not after now).
 * Errors are "source:line: ..." with the code given.
 */
enum kr_crl_field {
	KR_CRL_FIELD_SERIAL,
	KR_CRL_FIELD_REASON,
	KR_CRL_FIELD_DATE,
};
int	kr_crl_field_parse(enum kr_crl_field which, const char *f,
	    size_t len, const char *source, size_t line, time_t now,
	    int code, struct kr_crl_entry *e);

/*
 * Reads one CRL from data[0..len): PEM (one "X509 CRL" block, nothing
 * else) or DER re-encoding to the same bytes.  It must be v2, name
 * issuer's subject as its issuer byte for byte, verify under issuer's
 * public key, carry a cRLNumber and no delta-CRL indicator, no unknown
 * critical extension, no entry listed twice, no entry with a critical
 * extension, and a thisUpdate not after now.  *cp set only on success.
 * Returns 0, KR_ERR_CRL (the detail names source and says why),
 * KR_ERR_TOO_LARGE or KR_ERR_NOMEM.
 */
int	kr_crl_parse(const uint8_t *data, size_t len, const char *source,
	    X509 *issuer, time_t now, struct kr_crl **cp);

/* Frees c; NULL-safe. */
void	kr_crl_free(struct kr_crl *c);

/*
 * Plans the CRL after prev (NULL: the first, number 1) adding list
 * (NULL: nothing, a periodic re-issue), valid next_update_days (at most
 * max_days, the policy's) from the signing.  Refuses, listing every
 * problem: a serial in list that prev lists already, a reason a CA's CRL
 * may not carry (unspecified: name one; certificateHold: BR 7.2.2;
 * removeFromCRL: delta CRLs only; aACompromise: attribute certificates
 * only), a number that would overflow, an issuer without a
 * subjectKeyIdentifier, too many entries.  *pp set only on success.
 */
int	kr_crl_plan_new(X509 *issuer, const struct kr_crl *prev,
	    const struct kr_crl_list *list, int next_update_days,
	    unsigned max_days, const char *policy, struct kr_crl_plan **pp);

/* Frees p (and its reference to the issuer); NULL-safe. */
void	kr_crl_plan_free(struct kr_crl_plan *p);

/*
 * Issues the planned CRL with key (the issuer's private key) at time
 * now: v2, issuer byte for byte, thisUpdate now, nextUpdate exactly
 * next_update_days later, authorityKeyIdentifier (keyIdentifier only),
 * cRLNumber, the entries sorted by serial with their dates and a
 * reasonCode where they have one; signed as certificates are
 * (docs/certificates.md), decoded and re-encoded to the same bytes,
 * checked field by field against the plan and verified under the
 * issuer's public key.  *derp and *pemp (malloc()ed; *pemp
 * NUL-terminated) set only on success.  Returns 0, KR_ERR_X509_PROFILE,
 * KR_ERR_X509_SIGN, KR_ERR_X509_VERIFY or KR_ERR_KEY_MISMATCH.
 */
int	kr_crl_issue(const struct kr_crl_plan *p, EVP_PKEY *key, time_t now,
	    uint8_t **derp, size_t *derlenp, char **pemp, size_t *pemlenp);

#endif /* KR_CRL_H */
