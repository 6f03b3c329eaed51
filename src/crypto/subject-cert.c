/*
 * subject-cert.c: reading a certificate given as input strictly, and
 * checking that one is a CA certificate to cross-certify
 * (subject-cert.h).
 *
 * A certificate arrives on the USB stick that becomes the output medium.
 * It is read before any card is touched, so that a file that is not
 * exactly one certificate is refused with nothing done, and the hashes
 * the transcript records are of the bytes that were sent.  For a
 * cross-certificate, what the root certifies is taken from it byte for
 * byte: its subject, its SubjectPublicKeyInfo, its subjectKeyIdentifier;
 * it must therefore be a CA certificate that says who it is.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/err.h"
#include "base/hex.h"
#include "key.h"
#include "subject-cert.h"
#include "x509-int.h"

#define PEM_DASHES	"-----BEGIN "

static int
all_space(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!isspace(p[i]))
			return 0;
	return 1;
}

/* What a PEM label other than CERTIFICATE means, in words. */
static const char *
label_means(const char *label)
{
	if (strstr(label, "REQUEST") != NULL)
		return "a certificate request: give the CA's certificate (or "
		    "use the csr parameter for a request)";
	if (strstr(label, "PRIVATE KEY") != NULL)
		return "a PRIVATE KEY: never bring a private key to the "
		    "ceremony; give the CA's certificate";
	if (strstr(label, "CRL") != NULL)
		return "a CRL, not a certificate";
	return "not a certificate";
}

/* The DER inside exactly one PEM certificate block (OPENSSL_malloc()ed). */
static int
from_pem(const char *source, const uint8_t *data, size_t len,
    unsigned char **derp, long *derlenp)
{
	char *label = NULL, *header = NULL;
	unsigned char *der = NULL;
	uint8_t rest[256];
	BIO *bio = NULL;
	long dlen = 0;
	int n, r = KR_ERR_INTERNAL;

	*derp = NULL;
	if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL) {
		r = kr_err_libcrypto(KR_ERR_NOMEM, source);
		goto out;
	}
	if (PEM_read_bio(bio, &label, &header, &der, &dlen) != 1) {
		r = kr_err_set(KR_ERR_X509_CERT, "%s: the PEM block does not "
		    "decode (a line is damaged, or the END line is missing): "
		    "ask for the certificate again", source);
		goto out;
	}
	if (strcmp(label, "CERTIFICATE") != 0) {
		r = kr_err_set(KR_ERR_X509_CERT, "%s: a PEM block labelled "
		    "\"%.40s\": %s", source, label, label_means(label));
		goto out;
	}
	if (header[0] != '\0') {
		r = kr_err_set(KR_ERR_X509_CERT, "%s: the PEM block has "
		    "headers; a certificate has none", source);
		goto out;
	}
	while ((n = BIO_read(bio, rest, sizeof(rest))) > 0)
		if (!all_space(rest, (size_t)n)) {
			r = kr_err_set(KR_ERR_X509_CERT, "%s: something "
			    "follows the certificate; the file must hold "
			    "exactly one certificate and nothing else (not a "
			    "chain)", source);
			goto out;
		}
	*derp = der;
	*derlenp = dlen;
	der = NULL;
	r = 0;
 out:
	ERR_clear_error();
	OPENSSL_free(label);
	OPENSSL_free(header);
	OPENSSL_free(der);
	BIO_free(bio);
	return r;
}

/* Why der is not a certificate, in words. */
static int
not_a_cert(const char *source, const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509_REQ *req;

	ERR_clear_error();
	if ((req = d2i_X509_REQ(NULL, &p, (long)len)) != NULL) {
		X509_REQ_free(req);
		ERR_clear_error();
		return kr_err_set(KR_ERR_X509_CERT, "%s: this is a certificate "
		    "request, not a certificate: give the CA's certificate",
		    source);
	}
	ERR_clear_error();
	if (len > 0 && der[0] == 0x30)
		return kr_err_set(KR_ERR_X509_CERT, "%s: not a certificate: "
		    "its DER is truncated or malformed; ask for the file again",
		    source);
	return kr_err_set(KR_ERR_X509_CERT, "%s: not a certificate: neither "
	    "a PEM \"CERTIFICATE\" nor DER", source);
}

static int
decode(const char *source, const uint8_t *der, size_t len, X509 **xp,
    uint8_t sha256[32])
{
	const unsigned char *p = der;
	unsigned char *again = NULL;
	X509 *x;
	int n;

	*xp = NULL;
	if ((x = d2i_X509(NULL, &p, (long)len)) == NULL)
		return not_a_cert(source, der, len);
	if (p != der + len) {
		X509_free(x);
		return kr_err_set(KR_ERR_X509_CERT, "%s: bytes follow the "
		    "certificate; the file must hold exactly one", source);
	}
	if ((n = i2d_X509(x, &again)) != (int)len ||
	    memcmp(again, der, len) != 0) {
		OPENSSL_free(again);
		X509_free(x);
		return kr_err_set(KR_ERR_X509_CERT, "%s: the certificate is "
		    "not in DER (re-encoding it changes its bytes)", source);
	}
	OPENSSL_free(again);
	if (sha256 != NULL && EVP_Digest(der, len, sha256, NULL,
	    EVP_sha256(), NULL) != 1) {
		X509_free(x);
		return kr_err_libcrypto(KR_ERR_LIBCRYPTO, source);
	}
	*xp = x;
	return 0;
}

