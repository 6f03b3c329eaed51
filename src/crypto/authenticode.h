/*
 * authenticode.h: the Authenticode signature of a PE/COFF image: a
 * PKCS#7 SignedData whose content is an SpcIndirectDataContent naming the
 * image's Authenticode hash (pe.h computes it), as the Microsoft
 * "Windows Authenticode Portable Executable Signature Format" specifies.
 *
 * The content is SpcIndirectDataContent { SpcAttributeTypeAndOptionalValue
 * { SPC_PE_IMAGE_DATAOBJ, SpcPeImageData { flags {}, file <<<Obsolete>>> }
 * }, DigestInfo { sha256, hash } }; the one SignerInfo signs the
 * authenticated attributes contentType (SPC_INDIRECT_DATA_OBJID) and
 * messageDigest (SHA-256 of the content's DER without its outer tag and
 * length, a PKCS#7 rule) with SHA-256 and the key: RSA PKCS#1 v1.5 (what
 * UEFI firmware verifies) or ECDSA.  The signer's certificate is
 * included.  `sbverify --cert CERT IMAGE` checks the signed image.
 *
 * Nothing here is secret but the private key.
 */
#ifndef KR_AUTHENTICODE_H
#define KR_AUTHENTICODE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define KR_AUTHENTICODE_HASH_BYTES	32	/* SHA-256 */

/*
 * Signs the Authenticode hash with key (an RSA or ECDSA key whose
 * certificate is cert) and returns the DER SignedData for the image's
 * certificate table, after checking it as a verifier would.  *derp
 * malloc()ed, set only on success.  Returns 0, KR_ERR_KEY_ALGORITHM (an
 * EdDSA key: Authenticode has none), KR_ERR_KEY_MISMATCH or KR_ERR_CMS.
 */
int	kr_authenticode_sign(EVP_PKEY *key, X509 *cert,
	    const uint8_t hash[KR_AUTHENTICODE_HASH_BYTES], uint8_t **derp,
	    size_t *lenp);

#endif /* KR_AUTHENTICODE_H */
