/*
 * transcript.c: writing a ceremony transcript, and the encoding rules the
 * reader (transcript-verify.c) shares.
 *
 * The file is only ever appended to.  Each record is formatted in memory,
 * chained, and handed to the kernel in one write(2), then fsync()ed before
 * the engine moves on, so that a crash, a power cut or SIGKILL leaves every
 * event up to the last one on the medium and nothing half-written (lines
 * are far below the size at which a regular-file write could be split).
 * The header is written to a temporary file beside the transcript, synced,
 * and only then linked to the transcript's name, so the name never shows
 * an empty or half-written file.  The seal record and its signature block
 * go out in one write too; should that write fail part-way (a full
 * medium), the file is cut back to the record before, so a transcript is
 * either unsealed or sealed with its signature (and a reader that still
 * finds a cut seal calls it unsealed).  If a write or sync ever fails, the
 * transcript refuses further records: what follows on the medium is
 * unknown, and the engine must stop the ceremony.
 *
 * The canonical bytes are ASCII only (everything else percent-encoded) so
 * that the file prints and fits in QR codes exactly; the format is in
 * docs/transcript-format.md.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/hex.h"
#include "base/version.h"
#include "crypto/key.h"
#include "host/media.h"
#include "transcript-int.h"
#include "transcript.h"

struct kr_transcript {
	int		 fd;
	char		*path;
	char		 id[KR_TRANSCRIPT_ID_BYTES];
	uint8_t		 chain[32];
	unsigned long	 seq;		/* records written */
	off_t		 size;		/* bytes written and synced */
	int		 sealed;
	int		 broken;	/* a write or sync failed */
};

/* --- shared encoding rules ----------------------------------------------- */

static int
word_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '.' || c == '_' || c == ':' || c == '-';
}

