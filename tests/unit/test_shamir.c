/*
 * test_shamir.c: Shamir secret sharing over GF(2^8).
 *
 * Known answers (FIPS-197 products, draft-mcgrew-tss-03 section 9, and an
 * independent Python reference in tests/vectors/), every M-subset
 * recombining, refusal of too few, duplicate and out-of-range shares, split
 * verification catching a bad share, and no secret left behind in freed
 * secret memory or on the stack.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "base/err.h"
#include "base/secmem.h"
#include "crypto/shamir.h"

#define S	KR_SHAMIR_SECRET_BYTES
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* --- helpers -------------------------------------------------------------- */

static uint64_t prng_state = 0x6b657972697465ULL;

/* xorshift64*: reproducible test data, not for secrets. */
static uint64_t
prng(void)
{
	prng_state ^= prng_state >> 12;
	prng_state ^= prng_state << 25;
	prng_state ^= prng_state >> 27;
	return prng_state * 0x2545f4914f6cdd1dULL;
}

static void
prng_fill(uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(prng() >> 56);
}

/* Fisher-Yates over p[0..len-1]. */
static void
shuffle(uint8_t *p, size_t len)
{
	size_t i, j;
	uint8_t t;

	for (i = len; i > 1; i--) {
		j = (size_t)(prng() % i);
		t = p[i - 1];
		p[i - 1] = p[j];
		p[j] = t;
	}
}

static int
next_subset(uint8_t *idx, unsigned int m, unsigned int n)
{
	unsigned int i, j;

	for (i = m; i-- > 0;) {
		if (idx[i] < n - m + i) {
			idx[i]++;
			for (j = i + 1; j < m; j++)
				idx[j] = idx[j - 1] + 1;
			return 1;
		}
	}
	return 0;
}

static size_t
binomial(unsigned int n, unsigned int k)
{
	size_t c = 1;
	unsigned int i;

	for (i = 1; i <= k; i++)
		c = c * (n - k + i) / i;
	return c;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes hex (spaces ignored) into out; returns the byte count or -1. */
static long
unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	int hi, lo;

	while (*s != '\0' && *s != '\n') {
		if (*s == ' ') {
			s++;
			continue;
		}
		if ((hi = hexval(s[0])) < 0 || (lo = hexval(s[1])) < 0 ||
		    n >= max)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	return (long)n;
}

static FILE *
open_vector(const char *name)
{
	const char *top = getenv("KR_TOP");
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/vectors/%s", top ? top : ".",
	    name);
	f = fopen(path, "r");
	cr_assert_not_null(f, "cannot open %s (run from the repository root "
	    "or set KR_TOP)", path);
	return f;
}

/* Splits "key = value"; returns the value or NULL for comments/blank. */
static char *
kv(char *line, const char **key)
{
	char *eq;

	line[strcspn(line, "\r\n")] = '\0';
	if (line[0] == '#' || line[0] == '\0' ||
	    (eq = strstr(line, " = ")) == NULL)
		return NULL;
	*eq = '\0';
	*key = line;
	return eq + 3;
}

static int fixed_rng_pos;
static const uint8_t *fixed_rng_buf;
static size_t fixed_rng_len;

/* Hands out fixed_rng_buf once; fails if asked for anything else. */
static int
fixed_rng(void *buf, size_t len)
{
	if (fixed_rng_pos != 0 || len != fixed_rng_len)
		return -1;
	memcpy(buf, fixed_rng_buf, len);
	fixed_rng_pos = 1;
	return 0;
}

static void
use_fixed_rng(const uint8_t *buf, size_t len)
{
	fixed_rng_buf = buf;
	fixed_rng_len = len;
	fixed_rng_pos = 0;
	kr_shamir_set_rng(fixed_rng);
}

static int
failing_rng(void *buf, size_t len)
{
	(void)buf;
	(void)len;
	return -1;
}

/* Splits a fresh random secret m-of-n; shares must hold n. */
static void
split_random(uint8_t secret[S], unsigned int m, unsigned int n,
    struct kr_shamir_share *shares)
{
	int r;

	prng_fill(secret, S);
	r = kr_shamir_split(secret, (uint8_t)m, (uint8_t)n, shares);
	cr_assert_eq(r, 0, "split %u-of-%u: %s: %s", m, n, kr_strerror(r),
	    kr_err_detail());
}

/* Combines shares[idx[0..k-1]] (copied in that order). */
static int
combine_subset(const struct kr_shamir_share *shares, const uint8_t *idx,
    size_t k, unsigned int m, unsigned int n, uint8_t out[S])
{
	struct kr_shamir_share sel[KR_SHAMIR_MAX_SHARES];
	size_t i;

	for (i = 0; i < k; i++)
		sel[i] = shares[idx[i]];
	return kr_shamir_combine(sel, k, (uint8_t)m, (uint8_t)n, out);
}

/* --- GF(2^8) -------------------------------------------------------------- */

