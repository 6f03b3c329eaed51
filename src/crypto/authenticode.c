/*
 * authenticode.c: the PKCS#7 SignedData of an Authenticode signature.
 *
 * The SpcIndirectDataContent has one shape for every PE image signed
 * with SHA-256; only the 32 hash bytes change.  It is written here as
 * DER directly, from the ASN.1 in the Authenticode specification, which
 * keeps its encoding (and so its messageDigest) fixed and visible:
 *
 *   30 68                                  SpcIndirectDataContent
 *     30 33                                SpcAttributeTypeAndOptionalValue
 *       06 0a 2b0601040182370201 0f        SPC_PE_IMAGE_DATAOBJ
 *       30 25                              SpcPeImageData
 *         03 01 00                           flags: no bits
 *         a0 20 a2 1e 80 1c <BMPString>      file: "<<<Obsolete>>>"
 *     30 31                                DigestInfo
 *       30 0d 06 09 608648016503040201 05 00   sha256, NULL
 *       04 20 <the image's hash>
 *
 * OpenSSL's PKCS#7 code adds the signer, signs the authenticated
 * attributes (PKCS7_SIGNER_INFO_sign, which never looks at the content)
 * and encodes; the content is then set to the SpcIndirectDataContent.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "authenticode.h"
#include "base/err.h"
#include "key.h"

#define SPC_INDIRECT_DATA	"1.3.6.1.4.1.311.2.1.4"
#define IDC_BYTES		106	/* the whole SpcIndirectDataContent */
#define IDC_HASH_AT		(IDC_BYTES - KR_AUTHENTICODE_HASH_BYTES)

static const uint8_t idc_template[IDC_BYTES - KR_AUTHENTICODE_HASH_BYTES] = {
	0x30, 0x68,
	0x30, 0x33,
	0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x01,
	0x0f,
	0x30, 0x25,
	0x03, 0x01, 0x00,
	0xa0, 0x20, 0xa2, 0x1e, 0x80, 0x1c,
	0x00, '<', 0x00, '<', 0x00, '<', 0x00, 'O', 0x00, 'b', 0x00, 's',
	0x00, 'o', 0x00, 'l', 0x00, 'e', 0x00, 't', 0x00, 'e', 0x00, '>',
	0x00, '>', 0x00, '>',
	0x30, 0x31,
	0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
	0x02, 0x01, 0x05, 0x00,
	0x04, 0x20,
};

/* The content's type and value (a SEQUENCE) for the SignedData. */
static int
set_content(PKCS7 *p7, const uint8_t *idc)
{
	ASN1_OBJECT *type = NULL;
	ASN1_STRING *seq = NULL;
	ASN1_TYPE *t = NULL;
	PKCS7 *inner = NULL;

	if ((type = OBJ_txt2obj(SPC_INDIRECT_DATA, 1)) == NULL ||
	    (seq = ASN1_STRING_new()) == NULL ||
	    ASN1_STRING_set(seq, idc, IDC_BYTES) != 1 ||
	    (t = ASN1_TYPE_new()) == NULL || (inner = PKCS7_new()) == NULL) {
		ASN1_OBJECT_free(type);
		ASN1_STRING_free(seq);
		ASN1_TYPE_free(t);
		return 0;
	}
	ASN1_TYPE_set(t, V_ASN1_SEQUENCE, seq);
	inner->type = type;
	inner->d.other = t;
	if (PKCS7_set_content(p7, inner) != 1) {
		PKCS7_free(inner);
		return 0;
	}
	return 1;
}

