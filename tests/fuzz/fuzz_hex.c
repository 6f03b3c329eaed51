/*
 * fuzz_hex.c: libFuzzer harness for the hex and base64 decoders,
 * kr_hex_decode() and kr_base64_decode(), which every text format here
 * (escrow packages, transcripts) reads its binary fields with.  Run with
 * `make fuzz` (tests/fuzz/fuzz.mk); seeds in tests/fuzz/corpus/hex/.
 *
 * Input: one mode byte, then the data; mode % 3 chooses:
 *
 *   0: the data is base64.  What decodes must re-encode to exactly the
 *      data (hex.c promises one spelling only) and be 3/4 of its length
 *      less the padding.
 *   1: the data, up to a NUL, is hex, decoded to half its length (or, with
 *      mode bit 2, to the length in the next byte).  What decodes must
 *      re-encode to the data in lower case.
 *   2: the data is arbitrary bytes: encoding them to base64 and to hex
 *      and decoding again must give them back.
 *
 * The base64 decoder gets an exact-size copy (it takes a length, not a
 * string), so ASan catches a read past the end.  A mismatch calls abort().
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/hex.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_hex: %s\n", what);
	abort();
}

static void
base64(const uint8_t *data, size_t size)
{
	uint8_t *out = NULL;
	char *in, *again = NULL;
	size_t outlen = 0, pad;

	if ((in = malloc(size ? size : 1)) == NULL)
		return;
	memcpy(in, data, size);
	if (kr_base64_decode(in, size, &out, &outlen) != 0) {
		if (out != NULL || outlen != 0)
			fail("base64: failed, but set outputs");
		free(in);
		return;
	}
	pad = (size > 0 && in[size - 1] == '=') + (size > 1 &&
	    in[size - 2] == '=');
	if (outlen != size / 4 * 3 - pad)
		fail("base64: decoded length is not 3/4 less padding");
	if (kr_base64_encode(out, outlen, &again) != 0 ||
	    strlen(again) != size || memcmp(again, in, size) != 0)
		fail("base64: decoded data re-encodes to other text");
	free(again);
	free(out);
	free(in);
}

static void
hex(const uint8_t *data, size_t size, int mode)
{
	uint8_t *out;
	char *in, *again;
	size_t len, n, i;

	if (size > 0 && (mode & 4)) {
		len = data[0];
		data++, size--;
	} else
		len = SIZE_MAX;
	if ((in = malloc(size + 1)) == NULL)
		return;
	memcpy(in, data, size);
	in[size] = '\0';
	n = strlen(in);
	if (len == SIZE_MAX)
		len = n / 2;
	if ((out = malloc(len ? len : 1)) == NULL ||
	    (again = malloc(2 * len + 1)) == NULL) {
		free(out);
		free(in);
		return;
	}
	if (kr_hex_decode(in, out, len) == 0) {
		if (n != 2 * len)
			fail("hex: decoded a string of the wrong length");
		kr_hex_encode(out, len, again, 2 * len + 1);
		for (i = 0; i < n; i++)
			if (again[i] != tolower((unsigned char)in[i]))
				fail("hex: decoded data re-encodes to other "
				    "text");
	}
	free(again);
	free(out);
	free(in);
}

static void
roundtrip(const uint8_t *data, size_t size)
{
	uint8_t *out = NULL;
	char *text = NULL;
	size_t outlen = 0;

	if (kr_base64_encode(data, size, &text) != 0)
		fail("base64: encoding failed");
	if (size > 0 && (kr_base64_decode(text, strlen(text), &out,
	    &outlen) != 0 || outlen != size || memcmp(out, data, size) != 0))
		fail("base64: encoded data does not decode to itself");
	free(out);
	free(text);
	if ((text = malloc(2 * size + 1)) == NULL ||
	    (out = malloc(size ? size : 1)) == NULL) {
		free(text);
		return;
	}
	kr_hex_encode(data, size, text, 2 * size + 1);
	if (kr_hex_decode(text, out, size) != 0 ||
	    memcmp(out, data, size) != 0)
		fail("hex: encoded data does not decode to itself");
	free(out);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int mode;

	if (size == 0)
		return 0;
	mode = data[0];
	data++, size--;
	switch (mode % 3) {
	case 0:
		base64(data, size);
		break;
	case 1:
		hex(data, size, mode);
		break;
	default:
		roundtrip(data, size);
		break;
	}
	return 0;
}