/* Schoolbook reference: carry-less product, then reduce by 0x11b. */
static uint8_t
ref_mul(uint8_t a, uint8_t b)
{
	unsigned int p = 0;
	int i;

	for (i = 0; i < 8; i++)
		if (b & (1u << i))
			p ^= (unsigned int)a << i;
	for (i = 14; i >= 8; i--)
		if (p & (1u << i))
			p ^= 0x11bu << (i - 8);
	return (uint8_t)p;
}

Test(shamir, gf_mul_fips197_vectors)
{
	FILE *f = open_vector("gf256-mul.txt");
	char line[256];
	unsigned int a, b, c;
	int n = 0;

	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#' || sscanf(line, "%x %x %x", &a, &b, &c) != 3)
			continue;
		cr_assert_eq(kr_shamir_gf_mul((uint8_t)a, (uint8_t)b), c,
		    "{%02x}.{%02x} gave {%02x}, FIPS-197 says {%02x}", a, b,
		    kr_shamir_gf_mul((uint8_t)a, (uint8_t)b), c);
		n++;
	}
	fclose(f);
	cr_assert_geq(n, 7, "only %d vectors read from gf256-mul.txt", n);
}

Test(shamir, gf_mul_matches_reference_everywhere)
{
	unsigned int a, b, ninv;

	for (a = 0; a < 256; a++) {
		ninv = 0;
		for (b = 0; b < 256; b++) {
			uint8_t got = kr_shamir_gf_mul((uint8_t)a, (uint8_t)b);

			cr_assert_eq(got, ref_mul((uint8_t)a, (uint8_t)b),
			    "{%02x}.{%02x}: %02x, reference %02x", a, b, got,
			    ref_mul((uint8_t)a, (uint8_t)b));
			if (got == 1)
				ninv++;
		}
		cr_assert_eq(ninv, a == 0 ? 0u : 1u,
		    "{%02x} has %u inverses", a, ninv);
	}
}

/* --- known answers -------------------------------------------------------- */

struct tss_vector {
	uint8_t			secret[S];
	long			len;
	unsigned int		m, n;
	struct kr_shamir_share	shares[8];
	size_t			nshares;
};

static void
load_tss(struct tss_vector *v)
{
	FILE *f = open_vector("tss-draft-mcgrew-03.txt");
	char line[512];
	const char *key;
	char *val;
	long len;

	memset(v, 0, sizeof(*v));
	while (fgets(line, sizeof(line), f) != NULL) {
		if ((val = kv(line, &key)) == NULL)
			continue;
		if (strcmp(key, "secret") == 0)
			v->len = unhex(val, v->secret, S);
		else if (strcmp(key, "threshold") == 0)
			v->m = (unsigned int)atoi(val);
		else if (strcmp(key, "shares") == 0)
			v->n = (unsigned int)atoi(val);
		else if (strcmp(key, "index") == 0)
			v->shares[v->nshares].x = (uint8_t)atoi(val);
		else if (strcmp(key, "share") == 0) {
			len = unhex(val, v->shares[v->nshares].y, S);
			cr_assert_eq(len, v->len, "share %zu has %ld bytes, "
			    "secret %ld", v->nshares + 1, len, v->len);
			v->nshares++;
		}
	}
	fclose(f);
	cr_assert(v->len == 5 && v->m == 2 && v->n == 2 && v->nshares == 2,
	    "tss-draft-mcgrew-03.txt: unexpected contents");
}

Test(shamir, tss_draft_vector_combines)
{
	struct tss_vector v;
	struct kr_shamir_share rev[2];
	uint8_t got[S];
	int r;

	load_tss(&v);
	r = kr_shamir_combine(v.shares, 2, 2, 2, got);
	cr_assert_eq(r, 0, "combine: %s", kr_err_detail());
	cr_assert_arr_eq(got, v.secret, S,
	    "draft-mcgrew-tss-03 section 9 shares did not give 7465737400");
	rev[0] = v.shares[1];
	rev[1] = v.shares[0];
	r = kr_shamir_combine(rev, 2, 2, 2, got);
	cr_assert_eq(r, 0, "combine reversed: %s", kr_err_detail());
	cr_assert_arr_eq(got, v.secret, S, "order of shares changed result");
}

Test(shamir, tss_draft_vector_splits)
{
	struct tss_vector v;
	struct kr_shamir_share out[2];
	uint8_t coef[S];
	size_t i;
	int r;

	load_tss(&v);
	/* m = 2: f(1) = secret + a1, so a1 = secret + share(1). */
	for (i = 0; i < S; i++)
		coef[i] = v.secret[i] ^ v.shares[0].y[i];
	use_fixed_rng(coef, sizeof(coef));
	r = kr_shamir_split(v.secret, 2, 2, out);
	kr_shamir_set_rng(NULL);
	cr_assert_eq(r, 0, "split: %s", kr_err_detail());
	for (i = 0; i < 2; i++) {
		cr_assert_eq(out[i].x, v.shares[i].x, "share %zu index", i);
		cr_assert_arr_eq(out[i].y, v.shares[i].y, S,
		    "share %u differs from draft-mcgrew-tss-03 section 9",
		    v.shares[i].x);
	}
}