int
kr_transcript_word_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > KR_TRANSCRIPT_WORD_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!word_byte((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Whether s[0..n) matches pat: 'd' a digit, 'x' lower-case hex, else itself. */
static int
shape_ok(const char *s, size_t n, const char *pat)
{
	size_t i;

	if (n != strlen(pat))
		return 0;
	for (i = 0; i < n; i++) {
		if (pat[i] == 'd') {
			if (s[i] < '0' || s[i] > '9')
				return 0;
		} else if (pat[i] == 'x') {
			if (!((s[i] >= '0' && s[i] <= '9') ||
			    (s[i] >= 'a' && s[i] <= 'f')))
				return 0;
		} else if (s[i] != pat[i])
			return 0;
	}
	return 1;
}

static int
num(const char *s, size_t n)
{
	int v = 0;

	while (n-- > 0)
		v = v * 10 + (*s++ - '0');
	return v;
}

/* Month 1-12, day 1-31, hour 0-23, minute and second 0-59 (60: leap). */
static int
fields_ok(int mon, int day, int h, int m, int s)
{
	return mon >= 1 && mon <= 12 && day >= 1 && day <= 31 && h <= 23 &&
	    m <= 59 && s <= 60;
}

int
kr_transcript_id_ok(const char *s, size_t n)
{
	if (!shape_ok(s, n, "dddddddd-dddddd-xxxxxxxx"))
		return 0;
	return fields_ok(num(s + 4, 2), num(s + 6, 2), num(s + 9, 2),
	    num(s + 11, 2), num(s + 13, 2));
}

int
kr_transcript_time_ok(const char *s, size_t n)
{
	if (!shape_ok(s, n, "dddd-dd-ddTdd:dd:ddZ"))
		return 0;
	return fields_ok(num(s + 5, 2), num(s + 8, 2), num(s + 11, 2),
	    num(s + 14, 2), num(s + 17, 2));
}

void
kr_transcript_now(char out[KR_TRANSCRIPT_TIME_BYTES])
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(out, KR_TRANSCRIPT_TIME_BYTES, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
kr_transcript_pct_plain(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e && c != '%' && c != '=';
}

void
kr_transcript_pct_encode(struct kr_buf *b, const char *s, size_t n)
{
	static const char digits[] = "0123456789ABCDEF";
	unsigned char c;
	char esc[3];
	size_t i, run = 0;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (kr_transcript_pct_plain(c)) {
			run++;
			continue;
		}
		kr_buf_append(b, s + i - run, run);
		run = 0;
		esc[0] = '%';
		esc[1] = digits[c >> 4];
		esc[2] = digits[c & 0xf];
		kr_buf_append(b, esc, 3);
	}
	kr_buf_append(b, s + n - run, run);
}

static int
upper_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
kr_transcript_pct_ok(const char *s, size_t n, size_t *rawp)
{
	size_t i, raw = 0;
	int hi, lo;

	for (i = 0; i < n; i++, raw++) {
		if (s[i] != '%') {
			if (!kr_transcript_pct_plain((unsigned char)s[i]))
				return 0;
			continue;
		}
		if (i + 2 >= n)
			return 0;
		if ((hi = upper_hex(s[i + 1])) < 0 ||
		    (lo = upper_hex(s[i + 2])) < 0 ||
		    kr_transcript_pct_plain((unsigned char)(hi << 4 | lo)))
			return 0;
		i += 2;
	}
	if (rawp != NULL)
		*rawp = raw;
	return 1;
}

int
kr_transcript_sha256(const void *p, size_t len, uint8_t out[32])
{
	if (EVP_Digest(p, len, out, NULL, EVP_sha256(), NULL) != 1)
		return kr_err_libcrypto(KR_ERR_LIBCRYPTO, "SHA-256");
	return 0;
}

int
kr_transcript_chain_step(const uint8_t prev[32], const char *line,
    size_t len, uint8_t out[32])
{
	EVP_MD_CTX *md;
	char hex[65];
	int r = 0;

	kr_hex_encode(prev, 32, hex, sizeof(hex));
	hex[64] = ' ';
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, hex, sizeof(hex)) != 1 ||
	    EVP_DigestUpdate(md, line, len) != 1 ||
	    EVP_DigestFinal_ex(md, out, NULL) != 1)
		r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "SHA-256 of a "
		    "transcript record");
	EVP_MD_CTX_free(md);
	return r;
}

size_t
kr_transcript_seal_message(const char *ceremony_id, const uint8_t final[32],
    char out[KR_TRANSCRIPT_SEAL_MSG_MAX])
{
	char hex[65];
	int n;

	kr_hex_encode(final, 32, hex, sizeof(hex));
	n = snprintf(out, KR_TRANSCRIPT_SEAL_MSG_MAX, "%s %s %s\n",
	    KR_TRANSCRIPT_SEAL_TAG, ceremony_id, hex);
	if (n < 0 || n >= KR_TRANSCRIPT_SEAL_MSG_MAX) {
		out[0] = '\0';
		return 0;
	}
	return (size_t)n;
}

/* Card labels and serials: text without control characters. */
static int
card_text_ok(const char *s, size_t max)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

size_t
kr_transcript_cosign_message(const char *ceremony_id, const uint8_t final[32],
    const char *label, const char *serial,
    char out[KR_TRANSCRIPT_COSIGN_MSG_MAX])
{
	struct kr_buf b = { 0 };
	size_t n = 0;

	out[0] = '\0';
	if (!card_text_ok(label, KR_TRANSCRIPT_LABEL_MAX) ||
	    !card_text_ok(serial, KR_TRANSCRIPT_SERIAL_MAX))
		return 0;
	kr_buf_printf(&b, "%s %s ", KR_TRANSCRIPT_COSIGN_TAG, ceremony_id);
	kr_buf_hex(&b, final, 32);
	kr_buf_puts(&b, " ");
	kr_transcript_pct_encode(&b, label, strlen(label));
	kr_buf_puts(&b, " ");
	kr_transcript_pct_encode(&b, serial, strlen(serial));
	kr_buf_puts(&b, "\n");
	if (!b.failed && b.len < KR_TRANSCRIPT_COSIGN_MSG_MAX) {
		memcpy(out, b.data, b.len + 1);
		n = b.len;
	}
	kr_buf_free(&b);
	return n;
}

