/*
 * token-restore.c: putting a recovered key into an HSM (root CA
 * recovery), through the HSM's PKCS#11 module.
 *
 * The key goes in as one private key object made with C_CreateObject:
 * sensitive, never to be extracted, for signing only, named by its key id
 * (CKA_ID) and a label, with the key's certificate beside it when there
 * is one.  Its secret numbers are copied out of OpenSSL (whose secure
 * heap holds them) straight into kr_secmem memory, in the big-endian form
 * PKCS#11 wants, handed to the module in the template, and wiped as soon
 * as C_CreateObject returns, whatever it returned.  No BIGNUM or buffer
 * on the ordinary heap ever holds them.
 *
 * What was made is read back attribute by attribute, and the token must
 * refuse to reveal the secret value; then kr_token_prove_key() has the
 * token sign a random challenge that OpenSSL verifies with the
 * certificate's public key.  A restore that fails after C_CreateObject
 * destroys what it made.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "base/err.h"
#include "base/hex.h"
#include "base/secmem.h"
#include "crypto/key.h"
#include "token-int.h"

#define MAX_SECRETS	6	/* RSA: d, p, q, dp, dq, qinv */
#define CHALLENGE_BYTES	32

const char *
kr_token_target_module_path(const char *path)
{
	const char *env;

	if (path != NULL)
		return path;
	if ((env = getenv(KR_TOKEN_TARGET_MODULE_ENV)) != NULL &&
	    *env != '\0')
		return env;
	return NULL;
}

/* --- the key's numbers --------------------------------------------------- */

/* A number in secret memory: mem/memlen as allocated, p/len the value. */
struct secret {
	uint8_t	*mem;
	size_t	 memlen;
	uint8_t	*p;
	size_t	 len;
};

struct numbers {
	struct secret	 sec[MAX_SECRETS];
	size_t		 nsec;
	uint8_t		*pub[2];	/* public: malloc()ed */
	size_t		 publen[2];
	uint8_t		*params;	/* CKA_EC_PARAMS DER */
	size_t		 paramslen;
	CK_KEY_TYPE	 type;
};

static int
little_endian(void)
{
	const uint16_t one = 1;

	return *(const uint8_t *)&one == 1;
}

/*
 * Copies key's parameter name (an unsigned integer of at most len bytes)
 * into secret memory, big-endian, without leading zero bytes.  OpenSSL
 * writes it in native order straight into our buffer.
 */
static int
secret_number(const EVP_PKEY *key, const char *name, size_t len,
    struct secret *sec)
{
	OSSL_PARAM params[2];
	uint8_t t;
	size_t i;

	memset(sec, 0, sizeof(*sec));
	if ((sec->mem = kr_secmem_alloc(len)) == NULL)
		return KR_ERR_SECMEM_MLOCK;
	sec->memlen = len;
	params[0] = OSSL_PARAM_construct_BN(name, sec->mem, len);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_PKEY_get_params(key, params) != 1 ||
	    !OSSL_PARAM_modified(&params[0]))
		return kr_err_libcrypto(KR_ERR_KEY_DECODE, "reading the key's "
		    "private numbers");
	len = params[0].data_size < len ? params[0].data_size : len;
	if (little_endian())
		for (i = 0; i < len / 2; i++) {
			t = sec->mem[i];
			sec->mem[i] = sec->mem[len - 1 - i];
			sec->mem[len - 1 - i] = t;
		}
	sec->p = sec->mem;
	sec->len = len;
	while (sec->len > 1 && sec->p[0] == 0)
		sec->p++, sec->len--;
	return 0;
}

static int
public_number(const EVP_PKEY *key, const char *name, uint8_t **outp,
    size_t *lenp)
{
	BIGNUM *bn = NULL;
	int n;

	if (EVP_PKEY_get_bn_param(key, name, &bn) != 1 ||
	    (n = BN_num_bytes(bn)) <= 0 ||
	    (*outp = malloc((size_t)n)) == NULL) {
		BN_free(bn);
		return kr_err_libcrypto(KR_ERR_KEY_DECODE, "reading the key's "
		    "public numbers");
	}
	BN_bn2bin(bn, *outp);
	*lenp = (size_t)n;
	BN_free(bn);
	return 0;
}

