/*
 * pe.c: the PE/COFF headers, the Authenticode hash ranges and checksum
 * while an image streams past, and the signed copy's layout.
 *
 * Offsets are those of the Microsoft PE format specification: the DOS
 * header's e_lfanew at 0x3c points at "PE\0\0"; the COFF file header
 * (20 bytes) follows, then the optional header, whose CheckSum is at +64
 * in both PE32 and PE32+ and whose data directory starts at +96 (PE32) or
 * +112 (PE32+); the Certificate Table is data directory entry 4.  The
 * parser reads every field it relies on from a buffer it was given with
 * its length, and checks every offset against that length and the file's
 * size before it uses it.
 *
 * The PE checksum is the 16-bit one's complement sum of the file's
 * little-endian 16-bit words (the CheckSum field counted as zero) plus
 * the file's length.  One's complement addition is associative, so the
 * words can be summed in any order into a 64-bit total and folded at the
 * end: the input's share is summed while the image is hashed, and the
 * parts the signed copy adds or changes are added when it is laid out.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/text.h"
#include "pe.h"

#define DOS_LFANEW	0x3c
#define COFF_BYTES	20
#define SECTION_BYTES	40
#define CERT_ENTRY	4	/* data directory index */
#define IMAGE_FILE_EXECUTABLE_IMAGE	0x0002
#define WIN_CERT_REVISION_2	0x0200
#define WIN_CERT_TYPE_PKCS	0x0002

static uint16_t
le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static int __attribute__((format(printf, 2, 3)))
bad(const char *source, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return kr_err_set(KR_ERR_PE_FORMAT, "%s is not a PE/COFF image keyrite "
	    "can sign with Authenticode: %s", source, msg);
}

/* A section's name for messages: up to 8 bytes, escaped. */
static void
section_name(const uint8_t *sh, char *out, size_t outlen)
{
	char raw[9];

	memcpy(raw, sh, 8);
	raw[8] = '\0';
	kr_printable(raw, out, outlen);
}

static int
parse_optional(const uint8_t *h, size_t hl, const char *src, struct kr_pe *pe,
    uint32_t opt, uint16_t optsize, uint32_t *ddp)
{
	uint32_t dd, nrva, magic_size;
	uint16_t magic;

	if (opt + 2u > hl || optsize < 2)
		return bad(src, "the optional header is missing");
	magic = le16(h + opt);
	if (magic != 0x10b && magic != 0x20b)
		return bad(src, "optional header magic 0x%04x is neither PE32 "
		    "(0x10b) nor PE32+ (0x20b)", magic);
	pe->pe32plus = magic == 0x20b;
	dd = pe->pe32plus ? 112 : 96;
	magic_size = dd + 8 * (CERT_ENTRY + 1);
	if (optsize < magic_size)
		return bad(src, "SizeOfOptionalHeader %u is too small to hold "
		    "the Certificate Table entry (at least %u)", optsize,
		    magic_size);
	if (opt + (uint32_t)optsize > hl)
		return bad(src, "the optional header (%u bytes at 0x%x) runs "
		    "past the end of the file (%zu bytes): the file is "
		    "truncated", optsize, opt, hl);
	nrva = le32(h + opt + dd - 4);
	if (nrva < CERT_ENTRY + 1 || nrva > 16 || dd + 8 * nrva > optsize)
		return bad(src, "NumberOfRvaAndSizes %u: it must be 5 to 16 and "
		    "fit in the optional header", nrva);
	pe->header_size = le32(h + opt + 60);
	pe->cksum_off = opt + 64;
	pe->checksum = le32(h + pe->cksum_off);
	pe->certdir_off = opt + dd + 8 * CERT_ENTRY;
	pe->cert_addr = le32(h + pe->certdir_off);
	pe->cert_size = le32(h + pe->certdir_off + 4);
	*ddp = dd;
	return 0;
}

