/*
 * engine-import.c: escrow-import, a key made elsewhere brought under
 * escrow like a generated one.
 *
 * The key file is on the first medium: a PKCS#8 private key (PEM or DER,
 * optionally encrypted with a passphrase) or a raw AES-256 or HMAC-SHA256
 * key (hex or binary), as the import-key step's format= says.  It is read
 * twice, each time straight into locked memory (kr_secmem) and wiped as
 * soon as it has been parsed: once before the ceremony starts, to refuse
 * a file that is not a key, of a disallowed algorithm or class, before
 * anything happens (exit 7), and once at the step, where the bytes must
 * be the same (SHA-256) as those checked.  An encrypted PKCS#8 hides its
 * key until opened, so its passphrase is asked at the step (a secret
 * prompt, like a PIN), still before any card, and its policy check comes
 * then.
 *
 * A symmetric key has no public half: the engine makes a seal key for it
 * (symkey.h) that signs this ceremony's transcript and every later one
 * that opens the package, and the witnesses compare the key check value.
 *
 * OpenSSL keeps short-lived copies while decoding: PEM bodies are decoded
 * into its secure heap (PEM_FLAG_SECURE); PKCS8_decrypt() cleanses its
 * decryption buffer, and its PKCS8_PRIV_KEY_INFO is cleared when freed.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "base/err.h"
#include "base/hex.h"
#include "base/secmem.h"
#include "crypto/key.h"
#include "crypto/symkey.h"
#include "engine-int.h"
#include "host/media.h"

#define IMPORT_MAX	(64 * 1024)	/* a key file, at most */

/* A key file's bytes in secret memory. */
struct secret_file {
	uint8_t	*buf;		/* kr_secmem, cap bytes */
	size_t	 cap;
	size_t	 len;
};

static void
secret_free(struct secret_file *f)
{
	kr_secmem_free(f->buf, f->cap);
	memset(f, 0, sizeof(*f));
}

/* Reads the regular file path into locked memory; *sha its SHA-256. */
static int
read_secret(const char *path, struct secret_file *f, uint8_t sha[32])
{
	struct stat sb;
	unsigned int mdlen;
	ssize_t got;
	int fd, r = KR_ERR_INTERNAL;

	memset(f, 0, sizeof(*f));
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return kr_err_errno(KR_ERR_IO, "key file %s", path);
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		r = kr_err_set(KR_ERR_IO, "key file %s is not a regular file",
		    path);
		goto out;
	}
	if (sb.st_size <= 0 || sb.st_size > IMPORT_MAX) {
		r = kr_err_set(KR_ERR_FORMAT, "key file %s: %lld bytes; a key "
		    "file is 1 to %d bytes", path, (long long)sb.st_size,
		    IMPORT_MAX);
		goto out;
	}
	f->cap = (size_t)sb.st_size + 1;
	if ((f->buf = kr_secmem_alloc(f->cap)) == NULL) {
		r = KR_ERR_SECMEM_MLOCK;
		goto out;
	}
	while (f->len < (size_t)sb.st_size) {
		got = read(fd, f->buf + f->len, (size_t)sb.st_size - f->len);
		if (got == -1 && errno == EINTR)
			continue;
		if (got <= 0) {
			r = kr_err_errno(KR_ERR_IO, "reading key file %s", path);
			goto out;
		}
		f->len += (size_t)got;
	}
	if (!EVP_Digest(f->buf, f->len, sha, &mdlen, EVP_sha256(), NULL)) {
		r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "hashing the key file");
		goto out;
	}
	r = 0;
 out:
	close(fd);
	if (r != 0)
		secret_free(f);
	return r;
}

/* --- PKCS#8 ---------------------------------------------------------------- */

/*
 * The DER of a PKCS#8 file (PEM or DER) in secret memory, and whether it
 * is an EncryptedPrivateKeyInfo.  Anything else is refused, naming what it
 * is where that is known.
 */
