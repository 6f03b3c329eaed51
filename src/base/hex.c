/*
 * hex.c: hex and base64 for public data.  Strict: decoders reject anything
 * that a canonical encoder would not have produced, so a file has one
 * spelling only.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "err.h"
#include "hex.h"

void
kr_hex_encode(const uint8_t *in, size_t len, char *out, size_t outlen)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	if (outlen < 2 * len + 1) {
		if (outlen > 0)
			out[0] = '\0';
		return;
	}
	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

static int
nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
kr_hex_decode(const char *in, uint8_t *out, size_t len)
{
	size_t i;
	int hi, lo;

	if (strlen(in) != 2 * len)
		return KR_ERR_FORMAT;
	for (i = 0; i < len; i++) {
		if ((hi = nibble(in[2 * i])) < 0 ||
		    (lo = nibble(in[2 * i + 1])) < 0)
			return KR_ERR_FORMAT;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int
kr_base64_encode(const uint8_t *in, size_t len, char **outp)
{
	size_t outlen = 4 * ((len + 2) / 3) + 1;
	char *out;

	*outp = NULL;
	if (len > (size_t)1 << 28)
		return KR_ERR_TOO_LARGE;
	if ((out = malloc(outlen)) == NULL)
		return KR_ERR_NOMEM;
	EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	*outp = out;
	return 0;
}

int
kr_base64_decode(const char *in, size_t inlen, uint8_t **outp,
    size_t *outlenp)
{
	uint8_t *out;
	size_t pad = 0, i, n;
	int got;
	char *check = NULL;

	*outp = NULL;
	*outlenp = 0;
	if (inlen == 0 || inlen % 4 != 0 || inlen > (size_t)1 << 28)
		return KR_ERR_FORMAT;
	for (i = 0; i < inlen; i++) {
		char c = in[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/' ||
		    (c == '=' && i >= inlen - 2)))
			return KR_ERR_FORMAT;
	}
	if (in[inlen - 1] == '=')
		pad++;
	if (in[inlen - 2] == '=')
		pad++;
	if (pad == 1 && in[inlen - 2] == '=')
		return KR_ERR_FORMAT;
	if ((out = malloc(inlen / 4 * 3)) == NULL)
		return KR_ERR_NOMEM;
	got = EVP_DecodeBlock(out, (const unsigned char *)in, (int)inlen);
	if (got < 0 || (size_t)got < pad) {
		free(out);
		return KR_ERR_FORMAT;
	}
	n = (size_t)got - pad;
	/* Canonical only: re-encoding must give the same text. */
	if (kr_base64_encode(out, n, &check) != 0 ||
	    strlen(check) != inlen || memcmp(check, in, inlen) != 0) {
		free(check);
		free(out);
		return KR_ERR_FORMAT;
	}
	free(check);
	*outp = out;
	*outlenp = n;
	return 0;
}
