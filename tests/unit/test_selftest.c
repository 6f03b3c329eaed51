/*
 * test_selftest.c: the power-on self-tests pass on good vectors, fail on a
 * single wrong byte of any kind of KAT, refuse tampered GCM data, catch a
 * bad random generator, report an unhardened process, and embed exactly
 * the vectors listed in tests/vectors/selftest-vectors.txt.
 */
#include <sys/prctl.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "base/err.h"
#include "base/harden.h"
#include "base/hex.h"
#include "ceremony/policy.h"
#include "crypto/selftest.h"

#define ALL_KINDS	((1u << KR_KAT_SHA256) | (1u << KR_KAT_SHA384) | \
	(1u << KR_KAT_HMAC_SHA256) | (1u << KR_KAT_AES256GCM_ENC) | \
	(1u << KR_KAT_AES256GCM_DEC))

static const struct kr_kat *
find_kind(enum kr_kat_kind kind)
{
	const struct kr_kat *k;
	size_t i, n;

	k = kr_selftest_kats(&n);
	for (i = 0; i < n; i++)
		if (k[i].kind == kind)
			return &k[i];
	cr_assert_fail("no built-in KAT of kind %d", (int)kind);
	return NULL;
}

static const struct kr_selftest_result *
find_row(const struct kr_selftest_result *res, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(res[i].name, name) == 0)
			return &res[i];
	return NULL;
}

Test(selftest, builtin_kats_pass_and_cover_every_kind)
{
	const struct kr_kat *k;
	char why[160];
	unsigned int kinds = 0;
	size_t i, n;

	k = kr_selftest_kats(&n);
	cr_assert_geq(n, 6, "only %zu built-in KATs", n);
	for (i = 0; i < n; i++) {
		cr_assert_eq(kr_selftest_kat(&k[i], why, sizeof(why)), 0,
		    "built-in KAT '%s' failed: %s", k[i].name, why);
		cr_assert_not_null(k[i].source, "KAT '%s' cites no source",
		    k[i].name);
		kinds |= 1u << k[i].kind;
	}
	cr_assert_eq(kinds, ALL_KINDS, "built-in KATs cover kinds %#x, "
	    "want %#x", kinds, ALL_KINDS);
}

/* The required test: a wrong expected value makes the KAT runner fail. */
Test(selftest, wrong_expected_byte_fails_for_every_kind)
{
	const struct kr_kat *k;
	struct kr_kat bad;
	uint8_t exp[256];
	char why[160];
	unsigned int kinds = 0;
	size_t i, n, pos, which;
	int r;

	k = kr_selftest_kats(&n);
	for (i = 0; i < n; i++) {
		cr_assert_leq(k[i].expectedlen, sizeof(exp),
		    "KAT '%s' too long for the test", k[i].name);
		for (which = 0; which < 3; which++) {
			pos = which == 0 ? 0 : which == 1 ?
			    k[i].expectedlen / 2 : k[i].expectedlen - 1;
			bad = k[i];
			memcpy(exp, k[i].expected, k[i].expectedlen);
			exp[pos] ^= 0x01;
			bad.expected = exp;
			why[0] = '\0';
			r = kr_selftest_kat(&bad, why, sizeof(why));
			cr_assert_eq(r, KR_ERR_SELFTEST_FAILED, "KAT '%s' with "
			    "byte %zu of the expected value flipped returned "
			    "%d, want %d", k[i].name, pos, r,
			    KR_ERR_SELFTEST_FAILED);
			cr_assert(strstr(why, "differs") != NULL, "KAT '%s': "
			    "reason '%s' does not say the output differs",
			    k[i].name, why);
			cr_assert(strstr(kr_err_detail(), k[i].name) != NULL,
			    "error detail '%s' does not name KAT '%s'",
			    kr_err_detail(), k[i].name);
		}
		kinds |= 1u << k[i].kind;
	}
	cr_assert_eq(kinds, ALL_KINDS, "wrong-byte test covered kinds %#x, "
	    "want %#x", kinds, ALL_KINDS);
}

Test(selftest, wrong_expected_length_fails)
{
	const struct kr_kat *k;
	struct kr_kat bad;
	char why[160];
	size_t i, n;

	k = kr_selftest_kats(&n);
	for (i = 0; i < n; i++) {
		bad = k[i];
		bad.expectedlen--;
		cr_assert_eq(kr_selftest_kat(&bad, why, sizeof(why)),
		    KR_ERR_SELFTEST_FAILED, "KAT '%s' with a short expected "
		    "value passed", k[i].name);
	}
}

