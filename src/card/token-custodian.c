/*
 * token-custodian.c: the custodian's own key on their card.
 *
 * An ECDSA P-256 key pair labelled "keyrite-custodian", generated on the
 * card (the private half sensitive, never extractable), with which a
 * custodian co-signs ceremony transcripts.  Its public key leaves the card
 * as a DER SubjectPublicKeyInfo built with OpenSSL from CKA_EC_POINT; its
 * signatures leave as raw r || s (CKM_ECDSA) and are re-encoded as the DER
 * ECDSA-Sig-Value every verifier expects.  Each time the key is found or
 * made, it signs a random digest that is verified against the exported
 * public key, so the two halves on the card are known to belong together.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "base/err.h"
#include "token-int.h"

/* DER of OBJECT IDENTIFIER prime256v1 (1.2.840.10045.3.1.7). */
static const uint8_t p256_params[] = {
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07
};
#define P256_POINT_BYTES	65	/* 04 || X || Y */
#define P256_SCALAR_BYTES	32

/* Finds the one custodian object of class cls (CK_INVALID_HANDLE: none). */
static int
find_one(struct kr_token_session *s, CK_OBJECT_CLASS cls, CK_OBJECT_HANDLE *hp)
{
	CK_BBOOL yes = CK_TRUE;
	char label[] = KR_TOKEN_CUSTODIAN_LABEL;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_LABEL, label, sizeof(label) - 1 },
	};
	CK_OBJECT_HANDLE *h = NULL;
	size_t n = 0;
	int r = KR_ERR_INTERNAL;

	*hp = CK_INVALID_HANDLE;
	if ((r = kr_token_find_objects(s, tmpl, NELEM(tmpl), &h,
	    &n)) != 0)
		goto out;
	if (n > 1) {
		r = kr_err_set(KR_ERR_TOKEN_CUSTODIAN_KEY, "%s holds %zu %s "
		    "keys labelled %s; keep one pair and delete the others "
		    "with pkcs11-tool (docs/cards.md)", s->name, n,
		    cls == CKO_PRIVATE_KEY ? "private" : "public",
		    KR_TOKEN_CUSTODIAN_LABEL);
		goto out;
	}
	if (n == 1)
		*hp = h[0];
	r = 0;
 out:
	free(h);
	return r;
}

/* Reads CK_BBOOL or CK_ULONG attributes of o into tmpl. */
static int
get_fixed(struct kr_token_session *s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE *tmpl,
    CK_ULONG n)
{
	CK_RV rv;

	if ((rv = KR_P11(s)->C_GetAttributeValue(s->h, o, tmpl, n)) != CKR_OK)
		return kr_token_session_ckr(s, rv, "reading the custodian key");
	return 0;
}

/* The private key must be EC, able to sign, sensitive, not extractable. */
static int
check_private(struct kr_token_session *s, CK_OBJECT_HANDLE o)
{
	CK_KEY_TYPE kt = 0;
	CK_BBOOL sens = CK_FALSE, extr = CK_TRUE, sign = CK_FALSE;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_SENSITIVE, &sens, sizeof(sens) },
		{ CKA_EXTRACTABLE, &extr, sizeof(extr) },
		{ CKA_SIGN, &sign, sizeof(sign) },
	};
	int r;

	if ((r = get_fixed(s, o, tmpl, NELEM(tmpl))) != 0)
		return r;
	if (kt != CKK_EC)
		return kr_err_set(KR_ERR_TOKEN_CUSTODIAN_KEY, "%s: its %s key "
		    "is not an EC key; delete it with pkcs11-tool and let "
		    "keyrite make a new one", s->name,
		    KR_TOKEN_CUSTODIAN_LABEL);
	if (sens != CK_TRUE || extr != CK_FALSE)
		return kr_err_set(KR_ERR_TOKEN_CUSTODIAN_KEY, "%s: its %s "
		    "private key could be copied off the card (%s); delete "
		    "it with pkcs11-tool and let keyrite make a new one",
		    s->name, KR_TOKEN_CUSTODIAN_LABEL, sens != CK_TRUE ?
		    "not sensitive" : "extractable");
	if (sign != CK_TRUE)
		return kr_err_set(KR_ERR_TOKEN_CUSTODIAN_KEY, "%s: its %s key "
		    "may not sign; delete it with pkcs11-tool and let keyrite "
		    "make a new one", s->name, KR_TOKEN_CUSTODIAN_LABEL);
	return 0;
}