static int
add_signer(PKCS7 *p7, EVP_PKEY *key, X509 *cert, const uint8_t *idc)
{
	uint8_t md[32];
	PKCS7_SIGNER_INFO *si;
	ASN1_OBJECT *type;

	/* PKCS#7 5.4: the digest of the content octets, tag and length off. */
	if (EVP_Digest(idc + 2, IDC_BYTES - 2, md, NULL, EVP_sha256(),
	    NULL) != 1 ||
	    (si = PKCS7_sign_add_signer(p7, cert, key, EVP_sha256(),
	    PKCS7_BINARY | PKCS7_NOSMIMECAP | PKCS7_NOATTR)) == NULL ||
	    (type = OBJ_txt2obj(SPC_INDIRECT_DATA, 1)) == NULL)
		return 0;
	if (PKCS7_add_signed_attribute(si, NID_pkcs9_contentType,
	    V_ASN1_OBJECT, type) != 1) {
		ASN1_OBJECT_free(type);
		return 0;
	}
	return PKCS7_add1_attrib_digest(si, md, sizeof(md)) == 1 &&
	    PKCS7_SIGNER_INFO_sign(si) == 1;
}

/* Decodes der and checks it as sbverify does: signature and content. */
static int
check(const uint8_t *der, size_t len, X509 *cert, const uint8_t *idc)
{
	const unsigned char *p = der;
	STACK_OF(X509) *certs = NULL;
	X509_STORE *store = NULL;
	PKCS7 *p7 = NULL;
	BIO *content = NULL;
	int ok = 0;

	if ((p7 = d2i_PKCS7(NULL, &p, (long)len)) == NULL ||
	    p != der + len || (certs = sk_X509_new_null()) == NULL ||
	    sk_X509_push(certs, cert) <= 0 ||
	    (store = X509_STORE_new()) == NULL ||
	    (content = BIO_new_mem_buf(idc + 2, IDC_BYTES - 2)) == NULL)
		goto out;
	ok = PKCS7_verify(p7, certs, store, content, NULL, PKCS7_NOVERIFY |
	    PKCS7_BINARY | PKCS7_NOINTERN) == 1;
 out:
	BIO_free(content);
	X509_STORE_free(store);
	sk_X509_free(certs);
	PKCS7_free(p7);
	return ok;
}

int
kr_authenticode_sign(EVP_PKEY *key, X509 *cert,
    const uint8_t hash[KR_AUTHENTICODE_HASH_BYTES], uint8_t **derp,
    size_t *lenp)
{
	const struct kr_key_alg *alg = kr_key_alg_of(key);
	uint8_t idc[IDC_BYTES], *der = NULL;
	unsigned char *enc = NULL;
	PKCS7 *p7 = NULL;
	int len, r = KR_ERR_INTERNAL;

	*derp = NULL;
	*lenp = 0;
	if (alg == NULL || strncmp(kr_key_alg_name(alg), "ed", 2) == 0)
		return kr_err_set(KR_ERR_KEY_ALGORITHM, "Authenticode: UEFI "
		    "firmware verifies RSA and ECDSA signatures only, not %s",
		    alg ? kr_key_alg_name(alg) : "this key");
	if (X509_check_private_key(cert, key) != 1) {
		ERR_clear_error();
		return kr_err_set(KR_ERR_KEY_MISMATCH, "Authenticode: the "
		    "certificate is not the signing key's");
	}
	memcpy(idc, idc_template, sizeof(idc_template));
	memcpy(idc + IDC_HASH_AT, hash, KR_AUTHENTICODE_HASH_BYTES);
	if ((p7 = PKCS7_new()) == NULL ||
	    PKCS7_set_type(p7, NID_pkcs7_signed) != 1 ||
	    !add_signer(p7, key, cert, idc) || !set_content(p7, idc) ||
	    (len = i2d_PKCS7(p7, &enc)) <= 0) {
		r = kr_err_libcrypto(KR_ERR_CMS, "building the Authenticode "
		    "signature");
		goto out;
	}
	if (!check(enc, (size_t)len, cert, idc)) {
		r = kr_err_libcrypto(KR_ERR_CMS, "the Authenticode signature "
		    "does not verify");
		goto out;
	}
	if ((der = malloc((size_t)len)) == NULL) {
		r = kr_err_set(KR_ERR_NOMEM, "Authenticode signature");
		goto out;
	}
	memcpy(der, enc, (size_t)len);
	*derp = der;
	*lenp = (size_t)len;
	r = 0;
 out:
	OPENSSL_free(enc);
	PKCS7_free(p7);
	return r;
}