Test(selftest, wrong_input_fails)
{
	const struct kr_kat *k;
	struct kr_kat bad;
	uint8_t in[256];
	char why[160];
	size_t i, n;

	k = kr_selftest_kats(&n);
	for (i = 0; i < n; i++) {
		bad = k[i];
		memcpy(in, k[i].input, k[i].inputlen);
		in[0] ^= 0x20;
		bad.input = in;
		cr_assert_eq(kr_selftest_kat(&bad, why, sizeof(why)),
		    KR_ERR_SELFTEST_FAILED, "KAT '%s' with a changed input "
		    "passed", k[i].name);
	}
}

Test(selftest, gcm_encrypt_wrong_expected_tag_fails)
{
	struct kr_kat bad = *find_kind(KR_KAT_AES256GCM_ENC);
	uint8_t tag[16];
	char why[160] = "";

	cr_assert_eq(bad.taglen, sizeof(tag), "GCM KAT tag is %zu bytes",
	    bad.taglen);
	memcpy(tag, bad.tag, sizeof(tag));
	tag[7] ^= 0x40;
	bad.tag = tag;
	cr_assert_eq(kr_selftest_kat(&bad, why, sizeof(why)),
	    KR_ERR_SELFTEST_FAILED, "GCM encryption with a wrong expected "
	    "tag passed");
	cr_assert(strstr(why, "tag") != NULL, "reason '%s' does not name the "
	    "tag", why);
}

Test(selftest, gcm_decrypt_tampered_tag_fails)
{
	struct kr_kat bad = *find_kind(KR_KAT_AES256GCM_DEC);
	uint8_t tag[16];
	char why[160] = "";
	size_t i;

	cr_assert_eq(bad.taglen, sizeof(tag), "GCM KAT tag is %zu bytes",
	    bad.taglen);
	for (i = 0; i < sizeof(tag); i += 5) {
		memcpy(tag, find_kind(KR_KAT_AES256GCM_DEC)->tag, sizeof(tag));
		tag[i] ^= 0x01;
		bad.tag = tag;
		cr_assert_eq(kr_selftest_kat(&bad, why, sizeof(why)),
		    KR_ERR_SELFTEST_FAILED, "GCM decryption accepted a tag "
		    "with byte %zu flipped", i);
		cr_assert(strstr(why, "did not verify") != NULL, "reason "
		    "'%s' does not say the tag did not verify", why);
	}
}

Test(selftest, gcm_decrypt_tampered_aad_fails)
{
	struct kr_kat bad = *find_kind(KR_KAT_AES256GCM_DEC);
	uint8_t aad[64];
	char why[160] = "";

	cr_assert_leq(bad.aadlen, sizeof(aad), "AAD too long for the test");
	cr_assert_gt(bad.aadlen, 0, "GCM KAT has no AAD");
	memcpy(aad, bad.aad, bad.aadlen);
	aad[bad.aadlen - 1] ^= 0x01;
	bad.aad = aad;
	cr_assert_eq(kr_selftest_kat(&bad, why, sizeof(why)),
	    KR_ERR_SELFTEST_FAILED, "GCM decryption accepted changed AAD");
	cr_assert(strstr(why, "did not verify") != NULL, "reason '%s' does "
	    "not say the tag did not verify", why);
}

Test(selftest, malformed_kat_is_rejected)
{
	struct kr_kat bad = *find_kind(KR_KAT_AES256GCM_ENC);
	char why[160];

	bad.keylen = 16;
	cr_assert_eq(kr_selftest_kat(&bad, why, sizeof(why)),
	    KR_ERR_INVALID_ARGUMENT, "AES-256-GCM KAT with a 16-byte key "
	    "was not rejected");
	bad = *find_kind(KR_KAT_SHA256);
	bad.kind = (enum kr_kat_kind)99;
	cr_assert_eq(kr_selftest_kat(&bad, why, sizeof(why)),
	    KR_ERR_INVALID_ARGUMENT, "KAT of unknown kind was not rejected");
	bad = *find_kind(KR_KAT_SHA256);
	cr_assert_eq(kr_selftest_kat(&bad, NULL, 0), 0,
	    "KAT without a reason buffer failed");
}