/* The public point from CKA_EC_POINT: a DER OCTET STRING, or raw. */
static int
ec_point(struct kr_token_session *s, const uint8_t *v, size_t len,
    uint8_t point[P256_POINT_BYTES])
{
	if (len == P256_POINT_BYTES + 2 && v[0] == 0x04 &&
	    v[1] == P256_POINT_BYTES) {
		v += 2;
		len -= 2;
	}
	if (len != P256_POINT_BYTES || v[0] != 0x04)
		return kr_err_set(KR_ERR_TOKEN_CUSTODIAN_KEY, "%s: the %s "
		    "public key is not an uncompressed P-256 point; delete "
		    "the key pair with pkcs11-tool and let keyrite make a new "
		    "one", s->name, KR_TOKEN_CUSTODIAN_LABEL);
	memcpy(point, v, P256_POINT_BYTES);
	return 0;
}

/* DER SubjectPublicKeyInfo for a P-256 point; *spkip malloc()ed. */
static int
point_to_spki(struct kr_token_session *s, uint8_t point[P256_POINT_BYTES],
    uint8_t **spkip, size_t *lenp)
{
	char group[] = "prime256v1";
	OSSL_PARAM params[] = {
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
		OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point,
		    P256_POINT_BYTES),
		OSSL_PARAM_END
	};
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;
	unsigned char *der = NULL;
	uint8_t *out = NULL;
	int len, r = KR_ERR_INTERNAL;

	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		r = kr_err_libcrypto(KR_ERR_TOKEN_CUSTODIAN_KEY, "the "
		    "custodian public key on the card is not a valid P-256 "
		    "point");
		goto out;
	}
	if ((len = i2d_PUBKEY(pk, &der)) <= 0) {
		r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "encoding the custodian "
		    "public key");
		goto out;
	}
	if ((out = malloc((size_t)len)) == NULL) {
		r = kr_err_set(KR_ERR_NOMEM, "exporting %s's public key",
		    s->name);
		goto out;
	}
	memcpy(out, der, (size_t)len);
	*spkip = out;
	*lenp = (size_t)len;
	r = 0;
 out:
	OPENSSL_free(der);
	EVP_PKEY_free(pk);
	EVP_PKEY_CTX_free(ctx);
	return r;
}

static int
export_public(struct kr_token_session *s, CK_OBJECT_HANDLE pub,
    uint8_t **spkip, size_t *lenp)
{
	uint8_t *params = NULL, *pt = NULL, point[P256_POINT_BYTES];
	size_t plen = 0, ptlen = 0;
	int r = KR_ERR_INTERNAL;

	if ((r = kr_token_get_attr(s, pub, CKA_EC_PARAMS, 0, &params,
	    &plen)) != 0)
		goto out;
	if (plen != sizeof(p256_params) ||
	    memcmp(params, p256_params, plen) != 0) {
		r = kr_err_set(KR_ERR_TOKEN_CUSTODIAN_KEY, "%s: its %s key is "
		    "not on curve P-256; delete the key pair with pkcs11-tool "
		    "and let keyrite make a new one", s->name,
		    KR_TOKEN_CUSTODIAN_LABEL);
		goto out;
	}
	if ((r = kr_token_get_attr(s, pub, CKA_EC_POINT, 0, &pt,
	    &ptlen)) != 0)
		goto out;
	if ((r = ec_point(s, pt, ptlen, point)) != 0)
		goto out;
	r = point_to_spki(s, point, spkip, lenp);
 out:
	kr_token_attr_free(params, plen, 0);
	kr_token_attr_free(pt, ptlen, 0);
	return r;
}