static int
pkcs8_der(const struct secret_file *f, const char *path, uint8_t **derp,
    size_t *lenp, int *encp)
{
	static const char begin[] = "-----BEGIN ";
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	const unsigned char *p;
	X509_SIG *sig = NULL;
	long dlen = 0;
	BIO *bio = NULL;
	size_t i;
	int r = KR_ERR_INTERNAL;

	*derp = NULL;
	*lenp = 0;
	*encp = 0;
	if (f->len > sizeof(begin) && memcmp(f->buf, begin,
	    sizeof(begin) - 1) == 0) {
		if ((bio = BIO_new_mem_buf(f->buf, (int)f->len)) == NULL ||
		    PEM_read_bio_ex(bio, &name, &header, &data, &dlen,
		    PEM_FLAG_SECURE | PEM_FLAG_ONLY_B64) != 1) {
			r = kr_err_libcrypto(KR_ERR_KEY_DECODE, "");
			r = kr_err_set(KR_ERR_KEY_DECODE, "%s: not a PEM file "
			    "keyrite can read", path);
			goto out;
		}
		for (i = (size_t)BIO_tell(bio); i < f->len; i++)
			if (f->buf[i] != '\n' && f->buf[i] != '\r' &&
			    f->buf[i] != ' ')
				break;
		if (i < f->len) {
			r = kr_err_set(KR_ERR_KEY_DECODE, "%s holds more than "
			    "one PEM block: give a file with the one key",
			    path);
			goto out;
		}
		if (strcmp(name, "ENCRYPTED PRIVATE KEY") == 0)
			*encp = 1;
		else if (strcmp(name, "PRIVATE KEY") != 0) {
			r = kr_err_set(KR_ERR_KEY_DECODE, "%s is a PEM \"%.40s\", "
			    "not a PKCS#8 private key: convert it with openssl "
			    "pkcs8 -topk8 (and -nocrypt, or a passphrase)", path,
			    name);
			goto out;
		}
		if (dlen <= 0 || (*derp = kr_secmem_alloc((size_t)dlen)) ==
		    NULL) {
			r = dlen <= 0 ? kr_err_set(KR_ERR_KEY_DECODE, "%s: an "
			    "empty PEM block", path) : KR_ERR_SECMEM_MLOCK;
			goto out;
		}
		memcpy(*derp, data, (size_t)dlen);
		*lenp = (size_t)dlen;
		r = 0;
		goto out;
	}
	/* DER: an EncryptedPrivateKeyInfo, or a plain PrivateKeyInfo. */
	p = f->buf;
	if ((sig = d2i_X509_SIG(NULL, &p, (long)f->len)) != NULL &&
	    p == f->buf + f->len)
		*encp = 1;
	ERR_clear_error();
	if ((*derp = kr_secmem_alloc(f->len)) == NULL) {
		r = KR_ERR_SECMEM_MLOCK;
		goto out;
	}
	memcpy(*derp, f->buf, f->len);
	*lenp = f->len;
	r = 0;
 out:
	X509_SIG_free(sig);
	OPENSSL_secure_clear_free(data, dlen > 0 ? (size_t)dlen : 0);
	OPENSSL_secure_free(name);
	OPENSSL_secure_free(header);
	BIO_free(bio);
	return r;
}

/* Opens an EncryptedPrivateKeyInfo with pass into plain DER (secmem). */
static int
pkcs8_decrypt(const uint8_t *der, size_t len, const char *pass,
    size_t passlen, const char *path, uint8_t **outp, size_t *outlenp)
{
	const unsigned char *p = der;
	unsigned char *plain = NULL, *q;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	X509_SIG *sig = NULL;
	int n, r = KR_ERR_INTERNAL;

	*outp = NULL;
	*outlenp = 0;
	if ((sig = d2i_X509_SIG(NULL, &p, (long)len)) == NULL) {
		r = kr_err_libcrypto(KR_ERR_KEY_DECODE, "");
		r = kr_err_set(KR_ERR_KEY_DECODE, "%s: not an encrypted "
		    "PKCS#8 key", path);
		goto out;
	}
	if ((p8 = PKCS8_decrypt_ex(sig, pass, (int)passlen, NULL,
	    NULL)) == NULL) {
		ERR_clear_error();
		r = kr_err_set(KR_ERR_KEY_PASSPHRASE, "%s: the passphrase does "
		    "not open it (or the file was damaged)", path);
		goto out;
	}
	if ((n = i2d_PKCS8_PRIV_KEY_INFO(p8, NULL)) <= 0 ||
	    (plain = kr_secmem_alloc((size_t)n)) == NULL) {
		r = n <= 0 ? kr_err_libcrypto(KR_ERR_KEY_DECODE, "re-encoding "
		    "the decrypted key") : KR_ERR_SECMEM_MLOCK;
		goto out;
	}
	q = plain;
	if (i2d_PKCS8_PRIV_KEY_INFO(p8, &q) != n) {
		r = kr_err_libcrypto(KR_ERR_KEY_DECODE, "re-encoding the "
		    "decrypted key");
		goto out;
	}
	*outp = plain;
	*outlenp = (size_t)n;
	plain = NULL;
	r = 0;
 out:
	if (plain != NULL)
		kr_secmem_free(plain, (size_t)n);
	PKCS8_PRIV_KEY_INFO_free(p8);
	X509_SIG_free(sig);
	return r;
}