/* Sections with data, sorted by file offset: back to back after headers. */
static int
check_sections(const uint8_t *h, const char *src, struct kr_pe *pe,
    uint32_t table)
{
	uint32_t ptr[KR_PE_MAX_SECTIONS], len[KR_PE_MAX_SECTIONS];
	size_t idx[KR_PE_MAX_SECTIONS], n = 0, i, j, t;
	char name[40];
	uint64_t at;

	for (i = 0; i < pe->nsections; i++) {
		const uint8_t *sh = h + table + SECTION_BYTES * i;

		len[i] = le32(sh + 16);
		ptr[i] = le32(sh + 20);
		if (len[i] == 0)
			continue;
		section_name(sh, name, sizeof(name));
		if ((uint64_t)ptr[i] + len[i] > pe->size)
			return bad(src, "section %zu (%s) ends at byte %llu, "
			    "past the end of the file (%llu bytes): the file "
			    "is truncated", i + 1, name,
			    (unsigned long long)ptr[i] + len[i],
			    (unsigned long long)pe->size);
		/* Insertion sort by offset: at most 96 sections. */
		for (j = n++; j > 0 && ptr[idx[j - 1]] > ptr[i]; j--)
			idx[j] = idx[j - 1];
		idx[j] = i;
	}
	at = pe->header_size;
	for (j = 0; j < n; j++) {
		t = idx[j];
		if (ptr[t] != at) {
			section_name(h + table + SECTION_BYTES * t, name,
			    sizeof(name));
			return bad(src, "section %zu (%s) starts at byte %u, but "
			    "the data before it ends at byte %llu: the sections "
			    "are not back to back (a gap or an overlap), so "
			    "Authenticode verifiers could hash different bytes",
			    t + 1, name, ptr[t], (unsigned long long)at);
		}
		at += len[t];
	}
	pe->sections_end = at;
	return 0;
}

static int
check_cert_entry(const char *src, const struct kr_pe *pe)
{
	if (pe->cert_addr == 0 && pe->cert_size == 0)
		return 0;
	if (pe->cert_addr == 0 || pe->cert_size < 8)
		return bad(src, "the Certificate Table entry (offset %u, %u "
		    "bytes) is malformed", pe->cert_addr, pe->cert_size);
	if (pe->cert_addr < pe->sections_end || pe->cert_addr % 8 != 0 ||
	    (uint64_t)pe->cert_addr + pe->cert_size != pe->size)
		return bad(src, "the certificate table (offset %u, %u bytes) is "
		    "not where it must be: 8-byte aligned, after the sections, "
		    "ending at the end of the file (%llu bytes)", pe->cert_addr,
		    pe->cert_size, (unsigned long long)pe->size);
	if (pe->cert_size > KR_PE_CERT_TABLE_MAX)
		return bad(src, "the certificate table is %u bytes, more than "
		    "keyrite reads (%u)", pe->cert_size, KR_PE_CERT_TABLE_MAX);
	return 0;
}

int
kr_pe_parse(const uint8_t *h, size_t hl, uint64_t size, const char *src,
    struct kr_pe *out)
{
	struct kr_pe pe;
	uint32_t opt, table, dd;
	uint16_t optsize, chars;
	int r;