static int
generate(struct kr_token_session *s)
{
	CK_MECHANISM mech = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	uint8_t params[sizeof(p256_params)];
	char label[] = KR_TOKEN_CUSTODIAN_LABEL;
	/* The pair signs and verifies, nothing else. */
	CK_ATTRIBUTE pub[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &no, sizeof(no) },
		{ CKA_VERIFY, &yes, sizeof(yes) },
		{ CKA_ENCRYPT, &no, sizeof(no) },
		{ CKA_WRAP, &no, sizeof(no) },
		{ CKA_EC_PARAMS, params, sizeof(params) },
		{ CKA_LABEL, label, sizeof(label) - 1 },
	};
	CK_ATTRIBUTE priv[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_SENSITIVE, &yes, sizeof(yes) },
		{ CKA_EXTRACTABLE, &no, sizeof(no) },
		{ CKA_SIGN, &yes, sizeof(yes) },
		{ CKA_DERIVE, &no, sizeof(no) },
		{ CKA_DECRYPT, &no, sizeof(no) },
		{ CKA_UNWRAP, &no, sizeof(no) },
		{ CKA_LABEL, label, sizeof(label) - 1 },
	};
	CK_OBJECT_HANDLE hpub, hpriv;
	CK_RV rv;

	memcpy(params, p256_params, sizeof(params));
	if (s->info.write_protected)
		return kr_err_set(KR_ERR_TOKEN_WRITE_PROTECTED, "%s is write-"
		    "protected, so keyrite cannot make its custodian key; use "
		    "another card", s->name);
	rv = KR_P11(s)->C_GenerateKeyPair(s->h, &mech, pub, NELEM(pub), priv,
	    NELEM(priv), &hpub, &hpriv);
	if (rv != CKR_OK)
		return kr_token_session_ckr(s, rv, "making the custodian key");
	return 0;
}

/* Signs digest with private key o; *sig is r || s. */
static int
sign_raw(struct kr_token_session *s, CK_OBJECT_HANDLE o,
    const uint8_t digest[32], uint8_t sig[2 * P256_SCALAR_BYTES])
{
	CK_MECHANISM mech = { CKM_ECDSA, NULL, 0 };
	CK_ULONG len = 2 * P256_SCALAR_BYTES;
	CK_RV rv;

	if ((rv = KR_P11(s)->C_SignInit(s->h, &mech, o)) != CKR_OK)
		return kr_token_session_ckr(s, rv, "signing");
	/* C_Sign does not write to the data; its prototype is not const. */
	if ((rv = KR_P11(s)->C_Sign(s->h, (CK_BYTE_PTR)(uintptr_t)digest, 32,
	    sig, &len)) != CKR_OK)
		return kr_token_session_ckr(s, rv, "signing");
	if (len != 2 * P256_SCALAR_BYTES)
		return kr_err_set(KR_ERR_TOKEN_CUSTODIAN_KEY, "%s returned a "
		    "%lu-byte signature, not a P-256 one", s->name,
		    (unsigned long)len);
	return 0;
}