struct kat {
	unsigned int		m, n;
	uint8_t			secret[S];
	uint8_t			random[(KR_SHAMIR_MAX_SHARES - 1) * S];
	long			nrandom;
	struct kr_shamir_share	shares[KR_SHAMIR_MAX_SHARES];
	size_t			nshares;
};

static struct kat kats[8];

static size_t
load_kats(void)
{
	FILE *f = open_vector("shamir-kat.txt");
	char *line = NULL, *val;
	const char *key;
	size_t cap = 0, nk = 0;
	struct kat *k = NULL;
	uint8_t buf[1 + S];

	while (getline(&line, &cap, f) != -1) {
		if ((val = kv(line, &key)) == NULL)
			continue;
		if (strcmp(key, "m") == 0) {
			cr_assert_lt(nk, NELEM(kats), "too many cases");
			k = &kats[nk++];
			memset(k, 0, sizeof(*k));
			k->m = (unsigned int)atoi(val);
			continue;
		}
		cr_assert_not_null(k, "shamir-kat.txt: %s before m", key);
		if (strcmp(key, "n") == 0)
			k->n = (unsigned int)atoi(val);
		else if (strcmp(key, "secret") == 0)
			cr_assert_eq(unhex(val, k->secret, S), S, "secret");
		else if (strcmp(key, "random") == 0)
			k->nrandom = unhex(val, k->random, sizeof(k->random));
		else if (strcmp(key, "share") == 0) {
			cr_assert_eq(unhex(val, buf, sizeof(buf)), 1 + S,
			    "share line length");
			k->shares[k->nshares].x = buf[0];
			memcpy(k->shares[k->nshares].y, buf + 1, S);
			k->nshares++;
		}
	}
	free(line);
	fclose(f);
	return nk;
}

Test(shamir, split_matches_independent_reference)
{
	static struct kr_shamir_share out[KR_SHAMIR_MAX_SHARES];
	uint8_t got[S];
	size_t nk, i, j;
	int r;

	nk = load_kats();
	cr_assert_geq(nk, 5, "only %zu cases in shamir-kat.txt", nk);
	for (i = 0; i < nk; i++) {
		struct kat *k = &kats[i];

		cr_assert_eq(k->nshares, k->n, "%u-of-%u: %zu shares", k->m,
		    k->n, k->nshares);
		cr_assert_eq(k->nrandom, (long)(k->m - 1) * S,
		    "%u-of-%u: %ld random bytes", k->m, k->n, k->nrandom);
		use_fixed_rng(k->random, (size_t)k->nrandom);
		r = kr_shamir_split(k->secret, (uint8_t)k->m, (uint8_t)k->n,
		    out);
		kr_shamir_set_rng(NULL);
		cr_assert_eq(r, 0, "%u-of-%u split: %s", k->m, k->n,
		    kr_err_detail());
		for (j = 0; j < k->n; j++) {
			cr_assert_eq(out[j].x, k->shares[j].x,
			    "%u-of-%u share %zu index", k->m, k->n, j);
			cr_assert_arr_eq(out[j].y, k->shares[j].y, S,
			    "%u-of-%u: share x=%u differs from the reference",
			    k->m, k->n, k->shares[j].x);
		}
		/* And back, from the last m of the reference's shares. */
		r = kr_shamir_combine(k->shares + (k->n - k->m), k->m,
		    (uint8_t)k->m, (uint8_t)k->n, got);
		cr_assert_eq(r, 0, "%u-of-%u combine: %s", k->m, k->n,
		    kr_err_detail());
		cr_assert_arr_eq(got, k->secret, S,
		    "%u-of-%u: reference shares did not recombine", k->m,
		    k->n);
	}
}

/* --- every subset recombines ---------------------------------------------- */

struct mn {
	unsigned int	m, n;
};

ParameterizedTestParameters(shamir, every_subset_recombines)
{
	static struct mn params[] = {
		{ 2, 2 }, { 2, 3 }, { 3, 5 }, { 5, 9 }, { 8, 15 },
	};

	return cr_make_param_array(struct mn, params, NELEM(params));
}

ParameterizedTest(struct mn *p, shamir, every_subset_recombines)
{
	struct kr_shamir_share shares[KR_SHAMIR_MAX_SHARES];
	uint8_t secret[S], got[S], idx[KR_SHAMIR_MAX_SHARES];
	uint8_t order[KR_SHAMIR_MAX_SHARES];
	size_t tried = 0, i;
	int r;

	split_random(secret, p->m, p->n, shares);
	for (i = 0; i < p->m; i++)
		idx[i] = (uint8_t)i;
	do {
		/* Any order of the subset's shares must do. */
		memcpy(order, idx, p->m);
		shuffle(order, p->m);
		r = combine_subset(shares, order, p->m, p->m, p->n, got);
		cr_assert_eq(r, 0, "%u-of-%u subset %zu: %s", p->m, p->n,
		    tried, kr_err_detail());
		cr_assert_arr_eq(got, secret, S,
		    "%u-of-%u: subset %zu (first x=%u) gave a wrong secret",
		    p->m, p->n, tried, shares[order[0]].x);
		tried++;
	} while (next_subset(idx, p->m, p->n));
	cr_assert_eq(tried, binomial(p->n, p->m),
	    "%u-of-%u: tried %zu subsets, C(n,m) = %zu", p->m, p->n, tried,
	    binomial(p->n, p->m));
}

