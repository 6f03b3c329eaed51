/*
 * test_transcript.c: ceremony transcripts, written and read back.
 *
 * A transcript of 20 records with awkward values (spaces, '=', '%',
 * UTF-8, newlines, bytes that are not text) is sealed by each of
 * ecdsa-p384, rsa-3072 and ed25519 and co-signed by a P-256 card key, and
 * must verify (the card's key bound in the chain by a custodian-key-bound
 * record, as the engine writes one).  Then every byte of it is altered, one at a time and three
 * ways (XOR 0x01, a printable letter, another hex digit), and each copy
 * must fail naming the place the byte is in: the header, record K, or the
 * signature block.  Cut short after every line and inside every line, it
 * must read as unsealed exactly while the records are intact.  The chain
 * is recomputed here from the formula in docs/transcript-format.md, not
 * with keyrite's code.  A forger who rewrites a record and recomputes every
 * chain value after it is caught by the seal.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <openssl/evp.h>

#include "base/err.h"
#include "base/harden.h"
#include "base/hex.h"
#include "crypto/key.h"
#include "record/transcript.h"

#define NRECORDS	20	/* before the sealed one */
#define NHEADER		11	/* header lines, the blank one included */

struct made {
	char		 dir[64];
	char		 path[128];
	char		*text;
	size_t		 len;
	EVP_PKEY	*key;		/* the ceremony key */
	EVP_PKEY	*card;		/* a custodian card's key */
	uint8_t		 chain[32];	/* the writer's final chain value */
	uint8_t		 after[NRECORDS + 1][32];	/* after record k */
};

static const char *const tricky[] = {
	"plain",
	"two words",
	"a=b",
	"100%",
	"%41 is not A",
	"Zo\xc3\xab \xe2\x82\xac",	/* UTF-8 */
	"line one\nline two",
	"",
	"tab\there",
	"del\x7f",
	"\xff\xfe\x01 bytes",
	"chain=00",
	" leading and trailing ",
	"back\\slash \"quoted\" 'single'",
};
#define NTRICKY	(sizeof(tricky) / sizeof(tricky[0]))

static void
setup(void)
{
	cr_assert_eq(kr_harden_process(NULL), 0, "harden: %s",
	    kr_err_detail());
}

TestSuite(transcript, .init = setup, .timeout = 300);

/* --- helpers -------------------------------------------------------------- */

static void
read_all(const char *path, char **textp, size_t *lenp)
{
	struct stat st;
	ssize_t got;
	int fd;

	cr_assert_neq(fd = open(path, O_RDONLY), -1, "open %s: %s", path,
	    strerror(errno));
	cr_assert_eq(fstat(fd, &st), 0, "fstat %s", path);
	cr_assert_not_null(*textp = malloc((size_t)st.st_size + 1), "malloc");
	got = read(fd, *textp, (size_t)st.st_size);
	cr_assert_eq(got, st.st_size, "read %s: %zd of %lld bytes", path,
	    got, (long long)st.st_size);
	(*textp)[got] = '\0';
	*lenp = (size_t)got;
	close(fd);
}

static void
fill_header(struct kr_transcript_header *h, int previous)
{
	memset(h, 0, sizeof(*h));
	cr_assert_eq(kr_transcript_id_new(h->ceremony_id), 0, "id: %s",
	    kr_err_detail());
	strcpy(h->ceremony, "root-ca-create");
	memset(h->script_sha256, 0x5c, 32);
	memset(h->policy_sha256, 0xa7, 32);
	h->rehearsal = 1;
	h->has_previous = previous;
	if (previous)
		memset(h->previous_sha256, 0x3e, 32);
}

/* Record k's facts: a step number, one or two awkward values. */
static size_t
facts_for(unsigned long k, struct kr_fact *f, char *num, size_t numlen)
{
	size_t n = 0;

	if (k == 5)
		return 0;		/* a record with no facts */
	snprintf(num, numlen, "%lu", k);
	f[n].key = "step";
	f[n++].value = num;
	f[n].key = "value";
	f[n++].value = tricky[k % NTRICKY];
	if (k == 7) {			/* a key may repeat */
		f[n].key = "value";
		f[n++].value = tricky[(k + 1) % NTRICKY];
	}
	return n;
}

static const char *
event_for(unsigned long k)
{
	static const char *const events[] = {
		"ceremony-start", "airgap-check", "usb-inventory",
		"card-inserted", "policy-decision", "witness-remark",
		"key-generated", "error",
	};

	return events[k % (sizeof(events) / sizeof(events[0]))];
}

