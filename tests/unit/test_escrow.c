/*
 * test_escrow.c: escrow packages and quorum recovery, end to end in memory:
 * generate, seal, split, recover, open, match, for every algorithm; every
 * altered byte of a package refused; bad, foreign, duplicate and too few
 * shares named; no byte of the KEK left in freed secret memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "base/err.h"
#include "base/harden.h"
#include "base/hex.h"
#include "base/secmem.h"
#include "crypto/escrow.h"
#include "crypto/key.h"
#include "crypto/quorum.h"
#include "crypto/share.h"

struct pkg {
	struct kr_escrow	*e;
	EVP_PKEY		*key;
	uint8_t			*kek;
	uint8_t			*shares;	/* n * KR_SHARE_BYTES */
	size_t			 shareslen;
};

static void
setup(void)
{
	cr_assert_eq(kr_harden_process(NULL), 0, "harden: %s",
	    kr_err_detail());
}

static void
make_pkg(struct pkg *p, const char *alg, uint8_t m, uint8_t n,
    const uint8_t *kek_in, EVP_PKEY *reuse)
{
	unsigned int i;

	memset(p, 0, sizeof(*p));
	if (reuse != NULL) {
		cr_assert_eq(EVP_PKEY_up_ref(reuse), 1, "up_ref");
		p->key = reuse;
	} else
		cr_assert_eq(kr_key_generate(kr_key_alg_find(alg), &p->key),
		    0, "generate %s: %s", alg, kr_err_detail());
	cr_assert_not_null(p->e = kr_escrow_new(m, n), "escrow_new");
	cr_assert_eq(kr_escrow_set_key(p->e, p->key), 0, "set_key: %s",
	    kr_err_detail());
	strcpy(p->e->key_class, "root-ca");
	strcpy(p->e->policy_name, "default");
	memset(p->e->policy_hash, 0x42, sizeof(p->e->policy_hash));
	kr_escrow_now(p->e->created);
	kr_escrow_set_cryptoperiod(p->e, time(NULL), 7305);
	for (i = 0; i < n; i++) {
		snprintf(p->e->roster[i].name, sizeof(p->e->roster[i].name),
		    "Custodian Nummer %u \xc3\xa9", i + 1);
		snprintf(p->e->roster[i].card, sizeof(p->e->roster[i].card),
		    "custodian-%u", i + 1);
		snprintf(p->e->roster[i].serial,
		    sizeof(p->e->roster[i].serial), "%016x", 0xabc00 + i);
	}
	cr_assert_not_null(p->kek = kr_secmem_alloc(KR_KEK_BYTES), "kek");
	if (kek_in != NULL)
		memcpy(p->kek, kek_in, KR_KEK_BYTES);
	else
		cr_assert_eq(RAND_priv_bytes(p->kek, KR_KEK_BYTES), 1, "rand");
	p->shareslen = (size_t)n * KR_SHARE_BYTES;
	cr_assert_not_null(p->shares = kr_secmem_alloc(p->shareslen), "sh");
	cr_assert_eq(kr_quorum_split(p->e, p->kek, p->shares), 0, "split: %s",
	    kr_err_detail());
	cr_assert_eq(kr_escrow_seal(p->e, p->key, p->kek), 0, "seal: %s",
	    kr_err_detail());
}

static void
free_pkg(struct pkg *p)
{
	kr_escrow_free(p->e);
	EVP_PKEY_free(p->key);
	kr_secmem_free(p->kek, KR_KEK_BYTES);
	kr_secmem_free(p->shares, p->shareslen);
}

static const uint8_t *
share_of(const struct pkg *p, unsigned int x)
{
	return p->shares + (size_t)(x - 1) * KR_SHARE_BYTES;
}

