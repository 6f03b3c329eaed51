/*
 * subject-cert.h: certificates given to a ceremony as input.
 *
 * Two ceremonies read certificates that someone else made:
 *
 *   root-ca-cross-sign     the certificate of the CA to cross-certify (a
 *                          new root, an old root, another organisation's
 *                          CA): its subject and SubjectPublicKeyInfo are
 *                          certified byte for byte, and its own
 *                          subjectKeyIdentifier kept, so that chains
 *                          built through either certificate match
 *                          (kr_subject_cert_parse());
 *   root-ca-ocsp-responses the certificates whose status the root signs
 *                          (kr_subject_cert_read(): one certificate, read
 *                          strictly; ocsp.h checks that the root issued
 *                          it).
 *
 * A file holds exactly one certificate: one PEM "CERTIFICATE" block with
 * nothing but whitespace around it and no headers, or DER of exactly the
 * file's length; the DER must re-encode to the same bytes, so the hashes
 * recorded are of what was sent.  Everything here is public.
 */
#ifndef KR_SUBJECT_CERT_H
#define KR_SUBJECT_CERT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "csr.h"
#include "x509.h"

#define KR_SUBJECT_CERT_MAX_BYTES	65536	/* a certificate file */
#define KR_SUBJECT_CERT_SKI_MAX		32	/* octets of a kept SKI */

/* A CA certificate to cross-certify, read and checked. */
struct kr_subject_cert {
	X509			*cert;
	char			 source[256];	/* file name, for messages */
	int			 pem;		/* read from PEM, else DER */
	uint8_t			 sha256[32];	/* of the DER: its fingerprint */
	char			 subject[KR_X509_NAME_TEXT_MAX];
	char			 issuer[KR_X509_NAME_TEXT_MAX];
	char			 serial[2 * 20 + 1];	/* lower-case hex */
	char			 not_before[21];
	char			 not_after[21];
	int			 self_signed;	/* verified under its own key */
	long			 path_len;	/* -1: no pathLenConstraint */
	char			 key_alg[16];	/* key.h name, or "" */
	char			 key_text[64];	/* "EC P-384" */
	char			 sig_alg[64];
	uint8_t			*spki;		/* DER, as in the certificate */
	size_t			 spki_len;
	uint8_t			 spki_sha256[32];
	uint8_t			 ski[KR_SUBJECT_CERT_SKI_MAX];
	size_t			 ski_len;
	char			 ski_hex[2 * KR_SUBJECT_CERT_SKI_MAX + 1];
	/* Its extensions, for the review (what the cross-certificate keeps). */
	struct kr_csr_ext	 exts[KR_CSR_MAX_EXTS];
	size_t			 nexts;
};

/*
 * Reads exactly one certificate from data[0..len), PEM or DER as above.
 * *certp set only on success (X509_free() it); sha256 (may be NULL) gets
 * the SHA-256 of its DER.  Refused, with a detail naming source and
 * saying what it is instead: a request, a key, another PEM block, two
 * blocks, trailing bytes, headers, DER that does not re-encode the same,
 * anything else.  Returns 0, KR_ERR_X509_CERT, KR_ERR_TOO_LARGE (over
 * KR_SUBJECT_CERT_MAX_BYTES) or KR_ERR_NOMEM.
 */
int	kr_subject_cert_read(const uint8_t *data, size_t len,
	    const char *source, X509 **certp, uint8_t sha256[32]);

/*
 * Reads a certificate with kr_subject_cert_read() and checks that it is
 * a CA certificate another CA may cross-certify: version 3,
 * basicConstraints cA TRUE, a keyUsage (when present) with keyCertSign,
 * a subjectKeyIdentifier of 1 to KR_SUBJECT_CERT_SKI_MAX octets, a
 * public key OpenSSL decodes, no extension twice, at most
 * KR_CSR_MAX_EXTS extensions; a self-issued certificate (issuer =
 * subject) must verify under its own key.  Whether its key is allowed is
 * the policy's question (x509-issue.h).  *scp set only on success.
 * Returns 0, KR_ERR_X509_CERT (the detail names source and what is
 * wrong), KR_ERR_TOO_LARGE or KR_ERR_NOMEM.
 */
int	kr_subject_cert_parse(const uint8_t *data, size_t len,
	    const char *source, struct kr_subject_cert **scp);

/* Frees sc; NULL-safe. */
void	kr_subject_cert_free(struct kr_subject_cert *sc);

#endif /* KR_SUBJECT_CERT_H */
