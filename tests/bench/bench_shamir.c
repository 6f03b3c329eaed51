/*
 * bench_shamir.c: keyrite's Shamir split and combine against libgfshare.
 *
 * Both sides do the same work: a 32-byte secret, coefficients from
 * OpenSSL's RAND_priv_bytes() (installed as libgfshare's gfshare_fill_rand),
 * every share of a split computed, and libgfshare given a new context per
 * operation, as a caller holding one secret at a time would.  Each figure is
 * the best of several short rounds, the two libraries alternating, so that
 * frequency changes hit both alike.  Informational: exits 0 whatever the
 * ratios, 1 only if either library gives a wrong secret.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libgfshare.h>
#include <openssl/rand.h>

#include "base/err.h"
#include "crypto/shamir.h"

#define S		KR_SHAMIR_SECRET_BYTES
#define ROUNDS		5
#define ROUND_SECS	0.15

static uint8_t secret[S];
static struct kr_shamir_share shares[KR_SHAMIR_MAX_SHARES];
static uint8_t gf_shares[KR_SHAMIR_MAX_SHARES][S];
static uint8_t sharenrs[KR_SHAMIR_MAX_SHARES];
static volatile uint8_t sink;
static int wrong;

static void
fill_rand_openssl(unsigned char *buf, unsigned int len)
{
	if (RAND_priv_bytes(buf, (int)len) != 1) {
		fprintf(stderr, "bench: RAND_priv_bytes failed\n");
		exit(1);
	}
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
check(const uint8_t *got, const char *who)
{
	if (memcmp(got, secret, S) != 0 && !wrong) {
		fprintf(stderr, "bench: %s recombined a wrong secret\n", who);
		wrong = 1;
	}
}

/* --- one operation each --------------------------------------------------- */

static void
kr_split(unsigned int m, unsigned int n)
{
	int r;

	r = kr_shamir_split(secret, (uint8_t)m, (uint8_t)n, shares);
	if (r != 0) {
		fprintf(stderr, "bench: split: %s: %s\n", kr_strerror(r),
		    kr_err_detail());
		exit(1);
	}
}

static void
kr_combine(unsigned int m, unsigned int n)
{
	uint8_t got[S];
	int r;

	/* The last m shares, so that the x's are not simply 1..m. */
	if ((r = kr_shamir_combine(shares + (n - m), m, (uint8_t)m,
	    (uint8_t)n, got)) != 0) {
		fprintf(stderr, "bench: combine: %s: %s\n", kr_strerror(r),
		    kr_err_detail());
		exit(1);
	}
	check(got, "keyrite");
	sink ^= got[0];
}

static void
gf_split(unsigned int m, unsigned int n)
{
	gfshare_ctx *ctx;
	unsigned int i;

	for (i = 0; i < n; i++)
		sharenrs[i] = (uint8_t)(i + 1);
	if ((ctx = gfshare_ctx_init_enc(sharenrs, n, (unsigned char)m,
	    S)) == NULL) {
		fprintf(stderr, "bench: gfshare_ctx_init_enc failed\n");
		exit(1);
	}
	gfshare_ctx_enc_setsecret(ctx, secret);
	for (i = 0; i < n; i++)
		gfshare_ctx_enc_getshare(ctx, (unsigned char)i, gf_shares[i]);
	gfshare_ctx_free(ctx);
}

static void
gf_combine(unsigned int m, unsigned int n)
{
	unsigned char nrs[KR_SHAMIR_MAX_SHARES];
	uint8_t got[S];
	gfshare_ctx *ctx;
	unsigned int i;

	for (i = 0; i < m; i++)
		nrs[i] = (unsigned char)(n - m + i + 1);
	if ((ctx = gfshare_ctx_init_dec(nrs, m, S)) == NULL) {
		fprintf(stderr, "bench: gfshare_ctx_init_dec failed\n");
		exit(1);
	}
	for (i = 0; i < m; i++)
		gfshare_ctx_dec_giveshare(ctx, (unsigned char)i,
		    gf_shares[n - m + i]);
	gfshare_ctx_dec_extract(ctx, got);
	gfshare_ctx_free(ctx);
	check(got, "libgfshare");
	sink ^= got[0];
}

/* --- measurement ---------------------------------------------------------- */

struct op {
	void	(*split)(unsigned int, unsigned int);
	void	(*combine)(unsigned int, unsigned int);
};

static const struct op keyrite = { kr_split, kr_combine };
static const struct op gfshare = { gf_split, gf_combine };

enum what { SPLIT_COMBINE, SPLIT, COMBINE };

/* Operations per second over one round of about ROUND_SECS. */
static double
round_rate(const struct op *o, enum what w, unsigned int m, unsigned int n)
{
	double start, t;
	unsigned long ops = 0, batch = 1, i;

	if (w == COMBINE)
		o->split(m, n);	/* shares to combine */
	start = now();
	do {
		for (i = 0; i < batch; i++) {
			if (w != COMBINE)
				o->split(m, n);
			if (w != SPLIT)
				o->combine(m, n);
		}
		ops += batch;
		if (batch < 1024)
			batch *= 2;
		t = now() - start;
	} while (t < ROUND_SECS);
	return (double)ops / t;
}

static void
row(const char *label, enum what w, unsigned int m, unsigned int n,
    double target)
{
	double k = 0, g = 0, r;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		if ((r = round_rate(&keyrite, w, m, n)) > k)
			k = r;
		if ((r = round_rate(&gfshare, w, m, n)) > g)
			g = r;
	}
	printf("%-26s %12.0f %14.0f %8.2fx  >= %.1fx   %s\n", label, k, g,
	    k / g, target, k / g >= target ? "PASS" : "BELOW TARGET");
}

int
main(void)
{
	if (RAND_priv_bytes(secret, S) != 1) {
		fprintf(stderr, "bench: RAND_priv_bytes failed\n");
		return 1;
	}
	gfshare_fill_rand = fill_rand_openssl;

	printf("Shamir over GF(2^8), 32-byte secret, best of %d rounds.\n"
	    "Both sides: coefficients from RAND_priv_bytes; libgfshare: a "
	    "new context per operation.\n\n", ROUNDS);
	printf("%-26s %12s %14s %9s  %-8s  %s\n", "operation", "keyrite/s",
	    "libgfshare/s", "ratio", "target", "result");
	row("3-of-5 split+combine", SPLIT_COMBINE, 3, 5, 1.2);
	row("128-of-255 split", SPLIT, 128, 255, 1.0);
	row("128-of-255 combine", COMBINE, 128, 255, 0.5);
	if (wrong)
		return 1;
	return 0;
}