Test(shamir, sampled_subsets_of_128_of_255_recombine)
{
	static struct kr_shamir_share shares[KR_SHAMIR_MAX_SHARES];
	uint8_t secret[S], got[S], perm[KR_SHAMIR_MAX_SHARES];
	uint8_t used[KR_SHAMIR_MAX_SHARES] = { 0 };
	size_t t, i;
	int r;

	split_random(secret, 128, 255, shares);
	for (i = 0; i < 255; i++)
		perm[i] = (uint8_t)i;
	for (t = 0; t < 300; t++) {
		shuffle(perm, 255);
		for (i = 0; i < 128; i++)
			used[perm[i]] = 1;
		r = combine_subset(shares, perm, 128, 128, 255, got);
		cr_assert_eq(r, 0, "subset %zu: %s", t, kr_err_detail());
		cr_assert_arr_eq(got, secret, S,
		    "128-of-255: random subset %zu gave a wrong secret", t);
	}
	for (i = 0; i < 255; i++)
		cr_assert(used[i], "share x=%zu never used in 300 subsets",
		    i + 1);
}

Test(shamir, extreme_thresholds_work)
{
	static const struct mn cases[] = {
		{ 2, 255 }, { 255, 255 }, { 254, 255 }, { 2, 2 },
	};
	static struct kr_shamir_share shares[KR_SHAMIR_MAX_SHARES];
	uint8_t secret[S], got[S];
	size_t i;
	int r;

	for (i = 0; i < NELEM(cases); i++) {
		split_random(secret, cases[i].m, cases[i].n, shares);
		/* The last m shares. */
		r = kr_shamir_combine(shares + (cases[i].n - cases[i].m),
		    cases[i].m, (uint8_t)cases[i].m, (uint8_t)cases[i].n,
		    got);
		cr_assert_eq(r, 0, "%u-of-%u: %s", cases[i].m, cases[i].n,
		    kr_err_detail());
		cr_assert_arr_eq(got, secret, S, "%u-of-%u: wrong secret",
		    cases[i].m, cases[i].n);
	}
}

Test(shamir, extra_shares_beyond_m_are_checked_but_not_used)
{
	struct kr_shamir_share shares[5];
	uint8_t secret[S], got[S];
	int r;

	split_random(secret, 3, 5, shares);
	shares[4].y[0] ^= 1;	/* damaged, but fifth of five given */
	r = kr_shamir_combine(shares, 5, 3, 5, got);
	cr_assert_eq(r, 0, "combine with 5 given: %s", kr_err_detail());
	cr_assert_arr_eq(got, secret, S, "the first 3 shares were not used");
}

/* --- refusals ------------------------------------------------------------- */

Test(shamir, too_few_shares_say_how_many_more)
{
	static const struct {
		unsigned int	m, n;
		size_t		given;
		const char	*more;
	} cases[] = {
		{ 2, 2, 1, "1 more is needed" },
		{ 2, 3, 0, "2 more are needed" },
		{ 3, 5, 2, "1 more is needed" },
		{ 3, 5, 1, "2 more are needed" },
		{ 5, 9, 4, "1 more is needed" },
		{ 8, 15, 7, "1 more is needed" },
		{ 128, 255, 127, "1 more is needed" },
		{ 128, 255, 100, "28 more are needed" },
	};
	static struct kr_shamir_share shares[KR_SHAMIR_MAX_SHARES];
	uint8_t secret[S], got[S], before[S];
	size_t i;
	int r;

	for (i = 0; i < NELEM(cases); i++) {
		split_random(secret, cases[i].m, cases[i].n, shares);
		memset(got, 0x5a, S);
		memcpy(before, got, S);
		r = kr_shamir_combine(shares, cases[i].given,
		    (uint8_t)cases[i].m, (uint8_t)cases[i].n, got);
		cr_assert_eq(r, KR_ERR_SHAMIR_TOO_FEW,
		    "%u-of-%u with %zu shares: got %d (%s)", cases[i].m,
		    cases[i].n, cases[i].given, r, kr_err_detail());
		cr_assert_not_null(strstr(kr_err_detail(), cases[i].more),
		    "%u-of-%u with %zu: detail '%s' lacks '%s'", cases[i].m,
		    cases[i].n, cases[i].given, kr_err_detail(),
		    cases[i].more);
		cr_assert_arr_eq(got, before, S,
		    "output written although combine failed");
	}
}

