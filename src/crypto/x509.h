/*
 * x509.h: root CA and code-signing certificates.
 *
 * keyrite makes two kinds of certificate itself (enum kr_x509_self_profile):
 * the self-signed root of a hierarchy, to the profile in
 * docs/certificates.md (RFC 5280 and the CA/Browser Forum Baseline
 * Requirements 7.1.2.1), and the self-signed certificate of a firmware or
 * secure-boot signing key.  Everything a witness
 * checks about it is available here too: the SHA-256 fingerprint in the
 * grouped form read aloud, the DER SubjectPublicKeyInfo to compare with an
 * escrow package, and a description for the transcript.
 *
 * Nothing in a certificate is secret.  Certificates are OpenSSL X509
 * objects; free them with X509_free().
 */
#ifndef KR_X509_H
#define KR_X509_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define KR_X509_FP_BYTES	32	/* SHA-256 of the DER certificate */
#define KR_X509_FP_TEXT_BYTES	80	/* 16 groups of 4, 15 spaces, NUL */
#define KR_X509_SERIAL_BYTES	16	/* 127 random bits, top bit clear */
#define KR_X509_MAX_DAYS	9131	/* see kr_x509_self_sign() */
#define KR_X509_SUBJECT_MAX	1024	/* bytes of subject text */
#define KR_X509_NAME_TEXT_MAX	4096	/* bytes of a described name */
#define KR_X509_PEM_MAX		65536	/* bytes kr_x509_from_pem() reads */
#define KR_X509_REHEARSAL_SUFFIX " (REHEARSAL)"

/*
 * The kinds of certificate keyrite issues itself (docs/certificates.md):
 * the self-signed root of a hierarchy, and the self-signed certificate of a
 * firmware or secure-boot signing key, for tools that name a signer by its
 * certificate.
 */
enum kr_x509_self_profile {	/* a self-signed certificate's profile */
	KR_X509_PROFILE_ROOT_CA = 0,	/* cA TRUE, keyCertSign and cRLSign */
	KR_X509_PROFILE_CODE_SIGNING,	/* cA FALSE, digitalSignature,
					   extendedKeyUsage codeSigning */
};

struct kr_x509_request {
	/*
	 * The subject (and issuer) as RFC 4514 text, most specific first:
	 * "CN=Example Root CA,O=Example Corp,C=DE".  See
	 * kr_x509_subject_parse() for the grammar.
	 */
	const char	*subject;
	int		 validity_days;	/* 1 .. KR_X509_MAX_DAYS */
	int		 path_len;	/* pathLenConstraint; -1: none */
	int		 rehearsal;	/* append " (REHEARSAL)" to the CN */
	enum kr_x509_self_profile profile;	/* 0: a root CA */
};

/* What the transcript records about a certificate. */
struct kr_x509_info {
	char	subject[KR_X509_NAME_TEXT_MAX];	/* RFC 4514, UTF-8 */
	char	issuer[KR_X509_NAME_TEXT_MAX];
	char	serial[2 * 20 + 1];	/* lower-case hex of the magnitude */
	int	serial_negative;	/* foreign certificates only */
	char	not_before[21];		/* YYYY-MM-DDTHH:MM:SSZ */
	char	not_after[21];
	int	days;			/* whole days from not_before ... */
	int	seconds;		/* ... and seconds to not_after */
	int	is_ca;			/* basicConstraints cA TRUE */
	int	path_len;		/* pathLenConstraint, -1 if absent */
	int	self_signed;		/* issuer = subject, verifies */
	char	sig_alg[64];		/* "ecdsa-with-SHA384" */
	char	key_alg[16];		/* "ecdsa-p384", or "" if unmanaged */
	uint8_t	fingerprint[KR_X509_FP_BYTES];
};

/*
 * Parses subject text into an X509_NAME for a keyrite certificate.
 *
 * Grammar (strict; RFC 4514 order, so the last attribute written is the
 * first encoded): attributes TYPE=VALUE separated by single commas, no
 * spaces around ',' or '='.  TYPE is one of CN, O, OU, C, ST, L (upper
 * case), each at most once; CN is required.  In a VALUE a backslash
 * escapes the next character, which must be one of , + \ " ; < > = #;
 * the characters , + \ " ; < > must be escaped, and a leading # too.
 * Values are non-empty UTF-8 without control characters or leading or
 * trailing spaces, at most 64 characters (CN, O, OU) or 128 (ST, L), and
 * are encoded as UTF8String; C is two upper-case letters (ISO 3166-1),
 * encoded as PrintableString.  With rehearsal set, KR_X509_REHEARSAL_SUFFIX
 * is appended to the CN (and counts towards its 64 characters).
 *
 * *namep is set only on success; free it with X509_NAME_free().  Returns
 * 0, or KR_ERR_X509_SUBJECT with a detail naming the attribute (by type
 * and position) and what to write instead.
 */
int	kr_x509_subject_parse(const char *text, int rehearsal,
	    X509_NAME **namep);

