/*
 * hex.h: hexadecimal, base64 and base45 for public data (ids, hashes,
 * public keys, the QR codes of a printed transcript).
 * Not for secrets: these are not constant time.
 */
#ifndef KR_HEX_H
#define KR_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Writes 2*len lower-case hex digits and a NUL into out (outlen >= 2*len+1). */
void	kr_hex_encode(const uint8_t *in, size_t len, char *out, size_t outlen);

/*
 * Decodes exactly 2*len hex digits (either case) from the NUL-terminated
 * string in into out[len].  Returns 0 or KR_ERR_FORMAT (no detail set).
 */
int	kr_hex_decode(const char *in, uint8_t *out, size_t len);

/* Base64 (RFC 4648, no line breaks).  *outp is malloc()ed and NUL-terminated. */
int	kr_base64_encode(const uint8_t *in, size_t len, char **outp);

/*
 * Decodes base64 (no whitespace) into malloc()ed *outp.  Returns 0 or
 * KR_ERR_FORMAT (no detail set).
 */
int	kr_base64_decode(const char *in, size_t inlen, uint8_t **outp,
	    size_t *outlenp);

/*
 * Base45 (RFC 9285): every 2 bytes become 3 characters of
 * "0-9 A-Z space $ % * + - . / :" (the QR code alphanumeric set), a last
 * single byte 2 characters.  Writes 3 * (len / 2) + 2 * (len % 2)
 * characters and a NUL into malloc()ed *outp.  Returns 0, KR_ERR_NOMEM or
 * KR_ERR_TOO_LARGE.
 */
int	kr_base45_encode(const uint8_t *in, size_t len, char **outp,
	    size_t *outlenp);

/*
 * Decodes base45 in[0..inlen) into malloc()ed *outp (*outp may be NULL
 * when inlen is 0).  Strict: a character outside the alphabet, a length of
 * 3k + 1, a triple above 65535 or a last pair above 255 is KR_ERR_FORMAT
 * (no detail set), so a text has one spelling only.
 */
int	kr_base45_decode(const char *in, size_t inlen, uint8_t **outp,
	    size_t *outlenp);

#endif /* KR_HEX_H */
