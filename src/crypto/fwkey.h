/*
 * fwkey.h: what firmware-key-create publishes about a new firmware or
 * secure-boot signing key besides its certificate: the public key as PEM,
 * a PKCS#10 request for the team's own PKI, and the public-key hashes
 * boot ROMs and OTP fuses are provisioned with.
 *
 * The pubhash file (docs/firmware-signing.md) is text:
 *
 *	keyrite-pubhash 1
 *	algorithm: ecdsa-p256
 *	sha256-spki-der: <64 hex>	SHA-256 of the DER SubjectPublicKeyInfo
 *	sha256-raw-public-key: <64 hex>	SHA-256 of the raw key
 *	raw-public-key: <hex>		the subjectPublicKey BIT STRING's bytes
 *
 * The raw key is what a boot ROM holds: the uncompressed EC point
 * 04 || X || Y, the 32 or 57 bytes of an EdDSA key, or the DER
 * RSAPublicKey.  sha256-spki-der equals keyrite's key id.
 *
 * Everything here is public; the private key is only used to sign the
 * request.
 */
#ifndef KR_FWKEY_H
#define KR_FWKEY_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* The SubjectPublicKeyInfo of key as PEM ("BEGIN PUBLIC KEY"). */
int	kr_fwkey_public_pem(const EVP_PKEY *key, char **pemp, size_t *lenp);

/*
 * A PKCS#10 request (PEM) signed by key, with the subject of cert (the
 * key's own certificate) and an extensionRequest for keyUsage
 * digitalSignature (critical) and extendedKeyUsage codeSigning; its
 * signature is checked before it is returned.
 */
int	kr_fwkey_csr(EVP_PKEY *key, X509 *cert, char **pemp, size_t *lenp);

/* The pubhash text for key, whose algorithm keyrite manages. */
int	kr_fwkey_pubhash(const EVP_PKEY *key, char **textp, size_t *lenp);

#endif /* KR_FWKEY_H */
