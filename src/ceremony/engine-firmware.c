/*
 * engine-firmware.c: the verbs of the firmware ceremonies
 * (docs/firmware-signing.md).
 *
 * firmware-key-create publishes, besides the certificate and escrow
 * package root-ca-create makes, the public key (write-public-key), the
 * hashes a boot ROM is provisioned with (write-pubhash) and a PKCS#10
 * request (write-csr).
 *
 * firmware-sign signs a release.  Everything about the release is done
 * before the transcript exists and before any card: the manifest is
 * parsed, every image found with the size it names and the output names
 * fixed (kr_engine_preflight_release(), so that the output and free-space
 * checks cover them), then every image is read once and hashed and
 * compared with the manifest (kr_engine_hash_release(), the last
 * preflight).  review-release records what was found and has each witness
 * confirm the manifest by its SHA-256; sign-release, once the key is
 * recovered and proven, signs the digests found then, stages every
 * signature, the Authenticode-signed copies (read a second time, and
 * refused if they changed), and the signed release record.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/hex.h"
#include "crypto/authenticode.h"
#include "crypto/cms.h"
#include "crypto/fwkey.h"
#include "crypto/fwsig.h"
#include "crypto/image.h"
#include "crypto/key.h"
#include "crypto/release.h"
#include "crypto/x509.h"
#include "engine-int.h"
#include "host/media.h"

#define NAME_MAX_BYTES	128
/* Free space per image, beyond an Authenticode copy's own size. */
#define CMS_ESTIMATE	(16u << 10)
#define SIG_ESTIMATE	(4u << 10)
#define TABLE_ESTIMATE	(64u << 10)
#define RECORD_LINE	(1u << 10)

struct fw_image {
	struct kr_image_digests	 d;
	char			 p7s[NAME_MAX_BYTES + 1];
	char			 sig[NAME_MAX_BYTES + 1];
	char			 copy[NAME_MAX_BYTES + 1];
	uint8_t			 p7s_sha[32], sig_sha[32], copy_sha[32];
};

struct kr_engine_fw {
	struct kr_release		*rel;
	char				 file[NAME_MAX_BYTES + 1];
	int				 dirfd;
	const struct kr_fwsig_scheme	*scheme;
	int				 authenticode;	/* secure-boot */
	int				 hashed;
	char				 record[NAME_MAX_BYTES + 1];
	char				 record_p7s[NAME_MAX_BYTES + 1];
	struct fw_image			 img[KR_RELEASE_MAX_IMAGES];
};

static const char *
arg(const struct kr_script_step *st, const char *name, const char *def)
{
	const char *v = kr_script_arg(st, name);

	return v != NULL && *v != '\0' ? v : def;
}

/* --- firmware-key-create ------------------------------------------------- */

int
kr_engine_verb_write_public_key(struct kr_engine *e,
    const struct kr_script_step *st)
{
	char *pem = NULL;
	size_t len = 0;
	int r;

	if (e->key == NULL)
		return kr_err_set(KR_ERR_ENGINE_STATE, "write-public-key: no "
		    "key");
	if ((r = kr_fwkey_public_pem(e->key, &pem, &len)) != 0)
		return r;
	r = kr_engine_output_file(e, arg(st, "name", ""), pem, len,
	    "public-key");
	free(pem);
	return r;
}

int
kr_engine_verb_write_pubhash(struct kr_engine *e,
    const struct kr_script_step *st)
{
	char *text = NULL;
	size_t len = 0;
	int r;

	if (e->key == NULL)
		return kr_err_set(KR_ERR_ENGINE_STATE, "write-pubhash: no key");
	if ((r = kr_fwkey_pubhash(e->key, &text, &len)) != 0)
		return r;
	r = kr_engine_output_file(e, arg(st, "name", ""), text, len,
	    "public-key-hashes");
	free(text);
	return r;
}