Test(shamir, bad_indexes_are_refused_and_named)
{
	static const struct {
		const char	*what;
		unsigned int	m, n;
		uint8_t		xs[6];
		size_t		count;
		int		err;
		const char	*detail;
	} cases[] = {
		{ "duplicate", 3, 5, { 1, 2, 2 }, 3, KR_ERR_SHAMIR_DUPLICATE,
		    "shares 2 and 3 of the 3 given both have index x=2" },
		{ "duplicate, apart", 3, 5, { 4, 1, 2, 4 }, 4,
		    KR_ERR_SHAMIR_DUPLICATE, "shares 1 and 4 of the 4 given "
		    "both have index x=4" },
		{ "duplicate among extras", 2, 5, { 1, 2, 3, 3 }, 4,
		    KR_ERR_SHAMIR_DUPLICATE, "index x=3" },
		{ "x=0", 2, 3, { 0, 1 }, 2, KR_ERR_SHAMIR_INDEX,
		    "share 1 of the 2 given has index x=0" },
		{ "x=0 later", 3, 5, { 1, 2, 0 }, 3, KR_ERR_SHAMIR_INDEX,
		    "share 3 of the 3 given has index x=0" },
		{ "x>n", 3, 5, { 1, 2, 6 }, 3, KR_ERR_SHAMIR_INDEX,
		    "share 3 of the 3 given has index x=6, but this split "
		    "made only 5 shares" },
		{ "x=0 with too few", 3, 5, { 0 }, 1, KR_ERR_SHAMIR_INDEX,
		    "index x=0" },
	};
	struct kr_shamir_share shares[6];
	uint8_t got[S], before[S];
	size_t i, j;
	int r;

	for (i = 0; i < NELEM(cases); i++) {
		for (j = 0; j < cases[i].count; j++) {
			shares[j].x = cases[i].xs[j];
			prng_fill(shares[j].y, S);
		}
		memset(got, 0x5a, S);
		memcpy(before, got, S);
		r = kr_shamir_combine(shares, cases[i].count,
		    (uint8_t)cases[i].m, (uint8_t)cases[i].n, got);
		cr_assert_eq(r, cases[i].err, "%s: got %d (%s), want %d",
		    cases[i].what, r, kr_err_detail(), cases[i].err);
		cr_assert_not_null(strstr(kr_err_detail(), cases[i].detail),
		    "%s: detail '%s' lacks '%s'", cases[i].what,
		    kr_err_detail(), cases[i].detail);
		cr_assert_arr_eq(got, before, S,
		    "%s: output written although combine failed",
		    cases[i].what);
	}
}

Test(shamir, bad_parameters_are_refused)
{
	static const struct mn cases[] = {
		{ 0, 0 }, { 1, 1 }, { 1, 5 }, { 0, 5 }, { 6, 5 }, { 3, 2 },
		{ 255, 254 }, { 2, 1 },
	};
	struct kr_shamir_share shares[8];
	uint8_t secret[S] = { 1 }, got[S];
	size_t i;
	int r;

	for (i = 0; i < NELEM(cases); i++) {
		r = kr_shamir_split(secret, (uint8_t)cases[i].m,
		    (uint8_t)cases[i].n, shares);
		cr_assert_eq(r, KR_ERR_SHAMIR_PARAMS, "split %u-of-%u: %d",
		    cases[i].m, cases[i].n, r);
		cr_assert_not_null(strstr(kr_err_detail(), "threshold"),
		    "split %u-of-%u: detail '%s'", cases[i].m, cases[i].n,
		    kr_err_detail());
		r = kr_shamir_combine(shares, 2, (uint8_t)cases[i].m,
		    (uint8_t)cases[i].n, got);
		cr_assert_eq(r, KR_ERR_SHAMIR_PARAMS, "combine %u-of-%u: %d",
		    cases[i].m, cases[i].n, r);
		cr_assert_eq(kr_shamir_verify_count((uint8_t)cases[i].m,
		    (uint8_t)cases[i].n), 0, "verify_count %u-of-%u",
		    cases[i].m, cases[i].n);
	}
	cr_assert_eq(kr_shamir_split(NULL, 2, 3, shares),
	    KR_ERR_INVALID_ARGUMENT, "NULL secret");
	cr_assert_eq(kr_shamir_split(secret, 2, 3, NULL),
	    KR_ERR_INVALID_ARGUMENT, "NULL shares");
	cr_assert_eq(kr_shamir_combine(NULL, 2, 2, 3, got),
	    KR_ERR_INVALID_ARGUMENT, "NULL shares to combine");
}

/* --- the random generator ------------------------------------------------- */

