/*
 * shamir.c: constant-time Shamir secret sharing over GF(2^8).
 *
 * Splitting evaluates, for each share index x, the 32 polynomials (one per
 * secret byte) at once with Horner's rule: acc = acc * x + c[k].  The 32
 * bytes are bitsliced into eight 32-bit planes, plane b holding bit b of
 * every byte, so adding is XOR.  Multiplying by a fixed x is linear over
 * GF(2): bit i of a * x is the XOR of the bits j of a for which bit i of
 * x * {02}^j is set.  Those 64 bits depend on x alone, which is public; they
 * become all-ones or all-zero masks, and a * x is 64 ANDs and XORs of whole
 * planes.  Four shares are evaluated side by side in the lanes of a vector.
 * The secret, the random coefficients and the share values only ever flow
 * through AND with public masks, XOR and moves.
 *
 * Combining first computes the Lagrange weights at zero,
 * w_i = prod_{j != i} x_j / (x_i + x_j), from the public indexes with
 * ordinary log/exp tables.  The secret is sum_i w_i * y_i.  With w_i public,
 * w_i * y_i is the sum of {02}^k * y_i over the bits k set in w_i; so each
 * y_i is XORed into bucket k for every bit k of w_i, and the eight buckets
 * are folded at the end with seven doublings (Horner's rule on the bits).
 * The doublings work on eight bytes per 64-bit word with shifts and masks.
 *
 * No table is ever indexed by a secret and no branch depends on one: the
 * only tables (gf_log, gf_exp) are indexed by share indexes and weights.
 * tests/ct/ checks this under valgrind, and shows that the check catches a
 * table-based multiply (this file built with KR_SHAMIR_TABLE_MUL_FOR_TEST).
 *
 * Coefficients, the bitsliced secret and the buckets live on the stack and
 * are wiped with explicit_bzero(); burn_stack() then wipes what the inner
 * loops may have spilled below the caller's frame.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "base/err.h"
#include "shamir.h"

#define SECRET		KR_SHAMIR_SECRET_BYTES
#define LANES		4	/* shares evaluated at once */
#define BURN_BYTES	4096

/* 32 bytes, bitsliced: bit j of p[b] is bit b of byte j. */
struct planes {
	uint32_t	p[8];
};

/*
 * Logarithms and powers of the generator {03} (draft-mcgrew-tss-03,
 * figures 1 and 2).  Only ever indexed by public values: share indexes and
 * weights.  gf_log[0] is 0 on purpose (see weights()).
 */