	memset(&pe, 0, sizeof(pe));
	pe.size = size;
	if (size < 64 || hl < 64 || h[0] != 'M' || h[1] != 'Z')
		return bad(src, "no DOS header (it does not start with 'MZ')");
	pe.lfanew = le32(h + DOS_LFANEW);
	if (pe.lfanew < 64 || pe.lfanew % 8 != 0 ||
	    (uint64_t)pe.lfanew + 4 + COFF_BYTES > hl)
		return bad(src, "e_lfanew 0x%x does not point at a PE header "
		    "inside the file (8-byte aligned, after the DOS header)",
		    pe.lfanew);
	if (memcmp(h + pe.lfanew, "PE\0\0", 4) != 0)
		return bad(src, "no PE signature at e_lfanew 0x%x", pe.lfanew);
	pe.machine = le16(h + pe.lfanew + 4);
	pe.nsections = le16(h + pe.lfanew + 6);
	optsize = le16(h + pe.lfanew + 20);
	chars = le16(h + pe.lfanew + 22);
	if ((chars & IMAGE_FILE_EXECUTABLE_IMAGE) == 0)
		return bad(src, "the COFF Characteristics do not mark an "
		    "executable image (an object file?)");
	if (pe.nsections == 0 || pe.nsections > KR_PE_MAX_SECTIONS)
		return bad(src, "NumberOfSections %u is outside 1..%d",
		    pe.nsections, KR_PE_MAX_SECTIONS);
	opt = pe.lfanew + 4 + COFF_BYTES;
	if ((r = parse_optional(h, hl, src, &pe, opt, optsize, &dd)) != 0)
		return r;
	table = opt + optsize;
	if ((uint64_t)table + (uint64_t)SECTION_BYTES * pe.nsections >
	    pe.header_size)
		return bad(src, "the section table (%u sections at 0x%x) does "
		    "not fit in SizeOfHeaders (%u)", pe.nsections, table,
		    pe.header_size);
	if (pe.header_size > size || pe.header_size > hl)
		return bad(src, "SizeOfHeaders %u is larger than the file (%llu "
		    "bytes) or than keyrite reads (%u): the file is truncated",
		    pe.header_size, (unsigned long long)size, KR_PE_HEAD_MAX);
	if ((r = check_sections(h, src, &pe, table)) != 0 ||
	    (r = check_cert_entry(src, &pe)) != 0)
		return r;
	*out = pe;
	return 0;
}

int
kr_pe_check_cert_table(const struct kr_pe *pe, const uint8_t *t, size_t len,
    const char *src)
{
	size_t off = 0, n = 0;
	uint32_t dwlen;
	uint16_t rev, type;

	if (len != pe->cert_size)
		return bad(src, "the certificate table could not be read whole");
	while (off < len) {
		n++;
		if (len - off < 8)
			return bad(src, "certificate table entry %zu is cut off "
			    "(%zu bytes left, its header is 8)", n, len - off);
		dwlen = le32(t + off);
		rev = le16(t + off + 4);
		type = le16(t + off + 6);
		if (dwlen < 8 || dwlen > len - off)
			return bad(src, "certificate table entry %zu: its length "
			    "%u does not fit the table (%zu bytes left)", n,
			    dwlen, len - off);
		if (rev != WIN_CERT_REVISION_2 && rev != 0x0100)
			return bad(src, "certificate table entry %zu: revision "
			    "0x%04x is not 0x0100 or 0x0200", n, rev);
		if (type < 1 || type > 4)
			return bad(src, "certificate table entry %zu: type "
			    "0x%04x is not a WIN_CERT_TYPE", n, type);
		off += ((size_t)dwlen + 7) & ~(size_t)7;
	}
	return kr_err_set(KR_ERR_PE_SIGNED, "%s is signed already: it carries "
	    "%zu Authenticode signature%s (certificate table at offset %u, %u "
	    "bytes); keyrite signs unsigned images only: give it the image as "
	    "the build made it", src, n, n == 1 ? "" : "s", pe->cert_addr,
	    pe->cert_size);
}

/* Adds bytes at file offset off to a 16-bit little-endian word sum. */
static uint64_t
sum_bytes(uint64_t sum, uint64_t off, const uint8_t *p, size_t len)
{
	size_t i = 0;

	if (len > 0 && (off & 1)) {
		sum += (uint64_t)p[0] << 8;
		i = 1;
	}
	for (; i + 1 < len; i += 2)
		sum += (uint64_t)p[i] | (uint64_t)p[i + 1] << 8;
	if (i < len)
		sum += p[i];
	return sum;
}

void
kr_pe_stream_init(struct kr_pe_stream *s, const struct kr_pe *pe,
    EVP_MD_CTX *md)
{
	memset(s, 0, sizeof(s[0]));
	s->pe = pe;
	s->md = md;
}

/*
 * Hashes and sums [from, to) of the chunk at s->off, clipped to it.
 * Returns 1, or 0 when the digest failed.
 */
