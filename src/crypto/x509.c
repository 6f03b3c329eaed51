/*
 * x509.c: root CA and code-signing certificates, to the profiles in
 * docs/certificates.md.
 *
 * Small tables carry the profiles: the subject attribute types keyrite
 * writes (with their encodings and RFC 5280 upper bounds), the signature
 * algorithm for each managed key algorithm, and the extensions of a root
 * and of a code-signing key with their criticality.  The rest is written once: a strict parser for
 * subject text, the certificate's fields, signing through an EVP_MD_CTX
 * configured by the table, and a self-check of the signed result before
 * anyone sees it.
 *
 * Nothing here is secret except the private key, which only
 * EVP_DigestSignInit_ex() touches.  The subject text, serial numbers and
 * certificates are public and live on the ordinary heap.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/buffer.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/err.h"
#include "base/hex.h"
#include "key.h"
#include "x509.h"
#include "x509-int.h"

#define SKI_BYTES	KR_X509_SKI_BYTES	/* RFC 5280 4.2.1.2 method 1 */
#define SERIAL_TRIES	8	/* draws before a zero first byte is an error */
#define SHOW_MAX	40	/* bytes of a bad attribute type quoted back */

/* --- subject text -------------------------------------------------------- */

struct attr_type {
	const char	*name;		/* as written in subject text */
	int		 nid;
	int		 asn1_type;	/* the string type encoded */
	size_t		 max_chars;	/* RFC 5280 Appendix A upper bound */
	/* Checks a value beyond the grammar: 0 or KR_ERR_X509_SUBJECT. */
	int		(*check)(const struct attr_type *, int, const char *,
			    size_t);
};

static int	check_text(const struct attr_type *, int, const char *,
		    size_t);
static int	check_country(const struct attr_type *, int, const char *,
		    size_t);

static const struct attr_type attr_types[] = {
	{ "CN", NID_commonName, V_ASN1_UTF8STRING, 64, check_text },
	{ "O", NID_organizationName, V_ASN1_UTF8STRING, 64, check_text },
	{ "OU", NID_organizationalUnitName, V_ASN1_UTF8STRING, 64,
	    check_text },
	{ "C", NID_countryName, V_ASN1_PRINTABLESTRING, 2, check_country },
	{ "ST", NID_stateOrProvinceName, V_ASN1_UTF8STRING, 128, check_text },
	{ "L", NID_localityName, V_ASN1_UTF8STRING, 128, check_text },
};
#define NATTR_TYPES	(sizeof(attr_types) / sizeof(attr_types[0]))

/* Characters a backslash may escape, and those that must be escaped. */
#define ESCAPABLE	",+\\\";<>=#"
#define MUST_ESCAPE	"+\";<>"

struct attr {
	const struct attr_type	*type;
	int			 pos;	/* 1-based, as written */
	size_t			 len;	/* bytes of value */
	char			 value[KR_X509_SUBJECT_MAX +
				    sizeof(KR_X509_REHEARSAL_SUFFIX)];
};

/*
 * Counts the characters of UTF-8 text, refusing malformed sequences
 * (overlong forms, surrogates, beyond U+10FFFF) and control characters
 * (C0, DEL, C1): a name is read aloud and printed, and neither has a
 * reading for those.  Returns 0 or -1 with *whyp saying what was wrong.
 */
static int
utf8_chars(const char *s, size_t len, size_t *charsp, const char **whyp)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n = 0, k, need;
	unsigned long cp, min;

	while (i < len) {
		if (p[i] < 0x80) {
			if (p[i] < 0x20 || p[i] == 0x7f) {
				*whyp = "contains a control character";
				return -1;
			}
			i++, n++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0)
			need = 1, cp = p[i] & 0x1f, min = 0x80;
		else if ((p[i] & 0xf0) == 0xe0)
			need = 2, cp = p[i] & 0x0f, min = 0x800;
		else if ((p[i] & 0xf8) == 0xf0)
			need = 3, cp = p[i] & 0x07, min = 0x10000;
		else {
			*whyp = "is not valid UTF-8";
			return -1;
		}
		if (len - i <= need) {
			*whyp = "is not valid UTF-8 (truncated sequence)";
			return -1;
		}
		for (k = 1; k <= need; k++) {
			if ((p[i + k] & 0xc0) != 0x80) {
				*whyp = "is not valid UTF-8";
				return -1;
			}
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff)) {
			*whyp = "is not valid UTF-8 (overlong or out of range)";
			return -1;
		}
		if (cp >= 0x80 && cp <= 0x9f) {
			*whyp = "contains a control character";
			return -1;
		}
		i += need + 1;
		n++;
	}
	*charsp = n;
	return 0;
}

static int
check_text(const struct attr_type *t, int pos, const char *v, size_t len)
{
	const char *why = NULL;
	size_t n = 0;

	if (utf8_chars(v, len, &n, &why) != 0)
		return kr_err_set(KR_ERR_X509_SUBJECT, "subject: %s "
		    "(attribute %d) %s", t->name, pos, why);
	if (n > t->max_chars)
		return kr_err_set(KR_ERR_X509_SUBJECT, "subject: %s "
		    "(attribute %d) is %zu characters long; RFC 5280 allows "
		    "at most %zu: shorten it", t->name, pos, n, t->max_chars);
	return 0;
}

/* ISO 3166-1 alpha-2, upper case, as a PrintableString of two letters. */
static int
check_country(const struct attr_type *t, int pos, const char *v, size_t len)
{
	if (len != 2 || v[0] < 'A' || v[0] > 'Z' || v[1] < 'A' ||
	    v[1] > 'Z')
		return kr_err_set(KR_ERR_X509_SUBJECT, "subject: %s "
		    "(attribute %d) \"%.*s\" is not a country code: write "
		    "the two upper-case letters of ISO 3166-1, e.g. C=DE",
		    t->name, pos, (int)(len > SHOW_MAX ? SHOW_MAX : len), v);
	return 0;
}