Test(shamir, rng_failure_is_reported_and_nothing_written)
{
	struct kr_shamir_share shares[5];
	uint8_t secret[S] = { 0x42 }, before[sizeof(shares)];
	int r;

	memset(shares, 0xa5, sizeof(shares));
	memcpy(before, shares, sizeof(shares));
	kr_shamir_set_rng(failing_rng);
	r = kr_shamir_split(secret, 3, 5, shares);
	kr_shamir_set_rng(NULL);
	cr_assert_eq(r, KR_ERR_SHAMIR_RNG, "failing generator gave %d", r);
	cr_assert_not_null(strstr(kr_err_detail(), "no shares were made"),
	    "detail '%s'", kr_err_detail());
	cr_assert_arr_eq(shares, before, sizeof(shares),
	    "shares written although the generator failed");
}

Test(shamir, real_rng_gives_fresh_shares)
{
	struct kr_shamir_share a[5], b[5];
	uint8_t secret[S];
	size_t i;
	int r;

	prng_fill(secret, S);
	cr_assert_eq(kr_shamir_split(secret, 3, 5, a), 0, "split 1");
	cr_assert_eq(kr_shamir_split(secret, 3, 5, b), 0, "split 2");
	for (i = 0; i < 5; i++) {
		cr_assert(memcmp(a[i].y, b[i].y, S) != 0,
		    "two splits gave the same share x=%zu", i + 1);
		cr_assert(memcmp(a[i].y, secret, S) != 0,
		    "share x=%zu equals the secret", i + 1);
	}
	/* Mixing the two splits' shares must not give the secret. */
	{
		struct kr_shamir_share mix[3] = { a[0], a[1], b[2] };
		uint8_t got[S];

		r = kr_shamir_combine(mix, 3, 3, 5, got);
		cr_assert_eq(r, 0, "combine mixed: %s", kr_err_detail());
		cr_assert(memcmp(got, secret, S) != 0,
		    "shares of two different splits recombined the secret");
	}
}

/* --- split verification --------------------------------------------------- */

Test(shamir, verify_count_is_bounded)
{
	static const struct {
		unsigned int	m, n;
		size_t		count;
	} cases[] = {
		{ 2, 2, 1 }, { 2, 3, 3 }, { 3, 5, 10 }, { 5, 9, 126 },
		{ 3, 20, 1000 }, { 8, 15, 1000 }, { 2, 45, 990 },
		{ 2, 46, 1000 }, { 254, 255, 255 }, { 255, 255, 1 },
		{ 128, 255, 1000 },
	};
	size_t i;

	for (i = 0; i < NELEM(cases); i++)
		cr_assert_eq(kr_shamir_verify_count((uint8_t)cases[i].m,
		    (uint8_t)cases[i].n), cases[i].count,
		    "%u-of-%u: %zu, want %zu", cases[i].m, cases[i].n,
		    kr_shamir_verify_count((uint8_t)cases[i].m,
		    (uint8_t)cases[i].n), cases[i].count);
}

Test(shamir, verify_accepts_good_splits)
{
	static const struct mn cases[] = {
		{ 2, 2 }, { 2, 3 }, { 3, 5 }, { 5, 9 }, { 8, 15 }, { 2, 255 },
		{ 128, 255 }, { 254, 255 }, { 255, 255 },
	};
	static struct kr_shamir_share shares[KR_SHAMIR_MAX_SHARES];
	uint8_t secret[S], perm[KR_SHAMIR_MAX_SHARES];
	struct kr_shamir_share tmp[KR_SHAMIR_MAX_SHARES];
	size_t i, j;
	int r;

	for (i = 0; i < NELEM(cases); i++) {
		split_random(secret, cases[i].m, cases[i].n, shares);
		r = kr_shamir_verify_split(secret, shares, (uint8_t)cases[i].m,
		    (uint8_t)cases[i].n);
		cr_assert_eq(r, 0, "%u-of-%u: %s", cases[i].m, cases[i].n,
		    kr_err_detail());
		/* Shares in any order. */
		for (j = 0; j < cases[i].n; j++)
			perm[j] = (uint8_t)j;
		shuffle(perm, cases[i].n);
		for (j = 0; j < cases[i].n; j++)
			tmp[j] = shares[perm[j]];
		r = kr_shamir_verify_split(secret, tmp, (uint8_t)cases[i].m,
		    (uint8_t)cases[i].n);
		cr_assert_eq(r, 0, "%u-of-%u shuffled: %s", cases[i].m,
		    cases[i].n, kr_err_detail());
	}
}

