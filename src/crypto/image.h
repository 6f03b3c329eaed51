/*
 * image.h: reading a firmware image once, in a bounded buffer, for every
 * digest its signatures need; and writing its Authenticode-signed copy.
 *
 * kr_image_hash() reads an open image from start to end in chunks of
 * KR_IMAGE_CHUNK bytes and feeds each chunk to SHA-256 (what the release
 * manifest names), to the digest the key's firmware scheme signs
 * (fwsig.h; the same context when that is SHA-256), and, for a PE/COFF
 * image to be signed with Authenticode, to the Authenticode hash and the
 * PE checksum (pe.h).  Memory stays at one chunk whatever the image's
 * size; nothing is mapped, so a locked process does not lock the file.
 *
 * kr_image_write_signed() reads the image a second time (the signed copy
 * needs the signature, which needs the hash) and hands the copy, chunk by
 * chunk, to a sink; the SHA-256 of what it read must be the one hashed
 * the first time, or the copy is refused.
 *
 * Nothing here is secret.
 */
#ifndef KR_IMAGE_H
#define KR_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "fwsig.h"
#include "pe.h"

/* At least KR_PE_HEAD_MAX: the first chunk holds a PE image's headers. */
#define KR_IMAGE_CHUNK	(64u * 1024)

/* Called after every chunk with the bytes read so far and the total. */
typedef void	(*kr_image_progress_fn)(void *ctx, uint64_t done,
		    uint64_t total);
/* Takes len bytes of output; 0 or an error. */
typedef int	(*kr_image_sink_fn)(void *ctx, const uint8_t *p, size_t len);

struct kr_image_digests {
	uint8_t		sha256[32];
	uint8_t		sig[KR_FWSIG_DIGEST_MAX];	/* the scheme's */
	size_t		siglen;
	int		authenticode;	/* pe, pe_hash, pe_sum are set */
	struct kr_pe	pe;
	uint8_t		pe_hash[32];
	uint64_t	pe_sum;
};

/*
 * Hashes size bytes from fd (at its start) named name in messages, for
 * the signatures of scheme (fwsig.h); with authenticode
 * set the image must be an unsigned PE/COFF image (KR_ERR_PE_FORMAT,
 * KR_ERR_PE_SIGNED otherwise, from pe.h).  progress (may be NULL) is
 * called after each chunk.  Returns 0, those, KR_ERR_RELEASE_MISMATCH
 * (the file is not size bytes long: it changed), KR_ERR_IO, KR_ERR_NOMEM
 * or KR_ERR_LIBCRYPTO.  *out is written only on success.
 */
int	kr_image_hash(int fd, uint64_t size, const char *name,
	    const struct kr_fwsig_scheme *scheme, int authenticode,
	    kr_image_progress_fn progress, void *pctx,
	    struct kr_image_digests *out);

/*
 * Writes the Authenticode-signed copy of the image (d from
 * kr_image_hash() with authenticode, sg from kr_pe_sign_layout()) to
 * sink: the image from fd with its CheckSum and Certificate Table entry
 * replaced, then sg->tail.  Fails with KR_ERR_RELEASE_MISMATCH, naming
 * name, when the image read now is not the one hashed before; the sink
 * has then been given bytes that must be thrown away.
 */
int	kr_image_write_signed(int fd, const char *name,
	    const struct kr_image_digests *d, const struct kr_pe_signed *sg,
	    kr_image_sink_fn sink, void *sctx, kr_image_progress_fn progress,
	    void *pctx);

#endif /* KR_IMAGE_H */