/* r || s to DER ECDSA-Sig-Value; *derp malloc()ed. */
static int
sig_to_der(const uint8_t raw[2 * P256_SCALAR_BYTES], uint8_t **derp,
    size_t *lenp)
{
	ECDSA_SIG *sig = NULL;
	BIGNUM *br = NULL, *bs = NULL;
	unsigned char *der = NULL;
	uint8_t *out = NULL;
	int len, r = KR_ERR_INTERNAL;

	if ((sig = ECDSA_SIG_new()) == NULL ||
	    (br = BN_bin2bn(raw, P256_SCALAR_BYTES, NULL)) == NULL ||
	    (bs = BN_bin2bn(raw + P256_SCALAR_BYTES, P256_SCALAR_BYTES,
	    NULL)) == NULL || ECDSA_SIG_set0(sig, br, bs) != 1) {
		r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "encoding a signature");
		goto out;
	}
	br = bs = NULL;		/* owned by sig now */
	if ((len = i2d_ECDSA_SIG(sig, &der)) <= 0) {
		r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "encoding a signature");
		goto out;
	}
	if ((out = malloc((size_t)len)) == NULL) {
		r = kr_err_set(KR_ERR_NOMEM, "encoding a signature");
		goto out;
	}
	memcpy(out, der, (size_t)len);
	*derp = out;
	*lenp = (size_t)len;
	r = 0;
 out:
	OPENSSL_free(der);
	BN_free(br);
	BN_free(bs);
	ECDSA_SIG_free(sig);
	return r;
}

/* A random digest signed on the card verifies against spki. */
static int
pairwise(struct kr_token_session *s, CK_OBJECT_HANDLE priv,
    const uint8_t *spki, size_t spkilen)
{
	const unsigned char *p = spki;
	uint8_t digest[32], raw[2 * P256_SCALAR_BYTES], *der = NULL;
	size_t derlen = 0;
	EVP_PKEY *pk = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	int r = KR_ERR_INTERNAL;

	if (RAND_bytes(digest, sizeof(digest)) != 1) {
		r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "drawing a test digest");
		goto out;
	}
	if ((r = sign_raw(s, priv, digest, raw)) != 0 ||
	    (r = sig_to_der(raw, &der, &derlen)) != 0)
		goto out;
	if ((pk = d2i_PUBKEY(NULL, &p, (long)spkilen)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new(pk, NULL)) == NULL ||
	    EVP_PKEY_verify_init(ctx) <= 0 ||
	    EVP_PKEY_verify(ctx, der, derlen, digest, sizeof(digest)) != 1) {
		kr_err_libcrypto(KR_ERR_TOKEN_CUSTODIAN_KEY, "");
		r = kr_err_set(KR_ERR_TOKEN_CUSTODIAN_KEY, "%s: the %s private "
		    "key does not match its public key; delete the key pair "
		    "with pkcs11-tool and let keyrite make a new one", s->name,
		    KR_TOKEN_CUSTODIAN_LABEL);
		goto out;
	}
	r = 0;
 out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	free(der);
	return r;
}

/* Finds the pair; *privp CK_INVALID_HANDLE when there is none at all. */
static int
find_pair(struct kr_token_session *s, CK_OBJECT_HANDLE *privp,
    CK_OBJECT_HANDLE *pubp)
{
	int r;

	if ((r = find_one(s, CKO_PRIVATE_KEY, privp)) != 0 ||
	    (r = find_one(s, CKO_PUBLIC_KEY, pubp)) != 0)
		return r;
	if ((*privp == CK_INVALID_HANDLE) != (*pubp == CK_INVALID_HANDLE))
		return kr_err_set(KR_ERR_TOKEN_CUSTODIAN_KEY, "%s holds only "
		    "the %s half of its %s key pair; delete it with "
		    "pkcs11-tool and let keyrite make a new pair", s->name,
		    *privp == CK_INVALID_HANDLE ? "public" : "private",
		    KR_TOKEN_CUSTODIAN_LABEL);
	return 0;
}

/*
 * A key pair generated on the card is two objects; a card pulled (or a
 * process killed) between the two leaves one half, which can neither sign
 * nor be checked.  When keyrite is asked to make the pair, it removes the
 * lone half first.  A card that held a whole pair enrolled in an escrow
 * package never gets here: its pair is found whole.
 */