Test(shamir, verify_catches_any_bad_share)
{
	static const struct {
		unsigned int	m, n, bad;	/* bad: the damaged share's x */
	} cases[] = {
		{ 2, 2, 2 }, { 3, 5, 4 }, { 5, 9, 9 }, { 8, 15, 1 },
		{ 2, 255, 255 }, { 2, 255, 17 }, { 128, 255, 200 },
		{ 128, 255, 1 }, { 100, 255, 255 }, { 254, 255, 77 },
	};
	static struct kr_shamir_share shares[KR_SHAMIR_MAX_SHARES];
	uint8_t secret[S];
	char want[16];
	size_t i;
	int r;

	for (i = 0; i < NELEM(cases); i++) {
		split_random(secret, cases[i].m, cases[i].n, shares);
		shares[cases[i].bad - 1].y[31] ^= 0x80;
		r = kr_shamir_verify_split(secret, shares, (uint8_t)cases[i].m,
		    (uint8_t)cases[i].n);
		cr_assert_eq(r, KR_ERR_SHAMIR_VERIFY,
		    "%u-of-%u with share x=%u damaged: got %d", cases[i].m,
		    cases[i].n, cases[i].bad, r);
		cr_assert_not_null(strstr(kr_err_detail(), "split again"),
		    "detail '%s'", kr_err_detail());
		/* Small subsets are listed in full: the bad x is named. */
		if (cases[i].m <= 8) {
			snprintf(want, sizeof(want), "%u", cases[i].bad);
			cr_assert_not_null(strstr(kr_err_detail(), want),
			    "detail '%s' does not name x=%u",
			    kr_err_detail(), cases[i].bad);
		}
	}
}

/* The sampled subsets include every share: any one damaged is caught. */
Test(shamir, verify_sampling_covers_every_share)
{
	static const struct {
		unsigned int	m, n, step;
	} cases[] = {
		{ 2, 255, 1 }, { 3, 100, 1 }, { 128, 255, 13 }, { 200, 255, 9 },
	};
	static struct kr_shamir_share shares[KR_SHAMIR_MAX_SHARES];
	uint8_t secret[S];
	unsigned int x;
	size_t i;
	int r;

	for (i = 0; i < NELEM(cases); i++) {
		cr_assert_eq(kr_shamir_verify_count((uint8_t)cases[i].m,
		    (uint8_t)cases[i].n), KR_SHAMIR_VERIFY_MAX,
		    "%u-of-%u should be sampled", cases[i].m, cases[i].n);
		split_random(secret, cases[i].m, cases[i].n, shares);
		for (x = 1; x <= cases[i].n; x += cases[i].step) {
			shares[x - 1].y[x % S] ^= 0x01;
			r = kr_shamir_verify_split(secret, shares,
			    (uint8_t)cases[i].m, (uint8_t)cases[i].n);
			shares[x - 1].y[x % S] ^= 0x01;
			cr_assert_eq(r, KR_ERR_SHAMIR_VERIFY, "%u-of-%u: share "
			    "x=%u damaged, verify gave %d", cases[i].m,
			    cases[i].n, x, r);
		}
	}
}

Test(shamir, verify_refuses_wrong_secret_and_bad_indexes)
{
	struct kr_shamir_share shares[5];
	uint8_t secret[S];
	int r;

	split_random(secret, 3, 5, shares);
	secret[0] ^= 1;
	r = kr_shamir_verify_split(secret, shares, 3, 5);
	cr_assert_eq(r, KR_ERR_SHAMIR_VERIFY, "wrong secret: %d", r);
	secret[0] ^= 1;
	shares[3].x = shares[1].x;
	r = kr_shamir_verify_split(secret, shares, 3, 5);
	cr_assert_eq(r, KR_ERR_SHAMIR_DUPLICATE, "duplicate x: %d (%s)", r,
	    kr_err_detail());
}

/* --- no secret left behind ------------------------------------------------ */

/* An arbitrary KEK with no zero or repeated 8-byte window. */
static const uint8_t kek[S] = {
	0x1c, 0x8a, 0x3e, 0x62, 0xd2, 0x4b, 0x90, 0x77, 0x0f, 0xe6, 0xa5, 0x31,
	0x5d, 0xc9, 0x84, 0x2b, 0x7a, 0x13, 0xf8, 0x46, 0xbe, 0x09, 0x6f, 0xd5,
	0x27, 0x98, 0x51, 0xec, 0x3b, 0xa0, 0x74, 0xcf,
};

/* Bit b of byte j of the KEK at bit j of plane b: the bitsliced KEK. */
static void
kek_planes(uint8_t out[S])
{
	uint32_t p;
	int b, j;

	for (b = 0; b < 8; b++) {
		p = 0;
		for (j = 0; j < S; j++)
			p |= (uint32_t)((kek[j] >> b) & 1) << j;
		memcpy(out + 4 * b, &p, 4);
	}
}

/* Counts 8-byte windows of pat (len bytes) found in region. */
static size_t
count_windows(const uint8_t *region, size_t rlen, const uint8_t *pat,
    size_t len)
{
	size_t i, j, found = 0;

	for (j = 0; j + 8 <= len; j++)
		for (i = 0; i + 8 <= rlen; i++)
			if (memcmp(region + i, pat + j, 8) == 0)
				found++;
	return found;
}

static size_t hook_calls, hook_found;

static void
free_hook(const void *region, size_t len)
{
	uint8_t planes[S];

	kek_planes(planes);
	hook_calls++;
	hook_found += count_windows(region, len, kek, S);
	hook_found += count_windows(region, len, planes, S);
}