/* Recovers from the given indexes (1-based) and opens the package. */
static int
recover_open(const struct kr_escrow *e, const struct pkg *from,
    const unsigned int *xs, size_t count, struct kr_quorum_verdict *v,
    EVP_PKEY **keyp)
{
	struct kr_quorum_input in[16];
	char names[16][32];
	uint8_t *kek;
	size_t i;
	int r;

	for (i = 0; i < count; i++) {
		snprintf(names[i], sizeof(names[i]), "card custodian-%u",
		    xs[i]);
		in[i].source = names[i];
		in[i].data = share_of(from, xs[i]);
		in[i].len = KR_SHARE_BYTES;
	}
	cr_assert_not_null(kek = kr_secmem_alloc(KR_KEK_BYTES), "kek");
	r = kr_quorum_recover(e, in, count, v, kek);
	if (r == 0 && keyp != NULL)
		r = kr_escrow_open(e, kek, keyp);
	kr_secmem_free(kek, KR_KEK_BYTES);
	return r;
}

Test(escrow, round_trip_every_algorithm, .init = setup, .timeout = 120)
{
	const struct kr_key_alg *alg;
	size_t i;

	for (i = 0; (alg = kr_key_alg_at(i)) != NULL; i++) {
		const char *name = kr_key_alg_name(alg);
		struct pkg p;
		struct kr_escrow *parsed = NULL;
		struct kr_quorum_verdict v[3];
		static const unsigned int xs[] = { 5, 2, 4 };
		EVP_PKEY *got = NULL;
		char *text = NULL;
		size_t len = 0;

		make_pkg(&p, name, 3, 5, NULL, NULL);
		cr_assert_eq(kr_escrow_encode(p.e, &text, &len), 0,
		    "%s: encode: %s", name, kr_err_detail());
		cr_assert_eq(kr_escrow_parse(text, len, "t.escrow", &parsed),
		    0, "%s: parse: %s", name, kr_err_detail());
		cr_assert_eq(recover_open(parsed, &p, xs, 3, v, &got), 0,
		    "%s: recover/open: %s", name, kr_err_detail());
		cr_assert_eq(EVP_PKEY_eq(got, p.key), 1, "%s: key differs",
		    name);
		cr_assert(v[0].used && v[1].used && v[2].used, "%s: unused",
		    name);
		EVP_PKEY_free(got);
		kr_escrow_free(parsed);
		free(text);
		free_pkg(&p);
	}
	cr_assert_geq(i, 7, "only %zu algorithms", i);
	cr_assert_eq(kr_secmem_live(), 0, "secret memory leaked");
}

Test(escrow, every_subset_recovers, .init = setup)
{
	struct pkg p;
	struct kr_quorum_verdict v[3];
	unsigned int a, b, c, tried = 0;

	make_pkg(&p, "ecdsa-p256", 3, 5, NULL, NULL);
	for (a = 1; a <= 5; a++)
		for (b = a + 1; b <= 5; b++)
			for (c = b + 1; c <= 5; c++) {
				unsigned int xs[3] = { c, a, b };
				EVP_PKEY *got = NULL;

				cr_assert_eq(recover_open(p.e, &p, xs, 3, v,
				    &got), 0, "subset %u,%u,%u: %s", a, b, c,
				    kr_err_detail());
				EVP_PKEY_free(got);
				tried++;
			}
	cr_assert_eq(tried, 10, "C(5,3) subsets");
	free_pkg(&p);
}

Test(escrow, too_few_shares_say_how_many_more, .init = setup)
{
	struct pkg p;
	struct kr_quorum_verdict v[2];
	static const unsigned int xs[] = { 1, 3 };

	make_pkg(&p, "ecdsa-p256", 3, 5, NULL, NULL);
	cr_assert_eq(recover_open(p.e, &p, xs, 2, v, NULL),
	    KR_ERR_SHAMIR_TOO_FEW, "2 of 3 accepted");
	cr_assert_not_null(strstr(kr_err_detail(), "1 more custodian card"),
	    "detail: %s", kr_err_detail());
	free_pkg(&p);
}

