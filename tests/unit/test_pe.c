/*
 * test_pe.c: the PE/COFF parser, the Authenticode hash ranges, the
 * checksum and the signed copy's layout, on a PE32+ image built here
 * field by field.  The Authenticode hash is checked against SHA-256 of
 * the ranges cut out by hand, streamed in chunks of every awkward size
 * (so a hole that straddles two chunks is covered); the signed copy's
 * checksum against a plain word-by-word implementation of the PE
 * checksum over the whole copy.  Then one malformed image per check,
 * with the field its message names, and malformed certificate tables.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <openssl/evp.h>

#include "base/err.h"
#include "crypto/pe.h"

#define LFANEW		0x40
#define OPT		(LFANEW + 24)
#define TABLE		(OPT + 240)
#define HDRS		0x200
#define CKSUM		(OPT + 64)
#define CERTDIR		(OPT + 112 + 32)
#define IMAGE_SIZE	(0x600 + 13)	/* two sections and some trailer */

static uint8_t img[IMAGE_SIZE];

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static void
section(int i, const char *name, uint32_t ptr, uint32_t len)
{
	uint8_t *sh = img + TABLE + 40 * i;

	memcpy(sh, name, strlen(name));
	put32(sh + 16, len);
	put32(sh + 20, ptr);
}

static void
build(void)
{
	size_t i;

	for (i = 0; i < sizeof(img); i++)
		img[i] = (uint8_t)(i * 7 + 3);
	memset(img, 0, HDRS);
	img[0] = 'M';
	img[1] = 'Z';
	put32(img + 0x3c, LFANEW);
	memcpy(img + LFANEW, "PE\0\0", 4);
	put16(img + LFANEW + 4, 0x8664);
	put16(img + LFANEW + 6, 2);
	put16(img + LFANEW + 20, 240);
	put16(img + LFANEW + 22, 0x0022);
	put16(img + OPT, 0x20b);
	put32(img + OPT + 60, HDRS);
	put32(img + CKSUM, 0x12345678);
	put32(img + OPT + 108, 16);
	section(0, ".text", 0x200, 0x200);
	section(1, ".data", 0x400, 0x200);
}

static int
parse(size_t size, struct kr_pe *pe)
{
	return kr_pe_parse(img, size, size, "x.efi", pe);
}

Test(pe, parses)
{
	struct kr_pe pe;

	build();
	cr_assert_eq(parse(sizeof(img), &pe), 0, "%s", kr_err_detail());
	cr_assert(pe.pe32plus);
	cr_assert_eq(pe.machine, 0x8664);
	cr_assert_eq(pe.nsections, 2);
	cr_assert_eq(pe.header_size, HDRS);
	cr_assert_eq(pe.cksum_off, CKSUM);
	cr_assert_eq(pe.checksum, 0x12345678);
	cr_assert_eq(pe.certdir_off, CERTDIR);
	cr_assert_eq(pe.cert_addr, 0);
	cr_assert_eq(pe.sections_end, 0x600);
}

/* SHA-256 of the Authenticode ranges, cut out by hand. */
static void
by_hand(uint8_t out[32])
{
	static const uint8_t zero[8];
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	EVP_DigestUpdate(md, img, CKSUM);
	EVP_DigestUpdate(md, img + CKSUM + 4, CERTDIR - CKSUM - 4);
	EVP_DigestUpdate(md, img + CERTDIR + 8, sizeof(img) - CERTDIR - 8);
	EVP_DigestUpdate(md, zero, (8 - sizeof(img) % 8) % 8);
	EVP_DigestFinal_ex(md, out, NULL);
	EVP_MD_CTX_free(md);
}

static void
streamed(const struct kr_pe *pe, size_t chunk, uint8_t out[32],
    uint64_t *sum)
{
	struct kr_pe_stream s;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t off, n;

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	kr_pe_stream_init(&s, pe, md);
	for (off = 0; off < sizeof(img); off += n) {
		n = sizeof(img) - off < chunk ? sizeof(img) - off : chunk;
		cr_assert_eq(kr_pe_stream_update(&s, img + off, n), 0);
	}
	cr_assert_eq(kr_pe_stream_final(&s), 0);
	EVP_DigestFinal_ex(md, out, NULL);
	EVP_MD_CTX_free(md);
	*sum = s.sum;
}

