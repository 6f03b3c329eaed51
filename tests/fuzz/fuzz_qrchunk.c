/*
 * fuzz_qrchunk.c: libFuzzer harness for what a scan hands keyrite: QR
 * payloads (kr_qrchunk_parse, the collector, kr_qrchunk_assemble) and the
 * base45 decoder under them.  Run with `make fuzz` (tests/fuzz/fuzz.mk);
 * seeds in tests/fuzz/corpus/qrchunk/ are the codes of a real paper
 * record, one payload a line, as zbarimg --raw prints them.
 *
 * Input: payloads separated by '\n', each offered to one collector (in
 * that order, exact-size copies so that ASan sees a read past the end),
 * then reassembled.  Checked: a payload that parses has its data inside
 * itself; base45 that decodes re-encodes to the same text; a successful
 * reassembly is the bytes whose SHA-256 the chunks name.  A mismatch
 * calls abort().
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "base/err.h"
#include "base/hex.h"
#include "record/qrchunk.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_qrchunk: %s\n", what);
	abort();
}

static void
one(struct kr_qrchunk_collector *c, const uint8_t *p, size_t n)
{
	struct kr_qrchunk k;
	uint8_t *raw = NULL;
	char *copy, *again = NULL;
	size_t rawlen = 0, alen = 0;

	if ((copy = malloc(n ? n : 1)) == NULL)
		return;
	memcpy(copy, p, n);
	if (kr_qrchunk_parse(copy, n, &k) == 0) {
		if (k.data < copy || k.data + k.datalen > copy + n)
			fail("parse: data outside the payload");
		if (k.index < 1 || k.index > k.count)
			fail("parse: chunk number out of range");
	}
	if (kr_base45_decode(copy, n, &raw, &rawlen) == 0) {
		if (kr_base45_encode(raw, rawlen, &again, &alen) != 0 ||
		    alen != n || memcmp(again, copy, n) != 0)
			fail("base45: decoded text re-encodes differently");
	}
	kr_qrchunk_collector_add(c, copy, n, "fuzz");
	free(again);
	free(raw);
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kr_qrchunk_collector *c = NULL;
	const uint8_t *p = data, *nl, *end = data + size;
	uint8_t h[32], want[32];
	char *text = NULL;
	size_t len = 0;

	if (kr_qrchunk_collector_new(&c) != 0)
		return 0;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		one(c, p, (size_t)((nl ? nl : end) - p));
		p = nl ? nl + 1 : end;
	}
	if (kr_qrchunk_assemble(c, &text, &len, want) == 0) {
		SHA256((const unsigned char *)text, len, h);
		if (memcmp(h, want, 32) != 0)
			fail("assemble: the bytes are not the named hash");
	} else if (text != NULL || len != 0)
		fail("assemble: failed, but set outputs");
	free(text);
	kr_qrchunk_collector_free(c);
	return 0;
}
