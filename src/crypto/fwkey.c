/*
 * fwkey.c: a firmware key's public key file, PKCS#10 request and public
 * key hashes.
 *
 * All three are built from OpenSSL's own encodings of the key, so that
 * the hashes are of exactly the bytes `openssl pkey -pubin -outform DER`
 * prints, and the request is signed with the signature algorithm the
 * certificate code uses for the same key (kr_x509_sign_ctx()).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/buf.h"
#include "base/err.h"
#include "fwkey.h"
#include "key.h"
#include "x509.h"

/* The contents of a memory BIO as a malloc()ed NUL-terminated string. */
static int
bio_text(BIO *bio, char **textp, size_t *lenp)
{
	BUF_MEM *mem = NULL;
	char *text;

	if (BIO_get_mem_ptr(bio, &mem) <= 0 || mem == NULL ||
	    (text = malloc(mem->length + 1)) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "encoding PEM");
	memcpy(text, mem->data, mem->length);
	text[mem->length] = '\0';
	*textp = text;
	*lenp = mem->length;
	return 0;
}

int
kr_fwkey_public_pem(const EVP_PKEY *key, char **pemp, size_t *lenp)
{
	BIO *bio = NULL;
	int r;

	*pemp = NULL;
	*lenp = 0;
	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_PUBKEY(bio, key) != 1) {
		r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "encoding the public "
		    "key as PEM");
		goto out;
	}
	r = bio_text(bio, pemp, lenp);
 out:
	BIO_free(bio);
	return r;
}

/* keyUsage digitalSignature (critical), extendedKeyUsage codeSigning. */
static int
request_extensions(X509_REQ *req)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	X509_EXTENSION *ku = NULL, *eku = NULL;
	int ok;

	ok = (exts = sk_X509_EXTENSION_new_null()) != NULL &&
	    (ku = X509V3_EXT_conf_nid(NULL, NULL, NID_key_usage,
	    "critical,digitalSignature")) != NULL &&
	    sk_X509_EXTENSION_push(exts, ku) > 0 &&
	    ((ku = NULL), 1) &&
	    (eku = X509V3_EXT_conf_nid(NULL, NULL, NID_ext_key_usage,
	    "codeSigning")) != NULL &&
	    sk_X509_EXTENSION_push(exts, eku) > 0 &&
	    ((eku = NULL), 1) &&
	    X509_REQ_add_extensions(req, exts) == 1;
	X509_EXTENSION_free(ku);
	X509_EXTENSION_free(eku);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return ok;
}

int
kr_fwkey_csr(EVP_PKEY *key, X509 *cert, char **pemp, size_t *lenp)
{
	EVP_MD_CTX *mctx = NULL;
	X509_REQ *req = NULL;
	BIO *bio = NULL;
	int r = KR_ERR_INTERNAL;

	*pemp = NULL;
	*lenp = 0;
	if ((req = X509_REQ_new()) == NULL ||
	    X509_REQ_set_version(req, X509_REQ_VERSION_1) != 1 ||
	    X509_REQ_set_subject_name(req, X509_get_subject_name(cert)) != 1 ||
	    X509_REQ_set_pubkey(req, key) != 1 || !request_extensions(req)) {
		r = kr_err_libcrypto(KR_ERR_X509_SIGN, "certificate request: "
		    "setting its fields");
		goto out;
	}
	if ((r = kr_x509_sign_ctx(key, &mctx)) != 0)
		goto out;
	if (X509_REQ_sign_ctx(req, mctx) <= 0 ||
	    X509_REQ_verify(req, key) != 1) {
		r = kr_err_libcrypto(KR_ERR_X509_SIGN, "certificate request: "
		    "signing it, or checking the signature");
		goto out;
	}
	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_X509_REQ(bio, req) != 1) {
		r = kr_err_libcrypto(KR_ERR_X509_SIGN, "certificate request: "
		    "encoding it as PEM");
		goto out;
	}
	r = bio_text(bio, pemp, lenp);
 out:
	BIO_free(bio);
	EVP_MD_CTX_free(mctx);
	X509_REQ_free(req);
	return r;
}

int
kr_fwkey_pubhash(const EVP_PKEY *key, char **textp, size_t *lenp)
{
	const struct kr_key_alg *alg = kr_key_alg_of(key);
	const unsigned char *raw = NULL;
	X509_PUBKEY *xpk = NULL;
	uint8_t *spki = NULL, h1[32], h2[32];
	size_t spkilen = 0;
	struct kr_buf b = { 0 };
	int rawlen = 0, r;

	*textp = NULL;
	*lenp = 0;
	if (alg == NULL)
		return kr_err_set(KR_ERR_KEY_ALGORITHM, "public key hashes: an "
		    "algorithm keyrite does not manage");
	if ((r = kr_key_to_spki(key, &spki, &spkilen)) != 0)
		goto out;
	if (X509_PUBKEY_set(&xpk, (EVP_PKEY *)(uintptr_t)key) != 1 ||
	    X509_PUBKEY_get0_param(NULL, &raw, &rawlen, NULL, xpk) != 1 ||
	    rawlen <= 0 ||
	    EVP_Digest(spki, spkilen, h1, NULL, EVP_sha256(), NULL) != 1 ||
	    EVP_Digest(raw, (size_t)rawlen, h2, NULL, EVP_sha256(),
	    NULL) != 1) {
		r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "public key hashes");
		goto out;
	}
	kr_buf_printf(&b, "keyrite-pubhash 1\nalgorithm: %s\n"
	    "sha256-spki-der: ", kr_key_alg_name(alg));
	kr_buf_hex(&b, h1, sizeof(h1));
	kr_buf_puts(&b, "\nsha256-raw-public-key: ");
	kr_buf_hex(&b, h2, sizeof(h2));
	kr_buf_puts(&b, "\nraw-public-key: ");
	kr_buf_hex(&b, raw, (size_t)rawlen);
	kr_buf_puts(&b, "\n");
	r = kr_buf_take(&b, textp, lenp);
 out:
	kr_buf_free(&b);
	X509_PUBKEY_free(xpk);
	free(spki);
	return r;
}