Test(escrow, foreign_damaged_duplicate_named, .init = setup)
{
	struct pkg p, other, resplit;
	struct kr_quorum_input in[6];
	struct kr_quorum_verdict v[6];
	uint8_t damaged[KR_SHARE_BYTES], *kek;
	EVP_PKEY *got = NULL;

	make_pkg(&p, "ecdsa-p256", 3, 5, NULL, NULL);
	make_pkg(&other, "ecdsa-p256", 3, 5, NULL, NULL);
	make_pkg(&resplit, NULL, 3, 5, NULL, p.key);	/* same key, new set */
	memcpy(damaged, share_of(&p, 2), sizeof(damaged));
	damaged[50] ^= 0x04;

	in[0] = (struct kr_quorum_input){ "card stranger", share_of(&other, 1),
	    KR_SHARE_BYTES };
	in[1] = (struct kr_quorum_input){ "card old-roster",
	    share_of(&resplit, 1), KR_SHARE_BYTES };
	in[2] = (struct kr_quorum_input){ "card damaged", damaged,
	    KR_SHARE_BYTES };
	in[3] = (struct kr_quorum_input){ "card c4", share_of(&p, 4),
	    KR_SHARE_BYTES };
	in[4] = (struct kr_quorum_input){ "card c4-again", share_of(&p, 4),
	    KR_SHARE_BYTES };
	in[5] = (struct kr_quorum_input){ "card c5", share_of(&p, 5),
	    KR_SHARE_BYTES };
	cr_assert_not_null(kek = kr_secmem_alloc(KR_KEK_BYTES), "kek");
	cr_assert_eq(kr_quorum_recover(p.e, in, 6, v, kek),
	    KR_ERR_SHAMIR_TOO_FEW, "recovered from 2 good shares");
	cr_assert_eq(v[0].status, KR_ERR_SHARE_FOREIGN_KEY, "foreign key: %d",
	    v[0].status);
	cr_assert_not_null(strstr(v[0].detail, "card stranger"), "%s",
	    v[0].detail);
	cr_assert_eq(v[1].status, KR_ERR_SHARE_FOREIGN_SET, "mixed set: %d",
	    v[1].status);
	cr_assert_not_null(strstr(v[1].detail, "card old-roster"), "%s",
	    v[1].detail);
	cr_assert_eq(v[2].status, KR_ERR_SHARE_CHECKSUM, "damaged: %d",
	    v[2].status);
	cr_assert_not_null(strstr(v[2].detail, "card damaged"), "%s",
	    v[2].detail);
	cr_assert_eq(v[3].status, 0, "good share refused: %s", v[3].detail);
	cr_assert_eq(v[4].status, KR_ERR_SHAMIR_DUPLICATE, "duplicate: %d",
	    v[4].status);
	cr_assert_not_null(strstr(v[4].detail, "card c4-again"), "%s",
	    v[4].detail);
	cr_assert_not_null(strstr(kr_err_detail(), "card stranger"),
	    "summary does not name the bad cards: %s", kr_err_detail());

	/* One more good card and recovery goes through despite the bad. */
	in[0] = (struct kr_quorum_input){ "card c1", share_of(&p, 1),
	    KR_SHARE_BYTES };
	cr_assert_eq(kr_quorum_recover(p.e, in, 6, v, kek), 0, "recover: %s",
	    kr_err_detail());
	cr_assert_eq(kr_escrow_open(p.e, kek, &got), 0, "open: %s",
	    kr_err_detail());
	EVP_PKEY_free(got);
	kr_secmem_free(kek, KR_KEK_BYTES);
	free_pkg(&p);
	free_pkg(&other);
	free_pkg(&resplit);
}