/* Writes the transcript; seals with alg unless alg is NULL. */
static void
make(struct made *m, const char *alg, int cosign)
{
	struct kr_transcript_header h;
	struct kr_transcript *t = NULL;
	struct kr_fact f[4];
	uint8_t c[32], *spki = NULL, *sig = NULL, cid[32];
	char num[24], msg[KR_TRANSCRIPT_COSIGN_MSG_MAX], cidhex[65];
	size_t n, spkilen = 0, siglen = 0, msglen;
	unsigned long k;

	memset(m, 0, sizeof(*m));
	strcpy(m->dir, "/tmp/kr-transcript-XXXXXX");
	cr_assert_not_null(mkdtemp(m->dir), "mkdtemp: %s", strerror(errno));
	snprintf(m->path, sizeof(m->path), "%s/ceremony.transcript", m->dir);
	fill_header(&h, 0);
	cr_assert_eq(kr_transcript_create(m->path, &h, &t), 0, "create: %s",
	    kr_err_detail());
	kr_transcript_chain(t, m->after[0]);
	if (alg != NULL && cosign) {
		cr_assert_eq(kr_key_generate(kr_key_alg_find("ecdsa-p256"),
		    &m->card), 0, "card key: %s", kr_err_detail());
		cr_assert_eq(kr_key_id(m->card, cid), 0, "card key id");
		kr_hex_encode(cid, 32, cidhex, sizeof(cidhex));
	}
	for (k = 1; k <= NRECORDS; k++) {
		n = facts_for(k, f, num, sizeof(num));
		if (k == NRECORDS && m->card != NULL) {
			/* The card's key, bound in the chain. */
			f[0] = (struct kr_fact){ "card", "Custodian 2 \xc3\xa9" };
			f[1] = (struct kr_fact){ "serial", "0000abcd00001002" };
			f[2] = (struct kr_fact){ "key-id", cidhex };
			cr_assert_eq(kr_transcript_append(t,
			    "custodian-key-bound", "engine", f, 3, c), 0,
			    "bind: %s", kr_err_detail());
			kr_transcript_chain(t, m->after[k]);
			continue;
		}
		cr_assert_eq(kr_transcript_append(t, event_for(k),
		    k % 3 ? "administrator" : "custodian:2", f, n, c), 0,
		    "append %lu: %s", k, kr_err_detail());
		kr_transcript_chain(t, m->after[k]);
		cr_assert_eq(memcmp(c, m->after[k], 32), 0, "append's chain "
		    "value %lu differs from kr_transcript_chain", k);
	}
	if (alg != NULL) {
		cr_assert_eq(kr_key_generate(kr_key_alg_find(alg), &m->key),
		    0, "generate %s: %s", alg, kr_err_detail());
		cr_assert_eq(kr_transcript_seal(t, m->key), 0, "seal: %s",
		    kr_err_detail());
	}
	if (alg != NULL && cosign) {
		kr_transcript_chain(t, c);
		msglen = kr_transcript_cosign_message(kr_transcript_id(t), c,
		    "Custodian 2 \xc3\xa9", "0000abcd00001002", msg);
		cr_assert_gt(msglen, 0, "cosign message");
		cr_assert_eq(kr_key_sign(m->card, (const uint8_t *)msg, msglen,
		    &sig, &siglen), 0, "card sign: %s", kr_err_detail());
		cr_assert_eq(kr_key_to_spki(m->card, &spki, &spkilen), 0,
		    "card spki");
		cr_assert_eq(kr_transcript_cosign(t, "Custodian 2 \xc3\xa9",
		    "0000abcd00001002", spki, spkilen, sig, siglen), 0,
		    "cosign: %s", kr_err_detail());
	}
	kr_transcript_chain(t, m->chain);
	kr_transcript_close(t);
	free(spki);
	free(sig);
	read_all(m->path, &m->text, &m->len);
}

static void
unmake(struct made *m)
{
	char cmd[200];

	free(m->text);
	EVP_PKEY_free(m->key);
	EVP_PKEY_free(m->card);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", m->dir);
	cr_assert_eq(system(cmd), 0, "removing %s", m->dir);
}

/* 1-based line number of byte offset p. */
static unsigned long
line_of(const char *text, size_t p)
{
	unsigned long line = 1;
	size_t i;

	for (i = 0; i < p; i++)
		if (text[i] == '\n')
			line++;
	return line;
}

/*
 * The place a byte on line is in, as details name it: "header (line" (the
 * chain line when only the hash shows the change), "record K (line L)" or
 * "signature block (line".
 */
static void
region_of(unsigned long line, char *out, size_t outlen)
{
	if (line <= NHEADER)
		snprintf(out, outlen, "header (line");
	else if (line <= NHEADER + NRECORDS + 1)
		snprintf(out, outlen, "record %lu (line %lu)", line - NHEADER,
		    line);
	else
		snprintf(out, outlen, "signature block (line");
}