static int
take(struct kr_pe_stream *s, const uint8_t *p, size_t len, uint64_t from,
    uint64_t to)
{
	uint64_t a = from > s->off ? from : s->off;
	uint64_t b = to < s->off + len ? to : s->off + len;

	if (a >= b)
		return 1;
	s->sum = sum_bytes(s->sum, a, p + (a - s->off), (size_t)(b - a));
	return EVP_DigestUpdate(s->md, p + (a - s->off), (size_t)(b - a)) ==
	    1;
}

int
kr_pe_stream_update(struct kr_pe_stream *s, const uint8_t *p, size_t len)
{
	const struct kr_pe *pe = s->pe;
	uint64_t c0 = pe->cksum_off, c1 = c0 + 4;
	uint64_t d0 = pe->certdir_off, d1 = d0 + 8;

	if (!take(s, p, len, 0, c0) || !take(s, p, len, c1, d0) ||
	    !take(s, p, len, d1, UINT64_MAX))
		return kr_err_libcrypto(KR_ERR_LIBCRYPTO, "Authenticode hash");
	s->off += len;
	return 0;
}

int
kr_pe_stream_final(struct kr_pe_stream *s)
{
	static const uint8_t zero[8];
	size_t pad = (size_t)((8 - s->pe->size % 8) % 8);

	if (s->off != s->pe->size)
		return kr_err_set(KR_ERR_INTERNAL, "Authenticode hash: %llu of "
		    "%llu bytes", (unsigned long long)s->off,
		    (unsigned long long)s->pe->size);
	if (pad > 0 && EVP_DigestUpdate(s->md, zero, pad) != 1)
		return kr_err_libcrypto(KR_ERR_LIBCRYPTO, "Authenticode hash");
	return 0;
}

int
kr_pe_sign_layout(const struct kr_pe *pe, uint64_t sum, const uint8_t *sig,
    size_t siglen, struct kr_pe_signed *out)
{
	uint64_t padded = (pe->size + 7) & ~(uint64_t)7;
	size_t pad = (size_t)(padded - pe->size), entry, table;
	uint16_t folded;

	memset(out, 0, sizeof(*out));
	entry = 8 + siglen;
	table = (entry + 7) & ~(size_t)7;
	if (siglen > KR_PE_CERT_TABLE_MAX || padded + table > UINT32_MAX)
		return kr_err_set(KR_ERR_TOO_LARGE, "a PE image of %llu bytes "
		    "cannot carry a certificate table (the format's offsets "
		    "are 32-bit)", (unsigned long long)pe->size);
	out->tail_len = pad + table;
	if ((out->tail = calloc(1, out->tail_len)) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "signed PE image");
	put32(out->tail + pad, (uint32_t)entry);
	out->tail[pad + 4] = WIN_CERT_REVISION_2 & 0xff;
	out->tail[pad + 5] = WIN_CERT_REVISION_2 >> 8;
	out->tail[pad + 6] = WIN_CERT_TYPE_PKCS;
	memcpy(out->tail + pad + 8, sig, siglen);
	put32(out->certdir, (uint32_t)padded);
	put32(out->certdir + 4, (uint32_t)table);
	out->size = padded + table;
	sum = sum_bytes(sum, pe->certdir_off, out->certdir, 8);
	sum = sum_bytes(sum, pe->size, out->tail, out->tail_len);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	folded = (uint16_t)sum;
	put32(out->checksum, (uint32_t)(folded + out->size));
	return 0;
}

/* Copies the bytes of field [at, at + n) that fall in the chunk. */
static void
overlay(uint64_t off, uint8_t *p, size_t len, uint64_t at, const uint8_t *v,
    size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (at + i >= off && at + i < off + len)
			p[at + i - off] = v[i];
}

void
kr_pe_patch(const struct kr_pe *pe, const struct kr_pe_signed *sg,
    uint64_t off, uint8_t *p, size_t len)
{
	overlay(off, p, len, pe->cksum_off, sg->checksum, 4);
	overlay(off, p, len, pe->certdir_off, sg->certdir, 8);
}

void
kr_pe_signed_free(struct kr_pe_signed *sg)
{
	if (sg == NULL)
		return;
	free(sg->tail);
	memset(sg, 0, sizeof(*sg));
}
