/*
 * fuzz_x509.c: libFuzzer harness for the certificate PEM reader,
 * kr_x509_from_pem(), and the subject text parser, kr_x509_subject_parse().
 * Run with `make fuzz` (tests/fuzz/fuzz.mk); seeds are certificates made
 * by tests/helpers/mkroot and subjects (tests/fuzz/corpus/x509/).
 *
 * Input: one mode byte, then the text.
 *
 *   mode bit 0 clear: the text is a PEM file or, with mode bit 2 set,
 *       DER that the harness wraps in PEM first (so that mutations work on
 *       the certificate's structure, not on its base64).  A certificate
 *       that reads is fingerprinted, its public key taken out, described
 *       as for the transcript (any certificate; failing is allowed) and
 *       written back to PEM with kr_x509_to_pem(): that must read again,
 *       to the same fingerprint.
 *   mode bit 0 set: the text (up to a NUL) is subject text, and bit 1 is
 *       the rehearsal flag.  A name that parses is printed as RFC 4514
 *       text the way kr_x509_describe() prints names (OpenSSL's RFC 2253
 *       printer, UTF-8 left as is): that text must parse again, without
 *       the rehearsal flag, to an equal name, since it is what a witness
 *       reads and what a later certificate request would be typed from.
 *
 * A mismatch calls abort().
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "base/err.h"
#include "crypto/key.h"
#include "crypto/x509.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what, int r)
{
	fprintf(stderr, "fuzz_x509: %s (r = %d: %s)\n", what, r,
	    kr_err_detail());
	abort();
}

static void
exercise_cert(X509 *x)
{
	struct kr_x509_info *info;
	uint8_t fp[KR_X509_FP_BYTES], fp2[KR_X509_FP_BYTES], *spki = NULL;
	char text[KR_X509_FP_TEXT_BYTES], *pem = NULL;
	EVP_PKEY *key = NULL;
	X509 *again = NULL;
	size_t spkilen = 0, pemlen = 0;
	int r;

	if ((r = kr_x509_fingerprint(x, fp)) != 0)
		fail("kr_x509_fingerprint of a certificate that read", r);
	kr_x509_fingerprint_text(fp, text, sizeof(text));
	if (strlen(text) != KR_X509_FP_TEXT_BYTES - 1)
		fail("the fingerprint text is not 79 characters", 0);
	if ((r = kr_x509_public_spki(x, &spki, &spkilen)) == 0) {
		/* As an escrow package's or a transcript's key is read. */
		if (kr_key_from_spki(spki, spkilen, &key) == 0)
			(void)kr_key_alg_of(key);
		EVP_PKEY_free(key);
	}
	if ((info = malloc(sizeof(*info))) != NULL) {
		if (kr_x509_describe(x, info) == 0 &&
		    (memcmp(info->fingerprint, fp, sizeof(fp)) != 0 ||
		    memchr(info->subject, '\0', sizeof(info->subject)) ==
		    NULL || memchr(info->issuer, '\0', sizeof(info->issuer)) ==
		    NULL))
			fail("kr_x509_describe: wrong fingerprint or an "
			    "unterminated name", 0);
		free(info);
	}
	if ((r = kr_x509_to_pem(x, &pem, &pemlen)) != 0)
		fail("kr_x509_to_pem of a certificate that read", r);
	if ((r = kr_x509_from_pem(pem, pemlen, "fuzz-again", &again)) != 0)
		fail("kr_x509_to_pem wrote PEM that does not read", r);
	if ((r = kr_x509_fingerprint(again, fp2)) != 0 ||
	    memcmp(fp, fp2, sizeof(fp)) != 0)
		fail("PEM written and read again is another certificate", r);
	X509_free(again);
	free(pem);
	free(spki);
}

static void
exercise_subject(const char *text, int rehearsal)
{
	X509_NAME *name = NULL, *again = NULL;
	static char printed[KR_X509_NAME_TEXT_MAX];
	int r;

	if ((r = kr_x509_subject_parse(text, rehearsal, &name)) != 0) {
		if (name != NULL || r != KR_ERR_X509_SUBJECT)
			fail("kr_x509_subject_parse failed badly", r);
		return;
	}
	if ((r = kr_x509_name_text(name, printed, sizeof(printed))) != 0)
		fail("printing a parsed name", r);
	if ((r = kr_x509_subject_parse(printed, 0, &again)) != 0) {
		fprintf(stderr, "fuzz_x509: subject \"%s\" prints as \"%s\"\n",
		    text, printed);
		fail("a parsed subject, printed, does not parse again", r);
	}
	if (X509_NAME_cmp(name, again) != 0) {
		fprintf(stderr, "fuzz_x509: subject \"%s\" prints as \"%s\"\n",
		    text, printed);
		fail("a parsed subject, printed and parsed again, differs", 0);
	}
	X509_NAME_free(again);
	X509_NAME_free(name);
}

static void
read_pem(const char *pem, size_t len)
{
	X509 *x = NULL;
	int r;

	r = kr_x509_from_pem(pem, len, "fuzz.pem", &x);
	if (r == 0)
		exercise_cert(x);
	else if (x != NULL || (r != KR_ERR_X509_DECODE &&
	    r != KR_ERR_TOO_LARGE && r != KR_ERR_NOMEM))
		fail("kr_x509_from_pem failed badly", r);
	X509_free(x);
}

/* DER in a PEM "CERTIFICATE" block, as openssl writes one. */
static void
read_der(const uint8_t *der, size_t len)
{
	BUF_MEM *mem = NULL;
	BIO *bio;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return;
	if (PEM_write_bio(bio, "CERTIFICATE", "", der, (long)len) > 0 &&
	    BIO_get_mem_ptr(bio, &mem) > 0 && mem != NULL)
		read_pem(mem->data, mem->length);
	BIO_free(bio);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;
	int mode;

	if (size == 0)
		return 0;
	mode = data[0];
	data++, size--;
	if ((mode & 1) == 0 && (mode & 4) != 0)
		read_der(data, size);
	else if ((mode & 1) == 0)
		read_pem((const char *)data, size);
	else {
		if ((text = malloc(size + 1)) == NULL)
			return 0;
		memcpy(text, data, size);
		text[size] = '\0';
		exercise_subject(text, (mode & 2) != 0);
		free(text);
	}
	ERR_clear_error();
	return 0;
}
