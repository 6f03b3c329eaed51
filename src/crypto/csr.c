/*
 * csr.c: reading a PKCS#10 certificate request strictly.
 *
 * A request arrives on a USB stick from whoever runs the intermediate
 * CA.  It is read before any card is touched, so that a bad one is
 * refused with nothing done: one PEM block or one DER structure and
 * nothing else, in DER that re-encodes to the same bytes, version 1, a
 * subject, no attributes but the extensions asked for, each extension
 * once, a public key OpenSSL can decode and a self-signature that
 * verifies under it with a digest of 256 bits or more (SHA-1 and MD5
 * prove nothing today).  Whether the key's algorithm and size are
 * allowed is the policy's question, asked by the ceremony.
 *
 * Everything taken out is public and lives on the ordinary heap.  Text
 * taken from the request (names, extensions as OpenSSL prints them) can
 * hold any bytes: extension text is escaped here, names where shown.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/err.h"
#include "csr.h"
#include "key.h"
#include "x509-int.h"

#define PEM_DASHES	"-----BEGIN "

static int
csr_err(const struct kr_csr *c, const char *what)
{
	return kr_err_set(KR_ERR_X509_CSR, "%s: %s", c->source, what);
}

static int
all_space(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!isspace(p[i]))
			return 0;
	return 1;
}

/* Whether label names a certificate rather than a request. */
static int
cert_label(const char *label)
{
	return strcmp(label, "CERTIFICATE") == 0 ||
	    strcmp(label, "X509 CERTIFICATE") == 0 ||
	    strcmp(label, "TRUSTED CERTIFICATE") == 0;
}

/* The DER inside exactly one PEM request block; *derp OPENSSL_malloc()ed. */
static int
from_pem(struct kr_csr *c, const uint8_t *data, size_t len, uint8_t **derp,
    long *derlenp)
{
	char *label = NULL, *header = NULL;
	unsigned char *der = NULL;
	uint8_t rest[256];
	BIO *bio = NULL;
	long dlen = 0;
	int n, r = KR_ERR_INTERNAL;

	*derp = NULL;
	if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL) {
		r = kr_err_libcrypto(KR_ERR_NOMEM, c->source);
		goto out;
	}
	if (PEM_read_bio(bio, &label, &header, &der, &dlen) != 1) {
		ERR_clear_error();
		r = csr_err(c, "the PEM block does not decode (a "
		    "line is damaged, or the END line is missing): send the "
		    "request again");
		goto out;
	}
	if (cert_label(label)) {
		r = csr_err(c, "this is a certificate, not a "
		    "certificate request: ask for the PKCS#10 request (PEM "
		    "\"CERTIFICATE REQUEST\") made with the new key");
		goto out;
	}
	if (strcmp(label, "CERTIFICATE REQUEST") != 0 &&
	    strcmp(label, "NEW CERTIFICATE REQUEST") != 0) {
		r = kr_err_set(KR_ERR_X509_CSR, "%s: a PEM block labelled "
		    "\"%.40s\", not CERTIFICATE REQUEST: this is not a "
		    "certificate request", c->source, label);
		goto out;
	}
	if (header[0] != '\0') {
		r = csr_err(c, "the PEM block has headers (is it "
		    "encrypted?); a certificate request has none");
		goto out;
	}
	while ((n = BIO_read(bio, rest, sizeof(rest))) > 0)
		if (!all_space(rest, (size_t)n)) {
			r = csr_err(c, "something follows the "
			    "request; the file must hold exactly one "
			    "certificate request and nothing else");
			goto out;
		}
	*derp = der;
	*derlenp = dlen;
	der = NULL;
	r = 0;
 out:
	OPENSSL_free(label);
	OPENSSL_free(header);
	OPENSSL_free(der);
	BIO_free(bio);
	return r;
}