static int
is_integrity(int r)
{
	return r == KR_ERR_TRANSCRIPT_FORMAT || r == KR_ERR_TRANSCRIPT_CHAIN ||
	    r == KR_ERR_TRANSCRIPT_SIGNATURE;
}

/* --- round trips ---------------------------------------------------------- */

static void
round_trip(const char *alg)
{
	struct kr_transcript_summary s;
	struct made m;
	uint8_t id[32];
	int r;

	make(&m, alg, 1);
	r = kr_transcript_verify(m.text, m.len, "t", NULL, 0, &s);
	cr_assert_eq(r, 0, "%s: verify: %s: %s", alg, kr_strerror(r),
	    kr_err_detail());
	cr_assert(s.sealed, "%s: not reported sealed", alg);
	cr_assert_eq(s.records, NRECORDS + 1, "%s: %lu records, want %d",
	    alg, s.records, NRECORDS + 1);
	cr_assert_str_eq(s.algorithm, alg, "%s: algorithm %s", alg,
	    s.algorithm);
	cr_assert_eq(kr_key_id(m.key, id), 0, "key id");
	cr_assert_eq(memcmp(id, s.signer_key_id, 32), 0, "%s: signer key id "
	    "is not the ceremony key's", alg);
	cr_assert_eq(memcmp(m.chain, s.chain, 32), 0, "%s: final chain value "
	    "read back differs from the writer's", alg);
	cr_assert_eq(s.ncosigners, 1, "%s: %u cosigners, want 1", alg,
	    s.ncosigners);
	cr_assert_str_eq(s.cosigners[0].label, "Custodian%202%20%C3%A9",
	    "cosigner label %s", s.cosigners[0].label);
	cr_assert_str_eq(s.cosigners[0].serial, "0000abcd00001002",
	    "cosigner serial %s", s.cosigners[0].serial);
	cr_assert_str_eq(s.header.ceremony, "root-ca-create", "ceremony %s",
	    s.header.ceremony);
	cr_assert(s.header.rehearsal, "mode should be rehearsal");
	cr_assert_not(s.header.has_previous, "no previous transcript given");
	cr_assert_eq(s.header.script_sha256[0], 0x5c, "script hash");
	cr_assert_eq(s.header.policy_sha256[31], 0xa7, "policy hash");
	cr_assert_str_eq(s.header.keyrite_version, "0.1.0", "version %s",
	    s.header.keyrite_version);
	cr_assert_eq(strlen(s.ended), 20, "last record time '%s'", s.ended);
	unmake(&m);
}

Test(transcript, round_trip_ecdsa_p384) { round_trip("ecdsa-p384"); }
Test(transcript, round_trip_rsa_3072) { round_trip("rsa-3072"); }
Test(transcript, round_trip_ed25519) { round_trip("ed25519"); }

Test(transcript, values_are_percent_encoded_ascii)
{
	static const char *const want[] = {
		" value=two%20words ", " value=a%3Db ", " value=100%25 ",
		" value=%2541%20is%20not%20A ",
		" value=Zo%C3%AB%20%E2%82%AC ",
		" value=line%20one%0Aline%20two ", " value= ",
		" value=tab%09here ", " value=del%7F ",
		" value=%FF%FE%01%20bytes ", " value=chain%3D00 ",
		" value=%20leading%20and%20trailing%20 ",
		" value=back\\slash%20\"quoted\"%20'single' ",
	};
	struct made m;
	size_t i;

	make(&m, "ed25519", 0);
	for (i = 0; i < m.len; i++)
		cr_assert((m.text[i] >= 0x20 && m.text[i] <= 0x7e) ||
		    m.text[i] == '\n', "byte %zu is 0x%02x: not printable "
		    "ASCII", i, (unsigned char)m.text[i]);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_assert_not_null(strstr(m.text, want[i]), "'%s' not found "
		    "in the transcript:\n%s", want[i], m.text);
	cr_assert_not_null(strstr(m.text, "\n5 "), "record 5");
	cr_assert_not_null(strstr(m.text, " witness-remark administrator "
	    "chain="), "record 5 (no facts):\n%s", m.text);
	cr_assert_not_null(strstr(m.text, " step=12 value=%20leading"),
	    "record 12:\n%s", m.text);
	unmake(&m);
}

/*
 * The chain by the documented formula, with OpenSSL directly: c0 is the
 * SHA-256 of the header lines above "chain: "; c_k = SHA-256(hex(c_k-1)
 * " " line_k-without-" chain=...").
 */