Test(escrow, every_altered_byte_refused, .init = setup, .timeout = 300)
{
	struct pkg p;
	char *text = NULL, *meta = NULL;
	size_t len = 0, metalen = 0, i;
	unsigned int integrity = 0, format = 0;

	make_pkg(&p, "ed25519", 2, 3, NULL, NULL);
	cr_assert_eq(kr_escrow_encode(p.e, &text, &len), 0, "encode");
	cr_assert_eq(kr_escrow_metadata(p.e, &meta, &metalen), 0, "meta");
	cr_assert_eq(memcmp(text, meta, metalen), 0, "AAD is not the prefix");
	for (i = 0; i < len; i++) {
		struct kr_escrow *e = NULL;
		EVP_PKEY *got = NULL;
		int r;

		text[i] ^= 0x01;
		r = kr_escrow_parse(text, len, "t.escrow", &e);
		if (r == 0) {
			r = kr_escrow_open(e, p.kek, &got);
			cr_assert_eq(r, KR_ERR_ESCROW_INTEGRITY, "byte %zu "
			    "(%s): altered package opened (r=%d)", i,
			    i < metalen ? "metadata" : "sealed part", r);
			cr_assert_not_null(strstr(kr_err_detail(),
			    "altered"), "byte %zu: %s", i, kr_err_detail());
			integrity++;
		} else {
			cr_assert(r == KR_ERR_ESCROW_FORMAT ||
			    r == KR_ERR_ESCROW_VERSION, "byte %zu: r=%d", i, r);
			cr_assert_not_null(strstr(kr_err_detail(),
			    "t.escrow"), "byte %zu: file not named: %s", i,
			    kr_err_detail());
			format++;
		}
		EVP_PKEY_free(got);
		kr_escrow_free(e);
		text[i] ^= 0x01;
	}
	/* Both paths must really be exercised. */
	cr_assert_gt(integrity, 100, "only %u bytes reached the GCM check",
	    integrity);
	cr_assert_gt(format, 10, "only %u bytes failed parsing", format);
	free(text);
	free(meta);
	free_pkg(&p);
}

Test(escrow, every_metadata_field_is_bound, .init = setup)
{
	struct pkg p;
	EVP_PKEY *got = NULL;
	size_t i;

	make_pkg(&p, "ecdsa-p256", 2, 3, NULL, NULL);
	/* Sealed bytes: every one. */
	for (i = 0; i < p.e->sealed_len; i++) {
		p.e->sealed[i] ^= 0x80;
		cr_assert_eq(kr_escrow_open(p.e, p.kek, &got),
		    KR_ERR_ESCROW_INTEGRITY, "sealed byte %zu", i);
		p.e->sealed[i] ^= 0x80;
	}
	/* Metadata fields changed in ways the parser would accept. */
	strcpy(p.e->roster[1].name, "Mallory");
	cr_assert_eq(kr_escrow_open(p.e, p.kek, &got),
	    KR_ERR_ESCROW_INTEGRITY, "renamed custodian opened");
	strcpy(p.e->roster[1].name, "Custodian Nummer 2 \xc3\xa9");
	p.e->created[3] ^= 1;
	cr_assert_eq(kr_escrow_open(p.e, p.kek, &got),
	    KR_ERR_ESCROW_INTEGRITY, "changed date opened");
	p.e->created[3] ^= 1;
	p.e->nonce[0] ^= 1;
	cr_assert_eq(kr_escrow_open(p.e, p.kek, &got),
	    KR_ERR_ESCROW_INTEGRITY, "changed nonce opened");
	p.e->nonce[0] ^= 1;
	cr_assert_eq(kr_escrow_open(p.e, p.kek, &got), 0, "restored: %s",
	    kr_err_detail());
	EVP_PKEY_free(got);
	free_pkg(&p);
}

