/*
 * ct_shamir.c: runs Shamir split and combine with every secret marked
 * undefined for valgrind's memcheck, which then reports any branch
 * ("Conditional jump or move depends on uninitialised value(s)") or memory
 * address ("Use of uninitialised value") computed from a secret.
 *
 * The secret, each byte the random generator hands out, and the shares are
 * marked with VALGRIND_MAKE_MEM_UNDEFINED; share indexes stay defined, as
 * they are public.  Only the final comparison, done here after the library
 * returns, declassifies the result.  tests/integration/t-ct-valgrind.sh
 * runs this program linked with src/crypto/shamir.c (must give no report) and with
 * the same file built with KR_SHAMIR_TABLE_MUL_FOR_TEST, a log/exp table
 * multiply (must give reports), to show the check can fail.
 *
 * Outside valgrind the client requests do nothing and the program simply
 * checks that every combine gives the secret back.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>
#include <valgrind/memcheck.h>

#include "base/err.h"
#include "base/secmem.h"
#include "crypto/shamir.h"

#define S	KR_SHAMIR_SECRET_BYTES

static int
undefined_rng(void *buf, size_t len)
{
	if (RAND_priv_bytes(buf, (int)len) != 1)
		return -1;
	VALGRIND_MAKE_MEM_UNDEFINED(buf, len);
	return 0;
}

static int
run(unsigned int m, unsigned int n)
{
	struct kr_shamir_share *shares;
	uint8_t *secret, *got, a[S], b[S];
	size_t len = (size_t)n * sizeof(*shares), i;
	int r, bad = 0;

	secret = kr_secmem_alloc(S);
	got = kr_secmem_alloc(S);
	shares = kr_secmem_alloc(len);
	if (secret == NULL || got == NULL || shares == NULL) {
		fprintf(stderr, "ct_shamir: secret memory: %s\n",
		    kr_err_detail());
		return 1;
	}
	if (RAND_priv_bytes(secret, S) != 1) {
		fprintf(stderr, "ct_shamir: RAND_priv_bytes failed\n");
		return 1;
	}
	VALGRIND_MAKE_MEM_UNDEFINED(secret, S);

	if ((r = kr_shamir_split(secret, (uint8_t)m, (uint8_t)n,
	    shares)) != 0) {
		fprintf(stderr, "ct_shamir: split %u-of-%u: %s\n", m, n,
		    kr_err_detail());
		return 1;
	}
	for (i = 0; i < n; i++)
		VALGRIND_MAKE_MEM_UNDEFINED(shares[i].y, S);

	/* The last m shares, so that the indexes are not just 1..m. */
	if ((r = kr_shamir_combine(shares + (n - m), m, (uint8_t)m,
	    (uint8_t)n, got)) != 0) {
		fprintf(stderr, "ct_shamir: combine %u-of-%u: %s\n", m, n,
		    kr_err_detail());
		return 1;
	}

	/* Declassify copies, only to check the answer. */
	memcpy(a, secret, S);
	memcpy(b, got, S);
	VALGRIND_MAKE_MEM_DEFINED(a, S);
	VALGRIND_MAKE_MEM_DEFINED(b, S);
	if (memcmp(a, b, S) != 0) {
		fprintf(stderr, "ct_shamir: %u-of-%u: wrong secret\n", m, n);
		bad = 1;
	}
	kr_secmem_free(shares, len);
	kr_secmem_free(got, S);
	kr_secmem_free(secret, S);
	return bad;
}

int
main(void)
{
	static const unsigned int cases[][2] = {
		{ 2, 2 }, { 2, 3 }, { 3, 5 }, { 5, 9 }, { 8, 15 },
		{ 128, 255 }, { 255, 255 },
	};
	size_t i;
	int bad = 0;

	kr_shamir_set_rng(undefined_rng);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		bad |= run(cases[i][0], cases[i][1]);
	printf("ct_shamir: %zu splits and combines %s, %s valgrind\n", i,
	    bad ? "FAILED" : "ok", RUNNING_ON_VALGRIND ? "under" : "not under");
	return bad;
}