Test(shamir, no_kek_in_freed_secret_memory)
{
	struct kr_shamir_share *shares;
	uint8_t *secret, *got;
	size_t len = 5 * sizeof(*shares);
	int r;

	kr_secmem_set_free_hook(free_hook);
	secret = kr_secmem_alloc(S);
	got = kr_secmem_alloc(S);
	shares = kr_secmem_alloc(len);
	cr_assert(secret != NULL && got != NULL && shares != NULL,
	    "secmem: %s", kr_err_detail());
	memcpy(secret, kek, S);
	r = kr_shamir_split(secret, 3, 5, shares);
	cr_assert_eq(r, 0, "split: %s", kr_err_detail());
	r = kr_shamir_verify_split(secret, shares, 3, 5);
	cr_assert_eq(r, 0, "verify: %s", kr_err_detail());
	r = kr_shamir_combine(shares + 2, 3, 3, 5, got);
	cr_assert_eq(r, 0, "combine: %s", kr_err_detail());
	cr_assert_arr_eq(got, kek, S, "combine gave a wrong KEK");
	kr_secmem_free(shares, len);
	kr_secmem_free(got, S);
	kr_secmem_free(secret, S);
	kr_secmem_set_free_hook(NULL);
	cr_assert_eq(hook_calls, 3, "free hook ran %zu times", hook_calls);
	cr_assert_eq(hook_found, 0, "%zu pieces of the KEK survived in "
	    "freed secret memory", hook_found);
	cr_assert_eq(kr_secmem_live(), 0, "secret memory leaked");
}

#define PROBE_BYTES	32768
static uint8_t snapshot[PROBE_BYTES];

/*
 * Copies the dead stack below the caller's frame, where the last call's
 * frames were.  The array is deliberately left uninitialised (no
 * -ftrivial-auto-var-init) and read through a volatile pointer.
 */
static void __attribute__((noinline))
snapshot_dead_stack(void)
{
	uint8_t probe[PROBE_BYTES] __attribute__((uninitialized));
	volatile const uint8_t *p = probe;
	size_t i;

	__asm__ __volatile__("" : : "r"(probe) : "memory");
	for (i = 0; i < PROBE_BYTES; i++)
		snapshot[i] = p[i];
}

/* The positive control: leaves the KEK and its planes on the stack. */
static void __attribute__((noinline))
leaky(void)
{
	volatile uint8_t copy[2 * S];
	uint8_t planes[S];
	size_t i;

	kek_planes(planes);
	for (i = 0; i < S; i++) {
		copy[i] = kek[i];
		copy[S + i] = planes[i];
	}
	__asm__ __volatile__("" : : "r"(copy) : "memory");
}

static size_t
kek_on_dead_stack(void)
{
	uint8_t planes[S];

	snapshot_dead_stack();
	kek_planes(planes);
	return count_windows(snapshot, sizeof(snapshot), kek, S) +
	    count_windows(snapshot, sizeof(snapshot), planes, S);
}

Test(shamir, no_kek_left_on_the_stack)
{
	static struct kr_shamir_share shares[KR_SHAMIR_MAX_SHARES];
	static uint8_t secret[S], got[S];
	size_t found;
	int r;

#ifdef __SANITIZE_ADDRESS__
	cr_skip_test("ASan keeps its own stack redzones and fake frames; "
	    "the dead-stack scan runs in the plain build");
#endif
	/* The scan must see what a careless function leaves behind. */
	leaky();
	found = kek_on_dead_stack();
	cr_assert_gt(found, 0, "the scan did not find a KEK left on the "
	    "stack on purpose: it cannot be trusted");

	memcpy(secret, kek, S);
	explicit_bzero(snapshot, sizeof(snapshot));
	r = kr_shamir_split(secret, 3, 5, shares);
	cr_assert_eq(r, 0, "split: %s", kr_err_detail());
	found = kek_on_dead_stack();
	cr_assert_eq(found, 0, "split left %zu pieces of the KEK on the stack",
	    found);

	r = kr_shamir_split(secret, 128, 255, shares);
	cr_assert_eq(r, 0, "split 128-of-255: %s", kr_err_detail());
	found = kek_on_dead_stack();
	cr_assert_eq(found, 0, "split 128-of-255 left %zu pieces of the KEK "
	    "on the stack", found);

	r = kr_shamir_combine(shares + 7, 128, 128, 255, got);
	cr_assert_eq(r, 0, "combine: %s", kr_err_detail());
	found = kek_on_dead_stack();
	cr_assert_eq(found, 0, "combine left %zu pieces of the KEK on the "
	    "stack", found);
	cr_assert_arr_eq(got, kek, S, "combine gave a wrong KEK");

	r = kr_shamir_verify_split(secret, shares, 128, 255);
	cr_assert_eq(r, 0, "verify: %s", kr_err_detail());
	found = kek_on_dead_stack();
	cr_assert_eq(found, 0, "verify left %zu pieces of the KEK on the "
	    "stack", found);
}