static const struct attr_type *
attr_type_find(const char *s, size_t n, int icase)
{
	size_t i;

	for (i = 0; i < NATTR_TYPES; i++)
		if (strlen(attr_types[i].name) == n &&
		    (icase ? strncasecmp(attr_types[i].name, s, n) :
		    strncmp(attr_types[i].name, s, n)) == 0)
			return &attr_types[i];
	return NULL;
}

/* Reads TYPE= at *pp into *typep and moves *pp past the '='. */
static int
parse_type(const char **pp, int pos, const struct attr_type **typep)
{
	const struct attr_type *t;
	const char *s = *pp, *p = s;
	int n, show;

	while (*p != '\0' && *p != '=' && *p != ',')
		p++;
	n = (int)(p - s);
	show = n > SHOW_MAX ? SHOW_MAX : n;
	if (*p != '=' && n == 0)
		return kr_err_set(KR_ERR_X509_SUBJECT, "subject: attribute "
		    "%d is empty: remove the extra comma", pos);
	if (*p != '=')
		return kr_err_set(KR_ERR_X509_SUBJECT, "subject: attribute "
		    "%d \"%.*s\" has no '=': write TYPE=VALUE, and a comma "
		    "inside a value as \\,", pos, show, s);
	if (n == 0)
		return kr_err_set(KR_ERR_X509_SUBJECT, "subject: attribute "
		    "%d has no type before '='", pos);
	if ((t = attr_type_find(s, (size_t)n, 0)) != NULL) {
		*typep = t;
		*pp = p + 1;
		return 0;
	}
	if ((t = attr_type_find(s, (size_t)n, 1)) != NULL)
		return kr_err_set(KR_ERR_X509_SUBJECT, "subject: attribute "
		    "%d: write the type \"%.*s\" as %s", pos, show, s,
		    t->name);
	if (memchr(s, ' ', (size_t)n) != NULL)
		return kr_err_set(KR_ERR_X509_SUBJECT, "subject: attribute "
		    "%d: type \"%.*s\" contains a space; write no spaces "
		    "around ',' and '='", pos, show, s);
	return kr_err_set(KR_ERR_X509_SUBJECT, "subject: attribute %d: "
	    "unknown type \"%.*s\"; use CN, O, OU, C, ST or L", pos, show,
	    s);
}

/* Reads a VALUE at *pp into a->value, unescaping, up to ',' or the end. */
static int
parse_value(const char **pp, struct attr *a)
{
	const char *name = a->type->name, *p = *pp;
	size_t n = 0;
	char c;

	for (; *p != '\0' && *p != ','; p++) {
		c = *p;
		if (c == '\\') {
			if (*++p == '\0')
				return kr_err_set(KR_ERR_X509_SUBJECT,
				    "subject: %s (attribute %d) ends in a lone "
				    "backslash; write \\\\ for a backslash",
				    name, a->pos);
			if (strchr(ESCAPABLE, *p) == NULL)
				return kr_err_set(KR_ERR_X509_SUBJECT,
				    "subject: %s (attribute %d): \"\\%c\" is "
				    "not an escape; only \\, \\+ \\\\ \\\" "
				    "\\; \\< \\> \\= \\# are", name, a->pos,
				    *p);
			c = *p;
		} else if (strchr(MUST_ESCAPE, c) != NULL)
			return kr_err_set(KR_ERR_X509_SUBJECT, "subject: %s "
			    "(attribute %d): write '%c' as \\%c%s", name,
			    a->pos, c, c, c == '+' ? " (multi-valued names "
			    "are not supported)" : "");
		else if (c == '#' && n == 0)
			return kr_err_set(KR_ERR_X509_SUBJECT, "subject: %s "
			    "(attribute %d): a leading '#' must be written "
			    "\\#", name, a->pos);
		else if (c == ' ' && n == 0)
			return kr_err_set(KR_ERR_X509_SUBJECT, "subject: %s "
			    "(attribute %d) starts with a space; write no "
			    "spaces around ',' and '='", name, a->pos);
		if (n + 1 >= sizeof(a->value))
			return kr_err_set(KR_ERR_X509_SUBJECT, "subject: %s "
			    "(attribute %d) is too long", name, a->pos);
		a->value[n++] = c;
	}
	if (n == 0)
		return kr_err_set(KR_ERR_X509_SUBJECT, "subject: %s "
		    "(attribute %d) has an empty value", name, a->pos);
	if (a->value[n - 1] == ' ')	/* a space cannot be escaped */
		return kr_err_set(KR_ERR_X509_SUBJECT, "subject: %s "
		    "(attribute %d) ends with a space; remove it", name,
		    a->pos);
	a->value[n] = '\0';
	a->len = n;
	*pp = p;
	return a->type->check(a->type, a->pos, a->value, a->len);
}

/* Appends the rehearsal suffix to the CN and checks its length again. */
static int
mark_rehearsal(struct attr *cn)
{
	const char *why = NULL;
	size_t n = 0, add = strlen(KR_X509_REHEARSAL_SUFFIX);

	if (cn->len + add >= sizeof(cn->value) ||
	    utf8_chars(cn->value, cn->len, &n, &why) != 0 ||
	    n + add > cn->type->max_chars)
		return kr_err_set(KR_ERR_X509_SUBJECT, "subject: CN (attribute "
		    "%d) is %zu characters; with \"%s\" appended for a "
		    "rehearsal it exceeds RFC 5280's %zu: shorten it to %zu",
		    cn->pos, n, KR_X509_REHEARSAL_SUFFIX, cn->type->max_chars,
		    cn->type->max_chars - add);
	memcpy(cn->value + cn->len, KR_X509_REHEARSAL_SUFFIX, add + 1);
	cn->len += add;
	return 0;
}

