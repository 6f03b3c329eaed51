/*
 * cmd-verify.c: keyrite verify TRANSCRIPT [--cert PEM] [--allow-unsealed]
 *               keyrite verify --scan FILE... [--out FILE] [--cert PEM]
 *
 * With --scan the transcript comes from the QR codes of its paper record
 * (record/scan.h): scanned pages or the PDF itself; --out writes the
 * reassembled bytes, identical to the original file.
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
#include "record/scan.h"
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
		printf("  %-14s%u of the %u the chain expects\n",
		    "cosignatures", s->ncosigners, s->nexpected);
		for (i = 0; i < s->nexpected; i++) {
			const struct kr_transcript_expected *x =
			    &s->expected[i];

			kr_hex_encode(x->key_id, 32, hex, sizeof(hex));
			printf("    %2u  card %s (serial %s): %s%s%s\n"
			    "        key id %s\n", i + 1, x->label, x->serial,
			    x->present ? "present, valid" : "MISSING",
			    x->missing[0] ? ": " : "", x->missing, hex);
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

/* Writes the reassembled transcript to out, never overwriting. */
static int
write_out(const char *out, const char *text, size_t len)
{
	struct kr_media *m = NULL;
	char dir[4096];
	const char *slash = strrchr(out, '/'), *name, *dirs[1];
	int r;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), "."), name = out;
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == out ? 1 :
		    (int)(slash - out), out), name = slash + 1;
	if (!kr_media_name_ok(name))
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "--out %s: the file "
		    "name must be [A-Za-z0-9._-], not starting with '.'", out);
	dirs[0] = dir;
	if ((r = kr_media_open(dirs, 1, &m)) == 0)
		r = kr_media_write(m, name, text, len, NULL);
	kr_media_close(m);
	return r;
}

/*
 * Reads every file's QR codes and reassembles the transcript into
 * *textp; prints what each file held.  Returns 0 or an error (printed).
 */
static int
scan_files(char **files, int nfiles, char **textp, size_t *lenp)
{
	const struct kr_scan_file *f;
	struct kr_scan *s = NULL;
	unsigned int have, count, added;
	size_t n, i;
	int k, r, ran;

	if ((r = kr_scan_new(&s)) != 0)
		goto out;
	for (k = 0; k < nfiles; k++)
		if ((r = kr_scan_add_file(s, files[k])) != 0)
			goto out;
	r = kr_scan_finish(s, textp, lenp, NULL);
	n = kr_scan_files(s, &f);
	for (i = 0; i < n; i++)
		printf("scan %s: %u page%s, %u chunk code%s read%s\n",
		    f[i].path, f[i].pages, f[i].pages == 1 ? "" : "s", f[i].codes,
		    f[i].codes == 1 ? "" : "s", f[i].rejected > 0 ?
		    ", some failing their check" : "");
	kr_scan_counts(s, &have, &count);
	added = kr_scan_second_pass(s, &ran);
	printf("scan: %u of %u chunks", have, count);
	if (ran)
		printf(" (%u found by the second pass, cell by cell)", added);
	printf("\n");
 out:
	if (r != 0)
		kr_cmd_perror("verify --scan", r);
	kr_scan_free(s);
	return r;
}

static int
cmd_verify(int argc, char **argv)
{
	struct kr_transcript_summary *s = NULL;
	const char *path = NULL, *cert = NULL, *out = NULL;
	char **files = NULL, *text = NULL;
	uint8_t *spki = NULL;
	size_t spkilen = 0, len = 0;
	int i, allow = 0, scan = 0, nfiles = 0, r, rc = KR_EXIT_FAILURE;
	static char buf[4 * 1024 + 1];

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--scan") == 0)
			scan = 1;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--cert") == 0 && i + 1 < argc)
			cert = argv[++i];
		else if (strcmp(argv[i], "--allow-unsealed") == 0)
			allow = 1;
		else if (strcmp(argv[i], "--scan") == 0)
			scan = 1;
		else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
			out = argv[++i];
		else if (argv[i][0] != '-' && path == NULL)
			path = argv[i];
		else if (argv[i][0] != '-' && scan)
			;	/* another scanned file, gathered below */
		else
			return kr_cmd_usage(&kr_cmd_verify_entry);
	}
	if (path == NULL || (out != NULL && !scan))
		return kr_cmd_usage(&kr_cmd_verify_entry);
	if (scan && (files = calloc((size_t)argc, sizeof(*files))) == NULL)
		return KR_EXIT_FAILURE;
	for (i = 1; scan && i < argc; i++) {
		if (strcmp(argv[i], "--cert") == 0 ||
		    strcmp(argv[i], "--out") == 0)
			i++;
		else if (argv[i][0] != '-')
			files[nfiles++] = argv[i];
	}
	if (cert != NULL && (r = cert_spki(cert, &spki, &spkilen)) != 0) {
		kr_cmd_perror("verify: reading the certificate", r);
		goto out;
	}
	if ((s = malloc(sizeof(*s))) == NULL) {
		kr_cmd_perror("verify", KR_ERR_NOMEM);
		goto out;
	}
	if (scan) {
		if (scan_files(files, nfiles, &text, &len) != 0)
			goto out;
		if (out != NULL) {
			if ((r = write_out(out, text, len)) != 0) {
				kr_cmd_perror("verify --scan --out", r);
				goto out;
			}
			printf("out: %s\n", out);
		}
		path = "from the scanned QR codes";
		r = kr_transcript_verify(text, len, path, spki, spkilen, s);
	} else
		r = kr_transcript_verify_file(path, spki, spkilen, s);
	switch (r) {
	case 0:
		print_summary(path, s, cert);
		if (!s->complete) {
			printf("result: INCOMPLETE: the hash chain is intact and "
			    "the seal signature verifies%s, but %u of the %u "
			    "co-signatures the chain expects are missing\n",
			    s->cert_checked ? " with the certificate's key" :
			    "", s->nexpected - s->ncosigners, s->nexpected);
			rc = KR_EXIT_INCOMPLETE;
			break;
		}
		printf("result: good: the hash chain is intact, the seal "
		    "signature verifies%s, and every co-signature the chain "
		    "expects is present and valid (%u)\n", s->cert_checked ?
		    " with the certificate's key" : "", s->ncosigners);
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
	free(files);
	free(text);
	return rc;
}

const struct kr_cmd_entry kr_cmd_verify_entry = {
	.name = "verify",
	.args = "TRANSCRIPT | --scan FILE... [--out FILE]  [--cert PEM] "
	    "[--allow-unsealed]",
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
	"  --scan FILE...    read the transcript from the QR codes of its\n"
	"                    paper record: scanned pages (PNG, JPEG, PNM) or\n"
	"                    PDF files, in any order\n"
	"  --out FILE        with --scan, also write the reassembled\n"
	"                    transcript (byte-identical to the original)\n"
	"\n"
	"Exit status: 0 good; 5 altered, damaged or unsealed; 9 sealed and\n"
	"intact, but an expected co-signature is missing; 1 a file cannot be\n"
	"read, or QR chunks are missing or disagree (the message names them);\n"
	"2 bad command line.\n",
};