Test(pe, authenticode_hash_in_any_chunks)
{
	static const size_t chunks[] = { 1, 2, 3, 7, 64, 151, 152, 153, 233,
	    512, 4096, IMAGE_SIZE };
	uint8_t want[32], got[32];
	uint64_t sum, sum0 = 0;
	struct kr_pe pe;
	size_t i;

	build();
	cr_assert_eq(parse(sizeof(img), &pe), 0);
	by_hand(want);
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		streamed(&pe, chunks[i], got, &sum);
		cr_assert_eq(memcmp(got, want, 32), 0, "chunks of %zu",
		    chunks[i]);
		if (i == 0)
			sum0 = sum;
		cr_assert_eq(sum, sum0, "checksum sum, chunks of %zu",
		    chunks[i]);
	}
}

/* The PE checksum as the format defines it, over a whole file. */
static uint32_t
checksum(const uint8_t *p, size_t len, size_t cks)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i < len; i += 2) {
		uint32_t w = p[i] | (i + 1 < len ? p[i + 1] << 8 : 0);

		if (i >= cks && i < cks + 4)
			w = 0;
		sum += w;
		sum = (sum & 0xffff) + (sum >> 16);
	}
	return sum + (uint32_t)len;
}

Test(pe, signed_copy)
{
	uint8_t sig[333], *out, h[32];
	struct kr_pe_signed sg;
	struct kr_pe pe, back;
	uint64_t sum;
	size_t i, pad = (8 - sizeof(img) % 8) % 8;

	build();
	cr_assert_eq(parse(sizeof(img), &pe), 0);
	streamed(&pe, 100, h, &sum);
	for (i = 0; i < sizeof(sig); i++)
		sig[i] = (uint8_t)(0xa5 ^ i);
	cr_assert_eq(kr_pe_sign_layout(&pe, sum, sig, sizeof(sig), &sg), 0);
	cr_assert_eq(sg.size, sizeof(img) + pad + ((8 + sizeof(sig) + 7) & ~7u));
	cr_assert_not_null(out = malloc(sg.size));
	memcpy(out, img, sizeof(img));
	/* Patched in two pieces, split inside the CheckSum field. */
	kr_pe_patch(&pe, &sg, 0, out, CKSUM + 2);
	kr_pe_patch(&pe, &sg, CKSUM + 2, out + CKSUM + 2,
	    sizeof(img) - CKSUM - 2);
	memcpy(out + sizeof(img), sg.tail, sg.tail_len);
	cr_assert_eq(get32(out + CKSUM), checksum(out, sg.size, CKSUM),
	    "checksum %08x, computed %08x", get32(out + CKSUM),
	    checksum(out, sg.size, CKSUM));
	cr_assert_eq(get32(out + CERTDIR), sizeof(img) + pad, "table offset");
	cr_assert_eq(get32(out + CERTDIR + 4), sg.size - sizeof(img) - pad);
	cr_assert_eq(get32(out + sizeof(img) + pad), 8 + sizeof(sig),
	    "dwLength");
	cr_assert_eq(out[sizeof(img) + pad + 4], 0x00);
	cr_assert_eq(out[sizeof(img) + pad + 5], 0x02, "revision 2.0");
	cr_assert_eq(out[sizeof(img) + pad + 6], 0x02, "PKCS_SIGNED_DATA");
	cr_assert_eq(memcmp(out + sizeof(img) + pad + 8, sig, sizeof(sig)), 0);
	for (i = 0; i < pad; i++)
		cr_assert_eq(out[sizeof(img) + i], 0, "padding");
	/* The copy parses, and is signed. */
	cr_assert_eq(kr_pe_parse(out, HDRS, sg.size, "y.efi", &back), 0,
	    "%s", kr_err_detail());
	cr_assert_eq(kr_pe_check_cert_table(&back, out + back.cert_addr,
	    back.cert_size, "y.efi"), KR_ERR_PE_SIGNED);
	cr_assert_not_null(strstr(kr_err_detail(), "y.efi is signed already: "
	    "it carries 1 Authenticode signature"), "%s", kr_err_detail());
	/* A table with a bad entry is malformed, not signed. */
	out[back.cert_addr + 4] = 0x07;
	cr_assert_eq(kr_pe_check_cert_table(&back, out + back.cert_addr,
	    back.cert_size, "y.efi"), KR_ERR_PE_FORMAT);
	cr_assert_not_null(strstr(kr_err_detail(), "certificate table entry 1: "
	    "revision 0x0207"), "%s", kr_err_detail());
	put32(out + back.cert_addr, 0xffff);
	cr_assert_eq(kr_pe_check_cert_table(&back, out + back.cert_addr,
	    back.cert_size, "y.efi"), KR_ERR_PE_FORMAT);
	cr_assert_not_null(strstr(kr_err_detail(), "its length 65535 does not "
	    "fit the table"), "%s", kr_err_detail());
	kr_pe_signed_free(&sg);
	free(out);
}