Test(transcript, chain_follows_the_documented_formula)
{
	struct made m;
	uint8_t c[32];
	char hex[65], *p, *nl, *cut, buf[70000];
	unsigned long k = 0;
	size_t n;

	make(&m, "ecdsa-p384", 0);
	p = strstr(m.text, "\nchain: ");
	cr_assert_not_null(p, "no chain line");
	cr_assert_eq(EVP_Digest(m.text, (size_t)(p + 1 - m.text), c, NULL,
	    EVP_sha256(), NULL), 1, "sha256");
	kr_hex_encode(c, 32, hex, sizeof(hex));
	cr_assert_eq(strncmp(p + 8, hex, 64), 0, "header chain value is not "
	    "SHA-256 of the lines above it");
	cr_assert_eq(memcmp(c, m.after[0], 32), 0, "c0 differs");
	p = strstr(p, "\n\n") + 2;
	while (*p != '\n') {
		nl = strchr(p, '\n');
		cut = nl - 71;
		cr_assert_eq(strncmp(cut, " chain=", 7), 0, "record %lu has no "
		    "chain at the end", k + 1);
		n = (size_t)snprintf(buf, sizeof(buf), "%s %.*s", hex,
		    (int)(cut - p), p);
		cr_assert_eq(EVP_Digest(buf, n, c, NULL, EVP_sha256(), NULL),
		    1, "sha256");
		kr_hex_encode(c, 32, hex, sizeof(hex));
		cr_assert_eq(strncmp(cut + 7, hex, 64), 0, "record %lu: chain "
		    "is not SHA-256(prev hex, space, line)", k + 1);
		k++;
		if (k <= NRECORDS)
			cr_assert_eq(memcmp(c, m.after[k], 32), 0, "record %lu "
			    "differs from the writer's value", k);
		p = nl + 1;
	}
	cr_assert_eq(k, NRECORDS + 1, "%lu records, want %d", k,
	    NRECORDS + 1);
	cr_assert_eq(memcmp(c, m.chain, 32), 0, "final chain");
	unmake(&m);
}

/* --- every byte ----------------------------------------------------------- */

/* A different printable byte that keeps the shape where it can. */
static char
other_hex(char c)
{
	if (c >= '0' && c <= '8')
		return (char)(c + 1);
	if (c == '9')
		return 'a';
	if (c >= 'a' && c <= 'e')
		return (char)(c + 1);
	if (c == 'f')
		return '0';
	return c == 'x' ? 'y' : 'x';
}

static void
flip_every_byte(const char *alg)
{
	struct kr_transcript_summary s;
	struct made m;
	char *copy, want[64], prefix[128];
	const char *d;
	size_t p, v, checked = 0;
	int r;

	make(&m, alg, 1);
	cr_assert_not_null(copy = malloc(m.len + 1), "malloc");
	for (p = 0; p < m.len; p++) {
		char variants[3];

		variants[0] = (char)(m.text[p] ^ 0x01);
		variants[1] = m.text[p] == 'x' ? 'y' : 'x';
		variants[2] = other_hex(m.text[p]);
		region_of(line_of(m.text, p), want, sizeof(want));
		snprintf(prefix, sizeof(prefix), "transcript t: %s", want);
		for (v = 0; v < 3; v++) {
			if (variants[v] == m.text[p])
				continue;
			memcpy(copy, m.text, m.len + 1);
			copy[p] = variants[v];
			r = kr_transcript_verify(copy, m.len, "t", NULL, 0, &s);
			d = kr_err_detail();
			cr_assert(is_integrity(r), "%s: byte %zu (line %lu) "
			    "0x%02x -> 0x%02x: verify returned %d (%s), want "
			    "an integrity failure; detail: %s", alg, p,
			    line_of(m.text, p), (unsigned char)m.text[p],
			    (unsigned char)variants[v], r, kr_strerror(r), d);
			cr_assert_eq(strncmp(d, prefix, strlen(prefix)), 0,
			    "%s: byte %zu 0x%02x -> 0x%02x: detail should "
			    "start '%s' but is '%s'", alg, p,
			    (unsigned char)m.text[p],
			    (unsigned char)variants[v], prefix, d);
			cr_assert_eq(s.records, 0, "summary not cleared");
			checked++;
		}
	}
	cr_assert_gt(checked, 2 * m.len, "%zu alterations checked", checked);
	free(copy);
	unmake(&m);
}

Test(transcript, every_byte_ecdsa_p384) { flip_every_byte("ecdsa-p384"); }
Test(transcript, every_byte_rsa_3072) { flip_every_byte("rsa-3072"); }
Test(transcript, every_byte_ed25519) { flip_every_byte("ed25519"); }

/* --- cut short ------------------------------------------------------------ */