static int
curve_params(const EVP_PKEY *key, struct numbers *nb)
{
	char group[64];
	unsigned char *der = NULL;
	int nid = NID_undef, len;

	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519)
		nid = NID_ED25519;
	else if (EVP_PKEY_get_base_id(key) == EVP_PKEY_ED448)
		nid = NID_ED448;
	else if (EVP_PKEY_get_group_name(key, group, sizeof(group), NULL) == 1)
		nid = OBJ_sn2nid(group);
	if (nid == NID_undef || (len = i2d_ASN1_OBJECT(OBJ_nid2obj(nid),
	    &der)) <= 0)
		return kr_err_libcrypto(KR_ERR_KEY_ALGORITHM, "the key's "
		    "curve");
	if ((nb->params = malloc((size_t)len)) == NULL) {
		OPENSSL_free(der);
		return kr_err_set(KR_ERR_NOMEM, "the key's curve");
	}
	memcpy(nb->params, der, (size_t)len);
	nb->paramslen = (size_t)len;
	OPENSSL_free(der);
	return 0;
}

static int
raw_private(const EVP_PKEY *key, struct secret *sec)
{
	size_t len = 0;

	memset(sec, 0, sizeof(*sec));
	if (EVP_PKEY_get_raw_private_key(key, NULL, &len) != 1 || len == 0 ||
	    (sec->mem = kr_secmem_alloc(len)) == NULL)
		return kr_err_libcrypto(KR_ERR_KEY_DECODE, "reading the key");
	sec->memlen = len;
	if (EVP_PKEY_get_raw_private_key(key, sec->mem, &len) != 1)
		return kr_err_libcrypto(KR_ERR_KEY_DECODE, "reading the key");
	sec->p = sec->mem;
	sec->len = len;
	return 0;
}

static const char *const rsa_secrets[] = { OSSL_PKEY_PARAM_RSA_D,
	OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2,
	OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
	OSSL_PKEY_PARAM_RSA_COEFFICIENT1 };

static int
get_numbers(const EVP_PKEY *key, struct numbers *nb)
{
	size_t bytes = (size_t)(EVP_PKEY_get_bits(key) + 7) / 8, i;
	int r;

	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_EC:
		nb->type = CKK_EC;
		nb->nsec = 1;
		if ((r = curve_params(key, nb)) != 0)
			return r;
		return secret_number(key, OSSL_PKEY_PARAM_PRIV_KEY, bytes,
		    &nb->sec[0]);
	case EVP_PKEY_RSA:
		nb->type = CKK_RSA;
		if ((r = public_number(key, OSSL_PKEY_PARAM_RSA_N, &nb->pub[0],
		    &nb->publen[0])) != 0 || (r = public_number(key,
		    OSSL_PKEY_PARAM_RSA_E, &nb->pub[1], &nb->publen[1])) != 0)
			return r;
		for (i = 0; i < MAX_SECRETS; i++, nb->nsec++)
			if ((r = secret_number(key, rsa_secrets[i], bytes,
			    &nb->sec[i])) != 0)
				return r;
		return 0;
	case EVP_PKEY_ED25519:
	case EVP_PKEY_ED448:
		nb->type = CKK_EC_EDWARDS;
		nb->nsec = 1;
		if ((r = curve_params(key, nb)) != 0)
			return r;
		return raw_private(key, &nb->sec[0]);
	}
	return kr_err_set(KR_ERR_KEY_ALGORITHM, "this key's algorithm cannot "
	    "be restored into a token");
}

static void
wipe_numbers(struct numbers *nb)
{
	size_t i;

	for (i = 0; i < MAX_SECRETS; i++)
		kr_secmem_free(nb->sec[i].mem, nb->sec[i].memlen);
	free(nb->pub[0]);
	free(nb->pub[1]);
	free(nb->params);
	memset(nb, 0, sizeof(*nb));
}

/* --- objects ------------------------------------------------------------- */