static int
parse_name(const char *text, int rehearsal, int need_cn, X509_NAME **namep)
{
	struct attr attrs[NATTR_TYPES], *cn = NULL, a;
	X509_NAME *name = NULL;
	const char *p = text;
	size_t nattrs = 0, i;
	int r = KR_ERR_INTERNAL;

	*namep = NULL;
	if (text == NULL || *text == '\0')
		return kr_err_set(KR_ERR_X509_SUBJECT, "subject is empty; "
		    "write e.g. CN=Example Root CA,O=Example Corp,C=DE");
	if (strlen(text) > KR_X509_SUBJECT_MAX)
		return kr_err_set(KR_ERR_X509_SUBJECT, "subject is %zu bytes; "
		    "at most %d are allowed", strlen(text),
		    KR_X509_SUBJECT_MAX);
	for (;;) {
		memset(&a, 0, sizeof(a));
		a.pos = (int)nattrs + 1;
		if ((r = parse_type(&p, a.pos, &a.type)) != 0)
			goto out;
		for (i = 0; i < nattrs; i++)
			if (attrs[i].type == a.type) {
				r = kr_err_set(KR_ERR_X509_SUBJECT, "subject: "
				    "%s appears twice (attributes %d and %d); "
				    "each type may appear once", a.type->name,
				    attrs[i].pos, a.pos);
				goto out;
			}
		if ((r = parse_value(&p, &a)) != 0)
			goto out;
		attrs[nattrs++] = a;	/* < NATTR_TYPES: no duplicates */
		if (*p == '\0')
			break;
		if (*++p == '\0') {
			r = kr_err_set(KR_ERR_X509_SUBJECT, "subject ends with "
			    "a comma after attribute %d: remove it", a.pos);
			goto out;
		}
	}
	for (i = 0; i < nattrs; i++)
		if (attrs[i].type->nid == NID_commonName)
			cn = &attrs[i];
	if (cn == NULL && need_cn) {
		r = kr_err_set(KR_ERR_X509_SUBJECT, "subject has no CN: a root "
		    "certificate needs a common name, e.g. CN=Example Root "
		    "CA,O=Example Corp,C=DE");
		goto out;
	}
	if (rehearsal && cn != NULL && (r = mark_rehearsal(cn)) != 0)
		goto out;
	/* RFC 4514 text lists the last RDN first. */
	if ((name = X509_NAME_new()) == NULL) {
		r = kr_err_libcrypto(KR_ERR_NOMEM, "subject");
		goto out;
	}
	for (i = nattrs; i-- > 0;)
		if (X509_NAME_add_entry_by_NID(name, attrs[i].type->nid,
		    attrs[i].type->asn1_type,
		    (const unsigned char *)attrs[i].value, (int)attrs[i].len,
		    -1, 0) != 1) {
			r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "subject: "
			    "encoding an attribute");
			goto out;
		}
	*namep = name;
	name = NULL;
	r = 0;
 out:
	X509_NAME_free(name);
	return r;
}

int
kr_x509_subject_parse(const char *text, int rehearsal, X509_NAME **namep)
{
	return parse_name(text, rehearsal, 1, namep);
}

int
kr_x509_dn_parse(const char *text, X509_NAME **namep)
{
	return parse_name(text, 0, 0, namep);
}

/* --- signature algorithms ------------------------------------------------ */

/* PKCS#1 v1.5: what every verifier of a root accepts (see certificates.md). */
static int
rsa_pkcs1(EVP_PKEY_CTX *ctx)
{
	return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0;
}

static const struct kr_x509_sig sig_profiles[] = {
	{ "ecdsa-p256", "SHA256", NID_ecdsa_with_SHA256, NULL },
	{ "ecdsa-p384", "SHA384", NID_ecdsa_with_SHA384, NULL },
	{ "ecdsa-p521", "SHA512", NID_ecdsa_with_SHA512, NULL },
	{ "rsa-2048", "SHA256", NID_sha256WithRSAEncryption, rsa_pkcs1 },
	{ "rsa-3072", "SHA256", NID_sha256WithRSAEncryption, rsa_pkcs1 },
	{ "rsa-4096", "SHA384", NID_sha384WithRSAEncryption, rsa_pkcs1 },
	{ "ed25519", NULL, NID_ED25519, NULL },
	{ "ed448", NULL, NID_ED448, NULL },
};
#define NSIG_PROFILES	(sizeof(sig_profiles) / sizeof(sig_profiles[0]))

int
kr_x509_sig_of(const EVP_PKEY *key, const struct kr_x509_sig **sigp)
{
	const struct kr_key_alg *alg;
	size_t i;

	if ((alg = kr_key_alg_of(key)) == NULL)
		return kr_err_set(KR_ERR_KEY_ALGORITHM, "certificate: the "
		    "signing key is not of an algorithm keyrite manages");
	for (i = 0; i < NSIG_PROFILES; i++)
		if (strcmp(sig_profiles[i].alg, kr_key_alg_name(alg)) == 0) {
			*sigp = &sig_profiles[i];
			return 0;
		}
	return kr_err_set(KR_ERR_KEY_ALGORITHM, "certificate: no "
	    "signature algorithm is defined for %s keys", kr_key_alg_name(alg));
}