/* --- files ----------------------------------------------------------------- */

int
kr_transcript_id_new(char out[KR_TRANSCRIPT_ID_BYTES])
{
	uint8_t rnd[4];
	char hex[9];
	time_t now = time(NULL);
	struct tm tm;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return kr_err_libcrypto(KR_ERR_LIBCRYPTO, "random ceremony id");
	kr_hex_encode(rnd, sizeof(rnd), hex, sizeof(hex));
	gmtime_r(&now, &tm);
	strftime(out, KR_TRANSCRIPT_ID_BYTES, "%Y%m%d-%H%M%S-", &tm);
	memcpy(out + 16, hex, 9);
	return 0;
}

int
kr_transcript_file_sha256(const char *path, uint8_t out[32])
{
	char *data = NULL;
	size_t len = 0;
	int r;

	r = kr_media_read(path, KR_TRANSCRIPT_FILE_MAX, &data, &len, out);
	free(data);
	return r;
}

static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsync()s the directory holding path, so the new name is durable. */
static int
sync_dir(const char *path)
{
	char *copy;
	int fd, r = 0;

	if ((copy = strdup(path)) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "transcript %s", path);
	if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || fsync(fd) != 0)
		r = kr_err_errno(KR_ERR_IO, "syncing the directory of "
		    "transcript %s", path);
	if (fd != -1)
		close(fd);
	free(copy);
	return r;
}

/*
 * Writes text to t's file and syncs it; a failure breaks t for good and
 * cuts the file back to what was synced before (best effort: a medium
 * that is gone cannot be cut), so a half-written line does not stay.
 */
static int
commit(struct kr_transcript *t, const char *text, size_t len,
    const char *what)
{
	if (write_all(t->fd, text, len) != 0 || fsync(t->fd) != 0) {
		int r = kr_err_errno(KR_ERR_IO, "transcript %s: writing %s "
		    "(the medium may be full or removed; the transcript is "
		    "complete up to the record before)", t->path, what);

		t->broken = 1;
		if (ftruncate(t->fd, t->size) == 0)
			(void)fsync(t->fd);
		return r;
	}
	t->size += (off_t)len;
	return 0;
}

static int
check_header(const struct kr_transcript_header *h)
{
	if (!kr_transcript_id_ok(h->ceremony_id, strlen(h->ceremony_id)))
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "transcript: "
		    "ceremony id '%s' is not of the form "
		    "YYYYMMDD-HHMMSS-xxxxxxxx", h->ceremony_id);
	if (!kr_transcript_word_ok(h->ceremony, strlen(h->ceremony)))
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "transcript: "
		    "ceremony name '%s' is not a word of a-z 0-9 . _ : -",
		    h->ceremony);
	if (!kr_transcript_word_ok(KEYRITE_VERSION,
	    strlen(KEYRITE_VERSION)))
		return kr_err_set(KR_ERR_INTERNAL, "transcript: keyrite "
		    "version '%s' is not a word", KEYRITE_VERSION);
	return 0;
}

