/*
 * token-object.c: share objects on custodian cards.
 *
 * A share is a private token data object (CKO_DATA, CKA_TOKEN, CKA_PRIVATE,
 * CKA_MODIFIABLE false: written once, never rewritten in place) with
 * CKA_APPLICATION "keyrite" and CKA_LABEL
 * "keyrite-share:<32 hex digits of the short key id>:<x>:<ceremony id>",
 * so that pkcs11-tool finds it with --type data --application-label
 * keyrite --label ....  The ceremony id names the ceremony that wrote it:
 * the share counts only once that ceremony's transcript is sealed, and a
 * share left by a ceremony that failed is recognisable and removed by
 * keyrite clean.  Its value is the 80-byte encoded share (share.h).
 *
 * Writing refuses a second share of the same key on one card (except, for
 * a reshare, beside the one share it supersedes), then reads the object
 * back through the same search a later ceremony will use and compares it
 * byte for byte and against the share's commitment: a write is done only
 * when it can be read.  Searches that find nothing confirm
 * that the card is still there (token.c), so a pulled card is never "no
 * share".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "base/err.h"
#include "base/hex.h"
#include "base/secmem.h"
#include "crypto/share.h"
#include "token-int.h"

#define MAX_OBJECTS	4096		/* more on one card is not a card */
#define MAX_ATTR_BYTES	(64 * 1024)

/* A share object found on the card, before its value is read. */
struct found {
	CK_OBJECT_HANDLE	h;
	char			label[KR_TOKEN_SHARE_LABEL_MAX + 1];
	uint8_t			key_id[KR_SHARE_ID_BYTES];
	uint8_t			x;
	char			ceremony[KR_TOKEN_CEREMONY_MAX + 1];
};

int
kr_token_find_objects(struct kr_token_session *s, CK_ATTRIBUTE *tmpl,
    CK_ULONG n, CK_OBJECT_HANDLE **hp, size_t *np)
{
	CK_OBJECT_HANDLE *h = NULL, *tmp;
	CK_ULONG got = 0;
	size_t count = 0, cap = 0;
	CK_RV rv;
	int r = KR_ERR_INTERNAL, active = 0;

	*hp = NULL;
	*np = 0;
	if ((rv = KR_P11(s)->C_FindObjectsInit(s->h, tmpl, n)) != CKR_OK) {
		r = kr_token_session_ckr(s, rv, "searching the card");
		goto out;
	}
	active = 1;
	for (;;) {
		if (count == cap) {
			cap = cap == 0 ? 16 : 2 * cap;
			if (cap > MAX_OBJECTS) {
				r = kr_err_set(KR_ERR_TOO_LARGE, "%s holds "
				    "more than %d matching objects; this is "
				    "not a custodian card", s->name,
				    MAX_OBJECTS);
				goto out;
			}
			if ((tmp = reallocarray(h, cap, sizeof(*h))) == NULL) {
				r = kr_err_set(KR_ERR_NOMEM, "searching %s",
				    s->name);
				goto out;
			}
			h = tmp;
		}
		rv = KR_P11(s)->C_FindObjects(s->h, h + count, cap - count,
		    &got);
		if (rv != CKR_OK) {
			r = kr_token_session_ckr(s, rv, "searching the card");
			goto out;
		}
		if (got == 0)
			break;
		count += got;
	}
	active = 0;
	if ((rv = KR_P11(s)->C_FindObjectsFinal(s->h)) != CKR_OK) {
		r = kr_token_session_ckr(s, rv, "ending a search");
		goto out;
	}
	/* SoftHSM2 finds nothing, successfully, on a card that has gone. */
	if (count == 0 && (r = kr_token_confirm_present(s)) != 0)
		goto out;
	*hp = count > 0 ? h : NULL;
	*np = count;
	if (count > 0)
		h = NULL;
	r = 0;
 out:
	if (active)
		KR_P11(s)->C_FindObjectsFinal(s->h);
	free(h);
	return r;
}