/*
 * Makes a self-signed root CA certificate for key (a private key of one of
 * the algorithms in key.h) to the profile in docs/certificates.md:
 * X.509 v3; a random positive 16-byte serial number (127 bits, first byte
 * non-zero); issuer = subject from req->subject; notBefore now and notAfter
 * exactly req->validity_days * 86400 seconds later (UTCTime through 2049,
 * GeneralizedTime after); basicConstraints critical cA TRUE with
 * pathLenConstraint if req->path_len >= 0; keyUsage critical keyCertSign
 * and cRLSign; subjectKeyIdentifier (SHA-1 of the subjectPublicKey bits,
 * RFC 5280 4.2.1.2 method 1); authorityKeyIdentifier with that keyIdentifier
 * only.  The signature algorithm follows the key (docs/certificates.md):
 * ECDSA with SHA-256/384/512 by curve, RSA PKCS#1 v1.5 with SHA-256
 * (rsa-2048, rsa-3072) or SHA-384 (rsa-4096), pure Ed25519 and Ed448.
 *
 * With req->profile KR_X509_PROFILE_CODE_SIGNING the extensions are
 * instead basicConstraints critical cA FALSE, keyUsage critical
 * digitalSignature, extendedKeyUsage codeSigning, and the same key
 * identifiers (path_len must be -1).
 *
 * KR_X509_MAX_DAYS is the Baseline Requirements' 9132-day ceiling for
 * roots (7.1.2.1.1) less one day: RFC 5280 validity includes both ends, so
 * notBefore + 9132 days would be one second too long.
 *
 * Before returning, the certificate is checked: its public key is key's,
 * its signature verifies under it, its signature algorithm is the one
 * chosen, OpenSSL finds it a valid self-signed CA, and its DER decodes and
 * re-encodes to the same bytes.  The certificate returned is the decoded
 * one.  *certp is set only on success.  Returns 0, KR_ERR_X509_SUBJECT,
 * KR_ERR_X509_REQUEST (validity or path length out of range),
 * KR_ERR_KEY_ALGORITHM (key not of an algorithm keyrite manages),
 * KR_ERR_X509_SERIAL, KR_ERR_X509_SIGN (OpenSSL's errors in the detail;
 * also for a public key) or KR_ERR_X509_SELFCHECK.
 */
int	kr_x509_self_sign(EVP_PKEY *key, const struct kr_x509_request *req,
	    X509 **certp);

/*
 * A signing context for key with the signature algorithm of the profile
 * (as kr_x509_self_sign() chooses it), for other X.509 structures keyrite
 * signs (a PKCS#10 request).  *mctxp is set only on success; free it with
 * EVP_MD_CTX_free().  Returns 0, KR_ERR_KEY_ALGORITHM or KR_ERR_X509_SIGN.
 */
int	kr_x509_sign_ctx(EVP_PKEY *key, EVP_MD_CTX **mctxp);

/*
 * PEM ("-----BEGIN CERTIFICATE-----") of cert: *pemp malloc()ed and
 * NUL-terminated, *lenp excludes the NUL.  Outputs set only on success.
 */
int	kr_x509_to_pem(X509 *cert, char **pemp, size_t *lenp);

/*
 * Reads exactly one PEM certificate from pem[0..len) (need not be
 * NUL-terminated): only whitespace may come before BEGIN and after END,
 * the label must be CERTIFICATE, without headers, and decoding and
 * re-encoding the contents must give the same bytes (so the fingerprint
 * is of the bytes in the file).  source names the file in messages.
 * *certp is set only on success.  Returns 0, KR_ERR_TOO_LARGE (over
 * KR_X509_PEM_MAX) or KR_ERR_X509_DECODE.
 */
int	kr_x509_from_pem(const char *pem, size_t len, const char *source,
	    X509 **certp);

/* fp = SHA-256 of cert's DER encoding.  Returns 0 or KR_ERR_LIBCRYPTO. */
int	kr_x509_fingerprint(X509 *cert, uint8_t fp[KR_X509_FP_BYTES]);

/*
 * Formats fp as 16 groups of 4 upper-case hex digits separated by single
 * spaces ("3F2A 09C1 ..."), as witnesses read it aloud.  out needs
 * KR_X509_FP_TEXT_BYTES; a shorter out gets "" (if outlen > 0).
 */
void	kr_x509_fingerprint_text(const uint8_t fp[KR_X509_FP_BYTES],
	    char *out, size_t outlen);

/*
 * The DER SubjectPublicKeyInfo in cert, byte for byte as the certificate
 * carries it, to compare with an escrow package's public key.  *spkip is
 * malloc()ed (free with free()); outputs set only on success.
 */
int	kr_x509_public_spki(X509 *cert, uint8_t **spkip, size_t *lenp);

/*
 * Describes cert for the transcript (any certificate, not only keyrite's).
 * *info is written only on success.  Returns 0, KR_ERR_TOO_LARGE (a name
 * longer than KR_X509_NAME_TEXT_MAX), KR_ERR_X509_DECODE (a field keyrite
 * cannot represent, e.g. a serial over 20 bytes) or KR_ERR_LIBCRYPTO.
 */
int	kr_x509_describe(X509 *cert, struct kr_x509_info *info);

/*
 * name as RFC 4514 text, as kr_x509_describe() shows subjects and issuers
 * (UTF-8 left as is); text that kr_x509_subject_parse() reads back to an
 * equal name.  Returns 0, KR_ERR_TOO_LARGE or KR_ERR_LIBCRYPTO.
 */
int	kr_x509_name_text(const X509_NAME *name, char *out, size_t outlen);

#endif /* KR_X509_H */