/* The header, up to and including the blank line; c0 its chain value. */
static int
header_text(const struct kr_transcript_header *h, struct kr_buf *b,
    uint8_t c0[32])
{
	char now[KR_TRANSCRIPT_TIME_BYTES];
	int r;

	kr_transcript_now(now);
	kr_buf_printf(b, "%s: %d\nceremony-id: %s\nceremony: %s\n"
	    "script-sha256: ", KR_TRANSCRIPT_MAGIC, KR_TRANSCRIPT_VERSION,
	    h->ceremony_id, h->ceremony);
	kr_buf_hex(b, h->script_sha256, 32);
	kr_buf_puts(b, "\npolicy-sha256: ");
	kr_buf_hex(b, h->policy_sha256, 32);
	kr_buf_printf(b, "\nkeyrite-version: %s\nmode: %s\n"
	    "previous-transcript-sha256: ", KEYRITE_VERSION,
	    h->rehearsal ? "rehearsal" : "real");
	if (h->has_previous)
		kr_buf_hex(b, h->previous_sha256, 32);
	else
		kr_buf_puts(b, "none");
	kr_buf_printf(b, "\nstarted: %s\n", now);
	if (b->failed)
		return kr_err_set(KR_ERR_NOMEM, "transcript header");
	if ((r = kr_transcript_sha256(b->data, b->len, c0)) != 0)
		return r;
	kr_buf_puts(b, "chain: ");
	kr_buf_hex(b, c0, 32);
	kr_buf_puts(b, "\n\n");
	return b->failed ? kr_err_set(KR_ERR_NOMEM, "transcript header") : 0;
}

/*
 * The header goes to dir/.keyrite-tmp-<id>-transcript first (a name the
 * cleaner recognises by its ceremony id), is synced, then linked to path
 * (on FAT, which has no hard links, renamed to it without replacing:
 * kr_media_name_once()): a kill at any point leaves either no transcript
 * or one with its whole header, never an empty file under the
 * transcript's name.
 */
int
kr_transcript_create(const char *path, const struct kr_transcript_header *h,
    struct kr_transcript **tp)
{
	struct kr_transcript *t = NULL;
	struct kr_buf b = { 0 };
	char tmp[4200], *copy = NULL;
	int r, linked = 0, named = 0;

	*tp = NULL;
	if ((r = check_header(h)) != 0)
		return r;
	if ((t = calloc(1, sizeof(*t))) != NULL)
		t->fd = -1;
	if (t == NULL || (t->path = strdup(path)) == NULL ||
	    (copy = strdup(path)) == NULL) {
		r = kr_err_set(KR_ERR_NOMEM, "transcript %s", path);
		goto out;
	}
	snprintf(tmp, sizeof(tmp), "%s/%s%s-transcript", dirname(copy),
	    KR_MEDIA_TEMP_PREFIX, h->ceremony_id);
	memcpy(t->id, h->ceremony_id, sizeof(t->id));
	if ((r = header_text(h, &b, t->chain)) != 0)
		goto out;
	t->fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC |
	    O_NOFOLLOW, 0644);
	if (t->fd == -1) {
		r = kr_err_errno(KR_ERR_IO, "creating transcript %s (as %s)",
		    path, tmp);
		goto out;
	}
	if ((r = commit(t, b.data, b.len, "the header")) != 0)
		goto out;
	/* link(2), or on FAT (no hard links) a rename that never replaces. */
	if (kr_media_name_once(tmp, path, &linked) != 0) {
		r = kr_err_errno(errno == EEXIST ? KR_ERR_EXISTS : KR_ERR_IO,
		    "creating transcript %s%s", path, errno == EEXIST ?
		    " (a transcript is never overwritten; use a new name or "
		    "medium)" : "");
		goto out;
	}
	named = 1;
	if (linked && unlink(tmp) != 0) {
		r = kr_err_errno(KR_ERR_IO, "removing %s", tmp);
		goto out;
	}
	if ((r = sync_dir(path)) != 0)
		goto out;
	*tp = t;
	t = NULL;
	r = 0;
 out:
	if (t != NULL && t->fd != -1) {
		(void)unlink(tmp);
		if (named)
			(void)unlink(path);
	}
	kr_transcript_close(t);
	kr_buf_free(&b);
	free(copy);
	return r;
}

int
kr_transcript_reopen(const char *path, struct kr_transcript **tp,
    struct kr_transcript_summary *sum)
{
	struct kr_transcript *t = NULL;
	struct stat st;
	int r;