/* --- raw symmetric keys ---------------------------------------------------- */

/* "aes-256-hex" -> aes-256, hex.  NULL when fmt is not a raw format. */
static const struct kr_symkey_alg *
raw_format(const char *fmt, int *hexp)
{
	static const char *const suffix[] = { "-hex", "-binary" };
	char name[64];
	size_t i, n = strlen(fmt), sl;

	for (i = 0; i < 2; i++) {
		sl = strlen(suffix[i]);
		if (n <= sl || n - sl >= sizeof(name) ||
		    strcmp(fmt + n - sl, suffix[i]) != 0)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(n - sl), fmt);
		*hexp = i == 0;
		return kr_symkey_alg_find(name);
	}
	return NULL;
}

/* "an aes-256 key is 32 bytes", "an hmac-sha256 key is 32 to 64 bytes". */
static void
sizes(const struct kr_symkey_alg *alg, char *out, size_t outlen)
{
	if (kr_symkey_alg_min(alg) == kr_symkey_alg_max(alg))
		snprintf(out, outlen, "an %s key is %zu bytes",
		    kr_symkey_alg_name(alg), kr_symkey_alg_min(alg));
	else
		snprintf(out, outlen, "an %s key is %zu to %zu bytes",
		    kr_symkey_alg_name(alg), kr_symkey_alg_min(alg),
		    kr_symkey_alg_max(alg));
}

/* The raw key of f into *rawp (secmem of exactly *lenp bytes), checked. */
static int
raw_key(const struct secret_file *f, const struct kr_symkey_alg *alg, int hex,
    const char *path, uint8_t **rawp, size_t *lenp)
{
	uint8_t *raw = NULL, *exact = NULL;
	char size[96];
	size_t len = 0;
	int r;

	sizes(alg, size, sizeof(size));
	*rawp = NULL;
	*lenp = 0;
	if ((raw = kr_secmem_alloc(KR_SYMKEY_MAX_BYTES)) == NULL)
		return KR_ERR_SECMEM_MLOCK;
	if (hex) {
		if (kr_symkey_hex_decode((const char *)f->buf, f->len, raw,
		    KR_SYMKEY_MAX_BYTES, &len) != 0) {
			r = kr_err_set(KR_ERR_KEY_DECODE, "%s is not a key in "
			    "hex: only hex digits (an even number of them, at "
			    "most %d) and white space at either end",
			    path, 2 * KR_SYMKEY_MAX_BYTES);
			goto out;
		}
	} else {
		if (f->len > KR_SYMKEY_MAX_BYTES) {
			r = kr_err_set(KR_ERR_KEY_DECODE, "%s: %zu bytes; %s",
			    path, f->len, size);
			goto out;
		}
		memcpy(raw, f->buf, f->len);
		len = f->len;
	}
	if (len < kr_symkey_alg_min(alg) || len > kr_symkey_alg_max(alg)) {
		r = kr_err_set(KR_ERR_KEY_DECODE, "%s holds a %zu-byte key; %s",
		    path, len, size);
		goto out;
	}
	if ((exact = kr_secmem_alloc(len)) == NULL) {
		r = KR_ERR_SECMEM_MLOCK;
		goto out;
	}
	memcpy(exact, raw, len);
	*rawp = exact;
	*lenp = len;
	r = 0;
 out:
	kr_secmem_free(raw, KR_SYMKEY_MAX_BYTES);
	return r;
}

/* --- the policy ------------------------------------------------------------ */

static int
check_import_policy(struct kr_engine *e, const char *algorithm)
{
	struct kr_policy_request req;
	char **v = NULL, msg[4096];
	size_t n = 0, i, used = 0;
	int r;

	memset(&req, 0, sizeof(req));
	kr_script_policy_request(e->script, &req);
	req.key_class = e->key_class;
	req.algorithm = algorithm;
	if ((r = kr_policy_check_import(e->policy, &req, &v, &n)) == 0)
		return 0;
	msg[0] = '\0';
	for (i = 0; i < n && used < sizeof(msg); i++)
		used += (size_t)snprintf(msg + used, sizeof(msg) - used,
		    "\n  - %s", v[i]);
	kr_policy_violations_free(v, n);
	return kr_err_set(r, "%s refused by policy %s (%zu reason%s):%s",
	    e->script->source, e->policy->name, n, n == 1 ? "" : "s", msg);
}