Test(selftest, rng_repetition_test_catches_bad_output)
{
	uint8_t buf[KR_SELFTEST_RNG_BLOCKS * KR_SELFTEST_RNG_BLOCK_BYTES];
	const size_t bl = KR_SELFTEST_RNG_BLOCK_BYTES;
	char why[160] = "";
	size_t i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 1);
	cr_assert_eq(kr_selftest_rng_blocks(buf, KR_SELFTEST_RNG_BLOCKS, bl,
	    why, sizeof(why)), 0, "distinct blocks failed: %s", why);

	memcpy(buf + 5 * bl, buf + 4 * bl, bl);
	cr_assert_eq(kr_selftest_rng_blocks(buf, KR_SELFTEST_RNG_BLOCKS, bl,
	    why, sizeof(why)), KR_ERR_SELFTEST_RNG,
	    "two equal consecutive blocks passed");
	cr_assert(strstr(why, "equal") != NULL, "reason '%s' does not say "
	    "blocks are equal", why);

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 1);
	memset(buf + 9 * bl, 0, bl);
	cr_assert_eq(kr_selftest_rng_blocks(buf, KR_SELFTEST_RNG_BLOCKS, bl,
	    why, sizeof(why)), KR_ERR_SELFTEST_RNG, "an all-zero block passed");
	cr_assert(strstr(why, "zero") != NULL, "reason '%s' does not mention "
	    "the zero block", why);
}

Test(selftest, run_passes_when_hardened)
{
	static const char *const names[] = {
		"SHA-256 KAT", "SHA-384 KAT", "HMAC-SHA-256 KAT 1",
		"HMAC-SHA-256 KAT 2", "AES-256-GCM encrypt KAT",
		"AES-256-GCM decrypt KAT", "AES-256-GCM tamper check",
		"ECDSA P-256 sign/verify", "ECDSA P-384 sign/verify",
		"ECDSA P-521 sign/verify", "Ed25519 sign/verify",
		"Ed448 sign/verify", "RSA-2048-PSS sign/verify",
		"RSA-3072-PSS sign/verify", "RSA-4096-PSS sign/verify",
		"DRBG seeded (RAND_status)", "DRBG health (RAND_bytes)",
		"getrandom(2) health", "OpenSSL secure heap active",
		"process hardened", "OpenSSL version",
	};
	struct kr_selftest_result res[KR_SELFTEST_MAX_RESULTS];
	struct kr_harden_status st;
	size_t i, n = 0;
	int r;

	cr_assert_eq(kr_harden_process(&st), 0, "kr_harden_process: %s",
	    kr_err_detail());
	cr_assert_eq(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0,
	    "process is still dumpable after hardening");
	r = kr_selftest_run(res, KR_SELFTEST_MAX_RESULTS, &n);
	for (i = 0; i < n; i++)
		cr_expect(res[i].ok, "row '%s' failed: %s", res[i].name,
		    res[i].detail);
	cr_assert_eq(r, 0, "kr_selftest_run returned %d: %s", r,
	    kr_err_detail());
	cr_assert_eq(n, sizeof(names) / sizeof(names[0]), "%zu rows, want %zu",
	    n, sizeof(names) / sizeof(names[0]));
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		cr_assert_not_null(find_row(res, n, names[i]), "no row '%s'",
		    names[i]);
	cr_assert(strstr(find_row(res, n, "OpenSSL version")->detail,
	    "OpenSSL 3") != NULL, "version row '%s' does not name OpenSSL 3",
	    find_row(res, n, "OpenSSL version")->detail);
}

/* Criterion runs each test in its own process, so this one is unhardened. */
Test(selftest, run_fails_when_not_hardened)
{
	struct kr_selftest_result res[KR_SELFTEST_MAX_RESULTS];
	const struct kr_selftest_result *h, *sh;
	size_t i, n = 0;
	int r;

	cr_assert_neq(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0,
	    "test process unexpectedly non-dumpable before hardening");
	r = kr_selftest_run(res, KR_SELFTEST_MAX_RESULTS, &n);
	cr_assert_eq(r, KR_ERR_SELFTEST_FAILED, "unhardened run returned %d",
	    r);
	cr_assert_not_null(h = find_row(res, n, "process hardened"),
	    "no hardening row");
	cr_assert(!h->ok, "hardening row passed in a dumpable process: %s",
	    h->detail);
	cr_assert(strstr(h->detail, "dumpable") != NULL, "hardening detail "
	    "'%s' does not say why", h->detail);
	cr_assert_not_null(sh = find_row(res, n, "OpenSSL secure heap active"),
	    "no secure heap row");
	cr_assert(!sh->ok, "secure heap row passed without a secure heap");
	for (i = 0; i < n; i++)
		if (res[i].ok == 0)
			cr_assert(&res[i] == h || &res[i] == sh, "row '%s' "
			    "failed: %s", res[i].name, res[i].detail);
	cr_assert(strstr(kr_err_detail(), "2 of") != NULL, "detail '%s' does "
	    "not count 2 failures", kr_err_detail());
}