Test(escrow, parser_names_line, .init = setup)
{
	static const char *cases[][2] = {
		{ "keyrite-escrow: 3\n", "version" },
		{ "hello\n", "not a keyrite escrow package" },
		{ "keyrite-escrow: 1\nkey-id: zz\n", "line 2" },
		{ "keyrite-escrow: 1", "line 1" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kr_escrow *e = NULL;

		cr_assert_neq(kr_escrow_parse(cases[i][0],
		    strlen(cases[i][0]), "x.escrow", &e), 0, "case %zu", i);
		cr_assert_null(e, "output set on failure");
		cr_assert_not_null(strstr(kr_err_detail(), cases[i][1]),
		    "case %zu: '%s' not in: %s", i, cases[i][1],
		    kr_err_detail());
	}
}

static const uint8_t known_kek[KR_KEK_BYTES] = {
	0x4b, 0x45, 0x4b, 0x21, 0x91, 0x2a, 0x3c, 0x77, 0x08, 0xe4, 0x5d,
	0x1f, 0xc3, 0x66, 0xb0, 0x29, 0x9e, 0x71, 0x0d, 0x84, 0xf2, 0x35,
	0x5a, 0xc8, 0x13, 0x6f, 0xa7, 0x40, 0xdb, 0x92, 0x2e, 0x58,
};
static unsigned int kek_found, regions_scanned;

static void
scan_for_kek(const void *region, size_t len)
{
	const uint8_t *r = region;
	size_t i, j;

	regions_scanned++;
	/* Any 4-byte window of the KEK counts as a remnant. */
	for (i = 0; i + 4 <= len; i++)
		for (j = 0; j + 4 <= KR_KEK_BYTES; j++)
			if (r[i] == known_kek[j] &&
			    memcmp(r + i, known_kek + j, 4) == 0)
				kek_found++;
}

Test(escrow, no_kek_left_in_freed_memory, .init = setup)
{
	struct pkg p;
	struct kr_quorum_verdict v[3];
	static const unsigned int xs[] = { 1, 2, 3 };
	EVP_PKEY *got = NULL;

	kek_found = regions_scanned = 0;
	kr_secmem_set_free_hook(scan_for_kek);
	make_pkg(&p, "ecdsa-p256", 3, 4, known_kek, NULL);
	cr_assert_eq(recover_open(p.e, &p, xs, 3, v, &got), 0, "recover: %s",
	    kr_err_detail());
	EVP_PKEY_free(got);
	free_pkg(&p);
	kr_secmem_set_free_hook(NULL);
	cr_assert_gt(regions_scanned, 5, "only %u regions scanned",
	    regions_scanned);
	cr_assert_eq(kek_found, 0, "%u KEK fragments survived a free",
	    kek_found);
	cr_assert_eq(kr_secmem_live(), 0, "secret memory leaked");
}

/* --- version 2: cryptoperiod, supersedes, symmetric keys, version 1 ---- */

static char *
read_vector(const char *name, size_t *lenp)
{
	const char *top = getenv("KR_TOP");
	char path[4096];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/tests/vectors/%s", top ? top : ".",
	    name);
	cr_assert_not_null(f = fopen(path, "rb"), "open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	cr_assert_not_null(buf = malloc((size_t)n + 1), "malloc");
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n, "read %s", path);
	fclose(f);
	buf[n] = '\0';
	*lenp = (size_t)n;
	return buf;
}

Test(escrow, version_1_still_read_and_reencoded, .init = setup)
{
	struct kr_escrow *e = NULL;
	char *text, *again = NULL;
	size_t len, alen = 0;
	time_t start, end;

	text = read_vector("escrow-v1-ecdsa-p256.escrow", &len);
	cr_assert(strncmp(text, "keyrite-escrow: 1\n", 18) == 0, "a v1 seed");
	cr_assert_eq(kr_escrow_parse(text, len, "v1.escrow", &e), 0,
	    "v1 parse: %s", kr_err_detail());
	cr_assert_eq(e->version, 1, "version %d", e->version);
	cr_assert_eq(e->has_supersedes, 0, "v1 supersedes nothing");
	cr_assert_eq(kr_escrow_encode(e, &again, &alen), 0, "encode");
	cr_assert(alen == len && memcmp(again, text, len) == 0,
	    "a v1 package re-encodes as v1, byte for byte");
	/* No cryptoperiod of its own: creation plus the policy's days. */
	cr_assert_eq(kr_escrow_cryptoperiod(e, 10, &start, &end), 0, "cp");
	cr_assert_eq(end - start, 10 * 86400, "v1 period from policy days");
	free(again);
	free(text);
	kr_escrow_free(e);
}