Test(transcript, cut_short_anywhere)
{
	struct kr_transcript_summary s;
	struct made m;
	unsigned long line, k;
	size_t p, seal_end;
	const char *d;
	int r;

	make(&m, "ecdsa-p384", 1);
	/* End of the line "signature: ..." (the last before cosignature). */
	seal_end = (size_t)(strstr(m.text, "\ncosignature: ") + 1 - m.text);
	for (p = 0; p < m.len; p++) {
		r = kr_transcript_verify(m.text, p, "t", NULL, 0, &s);
		d = kr_err_detail();
		line = line_of(m.text, p);
		if (p == seal_end) {
			cr_assert_eq(r, 0, "cut after the signature line: %s",
			    d);
			cr_assert_eq(s.ncosigners, 0, "cosigners");
			continue;
		}
		if (line <= NHEADER) {
			cr_assert_eq(r, KR_ERR_TRANSCRIPT_FORMAT, "cut at %zu "
			    "(header line %lu): %d %s", p, line, r, d);
			cr_assert_not_null(strstr(d, ": header (line "),
			    "cut at %zu: %s", p, d);
		} else if (line <= NHEADER + NRECORDS + 1 ||
		    (p < seal_end && line <= NHEADER + NRECORDS + 6)) {
			/* Inside the seal: the write of the seal was cut. */
			int in_seal = line > NHEADER + NRECORDS + 1;

			if (in_seal) {
				cr_assert_eq(r, KR_ERR_TRANSCRIPT_UNSEALED,
				    "cut at %zu (seal, line %lu): %d %s", p,
				    line, r, d);
				cr_assert(s.seal_cut, "cut at %zu: seal_cut", p);
				cr_assert_eq(s.records, NRECORDS, "cut at %zu: "
				    "%lu records", p, s.records);
				cr_assert_eq(memcmp(s.chain, m.after[NRECORDS],
				    32), 0, "cut at %zu: chain before the "
				    "seal", p);
				cr_assert_not_null(strstr(d, "unsealed: the "
				    "seal after record 20 was cut short"),
				    "cut at %zu: %s", p, d);
				continue;
			}
			/* Records 1..k complete, maybe a cut-off line. */
			k = line - NHEADER - 1;
			cr_assert_eq(r, KR_ERR_TRANSCRIPT_UNSEALED, "cut at "
			    "%zu (line %lu): %d %s", p, line, r, d);
			cr_assert_eq(s.records, k, "cut at %zu: %lu intact "
			    "records, want %lu", p, s.records, k);
			cr_assert_eq(memcmp(s.chain, m.after[k], 32), 0,
			    "cut at %zu: chain value after record %lu", p, k);
			cr_assert_eq(s.incomplete_tail,
			    m.text[p - 1] != '\n', "cut at %zu: tail", p);
			cr_assert_not_null(strstr(d, "unsealed: ends after "
			    "record"), "cut at %zu: %s", p, d);
			cr_assert_not(s.sealed, "cut at %zu: sealed?", p);
		} else {
			cr_assert_eq(r, KR_ERR_TRANSCRIPT_SIGNATURE, "cut at "
			    "%zu (line %lu): %d %s", p, line, r, d);
			cr_assert_not_null(strstr(d, ": signature block (line "),
			    "cut at %zu: %s", p, d);
		}
	}
	cr_assert_eq(kr_transcript_verify(m.text, m.len, "t", NULL, 0, &s),
	    0, "whole: %s", kr_err_detail());
	unmake(&m);
}

/*
 * A co-signature line made with a fresh key, appended to a sealed
 * transcript, verifies as a signature but binds nothing: BAD.  So is one
 * whose key is bound to another card, or with another serial.
 */