int
kr_token_count_id(struct kr_token_session *s, const uint8_t *id,
    size_t idlen, size_t *np)
{
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_ID, (CK_VOID_PTR)(uintptr_t)id, idlen },
	};
	CK_OBJECT_HANDLE *h = NULL;
	int r;

	*np = 0;
	r = kr_token_find_objects(s, tmpl, NELEM(tmpl), &h, np);
	free(h);
	return r;
}

int
kr_token_destroy_id(struct kr_token_session *s, const uint8_t *id,
    size_t idlen, size_t *np)
{
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_ID, (CK_VOID_PTR)(uintptr_t)id, idlen },
	};
	CK_OBJECT_HANDLE *h = NULL;
	size_t n = 0, i, done = 0;
	CK_RV rv;
	int r;

	if ((r = kr_token_find_objects(s, tmpl, NELEM(tmpl), &h, &n)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if ((rv = KR_P11(s)->C_DestroyObject(s->h, h[i])) != CKR_OK) {
			r = kr_token_session_ckr(s, rv, "destroying an object");
			goto out;
		}
		done++;
	}
	r = 0;
 out:
	if (np != NULL)
		*np = done;
	free(h);
	return r;
}

static int
label_ok(const char *label)
{
	size_t i, len = label ? strlen(label) : 0;

	if (len == 0 || len > KR_TOKEN_KEY_LABEL_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (label[i] < 0x20 || label[i] > 0x7e)
			return 0;
	return 1;
}

static int
create_private(struct kr_token_session *s, const struct numbers *nb,
    const uint8_t *id, size_t idlen, const char *label, X509 *cert,
    CK_OBJECT_HANDLE *hp)
{
	static const CK_ATTRIBUTE_TYPE rsa_types[MAX_SECRETS] = {
		CKA_PRIVATE_EXPONENT, CKA_PRIME_1, CKA_PRIME_2,
		CKA_EXPONENT_1, CKA_EXPONENT_2, CKA_COEFFICIENT };
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_KEY_TYPE type = nb->type;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ATTRIBUTE t[32];
	unsigned char *subject = NULL;
	CK_ULONG n = 0;
	size_t i;
	int slen = 0;
	CK_RV rv;

#define ADD(ty, v, l)	(t[n].type = (ty), t[n].pValue = (CK_VOID_PTR)(v), \
			    t[n].ulValueLen = (l), n++)
	ADD(CKA_CLASS, &cls, sizeof(cls));
	ADD(CKA_KEY_TYPE, &type, sizeof(type));
	ADD(CKA_TOKEN, &yes, sizeof(yes));
	ADD(CKA_PRIVATE, &yes, sizeof(yes));
	ADD(CKA_SENSITIVE, &yes, sizeof(yes));
	ADD(CKA_EXTRACTABLE, &no, sizeof(no));
	ADD(CKA_SIGN, &yes, sizeof(yes));
	ADD(CKA_DECRYPT, &no, sizeof(no));
	ADD(CKA_UNWRAP, &no, sizeof(no));
	ADD(CKA_DERIVE, &no, sizeof(no));
	ADD(CKA_ID, (uintptr_t)id, idlen);
	ADD(CKA_LABEL, (uintptr_t)label, strlen(label));
	if (cert != NULL && (slen = i2d_X509_NAME(X509_get_subject_name(cert),
	    &subject)) > 0)
		ADD(CKA_SUBJECT, subject, (CK_ULONG)slen);
	if (nb->type == CKK_RSA) {
		ADD(CKA_MODULUS, nb->pub[0], nb->publen[0]);
		ADD(CKA_PUBLIC_EXPONENT, nb->pub[1], nb->publen[1]);
		for (i = 0; i < nb->nsec; i++)
			ADD(rsa_types[i], nb->sec[i].p, nb->sec[i].len);
	} else {
		ADD(CKA_EC_PARAMS, nb->params, nb->paramslen);
		ADD(CKA_VALUE, nb->sec[0].p, nb->sec[0].len);
	}
#undef ADD
	rv = KR_P11(s)->C_CreateObject(s->h, t, n, hp);
	OPENSSL_free(subject);
	if (rv != CKR_OK)
		return kr_token_session_ckr(s, rv, "creating the private key "
		    "object");
	return 0;
}