Test(selftest, run_reports_too_few_rows)
{
	struct kr_selftest_result res[3];
	size_t n = 99;

	cr_assert_eq(kr_selftest_run(res, 3, &n), KR_ERR_INVALID_ARGUMENT,
	    "kr_selftest_run with room for 3 rows did not complain");
	cr_assert_eq(n, 3, "n is %zu, want the 3 rows that fit", n);
	cr_assert_str_eq(res[0].name, "SHA-256 KAT", "first row is '%s'",
	    res[0].name);
}

/* One vector of tests/vectors/selftest-vectors.txt. */
struct filevec {
	char		name[64];
	char		kind[32];
	uint8_t		f[6][256];	/* key, iv, aad, input, expected, tag */
	size_t		len[6];
};

static const char *const fields[6] = {
	"key", "iv", "aad", "input", "expected", "tag"
};

static void
parse_line(struct filevec *v, char *line, int lineno)
{
	char *eq, *val, *end;
	size_t i, hexlen;

	if ((eq = strstr(line, " = ")) == NULL)
		cr_assert_fail("vectors line %d: no ' = '", lineno);
	*eq = '\0';
	val = eq + 3;
	end = val + strlen(val);
	while (end > val && (end[-1] == '\n' || end[-1] == ' '))
		*--end = '\0';
	if (strcmp(line, "kind") == 0) {
		cr_assert_lt(strlen(val), sizeof(v->kind),
		    "vectors line %d: kind too long", lineno);
		memcpy(v->kind, val, strlen(val) + 1);
		return;
	}
	if (strcmp(line, "source") == 0)
		return;
	for (i = 0; i < 6; i++)
		if (strcmp(line, fields[i]) == 0)
			break;
	cr_assert_lt(i, 6, "vectors line %d: unknown field '%s'", lineno,
	    line);
	hexlen = strlen(val);
	cr_assert(hexlen % 2 == 0 && hexlen / 2 <= sizeof(v->f[i]),
	    "vectors line %d: bad hex length %zu", lineno, hexlen);
	cr_assert_eq(kr_hex_decode(val, v->f[i], hexlen / 2), 0,
	    "vectors line %d: bad hex", lineno);
	v->len[i] = hexlen / 2;
}

static size_t
read_vectors(struct filevec *v, size_t max)
{
	char path[4096], line[1024];
	const char *top = getenv("KR_TOP");
	FILE *f;
	size_t n = 0;
	int lineno = 0;

	snprintf(path, sizeof(path), "%s/tests/vectors/selftest-vectors.txt",
	    top != NULL ? top : ".");
	cr_assert_not_null(f = fopen(path, "r"), "cannot open %s (run from "
	    "the top of the tree or set KR_TOP)", path);
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (line[0] == '[') {
			cr_assert_lt(n, max, "too many vectors in %s", path);
			memset(&v[n], 0, sizeof(v[n]));
			line[strcspn(line, "]")] = '\0';
			cr_assert_lt(strlen(line + 1), sizeof(v[n].name),
			    "%s line %d: name too long", path, lineno);
			memcpy(v[n].name, line + 1, strlen(line + 1) + 1);
			n++;
			continue;
		}
		cr_assert_gt(n, 0, "%s line %d: field before any [name]",
		    path, lineno);
		parse_line(&v[n - 1], line, lineno);
	}
	fclose(f);
	return n;
}

Test(selftest, embedded_vectors_match_vectors_file)
{
	static const char *const kindnames[] = {
		"SHA256", "SHA384", "HMAC_SHA256", "AES256GCM_ENC",
		"AES256GCM_DEC"
	};
	static struct filevec fv[16];
	const struct kr_kat *k;
	const uint8_t *p[6];
	size_t lens[6];
	size_t i, j, f, n, nf;

	nf = read_vectors(fv, 16);
	k = kr_selftest_kats(&n);
	cr_assert_eq(nf, n, "vectors file has %zu vectors, selftest.c %zu",
	    nf, n);
	for (i = 0; i < n; i++) {
		for (j = 0; j < nf; j++)
			if (strcmp(fv[j].name, k[i].name) == 0)
				break;
		cr_assert_lt(j, nf, "KAT '%s' is not in the vectors file",
		    k[i].name);
		cr_assert_str_eq(fv[j].kind, kindnames[k[i].kind],
		    "KAT '%s': kind %s in the file", k[i].name, fv[j].kind);
		p[0] = k[i].key; lens[0] = k[i].keylen;
		p[1] = k[i].iv; lens[1] = k[i].ivlen;
		p[2] = k[i].aad; lens[2] = k[i].aadlen;
		p[3] = k[i].input; lens[3] = k[i].inputlen;
		p[4] = k[i].expected; lens[4] = k[i].expectedlen;
		p[5] = k[i].tag; lens[5] = k[i].taglen;
		for (f = 0; f < 6; f++) {
			cr_assert_eq(fv[j].len[f], lens[f], "KAT '%s' field "
			    "%s: %zu bytes in the file, %zu embedded",
			    k[i].name, fields[f], fv[j].len[f], lens[f]);
			cr_assert(lens[f] == 0 ||
			    memcmp(fv[j].f[f], p[f], lens[f]) == 0,
			    "KAT '%s' field %s differs from the vectors file",
			    k[i].name, fields[f]);
		}
	}
}