int
kr_x509_sign_init(EVP_PKEY *key, const struct kr_x509_sig *sig,
    EVP_MD_CTX **mctxp)
{
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;

	*mctxp = NULL;
	if ((mctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit_ex(mctx, &pctx, sig->digest, NULL, NULL, key,
	    NULL) != 1 ||
	    (sig->params != NULL && sig->params(pctx) != 1)) {
		EVP_MD_CTX_free(mctx);
		return kr_err_libcrypto(KR_ERR_X509_SIGN, "setting up the "
		    "signature (is the key a private key?)");
	}
	*mctxp = mctx;
	return 0;
}

/* --- extensions ---------------------------------------------------------- */

struct ext_ctx {
	const struct kr_x509_request	*req;
	uint8_t				 ski[SKI_BYTES];
};

struct root_ext {
	const char	*name;
	int		 nid;
	int		 critical;
	/* Returns the extension's value, to be freed with ->free. */
	void		*(*make)(const struct ext_ctx *);
	void		 (*free)(void *);
};

static void *
make_basic_constraints(const struct ext_ctx *c)
{
	BASIC_CONSTRAINTS *bc;

	if ((bc = BASIC_CONSTRAINTS_new()) == NULL)
		return NULL;
	bc->ca = 0xff;
	if (c->req->path_len >= 0 &&
	    ((bc->pathlen = ASN1_INTEGER_new()) == NULL ||
	    ASN1_INTEGER_set(bc->pathlen, c->req->path_len) != 1)) {
		BASIC_CONSTRAINTS_free(bc);
		return NULL;
	}
	return bc;
}

/* An end entity: basicConstraints with cA FALSE (an empty SEQUENCE). */
static void *
make_not_ca(const struct ext_ctx *c)
{
	(void)c;
	return BASIC_CONSTRAINTS_new();
}

/* keyUsage digitalSignature: a code-signing key signs nothing else. */
static void *
make_sign_usage(const struct ext_ctx *c)
{
	ASN1_BIT_STRING *ku;

	(void)c;
	if ((ku = ASN1_BIT_STRING_new()) == NULL)
		return NULL;
	if (ASN1_BIT_STRING_set_bit(ku, 0, 1) != 1) {
		ASN1_BIT_STRING_free(ku);
		return NULL;
	}
	return ku;
}

static void *
make_code_signing(const struct ext_ctx *c)
{
	EXTENDED_KEY_USAGE *eku;
	ASN1_OBJECT *o;

	(void)c;
	if ((eku = sk_ASN1_OBJECT_new_null()) == NULL)
		return NULL;
	if ((o = OBJ_nid2obj(NID_code_sign)) == NULL ||
	    sk_ASN1_OBJECT_push(eku, o) <= 0) {
		sk_ASN1_OBJECT_free(eku);
		return NULL;
	}
	return eku;
}

static void *
make_key_usage(const struct ext_ctx *c)
{
	ASN1_BIT_STRING *ku;

	(void)c;
	if ((ku = ASN1_BIT_STRING_new()) == NULL)
		return NULL;
	if (ASN1_BIT_STRING_set_bit(ku, 5, 1) != 1 ||	/* keyCertSign */
	    ASN1_BIT_STRING_set_bit(ku, 6, 1) != 1) {	/* cRLSign */
		ASN1_BIT_STRING_free(ku);
		return NULL;
	}
	return ku;
}

static ASN1_OCTET_STRING *
key_id(const struct ext_ctx *c)
{
	ASN1_OCTET_STRING *id;

	if ((id = ASN1_OCTET_STRING_new()) == NULL)
		return NULL;
	if (ASN1_OCTET_STRING_set(id, c->ski, sizeof(c->ski)) != 1) {
		ASN1_OCTET_STRING_free(id);
		return NULL;
	}
	return id;
}

static void *
make_ski(const struct ext_ctx *c)
{
	return key_id(c);
}

/* keyIdentifier only: BR 7.1.2.1.3 forbids the issuer and serial fields. */
static void *
make_aki(const struct ext_ctx *c)
{
	AUTHORITY_KEYID *akid;

	if ((akid = AUTHORITY_KEYID_new()) == NULL)
		return NULL;
	if ((akid->keyid = key_id(c)) == NULL) {
		AUTHORITY_KEYID_free(akid);
		return NULL;
	}
	return akid;
}

static void
free_basic_constraints(void *v)
{
	BASIC_CONSTRAINTS_free(v);
}

static void
free_bit_string(void *v)
{
	ASN1_BIT_STRING_free(v);
}

static void
free_octet_string(void *v)
{
	ASN1_OCTET_STRING_free(v);
}

static void
free_aki(void *v)
{
	AUTHORITY_KEYID_free(v);
}

static void
free_eku(void *v)
{
	sk_ASN1_OBJECT_pop_free(v, ASN1_OBJECT_free);
}

/* A root's extensions, in the order written (BR 7.1.2.1.2). */
static const struct root_ext root_exts[] = {
	{ "basicConstraints", NID_basic_constraints, 1,
	    make_basic_constraints, free_basic_constraints },
	{ "keyUsage", NID_key_usage, 1, make_key_usage, free_bit_string },
	{ "subjectKeyIdentifier", NID_subject_key_identifier, 0, make_ski,
	    free_octet_string },
	{ "authorityKeyIdentifier", NID_authority_key_identifier, 0,
	    make_aki, free_aki },
};
#define NROOT_EXTS	(sizeof(root_exts) / sizeof(root_exts[0]))

/* A code-signing key's, in the same manner (docs/certificates.md). */
static const struct root_ext code_exts[] = {
	{ "basicConstraints", NID_basic_constraints, 1, make_not_ca,
	    free_basic_constraints },
	{ "keyUsage", NID_key_usage, 1, make_sign_usage, free_bit_string },
	{ "extendedKeyUsage", NID_ext_key_usage, 0, make_code_signing,
	    free_eku },
	{ "subjectKeyIdentifier", NID_subject_key_identifier, 0, make_ski,
	    free_octet_string },
	{ "authorityKeyIdentifier", NID_authority_key_identifier, 0,
	    make_aki, free_aki },
};
#define NCODE_EXTS	(sizeof(code_exts) / sizeof(code_exts[0]))

/* RFC 5280 4.2.1.2 (1): SHA-1 of the subjectPublicKey BIT STRING's bits. */
int
kr_x509_key_identifier(const X509_PUBKEY *pk, uint8_t ski[KR_X509_SKI_BYTES])
{
	const unsigned char *bits = NULL;
	unsigned int n = 0;
	int len = 0;

	if (pk == NULL || X509_PUBKEY_get0_param(NULL, &bits, &len, NULL,
	    pk) != 1 || bits == NULL || len <= 0 ||
	    EVP_Digest(bits, (size_t)len, ski, &n, EVP_sha1(), NULL) != 1 ||
	    n != KR_X509_SKI_BYTES)
		return kr_err_libcrypto(KR_ERR_X509_SIGN, "computing a key "
		    "identifier");
	return 0;
}

static int
add_extensions(X509 *x, const struct kr_x509_request *req)
{
	struct ext_ctx c = { .req = req };
	const struct root_ext *exts = root_exts;
	size_t i, n = NROOT_EXTS;
	char what[96];
	void *v;
	int r;

	if (req->profile == KR_X509_PROFILE_CODE_SIGNING) {
		exts = code_exts;
		n = NCODE_EXTS;
	}
	if ((r = kr_x509_key_identifier(X509_get_X509_PUBKEY(x),
	    c.ski)) != 0)
		return r;
	for (i = 0; i < n; i++) {
		snprintf(what, sizeof(what), "certificate: adding %s",
		    exts[i].name);
		if ((v = exts[i].make(&c)) == NULL)
			return kr_err_libcrypto(KR_ERR_X509_SIGN, what);
		r = X509_add1_ext_i2d(x, exts[i].nid, v, exts[i].critical,
		    X509V3_ADD_DEFAULT);
		exts[i].free(v);
		if (r != 1)
			return kr_err_libcrypto(KR_ERR_X509_SIGN, what);
	}
	return 0;
}

/* --- the certificate ----------------------------------------------------- */

static int
check_request(const struct kr_x509_request *req)
{
	if (req->validity_days < 1 || req->validity_days > KR_X509_MAX_DAYS)
		return kr_err_set(KR_ERR_X509_REQUEST, "root certificate: "
		    "validity of %d days is outside 1..%d (the Baseline "
		    "Requirements allow a root at most 9132 days, counting "
		    "both ends)", req->validity_days, KR_X509_MAX_DAYS);
	if (req->path_len < -1)
		return kr_err_set(KR_ERR_X509_REQUEST, "root certificate: "
		    "path length %d is negative; use -1 for no limit",
		    req->path_len);
	if (req->profile != KR_X509_PROFILE_ROOT_CA &&
	    (req->profile != KR_X509_PROFILE_CODE_SIGNING ||
	    req->path_len != -1))
		return kr_err_set(KR_ERR_X509_REQUEST, "certificate profile %d "
		    "(a code-signing certificate has no path length)",
		    (int)req->profile);
	return 0;
}

/*
 * 16 random bytes, top bit clear so the INTEGER is positive in 16 octets,
 * first byte non-zero so it is exactly 16 (DER has no leading zero byte):
 * 127 bits from the CSPRNG, well over BR 7.1's 64.
 */
int
kr_x509_random_serial(uint8_t b[KR_X509_SERIAL_BYTES])
{
	int i;

	for (i = 0; i < SERIAL_TRIES; i++) {
		if (RAND_bytes(b, KR_X509_SERIAL_BYTES) != 1)
			return kr_err_libcrypto(KR_ERR_X509_SERIAL, "drawing a "
			    "serial number");
		b[0] &= 0x7f;
		if (b[0] != 0)
			return 0;
	}
	return kr_err_set(KR_ERR_X509_SERIAL, "the random generator gave %d "
	    "zero bytes where it should not; stop and run keyrite selftest",
	    SERIAL_TRIES);
}

int
kr_x509_serial_integer(const uint8_t *b, size_t len, ASN1_INTEGER **serialp)
{
	ASN1_INTEGER *ai = NULL;
	BIGNUM *bn = NULL;

	*serialp = NULL;
	if ((bn = BN_bin2bn(b, (int)len, NULL)) == NULL ||
	    (ai = BN_to_ASN1_INTEGER(bn, NULL)) == NULL) {
		BN_free(bn);
		return kr_err_libcrypto(KR_ERR_X509_SERIAL, "encoding a "
		    "serial number");
	}
	BN_free(bn);
	*serialp = ai;
	return 0;
}

static int
random_serial(ASN1_INTEGER **serialp)
{
	uint8_t b[KR_X509_SERIAL_BYTES];
	int r;

	*serialp = NULL;
	if ((r = kr_x509_random_serial(b)) != 0)
		return kr_err_set(r, "root certificate: %s", kr_err_detail());
	return kr_x509_serial_integer(b, sizeof(b), serialp);
}

/* Version, serial, names, validity and public key. */
static int
set_fields(X509 *x, EVP_PKEY *key, const X509_NAME *name,
    const struct kr_x509_request *req)
{
	ASN1_INTEGER *serial = NULL;
	time_t now;
	int r = KR_ERR_INTERNAL;

	if ((now = time(NULL)) == (time_t)-1) {
		r = kr_err_errno(KR_ERR_SYSTEM, "root certificate: reading "
		    "the clock");
		goto out;
	}
	if ((r = random_serial(&serial)) != 0)
		goto out;
	if (X509_set_version(x, X509_VERSION_3) != 1 ||
	    X509_set_serialNumber(x, serial) != 1 ||
	    X509_set_subject_name(x, name) != 1 ||
	    X509_set_issuer_name(x, name) != 1 ||
	    ASN1_TIME_adj(X509_getm_notBefore(x), now, 0, 0) == NULL ||
	    ASN1_TIME_adj(X509_getm_notAfter(x), now, req->validity_days,
	    0) == NULL ||
	    X509_set_pubkey(x, key) != 1) {
		r = kr_err_libcrypto(KR_ERR_X509_SIGN, "root certificate: "
		    "setting its fields");
		goto out;
	}
	r = 0;
 out:
	ASN1_INTEGER_free(serial);
	return r;
}

int
kr_x509_sign_ctx(EVP_PKEY *key, EVP_MD_CTX **mctxp)
{
	const struct kr_x509_sig *prof = NULL;
	int r;

	*mctxp = NULL;
	if ((r = kr_x509_sig_of(key, &prof)) != 0)
		return r;
	return kr_x509_sign_init(key, prof, mctxp);
}

static int
sign(X509 *x, EVP_PKEY *key, const struct kr_x509_sig *prof)
{
	EVP_MD_CTX *mctx = NULL;
	int r;

	if ((r = kr_x509_sign_init(key, prof, &mctx)) != 0)
		return r;
	if (X509_sign_ctx(x, mctx) <= 0)
		r = kr_err_libcrypto(KR_ERR_X509_SIGN, "root certificate: "
		    "signing (is the key a private key?)");
	EVP_MD_CTX_free(mctx);
	return r;
}

static int
selfcheck_fail(const char *what)
{
	return kr_err_libcrypto(KR_ERR_X509_SELFCHECK, what);
}

/*
 * Checks the signed certificate as a relying party would see it: decoded
 * from its DER.  *outp is the decoded certificate, set only on success.
 */
/*
 * The profile's marks: a root is a self-signed CA; a code signer is
 * self-issued (OpenSSL calls only a certificate that may sign
 * certificates self-signed) and signs code only.
 */
static int
profile_ok(X509 *y, enum kr_x509_self_profile profile)
{
	uint32_t flags = X509_get_extension_flags(y);

	if (profile == KR_X509_PROFILE_ROOT_CA)
		return X509_check_ca(y) == 1 && (flags & EXFLAG_SS) != 0 &&
		    X509_check_issued(y, y) == X509_V_OK;
	return X509_check_ca(y) == 0 && (flags & EXFLAG_SI) != 0 &&
	    X509_get_key_usage(y) == KU_DIGITAL_SIGNATURE &&
	    X509_get_extended_key_usage(y) == XKU_CODE_SIGN;
}

static int
self_check(X509 *x, EVP_PKEY *key, const struct kr_x509_sig *prof,
    enum kr_x509_self_profile profile, X509 **outp)
{
	unsigned char *der = NULL, *der2 = NULL;
	const unsigned char *p;
	X509 *y = NULL;
	EVP_PKEY *pub;
	int len, len2, r = KR_ERR_INTERNAL;

	*outp = NULL;
	if ((len = i2d_X509(x, &der)) <= 0) {
		r = selfcheck_fail("root certificate: encoding as DER");
		goto out;
	}
	p = der;
	if ((y = d2i_X509(NULL, &p, len)) == NULL || p != der + len ||
	    (len2 = i2d_X509(y, &der2)) != len ||
	    memcmp(der, der2, (size_t)len) != 0) {
		r = selfcheck_fail("root certificate: its DER does not decode "
		    "and re-encode to the same bytes");
		goto out;
	}
	if (X509_get_signature_nid(y) != prof->sig_nid) {
		r = kr_err_set(KR_ERR_X509_SELFCHECK, "root certificate: "
		    "signed with %s, not %s", OBJ_nid2ln(
		    X509_get_signature_nid(y)), OBJ_nid2ln(prof->sig_nid));
		goto out;
	}
	if ((pub = X509_get0_pubkey(y)) == NULL ||
	    EVP_PKEY_eq(pub, key) != 1) {
		r = selfcheck_fail("root certificate: its public key is not "
		    "the signing key's");
		goto out;
	}
	if (X509_verify(y, pub) != 1) {
		r = selfcheck_fail("root certificate: its signature does not "
		    "verify");
		goto out;
	}
	if ((X509_get_extension_flags(y) & EXFLAG_INVALID) != 0 ||
	    !profile_ok(y, profile)) {
		r = selfcheck_fail("certificate: OpenSSL does not find it a "
		    "valid self-issued certificate of its profile");
		goto out;
	}
	*outp = y;
	y = NULL;
	r = 0;
 out:
	OPENSSL_free(der);
	OPENSSL_free(der2);
	X509_free(y);
	return r;
}

int
kr_x509_self_sign(EVP_PKEY *key, const struct kr_x509_request *req,
    X509 **certp)
{
	const struct kr_x509_sig *prof = NULL;
	X509_NAME *name = NULL;
	X509 *x = NULL, *checked = NULL;
	int r = KR_ERR_INTERNAL;

	*certp = NULL;
	if (key == NULL || req == NULL)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "root certificate: "
		    "no key or no request");
	if ((r = check_request(req)) != 0 ||
	    (r = kr_x509_sig_of(key, &prof)) != 0 ||
	    (r = kr_x509_subject_parse(req->subject, req->rehearsal,
	    &name)) != 0)
		goto out;
	if ((x = X509_new()) == NULL) {
		r = kr_err_libcrypto(KR_ERR_NOMEM, "root certificate");
		goto out;
	}
	if ((r = set_fields(x, key, name, req)) != 0 ||
	    (r = add_extensions(x, req)) != 0 ||
	    (r = sign(x, key, prof)) != 0 ||
	    (r = self_check(x, key, prof, req->profile, &checked)) != 0)
		goto out;
	*certp = checked;
	checked = NULL;
	r = 0;
 out:
	X509_free(checked);
	X509_free(x);
	X509_NAME_free(name);
	return r;
}