static int
drop_half(struct kr_token_session *s)
{
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	CK_RV rv;
	int r, i;

	for (i = 0; i < 2; i++) {
		if ((r = find_one(s, i == 0 ? CKO_PRIVATE_KEY : CKO_PUBLIC_KEY,
		    &h)) != 0)
			return r;
		if (h == CK_INVALID_HANDLE)
			continue;
		if ((rv = KR_P11(s)->C_DestroyObject(s->h, h)) != CKR_OK)
			return kr_token_session_ckr(s, rv, "removing half a "
			    "custodian key pair");
	}
	return 0;
}

int
kr_token_custodian_key(struct kr_token_session *s, int create,
    uint8_t **spkip, size_t *spkilenp, int *createdp)
{
	CK_OBJECT_HANDLE priv = CK_INVALID_HANDLE, pub = CK_INVALID_HANDLE;
	uint8_t *spki = NULL;
	size_t spkilen = 0;
	int r = KR_ERR_INTERNAL, created = 0;

	*spkip = NULL;
	*spkilenp = 0;
	if (createdp != NULL)
		*createdp = 0;
	if (!s->logged_in) {
		r = kr_err_set(KR_ERR_TOKEN_NOT_LOGGED_IN, "%s: the custodian "
		    "key needs the card's PIN first", s->name);
		goto out;
	}
	if ((r = find_pair(s, &priv, &pub)) != 0) {
		if (!create || ((r = drop_half(s)) != 0))
			goto out;
		priv = pub = CK_INVALID_HANDLE;
	}
	if (priv == CK_INVALID_HANDLE && !create) {
		r = kr_err_set(KR_ERR_NOT_FOUND, "%s holds no %s key",
		    s->name, KR_TOKEN_CUSTODIAN_LABEL);
		goto out;
	}
	if (priv == CK_INVALID_HANDLE) {
		if ((r = generate(s)) != 0 ||
		    (r = find_pair(s, &priv, &pub)) != 0)
			goto out;
		if (priv == CK_INVALID_HANDLE) {
			r = kr_err_set(KR_ERR_TOKEN_CUSTODIAN_KEY, "%s made a "
			    "key pair but cannot find it; see docs/cards.md",
			    s->name);
			goto out;
		}
		created = 1;
	}
	if ((r = check_private(s, priv)) != 0 ||
	    (r = export_public(s, pub, &spki, &spkilen)) != 0 ||
	    (r = pairwise(s, priv, spki, spkilen)) != 0)
		goto out;
	*spkip = spki;
	*spkilenp = spkilen;
	if (createdp != NULL)
		*createdp = created;
	spki = NULL;
	r = 0;
 out:
	free(spki);
	return r;
}

int
kr_token_custodian_sign(struct kr_token_session *s, const uint8_t digest[32],
    uint8_t **sigp, size_t *siglenp)
{
	CK_OBJECT_HANDLE priv = CK_INVALID_HANDLE;
	uint8_t raw[2 * P256_SCALAR_BYTES];
	int r = KR_ERR_INTERNAL;

	*sigp = NULL;
	*siglenp = 0;
	if (!s->logged_in) {
		r = kr_err_set(KR_ERR_TOKEN_NOT_LOGGED_IN, "%s: signing needs "
		    "the card's PIN first", s->name);
		goto out;
	}
	if ((r = find_one(s, CKO_PRIVATE_KEY, &priv)) != 0)
		goto out;
	if (priv == CK_INVALID_HANDLE) {
		r = kr_err_set(KR_ERR_NOT_FOUND, "%s holds no %s key; prepare "
		    "the card as docs/cards.md describes", s->name,
		    KR_TOKEN_CUSTODIAN_LABEL);
		goto out;
	}
	if ((r = check_private(s, priv)) != 0 ||
	    (r = sign_raw(s, priv, digest, raw)) != 0 ||
	    (r = sig_to_der(raw, sigp, siglenp)) != 0)
		goto out;
	r = 0;
 out:
	return r;
}