void
kr_token_attr_free(uint8_t *v, size_t len, int secret)
{
	if (v == NULL)
		return;
	if (secret)
		kr_secmem_free(v, len + 1);
	else
		free(v);
}

int
kr_token_get_attr(struct kr_token_session *s, CK_OBJECT_HANDLE o,
    CK_ATTRIBUTE_TYPE type, int secret, uint8_t **vp, size_t *lenp)
{
	CK_ATTRIBUTE a = { type, NULL, 0 };
	uint8_t *v = NULL;
	size_t len = 0;
	CK_RV rv;
	int r = KR_ERR_INTERNAL;

	*vp = NULL;
	*lenp = 0;
	if ((rv = KR_P11(s)->C_GetAttributeValue(s->h, o, &a, 1)) != CKR_OK) {
		r = kr_token_session_ckr(s, rv, "reading an object");
		goto out;
	}
	if (a.ulValueLen == CK_UNAVAILABLE_INFORMATION ||
	    a.ulValueLen > MAX_ATTR_BYTES) {
		r = kr_err_set(KR_ERR_TOKEN_UNSUPPORTED, "%s: an object's "
		    "attribute 0x%lx cannot be read; see docs/cards.md",
		    s->name, (unsigned long)type);
		goto out;
	}
	len = a.ulValueLen;
	v = secret ? kr_secmem_alloc(len + 1) : calloc(1, len + 1);
	if (v == NULL) {
		r = kr_err_set(secret ? KR_ERR_SECMEM_MMAP : KR_ERR_NOMEM,
		    "reading an object from %s", s->name);
		goto out;
	}
	a.pValue = v;
	if ((rv = KR_P11(s)->C_GetAttributeValue(s->h, o, &a, 1)) != CKR_OK) {
		r = kr_token_session_ckr(s, rv, "reading an object");
		goto out;
	}
	if (a.ulValueLen != len) {
		r = kr_err_set(KR_ERR_TOKEN_GENERAL, "%s: an object changed "
		    "while keyrite read it; repeat the step", s->name);
		goto out;
	}
	*vp = v;
	*lenp = len;
	v = NULL;
	r = 0;
 out:
	kr_token_attr_free(v, len, secret);
	return r;
}

/* A ceremony id as labels carry it: 1..KR_TOKEN_CEREMONY_MAX of [a-z0-9-]. */
static int
ceremony_ok(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || n > KR_TOKEN_CEREMONY_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') ||
		    (p[i] >= '0' && p[i] <= '9') || p[i] == '-'))
			return 0;
	return 1;
}

/*
 * Parses "keyrite-share:<32 hex>:<x>:<ceremony id>" (x 1..255, no leading
 * zero).  Labels written before ceremony ids were added end after <x>;
 * their ceremony is "".
 */
static int
parse_label(const char *label, uint8_t key_id[KR_SHARE_ID_BYTES],
    uint8_t *xp, char ceremony[KR_TOKEN_CEREMONY_MAX + 1])
{
	const size_t pl = sizeof(KR_TOKEN_SHARE_PREFIX) - 1;
	char hex[2 * KR_SHARE_ID_BYTES + 1];
	const char *p, *end;
	unsigned int x = 0;

	if (strncmp(label, KR_TOKEN_SHARE_PREFIX, pl) != 0)
		return -1;
	p = label + pl;
	if (strlen(p) < sizeof(hex) + 1 || p[sizeof(hex) - 1] != ':')
		return -1;
	memcpy(hex, p, sizeof(hex) - 1);
	hex[sizeof(hex) - 1] = '\0';
	if (kr_hex_decode(hex, key_id, KR_SHARE_ID_BYTES) != 0)
		return -1;
	p += sizeof(hex);
	if ((end = strchr(p, ':')) == NULL)
		end = p + strlen(p);
	if (*p < '1' || *p > '9' || end - p > 3)
		return -1;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		x = 10 * x + (unsigned int)(*p - '0');
	}
	if (x > 255)
		return -1;
	ceremony[0] = '\0';
	if (*end == ':') {
		if (!ceremony_ok(end + 1, strlen(end + 1)))
			return -1;
		snprintf(ceremony, KR_TOKEN_CEREMONY_MAX + 1, "%s", end + 1);
	}
	*xp = (uint8_t)x;
	return 0;
}