/* --- PEM ----------------------------------------------------------------- */

int
kr_x509_to_pem(X509 *cert, char **pemp, size_t *lenp)
{
	BIO *bio = NULL;
	BUF_MEM *mem = NULL;
	char *pem = NULL;
	int r = KR_ERR_INTERNAL;

	*pemp = NULL;
	*lenp = 0;
	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_X509(bio, cert) != 1 ||
	    BIO_get_mem_ptr(bio, &mem) <= 0 || mem == NULL) {
		r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "writing a certificate "
		    "as PEM");
		goto out;
	}
	if ((pem = malloc(mem->length + 1)) == NULL) {
		r = kr_err_set(KR_ERR_NOMEM, "writing a certificate as PEM");
		goto out;
	}
	memcpy(pem, mem->data, mem->length);
	pem[mem->length] = '\0';
	*pemp = pem;
	*lenp = mem->length;
	pem = NULL;
	r = 0;
 out:
	free(pem);
	BIO_free(bio);
	return r;
}

static int
all_space(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!isspace((unsigned char)p[i]))
			return 0;
	return 1;
}

#define PEM_BEGIN	"-----BEGIN CERTIFICATE-----"

int
kr_x509_from_pem(const char *pem, size_t len, const char *source,
    X509 **certp)
{
	char *label = NULL, *header = NULL, rest[256];
	unsigned char *data = NULL, *der2 = NULL;
	const unsigned char *p;
	const char *src = source != NULL ? source : "certificate";
	X509 *x = NULL;
	BIO *bio = NULL;
	size_t skip = 0;
	long dlen = 0;
	int n, r = KR_ERR_INTERNAL;

	*certp = NULL;
	if (pem == NULL || len == 0)
		return kr_err_set(KR_ERR_X509_DECODE, "%s: empty", src);
	if (len > KR_X509_PEM_MAX)
		return kr_err_set(KR_ERR_TOO_LARGE, "%s: %zu bytes; a "
		    "certificate file is at most %d", src, len,
		    KR_X509_PEM_MAX);
	while (skip < len && isspace((unsigned char)pem[skip]))
		skip++;
	if (len - skip < strlen(PEM_BEGIN) ||
	    memcmp(pem + skip, PEM_BEGIN, strlen(PEM_BEGIN)) != 0) {
		r = kr_err_set(KR_ERR_X509_DECODE, "%s: does not start with "
		    "\"%s\"; it must hold one PEM certificate and nothing "
		    "else", src, PEM_BEGIN);
		goto out;
	}
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		r = kr_err_libcrypto(KR_ERR_NOMEM, src);
		goto out;
	}
	if (PEM_read_bio(bio, &label, &header, &data, &dlen) != 1) {
		r = kr_err_libcrypto(KR_ERR_X509_DECODE, src);
		goto out;
	}
	if (strcmp(label, "CERTIFICATE") != 0) {
		r = kr_err_set(KR_ERR_X509_DECODE, "%s: a PEM block labelled "
		    "\"%.40s\", not CERTIFICATE", src, label);
		goto out;
	}
	if (header[0] != '\0') {
		r = kr_err_set(KR_ERR_X509_DECODE, "%s: the PEM block has "
		    "headers; a certificate has none", src);
		goto out;
	}
	while ((n = BIO_read(bio, rest, sizeof(rest))) > 0)
		if (!all_space(rest, (size_t)n)) {
			r = kr_err_set(KR_ERR_X509_DECODE, "%s: something "
			    "follows the certificate; the file must hold "
			    "exactly one", src);
			goto out;
		}
	p = data;
	if ((x = d2i_X509(NULL, &p, dlen)) == NULL) {
		r = kr_err_libcrypto(KR_ERR_X509_DECODE, src);
		goto out;
	}
	if (p != data + dlen || i2d_X509(x, &der2) != dlen ||
	    memcmp(data, der2, (size_t)dlen) != 0) {
		r = kr_err_set(KR_ERR_X509_DECODE, "%s: the certificate is "
		    "not in DER (re-encoding it changes its bytes)", src);
		goto out;
	}
	*certp = x;
	x = NULL;
	r = 0;
 out:
	ERR_clear_error();
	OPENSSL_free(label);
	OPENSSL_free(header);
	OPENSSL_free(data);
	OPENSSL_free(der2);
	X509_free(x);
	BIO_free(bio);
	return r;
}

