/*
 * pe.h: PE/COFF images (UEFI applications and drivers) for Authenticode:
 * a strict parser of the headers, the Authenticode hash and the PE
 * checksum computed as the image streams past, and the signed copy.
 *
 * The Microsoft "Windows Authenticode Portable Executable Signature
 * Format" hashes an image's headers without the CheckSum field and the
 * Certificate Table data directory entry, then its sections in file
 * order, then whatever follows them up to the certificate table.  keyrite
 * accepts only images whose sections lie back to back from the end of the
 * headers, so that this is one contiguous range with two holes, and every
 * verifier (sbverify, osslsigncode, EDK II firmware) hashes the same bytes
 * whether it walks sections or ranges; an image with gaps or overlaps is
 * refused rather than signed with bytes some verifier does not cover.
 * Before the certificate table the image is padded with zeros to a
 * multiple of 8 bytes, and the padding is hashed (as sbsign does and the
 * EDK II verifier expects).
 *
 * The signed copy is the image with the Certificate Table entry and the
 * CheckSum set, the padding, and one WIN_CERTIFICATE (revision 2.0, type
 * PKCS_SIGNED_DATA) holding the Authenticode SignedData.  Its checksum is
 * known before it is written: the input's contribution is summed while the
 * image is hashed, so the copy is written in one pass, never patched.
 *
 * An image that has a certificate table already is refused: keyrite signs
 * unsigned images only.  Nothing here is secret.
 */
#ifndef KR_PE_H
#define KR_PE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define KR_PE_HEAD_MAX		65536		/* SizeOfHeaders, at most */
#define KR_PE_MAX_SECTIONS	96		/* the PE format's limit */
#define KR_PE_CERT_TABLE_MAX	(1u << 20)	/* a table keyrite reads */

struct kr_pe {
	uint64_t	size;		/* of the file */
	uint32_t	lfanew;		/* offset of "PE\0\0" */
	uint16_t	machine;
	int		pe32plus;	/* optional header magic 0x20b */
	uint16_t	nsections;
	uint32_t	header_size;	/* SizeOfHeaders */
	uint32_t	cksum_off;	/* the CheckSum field */
	uint32_t	checksum;	/* as found */
	uint32_t	certdir_off;	/* Certificate Table entry */
	uint32_t	cert_addr;	/* its file offset, 0 if none */
	uint32_t	cert_size;	/* its size, 0 if none */
	uint64_t	sections_end;	/* end of the last section's data */
};

/*
 * Parses the headers of a file of size bytes whose first headlen bytes
 * are head (headlen must be min(size, KR_PE_HEAD_MAX)); source names the
 * file in messages.  Fills *pe.  Returns 0, or KR_ERR_PE_FORMAT with a
 * detail naming the field (e.g. "SizeOfHeaders", "section 3 .data") and
 * what is wrong with it.  A certificate table entry is checked to lie
 * inside the file, but the table itself is checked by
 * kr_pe_check_cert_table().
 */
int	kr_pe_parse(const uint8_t *head, size_t headlen, uint64_t size,
	    const char *source, struct kr_pe *pe);

/*
 * Judges the certificate table (cert_size bytes read from cert_addr) of
 * an image that has one: KR_ERR_PE_SIGNED when it is well-formed (the
 * image is signed already), KR_ERR_PE_FORMAT naming what is malformed.
 */
int	kr_pe_check_cert_table(const struct kr_pe *pe, const uint8_t *table,
	    size_t len, const char *source);

/*
 * The Authenticode hash and the checksum, as the image's bytes stream
 * past in order: kr_pe_stream_init() (md: a SHA-256 context, initialised),
 * kr_pe_stream_update() for every chunk, kr_pe_stream_final() adding the
 * padding to the hash.  sum is the input's share of the signed copy's
 * checksum (every 16-bit word but the CheckSum and Certificate Table
 * entry's), for kr_pe_sign_layout().
 */
struct kr_pe_stream {
	const struct kr_pe	*pe;
	EVP_MD_CTX		*md;
	uint64_t		 off;
	uint64_t		 sum;
};

void	kr_pe_stream_init(struct kr_pe_stream *s, const struct kr_pe *pe,
	    EVP_MD_CTX *md);
int	kr_pe_stream_update(struct kr_pe_stream *s, const uint8_t *p,
	    size_t len);
int	kr_pe_stream_final(struct kr_pe_stream *s);

/* The signed copy's new parts, from kr_pe_sign_layout(). */
struct kr_pe_signed {
	uint8_t		 certdir[8];	/* the new Certificate Table entry */
	uint8_t		 checksum[4];	/* the new CheckSum */
	uint8_t		*tail;		/* padding, then the WIN_CERTIFICATE */
	size_t		 tail_len;
	uint64_t	 size;		/* of the signed copy */
};

/*
 * Lays out the signed copy of pe for the DER SignedData sig: the table
 * after the padded image, the entry pointing at it, and the checksum of
 * the whole copy (sum from kr_pe_stream).  out->tail is malloc()ed; free
 * it with kr_pe_signed_free().  Returns 0, KR_ERR_TOO_LARGE or
 * KR_ERR_NOMEM.
 */
int	kr_pe_sign_layout(const struct kr_pe *pe, uint64_t sum,
	    const uint8_t *sig, size_t siglen, struct kr_pe_signed *out);

/*
 * Turns len bytes of the image at offset off into the same bytes of the
 * signed copy, in place: the CheckSum and the Certificate Table entry get
 * their new values.
 */
void	kr_pe_patch(const struct kr_pe *pe, const struct kr_pe_signed *sg,
	    uint64_t off, uint8_t *p, size_t len);

void	kr_pe_signed_free(struct kr_pe_signed *sg);

#endif /* KR_PE_H */
