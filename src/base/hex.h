/*
 * hex.h: hexadecimal and base64 for public data (ids, hashes, public keys).
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

#endif /* KR_HEX_H */
