/*
 * cms.c: a detached CMS SignedData built around a precomputed digest.
 *
 * OpenSSL's CMS code hashes the content itself, through a BIO, when it
 * finishes a SignedData; keyrite has hashed the image already (once, in a
 * bounded buffer, before any card was used) and must not read it again.
 * So the SignedData is made partial (CMS_PARTIAL), the signer added, the
 * three signed attributes set here, and the SignerInfo signed on its own
 * (CMS_SignerInfo_sign), which signs the DER of the signed attributes and
 * never looks at the content.
 *
 * OpenSSL 3.0 cannot sign or verify EdDSA in CMS (it insists on hashing
 * the attributes first).  For EdDSA the same structure is made, and the
 * signature over the DER of the signed attributes (encoded as the SET OF
 * that RFC 5652 5.4 signs) is computed and checked here with pure EdDSA,
 * as RFC 8419 specifies.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "base/err.h"
#include "cms.h"
#include "fwsig.h"

static int
is_eddsa(const struct kr_fwsig_scheme *s)
{
	return strncmp(s->raw, "Ed", 2) == 0;
}

/*
 * The DER of the SignerInfo's signed attributes as they are signed: a
 * SET OF in DER order (PKCS7_ATTR_SIGN sorts it).  *derp OPENSSL_malloc()ed.
 */
static int
signed_attrs_der(CMS_SignerInfo *si, unsigned char **derp, int *lenp)
{
	STACK_OF(X509_ATTRIBUTE) *sk = NULL;
	int i, n, len = -1;

	*derp = NULL;
	if ((sk = sk_X509_ATTRIBUTE_new_null()) == NULL)
		return 0;
	n = CMS_signed_get_attr_count(si);
	for (i = 0; i < n; i++)
		if (sk_X509_ATTRIBUTE_push(sk, CMS_signed_get_attr(si, i)) <= 0)
			goto out;
	len = ASN1_item_i2d((ASN1_VALUE *)sk, derp,
	    ASN1_ITEM_rptr(PKCS7_ATTR_SIGN));
 out:
	sk_X509_ATTRIBUTE_free(sk);	/* the attributes stay si's */
	*lenp = len;
	return len > 0;
}

/* Pure EdDSA over the signed attributes, as RFC 8419 3.3 has it. */
static int
eddsa_sign_attrs(CMS_SignerInfo *si, EVP_PKEY *key, int nid)
{
	X509_ALGOR *sigalg = NULL;
	EVP_MD_CTX *mctx = NULL;
	unsigned char *der = NULL, *sig = NULL;
	size_t siglen = 0;
	int len = 0, ok = 0;

	CMS_SignerInfo_get0_algs(si, NULL, NULL, NULL, &sigalg);
	if (sigalg == NULL || X509_ALGOR_set0(sigalg, OBJ_nid2obj(nid),
	    V_ASN1_UNDEF, NULL) != 1)
		goto out;
	if (!signed_attrs_der(si, &der, &len) ||
	    (mctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit_ex(mctx, NULL, NULL, NULL, NULL, key,
	    NULL) != 1 ||
	    EVP_DigestSign(mctx, NULL, &siglen, der, (size_t)len) != 1 ||
	    (sig = OPENSSL_malloc(siglen)) == NULL ||
	    EVP_DigestSign(mctx, sig, &siglen, der, (size_t)len) != 1)
		goto out;
	ok = ASN1_STRING_set(CMS_SignerInfo_get0_signature(si), sig,
	    (int)siglen) == 1;
 out:
	OPENSSL_free(der);
	OPENSSL_free(sig);
	EVP_MD_CTX_free(mctx);
	return ok;
}

static int
add_attrs(CMS_SignerInfo *si, const uint8_t *digest, size_t dlen,
    time_t when)
{
	ASN1_TIME *t = NULL;
	int ok;

	if ((t = ASN1_TIME_set(NULL, when)) == NULL)
		return 0;
	ok = CMS_signed_add1_attr_by_NID(si, NID_pkcs9_contentType,
	    V_ASN1_OBJECT, OBJ_nid2obj(NID_pkcs7_data), -1) == 1 &&
	    CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime,
	    t->type, t, -1) == 1 &&
	    CMS_signed_add1_attr_by_NID(si, NID_pkcs9_messageDigest,
	    V_ASN1_OCTET_STRING, digest, (int)dlen) == 1;
	ASN1_TIME_free(t);
	return ok;
}

/* The unsigned SignedData with its one signer, attributes set. */
static int
build(EVP_PKEY *key, X509 *cert, const struct kr_fwsig_scheme *s,
    const uint8_t *digest, size_t dlen, time_t when, CMS_ContentInfo **cmsp,
    CMS_SignerInfo **sip)
{
	const unsigned int flags = CMS_PARTIAL | CMS_DETACHED | CMS_BINARY |
	    CMS_NOSMIMECAP;
	CMS_ContentInfo *cms = NULL;
	CMS_SignerInfo *si;
	EVP_MD *md = NULL;

	*cmsp = NULL;
	if ((md = EVP_MD_fetch(NULL, s->digest, NULL)) == NULL ||
	    (cms = CMS_sign(NULL, NULL, NULL, NULL, flags)) == NULL ||
	    (si = CMS_add1_signer(cms, cert, key, md, flags)) == NULL ||
	    !add_attrs(si, digest, dlen, when)) {
		EVP_MD_free(md);
		CMS_ContentInfo_free(cms);
		return kr_err_libcrypto(KR_ERR_CMS, "building the CMS "
		    "SignedData");
	}
	EVP_MD_free(md);
	*cmsp = cms;
	*sip = si;
	return 0;
}