static const uint8_t gf_log[256] = {
	0x00, 0x00, 0x19, 0x01, 0x32, 0x02, 0x1a, 0xc6, 0x4b, 0xc7, 0x1b, 0x68,
	0x33, 0xee, 0xdf, 0x03, 0x64, 0x04, 0xe0, 0x0e, 0x34, 0x8d, 0x81, 0xef,
	0x4c, 0x71, 0x08, 0xc8, 0xf8, 0x69, 0x1c, 0xc1, 0x7d, 0xc2, 0x1d, 0xb5,
	0xf9, 0xb9, 0x27, 0x6a, 0x4d, 0xe4, 0xa6, 0x72, 0x9a, 0xc9, 0x09, 0x78,
	0x65, 0x2f, 0x8a, 0x05, 0x21, 0x0f, 0xe1, 0x24, 0x12, 0xf0, 0x82, 0x45,
	0x35, 0x93, 0xda, 0x8e, 0x96, 0x8f, 0xdb, 0xbd, 0x36, 0xd0, 0xce, 0x94,
	0x13, 0x5c, 0xd2, 0xf1, 0x40, 0x46, 0x83, 0x38, 0x66, 0xdd, 0xfd, 0x30,
	0xbf, 0x06, 0x8b, 0x62, 0xb3, 0x25, 0xe2, 0x98, 0x22, 0x88, 0x91, 0x10,
	0x7e, 0x6e, 0x48, 0xc3, 0xa3, 0xb6, 0x1e, 0x42, 0x3a, 0x6b, 0x28, 0x54,
	0xfa, 0x85, 0x3d, 0xba, 0x2b, 0x79, 0x0a, 0x15, 0x9b, 0x9f, 0x5e, 0xca,
	0x4e, 0xd4, 0xac, 0xe5, 0xf3, 0x73, 0xa7, 0x57, 0xaf, 0x58, 0xa8, 0x50,
	0xf4, 0xea, 0xd6, 0x74, 0x4f, 0xae, 0xe9, 0xd5, 0xe7, 0xe6, 0xad, 0xe8,
	0x2c, 0xd7, 0x75, 0x7a, 0xeb, 0x16, 0x0b, 0xf5, 0x59, 0xcb, 0x5f, 0xb0,
	0x9c, 0xa9, 0x51, 0xa0, 0x7f, 0x0c, 0xf6, 0x6f, 0x17, 0xc4, 0x49, 0xec,
	0xd8, 0x43, 0x1f, 0x2d, 0xa4, 0x76, 0x7b, 0xb7, 0xcc, 0xbb, 0x3e, 0x5a,
	0xfb, 0x60, 0xb1, 0x86, 0x3b, 0x52, 0xa1, 0x6c, 0xaa, 0x55, 0x29, 0x9d,
	0x97, 0xb2, 0x87, 0x90, 0x61, 0xbe, 0xdc, 0xfc, 0xbc, 0x95, 0xcf, 0xcd,
	0x37, 0x3f, 0x5b, 0xd1, 0x53, 0x39, 0x84, 0x3c, 0x41, 0xa2, 0x6d, 0x47,
	0x14, 0x2a, 0x9e, 0x5d, 0x56, 0xf2, 0xd3, 0xab, 0x44, 0x11, 0x92, 0xd9,
	0x23, 0x20, 0x2e, 0x89, 0xb4, 0x7c, 0xb8, 0x26, 0x77, 0x99, 0xe3, 0xa5,
	0x67, 0x4a, 0xed, 0xde, 0xc5, 0x31, 0xfe, 0x18, 0x0d, 0x63, 0x8c, 0x80,
	0xc0, 0xf7, 0x70, 0x07,
};

static const uint8_t gf_exp[255] = {
	0x01, 0x03, 0x05, 0x0f, 0x11, 0x33, 0x55, 0xff, 0x1a, 0x2e, 0x72, 0x96,
	0xa1, 0xf8, 0x13, 0x35, 0x5f, 0xe1, 0x38, 0x48, 0xd8, 0x73, 0x95, 0xa4,
	0xf7, 0x02, 0x06, 0x0a, 0x1e, 0x22, 0x66, 0xaa, 0xe5, 0x34, 0x5c, 0xe4,
	0x37, 0x59, 0xeb, 0x26, 0x6a, 0xbe, 0xd9, 0x70, 0x90, 0xab, 0xe6, 0x31,
	0x53, 0xf5, 0x04, 0x0c, 0x14, 0x3c, 0x44, 0xcc, 0x4f, 0xd1, 0x68, 0xb8,
	0xd3, 0x6e, 0xb2, 0xcd, 0x4c, 0xd4, 0x67, 0xa9, 0xe0, 0x3b, 0x4d, 0xd7,
	0x62, 0xa6, 0xf1, 0x08, 0x18, 0x28, 0x78, 0x88, 0x83, 0x9e, 0xb9, 0xd0,
	0x6b, 0xbd, 0xdc, 0x7f, 0x81, 0x98, 0xb3, 0xce, 0x49, 0xdb, 0x76, 0x9a,
	0xb5, 0xc4, 0x57, 0xf9, 0x10, 0x30, 0x50, 0xf0, 0x0b, 0x1d, 0x27, 0x69,
	0xbb, 0xd6, 0x61, 0xa3, 0xfe, 0x19, 0x2b, 0x7d, 0x87, 0x92, 0xad, 0xec,
	0x2f, 0x71, 0x93, 0xae, 0xe9, 0x20, 0x60, 0xa0, 0xfb, 0x16, 0x3a, 0x4e,
	0xd2, 0x6d, 0xb7, 0xc2, 0x5d, 0xe7, 0x32, 0x56, 0xfa, 0x15, 0x3f, 0x41,
	0xc3, 0x5e, 0xe2, 0x3d, 0x47, 0xc9, 0x40, 0xc0, 0x5b, 0xed, 0x2c, 0x74,
	0x9c, 0xbf, 0xda, 0x75, 0x9f, 0xba, 0xd5, 0x64, 0xac, 0xef, 0x2a, 0x7e,
	0x82, 0x9d, 0xbc, 0xdf, 0x7a, 0x8e, 0x89, 0x80, 0x9b, 0xb6, 0xc1, 0x58,
	0xe8, 0x23, 0x65, 0xaf, 0xea, 0x25, 0x6f, 0xb1, 0xc8, 0x43, 0xc5, 0x54,
	0xfc, 0x1f, 0x21, 0x63, 0xa5, 0xf4, 0x07, 0x09, 0x1b, 0x2d, 0x77, 0x99,
	0xb0, 0xcb, 0x46, 0xca, 0x45, 0xcf, 0x4a, 0xde, 0x79, 0x8b, 0x86, 0x91,
	0xa8, 0xe3, 0x3e, 0x42, 0xc6, 0x51, 0xf3, 0x0e, 0x12, 0x36, 0x5a, 0xee,
	0x29, 0x7b, 0x8d, 0x8c, 0x8f, 0x8a, 0x85, 0x94, 0xa7, 0xf2, 0x0d, 0x17,
	0x39, 0x4b, 0xdd, 0x7c, 0x84, 0x97, 0xa2, 0xfd, 0x1c, 0x24, 0x6c, 0xb4,
	0xc7, 0x52, 0xf6,
};

