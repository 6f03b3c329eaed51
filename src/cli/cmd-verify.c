/*
 * cmd-verify.c: keyrite verify TRANSCRIPT [--cert PEM] [--allow-unsealed]
 *
 * Checks a ceremony transcript (transcript.h): the header, every record's
 * chain value, the seal signature, every co-signature, and with --cert
 * that the ceremony key is the certificate's.  Prints a summary an auditor
 * can read aloud (the final chain value in groups of four) and names the
 * first bad place.  Exits 0 good, 5 bad or unsealed (0 with a warning for
 * unsealed under --allow-unsealed), 1 unreadable, 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/hex.h"
#include "base/text.h"
#include "cmd.h"
#include "crypto/key.h"
#include "crypto/x509.h"
#include "host/media.h"
#include "record/transcript.h"

/* Prints 32 bytes as two lines of 8 groups of 4 hex digits. */
static void
print_grouped(const char *label, const uint8_t p[32])
{
	char hex[65];
	size_t i;

	kr_hex_encode(p, 32, hex, sizeof(hex));
	printf("  %-14s", label);
	for (i = 0; i < 64; i += 4)
		printf("%.4s%s", hex + i, i == 28 ? "\n                " :
		    i + 4 < 64 ? " " : "\n");
}

static void
print_summary(const char *path, const struct kr_transcript_summary *s,
    const char *cert)
{
	const struct kr_transcript_header *h = &s->header;
	char hex[65];
	unsigned int i;

	printf("transcript %s\n", path);
	printf("  %-14s%s\n", "ceremony id", h->ceremony_id);
	printf("  %-14s%s\n", "ceremony", h->ceremony);
	printf("  %-14s%s\n", "mode", h->rehearsal ? "rehearsal" : "real");
	kr_hex_encode(h->script_sha256, 32, hex, sizeof(hex));
	printf("  %-14ssha256 %s\n", "script", hex);
	kr_hex_encode(h->policy_sha256, 32, hex, sizeof(hex));
	printf("  %-14ssha256 %s\n", "policy", hex);
	if (h->has_previous) {
		kr_hex_encode(h->previous_sha256, 32, hex, sizeof(hex));
		printf("  %-14ssha256 %s\n", "previous", hex);
	} else
		printf("  %-14snone\n", "previous");
	printf("  %-14s%s\n", "keyrite", h->keyrite_version);
	printf("  %-14s%s\n", "started", h->started);
	printf("  %-14s%s\n", "last record", s->ended[0] ? s->ended : "-");
	printf("  %-14s%lu%s\n", "records", s->records, s->sealed ?
	    ", sealed" : " intact, NOT SEALED");
	if (s->sealed) {
		printf("  %-14s%s\n", "signer", s->algorithm);
		print_grouped("signer key id", s->signer_key_id);
		if (s->cert_checked)
			printf("  %-14sthe signer's key is %s's\n",
			    "certificate", cert);
		printf("  %-14s%u\n", "cosignatures", s->ncosigners);
		for (i = 0; i < s->ncosigners; i++) {
			kr_hex_encode(s->cosigners[i].key_id, 32, hex,
			    sizeof(hex));
			printf("    %2u  card %s (serial %s), %s\n"
			    "        key id %s\n", i + 1,
			    s->cosigners[i].label, s->cosigners[i].serial,
			    s->cosigners[i].algorithm, hex);
		}
	}
	print_grouped(s->sealed ? "final chain" : "last chain", s->chain);
}

/* The DER SubjectPublicKeyInfo of the certificate in the PEM file. */
static int
cert_spki(const char *path, uint8_t **spkip, size_t *lenp)
{
	X509 *cert = NULL;
	char *pem = NULL;
	size_t len = 0;
	int r;

	if ((r = kr_media_read(path, KR_X509_PEM_MAX, &pem, &len,
	    NULL)) != 0)
		goto out;
	if ((r = kr_x509_from_pem(pem, len, path, &cert)) != 0 ||
	    (r = kr_x509_public_spki(cert, spkip, lenp)) != 0)
		goto out;
	r = 0;
 out:
	X509_free(cert);
	free(pem);
	return r;
}