Test(transcript, unbound_cosignature_is_bad)
{
	struct kr_transcript_summary s;
	struct made m;
	const char *cases[][2] = {
		{ "Custodian 2 \xc3\xa9", "0000abcd00001002" },	/* fresh key */
		{ "custodian-9", "0000abcd00001002" },	/* bound key, */
		{ "Custodian 2 \xc3\xa9", "0000abcd00009999" },	/* other card */
	};
	size_t i;
	int r;

	for (i = 0; i < 3; i++) {
		char msg[KR_TRANSCRIPT_COSIGN_MSG_MAX];
		uint8_t c[32], *spki = NULL, *sig = NULL;
		size_t spkilen = 0, siglen = 0, msglen;
		EVP_PKEY *k = NULL;

		make(&m, "ecdsa-p384", 1);
		cr_assert_eq(kr_transcript_verify(m.text, m.len, "t", NULL, 0,
		    &s), 0, "as made: %s", kr_err_detail());
		/* Reopen the sealed file for one more cosignature line. */
		free(m.text);
		if (i == 0)
			cr_assert_eq(kr_key_generate(kr_key_alg_find(
			    "ecdsa-p256"), &k), 0, "fresh key");
		else
			k = m.card;
		cr_assert_eq(kr_key_to_spki(k, &spki, &spkilen), 0, "spki");
		memcpy(c, s.chain, 32);
		msglen = kr_transcript_cosign_message(s.header.ceremony_id, c,
		    cases[i][0], cases[i][1], msg);
		cr_assert_eq(kr_key_sign(k, (const uint8_t *)msg, msglen,
		    &sig, &siglen), 0, "sign");
		{
			FILE *f = fopen(m.path, "a");
			char *s64 = NULL, *k64 = NULL, lab[128], ser[64];

			cr_assert_not_null(f, "append");
			cr_assert_eq(kr_base64_encode(spki, spkilen, &k64), 0,
			    "b64");
			cr_assert_eq(kr_base64_encode(sig, siglen, &s64), 0,
			    "b64");
			snprintf(lab, sizeof(lab), "%s", i == 1 ?
			    "custodian-9" : "Custodian%202%20%C3%A9");
			snprintf(ser, sizeof(ser), "%s", cases[i][1]);
			fprintf(f, "cosignature: ecdsa-p256 %s %s %s %s\n",
			    lab, ser, k64, s64);
			fclose(f);
			free(s64);
			free(k64);
		}
		read_all(m.path, &m.text, &m.len);
		r = kr_transcript_verify(m.text, m.len, "t", NULL, 0, &s);
		cr_assert_eq(r, KR_ERR_TRANSCRIPT_SIGNATURE, "case %zu: %d %s",
		    i, r, kr_err_detail());
		cr_assert_not_null(strstr(kr_err_detail(), "which no "
		    "custodian-key-bound record in the sealed chain binds to "
		    "that card"), "case %zu: %s", i, kr_err_detail());
		if (k != m.card)
			EVP_PKEY_free(k);
		free(spki);
		free(sig);
		unmake(&m);
	}
}

Test(transcript, unsealed_file_from_the_writer)
{
	struct kr_transcript_summary s;
	struct made m;
	int r;

	make(&m, NULL, 0);
	r = kr_transcript_verify_file(m.path, NULL, 0, &s);
	cr_assert_eq(r, KR_ERR_TRANSCRIPT_UNSEALED, "verify: %d %s", r,
	    kr_err_detail());
	cr_assert_eq(s.records, NRECORDS, "%lu records", s.records);
	cr_assert_eq(memcmp(s.chain, m.chain, 32), 0, "last chain value");
	cr_assert_not(s.incomplete_tail, "no cut-off line");
	unmake(&m);
}

/* --- forgeries ------------------------------------------------------------ */

/* Rewrites record 3's value and recomputes every chain value after it. */
Test(transcript, recomputed_chain_is_caught_by_the_seal)
{
	struct kr_transcript_summary s;
	struct made m;
	char *out, *p, *q, *nl, *cut, hex[65], buf[70000];
	uint8_t c[32];
	unsigned long k = 0;
	size_t n, o = 0;
	int r;

	make(&m, "ed25519", 0);
	cr_assert_not_null(out = malloc(m.len + 64), "malloc");
	p = strstr(m.text, "\n\n") + 2;
	memcpy(out, m.text, (size_t)(p - m.text));
	o = (size_t)(p - m.text);
	memcpy(c, m.after[0], 32);
	while (*p != '\n') {
		nl = strchr(p, '\n');
		cut = nl - 71;
		k++;
		n = (size_t)(cut - p);
		memcpy(buf, p, n);
		buf[n] = '\0';
		if (k == 3 && (q = strstr(buf, "value=")) != NULL)
			q[6] = q[6] == 'Z' ? 'Y' : 'Z';
		memcpy(out + o, buf, n);
		kr_hex_encode(c, 32, hex, sizeof(hex));
		{
			char line[70100];
			size_t ln = (size_t)snprintf(line, sizeof(line),
			    "%s %s", hex, buf);

			cr_assert_eq(EVP_Digest(line, ln, c, NULL,
			    EVP_sha256(), NULL), 1, "sha256");
		}
		kr_hex_encode(c, 32, hex, sizeof(hex));
		o += n;
		o += (size_t)sprintf(out + o, " chain=%s\n", hex);
		p = nl + 1;
	}
	memcpy(out + o, p, m.len - (size_t)(p - m.text));
	o += m.len - (size_t)(p - m.text);
	r = kr_transcript_verify(out, o, "t", NULL, 0, &s);
	cr_assert_eq(r, KR_ERR_TRANSCRIPT_SIGNATURE, "forged chain: %d %s", r,
	    kr_err_detail());
	cr_assert_not_null(strstr(kr_err_detail(), "seal signature does not "
	    "verify"), "%s", kr_err_detail());
	free(out);
	unmake(&m);
}