static void
share_label(const uint8_t key_id[KR_SHARE_ID_BYTES], uint8_t x,
    const char *ceremony, char *out, size_t outlen)
{
	char hex[2 * KR_SHARE_ID_BYTES + 1];

	kr_hex_encode(key_id, KR_SHARE_ID_BYTES, hex, sizeof(hex));
	snprintf(out, outlen, "%s%s:%u:%s", KR_TOKEN_SHARE_PREFIX, hex, x,
	    ceremony);
}

static int
need_login(struct kr_token_session *s, const char *what)
{
	if (s->logged_in)
		return 0;
	return kr_err_set(KR_ERR_TOKEN_NOT_LOGGED_IN, "%s: %s needs the "
	    "card's PIN first (shares are private objects, invisible "
	    "without it)", s->name, what);
}

/*
 * Finds the keyrite share objects on the card (of key_id when non-NULL).
 * Objects with application "keyrite" whose label is not a share label are
 * not shares and are left alone.
 */
static int
find_shares(struct kr_token_session *s, const uint8_t *key_id,
    struct found **fp, size_t *np)
{
	CK_OBJECT_CLASS cls = CKO_DATA;
	CK_BBOOL yes = CK_TRUE;
	char app[] = KR_TOKEN_APPLICATION;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_APPLICATION, app, sizeof(app) - 1 },
	};
	CK_OBJECT_HANDLE *h = NULL;
	struct found *f = NULL;
	uint8_t *label = NULL;
	size_t n = 0, i, k = 0, len = 0;
	int r = KR_ERR_INTERNAL;

	*fp = NULL;
	*np = 0;
	if ((r = kr_token_find_objects(s, tmpl, NELEM(tmpl), &h,
	    &n)) != 0)
		goto out;
	if ((f = calloc(n + 1, sizeof(*f))) == NULL) {
		r = kr_err_set(KR_ERR_NOMEM, "reading %s", s->name);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((r = kr_token_get_attr(s, h[i], CKA_LABEL, 0, &label,
		    &len)) != 0)
			goto out;
		if (len < sizeof(f[k].label) && strlen((char *)label) == len &&
		    parse_label((char *)label, f[k].key_id, &f[k].x,
		    f[k].ceremony) == 0 &&
		    (key_id == NULL || memcmp(key_id, f[k].key_id,
		    KR_SHARE_ID_BYTES) == 0)) {
			memcpy(f[k].label, label, len + 1);
			f[k++].h = h[i];
		}
		kr_token_attr_free(label, len, 0);
		label = NULL;
	}
	*fp = f;
	*np = k;
	f = NULL;
	r = 0;
 out:
	kr_token_attr_free(label, len, 0);
	free(f);
	free(h);
	return r;
}

static int
get_bool(struct kr_token_session *s, CK_OBJECT_HANDLE o,
    CK_ATTRIBUTE_TYPE type, int *vp)
{
	CK_BBOOL b = CK_FALSE;
	CK_ATTRIBUTE a = { type, &b, sizeof(b) };
	CK_RV rv;

	if ((rv = KR_P11(s)->C_GetAttributeValue(s->h, o, &a, 1)) != CKR_OK)
		return kr_token_session_ckr(s, rv, "reading an object");
	*vp = b == CK_TRUE;
	return 0;
}