	*tp = NULL;
	r = kr_transcript_verify_file(path, NULL, 0, sum);
	if (r == 0)
		return kr_err_set(KR_ERR_ENGINE_STATE, "transcript %s is "
		    "sealed; nothing can be added to it", path);
	if (r != KR_ERR_TRANSCRIPT_UNSEALED)
		return r;
	if ((t = calloc(1, sizeof(*t))) != NULL)
		t->fd = -1;
	if (t == NULL || (t->path = strdup(path)) == NULL) {
		r = kr_err_set(KR_ERR_NOMEM, "transcript %s", path);
		goto out;
	}
	if ((t->fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC |
	    O_NOFOLLOW)) == -1) {
		r = kr_err_errno(KR_ERR_IO, "opening transcript %s", path);
		goto out;
	}
	if (fstat(t->fd, &st) != 0) {
		r = kr_err_errno(KR_ERR_IO, "transcript %s", path);
		goto out;
	}
	/* A line cut off by the interruption is not a record: drop it. */
	if ((off_t)sum->intact_len < st.st_size &&
	    (ftruncate(t->fd, (off_t)sum->intact_len) != 0 ||
	    fsync(t->fd) != 0)) {
		r = kr_err_errno(KR_ERR_IO, "transcript %s: cutting the "
		    "unfinished last line", path);
		goto out;
	}
	t->size = (off_t)sum->intact_len;
	memcpy(t->id, sum->header.ceremony_id, sizeof(t->id));
	memcpy(t->chain, sum->chain, sizeof(t->chain));
	t->seq = sum->records;
	*tp = t;
	t = NULL;
	r = 0;
 out:
	kr_transcript_close(t);
	return r;
}

static int
record_text(unsigned long seq, const uint8_t prev[32], const char *event,
    const char *actor, const struct kr_fact *facts, size_t nfacts,
    struct kr_buf *b, uint8_t chain[32])
{
	char now[KR_TRANSCRIPT_TIME_BYTES];
	size_t start = b->len, i;
	int r;

	if (!kr_transcript_word_ok(event, strlen(event)))
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "transcript record "
		    "%lu: event '%s' is not a word", seq, event);
	if (!kr_transcript_word_ok(actor, strlen(actor)))
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "transcript record "
		    "%lu: actor '%s' is not a word", seq, actor);
	kr_transcript_now(now);
	kr_buf_printf(b, "%lu %s %s %s", seq, now, event, actor);
	for (i = 0; i < nfacts; i++) {
		if (facts[i].key == NULL || facts[i].value == NULL ||
		    !kr_transcript_word_ok(facts[i].key,
		    strlen(facts[i].key)) || strcmp(facts[i].key,
		    "chain") == 0)
			return kr_err_set(KR_ERR_INVALID_ARGUMENT, "transcript "
			    "record %lu (%s): fact %zu has no value or its "
			    "key '%s' is not a word other than 'chain'", seq,
			    event, i + 1, facts[i].key ? facts[i].key : "");
		kr_buf_printf(b, " %s=", facts[i].key);
		kr_transcript_pct_encode(b, facts[i].value,
		    strlen(facts[i].value));
		if (b->len - start > KR_TRANSCRIPT_LINE_MAX)
			break;
	}
	if (b->failed)
		return kr_err_set(KR_ERR_NOMEM, "transcript record %lu", seq);
	/* " chain=" + 64 hex + newline */
	if (b->len - start + 72 > KR_TRANSCRIPT_LINE_MAX)
		return kr_err_set(KR_ERR_TOO_LARGE, "transcript record %lu "
		    "(%s): longer than %d bytes; record large data by its "
		    "hash", seq, event, KR_TRANSCRIPT_LINE_MAX);
	if ((r = kr_transcript_chain_step(prev, b->data + start,
	    b->len - start, chain)) != 0)
		return r;
	kr_buf_puts(b, " chain=");
	kr_buf_hex(b, chain, 32);
	kr_buf_puts(b, "\n");
	return b->failed ? kr_err_set(KR_ERR_NOMEM, "transcript record") : 0;
}