/* --- reading the key ------------------------------------------------------- */

const char *
kr_engine_import_class(const struct kr_script *s)
{
	const char *c;
	size_t i;

	for (i = 0; i < s->nsteps; i++)
		if (strcmp(s->steps[i].verb, "import-key") == 0 &&
		    (c = kr_script_arg(&s->steps[i], "class")) != NULL &&
		    *c != '\0')
			return c;
	return NULL;
}

/*
 * Decodes the file f as e->import says: *keyp (asymmetric) or *rawp
 * (symmetric).  pass is the passphrase of an encrypted PKCS#8, else NULL.
 */
static int
decode_key(struct kr_engine *e, const struct secret_file *f, const char *pass,
    size_t passlen, EVP_PKEY **keyp, uint8_t **rawp, size_t *rawlenp)
{
	struct kr_engine_import *im = e->import;
	const struct kr_symkey_alg *alg;
	uint8_t *der = NULL, *plain = NULL;
	size_t derlen = 0, plainlen = 0;
	int hex = 0, enc = 0, r;

	*keyp = NULL;
	*rawp = NULL;
	*rawlenp = 0;
	if ((alg = raw_format(im->format, &hex)) != NULL)
		return raw_key(f, alg, hex, im->path, rawp, rawlenp);
	if ((r = pkcs8_der(f, im->path, &der, &derlen, &enc)) != 0)
		goto out;
	if (enc && pass == NULL) {
		r = kr_err_set(KR_ERR_KEY_PASSPHRASE, "%s is encrypted",
		    im->path);
		goto out;
	}
	if (enc) {
		if ((r = pkcs8_decrypt(der, derlen, pass, passlen, im->path,
		    &plain, &plainlen)) != 0)
			goto out;
		r = kr_key_from_pkcs8(plain, plainlen, keyp);
	} else
		r = kr_key_from_pkcs8(der, derlen, keyp);
	if (r == KR_ERR_KEY_DECODE)
		r = kr_err_set(r, "%s is not a PKCS#8 private key (%s); a key "
		    "in another form (a traditional EC or RSA key) converts "
		    "with openssl pkcs8 -topk8", im->path, kr_err_detail());
	else if (r != 0)
		r = kr_err_set(r, "%s: %s", im->path, kr_err_detail());
 out:
	kr_secmem_free(der, derlen);
	kr_secmem_free(plain, plainlen);
	return r;
}

/* Fills e->import's algorithm and fingerprint from the decoded key. */
static int
describe(struct kr_engine *e, const EVP_PKEY *key, const uint8_t *raw,
    size_t rawlen)
{
	struct kr_engine_import *im = e->import;
	int hex;

	if (raw != NULL) {
		im->symmetric = 1;
		snprintf(im->algorithm, sizeof(im->algorithm), "%s",
		    kr_symkey_alg_name(raw_format(im->format, &hex)));
		return kr_symkey_check(raw, rawlen, im->key_check);
	}
	snprintf(im->algorithm, sizeof(im->algorithm), "%s",
	    kr_key_alg_name(kr_key_alg_of(key)));
	return kr_key_id(key, im->key_id);
}