static int
create_cert(struct kr_token_session *s, const uint8_t *id, size_t idlen,
    const char *label, X509 *cert)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE ct = CKC_X_509;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	unsigned char *der = NULL, *subj = NULL, *iss = NULL, *ser = NULL;
	int dl, sl, il, nl, r = 0;
	CK_OBJECT_HANDLE h;
	CK_RV rv;

	if ((dl = i2d_X509(cert, &der)) <= 0 ||
	    (sl = i2d_X509_NAME(X509_get_subject_name(cert), &subj)) <= 0 ||
	    (il = i2d_X509_NAME(X509_get_issuer_name(cert), &iss)) <= 0 ||
	    (nl = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert), &ser)) <= 0)
		r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "encoding the "
		    "certificate for the token");
	else {
		CK_ATTRIBUTE t[] = {
			{ CKA_CLASS, &cls, sizeof(cls) },
			{ CKA_CERTIFICATE_TYPE, &ct, sizeof(ct) },
			{ CKA_TOKEN, &yes, sizeof(yes) },
			{ CKA_PRIVATE, &no, sizeof(no) },
			{ CKA_ID, (CK_VOID_PTR)(uintptr_t)id, idlen },
			{ CKA_LABEL, (CK_VOID_PTR)(uintptr_t)label,
			    strlen(label) },
			{ CKA_SUBJECT, subj, (CK_ULONG)sl },
			{ CKA_ISSUER, iss, (CK_ULONG)il },
			{ CKA_SERIAL_NUMBER, ser, (CK_ULONG)nl },
			{ CKA_VALUE, der, (CK_ULONG)dl },
		};

		if ((rv = KR_P11(s)->C_CreateObject(s->h, t, NELEM(t),
		    &h)) != CKR_OK)
			r = kr_token_session_ckr(s, rv, "creating the "
			    "certificate object");
	}
	OPENSSL_free(der);
	OPENSSL_free(subj);
	OPENSSL_free(iss);
	OPENSSL_free(ser);
	return r;
}

static const char *
key_type_name(CK_KEY_TYPE t)
{
	switch (t) {
	case CKK_EC:
		return "CKK_EC";
	case CKK_RSA:
		return "CKK_RSA";
	case CKK_EC_EDWARDS:
		return "CKK_EC_EDWARDS";
	}
	return "other";
}

/* Whether the token refuses to reveal attribute type of o. */
static int
hidden(struct kr_token_session *s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type)
{
	CK_ATTRIBUTE a = { type, NULL, 0 };
	CK_RV rv = KR_P11(s)->C_GetAttributeValue(s->h, o, &a, 1);

	return rv == CKR_ATTRIBUTE_SENSITIVE ||
	    (rv == CKR_OK && a.ulValueLen == CK_UNAVAILABLE_INFORMATION);
}