/* Why der is not a request, in words. */
static int
not_a_request(struct kr_csr *c, const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x;

	ERR_clear_error();
	if ((x = d2i_X509(NULL, &p, (long)len)) != NULL) {
		X509_free(x);
		ERR_clear_error();
		return csr_err(c, "this is a certificate, not a "
		    "certificate request: ask for the PKCS#10 request made "
		    "with the new key");
	}
	ERR_clear_error();
	if (len > 0 && der[0] == 0x30)
		return csr_err(c, "not a certificate request: its "
		    "DER is truncated or malformed; send the file again");
	return csr_err(c, "not a certificate request: neither a "
	    "PEM \"CERTIFICATE REQUEST\" nor DER");
}

static int
decode(struct kr_csr *c, const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	unsigned char *again = NULL;
	int n;

	if ((c->req = d2i_X509_REQ(NULL, &p, (long)len)) == NULL)
		return not_a_request(c, der, len);
	if (p != der + len)
		return csr_err(c, "bytes follow the request; the "
		    "file must hold exactly one certificate request");
	if ((n = i2d_X509_REQ(c->req, &again)) != (int)len ||
	    memcmp(again, der, len) != 0) {
		OPENSSL_free(again);
		return csr_err(c, "the request is not in DER "
		    "(re-encoding it changes its bytes): ask the requester "
		    "to make it with a standard tool");
	}
	OPENSSL_free(again);
	if (EVP_Digest(der, len, c->sha256, NULL, EVP_sha256(), NULL) != 1)
		return kr_err_libcrypto(KR_ERR_LIBCRYPTO, c->source);
	return 0;
}

void
kr_csr_key_text(const EVP_PKEY *key, char *out, size_t outlen)
{
	static const struct { const char *group, *name; } curves[] = {
		{ "prime256v1", "P-256" }, { "secp384r1", "P-384" },
		{ "secp521r1", "P-521" },
	};
	char group[64] = "";
	size_t i, glen = 0;

	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_RSA:
		snprintf(out, outlen, "RSA %d bits", EVP_PKEY_get_bits(key));
		return;
	case EVP_PKEY_RSA_PSS:
		snprintf(out, outlen, "RSA-PSS %d bits",
		    EVP_PKEY_get_bits(key));
		return;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_group_name(key, group, sizeof(group),
		    &glen) != 1)
			snprintf(group, sizeof(group), "unnamed curve");
		for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
			if (strcmp(group, curves[i].group) == 0) {
				snprintf(out, outlen, "EC %s", curves[i].name);
				return;
			}
		snprintf(out, outlen, "EC %.40s", group);
		return;
	case EVP_PKEY_ED25519:
		snprintf(out, outlen, "Ed25519");
		return;
	case EVP_PKEY_ED448:
		snprintf(out, outlen, "Ed448");
		return;
	}
	snprintf(out, outlen, "%.40s (%d bits)", OBJ_nid2sn(
	    EVP_PKEY_get_base_id(key)), EVP_PKEY_get_bits(key));
}

static int
read_key(struct kr_csr *c)
{
	const struct kr_key_alg *alg;
	X509_PUBKEY *pk;
	unsigned char *p;
	int len;

	ERR_clear_error();
	if ((pk = X509_REQ_get_X509_PUBKEY(c->req)) == NULL ||
	    (c->key = X509_REQ_get0_pubkey(c->req)) == NULL) {
		ERR_clear_error();
		return csr_err(c, "its public key cannot be decoded "
		    "(an unknown algorithm or a damaged key)");
	}
	if ((len = i2d_X509_PUBKEY(pk, NULL)) <= 0 ||
	    (c->spki = malloc((size_t)len)) == NULL)
		return kr_err_libcrypto(KR_ERR_NOMEM, c->source);
	p = c->spki;
	if (i2d_X509_PUBKEY(pk, &p) != len ||
	    EVP_Digest(c->spki, (size_t)len, c->spki_sha256, NULL,
	    EVP_sha256(), NULL) != 1)
		return kr_err_libcrypto(KR_ERR_LIBCRYPTO, c->source);
	c->spki_len = (size_t)len;
	kr_csr_key_text(c->key, c->key_text, sizeof(c->key_text));
	if ((alg = kr_key_alg_of(c->key)) != NULL)
		snprintf(c->key_alg, sizeof(c->key_alg), "%s",
		    kr_key_alg_name(alg));
	ERR_clear_error();
	return 0;
}

