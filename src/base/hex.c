/*
 * hex.c: hex, base64 and base45 for public data.  Strict: decoders reject
 * anything that a canonical encoder would not have produced, so a file has
 * one spelling only.
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

static const char base45_alphabet[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

int
kr_base45_encode(const uint8_t *in, size_t len, char **outp,
    size_t *outlenp)
{
	size_t i, o = 0, outlen = 3 * (len / 2) + 2 * (len % 2);
	unsigned int v;
	char *out;

	*outp = NULL;
	*outlenp = 0;
	if (len > (size_t)1 << 28)
		return KR_ERR_TOO_LARGE;
	if ((out = malloc(outlen + 1)) == NULL)
		return KR_ERR_NOMEM;
	for (i = 0; i + 1 < len; i += 2) {
		v = (unsigned int)in[i] << 8 | in[i + 1];
		out[o++] = base45_alphabet[v % 45];
		out[o++] = base45_alphabet[v / 45 % 45];
		out[o++] = base45_alphabet[v / 2025];
	}
	if (len % 2) {
		v = in[len - 1];
		out[o++] = base45_alphabet[v % 45];
		out[o++] = base45_alphabet[v / 45];
	}
	out[o] = '\0';
	*outp = out;
	*outlenp = o;
	return 0;
}

static int
base45_value(char c)
{
	const char *p;

	if (c == '\0' || (p = strchr(base45_alphabet, c)) == NULL)
		return -1;
	return (int)(p - base45_alphabet);
}

int
kr_base45_decode(const char *in, size_t inlen, uint8_t **outp,
    size_t *outlenp)
{
	uint8_t *out = NULL;
	size_t i, k, o = 0;
	int d[3];
	unsigned long v;

	*outp = NULL;
	*outlenp = 0;
	if (inlen % 3 == 1 || inlen > (size_t)1 << 28)
		return KR_ERR_FORMAT;
	if (inlen > 0 && (out = malloc(inlen / 3 * 2 + 1)) == NULL)
		return KR_ERR_NOMEM;
	for (i = 0; i < inlen; i += 3) {
		for (k = 0; k < 3 && i + k < inlen; k++)
			if ((d[k] = base45_value(in[i + k])) < 0)
				goto bad;
		if (k == 3) {
			v = (unsigned long)d[0] + 45UL * (unsigned long)d[1] +
			    2025UL * (unsigned long)d[2];
			if (v > 0xffff)
				goto bad;
			out[o++] = (uint8_t)(v >> 8);
			out[o++] = (uint8_t)v;
		} else {
			v = (unsigned long)d[0] + 45UL * (unsigned long)d[1];
			if (v > 0xff)
				goto bad;
			out[o++] = (uint8_t)v;
		}
	}
	*outp = out;
	*outlenp = o;
	return 0;
 bad:
	free(out);
	return KR_ERR_FORMAT;
}