static int
read_back(struct kr_token_session *s, CK_OBJECT_HANDLE o, CK_KEY_TYPE want,
    struct kr_token_key_attrs *a)
{
	CK_OBJECT_CLASS cls = 0;
	CK_KEY_TYPE kt = 0;
	CK_BBOOL tok = 0, prv = 0, sens = 0, extr = 1, asens = 0, nextr = 0;
	CK_BBOOL sign = 0;
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_TOKEN, &tok, sizeof(tok) },
		{ CKA_PRIVATE, &prv, sizeof(prv) },
		{ CKA_SENSITIVE, &sens, sizeof(sens) },
		{ CKA_EXTRACTABLE, &extr, sizeof(extr) },
		{ CKA_ALWAYS_SENSITIVE, &asens, sizeof(asens) },
		{ CKA_NEVER_EXTRACTABLE, &nextr, sizeof(nextr) },
		{ CKA_SIGN, &sign, sizeof(sign) },
	};
	uint8_t *v = NULL;
	size_t len = 0;
	CK_RV rv;
	int r;

	if ((rv = KR_P11(s)->C_GetAttributeValue(s->h, o, t, NELEM(t))) !=
	    CKR_OK)
		return kr_token_session_ckr(s, rv, "reading the key back");
	a->cls = cls;
	a->key_type = kt;
	snprintf(a->key_type_name, sizeof(a->key_type_name), "%s",
	    key_type_name(kt));
	a->token = tok == CK_TRUE;
	a->is_private = prv == CK_TRUE;
	a->sensitive = sens == CK_TRUE;
	a->extractable = extr == CK_TRUE;
	a->always_sensitive = asens == CK_TRUE;
	a->never_extractable = nextr == CK_TRUE;
	a->sign = sign == CK_TRUE;
	a->value_hidden = hidden(s, o, want == CKK_RSA ?
	    CKA_PRIVATE_EXPONENT : CKA_VALUE);
	if ((r = kr_token_get_attr(s, o, CKA_ID, 0, &v, &len)) != 0)
		return r;
	a->id_len = len < sizeof(a->id) ? len : sizeof(a->id);
	memcpy(a->id, v, a->id_len);
	kr_token_attr_free(v, len, 0);
	if ((r = kr_token_get_attr(s, o, CKA_LABEL, 0, &v, &len)) != 0)
		return r;
	snprintf(a->label, sizeof(a->label), "%.*s", (int)(len <
	    sizeof(a->label) ? len : sizeof(a->label) - 1), (char *)v);
	kr_token_attr_free(v, len, 0);
	return 0;
}

/* What is wrong with the object read back, or NULL. */
static const char *
fault(const struct kr_token_key_attrs *a, CK_KEY_TYPE want, const uint8_t *id,
    size_t idlen, const char *label)
{
	if (a->cls != CKO_PRIVATE_KEY || a->key_type != want)
		return "it is not a private key of the key's type";
	if (!a->token || !a->is_private)
		return "it is not a private token object";
	if (!a->sensitive || a->extractable)
		return "it is not sensitive, or it is extractable";
	if (!a->value_hidden)
		return "the token reveals its private value";
	if (!a->sign)
		return "it may not sign";
	if (a->id_len != idlen || memcmp(a->id, id, idlen) != 0 ||
	    strcmp(a->label, label) != 0)
		return "its CKA_ID or CKA_LABEL is not the one written";
	return NULL;
}

static int
find_private(struct kr_token_session *s, const uint8_t *id, size_t idlen,
    CK_OBJECT_HANDLE *hp)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_ID, (CK_VOID_PTR)(uintptr_t)id, idlen },
	};
	CK_OBJECT_HANDLE *h = NULL;
	size_t n = 0;
	int r;

	if ((r = kr_token_find_objects(s, tmpl, NELEM(tmpl), &h, &n)) != 0)
		return r;
	if (n == 1)
		*hp = h[0];
	free(h);
	if (n != 1)
		return kr_err_set(KR_ERR_TOKEN_READBACK, "%s holds %zu private "
		    "keys with this key id, not one", s->name, n);
	return 0;
}

/* Destroys what a failed restore made; the first error stays. */
static int
undo(struct kr_token_session *s, const uint8_t *id, size_t idlen, int r)
{
	char detail[1024];
	size_t n = 0;

	snprintf(detail, sizeof(detail), "%s", kr_err_detail());
	if (kr_token_destroy_id(s, id, idlen, &n) != 0)
		return kr_err_set(r, "%s; and what was made could not all be "
		    "destroyed (%s): delete the objects with this key id with "
		    "pkcs11-tool (docs/operator-guide.md)", detail,
		    kr_err_detail());
	return kr_err_set(r, "%s; the %zu object%s made were destroyed",
	    detail, n, n == 1 ? "" : "s");
}

int
kr_token_restore_key(struct kr_token_session *s, EVP_PKEY *key,
    const uint8_t *id, size_t idlen, const char *label, X509 *cert,
    struct kr_token_key_attrs *attrs)
{
	struct kr_token_key_attrs a;
	struct numbers nb;
	char hex[2 * KR_TOKEN_KEY_ID_MAX + 1];
	const char *why;
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	CK_KEY_TYPE want;
	size_t n = 0;
	int r = KR_ERR_INTERNAL;