Test(transcript, certificate_key_must_be_the_signer)
{
	struct kr_transcript_summary s;
	struct made m;
	EVP_PKEY *other = NULL;
	uint8_t *spki = NULL;
	size_t len = 0;
	int r;

	make(&m, "ecdsa-p384", 0);
	cr_assert_eq(kr_key_to_spki(m.key, &spki, &len), 0, "spki");
	r = kr_transcript_verify(m.text, m.len, "t", spki, len, &s);
	cr_assert_eq(r, 0, "own key: %s", kr_err_detail());
	cr_assert(s.cert_checked, "cert_checked not set");
	free(spki);
	cr_assert_eq(kr_key_generate(kr_key_alg_find("ecdsa-p384"), &other),
	    0, "other key");
	cr_assert_eq(kr_key_to_spki(other, &spki, &len), 0, "spki");
	r = kr_transcript_verify(m.text, m.len, "t", spki, len, &s);
	cr_assert_eq(r, KR_ERR_TRANSCRIPT_SIGNATURE, "other key: %d %s", r,
	    kr_err_detail());
	cr_assert_not_null(strstr(kr_err_detail(), "not the certificate's"),
	    "%s", kr_err_detail());
	free(spki);
	EVP_PKEY_free(other);
	unmake(&m);
}

Test(transcript, not_a_transcript_or_another_version)
{
	static const char v2[] = "keyrite-transcript: 2\nceremony-id: x\n";
	static const char junk[] = "root:x:0:0:root:/root:/bin/bash\n";
	struct kr_transcript_summary s;
	int r;

	r = kr_transcript_verify(junk, strlen(junk), "passwd", NULL, 0, &s);
	cr_assert_eq(r, KR_ERR_TRANSCRIPT_FORMAT, "junk: %d", r);
	cr_assert_not_null(strstr(kr_err_detail(), "transcript passwd: header "
	    "(line 1): not a keyrite transcript"), "%s", kr_err_detail());
	r = kr_transcript_verify(v2, strlen(v2), "v2", NULL, 0, &s);
	cr_assert_eq(r, KR_ERR_TRANSCRIPT_FORMAT, "v2: %d", r);
	cr_assert_not_null(strstr(kr_err_detail(), "format version is not 1"),
	    "%s", kr_err_detail());
	r = kr_transcript_verify("", 0, "empty", NULL, 0, &s);
	cr_assert_eq(r, KR_ERR_TRANSCRIPT_FORMAT, "empty: %d", r);
}

/* --- the writer's refusals ------------------------------------------------ */

Test(transcript, never_overwrites)
{
	struct kr_transcript_header h;
	struct kr_transcript *t = (struct kr_transcript *)1;
	struct made m;
	char *after;
	size_t len;
	int r;

	make(&m, "ed25519", 0);
	fill_header(&h, 0);
	r = kr_transcript_create(m.path, &h, &t);
	cr_assert_eq(r, KR_ERR_EXISTS, "create over a transcript: %d %s", r,
	    kr_err_detail());
	cr_assert_null(t, "*tp set on failure");
	cr_assert_not_null(strstr(kr_err_detail(), "never overwritten"), "%s",
	    kr_err_detail());
	read_all(m.path, &after, &len);
	cr_assert(len == m.len && memcmp(after, m.text, len) == 0,
	    "the existing transcript changed");
	free(after);
	unmake(&m);
}