void
kr_token_shares_free(struct kr_token_share *shares, size_t n)
{
	size_t i;

	if (shares == NULL)
		return;
	for (i = 0; i < n; i++)
		if (shares[i].value != NULL)
			kr_secmem_free(shares[i].value, shares[i].len + 1);
	free(shares);
}

int
kr_token_read_shares(struct kr_token_session *s, const uint8_t *key_id,
    struct kr_token_share **sharesp, size_t *np)
{
	struct kr_token_share *sh = NULL;
	struct found *f = NULL;
	size_t n = 0, i;
	int r = KR_ERR_INTERNAL;

	*sharesp = NULL;
	*np = 0;
	if ((r = need_login(s, "reading shares")) != 0)
		goto out;
	if ((r = find_shares(s, key_id, &f, &n)) != 0)
		goto out;
	if ((sh = calloc(n + 1, sizeof(*sh))) == NULL) {
		r = kr_err_set(KR_ERR_NOMEM, "reading %s", s->name);
		goto out;
	}
	for (i = 0; i < n; i++) {
		memcpy(sh[i].label, f[i].label, sizeof(sh[i].label));
		memcpy(sh[i].key_id, f[i].key_id, sizeof(sh[i].key_id));
		sh[i].x = f[i].x;
		memcpy(sh[i].ceremony, f[i].ceremony, sizeof(sh[i].ceremony));
		if ((r = get_bool(s, f[i].h, CKA_PRIVATE,
		    &sh[i].is_private)) != 0)
			goto out;
		if ((r = kr_token_get_attr(s, f[i].h, CKA_VALUE, 1,
		    &sh[i].value, &sh[i].len)) != 0)
			goto out;
	}
	*sharesp = sh;
	*np = n;
	sh = NULL;
	r = 0;
 out:
	kr_token_shares_free(sh, n);
	free(f);
	return r;
}

/* The share is well-formed, of key_id and x, and matches commitment. */
static int
check_share(struct kr_token_session *s, const uint8_t key_id[16], uint8_t x,
    const uint8_t *share, size_t len, const uint8_t commitment[32])
{
	struct kr_share *d = NULL;
	uint8_t c[KR_SHARE_COMMIT_BYTES];
	char src[KR_TOKEN_NAME_MAX + 32];
	int r = KR_ERR_INTERNAL;

	snprintf(src, sizeof(src), "share for %s", s->name);
	if ((d = kr_secmem_alloc(sizeof(*d))) == NULL) {
		r = KR_ERR_SECMEM_MMAP;
		goto out;
	}
	if ((r = kr_share_decode(share, len, src, d)) != 0)
		goto out;
	if (memcmp(d->key_id, key_id, KR_SHARE_ID_BYTES) != 0 || d->x != x) {
		r = kr_err_set(KR_ERR_INVALID_ARGUMENT, "%s: the share is of "
		    "another key or index than its label says", src);
		goto out;
	}
	if ((r = kr_share_commitment(d->set_id, d->x, d->y, c)) != 0)
		goto out;
	if (CRYPTO_memcmp(c, commitment, sizeof(c)) != 0) {
		r = kr_err_set(KR_ERR_SHARE_COMMITMENT, "%s (x=%u) does not "
		    "match its commitment", src, x);
		goto out;
	}
	r = 0;
 out:
	kr_secmem_free(d, sizeof(*d));
	explicit_bzero(c, sizeof(c));
	return r;
}

/*
 * Reads the new share back as a later ceremony would, and checks it: the
 * card shows exactly one share of the key written by this ceremony.
 */