	memset(&nb, 0, sizeof(nb));
	memset(&a, 0, sizeof(a));
	if (idlen == 0 || idlen > KR_TOKEN_KEY_ID_MAX || !label_ok(label))
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "restoring a key: "
		    "its id must be 1 to %d bytes and its label 1 to %d "
		    "printable ASCII characters", KR_TOKEN_KEY_ID_MAX,
		    KR_TOKEN_KEY_LABEL_MAX);
	kr_hex_encode(id, idlen, hex, sizeof(hex));
	if (!s->logged_in)
		return kr_err_set(KR_ERR_TOKEN_NOT_LOGGED_IN, "%s: log in "
		    "before restoring a key", s->name);
	if ((r = kr_token_count_id(s, id, idlen, &n)) != 0)
		return r;
	if (n > 0)
		return kr_err_set(KR_ERR_TOKEN_ID_EXISTS, "%s already holds "
		    "%zu object%s with CKA_ID %s: the key is there already, or "
		    "an interrupted restore left it; nothing was written "
		    "(docs/operator-guide.md says how to check and remove it)",
		    s->name, n, n == 1 ? "" : "s", hex);
	if ((r = get_numbers(key, &nb)) != 0)
		goto out;
	want = nb.type;
	r = create_private(s, &nb, id, idlen, label, cert, &h);
	wipe_numbers(&nb);	/* whatever C_CreateObject did */
	if (r != 0)
		goto out;
	if ((cert != NULL && (r = create_cert(s, id, idlen, label,
	    cert)) != 0) || (r = read_back(s, h, want, &a)) != 0)
		goto undo;
	if ((why = fault(&a, want, id, idlen, label)) != NULL) {
		r = kr_err_set(KR_ERR_TOKEN_READBACK, "%s: the key object read "
		    "back is not what was written: %s", s->name, why);
		goto undo;
	}
	if ((r = kr_token_count_id(s, id, idlen, &n)) != 0)
		goto undo;
	if (n != (cert != NULL ? 2u : 1u)) {
		r = kr_err_set(KR_ERR_TOKEN_READBACK, "%s shows %zu objects "
		    "with the key id after the restore, not %d", s->name, n,
		    cert != NULL ? 2 : 1);
		goto undo;
	}
	a.certificate = cert != NULL;
	*attrs = a;
	r = 0;
	goto out;
 undo:
	r = undo(s, id, idlen, r);
 out:
	wipe_numbers(&nb);
	return r;
}

/* --- proving it ---------------------------------------------------------- */

/* r || s (each half n bytes) to a DER ECDSA-Sig-Value; OPENSSL_malloc()ed. */
static int
ecdsa_der(const uint8_t *raw, size_t len, unsigned char **derp, int *dlenp)
{
	ECDSA_SIG *sig = NULL;
	BIGNUM *br = NULL, *bs = NULL;
	int ok = 0;

	*derp = NULL;
	if (len == 0 || len % 2 != 0 || (sig = ECDSA_SIG_new()) == NULL ||
	    (br = BN_bin2bn(raw, (int)(len / 2), NULL)) == NULL ||
	    (bs = BN_bin2bn(raw + len / 2, (int)(len / 2), NULL)) == NULL ||
	    ECDSA_SIG_set0(sig, br, bs) != 1)
		goto out;
	br = bs = NULL;
	ok = (*dlenp = i2d_ECDSA_SIG(sig, derp)) > 0;
 out:
	BN_free(br);
	BN_free(bs);
	ECDSA_SIG_free(sig);
	return ok;
}

/*
 * Verifies the token's signature sig with pub: for ECDSA over the digest
 * msg (CKM_ECDSA signed it as given), else over the message msg.
 */