/* --- fingerprints, public keys, descriptions ----------------------------- */

int
kr_x509_fingerprint(X509 *cert, uint8_t fp[KR_X509_FP_BYTES])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (cert == NULL || X509_digest(cert, EVP_sha256(), md, &n) != 1 ||
	    n != KR_X509_FP_BYTES)
		return kr_err_libcrypto(KR_ERR_LIBCRYPTO, "SHA-256 fingerprint "
		    "of a certificate");
	memcpy(fp, md, KR_X509_FP_BYTES);
	return 0;
}

void
kr_x509_fingerprint_text(const uint8_t fp[KR_X509_FP_BYTES], char *out,
    size_t outlen)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t i, o = 0;

	if (outlen < KR_X509_FP_TEXT_BYTES) {
		if (outlen > 0)
			out[0] = '\0';
		return;
	}
	for (i = 0; i < KR_X509_FP_BYTES; i++) {
		if (i > 0 && i % 2 == 0)
			out[o++] = ' ';
		out[o++] = digits[fp[i] >> 4];
		out[o++] = digits[fp[i] & 0x0f];
	}
	out[o] = '\0';
}

int
kr_x509_public_spki(X509 *cert, uint8_t **spkip, size_t *lenp)
{
	X509_PUBKEY *pk;
	uint8_t *der = NULL, *p;
	int len, r = KR_ERR_INTERNAL;

	*spkip = NULL;
	*lenp = 0;
	if (cert == NULL || (pk = X509_get_X509_PUBKEY(cert)) == NULL ||
	    (len = i2d_X509_PUBKEY(pk, NULL)) <= 0) {
		r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "a certificate's "
		    "public key");
		goto out;
	}
	if ((der = malloc((size_t)len)) == NULL) {
		r = kr_err_set(KR_ERR_NOMEM, "a certificate's public key");
		goto out;
	}
	p = der;
	if (i2d_X509_PUBKEY(pk, &p) != len) {
		r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "a certificate's "
		    "public key");
		goto out;
	}
	*spkip = der;
	*lenp = (size_t)len;
	der = NULL;
	r = 0;
 out:
	free(der);
	return r;
}