static int
read_back(struct kr_token_session *s, const uint8_t key_id[16], uint8_t x,
    const uint8_t *share, size_t len, const uint8_t commitment[32],
    const char *ceremony)
{
	struct kr_token_share *sh = NULL, *mine = NULL;
	size_t n = 0, i, k = 0;
	int r = KR_ERR_INTERNAL;

	if ((r = kr_token_read_shares(s, key_id, &sh, &n)) != 0)
		goto out;
	for (i = 0; i < n; i++)
		if (strcmp(sh[i].ceremony, ceremony) == 0) {
			mine = &sh[i];
			k++;
		}
	if (k != 1 || mine->x != x) {
		r = kr_err_set(KR_ERR_TOKEN_READBACK, "%s: after writing share "
		    "x=%u the card shows %zu share(s) of this key from this "
		    "ceremony", s->name, x, k);
		goto out;
	}
	if (mine->len != len || CRYPTO_memcmp(mine->value, share, len) != 0) {
		r = kr_err_set(KR_ERR_TOKEN_READBACK, "%s: the %zu bytes read "
		    "back differ from the %zu bytes written", s->name,
		    mine->len, len);
		goto out;
	}
	if (!mine->is_private) {
		r = kr_err_set(KR_ERR_TOKEN_UNSUPPORTED, "%s stored the share "
		    "as a public object, readable without the PIN; use a "
		    "card from docs/cards.md", s->name);
		goto out;
	}
	if ((r = check_share(s, key_id, x, mine->value, mine->len,
	    commitment)) != 0) {
		r = kr_token_err_append(KR_ERR_TOKEN_READBACK, " (the share "
		    "as read back from the card)");
		goto out;
	}
	r = 0;
 out:
	kr_token_shares_free(sh, n);
	return r;
}

/* After a failed read-back: the write failed; remove what was written. */
static int
undo_write(struct kr_token_session *s, CK_OBJECT_HANDLE o)
{
	if (KR_P11(s)->C_DestroyObject(s->h, o) == CKR_OK)
		return kr_token_err_append(KR_ERR_TOKEN_READBACK, "; the write "
		    "failed and keyrite removed the object again. The card "
		    "may be faulty: use another card");
	return kr_token_err_append(KR_ERR_TOKEN_READBACK, "; the write "
	    "failed and the object could not be removed: delete it with "
	    "pkcs11-tool and use another card");
}

/*
 * The card's shares of key_id other than the one beside may keep (NULL:
 * none): the first one, or NULL.
 */
static const struct found *
other_share(const struct found *f, size_t n, const char *beside)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (beside == NULL || strcmp(f[i].ceremony, beside) != 0)
			return &f[i];
	return NULL;
}

int
kr_token_write_share(struct kr_token_session *s, const uint8_t key_id[16],
    uint8_t x, const uint8_t *share, size_t len,
    const uint8_t commitment[32], const char *ceremony)
{
	return kr_token_write_share_beside(s, key_id, x, share, len,
	    commitment, ceremony, NULL);
}

