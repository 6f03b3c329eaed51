/*
 * csr.h: certificate requests (PKCS#10, RFC 2986) a CA is asked to sign.
 *
 * A request is read strictly, before any card is touched, and everything
 * the people in the room must see about it is taken out here: who it
 * names, its public key (algorithm, size, the SHA-256 of its
 * SubjectPublicKeyInfo, which witnesses compare with the value the
 * requester sent out of band), and every extension it asks for.  Its
 * self-signature is verified: the requester holds the private key (proof
 * of possession).  What is signed is decided by the CA's profile and the
 * ceremony's parameters, never by the request (x509-issue.h).
 *
 * Nothing in a request is secret.
 */
#ifndef KR_CSR_H
#define KR_CSR_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "x509.h"

#define KR_CSR_MAX_BYTES	65536	/* a request file, at most */
#define KR_CSR_MAX_EXTS		32	/* extensions requested, at most */
#define KR_CSR_EXT_TEXT_MAX	512	/* bytes of one extension, shown */

/* One extension the request asks for (extensionRequest, RFC 2985). */
struct kr_csr_ext {
	int	 nid;			/* NID_undef when OpenSSL has none */
	char	 name[64];		/* "subjectAltName", else the OID */
	char	 oid[64];		/* dotted */
	int	 critical;
	uint8_t	*value;			/* extnValue's contents (DER) */
	size_t	 value_len;
	/* As OpenSSL prints it, on one line, escaped for a terminal. */
	char	 text[KR_CSR_EXT_TEXT_MAX];
};

struct kr_csr {
	X509_REQ		*req;
	EVP_PKEY		*key;		/* public; owned by req */
	char			 source[256];	/* file name, for messages */
	int			 pem;		/* read from PEM, else DER */
	uint8_t			 sha256[32];	/* of the DER request */
	char			 subject[KR_X509_NAME_TEXT_MAX]; /* RFC 4514 */
	char			 key_alg[16];	/* key.h name, or "" */
	char		 key_text[64];	/* "EC P-384", "RSA 1024 bits" */
	char			 sig_alg[64];	/* "ecdsa-with-SHA384" */
	uint8_t			*spki;		/* DER, as in the request */
	size_t			 spki_len;
	uint8_t			 spki_sha256[32];
	struct kr_csr_ext	 exts[KR_CSR_MAX_EXTS];
	size_t			 nexts;
};

/*
 * Reads one PKCS#10 request from data[0..len): PEM (one "CERTIFICATE
 * REQUEST" block, no headers, only whitespace around it) or DER (exactly
 * len bytes).  The DER must re-encode to the same bytes, so the hashes
 * shown are of what was sent.  Refused, with a detail naming source and
 * saying what it is instead: a certificate, anything else, trailing bytes,
 * a version other than 1, an empty subject, attributes other than
 * extensionRequest, an extension asked twice, a public key OpenSSL cannot
 * decode, and a signature that does not verify under the request's own
 * key (no proof of possession).  The key's algorithm is not judged here
 * (the policy does): key_alg is "" for one keyrite does not manage.
 * *csrp set only on success.  Returns 0, KR_ERR_X509_CSR, KR_ERR_TOO_LARGE
 * or KR_ERR_NOMEM.
 */
int	kr_csr_parse(const uint8_t *data, size_t len, const char *source,
	    struct kr_csr **csrp);

/* Frees c; NULL-safe. */
void	kr_csr_free(struct kr_csr *c);

/*
 * A public key described for people: "EC P-384", "RSA 3072 bits",
 * "Ed25519" (also for the certificates subject-cert.h reads).
 */
void	kr_csr_key_text(const EVP_PKEY *key, char *out, size_t outlen);

/*
 * Fills e from ext (its OID, name, criticality, value and text), for a
 * request's extensions and a certificate's alike.  The value is
 * malloc()ed: free(e->value).  Returns 0 or KR_ERR_NOMEM (nothing then
 * to free).
 */
int	kr_csr_ext_read(X509_EXTENSION *ext, struct kr_csr_ext *e);

#endif /* KR_CSR_H */