static int
encode(CMS_ContentInfo *cms, uint8_t **derp, size_t *lenp)
{
	unsigned char *der = NULL;
	int len;

	if ((len = i2d_CMS_ContentInfo(cms, &der)) <= 0)
		return kr_err_libcrypto(KR_ERR_CMS, "encoding the CMS "
		    "SignedData");
	if ((*derp = malloc((size_t)len)) == NULL) {
		OPENSSL_free(der);
		return kr_err_set(KR_ERR_NOMEM, "CMS SignedData");
	}
	memcpy(*derp, der, (size_t)len);
	*lenp = (size_t)len;
	OPENSSL_free(der);
	return 0;
}

int
kr_cms_sign_digest(EVP_PKEY *key, X509 *cert, const uint8_t *digest,
    size_t dlen, time_t signing_time, uint8_t **derp, size_t *lenp)
{
	const struct kr_fwsig_scheme *s = kr_fwsig_scheme_of(key);
	CMS_ContentInfo *cms = NULL;
	CMS_SignerInfo *si = NULL;
	uint8_t *der = NULL;
	size_t len = 0;
	int r = KR_ERR_INTERNAL, ok;

	*derp = NULL;
	*lenp = 0;
	if (s == NULL)
		return kr_err_set(KR_ERR_KEY_ALGORITHM, "CMS: no firmware "
		    "scheme for this key's algorithm");
	if (dlen != s->dlen)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "CMS: a %s digest "
		    "is %zu bytes, not %zu", s->digest, s->dlen, dlen);
	if (X509_check_private_key(cert, key) != 1) {
		ERR_clear_error();
		return kr_err_set(KR_ERR_KEY_MISMATCH, "CMS: the certificate "
		    "is not the signing key's");
	}
	if ((r = build(key, cert, s, digest, dlen, signing_time, &cms,
	    &si)) != 0)
		goto out;
	if (is_eddsa(s))
		ok = eddsa_sign_attrs(si, key, strcmp(s->raw, "Ed25519") == 0 ?
		    NID_ED25519 : NID_ED448);
	else
		ok = CMS_SignerInfo_sign(si) == 1;
	if (!ok) {
		r = kr_err_libcrypto(KR_ERR_CMS, "signing the CMS signed "
		    "attributes");
		goto out;
	}
	if ((r = encode(cms, &der, &len)) != 0 ||
	    (r = kr_cms_check_digest(der, len, cert, digest, dlen)) != 0)
		goto out;
	*derp = der;
	*lenp = len;
	der = NULL;
	r = 0;
 out:
	free(der);
	CMS_ContentInfo_free(cms);
	return r;
}

/* The signature over the signed attributes, checked by pure EdDSA. */
static int
eddsa_check(CMS_SignerInfo *si, EVP_PKEY *pub)
{
	ASN1_OCTET_STRING *sig = CMS_SignerInfo_get0_signature(si);
	EVP_MD_CTX *mctx = NULL;
	unsigned char *der = NULL;
	int len = 0, ok = 0;

	if (sig != NULL && signed_attrs_der(si, &der, &len) &&
	    (mctx = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestVerifyInit_ex(mctx, NULL, NULL, NULL, NULL, pub,
	    NULL) == 1)
		ok = EVP_DigestVerify(mctx, ASN1_STRING_get0_data(sig),
		    (size_t)ASN1_STRING_length(sig), der, (size_t)len) == 1;
	OPENSSL_free(der);
	EVP_MD_CTX_free(mctx);
	return ok;
}

/* The messageDigest attribute equals digest. */
static int
digest_matches(CMS_SignerInfo *si, const uint8_t *digest, size_t dlen)
{
	ASN1_OCTET_STRING *md;

	md = CMS_signed_get0_data_by_OBJ(si,
	    OBJ_nid2obj(NID_pkcs9_messageDigest), -3, V_ASN1_OCTET_STRING);
	return md != NULL && (size_t)ASN1_STRING_length(md) == dlen &&
	    memcmp(ASN1_STRING_get0_data(md), digest, dlen) == 0;
}

int
kr_cms_check_digest(const uint8_t *der, size_t len, X509 *cert,
    const uint8_t *digest, size_t dlen)
{
	const unsigned char *p = der;
	const struct kr_fwsig_scheme *s;
	STACK_OF(CMS_SignerInfo) *sis;
	CMS_ContentInfo *cms = NULL;
	CMS_SignerInfo *si;
	EVP_PKEY *pub = X509_get0_pubkey(cert);
	int ok = 0;

	if (pub == NULL || (s = kr_fwsig_scheme_of(pub)) == NULL ||
	    (cms = d2i_CMS_ContentInfo(NULL, &p, (long)len)) == NULL ||
	    p != der + len || CMS_get0_content(cms) == NULL ||
	    *CMS_get0_content(cms) != NULL ||
	    (sis = CMS_get0_SignerInfos(cms)) == NULL ||
	    sk_CMS_SignerInfo_num(sis) != 1)
		goto out;
	si = sk_CMS_SignerInfo_value(sis, 0);
	if (CMS_SignerInfo_cert_cmp(si, cert) != 0 ||
	    !digest_matches(si, digest, dlen))
		goto out;
	CMS_SignerInfo_set1_signer_cert(si, cert);
	ok = is_eddsa(s) ? eddsa_check(si, pub) : CMS_SignerInfo_verify(si) ==
	    1;
 out:
	CMS_ContentInfo_free(cms);
	if (!ok)
		return kr_err_libcrypto(KR_ERR_CMS, "the CMS SignedData does "
		    "not verify: its signer, messageDigest or signature is "
		    "wrong");
	ERR_clear_error();
	return 0;
}
