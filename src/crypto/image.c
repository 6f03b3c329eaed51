/*
 * image.c: one bounded pass over an image for its digests, and a second
 * one that writes its Authenticode-signed copy.
 *
 * The image's length is the manifest's; the reads must give exactly that
 * many bytes and then end of file, so an image that grows or shrinks
 * while it is read is refused rather than signed in part.
 *
 * One thread reads and hashes, in 64 KiB reads that stay in the CPU's
 * cache between the copy and the hash; the kernel's read-ahead
 * (POSIX_FADV_SEQUENTIAL) overlaps a slow medium with the hashing.  A
 * reader thread one chunk ahead was measured: it cost about 0.15 s of CPU
 * per GiB in hand-offs and gained nothing on a busy machine.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "base/err.h"
#include "base/hex.h"
#include "image.h"

struct reader {
	int		 fd;
	const char	*name;
	uint64_t	 size, done;
	uint8_t		*buf;
};

/* Fills up to want bytes (fewer only at the end); *gotp what came. */
static int
fill(struct reader *rd, size_t want, size_t *gotp)
{
	size_t got = 0;
	ssize_t n;

	if (rd->size - rd->done < want)
		want = (size_t)(rd->size - rd->done);
	while (got < want) {
		n = read(rd->fd, rd->buf + got, want - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return kr_err_errno(KR_ERR_IO, "reading %s", rd->name);
		if (n == 0)
			return kr_err_set(KR_ERR_RELEASE_MISMATCH, "%s ended "
			    "after %llu of its %llu bytes: it changed while it "
			    "was read; stop and find out why", rd->name,
			    (unsigned long long)(rd->done + got),
			    (unsigned long long)rd->size);
		got += (size_t)n;
	}
	rd->done += got;
	*gotp = got;
	return 0;
}

/* After the last byte: end of file, or the image grew. */
static int
at_end(struct reader *rd)
{
	uint8_t one;
	ssize_t n;

	while ((n = read(rd->fd, &one, 1)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return kr_err_errno(KR_ERR_IO, "reading %s", rd->name);
	if (n > 0)
		return kr_err_set(KR_ERR_RELEASE_MISMATCH, "%s is longer than "
		    "its %llu bytes: it changed while it was read; stop and "
		    "find out why", rd->name, (unsigned long long)rd->size);
	return 0;
}

static int
reader_open(struct reader *rd, int fd, uint64_t size, const char *name)
{
	memset(rd, 0, sizeof(*rd));
	rd->fd = fd;
	rd->name = name;
	rd->size = size;
	if (lseek(fd, 0, SEEK_SET) != 0)
		return kr_err_errno(KR_ERR_IO, "reading %s", name);
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if ((rd->buf = malloc(KR_IMAGE_CHUNK)) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "reading %s", name);
	return 0;
}

/* The headers (in the first chunk) and any certificate table. */
static int
parse_pe(int fd, const uint8_t *head, size_t len, uint64_t size,
    const char *name, struct kr_pe *pe)
{
	uint8_t *table = NULL;
	ssize_t n;
	int r;

	if ((r = kr_pe_parse(head, len < KR_PE_HEAD_MAX ? len : KR_PE_HEAD_MAX,
	    size, name, pe)) != 0 || pe->cert_size == 0)
		return r;
	if ((table = malloc(pe->cert_size)) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "reading %s", name);
	n = pread(fd, table, pe->cert_size, pe->cert_addr);
	if (n != (ssize_t)pe->cert_size)
		r = kr_err_errno(KR_ERR_IO, "reading the certificate table of "
		    "%s", name);
	else
		r = kr_pe_check_cert_table(pe, table, pe->cert_size, name);
	free(table);
	return r;
}

struct hashes {
	EVP_MD_CTX		*sha256, *sig, *pe;
	struct kr_pe_stream	 ps;
};

static void
hashes_free(struct hashes *h)
{
	EVP_MD_CTX_free(h->sha256);
	EVP_MD_CTX_free(h->sig);
	EVP_MD_CTX_free(h->pe);
}

static int
feed(struct hashes *h, const uint8_t *p, size_t len, int authenticode)
{
	if (EVP_DigestUpdate(h->sha256, p, len) != 1 ||
	    (h->sig != NULL && EVP_DigestUpdate(h->sig, p, len) != 1))
		return kr_err_libcrypto(KR_ERR_LIBCRYPTO, "hashing an image");
	return authenticode ? kr_pe_stream_update(&h->ps, p, len) : 0;
}

static int
finish(struct hashes *h, struct kr_image_digests *d)
{
	int r;

	if ((r = kr_fwsig_digest_final(h->sha256, d->sha256, 32)) != 0)
		return r;
	if (h->sig == NULL)
		memcpy(d->sig, d->sha256, 32);
	else if ((r = kr_fwsig_digest_final(h->sig, d->sig, d->siglen)) != 0)
		return r;
	if (!d->authenticode)
		return 0;
	if ((r = kr_pe_stream_final(&h->ps)) != 0 ||
	    (r = kr_fwsig_digest_final(h->pe, d->pe_hash, 32)) != 0)
		return r;
	d->pe_sum = h->ps.sum;
	return 0;
}

int
kr_image_hash(int fd, uint64_t size, const char *name,
    const struct kr_fwsig_scheme *s, int authenticode,
    kr_image_progress_fn progress, void *pctx, struct kr_image_digests *out)
{
	struct kr_image_digests d;
	struct hashes h;
	struct reader rd;
	size_t got;
	int r;

	memset(&h, 0, sizeof(h));
	memset(&d, 0, sizeof(d));
	d.siglen = s->dlen;
	d.authenticode = authenticode;
	if ((r = reader_open(&rd, fd, size, name)) != 0)
		goto out;
	if ((r = kr_fwsig_digest_new("SHA256", &h.sha256)) != 0 ||
	    (strcmp(s->digest, "SHA256") != 0 &&
	    (r = kr_fwsig_digest_new(s->digest, &h.sig)) != 0) ||
	    (authenticode && (r = kr_fwsig_digest_new("SHA256", &h.pe)) != 0))
		goto out;
	while (rd.done < size) {
		if ((r = fill(&rd, KR_IMAGE_CHUNK, &got)) != 0)
			goto out;
		if (authenticode && rd.done == got) {
			if ((r = parse_pe(fd, rd.buf, got, size, name,
			    &d.pe)) != 0)
				goto out;
			kr_pe_stream_init(&h.ps, &d.pe, h.pe);
		}
		if ((r = feed(&h, rd.buf, got, authenticode)) != 0)
			goto out;
		if (progress != NULL)
			progress(pctx, rd.done, size);
	}
	if ((r = at_end(&rd)) != 0 || (r = finish(&h, &d)) != 0)
		goto out;
	*out = d;
	r = 0;
 out:
	hashes_free(&h);
	free(rd.buf);
	return r;
}

int
kr_image_write_signed(int fd, const char *name,
    const struct kr_image_digests *d, const struct kr_pe_signed *sg,
    kr_image_sink_fn sink, void *sctx, kr_image_progress_fn progress,
    void *pctx)
{
	uint8_t sha[32];
	char want[65], got_hex[65];
	EVP_MD_CTX *md = NULL;
	struct reader rd;
	size_t got;
	int r;

	if ((r = reader_open(&rd, fd, d->pe.size, name)) != 0 ||
	    (r = kr_fwsig_digest_new("SHA256", &md)) != 0)
		goto out;
	while (rd.done < d->pe.size) {
		if ((r = fill(&rd, KR_IMAGE_CHUNK, &got)) != 0)
			goto out;
		if (EVP_DigestUpdate(md, rd.buf, got) != 1) {
			r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "hashing");
			goto out;
		}
		kr_pe_patch(&d->pe, sg, rd.done - got, rd.buf, got);
		if ((r = sink(sctx, rd.buf, got)) != 0)
			goto out;
		if (progress != NULL)
			progress(pctx, rd.done, d->pe.size);
	}
	if ((r = at_end(&rd)) != 0 ||
	    (r = kr_fwsig_digest_final(md, sha, 32)) != 0)
		goto out;
	if (CRYPTO_memcmp(sha, d->sha256, 32) != 0) {
		kr_hex_encode(d->sha256, 32, want, sizeof(want));
		kr_hex_encode(sha, 32, got_hex, sizeof(got_hex));
		r = kr_err_set(KR_ERR_RELEASE_MISMATCH, "%s changed after it "
		    "was checked: its SHA-256 was %s and is now %s; nothing "
		    "signed from it is kept", name, want, got_hex);
		goto out;
	}
	r = sink(sctx, sg->tail, sg->tail_len);
 out:
	EVP_MD_CTX_free(md);
	free(rd.buf);
	return r;
}