static int
cmd_verify(int argc, char **argv)
{
	struct kr_transcript_summary *s = NULL;
	const char *path = NULL, *cert = NULL;
	uint8_t *spki = NULL;
	size_t spkilen = 0;
	int i, allow = 0, r, rc = KR_EXIT_FAILURE;
	static char buf[4 * 1024 + 1];

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--cert") == 0 && i + 1 < argc)
			cert = argv[++i];
		else if (strcmp(argv[i], "--allow-unsealed") == 0)
			allow = 1;
		else if (argv[i][0] != '-' && path == NULL)
			path = argv[i];
		else
			return kr_cmd_usage(&kr_cmd_verify_entry);
	}
	if (path == NULL)
		return kr_cmd_usage(&kr_cmd_verify_entry);
	if (cert != NULL && (r = cert_spki(cert, &spki, &spkilen)) != 0) {
		kr_cmd_perror("verify: reading the certificate", r);
		goto out;
	}
	if ((s = malloc(sizeof(*s))) == NULL) {
		kr_cmd_perror("verify", KR_ERR_NOMEM);
		goto out;
	}
	r = kr_transcript_verify_file(path, spki, spkilen, s);
	switch (r) {
	case 0:
		print_summary(path, s, cert);
		printf("result: good: the hash chain is intact and the seal "
		    "signature verifies%s\n", s->cert_checked ?
		    " with the certificate's key" : "");
		rc = KR_EXIT_OK;
		break;
	case KR_ERR_TRANSCRIPT_UNSEALED:
		print_summary(path, s, cert);
		printf("result: UNSEALED: the hash chain is intact up to "
		    "record %lu, but the transcript ends before the seal\n",
		    s->records);
		if (allow) {
			fprintf(stderr, "keyrite: warning: %s\n",
			    kr_printable(kr_err_detail(), buf, sizeof(buf)));
			rc = KR_EXIT_OK;
		} else {
			kr_cmd_perror("verify", r);
			rc = KR_EXIT_INTEGRITY;
		}
		break;
	case KR_ERR_TRANSCRIPT_FORMAT:
	case KR_ERR_TRANSCRIPT_CHAIN:
	case KR_ERR_TRANSCRIPT_SIGNATURE:
		kr_cmd_perror("verify", r);
		printf("transcript %s\nresult: BAD: %s\n", path,
		    kr_printable(kr_err_detail(), buf, sizeof(buf)));
		rc = KR_EXIT_INTEGRITY;
		break;
	default:
		kr_cmd_perror("verify", r);
		rc = KR_EXIT_FAILURE;
		break;
	}
 out:
	free(s);
	free(spki);
	return rc;
}

const struct kr_cmd_entry kr_cmd_verify_entry = {
	.name = "verify",
	.args = "TRANSCRIPT [--cert PEM] [--allow-unsealed]",
	.summary = "check a ceremony transcript's hash chain and signatures",
	.exec = cmd_verify,
	.help =
	"Checks a ceremony transcript: its header, the hash chain of every\n"
	"record, the ceremony key's seal signature and every card's\n"
	"co-signature (which counts only if a record binds its key to the card);\n"
	"names the first bad place.  Prints the ceremony, the number of records\n"
	"and the final chain value in groups of four, for reading aloud.  The\n"
	"format, and a check by hand with sha256sum and openssl, are in\n"
	"docs/transcript-format.md.\n"
	"\n"
	"  --cert PEM        also check that the transcript was sealed by this\n"
	"                    certificate's key\n"
	"  --allow-unsealed  accept a transcript whose records are intact but\n"
	"                    which ends before the seal (an interrupted\n"
	"                    ceremony), with a warning: to read what it did,\n"
	"                    never to accept it as finished\n"
	"\n"
	"Exit status: 0 good; 5 altered, damaged or unsealed; 1 a file cannot\n"
	"be read; 2 bad command line.\n",
};