/*
 * RFC 4514 text, as OpenSSL's RFC 2253 printer writes it but with UTF-8
 * left as UTF-8 (not escaped as \XX), so it reads as the subject was
 * written.  Control characters are still escaped.
 */
/*
 * Copies printed name text, escaping a value that is exactly "#":
 * OpenSSL 3.0's RFC 2253 printer lets the rule for a value's last
 * character override the one for its first, so "CN=\\#" comes out as
 * "CN=#", which is not RFC 4514 and would not read back (found by
 * tests/fuzz/fuzz_x509.c).  Returns -1 if out is too small.
 */
static int
escape_lone_hash(const char *in, size_t len, char *out, size_t outlen)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		int lone = in[i] == '#' && i > 0 && in[i - 1] == '=' &&
		    (i + 1 == len || in[i + 1] == ',' || in[i + 1] == '+');

		if (o + 2 >= outlen)
			return -1;
		if (lone)
			out[o++] = '\\';
		out[o++] = in[i];
	}
	out[o] = '\0';
	return 0;
}

static int
name_text(const X509_NAME *name, const char *which, char *out,
    size_t outlen)
{
	BIO *bio = NULL;
	BUF_MEM *mem = NULL;
	unsigned long flags = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
	int r = KR_ERR_INTERNAL;

	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    X509_NAME_print_ex(bio, name, 0, flags) < 0 ||
	    BIO_get_mem_ptr(bio, &mem) <= 0 || mem == NULL) {
		r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, which);
		goto out;
	}
	if (escape_lone_hash(mem->data, mem->length, out, outlen) != 0) {
		r = kr_err_set(KR_ERR_TOO_LARGE, "%s: %zu bytes of text; "
		    "keyrite shows at most %zu", which, mem->length,
		    outlen - 1);
		goto out;
	}
	r = 0;
 out:
	BIO_free(bio);
	return r;
}