int
kr_subject_cert_read(const uint8_t *data, size_t len, const char *source,
    X509 **certp, uint8_t sha256[32])
{
	unsigned char *der = NULL;
	long dlen = 0;
	size_t skip = 0;
	int r;

	*certp = NULL;
	if (source == NULL)
		source = "certificate";
	if (data == NULL || len == 0)
		return kr_err_set(KR_ERR_X509_CERT, "%s: empty; it must hold "
		    "one certificate", source);
	if (len > KR_SUBJECT_CERT_MAX_BYTES)
		return kr_err_set(KR_ERR_TOO_LARGE, "%s: %zu bytes; a "
		    "certificate file is at most %d", source, len,
		    KR_SUBJECT_CERT_MAX_BYTES);
	while (skip < len && isspace(data[skip]))
		skip++;
	if (len - skip >= strlen(PEM_DASHES) &&
	    memcmp(data + skip, PEM_DASHES, strlen(PEM_DASHES)) == 0) {
		if ((r = from_pem(source, data, len, &der, &dlen)) == 0)
			r = decode(source, der, (size_t)dlen, certp, sha256);
		OPENSSL_free(der);
	} else
		r = decode(source, data, len, certp, sha256);
	ERR_clear_error();
	return r;
}

/* --- a CA certificate to cross-certify ----------------------------------- */

static int
cert_err(const struct kr_subject_cert *sc, const char *what)
{
	return kr_err_set(KR_ERR_X509_CERT, "%s: %s", sc->source, what);
}

static int
read_key(struct kr_subject_cert *sc)
{
	const struct kr_key_alg *alg;
	X509_PUBKEY *pk;
	EVP_PKEY *key;
	unsigned char *p;
	int len;

	ERR_clear_error();
	if ((pk = X509_get_X509_PUBKEY(sc->cert)) == NULL ||
	    (key = X509_get0_pubkey(sc->cert)) == NULL) {
		ERR_clear_error();
		return cert_err(sc, "its public key cannot be decoded (an "
		    "unknown algorithm or a damaged key)");
	}
	if ((len = i2d_X509_PUBKEY(pk, NULL)) <= 0 ||
	    (sc->spki = malloc((size_t)len)) == NULL)
		return kr_err_libcrypto(KR_ERR_NOMEM, sc->source);
	p = sc->spki;
	if (i2d_X509_PUBKEY(pk, &p) != len ||
	    EVP_Digest(sc->spki, (size_t)len, sc->spki_sha256, NULL,
	    EVP_sha256(), NULL) != 1)
		return kr_err_libcrypto(KR_ERR_LIBCRYPTO, sc->source);
	sc->spki_len = (size_t)len;
	kr_csr_key_text(key, sc->key_text, sizeof(sc->key_text));
	if ((alg = kr_key_alg_of(key)) != NULL)
		snprintf(sc->key_alg, sizeof(sc->key_alg), "%s",
		    kr_key_alg_name(alg));
	ERR_clear_error();
	return 0;
}

/* CA, keyCertSign, a subjectKeyIdentifier: a CA that says who it is. */
static int
check_ca(struct kr_subject_cert *sc)
{
	const ASN1_OCTET_STRING *ski;
	uint32_t flags;

	if (X509_get_version(sc->cert) != X509_VERSION_3)
		return cert_err(sc, "not an X.509 version 3 certificate: a CA "
		    "certificate carries extensions");
	flags = X509_get_extension_flags(sc->cert);
	if (flags & EXFLAG_INVALID)
		return cert_err(sc, "OpenSSL finds its extensions invalid (one "
		    "that does not decode, or one given twice)");
	if (!(flags & EXFLAG_BCONS) || !(flags & EXFLAG_CA))
		return cert_err(sc, "not a CA certificate (no basicConstraints "
		    "with cA TRUE): only a CA is cross-certified; an "
		    "end-entity certificate is issued from its request");
	if ((flags & EXFLAG_KUSAGE) &&
	    !(X509_get_key_usage(sc->cert) & KU_KEY_CERT_SIGN))
		return cert_err(sc, "its keyUsage lacks keyCertSign: this CA "
		    "may not sign certificates, so a cross-certificate for it "
		    "would certify nothing");
	if ((ski = X509_get0_subject_key_id(sc->cert)) == NULL ||
	    ski->length <= 0 || (size_t)ski->length > sizeof(sc->ski))
		return cert_err(sc, "it has no subjectKeyIdentifier of at most "
		    "32 octets (RFC 5280 4.2.1.2: a CA certificate must have "
		    "one); the cross-certificate keeps the CA's own");
	memcpy(sc->ski, ski->data, (size_t)ski->length);
	sc->ski_len = (size_t)ski->length;
	kr_hex_encode(sc->ski, sc->ski_len, sc->ski_hex, sizeof(sc->ski_hex));
	sc->path_len = X509_get_pathlen(sc->cert);
	if (X509_NAME_entry_count(X509_get_subject_name(sc->cert)) == 0)
		return cert_err(sc, "its subject is empty");
	return 0;
}