int
kr_engine_verb_write_csr(struct kr_engine *e, const struct kr_script_step *st)
{
	char *pem = NULL;
	size_t len = 0;
	int r;

	if (e->key == NULL || e->cert == NULL)
		return kr_err_set(KR_ERR_ENGINE_STATE, "write-csr: no key or "
		    "no certificate (self-sign comes first)");
	if ((r = kr_fwkey_csr(e->key, e->cert, &pem, &len)) != 0)
		return r;
	r = kr_engine_output_file(e, arg(st, "name", ""), pem, len,
	    "certificate-request");
	free(pem);
	return r;
}

/* --- preflight: the manifest, the images, the output names ------------- */

void
kr_engine_fw_free(struct kr_engine_fw *fw)
{
	if (fw == NULL)
		return;
	if (fw->dirfd != -1)
		close(fw->dirfd);
	kr_release_free(fw->rel);
	free(fw);
}

/* The package must hold a firmware key of the class the script runs. */
static int
check_key(struct kr_engine *e, struct kr_engine_fw *fw)
{
	const char *have = e->escrow->key_class, *want = e->script->key_class;

	if (strcmp(have, "firmware-signing") != 0 &&
	    strcmp(have, "secure-boot") != 0)
		return kr_err_set(KR_ERR_POLICY_VIOLATION, "%s holds a %s key: "
		    "releases are signed with firmware-signing and secure-boot "
		    "keys only", e->escrow_name, have);
	if (strcmp(have, want) != 0)
		return kr_err_set(KR_ERR_SCRIPT_PARAM, "%s holds a %s key, but "
		    "this ceremony is set up for key class %s: run it with "
		    "--set key_class=%s", e->escrow_name, have, want, have);
	if ((fw->scheme = kr_fwsig_scheme_find(e->escrow->algorithm)) == NULL)
		return kr_err_set(KR_ERR_KEY_ALGORITHM, "%s: keyrite has no "
		    "firmware signature scheme for %s keys", e->escrow_name,
		    e->escrow->algorithm);
	if (e->cert == NULL)
		return kr_err_set(KR_ERR_SCRIPT_SYNTAX, "%s: the CMS signatures "
		    "carry the key's certificate: give the load-escrow step "
		    "certificate=", e->script->source);
	fw->authenticode = strcmp(have, "secure-boot") == 0;
	return 0;
}

/* The names of one image's outputs, from its file name. */
static void
name_outputs(struct kr_engine_fw *fw, size_t i)
{
	const char *base = fw->rel->images[i].base;

	snprintf(fw->img[i].p7s, sizeof(fw->img[i].p7s), "%s.p7s", base);
	snprintf(fw->img[i].sig, sizeof(fw->img[i].sig), "%s.sig", base);
	if (fw->authenticode)
		snprintf(fw->img[i].copy, sizeof(fw->img[i].copy),
		    "%s.signed", base);
}

static int
read_manifest(struct kr_engine *e, struct kr_engine_fw *fw)
{
	char path[4096], *text = NULL;
	size_t len = 0, i;
	int fd, r;

	if ((r = kr_media_path(e->media, 0, fw->file, path,
	    sizeof(path))) != 0 ||
	    (r = kr_media_read(path, KR_RELEASE_FILE_MAX, &text, &len,
	    NULL)) != 0)
		return r;
	r = kr_release_parse(text, len, path, &fw->rel);
	free(text);
	if (r != 0)
		return r;
	if ((fw->dirfd = open(kr_media_dir(e->media, 0), O_RDONLY |
	    O_DIRECTORY | O_CLOEXEC)) == -1)
		return kr_err_errno(KR_ERR_MEDIA, "opening %s",
		    kr_media_dir(e->media, 0));
	for (i = 0; i < fw->rel->n; i++) {
		if ((r = kr_release_open_image(fw->dirfd, fw->rel, i,
		    &fd)) != 0)
			return r;
		close(fd);
		name_outputs(fw, i);
	}
	return 0;
}