int
kr_x509_name_text(const X509_NAME *name, char *out, size_t outlen)
{
	return name_text(name, "name", out, outlen);
}

int
kr_x509_time_text(const ASN1_TIME *t, const char *which, char out[21])
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1 ||
	    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) != 20)
		return kr_err_libcrypto(KR_ERR_X509_DECODE, which);
	return 0;
}

static int
serial_text(const ASN1_INTEGER *ai, struct kr_x509_info *info)
{
	uint8_t b[20];
	BIGNUM *bn = NULL;
	int n, r = KR_ERR_INTERNAL;

	if ((bn = ASN1_INTEGER_to_BN(ai, NULL)) == NULL) {
		r = kr_err_libcrypto(KR_ERR_X509_DECODE, "certificate serial "
		    "number");
		goto out;
	}
	if ((n = BN_num_bytes(bn)) > (int)sizeof(b)) {
		r = kr_err_set(KR_ERR_X509_DECODE, "certificate serial "
		    "number: %d bytes; RFC 5280 allows at most 20", n);
		goto out;
	}
	info->serial_negative = BN_is_negative(bn);
	if (n == 0)
		strcpy(info->serial, "00");
	else {
		BN_bn2bin(bn, b);
		kr_hex_encode(b, (size_t)n, info->serial,
		    sizeof(info->serial));
	}
	r = 0;
 out:
	BN_free(bn);
	return r;
}

int
kr_x509_describe(X509 *cert, struct kr_x509_info *info)
{
	struct kr_x509_info *t = NULL;
	const struct kr_key_alg *alg;
	const X509_ALGOR *sigalg = NULL;
	const ASN1_OBJECT *obj = NULL;
	int day = 0, sec = 0, r = KR_ERR_INTERNAL;

	if (cert == NULL)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "describing a "
		    "certificate: none given");
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "describing a certificate");
	if ((r = name_text(X509_get_subject_name(cert), "certificate subject",
	    t->subject, sizeof(t->subject))) != 0 ||
	    (r = name_text(X509_get_issuer_name(cert), "certificate issuer",
	    t->issuer, sizeof(t->issuer))) != 0 ||
	    (r = serial_text(X509_get0_serialNumber(cert), t)) != 0 ||
	    (r = kr_x509_time_text(X509_get0_notBefore(cert), "certificate "
	    "notBefore", t->not_before)) != 0 ||
	    (r = kr_x509_time_text(X509_get0_notAfter(cert), "certificate notAfter",
	    t->not_after)) != 0 ||
	    (r = kr_x509_fingerprint(cert, t->fingerprint)) != 0)
		goto out;
	if (ASN1_TIME_diff(&day, &sec, X509_get0_notBefore(cert),
	    X509_get0_notAfter(cert)) != 1) {
		r = kr_err_libcrypto(KR_ERR_X509_DECODE, "certificate "
		    "validity");
		goto out;
	}
	t->days = day;
	t->seconds = sec;
	t->is_ca = (X509_get_extension_flags(cert) & EXFLAG_CA) != 0;
	t->path_len = (int)X509_get_pathlen(cert);
	t->self_signed = X509_self_signed(cert, 1) == 1;
	X509_get0_signature(NULL, &sigalg, cert);
	X509_ALGOR_get0(&obj, NULL, NULL, sigalg);
	if (obj == NULL || OBJ_obj2txt(t->sig_alg, sizeof(t->sig_alg), obj,
	    0) <= 0) {
		r = kr_err_libcrypto(KR_ERR_X509_DECODE, "certificate "
		    "signature algorithm");
		goto out;
	}
	if ((alg = kr_key_alg_of(X509_get0_pubkey(cert))) != NULL)
		snprintf(t->key_alg, sizeof(t->key_alg), "%s",
		    kr_key_alg_name(alg));
	ERR_clear_error();	/* from an unreadable key or self-signed test */
	*info = *t;
	r = 0;
 out:
	free(t);
	return r;
}