/* A self-issued certificate proves that its subject holds the key. */
static int
check_self(struct kr_subject_cert *sc)
{
	const X509_ALGOR *alg = NULL;
	const ASN1_OBJECT *obj = NULL;

	X509_get0_signature(NULL, &alg, sc->cert);
	X509_ALGOR_get0(&obj, NULL, NULL, alg);
	if (obj == NULL || OBJ_obj2txt(sc->sig_alg, sizeof(sc->sig_alg), obj,
	    0) <= 0)
		snprintf(sc->sig_alg, sizeof(sc->sig_alg), "?");
	if (X509_NAME_cmp(X509_get_subject_name(sc->cert),
	    X509_get_issuer_name(sc->cert)) != 0)
		return 0;
	if (X509_verify(sc->cert, X509_get0_pubkey(sc->cert)) != 1) {
		ERR_clear_error();
		return cert_err(sc, "it is self-issued but its signature does "
		    "not verify under its own key: the file was altered or "
		    "damaged; ask for it again");
	}
	sc->self_signed = 1;
	return 0;
}

static int
read_exts(struct kr_subject_cert *sc)
{
	int i, n = X509_get_ext_count(sc->cert);
	size_t j;

	if (n > KR_CSR_MAX_EXTS)
		return kr_err_set(KR_ERR_X509_CERT, "%s: %d extensions; "
		    "keyrite reads at most %d", sc->source, n,
		    KR_CSR_MAX_EXTS);
	for (i = 0; i < n; i++) {
		if (kr_csr_ext_read(X509_get_ext(sc->cert, i),
		    &sc->exts[sc->nexts]) != 0)
			return kr_err_set(KR_ERR_NOMEM, "%s", sc->source);
		sc->nexts++;
		for (j = 0; j + 1 < sc->nexts; j++)
			if (strcmp(sc->exts[j].oid,
			    sc->exts[sc->nexts - 1].oid) == 0)
				return kr_err_set(KR_ERR_X509_CERT, "%s: it "
				    "carries %s twice (RFC 5280 4.2)",
				    sc->source, sc->exts[j].name);
	}
	return 0;
}

static int
describe(struct kr_subject_cert *sc)
{
	struct kr_x509_info *info;
	int r;

	if ((info = malloc(sizeof(*info))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "%s", sc->source);
	if ((r = kr_x509_describe(sc->cert, info)) != 0) {
		r = kr_err_set(KR_ERR_X509_CERT, "%s: %s", sc->source,
		    kr_err_detail());
		goto out;
	}
	if (info->serial_negative) {
		r = cert_err(sc, "its serial number is negative (RFC 5280 "
		    "4.1.2.2: it must be positive)");
		goto out;
	}
	snprintf(sc->subject, sizeof(sc->subject), "%s", info->subject);
	snprintf(sc->issuer, sizeof(sc->issuer), "%s", info->issuer);
	snprintf(sc->serial, sizeof(sc->serial), "%s", info->serial);
	memcpy(sc->not_before, info->not_before, sizeof(sc->not_before));
	memcpy(sc->not_after, info->not_after, sizeof(sc->not_after));
	r = 0;
 out:
	free(info);
	return r;
}

int
kr_subject_cert_parse(const uint8_t *data, size_t len, const char *source,
    struct kr_subject_cert **scp)
{
	struct kr_subject_cert *sc;
	size_t skip;
	int r;

	*scp = NULL;
	if ((sc = calloc(1, sizeof(*sc))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "reading a certificate");
	snprintf(sc->source, sizeof(sc->source), "%s", source != NULL ?
	    source : "certificate");
	for (skip = 0; data != NULL && skip < len && isspace(data[skip]);
	    skip++)
		;
	sc->pem = len - skip >= strlen(PEM_DASHES) &&
	    memcmp(data + skip, PEM_DASHES, strlen(PEM_DASHES)) == 0;
	if ((r = kr_subject_cert_read(data, len, sc->source, &sc->cert,
	    sc->sha256)) != 0 || (r = describe(sc)) != 0 ||
	    (r = check_ca(sc)) != 0 || (r = read_key(sc)) != 0 ||
	    (r = check_self(sc)) != 0 || (r = read_exts(sc)) != 0)
		goto out;
	*scp = sc;
	sc = NULL;
	r = 0;
 out:
	ERR_clear_error();
	kr_subject_cert_free(sc);
	return r;
}

void
kr_subject_cert_free(struct kr_subject_cert *sc)
{
	size_t i;

	if (sc == NULL)
		return;
	for (i = 0; i < sc->nexts; i++)
		free(sc->exts[i].value);
	free(sc->spki);
	X509_free(sc->cert);
	free(sc);
}
