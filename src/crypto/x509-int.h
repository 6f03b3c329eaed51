/*
 * x509-int.h: what x509.c (the root profile) shares with the files that
 * issue other certificates and CRLs with a CA key (x509-issue.c, crl.c).
 * Not part of the crypto layer's API: nothing outside src/crypto/
 * includes it.
 */
#ifndef KR_X509_INT_H
#define KR_X509_INT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "x509.h"

#define KR_X509_SKI_BYTES	20	/* SHA-1: RFC 5280 4.2.1.2 method 1 */

/*
 * The signature a CA key makes on certificates and CRLs, by key algorithm
 * (docs/certificates.md, "Signature algorithms"): the digest (NULL for
 * pure EdDSA), the signature OID written, and parameters set on the
 * signing context (NULL: OpenSSL's defaults).
 */
struct kr_x509_sig {
	const char	*alg;		/* key.h name */
	const char	*digest;
	int		 sig_nid;
	int		(*params)(EVP_PKEY_CTX *);
};

/* The row for key's algorithm; KR_ERR_KEY_ALGORITHM if there is none. */
int	kr_x509_sig_of(const EVP_PKEY *key, const struct kr_x509_sig **sigp);

/*
 * A digest-sign context for key as sig says, for X509_sign_ctx() and
 * X509_CRL_sign_ctx().  *mctxp set only on success; EVP_MD_CTX_free() it.
 */
int	kr_x509_sign_init(EVP_PKEY *key, const struct kr_x509_sig *sig,
	    EVP_MD_CTX **mctxp);

/* SHA-1 of pk's subjectPublicKey bits (RFC 5280 4.2.1.2 method 1). */
int	kr_x509_key_identifier(const X509_PUBKEY *pk,
	    uint8_t ski[KR_X509_SKI_BYTES]);

/*
 * KR_X509_SERIAL_BYTES random bytes from the CSPRNG, first bit clear and
 * first byte non-zero: a positive INTEGER of exactly that many octets.
 */
int	kr_x509_random_serial(uint8_t b[KR_X509_SERIAL_BYTES]);

/* The big-endian magnitude b[0..len) as an ASN1_INTEGER (*serialp). */
int	kr_x509_serial_integer(const uint8_t *b, size_t len,
	    ASN1_INTEGER **serialp);

/* t as YYYY-MM-DDTHH:MM:SSZ; KR_ERR_X509_DECODE naming which if not. */
int	kr_x509_time_text(const ASN1_TIME *t, const char *which, char out[21]);

/*
 * A distinguished name in the subject grammar of kr_x509_subject_parse()
 * without its requirement of a CN and without rehearsal marking: for
 * directoryName name constraints.
 */
int	kr_x509_dn_parse(const char *text, X509_NAME **namep);

/*
 * One extension as OpenSSL prints it, on one line ("; " between its
 * lines), escaped for a terminal (kr_printable()); cut to outlen.
 */
void	kr_x509_ext_text(X509_EXTENSION *ext, char *out, size_t outlen);

/*
 * Problems found while checking something against a profile, listed all
 * at once: kr_x509_problem() adds one ("\n  - ..."), kr_x509_problems_err()
 * returns 0 when there is none, else sets KR_ERR_X509_PROFILE with
 * "what: N problems:" and the list.
 */
struct kr_x509_problems {
	char	text[4096];
	size_t	used;
	size_t	n;
};

void	kr_x509_problem(struct kr_x509_problems *pb, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	kr_x509_problems_err(const struct kr_x509_problems *pb,
	    const char *what);

#endif /* KR_X509_INT_H */
