/*
 * fuzz_pe.c: libFuzzer harness for the PE/COFF parser and the
 * Authenticode ranges, kr_pe_parse(), kr_pe_check_cert_table() and
 * kr_pe_stream_*().  Run with `make fuzz` (tests/fuzz/fuzz.mk); seeds in
 * tests/fuzz/corpus/pe/ (UEFI images).
 *
 * The input is a whole image file.  Its head (at most KR_PE_HEAD_MAX
 * bytes) is parsed as keyrite parses it; an image that parses must keep
 * pe.h's promises, checked here:
 *
 *   - the CheckSum field and the Certificate Table entry lie inside the
 *     headers, the second after the first, and SizeOfHeaders inside the
 *     file;
 *   - the sections' data ends inside the file, at or after the headers;
 *   - a certificate table lies after the sections and ends at the end of
 *     the file; checking it gives KR_ERR_PE_SIGNED or KR_ERR_PE_FORMAT;
 *   - for an unsigned image, the Authenticode hash streamed in chunks of
 *     a size taken from the input equals SHA-256 of the ranges cut out
 *     by hand, and the signed copy's layout checks out.
 *
 * A broken promise calls abort(), which libFuzzer reports as a crash.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "base/err.h"
#include "crypto/pe.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_pe: %s\n", what);
	abort();
}

static void
hash_ranges(const struct kr_pe *pe, const uint8_t *data, size_t size)
{
	static const uint8_t zero[8], sig[40];
	uint8_t a[32], b[32];
	struct kr_pe_signed sg;
	struct kr_pe_stream s;
	EVP_MD_CTX *m1 = EVP_MD_CTX_new(), *m2 = EVP_MD_CTX_new();
	size_t chunk = 1 + data[size - 1] % 97, off, n;

	if (m1 == NULL || m2 == NULL)
		goto out;
	EVP_DigestInit_ex(m1, EVP_sha256(), NULL);
	EVP_DigestInit_ex(m2, EVP_sha256(), NULL);
	kr_pe_stream_init(&s, pe, m1);
	for (off = 0; off < size; off += n) {
		n = size - off < chunk ? size - off : chunk;
		if (kr_pe_stream_update(&s, data + off, n) != 0)
			fail("stream update failed");
	}
	if (kr_pe_stream_final(&s) != 0)
		fail("stream final failed");
	EVP_DigestFinal_ex(m1, a, NULL);
	EVP_DigestUpdate(m2, data, pe->cksum_off);
	EVP_DigestUpdate(m2, data + pe->cksum_off + 4,
	    pe->certdir_off - pe->cksum_off - 4);
	EVP_DigestUpdate(m2, data + pe->certdir_off + 8,
	    size - pe->certdir_off - 8);
	EVP_DigestUpdate(m2, zero, (8 - size % 8) % 8);
	EVP_DigestFinal_ex(m2, b, NULL);
	if (memcmp(a, b, 32) != 0)
		fail("the streamed Authenticode hash differs from the ranges");
	if (kr_pe_sign_layout(pe, s.sum, sig, sizeof(sig), &sg) == 0) {
		if (sg.size != ((size + 7) & ~(size_t)7) + 48 ||
		    sg.tail_len != sg.size - size)
			fail("the signed copy's layout");
		kr_pe_signed_free(&sg);
	}
 out:
	EVP_MD_CTX_free(m1);
	EVP_MD_CTX_free(m2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kr_pe pe;
	size_t head = size < KR_PE_HEAD_MAX ? size : KR_PE_HEAD_MAX;
	int rc;

	rc = kr_pe_parse(data, head, size, "fuzz.efi", &pe);
	if (rc != 0) {
		if (rc != KR_ERR_PE_FORMAT)
			fail("failed with an undocumented code");
		ERR_clear_error();
		return 0;
	}
	if (pe.cksum_off + 4 > pe.certdir_off ||
	    pe.certdir_off + 8 > pe.header_size || pe.header_size > size ||
	    pe.sections_end > size || pe.sections_end < pe.header_size)
		fail("a parsed image breaks the header's promises");
	if (pe.cert_size != 0) {
		if (pe.cert_addr < pe.sections_end || pe.cert_addr % 8 != 0 ||
		    (uint64_t)pe.cert_addr + pe.cert_size != size)
			fail("the certificate table is out of place");
		rc = kr_pe_check_cert_table(&pe, data + pe.cert_addr,
		    pe.cert_size, "fuzz.efi");
		if (rc != KR_ERR_PE_SIGNED && rc != KR_ERR_PE_FORMAT)
			fail("a certificate table judged neither way");
	} else
		hash_ranges(&pe, data, size);
	ERR_clear_error();
	return 0;
}