int
kr_engine_preflight_import(struct kr_engine *e, const struct kr_script_step *st)
{
	const char *file = kr_script_arg(st, "file");
	const char *format = kr_script_arg(st, "format");
	struct secret_file f;
	EVP_PKEY *key = NULL;
	uint8_t *raw = NULL, *der = NULL;
	size_t rawlen = 0, derlen = 0;
	int r, hex, enc = 0;

	if (e->import != NULL)
		return kr_err_set(KR_ERR_SCRIPT_SYNTAX, "%s:%zu: a ceremony "
		    "imports one key", e->script->source, st->line);
	if ((e->import = calloc(1, sizeof(*e->import))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "import");
	if (format == NULL || *format == '\0')
		format = "pkcs8";
	if (strcmp(format, "pkcs8") != 0 && raw_format(format, &hex) == NULL)
		return kr_err_set(KR_ERR_SCRIPT_PARAM, "%s:%zu: import-key "
		    "format '%s': give pkcs8, aes-256-hex, aes-256-binary, "
		    "hmac-sha256-hex or hmac-sha256-binary", e->script->source,
		    st->line, format);
	snprintf(e->import->format, sizeof(e->import->format), "%s", format);
	snprintf(e->import->file, sizeof(e->import->file), "%s", file);
	if ((r = kr_media_path(e->media, 0, file, e->import->path,
	    sizeof(e->import->path))) != 0 ||
	    (r = read_secret(e->import->path, &f, e->import->sha256)) != 0)
		return r;
	if (raw_format(format, &hex) == NULL) {
		/* Encrypted: the structure now, the key with its passphrase. */
		r = pkcs8_der(&f, e->import->path, &der, &derlen, &enc);
		kr_secmem_free(der, derlen);
		e->import->encrypted = enc;
		snprintf(e->import->kind, sizeof(e->import->kind), "%s", enc ?
		    "pkcs8-encrypted" : "pkcs8");
		if (r != 0 || enc) {
			secret_free(&f);
			return r != 0 ? r : check_import_policy(e, NULL);
		}
	} else
		snprintf(e->import->kind, sizeof(e->import->kind), "raw");
	r = decode_key(e, &f, NULL, 0, &key, &raw, &rawlen);
	secret_free(&f);
	if (r == 0)
		r = describe(e, key, raw, rawlen);
	EVP_PKEY_free(key);
	kr_secmem_free(raw, rawlen);
	if (r != 0)
		return r;
	return check_import_policy(e, e->import->algorithm);
}

/* An encrypted key's passphrase, asked until it opens it (or tries end). */
static int
decode_with_passphrase(struct kr_engine *e, const struct secret_file *f,
    EVP_PKEY **keyp, uint8_t **rawp, size_t *rawlenp)
{
	struct kr_prompt p;
	struct kr_answer a;
	char text[512];
	unsigned int tries = e->pclass ? e->pclass->pin_attempts : 3, i;
	int r = KR_ERR_KEY_PASSPHRASE;

	for (i = 0; i < tries; i++) {
		memset(&p, 0, sizeof(p));
		p.kind = KR_PROMPT_PIN;
		p.id = "import.passphrase";
		p.role = "administrator";
		p.title = "Passphrase";
		snprintf(text, sizeof(text), "The key in %s is encrypted: type "
		    "its passphrase (it is read into locked memory and wiped).",
		    e->import->file);
		p.text = text;
		p.attempts_left = tries - i;
		if ((r = kr_engine_ask(e, &p, &a)) != 0)
			return r;
		r = decode_key(e, f, a.text ? a.text : "", a.len, keyp, rawp,
		    rawlenp);
		kr_engine_answer_free(&p, &a);
		if (r != KR_ERR_KEY_PASSPHRASE)
			return r;
		{
			struct kr_fact fa[] = { { "file", e->import->file } };

			(void)kr_engine_record(e, "passphrase-rejected",
			    "administrator", fa, 1);
		}
		kr_engine_notice(e, "%s", kr_err_detail());
	}
	return kr_err_set(r, "%s; %u tries, as many as the policy's "
	    "pin-attempts: the import stops here", kr_err_detail(), tries);
}

/* The operator's word that the source medium will be destroyed. */
static int
confirm_source(struct kr_engine *e)
{
	struct kr_prompt p;
	struct kr_answer a;
	char text[1024];
	int r, yes;

	memset(&p, 0, sizeof(p));
	p.kind = KR_PROMPT_CONFIRM;
	p.id = "import.destroy-source";
	p.role = "administrator";
	p.title = "Source medium";
	p.irreversible = 1;
	snprintf(text, sizeof(text), "The key was read from %s on %s. Once "
	    "it is escrowed, every other copy of it must go: that medium "
	    "will be destroyed (wiped and physically destroyed) after this "
	    "ceremony, in front of the witnesses, and so will any other "
	    "copy. Answer yes to commit to it; no stops the import.",
	    e->import->file, kr_media_dir(e->media, 0));
	p.text = text;
	if ((r = kr_engine_ask(e, &p, &a)) != 0)
		return r;
	yes = a.yes || (a.text != NULL && (strcmp(a.text, "yes") == 0 ||
	    strcmp(a.text, "YES") == 0));
	kr_engine_answer_free(&p, &a);
	if (!yes) {
		e->abort_reason = "source-not-destroyed";
		return kr_err_set(KR_ERR_ABORTED, "the administrator did not "
		    "commit to destroying the source medium: a key with copies "
		    "outside escrow is not escrowed, so the import stops");
	}
	{
		struct kr_fact f[] = { { "medium", kr_media_dir(e->media, 0) },
		    { "file", e->import->file },
		    { "confirmed-by", e->operator_name[0] ? e->operator_name :
		    "administrator" },
		    { "commitment", "the source medium and every other copy "
		    "of the key will be destroyed after this ceremony" } };

		return kr_engine_record(e, "source-to-be-destroyed",
		    "administrator", f, 4);
	}
}

/* Makes the imported key the engine's: e->key, and e->symkey. */
static int
take_key(struct kr_engine *e, EVP_PKEY *key, uint8_t *raw, size_t rawlen)
{
	uint8_t id[32];
	int r;

	if (raw == NULL) {
		if (!e->import->encrypted && ((r = kr_key_id(key, id)) != 0 ||
		    memcmp(id, e->import->key_id, 32) != 0)) {
			EVP_PKEY_free(key);
			return kr_err_set(KR_ERR_KEY_MISMATCH, "%s holds another "
			    "key than the one checked before the ceremony",
			    e->import->path);
		}
		e->key = key;
		return 0;
	}
	e->symkey = raw;
	e->symkey_len = rawlen;
	/* The package's seal key: it signs this and every later transcript. */
	kr_engine_progress(e, "making the key's seal key", 0, 1);
	if ((r = kr_key_generate(kr_key_alg_find(KR_SYMKEY_SEAL_ALG),
	    &e->key)) != 0)
		return r;
	kr_engine_progress(e, "making the key's seal key", 1, 1);
	return 0;
}

static int
record_import(struct kr_engine *e)
{
	struct kr_engine_import *im = e->import;
	char sha[65], fp[65], seal[65];
	uint8_t sid[32];
	int r;

	kr_hex_encode(im->sha256, 32, sha, sizeof(sha));
	kr_hex_encode(im->symmetric ? im->key_check : im->key_id, 32, fp,
	    sizeof(fp));
	if (im->symmetric && (r = kr_key_id(e->key, sid)) != 0)
		return r;
	kr_hex_encode(sid, 32, seal, sizeof(seal));
	{
		struct kr_fact f[] = { { "file", im->file },
		    { "sha256", sha }, { "format", im->format },
		    { "kind", im->kind }, { "algorithm", im->algorithm },
		    { "key-class", e->key_class },
		    { im->symmetric ? "key-check" : "key-id", fp },
		    { "origin", "imported: made elsewhere, not generated on "
		    "this appliance" },
		    { "seal-key-id", seal } };

		return kr_engine_record(e, "key-imported", "administrator", f,
		    im->symmetric ? 9 : 8);
	}
}

int
kr_engine_verb_import_key(struct kr_engine *e, const struct kr_script_step *st)
{
	struct kr_engine_import *im = e->import;
	struct secret_file f;
	uint8_t sha[32];
	EVP_PKEY *key = NULL;
	uint8_t *raw = NULL;
	size_t rawlen = 0;
	int r;

	(void)st;
	if (im == NULL)
		return kr_err_set(KR_ERR_ENGINE_STATE, "import-key: the key "
		    "file was not checked before the ceremony started");
	if (e->key != NULL)
		return kr_err_set(KR_ERR_ENGINE_STATE, "a key exists already");
	if ((r = read_secret(im->path, &f, sha)) != 0)
		return r;
	if (memcmp(sha, im->sha256, 32) != 0) {
		secret_free(&f);
		return kr_err_set(KR_ERR_ESCROW_INTEGRITY, "%s changed since "
		    "it was checked before the ceremony: nothing was imported",
		    im->path);
	}
	r = im->encrypted ? decode_with_passphrase(e, &f, &key, &raw,
	    &rawlen) : decode_key(e, &f, NULL, 0, &key, &raw, &rawlen);
	secret_free(&f);
	if (r == 0 && im->encrypted && (r = describe(e, key, raw,
	    rawlen)) == 0)
		r = check_import_policy(e, im->algorithm);
	if (r != 0) {
		EVP_PKEY_free(key);
		kr_secmem_free(raw, rawlen);
		return r;
	}
	if ((r = take_key(e, key, raw, rawlen)) != 0)
		return r;
	if ((r = record_import(e)) != 0)
		return r;
	return confirm_source(e);
}