static int
writable(const struct kr_transcript *t)
{
	if (t->broken)
		return kr_err_set(KR_ERR_ENGINE_STATE, "transcript %s: an "
		    "earlier write failed; nothing more can be recorded in "
		    "it", t->path);
	if (t->sealed)
		return kr_err_set(KR_ERR_ENGINE_STATE, "transcript %s is "
		    "sealed; no record can follow the seal", t->path);
	return 0;
}

int
kr_transcript_append(struct kr_transcript *t, const char *event,
    const char *actor, const struct kr_fact *facts, size_t nfacts,
    uint8_t chain[32])
{
	struct kr_buf b = { 0 };
	uint8_t c[32];
	char what[64];
	int r;

	if ((r = writable(t)) != 0)
		return r;
	if (strcmp(event, KR_TRANSCRIPT_SEALED) == 0)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "transcript: the "
		    "event 'sealed' is written only by sealing");
	if ((r = record_text(t->seq + 1, t->chain, event, actor, facts,
	    nfacts, &b, c)) != 0)
		goto out;
	snprintf(what, sizeof(what), "record %lu", t->seq + 1);
	if ((r = commit(t, b.data, b.len, what)) != 0)
		goto out;
	t->seq++;
	memcpy(t->chain, c, sizeof(c));
	if (chain != NULL)
		memcpy(chain, c, sizeof(c));
	r = 0;
 out:
	kr_buf_free(&b);
	return r;
}

void
kr_transcript_chain(const struct kr_transcript *t, uint8_t out[32])
{
	memcpy(out, t->chain, 32);
}

const char *
kr_transcript_id(const struct kr_transcript *t)
{
	return t->id;
}

int
kr_transcript_cosign_missing(struct kr_transcript *t, const char *label,
    const char *serial, const char *reason)
{
	struct kr_buf b = { 0 };
	int r;

	if (t->broken || !t->sealed)
		return kr_err_set(KR_ERR_ENGINE_STATE, "transcript %s: "
		    "co-signatures follow the seal", t->path);
	if (!kr_transcript_word_ok(reason, strlen(reason)) ||
	    !card_text_ok(label, KR_TRANSCRIPT_LABEL_MAX) ||
	    !card_text_ok(serial, KR_TRANSCRIPT_SERIAL_MAX))
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "transcript %s: a "
		    "missing co-signature needs a card label, serial and a "
		    "reason word", t->path);
	kr_buf_puts(&b, "cosignature-missing: ");
	kr_transcript_pct_encode(&b, label, strlen(label));
	kr_buf_puts(&b, " ");
	kr_transcript_pct_encode(&b, serial, strlen(serial));
	kr_buf_printf(&b, " %s\n", reason);
	r = b.failed ? kr_err_set(KR_ERR_NOMEM, "transcript") :
	    commit(t, b.data, b.len, "a missing co-signature");
	kr_buf_free(&b);
	return r;
}

int
kr_transcript_sealed(const struct kr_transcript *t)
{
	return t != NULL && t->sealed;
}

/* The signer of kr_transcript_seal(): the ceremony key in memory. */
static int
key_signer(void *ctx, const uint8_t *msg, size_t len, uint8_t **sigp,
    size_t *siglenp)
{
	return kr_key_sign(ctx, msg, len, sigp, siglenp);
}