/* The self-signature: proof that the requester holds the private key. */
static int
check_signature(struct kr_csr *c)
{
	const X509_ALGOR *alg = NULL;
	const ASN1_OBJECT *obj = NULL;
	int md = NID_undef, pk = NID_undef, nid;

	X509_REQ_get0_signature(c->req, NULL, &alg);
	X509_ALGOR_get0(&obj, NULL, NULL, alg);
	if (obj == NULL || OBJ_obj2txt(c->sig_alg, sizeof(c->sig_alg), obj,
	    0) <= 0)
		return csr_err(c, "its signature algorithm cannot "
		    "be read");
	nid = X509_REQ_get_signature_nid(c->req);
	if (OBJ_find_sigid_algs(nid, &md, &pk) == 1 && (md == NID_md5 ||
	    md == NID_sha1 || md == NID_md4 || md == NID_md2))
		return kr_err_set(KR_ERR_X509_CSR, "%s: signed with %s, whose "
		    "digest proves nothing today: ask for a request signed "
		    "with SHA-256 or stronger", c->source, c->sig_alg);
	if (X509_REQ_verify(c->req, c->key) != 1) {
		ERR_clear_error();
		return csr_err(c, "its signature does not verify "
		    "under its own public key: the request was altered, or "
		    "was not made with the private key (no proof of "
		    "possession); ask for a new request");
	}
	ERR_clear_error();
	return 0;
}

int
kr_csr_ext_read(X509_EXTENSION *ext, struct kr_csr_ext *e)
{
	const ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(ext);

	memset(e, 0, sizeof(*e));
	OBJ_obj2txt(e->oid, sizeof(e->oid), X509_EXTENSION_get_object(ext), 1);
	e->nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
	snprintf(e->name, sizeof(e->name), "%s", e->nid != NID_undef ?
	    OBJ_nid2sn(e->nid) : e->oid);
	e->critical = X509_EXTENSION_get_critical(ext) > 0;
	if ((e->value = malloc((size_t)v->length + 1)) == NULL)
		return KR_ERR_NOMEM;
	memcpy(e->value, v->data, (size_t)v->length);
	e->value_len = (size_t)v->length;
	kr_x509_ext_text(ext, e->text, sizeof(e->text));
	return 0;
}

static int
read_extensions(struct kr_csr *c)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	X509_EXTENSION *ext;
	struct kr_csr_ext *e;
	int i, nattr, has = 0, r = KR_ERR_INTERNAL;
	size_t j;

	nattr = X509_REQ_get_attr_count(c->req);
	for (i = 0; i < nattr; i++) {
		const ASN1_OBJECT *o = X509_ATTRIBUTE_get0_object(
		    X509_REQ_get_attr(c->req, i));
		char oid[64] = "?";

		if (OBJ_obj2nid(o) == NID_ext_req && !has) {
			has = 1;
			continue;
		}
		OBJ_obj2txt(oid, sizeof(oid), o, 0);
		return kr_err_set(KR_ERR_X509_CSR, "%s: the request carries "
		    "the attribute %s%s; keyrite reads only extensionRequest, "
		    "once: ask for a request without it", c->source, oid,
		    OBJ_obj2nid(o) == NID_ext_req ? " twice" : "");
	}
	if (!has)
		return 0;
	if ((exts = X509_REQ_get_extensions(c->req)) == NULL) {
		ERR_clear_error();
		return csr_err(c, "its extensionRequest attribute "
		    "cannot be read");
	}
	if (sk_X509_EXTENSION_num(exts) > KR_CSR_MAX_EXTS) {
		r = kr_err_set(KR_ERR_X509_CSR, "%s: asks for %d extensions; "
		    "keyrite reads at most %d", c->source,
		    sk_X509_EXTENSION_num(exts), KR_CSR_MAX_EXTS);
		goto out;
	}
	for (i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
		ext = sk_X509_EXTENSION_value(exts, i);
		e = &c->exts[c->nexts];
		if ((r = kr_csr_ext_read(ext, e)) != 0) {
			r = kr_err_set(r, "%s", c->source);
			goto out;
		}
		c->nexts++;
		for (j = 0; j + 1 < c->nexts; j++)
			if (strcmp(c->exts[j].oid, e->oid) == 0) {
				r = kr_err_set(KR_ERR_X509_CSR, "%s: asks for "
				    "%s twice; an extension may appear once "
				    "(RFC 5280 4.2)", c->source, e->name);
				goto out;
			}
	}
	r = 0;
 out:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return r;
}