Test(escrow, version_2_fields_round_trip_and_bind, .init = setup)
{
	struct pkg p;
	struct kr_escrow *e = NULL;
	char *text = NULL;
	size_t len = 0;
	EVP_PKEY *got = NULL;
	time_t start, end;
	static const char *const fields[] = { "cryptoperiod-start: ",
	    "cryptoperiod-end: ", "supersedes: " };
	size_t i;

	make_pkg(&p, "ecdsa-p384", 2, 3, NULL, NULL);
	p.e->has_supersedes = 1;
	memset(p.e->supersedes, 0xab, sizeof(p.e->supersedes));
	/* Sealed again: the supersedes line is in the associated data. */
	cr_assert_eq(kr_escrow_seal(p.e, p.key, p.kek), 0, "seal");
	cr_assert_eq(kr_escrow_encode(p.e, &text, &len), 0, "encode");
	cr_assert_not_null(strstr(text, "keyrite-escrow: 2\n"), "v2");
	cr_assert_not_null(strstr(text, "\nsupersedes: abababab"), "sup");
	cr_assert_eq(kr_escrow_parse(text, len, "v2.escrow", &e), 0,
	    "parse: %s", kr_err_detail());
	cr_assert_eq(e->has_supersedes, 1, "supersedes read");
	cr_assert_eq(kr_escrow_cryptoperiod(e, 1, &start, &end), 0, "cp");
	cr_assert_eq(end - start, 7305 * 86400, "v2 keeps its own period");
	cr_assert_eq(kr_escrow_open(e, p.kek, &got), 0, "open: %s",
	    kr_err_detail());
	EVP_PKEY_free(got);
	kr_escrow_free(e);
	/* Each new field is bound: a changed digit will not open. */
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		char *t = strdup(text), *f = strstr(t, fields[i]);
		char *d = f + strlen(fields[i]) + 3;

		*d = *d == '1' ? '2' : '1';
		e = NULL;
		got = NULL;
		if (kr_escrow_parse(t, len, "altered.escrow", &e) == 0) {
			cr_assert_neq(kr_escrow_open(e, p.kek, &got), 0,
			    "%s altered, yet it opened", fields[i]);
			kr_escrow_free(e);
		}
		free(t);
	}
	free(text);
	free_pkg(&p);
}

Test(escrow, cryptoperiod_must_be_ordered_times, .init = setup)
{
	struct pkg p;
	char *text = NULL;
	size_t len = 0;

	make_pkg(&p, "ed25519", 2, 2, NULL, NULL);
	snprintf(p.e->cp_end, sizeof(p.e->cp_end), "%s", p.e->cp_start);
	cr_assert_eq(kr_escrow_encode(p.e, &text, &len), KR_ERR_ESCROW_FORMAT,
	    "an empty cryptoperiod was encoded");
	cr_assert_not_null(strstr(kr_err_detail(), "cryptoperiod"), "%s",
	    kr_err_detail());
	snprintf(p.e->cp_end, sizeof(p.e->cp_end), "2026-02-30T00:00:00Z");
	cr_assert_eq(kr_escrow_encode(p.e, &text, &len), KR_ERR_ESCROW_FORMAT,
	    "February 30 was encoded");
	free_pkg(&p);
}

