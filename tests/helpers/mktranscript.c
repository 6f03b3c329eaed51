/*
 * mktranscript.c: test helper.  Writes ceremony transcripts for
 * tests/integration/t-transcript.sh.
 *
 *   mktranscript seal OUT ALG DIR [--previous FILE]
 *	20 records with awkward values, sealed by a fresh ALG key and
 *	co-signed by a fresh ecdsa-p256 "card" key; writes the ceremony
 *	key's public and private PEM to DIR/signer-pub.pem and
 *	DIR/signer-key.pem (a throwaway key, for making a test certificate).
 *   mktranscript long OUT ALG DIR N
 *	N records in all (N >= 3): a roll call (operator, two witnesses,
 *	three custodians, names with UTF-8), N - 2 records as above with
 *	a long value every 25th, then the seal; co-signed like "seal".
 *   mktranscript kill OUT N
 *	N records, then SIGKILL on itself, as a crash in the middle of a
 *	ceremony; prints "K CHAIN" to stdout after each record.
 *   mktranscript slow OUT
 *	a record every 10 ms until killed; prints "K CHAIN" after each.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>

#include "base/err.h"
#include "base/harden.h"
#include "base/hex.h"
#include "crypto/key.h"
#include "record/transcript.h"

static const char *const values[] = {
	"two words", "a=b", "100%", "Zo\xc3\xab", "line one\nline two", "",
	"sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
};
#define NVALUES	(sizeof(values) / sizeof(values[0]))

static int
die(const char *what)
{
	fprintf(stderr, "mktranscript: %s: %s\n", what, kr_err_detail());
	return 1;
}

static int
create(const char *path, const char *previous, struct kr_transcript **tp)
{
	struct kr_transcript_header h;

	memset(&h, 0, sizeof(h));
	if (kr_transcript_id_new(h.ceremony_id) != 0)
		return die("ceremony id");
	strcpy(h.ceremony, "root-ca-create");
	memset(h.script_sha256, 0x11, 32);
	memset(h.policy_sha256, 0x22, 32);
	h.rehearsal = 1;
	if (previous != NULL) {
		if (kr_transcript_file_sha256(previous, h.previous_sha256) != 0)
			return die("previous transcript");
		h.has_previous = 1;
	}
	if (kr_transcript_create(path, &h, tp) != 0)
		return die("create");
	return 0;
}

static int
append(struct kr_transcript *t, unsigned long k, int print)
{
	struct kr_fact f[3];
	uint8_t c[32];
	char num[24], hex[65];

	snprintf(num, sizeof(num), "%lu", k);
	f[0].key = "step";
	f[0].value = num;
	f[1].key = "note";
	f[1].value = values[k % NVALUES];
	f[2].key = "card";
	f[2].value = "custodian-2 (serial 0000abcd00001002)";
	if (kr_transcript_append(t, k % 2 ? "step-done" : "witness-remark",
	    k % 2 ? "administrator" : "witness:1", f, 3, c) != 0)
		return die("append");
	if (print) {
		kr_hex_encode(c, 32, hex, sizeof(hex));
		printf("%lu %s\n", k, hex);
		fflush(stdout);
	}
	return 0;
}

static int
write_pem(const char *dir, const char *name, EVP_PKEY *key, int priv)
{
	char path[4096];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wx")) == NULL) {
		perror(path);
		return 1;
	}
	ok = priv ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) :
	    PEM_write_PUBKEY(f, key);
	if (fclose(f) != 0 || ok != 1) {
		fprintf(stderr, "mktranscript: writing %s failed\n", path);
		return 1;
	}
	return 0;
}

/* Binds the card's key in the chain, as the engine does when it enrolls. */
static int
bind(struct kr_transcript *t, EVP_PKEY *card)
{
	uint8_t id[32];
	char hex[65];
	struct kr_fact f[] = { { "card", "custodian 2 \xc3\xa9" },
	    { "serial", "0000abcd00001002" }, { "key-id", hex } };

	if (kr_key_id(card, id) != 0)
		return die("card key id");
	kr_hex_encode(id, sizeof(id), hex, sizeof(hex));
	if (kr_transcript_append(t, "custodian-key-bound", "engine", f, 3,
	    NULL) != 0)
		return die("binding the card key");
	return 0;
}

static int
cosign(struct kr_transcript *t, EVP_PKEY *card)
{
	uint8_t c[32], *spki = NULL, *sig = NULL;
	char msg[KR_TRANSCRIPT_COSIGN_MSG_MAX];
	size_t spkilen = 0, siglen = 0, msglen;
	int r = 1;

	kr_transcript_chain(t, c);
	msglen = kr_transcript_cosign_message(kr_transcript_id(t), c,
	    "custodian 2 \xc3\xa9", "0000abcd00001002", msg);
	if (kr_key_to_spki(card, &spki, &spkilen) != 0 ||
	    kr_key_sign(card, (const uint8_t *)msg, msglen, &sig,
	    &siglen) != 0 ||
	    kr_transcript_cosign(t, "custodian 2 \xc3\xa9", "0000abcd00001002",
	    spki, spkilen, sig, siglen) != 0)
		r = die("co-signing");
	else
		r = 0;
	free(spki);
	free(sig);
	return r;
}