/* The RSA rows sign with exactly the keys published in tests/vectors/. */
Test(selftest, fixed_keys_are_the_published_ones)
{
	static const unsigned int bits[] = { 2048, 3072, 4096 };
	char path[128], *text;
	FILE *f;
	size_t i, n;

	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "tests/vectors/selftest-rsa%u.pem",
		    bits[i]);
		cr_assert_not_null(f = fopen(path, "r"), "open %s", path);
		cr_assert_not_null(text = calloc(1, 8192), "calloc");
		n = fread(text, 1, 8191, f);
		fclose(f);
		cr_assert_gt(n, 0, "%s is empty", path);
		cr_assert_not_null(kr_selftest_fixed_key(bits[i]), "no key for "
		    "RSA-%u", bits[i]);
		cr_assert_str_eq(kr_selftest_fixed_key(bits[i]), text,
		    "the RSA-%u key in selftest.c differs from %s", bits[i],
		    path);
		free(text);
	}
}

/*
 * Every algorithm the shipped policy allows in any class has a passing
 * pairwise row, so a ceremony never uses an algorithm the power-on tests
 * did not exercise.
 */
Test(selftest, every_policy_algorithm_is_tested)
{
	static const struct { const char *alg, *row; } map[] = {
		{ "ecdsa-p256", "ECDSA P-256 sign/verify" },
		{ "ecdsa-p384", "ECDSA P-384 sign/verify" },
		{ "ecdsa-p521", "ECDSA P-521 sign/verify" },
		{ "ed25519", "Ed25519 sign/verify" },
		{ "ed448", "Ed448 sign/verify" },
		{ "rsa-2048", "RSA-2048-PSS sign/verify" },
		{ "rsa-3072", "RSA-3072-PSS sign/verify" },
		{ "rsa-4096", "RSA-4096-PSS sign/verify" },
		/*
		 * Imported symmetric keys: keyrite only computes their key
		 * check value (HMAC-SHA-256) and seals them (AES-256-GCM,
		 * its own row) with an ecdsa-p384 seal key (its row above).
		 */
		{ "aes-256", "HMAC-SHA-256 KAT 1" },
		{ "hmac-sha256", "HMAC-SHA-256 KAT 1" },
	};
	struct kr_selftest_result res[KR_SELFTEST_MAX_RESULTS];
	struct kr_policy *p = NULL;
	const struct kr_selftest_result *row;
	const struct kr_policy_class *c;
	size_t i, j, k, n = 0;

	cr_assert_eq(kr_harden_process(NULL), 0, "harden");
	(void)kr_selftest_run(res, KR_SELFTEST_MAX_RESULTS, &n);
	cr_assert_eq(kr_policy_load("ceremony-scripts/policy.conf", &p), 0,
	    "policy: %s", kr_err_detail());
	for (i = 0; kr_policy_class_name_at(i) != NULL; i++) {
		c = kr_policy_class(p, kr_policy_class_name_at(i));
		for (j = 0; j < c->nalgorithms; j++) {
			for (k = 0; k < sizeof(map) / sizeof(map[0]); k++)
				if (strcmp(map[k].alg, c->algorithms[j]) == 0)
					break;
			cr_assert_lt(k, sizeof(map) / sizeof(map[0]), "class "
			    "%s allows %s, which no self-test row covers",
			    c->name, c->algorithms[j]);
			row = find_row(res, n, map[k].row);
			cr_assert_not_null(row, "no row '%s'", map[k].row);
			cr_assert(row->ok, "row '%s' failed: %s", map[k].row,
			    row->detail);
		}
	}
	kr_policy_free(p);
}