int
kr_engine_preflight_release(struct kr_engine *e,
    const struct kr_script_step *st)
{
	struct kr_engine_fw *fw;
	size_t i;
	int r;

	if (e->fw != NULL)
		return kr_err_set(KR_ERR_SCRIPT_SYNTAX, "%s:%zu: a ceremony "
		    "signs one release", e->script->source, st->line);
	if (e->escrow == NULL)
		return kr_err_set(KR_ERR_SCRIPT_SYNTAX, "%s:%zu: review-release "
		    "needs a load-escrow step before it: the key decides how "
		    "the images are hashed", e->script->source, st->line);
	if ((fw = calloc(1, sizeof(*fw))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "release");
	fw->dirfd = -1;
	e->fw = fw;
	snprintf(fw->file, sizeof(fw->file), "%s", arg(st, "file", ""));
	for (i = 0; i < e->script->nsteps; i++)
		if (strcmp(e->script->steps[i].verb, "sign-release") == 0)
			snprintf(fw->record, sizeof(fw->record), "%s",
			    arg(&e->script->steps[i], "record",
			    "release-signed.txt"));
	if (fw->record[0] != '\0' && snprintf(fw->record_p7s,
	    sizeof(fw->record_p7s), "%s.p7s", fw->record) >=
	    (int)sizeof(fw->record_p7s))
		return kr_err_set(KR_ERR_SCRIPT_PARAM, "%s: the release record's "
		    "name is too long", e->script->source);
	if ((r = check_key(e, fw)) != 0 || (r = read_manifest(e, fw)) != 0)
		return r;
	return 0;
}

int
kr_engine_release_outputs(struct kr_engine *e, const char **names,
    size_t max, size_t *n, uint64_t *need)
{
	struct kr_engine_fw *fw = e->fw;
	size_t i, per = 3;

	if (fw == NULL || fw->record[0] == '\0')
		return 0;
	if (*n + per * fw->rel->n + 2 > max)
		return kr_err_set(KR_ERR_TOO_LARGE, "%s: %zu images make more "
		    "outputs than keyrite stages in one ceremony (%zu): sign "
		    "the release in parts", fw->rel->source, fw->rel->n, max);
	for (i = 0; i < fw->rel->n; i++) {
		names[(*n)++] = fw->img[i].p7s;
		names[(*n)++] = fw->img[i].sig;
		*need += CMS_ESTIMATE + SIG_ESTIMATE + RECORD_LINE;
		if (!fw->authenticode)
			continue;
		names[(*n)++] = fw->img[i].copy;
		*need += fw->rel->images[i].size + 8 + TABLE_ESTIMATE;
	}
	names[(*n)++] = fw->record;
	names[(*n)++] = fw->record_p7s;
	*need += RECORD_LINE + CMS_ESTIMATE;
	return 0;
}

/* --- preflight: hashing -------------------------------------------------- */

struct progress {
	struct kr_engine	*e;
	char			 what[160];
	unsigned int		 pct;
};

/* About one event a percent: a frontend repaints on every one. */
static void
progress_cb(void *ctx, uint64_t done, uint64_t total)
{
	struct progress *p = ctx;
	unsigned int pct = total ? (unsigned int)(done * 100 / total) : 100;

	if (pct == p->pct && done != total)
		return;
	p->pct = pct;
	kr_engine_progress_bytes(p->e, p->what, done, total);
}

/* What hashing image i found wrong, said for the people in the room. */
static int
hash_refused(const struct kr_engine_fw *fw, size_t i, int r)
{
	const struct kr_release_image *im = &fw->rel->images[i];
	char detail[1024];

	snprintf(detail, sizeof(detail), "%s", kr_err_detail());
	if (r == KR_ERR_PE_FORMAT)
		return kr_err_set(r, "%s (%s line %zu); a secure-boot key signs "
		    "UEFI (PE/COFF) images only: take it out of the release, "
		    "or sign it in a ceremony with a firmware-signing key",
		    detail, fw->rel->source, im->line);
	return kr_err_set(r, "%s (%s line %zu)", detail, fw->rel->source,
	    im->line);
}

static int
hash_one(struct kr_engine *e, struct kr_engine_fw *fw, size_t i)
{
	const struct kr_release_image *im = &fw->rel->images[i];
	struct progress p = { e, "", 101 };
	char want[65], got[65];
	int fd, r;

	snprintf(p.what, sizeof(p.what), "checking %s", im->path);
	if ((r = kr_release_open_image(fw->dirfd, fw->rel, i, &fd)) != 0)
		return r;
	r = kr_image_hash(fd, im->size, im->path, fw->scheme,
	    fw->authenticode, progress_cb, &p, &fw->img[i].d);
	close(fd);
	if (r != 0)
		return hash_refused(fw, i, r);
	if (memcmp(fw->img[i].d.sha256, im->sha256, 32) != 0) {
		kr_hex_encode(im->sha256, 32, want, sizeof(want));
		kr_hex_encode(fw->img[i].d.sha256, 32, got, sizeof(got));
		return kr_err_set(KR_ERR_RELEASE_MISMATCH, "%s (%s line %zu): "
		    "its SHA-256 is %s, but the manifest says %s: this is not "
		    "the image the release team listed; nothing was signed, "
		    "ask them which is right", im->path, fw->rel->source,
		    im->line, got, want);
	}
	return 0;
}

int
kr_engine_hash_release(struct kr_engine *e)
{
	struct kr_engine_fw *fw = e->fw;
	size_t i;
	int r;

	if (fw == NULL)
		return 0;
	for (i = 0; i < fw->rel->n; i++)
		if ((r = hash_one(e, fw, i)) != 0)
			return r;
	fw->hashed = 1;
	return 0;
}

/* --- review-release ------------------------------------------------------ */

/* The scheme's digest as a word for records: "sha384", "shake256". */
static void
digest_word(const struct kr_fwsig_scheme *s, char *out, size_t outlen)
{
	size_t k;

	snprintf(out, outlen, "%s", s->digest);
	for (k = 0; out[k] != '\0'; k++)
		if (out[k] >= 'A' && out[k] <= 'Z')
			out[k] = (char)(out[k] - 'A' + 'a');
}

static int
record_images(struct kr_engine *e, const struct kr_engine_fw *fw)
{
	char size[24], sha[65], dg[2 * KR_FWSIG_DIGEST_MAX + 1], pe[65];
	char dname[32];
	size_t i;
	int r;

	digest_word(fw->scheme, dname, sizeof(dname));
	for (i = 0; i < fw->rel->n; i++) {
		const struct fw_image *im = &fw->img[i];
		struct kr_fact f[6];
		size_t n = 0;

		snprintf(size, sizeof(size), "%llu",
		    (unsigned long long)fw->rel->images[i].size);
		kr_hex_encode(im->d.sha256, 32, sha, sizeof(sha));
		kr_hex_encode(im->d.sig, im->d.siglen, dg, sizeof(dg));
		f[n++] = (struct kr_fact){ "image", fw->rel->images[i].path };
		f[n++] = (struct kr_fact){ "size", size };
		f[n++] = (struct kr_fact){ "sha256", sha };
		f[n++] = (struct kr_fact){ "manifest", "matches" };
		if (strcmp(dname, "sha256") != 0)
			f[n++] = (struct kr_fact){ dname, dg };
		if (im->d.authenticode) {
			kr_hex_encode(im->d.pe_hash, 32, pe, sizeof(pe));
			f[n++] = (struct kr_fact){ "authenticode-sha256", pe };
		}
		if ((r = kr_engine_record(e, "image-checked", "engine", f,
		    n)) != 0)
			return r;
	}
	return 0;
}

static int
record_release(struct kr_engine *e, const struct kr_engine_fw *fw)
{
	char sha[65], count[16], total[24];
	uint64_t bytes = 0;
	size_t i;

	for (i = 0; i < fw->rel->n; i++)
		bytes += fw->rel->images[i].size;
	kr_hex_encode(fw->rel->sha256, 32, sha, sizeof(sha));
	snprintf(count, sizeof(count), "%zu", fw->rel->n);
	snprintf(total, sizeof(total), "%llu", (unsigned long long)bytes);
	{
		struct kr_fact f[] = { { "manifest", fw->file },
		    { "sha256", sha }, { "release", fw->rel->name },
		    { "images", count }, { "bytes", total },
		    { "key-class", e->script->key_class },
		    { "authenticode", fw->authenticode ? "yes" : "no" } };

		return kr_engine_record(e, "release-loaded", "engine", f, 7);
	}
}

/* The table the witnesses read: the release, then one entry per image. */
static void
release_text(const struct kr_engine *e, const struct kr_engine_fw *fw,
    const char *fp, size_t j, struct kr_buf *b)
{
	char sha[65];
	uint64_t bytes = 0;
	size_t i;

	for (i = 0; i < fw->rel->n; i++)
		bytes += fw->rel->images[i].size;
	kr_buf_printf(b, "Release: %s\nManifest %s: %zu image%s, %llu bytes; "
	    "every image was read whole and matches it.\n\nManifest "
	    "SHA-256:\n%s\n\n", fw->rel->name, fw->file, fw->rel->n,
	    fw->rel->n == 1 ? "" : "s", (unsigned long long)bytes, fp);
	for (i = 0; i < fw->rel->n; i++) {
		kr_hex_encode(fw->img[i].d.sha256, 32, sha, sizeof(sha));
		kr_buf_printf(b, "%3zu  %s  %llu bytes%s\n     sha256 %s\n",
		    i + 1, fw->rel->images[i].path,
		    (unsigned long long)fw->rel->images[i].size,
		    fw->authenticode ? ", PE/COFF" : "", sha);
	}
	kr_buf_printf(b, "\nWitness %s: compare the manifest's SHA-256 with "
	    "the one the release team gave you, then type its last group.",
	    e->witnesses[j]);
}

int
kr_engine_verb_review_release(struct kr_engine *e,
    const struct kr_script_step *st)
{
	struct kr_engine_fw *fw = e->fw;
	char fp[KR_X509_FP_TEXT_BYTES];
	struct kr_buf b = { 0 };
	size_t j;
	int r;

	(void)st;
	if (fw == NULL || !fw->hashed)
		return kr_err_set(KR_ERR_ENGINE_STATE, "review-release: the "
		    "release was not read before the ceremony started");
	if (e->nwitnesses == 0)
		return kr_err_set(KR_ERR_ENGINE_STATE, "no witness to confirm "
		    "the release: the roll call must come first");
	if ((r = record_release(e, fw)) != 0 ||
	    (r = record_images(e, fw)) != 0)
		return r;
	kr_x509_fingerprint_text(fw->rel->sha256, fp, sizeof(fp));
	for (j = 0; j < e->nwitnesses; j++) {
		kr_buf_free(&b);
		release_text(e, fw, fp, j, &b);
		if (b.failed)
			return kr_err_set(KR_ERR_NOMEM, "review-release");
		if ((r = kr_engine_witness_confirm(e, j, "release", "Release",
		    "SHA-256 of the release manifest", b.data, fp,
		    "release-confirmed")) != 0)
			break;
	}
	kr_buf_free(&b);
	return r;
}

/* --- sign-release -------------------------------------------------------- */

struct copy_sink {
	struct kr_media_stream	*s;
};

static int
copy_write(void *ctx, const uint8_t *p, size_t len)
{
	struct copy_sink *cs = ctx;

	return kr_media_stage_stream_write(cs->s, p, len);
}

/* The Authenticode-signed copy of image i, streamed to every medium. */
static int
sign_copy(struct kr_engine *e, struct kr_engine_fw *fw, size_t i)
{
	struct fw_image *im = &fw->img[i];
	struct kr_pe_signed sg;
	struct copy_sink cs = { NULL };
	struct progress p = { e, "", 101 };
	uint8_t *der = NULL;
	size_t len = 0;
	int fd = -1, r;

	memset(&sg, 0, sizeof(sg));
	snprintf(p.what, sizeof(p.what), "writing %s", im->copy);
	if ((r = kr_authenticode_sign(e->key, e->cert, im->d.pe_hash, &der,
	    &len)) != 0 ||
	    (r = kr_pe_sign_layout(&im->d.pe, im->d.pe_sum, der, len,
	    &sg)) != 0 ||
	    (r = kr_release_open_image(fw->dirfd, fw->rel, i, &fd)) != 0 ||
	    (r = kr_engine_output_stream_begin(e, im->copy, &cs.s)) != 0)
		goto out;
	r = kr_image_write_signed(fd, fw->rel->images[i].path, &im->d, &sg,
	    copy_write, &cs, progress_cb, &p);
	if (r == 0)
		r = kr_engine_output_stream_end(e, im->copy, cs.s,
		    "authenticode-image", im->copy_sha);
	else
		kr_media_stage_stream_abort(cs.s);
 out:
	if (fd != -1)
		close(fd);
	kr_pe_signed_free(&sg);
	free(der);
	return r;
}

/* Stages data as name and keeps its SHA-256 in sha. */
static int
stage(struct kr_engine *e, const char *name, const uint8_t *data, size_t len,
    const char *kind, uint8_t sha[32])
{
	int r;

	if ((r = kr_engine_output_file(e, name, data, len, kind)) != 0)
		return r;
	if (EVP_Digest(data, len, sha, NULL, EVP_sha256(), NULL) != 1)
		return kr_err_libcrypto(KR_ERR_LIBCRYPTO, "SHA-256");
	return 0;
}

static int
record_signed(struct kr_engine *e, const struct kr_engine_fw *fw, size_t i)
{
	const struct fw_image *im = &fw->img[i];
	char h1[65], h2[65], h3[65];
	struct kr_fact f[8];
	size_t n = 0;

	kr_hex_encode(im->p7s_sha, 32, h1, sizeof(h1));
	kr_hex_encode(im->sig_sha, 32, h2, sizeof(h2));
	f[n++] = (struct kr_fact){ "image", fw->rel->images[i].path };
	f[n++] = (struct kr_fact){ "cms", im->p7s };
	f[n++] = (struct kr_fact){ "cms-sha256", h1 };
	f[n++] = (struct kr_fact){ "signature", im->sig };
	f[n++] = (struct kr_fact){ "signature-sha256", h2 };
	if (fw->authenticode) {
		kr_hex_encode(im->copy_sha, 32, h3, sizeof(h3));
		f[n++] = (struct kr_fact){ "authenticode", im->copy };
		f[n++] = (struct kr_fact){ "authenticode-sha256", h3 };
	}
	return kr_engine_record(e, "image-signed", "engine", f, n);
}

static int
sign_image(struct kr_engine *e, struct kr_engine_fw *fw, size_t i,
    time_t now)
{
	struct fw_image *im = &fw->img[i];
	uint8_t *sig = NULL, *cms = NULL;
	size_t siglen = 0, cmslen = 0;
	int r;

	if ((r = kr_fwsig_sign(e->key, im->d.sig, im->d.siglen, &sig,
	    &siglen)) != 0 ||
	    (r = kr_cms_sign_digest(e->key, e->cert, im->d.sig, im->d.siglen,
	    now, &cms, &cmslen)) != 0 ||
	    (r = stage(e, im->p7s, cms, cmslen, "firmware-cms",
	    im->p7s_sha)) != 0 ||
	    (r = stage(e, im->sig, sig, siglen, "firmware-signature",
	    im->sig_sha)) != 0 ||
	    (fw->authenticode && (r = sign_copy(e, fw, i)) != 0))
		goto out;
	r = record_signed(e, fw, i);
 out:
	free(sig);
	free(cms);
	return r;
}

static void
utc(time_t t, char out[KR_TRANSCRIPT_TIME_BYTES])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, KR_TRANSCRIPT_TIME_BYTES, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The signed release record (docs/firmware-signing.md has its format). */
static int
record_text(struct kr_engine *e, const struct kr_engine_fw *fw, time_t now,
    struct kr_buf *b)
{
	const struct kr_release_image *ri;
	uint8_t fp[KR_X509_FP_BYTES];
	char when[KR_TRANSCRIPT_TIME_BYTES], dname[32];
	size_t i;
	int r;

	if ((r = kr_x509_fingerprint(e->cert, fp)) != 0)
		return r;
	utc(now, when);
	digest_word(fw->scheme, dname, sizeof(dname));
	kr_buf_printf(b, "keyrite-release-signed 1\nrelease: %s\nmanifest: "
	    "%s\nmanifest-sha256: ", fw->rel->name, fw->file);
	kr_buf_hex(b, fw->rel->sha256, 32);
	kr_buf_printf(b, "\nceremony-id: %s\nsigned: %s\nkey-id: ",
	    e->header.ceremony_id, when);
	kr_buf_hex(b, e->escrow->key_id, 32);
	kr_buf_printf(b, "\nkey-algorithm: %s\nkey-class: %s\n"
	    "certificate-sha256: ", e->escrow->algorithm,
	    e->script->key_class);
	kr_buf_hex(b, fp, sizeof(fp));
	kr_buf_printf(b, "\nsignature-digest: %s\n", dname);
	for (i = 0; i < fw->rel->n; i++) {
		ri = &fw->rel->images[i];
		kr_buf_printf(b, "image: %s %llu ", ri->path,
		    (unsigned long long)ri->size);
		kr_buf_hex(b, fw->img[i].d.sha256, 32);
		kr_buf_printf(b, "\n  cms: %s ", fw->img[i].p7s);
		kr_buf_hex(b, fw->img[i].p7s_sha, 32);
		kr_buf_printf(b, "\n  signature: %s ", fw->img[i].sig);
		kr_buf_hex(b, fw->img[i].sig_sha, 32);
		if (fw->authenticode) {
			kr_buf_printf(b, "\n  authenticode: %s ",
			    fw->img[i].copy);
			kr_buf_hex(b, fw->img[i].copy_sha, 32);
		}
		kr_buf_puts(b, "\n");
	}
	return b->failed ? kr_err_set(KR_ERR_NOMEM, "release record") : 0;
}

/* release-signed.txt and its detached CMS signature. */
static int
sign_record(struct kr_engine *e, const struct kr_engine_fw *fw, time_t now)
{
	uint8_t digest[KR_FWSIG_DIGEST_MAX], sha[32], *cms = NULL;
	struct kr_buf b = { 0 };
	EVP_MD_CTX *md = NULL;
	size_t cmslen = 0;
	int r;

	if ((r = record_text(e, fw, now, &b)) != 0 ||
	    (r = kr_fwsig_digest_new(fw->scheme->digest, &md)) != 0)
		goto out;
	if (EVP_DigestUpdate(md, b.data, b.len) != 1) {
		r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "hashing the record");
		goto out;
	}
	if ((r = kr_fwsig_digest_final(md, digest, fw->scheme->dlen)) != 0 ||
	    (r = kr_cms_sign_digest(e->key, e->cert, digest,
	    fw->scheme->dlen, now, &cms, &cmslen)) != 0 ||
	    (r = stage(e, fw->record, (const uint8_t *)b.data, b.len,
	    "release-record", sha)) != 0)
		goto out;
	r = stage(e, fw->record_p7s, cms, cmslen, "release-record-cms", sha);
 out:
	EVP_MD_CTX_free(md);
	kr_buf_free(&b);
	free(cms);
	return r;
}

int
kr_engine_verb_sign_release(struct kr_engine *e,
    const struct kr_script_step *st)
{
	struct kr_engine_fw *fw = e->fw;
	time_t now = time(NULL);
	char count[16];
	size_t i;
	int r;

	(void)st;
	if (fw == NULL || !fw->hashed || e->key == NULL || e->cert == NULL)
		return kr_err_set(KR_ERR_ENGINE_STATE, "sign-release: no "
		    "reviewed release, or no proven key");
	for (i = 0; i < fw->rel->n; i++) {
		kr_engine_progress(e, "signing the release", i, fw->rel->n);
		if ((r = kr_engine_check_window(e)) != 0 ||
		    (r = sign_image(e, fw, i, now)) != 0)
			return r;
	}
	kr_engine_progress(e, "signing the release", i, fw->rel->n);
	if ((r = sign_record(e, fw, now)) != 0)
		return r;
	snprintf(count, sizeof(count), "%zu", fw->rel->n);
	{
		struct kr_fact f[] = { { "release", fw->rel->name },
		    { "images", count }, { "record", fw->record },
		    { "record-cms", fw->record_p7s } };

		return kr_engine_record(e, "release-signed", "engine", f, 4);
	}
}
