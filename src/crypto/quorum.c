/*
 * quorum.c: split a KEK into a package's shares, and recover it.
 *
 * Every share is checked on its own before any combining, in the order
 * that gives the most useful message: can it be read (checksum), is it of
 * this key, of this split, within the roster, equal to its commitment, and
 * not a second copy of an index already presented.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "base/err.h"
#include "base/secmem.h"
#include "quorum.h"
#include "shamir.h"
#include "share.h"

int
kr_quorum_split(struct kr_escrow *e, const uint8_t *kek, uint8_t *shares)
{
	struct kr_shamir_share *ss = NULL;
	struct kr_share *one = NULL;
	size_t sslen = (size_t)e->n * sizeof(*ss);
	unsigned int i;
	int r;

	if (RAND_bytes(e->set_id, sizeof(e->set_id)) != 1)
		return kr_err_libcrypto(KR_ERR_LIBCRYPTO, "share-set id");
	if ((ss = kr_secmem_alloc(sslen)) == NULL ||
	    (one = kr_secmem_alloc(sizeof(*one))) == NULL) {
		r = KR_ERR_SECMEM_MLOCK;
		goto out;
	}
	if ((r = kr_shamir_split(kek, e->m, e->n, ss)) != 0)
		goto out;
	if ((r = kr_shamir_verify_split(kek, ss, e->m, e->n)) != 0)
		goto out;
	memcpy(one->key_id, e->key_id, KR_SHARE_ID_BYTES);
	memcpy(one->set_id, e->set_id, KR_SHARE_ID_BYTES);
	one->m = e->m;
	one->n = e->n;
	for (i = 0; i < e->n; i++) {
		one->x = ss[i].x;
		memcpy(one->y, ss[i].y, sizeof(one->y));
		if ((r = kr_share_encode(one, shares + i * KR_SHARE_BYTES)) ||
		    (r = kr_share_commitment(e->set_id, one->x, one->y,
		    e->roster[i].commitment)))
			goto out;
	}
	r = 0;
 out:
	if (r != 0)
		explicit_bzero(shares, (size_t)e->n * KR_SHARE_BYTES);
	kr_secmem_free(one, sizeof(*one));
	kr_secmem_free(ss, sslen);
	return r;
}

/* Checks one input; fills v.  Returns 0 if the share is good. */
static int
check_one(const struct kr_escrow *e, const struct kr_quorum_input *in,
    struct kr_share *s, struct kr_quorum_verdict *v)
{
	int r;

	if ((r = kr_share_decode(in->data, in->len, in->source, s)) != 0)
		goto bad;
	v->x = s->x;
	if (s->x > e->n || s->m != e->m || s->n != e->n) {
		r = kr_err_set(KR_ERR_SHARE_FOREIGN_SET, "%s holds share %u "
		    "of a %u-of-%u split, but the package is %u-of-%u",
		    in->source, s->x, s->m, s->n, e->m, e->n);
		if (memcmp(s->key_id, e->key_id, KR_SHARE_ID_BYTES) != 0)
			r = kr_share_check(s, in->source, e->key_id,
			    e->set_id, e->roster[0].commitment);
		goto bad;
	}
	if ((r = kr_share_check(s, in->source, e->key_id, e->set_id,
	    e->roster[s->x - 1].commitment)) != 0)
		goto bad;
	return 0;
 bad:
	v->status = r;
	snprintf(v->detail, sizeof(v->detail), "%s", kr_err_detail());
	return r;
}

static void
too_few_detail(const struct kr_escrow *e, const struct kr_quorum_input *in,
    size_t count, const struct kr_quorum_verdict *v, unsigned int good)
{
	char msg[1024];
	size_t i, n;

	n = (size_t)snprintf(msg, sizeof(msg), "%u good share%s of the %u "
	    "needed: present %u more custodian card%s", good,
	    good == 1 ? "" : "s", e->m, e->m - good,
	    e->m - good == 1 ? "" : "s");
	for (i = 0; i < count && n < sizeof(msg); i++)
		if (v[i].status != 0)
			n += (size_t)snprintf(msg + n, sizeof(msg) - n,
			    "; not usable: %s", v[i].detail);
	(void)in;
	kr_err_set(KR_ERR_SHAMIR_TOO_FEW, "%s", msg);
}

int
kr_quorum_recover(const struct kr_escrow *e,
    const struct kr_quorum_input *in, size_t count,
    struct kr_quorum_verdict *v, uint8_t *kek)
{
	struct kr_share *s = NULL;
	struct kr_shamir_share *use = NULL;
	size_t slen = 0, uselen = (size_t)e->m * sizeof(*use), i, j;
	unsigned int good = 0, taken = 0;
	int r;

	if (count > KR_SHAMIR_MAX_SHARES)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "more than %d "
		    "shares given", KR_SHAMIR_MAX_SHARES);
	memset(v, 0, count * sizeof(*v));
	slen = (count ? count : 1) * sizeof(*s);
	if ((s = kr_secmem_alloc(slen)) == NULL ||
	    (use = kr_secmem_alloc(uselen)) == NULL) {
		r = KR_ERR_SECMEM_MLOCK;
		goto out;
	}
	for (i = 0; i < count; i++) {
		if (check_one(e, &in[i], &s[i], &v[i]) != 0)
			continue;
		for (j = 0; j < i; j++) {
			if (v[j].status == 0 && v[j].x == v[i].x) {
				v[i].status = KR_ERR_SHAMIR_DUPLICATE;
				snprintf(v[i].detail, sizeof(v[i].detail),
				    "%s holds share %u, which %s already "
				    "gave: present a different custodian's "
				    "card", in[i].source, v[i].x,
				    in[j].source);
				break;
			}
		}
		if (v[i].status == 0)
			good++;
	}
	if (good < e->m) {
		too_few_detail(e, in, count, v, good);
		r = KR_ERR_SHAMIR_TOO_FEW;
		goto out;
	}
	for (i = 0; i < count && taken < e->m; i++) {
		if (v[i].status != 0)
			continue;
		use[taken].x = s[i].x;
		memcpy(use[taken].y, s[i].y, sizeof(use[taken].y));
		v[i].used = 1;
		taken++;
	}
	if ((r = kr_shamir_combine(use, taken, e->m, e->n, kek)) != 0)
		goto out;
	r = 0;
 out:
	kr_secmem_free(use, uselen);
	kr_secmem_free(s, slen);
	return r;
}