static int
verify(EVP_PKEY *pub, CK_KEY_TYPE kt, const EVP_MD *md, const uint8_t *msg,
    size_t msglen, const uint8_t *sig, size_t siglen)
{
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *der = NULL;
	int dlen = 0, ok = 0;

	if (kt == CKK_EC) {
		ok = ecdsa_der(sig, siglen, &der, &dlen) &&
		    (pctx = EVP_PKEY_CTX_new(pub, NULL)) != NULL &&
		    EVP_PKEY_verify_init(pctx) == 1 &&
		    EVP_PKEY_CTX_set_signature_md(pctx, md) == 1 &&
		    EVP_PKEY_verify(pctx, der, (size_t)dlen, msg, msglen) == 1;
		goto out;
	}
	if ((mctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(mctx, NULL, kt == CKK_EC_EDWARDS ? NULL : md,
	    NULL, pub) != 1)
		goto out;
	ok = EVP_DigestVerify(mctx, sig, siglen, msg, msglen) == 1;
 out:
	OPENSSL_free(der);
	EVP_PKEY_CTX_free(pctx);
	EVP_MD_CTX_free(mctx);
	ERR_clear_error();
	return ok;
}

int
kr_token_prove_key(struct kr_token_session *s, const uint8_t *id,
    size_t idlen, EVP_PKEY *pub, const char **mechp)
{
	const struct kr_key_alg *alg = kr_key_alg_of(pub);
	const char *dname = alg != NULL ? kr_key_alg_digest(alg) : NULL;
	CK_KEY_TYPE kt = 0;
	CK_ATTRIBUTE ta = { CKA_KEY_TYPE, &kt, sizeof(kt) };
	CK_MECHANISM mech = { CKM_ECDSA, NULL, 0 };
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	uint8_t msg[CHALLENGE_BYTES], dig[EVP_MAX_MD_SIZE], sig[1024];
	const uint8_t *in = msg;
	CK_ULONG inlen = sizeof(msg), siglen = sizeof(sig);
	const EVP_MD *md = NULL;
	unsigned int dl = 0;
	const char *mname;
	CK_RV rv;
	int r;

	if (mechp != NULL)
		*mechp = NULL;
	if (alg == NULL)
		return kr_err_set(KR_ERR_KEY_ALGORITHM, "proving the restore: "
		    "the public key is not of an algorithm keyrite manages");
	if ((r = find_private(s, id, idlen, &h)) != 0)
		return r;
	if ((rv = KR_P11(s)->C_GetAttributeValue(s->h, h, &ta, 1)) != CKR_OK)
		return kr_token_session_ckr(s, rv, "reading the key's type");
	if (RAND_bytes(msg, sizeof(msg)) != 1)
		return kr_err_libcrypto(KR_ERR_LIBCRYPTO, "a challenge");
	switch (kt) {
	case CKK_EC:
		/* CKM_ECDSA signs a digest made here, with the curve's hash. */
		if ((md = EVP_get_digestbyname(dname)) == NULL ||
		    EVP_Digest(msg, sizeof(msg), dig, &dl, md, NULL) != 1)
			return kr_err_libcrypto(KR_ERR_LIBCRYPTO, "a digest");
		in = dig;
		inlen = dl;
		mname = "CKM_ECDSA";
		break;
	case CKK_RSA:
		mech.mechanism = CKM_SHA256_RSA_PKCS;
		md = EVP_sha256();
		mname = "CKM_SHA256_RSA_PKCS";
		break;
	case CKK_EC_EDWARDS:
		mech.mechanism = CKM_EDDSA;
		mname = "CKM_EDDSA";
		break;
	default:
		return kr_err_set(KR_ERR_TOKEN_UNSUPPORTED, "%s: the restored "
		    "key is of a type keyrite cannot have it sign with",
		    s->name);
	}
	if ((rv = KR_P11(s)->C_SignInit(s->h, &mech, h)) != CKR_OK ||
	    (rv = KR_P11(s)->C_Sign(s->h, (CK_BYTE_PTR)(uintptr_t)in, inlen,
	    sig, &siglen)) != CKR_OK)
		return kr_token_session_ckr(s, rv, "signing the challenge with "
		    "the restored key");
	if (!verify(pub, kt, md, kt == CKK_EC ? dig : msg, kt == CKK_EC ? dl :
	    sizeof(msg), sig, siglen))
		return kr_err_set(KR_ERR_KEY_MISMATCH, "%s signed the "
		    "challenge, but the signature does not verify with the "
		    "certificate's public key: the key restored is not that "
		    "key", s->name);
	if (mechp != NULL)
		*mechp = mname;
	return 0;
}