static int
check_fields(struct kr_csr *c)
{
	int r;

	if (X509_REQ_get_version(c->req) != X509_REQ_VERSION_1)
		return kr_err_set(KR_ERR_X509_CSR, "%s: version %ld; PKCS#10 "
		    "defines only version 1 (0)", c->source,
		    X509_REQ_get_version(c->req) + 1);
	if (X509_NAME_entry_count(X509_REQ_get_subject_name(c->req)) == 0)
		return csr_err(c, "its subject is empty: the "
		    "certificate would name no one; ask for a request with a "
		    "subject (at least a CN)");
	if ((r = kr_x509_name_text(X509_REQ_get_subject_name(c->req),
	    c->subject, sizeof(c->subject))) != 0)
		return kr_err_set(KR_ERR_X509_CSR, "%s: its subject: %s",
		    c->source, kr_err_detail());
	return 0;
}

int
kr_csr_parse(const uint8_t *data, size_t len, const char *source,
    struct kr_csr **csrp)
{
	struct kr_csr *c = NULL;
	uint8_t *der = NULL;
	long dlen = 0;
	size_t skip = 0;
	int r = KR_ERR_INTERNAL;

	*csrp = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "reading a request");
	snprintf(c->source, sizeof(c->source), "%s", source != NULL ? source :
	    "request");
	if (data == NULL || len == 0) {
		r = csr_err(c, "empty; it must hold one certificate "
		    "request");
		goto out;
	}
	if (len > KR_CSR_MAX_BYTES) {
		r = kr_err_set(KR_ERR_TOO_LARGE, "%s: %zu bytes; a certificate "
		    "request is at most %d", c->source, len, KR_CSR_MAX_BYTES);
		goto out;
	}
	while (skip < len && isspace(data[skip]))
		skip++;
	if (len - skip >= strlen(PEM_DASHES) &&
	    memcmp(data + skip, PEM_DASHES, strlen(PEM_DASHES)) == 0) {
		c->pem = 1;
		if ((r = from_pem(c, data, len, &der, &dlen)) != 0 ||
		    (r = decode(c, der, (size_t)dlen)) != 0)
			goto out;
	} else if ((r = decode(c, data, len)) != 0)
		goto out;
	if ((r = check_fields(c)) != 0 || (r = read_key(c)) != 0 ||
	    (r = check_signature(c)) != 0 || (r = read_extensions(c)) != 0)
		goto out;
	*csrp = c;
	c = NULL;
	r = 0;
 out:
	ERR_clear_error();
	OPENSSL_free(der);
	kr_csr_free(c);
	return r;
}

void
kr_csr_free(struct kr_csr *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nexts; i++)
		free(c->exts[i].value);
	free(c->spki);
	X509_REQ_free(c->req);
	free(c);
}