/* Signs the seal message of final with sign, checking the signature. */
static int
seal_sign(const char *id, const uint8_t final[32], kr_transcript_signer sign,
    void *ctx, const uint8_t *spki, size_t spkilen, uint8_t **sigp,
    size_t *siglenp)
{
	char msg[KR_TRANSCRIPT_SEAL_MSG_MAX];
	EVP_PKEY *pub = NULL;
	uint8_t *sig = NULL;
	size_t msglen, siglen = 0;
	int r;

	*sigp = NULL;
	*siglenp = 0;
	msglen = kr_transcript_seal_message(id, final, msg);
	if ((r = sign(ctx, (const uint8_t *)msg, msglen, &sig,
	    &siglen)) != 0)
		goto out;
	/* Fail closed: never write a seal that would not verify. */
	if ((r = kr_key_from_spki(spki, spkilen, &pub)) != 0 ||
	    (r = kr_key_verify(pub, (const uint8_t *)msg, msglen, sig,
	    siglen)) != 0) {
		r = kr_err_set(KR_ERR_TRANSCRIPT_SIGNATURE, "sealing: the "
		    "ceremony key's signature does not verify under its own "
		    "public key; the transcript was left unsealed");
		goto out;
	}
	*sigp = sig;
	*siglenp = siglen;
	sig = NULL;
	r = 0;
 out:
	free(sig);
	EVP_PKEY_free(pub);
	return r;
}

int
kr_transcript_seal(struct kr_transcript *t, const EVP_PKEY *key)
{
	uint8_t *spki = NULL;
	size_t spkilen = 0;
	int r;

	if ((r = writable(t)) != 0)
		return r;
	if (kr_key_alg_of(key) == NULL)
		return kr_err_set(KR_ERR_KEY_ALGORITHM, "sealing transcript "
		    "%s: the ceremony key's algorithm is not one keyrite "
		    "manages", t->path);
	if ((r = kr_key_to_spki(key, &spki, &spkilen)) != 0)
		return r;
	/* kr_key_sign() does not change the key. */
	r = kr_transcript_seal_signer(t, spki, spkilen, key_signer,
	    (void *)(uintptr_t)key);
	free(spki);
	return r;
}

int
kr_transcript_seal_signer(struct kr_transcript *t, const uint8_t *spki_in,
    size_t spki_len, kr_transcript_signer sign, void *ctx)
{
	const struct kr_key_alg *alg;
	struct kr_fact facts[2];
	struct kr_buf b = { 0 };
	EVP_PKEY *pub = NULL;
	uint8_t id[KR_KEY_ID_BYTES], c[32], *spki = NULL, *sig = NULL;
	size_t spkilen = 0, siglen = 0;
	char idhex[2 * KR_KEY_ID_BYTES + 1], *spki64 = NULL, *sig64 = NULL;
	int r;

	if ((r = writable(t)) != 0)
		return r;
	if ((r = kr_key_from_spki(spki_in, spki_len, &pub)) != 0)
		return r;
	if ((alg = kr_key_alg_of(pub)) == NULL) {
		r = kr_err_set(KR_ERR_KEY_ALGORITHM, "sealing transcript "
		    "%s: the sealing key's algorithm is not one keyrite "
		    "manages", t->path);
		goto out;
	}
	/* Re-encoded: the SPKI written is the canonical one. */
	if ((r = kr_key_to_spki(pub, &spki, &spkilen)) != 0 ||
	    (r = kr_key_id(pub, id)) != 0)
		goto out;
	kr_hex_encode(id, sizeof(id), idhex, sizeof(idhex));
	facts[0].key = "algorithm";
	facts[0].value = kr_key_alg_name(alg);
	facts[1].key = "signer-key-id";
	facts[1].value = idhex;
	if ((r = record_text(t->seq + 1, t->chain, KR_TRANSCRIPT_SEALED,
	    KR_TRANSCRIPT_SEALER, facts, 2, &b, c)) != 0)
		goto out;
	if ((r = seal_sign(t->id, c, sign, ctx, spki, spkilen, &sig,
	    &siglen)) != 0)
		goto out;
	if ((r = kr_base64_encode(spki, spkilen, &spki64)) != 0 ||
	    (r = kr_base64_encode(sig, siglen, &sig64)) != 0) {
		r = kr_err_set(r, "sealing transcript %s", t->path);
		goto out;
	}
	kr_buf_printf(&b, "\nsignature-algorithm: %s\nsigner-key-id: %s\n"
	    "signer-public-key: %s\nsignature: %s\n", kr_key_alg_name(alg),
	    idhex, spki64, sig64);
	if (b.failed) {
		r = kr_err_set(KR_ERR_NOMEM, "sealing transcript %s", t->path);
		goto out;
	}
	if ((r = commit(t, b.data, b.len, "the seal")) != 0)
		goto out;
	t->seq++;
	t->sealed = 1;
	memcpy(t->chain, c, sizeof(c));
	r = 0;
 out:
	EVP_PKEY_free(pub);
	free(spki);
	free(sig);
	free(spki64);
	free(sig64);
	kr_buf_free(&b);
	return r;
}