static const struct bad_pe {
	const char	*name;
	size_t		 off;		/* where to write */
	int		 width;		/* 1, 2 or 4 bytes; 0: truncate; 8:
					   the certificate entry, 16 bytes */
	uint32_t	 value;
	const char	*want;		/* in the message */
} bad[] = {
	{ "no_mz", 0, 1, 'X', "no DOS header" },
	{ "lfanew_odd", 0x3c, 4, 0x44, "e_lfanew 0x44 does not point at a PE "
	    "header" },
	{ "lfanew_past", 0x3c, 4, 0x10000, "e_lfanew 0x10000" },
	{ "no_pe", LFANEW, 1, 'Q', "no PE signature at e_lfanew 0x40" },
	{ "object_file", LFANEW + 22, 2, 0x0020, "do not mark an executable "
	    "image" },
	{ "no_sections", LFANEW + 6, 2, 0, "NumberOfSections 0 is outside "
	    "1..96" },
	{ "magic", OPT, 2, 0x107, "optional header magic 0x0107" },
	{ "optsize", LFANEW + 20, 2, 100, "SizeOfOptionalHeader 100 is too "
	    "small" },
	{ "nrva", OPT + 108, 4, 4, "NumberOfRvaAndSizes 4" },
	{ "headers_past", OPT + 60, 4, 0x10000, "SizeOfHeaders 65536 is "
	    "larger than the file" },
	{ "table_past_headers", OPT + 60, 4, 0x180, "does not fit in "
	    "SizeOfHeaders (384)" },
	{ "section_past", TABLE + 40 + 16, 4, 0x800, "section 2 (.data) ends "
	    "at byte 3072, past the end of the file" },
	{ "gap", TABLE + 40 + 20, 4, 0x408, "section 2 (.data) starts at byte "
	    "1032, but the data before it ends at byte 1024" },
	{ "overlap", TABLE + 40 + 20, 4, 0x300, "section 2 (.data) starts at "
	    "byte 768, but the data before it ends at byte 1024" },
	{ "headers_gap", TABLE + 20, 4, 0x210, "starts at byte 528, but the "
	    "data before it ends at byte 512" },
	{ "cert_past", CERTDIR, 8, 0x608, "the certificate table (offset "
	    "1544, 16 bytes) is not where it must be" },
	{ "cert_unaligned", CERTDIR, 8, 0x5fd, "the certificate table (offset "
	    "1533, 16 bytes) is not where it must be" },
	{ "cert_in_sections", CERTDIR, 8, 0x400, "the certificate table "
	    "(offset 1024, 16 bytes) is not where it must be" },
	{ "cert_inside", CERTDIR + 4, 4, 16, "the Certificate Table entry "
	    "(offset 0, 16 bytes) is malformed" },
	{ "truncated", 300, 0, 0, "the file is truncated" },
};

Test(pe, malformed)
{
	struct kr_pe pe;
	size_t i, size;
	int rc;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		build();
		size = sizeof(img);
		switch (bad[i].width) {
		case 0:
			size = bad[i].off;
			break;
		case 1:
			img[bad[i].off] = (uint8_t)bad[i].value;
			break;
		case 2:
			put16(img + bad[i].off, (uint16_t)bad[i].value);
			break;
		case 8:
			put32(img + bad[i].off, bad[i].value);
			put32(img + bad[i].off + 4, 16);
			break;
		default:
			put32(img + bad[i].off, bad[i].value);
		}
		rc = parse(size, &pe);
		cr_expect_eq(rc, KR_ERR_PE_FORMAT, "%s: returned %d", bad[i].name,
		    rc);
		cr_expect(strncmp(kr_err_detail(), "x.efi is not a PE/COFF "
		    "image keyrite can sign with Authenticode: ", 64) == 0,
		    "%s: %s", bad[i].name, kr_err_detail());
		cr_expect_not_null(strstr(kr_err_detail(), bad[i].want),
		    "%s: %s", bad[i].name, kr_err_detail());
	}
}

Test(pe, too_large_to_sign)
{
	struct kr_pe_signed sg;
	struct kr_pe pe;
	uint8_t sig[64] = { 0 };

	build();
	cr_assert_eq(parse(sizeof(img), &pe), 0);
	pe.size = 0xfffffff0ULL;
	cr_assert_eq(kr_pe_sign_layout(&pe, 0, sig, sizeof(sig), &sg),
	    KR_ERR_TOO_LARGE);
	cr_assert_null(sg.tail);
}