int
kr_token_write_share_beside(struct kr_token_session *s,
    const uint8_t key_id[16], uint8_t x, const uint8_t *share, size_t len,
    const uint8_t commitment[32], const char *ceremony, const char *beside)
{
	const struct found *other;
	CK_OBJECT_CLASS cls = CKO_DATA;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	char app[] = KR_TOKEN_APPLICATION, label[KR_TOKEN_SHARE_LABEL_MAX + 1];
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_MODIFIABLE, &no, sizeof(no) },
		{ CKA_APPLICATION, app, sizeof(app) - 1 },
		{ CKA_LABEL, label, 0 },
		{ CKA_VALUE, (void *)(uintptr_t)share, len },
	};
	CK_OBJECT_HANDLE o = CK_INVALID_HANDLE;
	struct found *f = NULL;
	size_t n = 0;
	CK_RV rv;
	int r = KR_ERR_INTERNAL;

	if ((r = need_login(s, "writing a share")) != 0)
		goto out;
	if (ceremony == NULL || !ceremony_ok(ceremony, strlen(ceremony))) {
		r = kr_err_set(KR_ERR_INVALID_ARGUMENT, "%s: a share is "
		    "written by a ceremony, named by its id", s->name);
		goto out;
	}
	if ((r = check_share(s, key_id, x, share, len, commitment)) != 0) {
		r = kr_token_err_append(r, "; nothing was written");
		goto out;
	}
	if (s->info.write_protected) {
		r = kr_err_set(KR_ERR_TOKEN_WRITE_PROTECTED, "%s is write-"
		    "protected; use another card", s->name);
		goto out;
	}
	if ((r = find_shares(s, key_id, &f, &n)) != 0)
		goto out;
	if ((other = other_share(f, n, beside)) != NULL) {
		r = kr_err_set(KR_ERR_TOKEN_EXISTS, "%s already holds share "
		    "x=%u of key %.32s (written by ceremony %s); a card holds "
		    "one share of a key%s. Use another card, or destroy the "
		    "old share first", s->name, other->x, other->label +
		    sizeof(KR_TOKEN_SHARE_PREFIX) - 1, other->ceremony[0] ?
		    other->ceremony : "(not named)", beside != NULL ? ", and "
		    "in a reshare the one share it replaces" : "");
		goto out;
	}
	if (beside != NULL && strcmp(beside, ceremony) == 0) {
		r = kr_err_set(KR_ERR_INVALID_ARGUMENT, "%s: a share is "
		    "written beside another ceremony's", s->name);
		goto out;
	}
	share_label(key_id, x, ceremony, label, sizeof(label));
	tmpl[5].ulValueLen = strlen(label);
	rv = KR_P11(s)->C_CreateObject(s->h, tmpl, NELEM(tmpl), &o);
	if (rv != CKR_OK) {
		o = CK_INVALID_HANDLE;
		r = kr_token_session_ckr(s, rv, "writing the share");
		goto out;
	}
	if ((r = read_back(s, key_id, x, share, len, commitment,
	    ceremony)) != 0) {
		if (r != KR_ERR_TOKEN_REMOVED)
			r = undo_write(s, o);
		goto out;
	}
	r = 0;
 out:
	free(f);
	return r;
}

int
kr_token_delete_share(struct kr_token_session *s, const uint8_t key_id[16])
{
	return kr_token_delete_share_of(s, key_id, NULL);
}

/* Keeps in f only the shares written by ceremony (all when NULL). */
static size_t
only_of(struct found *f, size_t n, const char *ceremony)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (ceremony == NULL || strcmp(f[i].ceremony, ceremony) == 0)
			f[k++] = f[i];
	return k;
}

int
kr_token_delete_share_of(struct kr_token_session *s,
    const uint8_t key_id[16], const char *ceremony)
{
	struct found *f = NULL;
	char hex[2 * KR_SHARE_ID_BYTES + 1];
	size_t n = 0, i;
	CK_RV rv;
	int r = KR_ERR_INTERNAL;

	kr_hex_encode(key_id, KR_SHARE_ID_BYTES, hex, sizeof(hex));
	if ((r = need_login(s, "deleting a share")) != 0)
		goto out;
	if ((r = find_shares(s, key_id, &f, &n)) != 0)
		goto out;
	if ((n = only_of(f, n, ceremony)) == 0) {
		r = kr_err_set(KR_ERR_NOT_FOUND, "%s holds no share of key "
		    "%s%s%s", s->name, hex, ceremony ? " written by ceremony " :
		    "", ceremony ? ceremony : "");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((rv = KR_P11(s)->C_DestroyObject(s->h, f[i].h)) != CKR_OK) {
			r = kr_token_session_ckr(s, rv, "deleting the share");
			goto out;
		}
	}
	free(f);
	f = NULL;
	if ((r = find_shares(s, key_id, &f, &n)) != 0)
		goto out;
	if (only_of(f, n, ceremony) != 0) {
		r = kr_err_set(KR_ERR_TOKEN_GENERAL, "%s still shows a share "
		    "of key %s after deleting it; the card may be faulty",
		    s->name, hex);
		goto out;
	}
	r = 0;
 out:
	free(f);
	return r;
}
