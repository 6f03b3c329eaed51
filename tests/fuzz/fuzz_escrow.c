/*
 * fuzz_escrow.c: libFuzzer harness for the escrow package parser,
 * kr_escrow_parse().  Run with `make fuzz` (tests/fuzz/fuzz.mk); seeds are
 * real packages made by tests/helpers/mkescrow (tests/fuzz/corpus/escrow/).
 *
 * The input is the package text, byte for byte, so a crash file is a
 * package that `keyrite escrow inspect` can be pointed at.  A package that
 * parses is exercised further, and what the parser promises is checked:
 *
 *   - it re-encodes (kr_escrow_encode) to exactly the input: the parser
 *     accepts canonical form only, so any other result is a bug;
 *   - its metadata (kr_escrow_metadata, the GCM associated data) is the
 *     input up to the "nonce:" line;
 *   - m, n and the roster are within the ranges the header promises;
 *   - it is opened with the fixed test KEK 00 01 .. 1f that the seeds were
 *     sealed under: the seeds open, and then the key must be the package's;
 *     anything else must be refused as altered.
 *
 * A mismatch calls abort(), which libFuzzer reports as a crash.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "base/err.h"
#include "crypto/escrow.h"
#include "crypto/key.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_escrow: %s\n", what);
	abort();
}

static void
check_fields(const struct kr_escrow *e)
{
	unsigned int i;

	if (e->m < 2 || e->m > e->n || e->roster == NULL || e->spki == NULL ||
	    e->spki_len == 0 || e->sealed == NULL ||
	    e->sealed_len <= KR_ESCROW_TAG_BYTES)
		fail("a parsed package breaks the header's ranges");
	for (i = 0; i < e->n; i++)
		if (memchr(e->roster[i].name, '\0',
		    sizeof(e->roster[i].name)) == NULL ||
		    memchr(e->roster[i].card, '\0',
		    sizeof(e->roster[i].card)) == NULL ||
		    memchr(e->roster[i].serial, '\0',
		    sizeof(e->roster[i].serial)) == NULL)
			fail("a roster string is not NUL-terminated");
}

static void
check_encodings(const struct kr_escrow *e, const uint8_t *data, size_t size)
{
	char *text = NULL, *meta = NULL;
	size_t len = 0, mlen = 0;

	if (kr_escrow_encode(e, &text, &len) != 0)
		fail("a parsed package does not encode");
	if (len != size || memcmp(text, data, size) != 0)
		fail("a parsed package re-encodes to other bytes");
	if (kr_escrow_metadata(e, &meta, &mlen) != 0)
		fail("a parsed package has no metadata encoding");
	if (mlen >= size || memcmp(meta, data, mlen) != 0 ||
	    strncmp((const char *)data + mlen, "nonce: ", 7) != 0)
		fail("the metadata is not the package up to 'nonce:'");
	free(text);
	free(meta);
}

static void
check_open(const struct kr_escrow *e)
{
	uint8_t kek[KR_KEK_BYTES], id[KR_KEY_ID_BYTES];
	EVP_PKEY *key = NULL;
	size_t i;
	int r;

	for (i = 0; i < sizeof(kek); i++)
		kek[i] = (uint8_t)i;
	r = kr_escrow_open(e, kek, &key);
	if (r == 0) {
		if (key == NULL || kr_key_id(key, id) != 0 ||
		    memcmp(id, e->key_id, sizeof(id)) != 0)
			fail("opened a key that is not the package's");
	} else if (key != NULL)
		fail("kr_escrow_open failed but set *keyp");
	else if (r != KR_ERR_ESCROW_INTEGRITY &&
	    r != KR_ERR_ESCROW_KEY_MISMATCH && r != KR_ERR_SECMEM_MMAP &&
	    r != KR_ERR_SECMEM_MLOCK && r != KR_ERR_NOMEM)
		fail("kr_escrow_open failed with an undocumented error");
	EVP_PKEY_free(key);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kr_escrow *e = NULL;
	int r;

	r = kr_escrow_parse((const char *)data, size, "fuzz.escrow", &e);
	if (r == 0) {
		check_fields(e);
		check_encodings(e, data, size);
		check_open(e);
	} else if (e != NULL)
		fail("kr_escrow_parse failed but set *ep");
	else if (r != KR_ERR_ESCROW_FORMAT && r != KR_ERR_ESCROW_VERSION &&
	    r != KR_ERR_NOMEM)
		fail("kr_escrow_parse failed with an undocumented error");
	kr_escrow_free(e);
	/*
	 * OpenSSL's error queue keeps allocations from one input to the next;
	 * libFuzzer would take that for a leak to look for on every input.
	 */
	ERR_clear_error();
	return 0;
}