Test(escrow, symmetric_round_trip_and_check_value, .init = setup)
{
	const struct kr_symkey_alg *aes = kr_symkey_alg_find("aes-256");
	struct kr_escrow *e = NULL, *back = NULL;
	struct kr_quorum_input in[2];
	struct kr_quorum_verdict v[2];
	EVP_PKEY *seal = NULL, *got = NULL;
	uint8_t *raw, *kek, *shares, *out = NULL, check[32];
	char *text = NULL, hex[65];
	size_t len = 0, outlen = 0, i;

	cr_assert_not_null(aes, "aes-256 known");
	cr_assert_not_null(raw = kr_secmem_alloc(32), "raw");
	cr_assert_not_null(kek = kr_secmem_alloc(KR_KEK_BYTES), "kek");
	cr_assert_not_null(shares = kr_secmem_alloc(3 * KR_SHARE_BYTES), "s");
	for (i = 0; i < 32; i++)
		raw[i] = (uint8_t)i;
	cr_assert_eq(RAND_priv_bytes(kek, KR_KEK_BYTES), 1, "rand");
	cr_assert_eq(kr_key_generate(kr_key_alg_find(KR_SYMKEY_SEAL_ALG),
	    &seal), 0, "seal key");
	cr_assert_not_null(e = kr_escrow_new(2, 3), "new");
	cr_assert_eq(kr_escrow_set_symmetric(e, aes, raw, 32, seal), 0,
	    "set: %s", kr_err_detail());
	strcpy(e->key_class, "data-at-rest");
	strcpy(e->policy_name, "default");
	kr_escrow_now(e->created);
	kr_escrow_set_cryptoperiod(e, time(NULL), 730);
	for (i = 0; i < 3; i++) {
		snprintf(e->roster[i].name, sizeof(e->roster[i].name), "C %zu",
		    i);
		snprintf(e->roster[i].card, sizeof(e->roster[i].card), "c-%zu",
		    i);
		snprintf(e->roster[i].serial, sizeof(e->roster[i].serial),
		    "%zu", i);
	}
	cr_assert_eq(kr_quorum_split(e, kek, shares), 0, "split");
	cr_assert_eq(kr_escrow_seal(e, seal, kek), KR_ERR_INVALID_ARGUMENT,
	    "a symmetric package sealed as a private key");
	cr_assert_eq(kr_escrow_seal_symmetric(e, raw, 32, seal, kek), 0,
	    "seal: %s", kr_err_detail());
	cr_assert_eq(kr_escrow_encode(e, &text, &len), 0, "encode");
	cr_assert_not_null(strstr(text, "algorithm: aes-256\nkey-check: "),
	    "%s", text);
	/* The check value by its definition, as docs/formats.md says. */
	cr_assert_eq(kr_symkey_check(raw, 32, check), 0, "check");
	kr_hex_encode(check, 32, hex, sizeof(hex));
	cr_assert_not_null(strstr(text, hex), "key-check is HMAC of the key");
	cr_assert_eq(kr_escrow_parse(text, len, "sym.escrow", &back), 0,
	    "parse: %s", kr_err_detail());
	cr_assert_eq(back->symmetric, 1, "symmetric read back");
	for (i = 0; i < 2; i++) {
		in[i].source = "card";
		in[i].data = shares + (i + 1) * KR_SHARE_BYTES;
		in[i].len = KR_SHARE_BYTES;
	}
	memset(kek, 0, KR_KEK_BYTES);
	cr_assert_eq(kr_quorum_recover(back, in, 2, v, kek), 0, "recover");
	cr_assert_eq(kr_escrow_open_symmetric(back, kek, &got, &out, &outlen),
	    0, "open: %s", kr_err_detail());
	cr_assert(outlen == 32 && memcmp(out, raw, 32) == 0, "same bytes");
	cr_assert_eq(kr_key_prove_match(got, back->spki, back->spki_len), 0,
	    "the seal key is the package's");
	EVP_PKEY_free(got);
	got = NULL;
	cr_assert_eq(kr_escrow_open(back, kek, &got), 0, "open as a key");
	EVP_PKEY_free(got);
	kr_secmem_free(out, outlen);
	free(text);
	kr_escrow_free(back);
	kr_escrow_free(e);
	EVP_PKEY_free(seal);
	kr_secmem_free(raw, 32);
	kr_secmem_free(kek, KR_KEK_BYTES);
	kr_secmem_free(shares, 3 * KR_SHARE_BYTES);
}

Test(escrow, symkey_hex_decode_is_strict, .init = setup)
{
	static const struct {
		const char	*in;
		int		 ok;
		size_t		 len;
	} cases[] = {
		{ "00ff7Fa0\n", 1, 4 }, { "  0a0b  ", 1, 2 }, { "0", 0, 0 },
		{ "0g", 0, 0 }, { "0:", 0, 0 }, { "", 0, 0 }, { "@A", 0, 0 },
		{ "`a", 0, 0 }, { "/0", 0, 0 }, { "Ff", 1, 1 },
	};
	uint8_t out[8];
	size_t i, len;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = kr_symkey_hex_decode(cases[i].in, strlen(cases[i].in),
		    out, sizeof(out), &len);

		cr_assert_eq(r == 0, cases[i].ok, "case %zu '%s'", i,
		    cases[i].in);
		if (cases[i].ok)
			cr_assert_eq(len, cases[i].len, "case %zu", i);
	}
	cr_assert_eq(kr_symkey_hex_decode("00ff7Fa0", 8, out, 8, &len), 0, "");
	cr_assert(out[0] == 0 && out[1] == 0xff && out[2] == 0x7f &&
	    out[3] == 0xa0, "values");
	cr_assert_neq(kr_symkey_hex_decode("000102030405060708", 18, out, 8,
	    &len), 0, "longer than the buffer");
}