static int
seal(int argc, char **argv)
{
	struct kr_transcript *t = NULL;
	EVP_PKEY *key = NULL, *card = NULL;
	const char *previous = NULL;
	unsigned long k;

	if (argc == 6 && strcmp(argv[4], "--previous") == 0)
		previous = argv[5];
	else if (argc != 4)
		return 2;
	if (kr_key_generate(kr_key_alg_find(argv[2]), &key) != 0)
		return die(argv[2]);
	if (write_pem(argv[3], "signer-pub.pem", key, 0) != 0 ||
	    write_pem(argv[3], "signer-key.pem", key, 1) != 0 ||
	    create(argv[1], previous, &t) != 0)
		return 1;
	for (k = 1; k <= 20; k++)
		if (append(t, k, 0) != 0)
			return 1;
	if (kr_key_generate(kr_key_alg_find("ecdsa-p256"), &card) != 0)
		return die("card key");
	if (bind(t, card) != 0)
		return 1;
	if (kr_transcript_seal(t, key) != 0)
		return die("seal");
	if (cosign(t, card) != 0)
		return 1;
	kr_transcript_close(t);
	EVP_PKEY_free(key);
	EVP_PKEY_free(card);
	return 0;
}

static int
roll_call(struct kr_transcript *t)
{
	static const struct kr_fact f[] = {
		{ "operator", "Ada Administrator" },
		{ "reason", "annual key ceremony (paper test)" },
		{ "authorization", "CHG-1" },
		{ "witness.1", "Wendy Witness" },
		{ "witness.2", "Zo\xc3\xab \xc3\x9c" "nic\xc3\xb6" "de" },
		{ "custodian.1", "Custodian Number 1" },
		{ "custodian.1.card", "custodian-1" },
		{ "custodian.2", "Custodian Number 2" },
		{ "custodian.2.card", "custodian-2" },
		{ "custodian.3", "Custodian \xe2\x80\xae" "3 (bidi)" },
		{ "custodian.3.card", "custodian-3" },
	};

	if (kr_transcript_append(t, "roll-call", "administrator", f,
	    sizeof(f) / sizeof(f[0]), NULL) != 0)
		return die("append roll-call");
	return 0;
}

/* A long value: the kind an air-gap inventory is. */
static int
append_long(struct kr_transcript *t, unsigned long k)
{
	char big[1600];
	struct kr_fact f[2];
	size_t i;

	for (i = 0; i + 1 < sizeof(big); i++)
		big[i] = "{\"usb\":[\"1d6b:0002 root hub\"],\"k\":42} "[i % 38];
	big[i] = '\0';
	f[0].key = "inventory";
	f[0].value = big;
	f[1].key = "a-rather-long-fact-key-that-needs-its-own-line";
	f[1].value = k % 2 ? "yes" : "no";
	if (kr_transcript_append(t, "airgap-check", "engine", f, 2,
	    NULL) != 0)
		return die("append long");
	return 0;
}

static int
long_transcript(int argc, char **argv)
{
	struct kr_transcript *t = NULL;
	EVP_PKEY *key = NULL, *card = NULL;
	unsigned long k, n;

	if (argc != 5 || (n = strtoul(argv[4], NULL, 10)) < 4)
		return 2;
	if (kr_key_generate(kr_key_alg_find(argv[2]), &key) != 0)
		return die(argv[2]);
	if (write_pem(argv[3], "signer-pub.pem", key, 0) != 0 ||
	    write_pem(argv[3], "signer-key.pem", key, 1) != 0 ||
	    create(argv[1], NULL, &t) != 0 || roll_call(t) != 0)
		return 1;
	for (k = 2; k < n - 1; k++)
		if ((k % 25 == 0 ? append_long(t, k) : append(t, k, 0)) != 0)
			return 1;
	if (kr_key_generate(kr_key_alg_find("ecdsa-p256"), &card) != 0)
		return die("card key");
	if (bind(t, card) != 0)
		return 1;
	if (kr_transcript_seal(t, key) != 0)
		return die("seal");
	if (cosign(t, card) != 0)
		return 1;
	kr_transcript_close(t);
	EVP_PKEY_free(key);
	EVP_PKEY_free(card);
	return 0;
}

static int
crash(int argc, char **argv, int slow)
{
	struct timespec ten_ms = { 0, 10 * 1000 * 1000 };
	struct kr_transcript *t = NULL;
	unsigned long k, n = slow ? 0 : strtoul(argv[2], NULL, 10);

	if (argc != (slow ? 2 : 3))
		return 2;
	if (create(argv[1], NULL, &t) != 0)
		return 1;
	for (k = 1; slow || k <= n; k++) {
		if (append(t, k, 1) != 0)
			return 1;
		if (slow)
			nanosleep(&ten_ms, NULL);
	}
	raise(SIGKILL);
	return 1;
}

int
main(int argc, char **argv)
{
	int r = 2;

	if (kr_harden_process(NULL) != 0)
		return die("harden");
	if (argc >= 2 && strcmp(argv[1], "seal") == 0)
		r = seal(argc - 1, argv + 1);
	else if (argc >= 2 && strcmp(argv[1], "long") == 0)
		r = long_transcript(argc - 1, argv + 1);
	else if (argc >= 2 && strcmp(argv[1], "kill") == 0)
		r = crash(argc - 1, argv + 1, 0);
	else if (argc >= 2 && strcmp(argv[1], "slow") == 0)
		r = crash(argc - 1, argv + 1, 1);
	if (r == 2)
		fprintf(stderr, "usage: mktranscript seal OUT ALG DIR "
		    "[--previous FILE]\n"
		    "       mktranscript long OUT ALG DIR N\n"
		    "       mktranscript kill OUT N\n"
		    "       mktranscript slow OUT\n");
	return r;
}