static int (*rng_hook)(void *, size_t);

uint8_t
kr_shamir_gf_mul(uint8_t a, uint8_t b)
{
	unsigned int r = 0, x = a, y = b;
	int i;

	/* Shift and add with masks: no branch, no table. */
	for (i = 0; i < 8; i++) {
		r ^= x & (0u - (y & 1));
		x = (x << 1) ^ (0x11bu & (0u - (x >> 7)));
		y >>= 1;
	}
	return (uint8_t)r;
}

/* --- layout: bytes <-> bit planes ----------------------------------------- */

static inline uint64_t
load64_le(const uint8_t *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
	    (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 |
	    (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

static inline void
store64_le(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/*
 * Transposes the 8x8 bit matrix whose row i is byte i of x (Hacker's
 * Delight, 7-3): bit b of byte i becomes bit i of byte b.  An involution.
 */
static inline uint64_t
transpose8(uint64_t x)
{
	uint64_t t;

	t = (x ^ (x >> 7)) & 0x00aa00aa00aa00aaULL;
	x ^= t ^ (t << 7);
	t = (x ^ (x >> 14)) & 0x0000cccc0000ccccULL;
	x ^= t ^ (t << 14);
	t = (x ^ (x >> 28)) & 0x00000000f0f0f0f0ULL;
	x ^= t ^ (t << 28);
	return x;
}

#define M8	0x00ff00ff00ff00ffULL
#define M16	0x0000ffff0000ffffULL

/*
 * in and out may overlap: all of in is read before out is written.  After
 * transpose8(), byte b of t[w] holds bit b of bytes 8w..8w+7; the byte
 * interleave then gathers byte b of t[0..3] into plane b.
 */
static inline void
bytes_to_planes(const uint8_t *in, struct planes *out)
{
	uint64_t t0, t1, t2, t3, a, b, c, d, e, f, g, h;

	t0 = transpose8(load64_le(in));
	t1 = transpose8(load64_le(in + 8));
	t2 = transpose8(load64_le(in + 16));
	t3 = transpose8(load64_le(in + 24));
	a = (t0 & M8) | ((t1 & M8) << 8);
	b = ((t0 >> 8) & M8) | (t1 & ~M8);
	c = (t2 & M8) | ((t3 & M8) << 8);
	d = ((t2 >> 8) & M8) | (t3 & ~M8);
	e = (a & M16) | ((c & M16) << 16);
	f = ((a >> 16) & M16) | (c & ~M16);
	g = (b & M16) | ((d & M16) << 16);
	h = ((b >> 16) & M16) | (d & ~M16);
	out->p[0] = (uint32_t)e;
	out->p[4] = (uint32_t)(e >> 32);
	out->p[2] = (uint32_t)f;
	out->p[6] = (uint32_t)(f >> 32);
	out->p[1] = (uint32_t)g;
	out->p[5] = (uint32_t)(g >> 32);
	out->p[3] = (uint32_t)h;
	out->p[7] = (uint32_t)(h >> 32);
}

static inline void
planes_to_bytes(const struct planes *in, uint8_t *out)
{
	uint64_t a, b, c, d, e, f, g, h;

	e = in->p[0] | (uint64_t)in->p[4] << 32;
	f = in->p[2] | (uint64_t)in->p[6] << 32;
	g = in->p[1] | (uint64_t)in->p[5] << 32;
	h = in->p[3] | (uint64_t)in->p[7] << 32;
	a = (e & M16) | ((f & M16) << 16);
	c = ((e >> 16) & M16) | (f & ~M16);
	b = (g & M16) | ((h & M16) << 16);
	d = ((g >> 16) & M16) | (h & ~M16);
	store64_le(out, transpose8((a & M8) | ((b & M8) << 8)));
	store64_le(out + 8, transpose8(((a >> 8) & M8) | (b & ~M8)));
	store64_le(out + 16, transpose8((c & M8) | ((d & M8) << 8)));
	store64_le(out + 24, transpose8(((c >> 8) & M8) | (d & ~M8)));
}

/* --- the kernels: arithmetic on secrets ----------------------------------- */

#ifndef KR_SHAMIR_TABLE_MUL_FOR_TEST

/*
 * Splitting works on LANES shares at once: lane l of a[b] is plane b of
 * share l's accumulator.  The vector type is a GCC/Clang extension that
 * becomes SSE2 on x86-64 and plain words elsewhere; AND and XOR on it take
 * the same time whatever the data.
 */
typedef uint32_t vec __attribute__((vector_size(4 * LANES)));

/*
 * Multiplying by a public x is linear over GF(2): bit i of a * x is the XOR
 * of bit j of a over the j where bit i of x * {02}^j is set.  mask[i][j]
 * holds, in lane l, all ones when bit i of xs[l] * {02}^j is set.
 */
static void
x_masks(const unsigned int *xs, vec mask[8][8])
{
	vec v;
	int i, j;

	for (i = 0; i < LANES; i++)
		v[i] = xs[i];
	for (j = 0; j < 8; j++) {
		for (i = 0; i < 8; i++)
			mask[i][j] = 0u - ((v >> i) & 1u);
		v = ((v << 1) ^ (0x11bu & (0u - (v >> 7)))) & 0xffu;
	}
}

#define MUL_ROW(i)							\
	((a0 & mk[i][0]) ^ (a1 & mk[i][1]) ^ (a2 & mk[i][2]) ^		\
	 (a3 & mk[i][3]) ^ (a4 & mk[i][4]) ^ (a5 & mk[i][5]) ^		\
	 (a6 & mk[i][6]) ^ (a7 & mk[i][7]))

/*
 * out[l] = f(xs[l]) = c[0] + c[1] x + ... + c[m - 1] x^(m - 1), by Horner's
 * rule, for the LANES indexes xs (public).  c[0] is the secret.  Not
 * inlined, so that its spills lie below the caller's frame for
 * burn_stack().
 */
static void __attribute__((noinline))
eval_group(const struct planes *c, size_t m, const unsigned int *xs,
    struct planes out[LANES])
{
	vec mk[8][8], a0, a1, a2, a3, a4, a5, a6, a7;
	vec r0, r1, r2, r3, r4, r5, r6, r7;
	size_t k = m - 1;
	int l;

	x_masks(xs, mk);
	a0 = c[k].p[0] + (vec){ 0 };
	a1 = c[k].p[1] + (vec){ 0 };
	a2 = c[k].p[2] + (vec){ 0 };
	a3 = c[k].p[3] + (vec){ 0 };
	a4 = c[k].p[4] + (vec){ 0 };
	a5 = c[k].p[5] + (vec){ 0 };
	a6 = c[k].p[6] + (vec){ 0 };
	a7 = c[k].p[7] + (vec){ 0 };
	while (k-- > 0) {
		r0 = MUL_ROW(0) ^ c[k].p[0];
		r1 = MUL_ROW(1) ^ c[k].p[1];
		r2 = MUL_ROW(2) ^ c[k].p[2];
		r3 = MUL_ROW(3) ^ c[k].p[3];
		r4 = MUL_ROW(4) ^ c[k].p[4];
		r5 = MUL_ROW(5) ^ c[k].p[5];
		r6 = MUL_ROW(6) ^ c[k].p[6];
		r7 = MUL_ROW(7) ^ c[k].p[7];
		a0 = r0; a1 = r1; a2 = r2; a3 = r3;
		a4 = r4; a5 = r5; a6 = r6; a7 = r7;
	}
	for (l = 0; l < LANES; l++) {
		out[l].p[0] = a0[l];
		out[l].p[1] = a1[l];
		out[l].p[2] = a2[l];
		out[l].p[3] = a3[l];
		out[l].p[4] = a4[l];
		out[l].p[5] = a5[l];
		out[l].p[6] = a6[l];
		out[l].p[7] = a7[l];
	}
}

/* {02} times each of the eight bytes of v, with shifts and masks. */
static inline uint64_t
double8(uint64_t v)
{
	uint64_t hi = (v >> 7) & 0x0101010101010101ULL;

	return ((v & 0x7f7f7f7f7f7f7f7fULL) << 1) ^ hi ^ (hi << 1) ^
	    (hi << 3) ^ (hi << 4);
}

/*
 * out = sum_i w[i] * y_i with public weights: y_i goes into bucket k for
 * each bit k of w[i]; then out = sum_k {02}^k * bucket[k] by Horner's rule.
 * Not inlined, for burn_stack() as eval_group().
 */
static void __attribute__((noinline))
weighted_sum(const struct kr_shamir_share *shares, const uint8_t *idx,
    const uint8_t *w, size_t m, uint8_t out[SECRET])
{
	uint64_t bucket[8][4], acc[4], y[4];
	size_t i, j;
	int k;

	memset(bucket, 0, sizeof(bucket));
	for (i = 0; i < m; i++) {
		for (j = 0; j < 4; j++)
			y[j] = load64_le(shares[idx[i]].y + 8 * j);
		for (k = 0; k < 8; k++) {
			if (!((w[i] >> k) & 1))
				continue;
			for (j = 0; j < 4; j++)
				bucket[k][j] ^= y[j];
		}
	}
	for (j = 0; j < 4; j++) {
		acc[j] = bucket[7][j];
		for (k = 6; k >= 0; k--)
			acc[j] = double8(acc[j]) ^ bucket[k][j];
		store64_le(out + 8 * j, acc[j]);
	}
	explicit_bzero(bucket, sizeof(bucket));
	explicit_bzero(acc, sizeof(acc));
	explicit_bzero(y, sizeof(y));
}

#else /* KR_SHAMIR_TABLE_MUL_FOR_TEST */

/*
 * Test-only and deliberately NOT constant time: the textbook log/exp
 * multiply branches on, and indexes tables with, secret bytes.  The
 * valgrind harness in tests/ct/ must flag this build; never ship it.
 */
static uint8_t
table_mul(uint8_t a, uint8_t b)
{
	if (a == 0 || b == 0)
		return 0;
	return gf_exp[(gf_log[a] + gf_log[b]) % 255];
}

static void
eval_group(const struct planes *c, size_t m, const unsigned int *xs,
    struct planes out[LANES])
{
	uint8_t a[SECRET], acc[SECRET];
	size_t j, k;
	int l;

	for (l = 0; l < LANES; l++) {
		planes_to_bytes(&c[m - 1], acc);
		for (k = m - 1; k-- > 0;) {
			planes_to_bytes(&c[k], a);
			for (j = 0; j < SECRET; j++)
				acc[j] = table_mul(acc[j], (uint8_t)xs[l]) ^
				    a[j];
		}
		bytes_to_planes(acc, &out[l]);
	}
	explicit_bzero(a, sizeof(a));
	explicit_bzero(acc, sizeof(acc));
}

static void
weighted_sum(const struct kr_shamir_share *shares, const uint8_t *idx,
    const uint8_t *w, size_t m, uint8_t out[SECRET])
{
	uint8_t acc[SECRET];
	size_t i, j;

	memset(acc, 0, sizeof(acc));
	for (i = 0; i < m; i++)
		for (j = 0; j < SECRET; j++)
			acc[j] ^= table_mul(shares[idx[i]].y[j], w[i]);
	memcpy(out, acc, SECRET);
	explicit_bzero(acc, sizeof(acc));
}

#endif /* KR_SHAMIR_TABLE_MUL_FOR_TEST */

/*
 * Overwrites the stack below the caller's frame, where the kernels may have
 * spilled intermediate values (as libgcrypt's _gcry_burn_stack does).
 */
static void __attribute__((noinline))
burn_stack(void)
{
	uint8_t buf[BURN_BYTES];

	explicit_bzero(buf, sizeof(buf));
	__asm__ __volatile__("" : : "r"(buf) : "memory");
}

/* --- public-index arithmetic ---------------------------------------------- */

/*
 * Lagrange weights at 0 for the m distinct non-zero indexes xs:
 * log w_i = sum_{j != i} log x_j - sum_{j != i} log(x_i + x_j).  Summing
 * log(x_i + x_j) over every j includes j = i, where gf_log[0] = 0 adds
 * nothing, and keeps the inner loop free of branches.
 */
static void
weights(const uint8_t *xs, size_t m, uint8_t *w)
{
	unsigned int s = 0, d;
	size_t i, j;

	for (i = 0; i < m; i++)
		s += gf_log[xs[i]];
	s %= 255;
	for (i = 0; i < m; i++) {
		d = gf_log[xs[i]];
		for (j = 0; j < m; j++)
			d += gf_log[xs[i] ^ xs[j]];
		w[i] = gf_exp[(s + 255 - d % 255) % 255];
	}
}

/* out = the secret from shares[idx[0..m-1]]; indexes already checked. */
static void
interpolate(const struct kr_shamir_share *shares, const uint8_t *idx,
    size_t m, uint8_t out[SECRET])
{
	uint8_t xs[KR_SHAMIR_MAX_SHARES], w[KR_SHAMIR_MAX_SHARES];
	size_t i;

	for (i = 0; i < m; i++)
		xs[i] = shares[idx[i]].x;
	weights(xs, m, w);
	weighted_sum(shares, idx, w, m, out);
}

static int
check_params(unsigned int m, unsigned int n)
{
	if (m < 2 || m > n)
		return kr_err_set(KR_ERR_SHAMIR_PARAMS, "threshold %u of %u "
		    "shares: the threshold must be at least 2 and at most the "
		    "number of shares (at most %d)", m, n,
		    KR_SHAMIR_MAX_SHARES);
	return 0;
}

/* Every index in 1..n and distinct; names the first share that is not. */
static int
check_indexes(const struct kr_shamir_share *shares, size_t count,
    unsigned int m, unsigned int n)
{
	size_t seen[KR_SHAMIR_MAX_SHARES + 1], i;
	unsigned int x;

	memset(seen, 0, sizeof(seen));
	for (i = 0; i < count; i++) {
		x = shares[i].x;
		if (x == 0)
			return kr_err_set(KR_ERR_SHAMIR_INDEX, "share %zu of "
			    "the %zu given has index x=0; indexes run from 1 "
			    "to %u, so this share is damaged or was not made "
			    "by a split", i + 1, count, n);
		if (x > n)
			return kr_err_set(KR_ERR_SHAMIR_INDEX, "share %zu of "
			    "the %zu given has index x=%u, but this split made "
			    "only %u shares (x=1..%u): the share belongs to "
			    "another split or is damaged", i + 1, count, x, n,
			    n);
		if (seen[x] != 0)
			return kr_err_set(KR_ERR_SHAMIR_DUPLICATE, "shares %zu "
			    "and %zu of the %zu given both have index x=%u: "
			    "the same share was given twice; give %u shares "
			    "with different indexes", seen[x], i + 1, count, x,
			    m);
		seen[x] = i + 1;
	}
	return 0;
}

static int
fill_random(void *buf, size_t len)
{
	if (rng_hook != NULL) {
		if (rng_hook(buf, len) != 0)
			return kr_err_set(KR_ERR_SHAMIR_RNG, "the random "
			    "generator failed to give %zu bytes of polynomial "
			    "coefficients; no shares were made", len);
		return 0;
	}
	if (RAND_priv_bytes(buf, (int)len) != 1)
		return kr_err_libcrypto(KR_ERR_SHAMIR_RNG, "RAND_priv_bytes "
		    "for the polynomial coefficients (no shares were made)");
	return 0;
}

/* --- split, combine ------------------------------------------------------- */

int
kr_shamir_split(const uint8_t secret[SECRET], uint8_t m, uint8_t n,
    struct kr_shamir_share *shares)
{
	struct planes c[KR_SHAMIR_MAX_SHARES], y[LANES];
	unsigned int xs[LANES], i, l;
	size_t k;
	int r = KR_ERR_INTERNAL;

	if (secret == NULL || shares == NULL)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT,
		    "kr_shamir_split: NULL secret or shares");
	if ((r = check_params(m, n)) != 0)
		return r;

	/*
	 * c[k] is the coefficient of x^k: c[0] the secret, c[1..m-1] random.
	 * They are bitsliced in place; byte j of the generator's k-th 32
	 * bytes is byte j of c[k] (the known-answer tests depend on it).
	 */
	if ((r = fill_random(c + 1, (size_t)(m - 1) * sizeof(c[0]))) != 0)
		goto out;
	for (k = 1; k < m; k++)
		bytes_to_planes((const uint8_t *)&c[k], &c[k]);
	bytes_to_planes(secret, &c[0]);

	for (i = 0; i < n; i += LANES) {
		/* A short last group repeats x = n; extra lanes are dropped. */
		for (l = 0; l < LANES; l++)
			xs[l] = i + l < n ? i + l + 1 : n;
		eval_group(c, m, xs, y);
		for (l = 0; l < LANES && i + l < n; l++) {
			shares[i + l].x = (uint8_t)xs[l];
			planes_to_bytes(&y[l], shares[i + l].y);
		}
	}
	r = 0;
 out:
	explicit_bzero(c, (size_t)m * sizeof(c[0]));
	explicit_bzero(y, sizeof(y));
	burn_stack();
	return r;
}

int
kr_shamir_combine(const struct kr_shamir_share *shares, size_t count,
    uint8_t m, uint8_t n, uint8_t secret[SECRET])
{
	uint8_t idx[KR_SHAMIR_MAX_SHARES];
	size_t i;
	int r;

	if (secret == NULL || (shares == NULL && count != 0))
		return kr_err_set(KR_ERR_INVALID_ARGUMENT,
		    "kr_shamir_combine: NULL shares or secret");
	if ((r = check_params(m, n)) != 0)
		return r;
	if ((r = check_indexes(shares, count, m, n)) != 0)
		return r;
	if (count < m)
		return kr_err_set(KR_ERR_SHAMIR_TOO_FEW, "%zu of the %u "
		    "shares needed were given; %zu more %s needed", count, m,
		    m - count, m - count == 1 ? "is" : "are");

	for (i = 0; i < m; i++)
		idx[i] = (uint8_t)i;
	interpolate(shares, idx, m, secret);
	burn_stack();
	return 0;
}

/* --- split verification --------------------------------------------------- */

/* min(C(n, k), cap + 1), without overflow. */
static size_t
binomial_capped(unsigned int n, unsigned int k, size_t cap)
{
	size_t c = 1;
	unsigned int i;

	if (k > n - k)
		k = n - k;
	for (i = 1; i <= k; i++) {
		c = c * (n - k + i) / i;	/* C(n - k + i, i), exact */
		if (c > cap)
			return cap + 1;
	}
	return c;
}

size_t
kr_shamir_verify_count(uint8_t m, uint8_t n)
{
	size_t c;

	if (m < 2 || m > n)
		return 0;
	c = binomial_capped(n, m, KR_SHAMIR_VERIFY_MAX);
	return c > KR_SHAMIR_VERIFY_MAX ? KR_SHAMIR_VERIFY_MAX : c;
}

/* Next m-subset of 0..n-1 in lexicographic order; 0 after the last. */
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

/*
 * Which subsets to test is public, so a fast generator seeded once from
 * RAND_bytes() does; it only has to spread the subsets, not hide them.
 */
static uint64_t
splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Moves a random choice of m of perm[0..n-1] to perm[0..m-1]. */
static void
sample_subset(uint8_t *perm, unsigned int m, unsigned int n, uint64_t *s)
{
	unsigned int i, j;
	uint8_t t;

	for (i = 0; i < m; i++) {
		j = i + (unsigned int)(((splitmix64(s) >> 32) * (n - i)) >> 32);
		t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
}

static int
check_subset(const uint8_t secret[SECRET], const struct kr_shamir_share *shares,
    const uint8_t *idx, unsigned int m)
{
	uint8_t got[SECRET];
	char list[128];
	size_t len = 0;
	unsigned int i;
	int bad;

	interpolate(shares, idx, m, got);
	bad = CRYPTO_memcmp(got, secret, SECRET) != 0;
	explicit_bzero(got, sizeof(got));
	if (!bad)
		return 0;

	list[0] = '\0';
	for (i = 0; i < m && len < sizeof(list) - 16; i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%u",
		    i ? "," : "", shares[idx[i]].x);
	if (i < m)
		snprintf(list + len, sizeof(list) - len, ",...");
	return kr_err_set(KR_ERR_SHAMIR_VERIFY, "recombining the %u shares "
	    "x=%s did not give back the secret: the split is faulty; do not "
	    "hand out these shares, split again", m, list);
}

/* Every m-subset, in lexicographic order. */
static int
verify_all(const uint8_t secret[SECRET], const struct kr_shamir_share *shares,
    unsigned int m, unsigned int n)
{
	uint8_t idx[KR_SHAMIR_MAX_SHARES];
	unsigned int i;
	int r;

	for (i = 0; i < m; i++)
		idx[i] = (uint8_t)i;
	do {
		if ((r = check_subset(secret, shares, idx, m)) != 0)
			return r;
	} while (next_subset(idx, m, n));
	return 0;
}

/*
 * KR_SHAMIR_VERIFY_MAX subsets: first a random permutation of the shares cut
 * into ceil(n / m) subsets (the last one takes the permutation's last m), so
 * that every share takes part at least once, then random subsets.
 */
static int
verify_sampled(const uint8_t secret[SECRET],
    const struct kr_shamir_share *shares, unsigned int m, unsigned int n)
{
	uint8_t perm[KR_SHAMIR_MAX_SHARES];
	unsigned int i, ncover, start;
	uint64_t seed = 0;
	int r;

	if (RAND_bytes((unsigned char *)&seed, sizeof(seed)) != 1)
		return kr_err_libcrypto(KR_ERR_SHAMIR_RNG,
		    "RAND_bytes for choosing the subsets to verify");
	for (i = 0; i < n; i++)
		perm[i] = (uint8_t)i;
	sample_subset(perm, n, n, &seed);
	ncover = (n + m - 1) / m;
	for (i = 0; i < ncover; i++) {
		start = (i + 1) * m <= n ? i * m : n - m;
		if ((r = check_subset(secret, shares, perm + start, m)) != 0)
			return r;
	}
	for (i = ncover; i < KR_SHAMIR_VERIFY_MAX; i++) {
		sample_subset(perm, m, n, &seed);
		if ((r = check_subset(secret, shares, perm, m)) != 0)
			return r;
	}
	return 0;
}

int
kr_shamir_verify_split(const uint8_t secret[SECRET],
    const struct kr_shamir_share *shares, uint8_t m, uint8_t n)
{
	int r;

	if (secret == NULL || shares == NULL)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT,
		    "kr_shamir_verify_split: NULL secret or shares");
	if ((r = check_params(m, n)) != 0)
		return r;
	if ((r = check_indexes(shares, n, m, n)) != 0)
		return r;
	if (binomial_capped(n, m, KR_SHAMIR_VERIFY_MAX) <= KR_SHAMIR_VERIFY_MAX)
		r = verify_all(secret, shares, m, n);
	else
		r = verify_sampled(secret, shares, m, n);
	burn_stack();
	return r;
}

void
kr_shamir_set_rng(int (*rng)(void *buf, size_t len))
{
	rng_hook = rng;
}