Test(transcript, writer_refusals)
{
	struct kr_transcript_header h;
	struct kr_transcript *t = NULL;
	struct kr_fact f[1];
	EVP_PKEY *key = NULL;
	char dir[] = "/tmp/kr-transcript-XXXXXX", path[128], *big;
	uint8_t c[32], *spki = NULL, sig[64] = { 0 };
	size_t spkilen = 0;
	int r;

	cr_assert_not_null(mkdtemp(dir), "mkdtemp");
	snprintf(path, sizeof(path), "%s/t", dir);
	fill_header(&h, 1);
	strcpy(h.ceremony, "Root CA");
	cr_assert_eq(kr_transcript_create(path, &h, &t),
	    KR_ERR_INVALID_ARGUMENT, "a ceremony name with spaces");
	cr_assert_eq(access(path, F_OK), -1, "a file was left behind");
	strcpy(h.ceremony, "root-ca-create");
	strcpy(h.ceremony_id, "2026-11-23");
	cr_assert_eq(kr_transcript_create(path, &h, &t),
	    KR_ERR_INVALID_ARGUMENT, "a bad ceremony id");
	fill_header(&h, 1);
	cr_assert_eq(kr_transcript_create(path, &h, &t), 0, "create: %s",
	    kr_err_detail());
	cr_assert_eq(kr_transcript_append(t, "Bad Event", "admin", NULL, 0,
	    NULL), KR_ERR_INVALID_ARGUMENT, "event with spaces");
	cr_assert_eq(kr_transcript_append(t, "note", "", NULL, 0, NULL),
	    KR_ERR_INVALID_ARGUMENT, "empty actor");
	cr_assert_eq(kr_transcript_append(t, "sealed", "keyrite", NULL, 0,
	    NULL), KR_ERR_INVALID_ARGUMENT, "the sealed event by hand");
	f[0].key = "chain";
	f[0].value = "00";
	cr_assert_eq(kr_transcript_append(t, "note", "admin", f, 1, NULL),
	    KR_ERR_INVALID_ARGUMENT, "a fact called chain");
	f[0].key = "Key";
	cr_assert_eq(kr_transcript_append(t, "note", "admin", f, 1, NULL),
	    KR_ERR_INVALID_ARGUMENT, "an upper-case fact key");
	f[0].key = "big";
	cr_assert_not_null(big = calloc(1, KR_TRANSCRIPT_LINE_MAX), "calloc");
	memset(big, 'a', KR_TRANSCRIPT_LINE_MAX - 1);
	f[0].value = big;
	cr_assert_eq(kr_transcript_append(t, "note", "admin", f, 1, NULL),
	    KR_ERR_TOO_LARGE, "a record over the line limit");
	free(big);
	f[0].key = "ok";
	f[0].value = "yes";
	cr_assert_eq(kr_transcript_append(t, "note", "admin", f, 1, c), 0,
	    "a good record after refused ones: %s", kr_err_detail());
	cr_assert_eq(kr_transcript_cosign(t, "card", "1", sig, 1, sig, 1),
	    KR_ERR_ENGINE_STATE, "co-signing before the seal");
	cr_assert_eq(kr_key_generate(kr_key_alg_find("ed25519"), &key), 0,
	    "key");
	cr_assert_eq(kr_transcript_seal(t, key), 0, "seal: %s",
	    kr_err_detail());
	cr_assert_eq(kr_transcript_append(t, "note", "admin", f, 1, NULL),
	    KR_ERR_ENGINE_STATE, "a record after the seal");
	cr_assert_eq(kr_transcript_seal(t, key), KR_ERR_ENGINE_STATE,
	    "a second seal");
	cr_assert_eq(kr_key_to_spki(key, &spki, &spkilen), 0, "spki");
	r = kr_transcript_cosign(t, "card", "1", spki, spkilen, sig,
	    sizeof(sig));
	cr_assert_eq(r, KR_ERR_TRANSCRIPT_SIGNATURE, "a co-signature that "
	    "does not verify: %d %s", r, kr_err_detail());
	r = kr_transcript_cosign(t, "", "1", spki, spkilen, sig, sizeof(sig));
	cr_assert_eq(r, KR_ERR_INVALID_ARGUMENT, "an empty label: %d", r);
	kr_transcript_close(t);
	kr_transcript_close(NULL);
	{
		struct kr_transcript_summary s;

		r = kr_transcript_verify_file(path, NULL, 0, &s);
		cr_assert_eq(r, 0, "after refusals the file verifies: %s",
		    kr_err_detail());
		cr_assert_eq(s.records, 2, "%lu records", s.records);
		cr_assert_eq(s.ncosigners, 0, "no co-signature was written");
		cr_assert(s.header.has_previous, "previous hash");
		cr_assert_eq(s.header.previous_sha256[0], 0x3e, "previous");
	}
	free(spki);
	EVP_PKEY_free(key);
	cr_assert_eq(unlink(path), 0, "unlink");
	cr_assert_eq(rmdir(dir), 0, "rmdir");
}

Test(transcript, ids_and_file_hashes)
{
	char id[KR_TRANSCRIPT_ID_BYTES], id2[KR_TRANSCRIPT_ID_BYTES];
	uint8_t h[32], want[32];
	struct made m;
	size_t i;

	cr_assert_eq(kr_transcript_id_new(id), 0, "id");
	cr_assert_eq(kr_transcript_id_new(id2), 0, "id");
	cr_assert_eq(strlen(id), KR_TRANSCRIPT_ID_BYTES - 1, "id '%s'", id);
	for (i = 0; id[i] != '\0'; i++)
		cr_assert((id[i] >= '0' && id[i] <= '9') ||
		    (id[i] >= 'a' && id[i] <= 'f') || id[i] == '-',
		    "id '%s' is not a lower-case word", id);
	cr_assert(id[8] == '-' && id[15] == '-', "id '%s' shape", id);
	cr_assert_str_neq(id, id2, "two ids alike: %s", id);
	make(&m, "ed25519", 0);
	cr_assert_eq(kr_transcript_file_sha256(m.path, h), 0, "hash: %s",
	    kr_err_detail());
	cr_assert_eq(EVP_Digest(m.text, m.len, want, NULL, EVP_sha256(),
	    NULL), 1, "sha256");
	cr_assert_eq(memcmp(h, want, 32), 0, "file hash differs");
	cr_assert_eq(kr_transcript_file_sha256("/nonexistent/t", h),
	    KR_ERR_IO, "missing file");
	unmake(&m);
}