int
kr_transcript_cosign(struct kr_transcript *t, const char *label,
    const char *serial, const uint8_t *spki, size_t spkilen,
    const uint8_t *sig, size_t siglen)
{
	const struct kr_key_alg *alg;
	char msg[KR_TRANSCRIPT_COSIGN_MSG_MAX], *spki64 = NULL, *sig64 = NULL;
	struct kr_buf b = { 0 };
	EVP_PKEY *pub = NULL;
	size_t msglen;
	int r;

	if (t->broken || !t->sealed)
		return kr_err_set(KR_ERR_ENGINE_STATE, "transcript %s: "
		    "co-signatures follow the seal, and only of an intact "
		    "transcript", t->path);
	if ((msglen = kr_transcript_cosign_message(t->id, t->chain, label,
	    serial, msg)) == 0)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "transcript %s: "
		    "a co-signing card's label (1-%d bytes) or serial (1-%d) "
		    "is empty, too long or has control characters", t->path,
		    KR_TRANSCRIPT_LABEL_MAX, KR_TRANSCRIPT_SERIAL_MAX);
	if ((r = kr_key_from_spki(spki, spkilen, &pub)) != 0)
		goto out;
	if ((alg = kr_key_alg_of(pub)) == NULL) {
		r = kr_err_set(KR_ERR_KEY_ALGORITHM, "transcript %s: card %s "
		    "has a key of an algorithm keyrite does not manage",
		    t->path, label);
		goto out;
	}
	if (kr_key_verify(pub, (const uint8_t *)msg, msglen, sig,
	    siglen) != 0) {
		r = kr_err_set(KR_ERR_TRANSCRIPT_SIGNATURE, "transcript %s: "
		    "card %s (serial %s): its co-signature does not verify "
		    "under its public key; not recorded", t->path, label,
		    serial);
		goto out;
	}
	if ((r = kr_base64_encode(spki, spkilen, &spki64)) != 0 ||
	    (r = kr_base64_encode(sig, siglen, &sig64)) != 0) {
		r = kr_err_set(r, "transcript %s: co-signature", t->path);
		goto out;
	}
	kr_buf_printf(&b, "cosignature: %s ", kr_key_alg_name(alg));
	kr_transcript_pct_encode(&b, label, strlen(label));
	kr_buf_puts(&b, " ");
	kr_transcript_pct_encode(&b, serial, strlen(serial));
	kr_buf_printf(&b, " %s %s\n", spki64, sig64);
	if (b.failed) {
		r = kr_err_set(KR_ERR_NOMEM, "transcript co-signature");
		goto out;
	}
	r = commit(t, b.data, b.len, "a co-signature");
 out:
	EVP_PKEY_free(pub);
	free(spki64);
	free(sig64);
	kr_buf_free(&b);
	return r;
}

void
kr_transcript_close(struct kr_transcript *t)
{
	if (t == NULL)
		return;
	if (t->fd != -1)
		close(t->fd);
	free(t->path);
	free(t);
}
