/*
 * cms.h: detached CMS signatures (RFC 5652 SignedData) over a digest.
 *
 * A firmware image is hashed once while it streams past (fwsig.h); the
 * SignedData is then built around that digest: one SignerInfo with the
 * signed attributes contentType (id-data), signingTime and messageDigest,
 * the signer's certificate included, the content itself absent
 * (detached).  The digest algorithm is the key's firmware scheme's
 * (SHA-256, SHA-384 for P-384 and RSA-4096, SHA-512 for P-521 and
 * Ed25519, SHAKE256 for Ed448); the signature is ECDSA, RSA PKCS#1 v1.5
 * (what every CMS verifier, U-Boot and EDK II accept), or pure EdDSA over
 * the signed attributes as RFC 8419 says.  `openssl cms -verify -binary
 * -inform DER -content IMAGE -CAfile CERT -purpose any` checks the ECDSA
 * and RSA ones; OpenSSL 3.0 cannot check EdDSA in CMS, and
 * docs/firmware-signing.md shows how to check those by hand.
 *
 * Nothing here is secret but the private key.
 */
#ifndef KR_CMS_H
#define KR_CMS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/*
 * Signs: digest (dlen bytes, of the content, made with the firmware
 * scheme of key: fwsig.h) becomes the messageDigest of a detached
 * SignedData by key, whose certificate cert is included; signing_time
 * goes into the signingTime attribute.  The result is decoded again and
 * its signature and messageDigest checked before it is returned.  *derp
 * malloc()ed, set only on success.  Returns 0, KR_ERR_KEY_ALGORITHM,
 * KR_ERR_KEY_MISMATCH (cert is not key's), KR_ERR_INVALID_ARGUMENT (a
 * digest of the wrong length) or KR_ERR_CMS with OpenSSL's reasons.
 */
int	kr_cms_sign_digest(EVP_PKEY *key, X509 *cert, const uint8_t *digest,
	    size_t dlen, time_t signing_time, uint8_t **derp, size_t *lenp);

/*
 * Checks DER CMS made by kr_cms_sign_digest() against the content digest
 * and the public key of cert: one SignerInfo, its messageDigest equal to
 * digest, its signature over the signed attributes good under cert's key.
 * Returns 0 or KR_ERR_CMS.
 */
int	kr_cms_check_digest(const uint8_t *der, size_t len, X509 *cert,
	    const uint8_t *digest, size_t dlen);

#endif /* KR_CMS_H */
