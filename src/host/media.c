/*
 * media.c: never-overwrite, read-back-verified output files, staged per
 * ceremony and published at its commit.
 *
 * link(2) to the final name is the no-overwrite step: it fails with EEXIST
 * rather than replacing a file, atomically, so two ceremonies racing for
 * the same medium cannot clobber each other's outputs.  The same step
 * publishes a staged file: DIR/.keyrite-staging-<id>/<name> is linked to
 * DIR/<name> (same file system, so one inode and no copy), after which
 * the staging directory is removed.  FAT and exFAT, what USB sticks hold,
 * have no hard links: there renameat2(RENAME_NOREPLACE) is the same step
 * (kr_media_name_once()).  Everything is fsync()ed before the next step
 * depends on it: file, then its directory.
 */
#define _GNU_SOURCE		/* renameat2(2) */

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "base/err.h"
#include "base/hex.h"
#include "media.h"

struct kr_media {
	char	*dirs[KR_MEDIA_MAX_DIRS];
	size_t	 n;
	/* Staging, between kr_media_stage_open() and publish/discard. */
	char	 id[KR_MEDIA_ID_MAX + 1];
	char	*staging[KR_MEDIA_MAX_DIRS];
	int	 lockfd[KR_MEDIA_MAX_DIRS];
};

int
kr_media_name_ok(const char *name)
{
	size_t n = strlen(name), i;

	if (n == 0 || n > 128 || name[0] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= 'A' && name[i] <= 'Z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '.' ||
		    name[i] == '_' || name[i] == '-'))
			return 0;
	return 1;
}

int
kr_media_open(const char *const *dirs, size_t ndirs, struct kr_media **mp)
{
	struct kr_media *m;
	struct stat st;
	dev_t dev[KR_MEDIA_MAX_DIRS];
	ino_t ino[KR_MEDIA_MAX_DIRS];
	size_t i, j;
	int r;

	*mp = NULL;
	if (ndirs == 0 || ndirs > KR_MEDIA_MAX_DIRS)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "give 1 to %d media "
		    "directories", KR_MEDIA_MAX_DIRS);
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "media");
	for (i = 0; i < KR_MEDIA_MAX_DIRS; i++)
		m->lockfd[i] = -1;
	for (i = 0; i < ndirs; i++) {
		if (stat(dirs[i], &st) != 0) {
			r = kr_err_errno(KR_ERR_MEDIA, "media directory %s",
			    dirs[i]);
			goto fail;
		}
		dev[i] = st.st_dev;
		ino[i] = st.st_ino;
		for (j = 0; j < i; j++)
			if (dev[j] == dev[i] && ino[j] == ino[i]) {
				r = kr_err_set(KR_ERR_MEDIA, "media directories "
				    "%s and %s are the same directory: each "
				    "copy must go to a medium of its own; give "
				    "each --media once", dirs[j], dirs[i]);
				goto fail;
			}
		if (!S_ISDIR(st.st_mode) || access(dirs[i], W_OK) != 0) {
			r = kr_err_set(KR_ERR_MEDIA, "media directory %s is not "
			    "a writable directory: mount the medium read-write "
			    "or choose another", dirs[i]);
			goto fail;
		}
		if ((m->dirs[i] = strdup(dirs[i])) == NULL) {
			r = kr_err_set(KR_ERR_NOMEM, "media");
			goto fail;
		}
		m->n++;
	}
	*mp = m;
	return 0;
 fail:
	kr_media_close(m);
	return r;
}

void
kr_media_close(struct kr_media *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n; i++) {
		free(m->dirs[i]);
		free(m->staging[i]);
		if (m->lockfd[i] != -1)
			close(m->lockfd[i]);	/* releases the lock */
	}
	free(m);
}

size_t
kr_media_count(const struct kr_media *m)
{
	return m->n;
}

const char *
kr_media_dir(const struct kr_media *m, size_t i)
{
	return i < m->n ? m->dirs[i] : NULL;
}

int
kr_media_path(const struct kr_media *m, size_t i, const char *name,
    char *out, size_t outlen)
{
	int n;

	if (i >= m->n || !kr_media_name_ok(name))
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "output name '%s' "
		    "must be a plain file name", name);
	n = snprintf(out, outlen, "%s/%s", m->dirs[i], name);
	if (n < 0 || (size_t)n >= outlen)
		return kr_err_set(KR_ERR_TOO_LARGE, "path of %s", name);
	return 0;
}

int
kr_media_check_absent(const struct kr_media *m, const char *const *names,
    size_t n)
{
	char path[4096], found[1024] = "";
	size_t i, j, used = 0;
	struct stat st;
	int r;

	for (i = 0; i < n; i++)
		for (j = 0; j < m->n; j++) {
			if ((r = kr_media_path(m, j, names[i], path,
			    sizeof(path))) != 0)
				return r;
			if (lstat(path, &st) == 0 && used < sizeof(found))
				used += (size_t)snprintf(found + used,
				    sizeof(found) - used, "%s%s",
				    used ? ", " : "", path);
		}
	if (used == 0)
		return 0;
	return kr_err_set(KR_ERR_EXISTS, "already there: %s; keyrite never "
	    "overwrites a ceremony's outputs: use a fresh medium or another "
	    "directory", found);
}

static int
fsync_dir(const char *dir)
{
	int fd, r = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return kr_err_errno(KR_ERR_MEDIA, "opening %s", dir);
	if (fsync(fd) != 0)
		r = kr_err_errno(KR_ERR_MEDIA, "syncing %s", dir);
	close(fd);
	return r;
}

static int
write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;
	ssize_t w;

	while (len > 0) {
		if ((w = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int
sha256(const void *data, size_t len, uint8_t out[32])
{
	if (EVP_Digest(data, len, out, NULL, EVP_sha256(), NULL) != 1)
		return kr_err_libcrypto(KR_ERR_LIBCRYPTO, "SHA-256");
	return 0;
}

/*
 * Gives tmp the name path, never replacing a file there (EEXIST): link(2)
 * (*linked 1: tmp remains), or on a filesystem without hard links
 * renameat2(RENAME_NOREPLACE) (tmp is gone).  0, or -1 with errno.
 */
int
kr_media_name_once(const char *tmp, const char *path, int *linked)
{
	*linked = 0;
	if (link(tmp, path) == 0) {
		*linked = 1;
		return 0;
	}
	if (errno != EPERM && errno != EOPNOTSUPP)
		return -1;
	return renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE);
}

/*
 * One copy: a temporary file in dir (named prefix + random), written,
 * fsync()ed, named path (in dir: never over an existing file), the
 * temporary removed if it is still there, dir fsync()ed.
 */
static int
write_one(const char *dir, const char *prefix, const char *path,
    const void *data, size_t len)
{
	char tmp[4200], rnd[17];
	uint8_t b[8];
	int fd, r, linked;

	if (RAND_bytes(b, sizeof(b)) != 1)
		return kr_err_libcrypto(KR_ERR_LIBCRYPTO, "temporary name");
	kr_hex_encode(b, sizeof(b), rnd, sizeof(rnd));
	snprintf(tmp, sizeof(tmp), "%s/%s%s", dir, prefix, rnd);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0444)) == -1)
		return kr_err_errno(KR_ERR_MEDIA, "creating %s", tmp);
	if (write_all(fd, data, len) != 0 || fsync(fd) != 0) {
		r = kr_err_errno(KR_ERR_MEDIA, "writing %s (medium full or "
		    "removed?)", path);
		close(fd);
		unlink(tmp);
		return r;
	}
	if (close(fd) != 0) {
		r = kr_err_errno(KR_ERR_MEDIA, "closing %s", path);
		unlink(tmp);
		return r;
	}
	if (kr_media_name_once(tmp, path, &linked) != 0) {
		r = errno == EEXIST ? kr_err_set(KR_ERR_EXISTS, "%s appeared "
		    "while it was being written; it was not overwritten",
		    path) : kr_err_errno(KR_ERR_MEDIA, "naming %s", path);
		unlink(tmp);
		return r;
	}
	if (linked && unlink(tmp) != 0)
		return kr_err_errno(KR_ERR_MEDIA, "removing %s", tmp);
	return fsync_dir(dir);
}

int
kr_media_read(const char *path, size_t max, char **datap, size_t *lenp,
    uint8_t out[32])
{
	struct stat st;
	char *data = NULL;
	size_t off = 0;
	ssize_t got;
	int fd, r;

	*datap = NULL;
	*lenp = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return kr_err_errno(KR_ERR_IO, "cannot open %s", path);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		r = kr_err_set(KR_ERR_IO, "%s is not a regular file", path);
		goto out;
	}
	if ((size_t)st.st_size > max) {
		r = kr_err_set(KR_ERR_TOO_LARGE, "%s is larger than %zu bytes",
		    path, max);
		goto out;
	}
	/* Read from the medium, not from the page cache, where possible. */
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	if ((data = malloc((size_t)st.st_size + 1)) == NULL) {
		r = kr_err_set(KR_ERR_NOMEM, "reading %s", path);
		goto out;
	}
	while (off < (size_t)st.st_size) {
		got = read(fd, data + off, (size_t)st.st_size - off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			r = kr_err_errno(KR_ERR_IO, "reading %s", path);
			goto out;
		}
		off += (size_t)got;
	}
	data[off] = '\0';
	if (out != NULL && (r = sha256(data, off, out)) != 0)
		goto out;
	*datap = data;
	*lenp = off;
	data = NULL;
	r = 0;
 out:
	free(data);
	close(fd);
	return r;
}

/* write_one(), then the copy read back from the medium and compared. */
static int
write_checked(const char *dir, const char *prefix, const char *path,
    const void *data, size_t len, const uint8_t want[32])
{
	uint8_t got[32];
	char *back = NULL;
	size_t backlen = 0;
	int r;

	if ((r = write_one(dir, prefix, path, data, len)) != 0 ||
	    (r = kr_media_read(path, len, &back, &backlen, got)) != 0)
		return r;
	free(back);
	if (backlen != len || memcmp(got, want, 32) != 0)
		return kr_err_set(KR_ERR_MEDIA, "%s reads back differently "
		    "from what was written: the medium is faulty; use "
		    "another", path);
	return 0;
}

int
kr_media_write(struct kr_media *m, const char *name, const void *data,
    size_t len, uint8_t out[32])
{
	const char *one[1] = { name };
	uint8_t want[32];
	char path[4096];
	size_t i;
	int r;

	if ((r = kr_media_check_absent(m, one, 1)) != 0)
		return r;
	if ((r = sha256(data, len, want)) != 0)
		return r;
	for (i = 0; i < m->n; i++)
		if ((r = kr_media_path(m, i, name, path, sizeof(path))) != 0 ||
		    (r = write_checked(m->dirs[i], KR_MEDIA_TEMP_PREFIX, path,
		    data, len, want)) != 0)
			return r;
	if (out != NULL)
		memcpy(out, want, sizeof(want));
	return 0;
}

int
kr_media_check_space(const struct kr_media *m, uint64_t need)
{
	struct statvfs sv;
	char msg[1024] = "";
	size_t i, used = 0;
	uint64_t avail;

	for (i = 0; i < m->n; i++) {
		if (statvfs(m->dirs[i], &sv) != 0)
			return kr_err_errno(KR_ERR_MEDIA, "free space of %s",
			    m->dirs[i]);
		avail = (uint64_t)sv.f_bavail * sv.f_frsize;
		if (avail < need && used < sizeof(msg))
			used += (size_t)snprintf(msg + used, sizeof(msg) - used,
			    "%s%s has %llu bytes free", used ? "; " : "",
			    m->dirs[i], (unsigned long long)avail);
	}
	if (used == 0)
		return 0;
	return kr_err_set(KR_ERR_MEDIA, "%s, but this ceremony needs %llu "
	    "bytes on every medium (its outputs, its transcript and the "
	    "seal, with a margin): free some space or use a larger medium",
	    msg, (unsigned long long)need);
}

/* --- staging --------------------------------------------------------- */

static int
staging_path(const char *dir, const char *id, char *out, size_t outlen)
{
	int n;

	n = snprintf(out, outlen, "%s/%s%s", dir, KR_MEDIA_STAGING_PREFIX, id);
	if (n < 0 || (size_t)n >= outlen)
		return kr_err_set(KR_ERR_TOO_LARGE, "staging path in %s", dir);
	return 0;
}

/* A ceremony id as staging names use it: [a-z0-9-], 1..KR_MEDIA_ID_MAX. */
static int
id_ok(const char *id)
{
	size_t n = strlen(id), i;

	if (n == 0 || n > KR_MEDIA_ID_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') ||
		    (id[i] >= '0' && id[i] <= '9') || id[i] == '-'))
			return 0;
	return 1;
}

static int
stage_one_dir(struct kr_media *m, size_t i, const char *ceremony)
{
	char path[4096], marker[4200], text[256];
	int fd = -1, r;

	if ((r = staging_path(m->dirs[i], m->id, path, sizeof(path))) != 0)
		return r;
	if (mkdir(path, 0700) != 0)
		return kr_err_errno(errno == EEXIST ? KR_ERR_EXISTS :
		    KR_ERR_MEDIA, "creating the staging directory %s", path);
	if ((m->staging[i] = strdup(path)) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "media");
	snprintf(marker, sizeof(marker), "%s/%s", path, KR_MEDIA_MARKER);
	snprintf(text, sizeof(text), "keyrite staging\nceremony-id: %s\n"
	    "ceremony: %s\n", m->id, ceremony);
	if ((fd = open(marker, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
	    0444)) == -1)
		return kr_err_errno(KR_ERR_MEDIA, "creating %s", marker);
	m->lockfd[i] = fd;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0)
		return kr_err_errno(KR_ERR_MEDIA, "locking %s", marker);
	if (write_all(fd, text, strlen(text)) != 0 || fsync(fd) != 0)
		return kr_err_errno(KR_ERR_MEDIA, "writing %s (medium full or "
		    "removed?)", marker);
	if ((r = fsync_dir(path)) != 0)
		return r;
	return fsync_dir(m->dirs[i]);
}

int
kr_media_stage_open(struct kr_media *m, const char *id, const char *ceremony)
{
	size_t i;
	int r;

	if (m->id[0] != '\0')
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "staging for %s is "
		    "already open", m->id);
	if (!id_ok(id) || !id_ok(ceremony))
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "staging: '%s' / "
		    "'%s' is not a ceremony id / name", id, ceremony);
	snprintf(m->id, sizeof(m->id), "%s", id);
	for (i = 0; i < m->n; i++)
		if ((r = stage_one_dir(m, i, ceremony)) != 0) {
			(void)kr_media_discard(m);
			return r;
		}
	return 0;
}

static int
staged_absent(const struct kr_media *m, size_t i, const char *name)
{
	char path[4200];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", m->staging[i], name);
	if (lstat(path, &st) == 0)
		return kr_err_set(KR_ERR_EXISTS, "%s is staged already: two "
		    "outputs of this ceremony have the same name", path);
	return 0;
}

int
kr_media_stage_on(struct kr_media *m, size_t i, const char *name,
    const void *data, size_t len, uint8_t out[32])
{
	uint8_t want[32];
	char path[4200];
	struct stat st;
	int r;

	if (m->id[0] == '\0' || i >= m->n || m->staging[i] == NULL)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "staging %s: no "
		    "staging is open on medium %zu", name, i);
	if (!kr_media_name_ok(name) || strcmp(name, KR_MEDIA_MARKER) == 0)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "output name '%s' "
		    "must be a plain file name", name);
	snprintf(path, sizeof(path), "%s/%s", m->dirs[i], name);
	if (lstat(path, &st) == 0)
		return kr_err_set(KR_ERR_EXISTS, "already there: %s; keyrite "
		    "never overwrites a ceremony's outputs: use a fresh medium "
		    "or another directory", path);
	if ((r = staged_absent(m, i, name)) != 0 ||
	    (r = sha256(data, len, want)) != 0)
		return r;
	snprintf(path, sizeof(path), "%s/%s", m->staging[i], name);
	if ((r = write_checked(m->staging[i], ".tmp-", path, data, len,
	    want)) != 0)
		return r;
	if (out != NULL)
		memcpy(out, want, sizeof(want));
	return 0;
}

int
kr_media_stage(struct kr_media *m, const char *name, const void *data,
    size_t len, uint8_t out[32])
{
	size_t i;
	int r;

	for (i = 0; i < m->n; i++)
		if ((r = kr_media_stage_on(m, i, name, data, len, out)) != 0)
			return r;
	return 0;
}

static void
end_staging(struct kr_media *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->staging[i]);
		m->staging[i] = NULL;
		if (m->lockfd[i] != -1)
			close(m->lockfd[i]);
		m->lockfd[i] = -1;
	}
	m->id[0] = '\0';
}

/*
 * Publishing and removing go through the same functions a later cleaner
 * uses; they refuse a locked staging directory, so this process lets its
 * own lock go first.  Nobody else can take it in between: a cleaner only
 * acts on a directory whose ceremony it judged, and ours is judged by its
 * transcript, which this process is still writing.
 */
int
kr_media_publish(struct kr_media *m)
{
	char id[KR_MEDIA_ID_MAX + 1];
	size_t i;
	int r = 0, r1;

	if (m->id[0] == '\0')
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "nothing staged");
	snprintf(id, sizeof(id), "%s", m->id);
	end_staging(m);
	for (i = 0; i < m->n; i++)
		if ((r1 = kr_media_publish_staging(m->dirs[i], id)) != 0 &&
		    r == 0)
			r = kr_err_set(r1, "%s; the ceremony is complete: "
			    "run keyrite clean --media %s to finish publishing "
			    "its outputs there", kr_err_detail(), m->dirs[i]);
	return r;
}

int
kr_media_discard(struct kr_media *m)
{
	char id[KR_MEDIA_ID_MAX + 1];
	size_t i;
	int r = 0, r1;

	if (m->id[0] == '\0')
		return 0;
	snprintf(id, sizeof(id), "%s", m->id);
	for (i = 0; i < m->n; i++) {
		if (m->staging[i] == NULL)
			continue;
		if (m->lockfd[i] != -1)
			close(m->lockfd[i]);
		m->lockfd[i] = -1;
		if ((r1 = kr_media_remove_staging(m->dirs[i], id)) != 0 &&
		    r == 0)
			r = r1;
	}
	end_staging(m);
	return r;
}

/* --- streamed outputs -------------------------------------------------- */

#define STREAM_BUF	(256u * 1024)

struct kr_media_stream {
	struct kr_media	*m;
	char		 name[129];
	char		 tmp[KR_MEDIA_MAX_DIRS][4200];
	int		 fd[KR_MEDIA_MAX_DIRS];
	size_t		 n;		/* copies open */
	EVP_MD_CTX	*md;
	uint64_t	 len;
};

int
kr_media_file_sha256(const char *path, uint8_t out[32], uint64_t *lenp)
{
	EVP_MD_CTX *md = NULL;
	uint8_t *buf = NULL;
	uint64_t total = 0;
	struct stat st;
	ssize_t got;
	int fd, r = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return kr_err_errno(KR_ERR_IO, "cannot open %s", path);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		r = kr_err_set(KR_ERR_IO, "%s is not a regular file", path);
		goto out;
	}
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	if ((buf = malloc(STREAM_BUF)) == NULL ||
	    (md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "hashing a file");
		goto out;
	}
	for (;;) {
		if ((got = read(fd, buf, STREAM_BUF)) < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = kr_err_errno(KR_ERR_IO, "reading %s", path);
			goto out;
		}
		if (got == 0)
			break;
		total += (uint64_t)got;
		if (EVP_DigestUpdate(md, buf, (size_t)got) != 1) {
			r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "hashing a file");
			goto out;
		}
	}
	if (EVP_DigestFinal_ex(md, out, NULL) != 1) {
		r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "hashing a file");
		goto out;
	}
	if (lenp != NULL)
		*lenp = total;
 out:
	EVP_MD_CTX_free(md);
	free(buf);
	close(fd);
	return r;
}

void
kr_media_stage_stream_abort(struct kr_media_stream *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++) {
		if (s->fd[i] != -1)
			close(s->fd[i]);
		if (s->tmp[i][0] != '\0')
			(void)unlink(s->tmp[i]);
	}
	EVP_MD_CTX_free(s->md);
	free(s);
}

int
kr_media_stage_stream_begin(struct kr_media *m, const char *name,
    struct kr_media_stream **sp)
{
	struct kr_media_stream *s = NULL;
	char path[4200], rnd[17];
	struct stat st;
	uint8_t b[8];
	size_t i;
	int r;

	*sp = NULL;
	if (m->id[0] == '\0' || !kr_media_name_ok(name) ||
	    strcmp(name, KR_MEDIA_MARKER) == 0)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "staging %s: no "
		    "staging is open, or not a plain file name", name);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "staging %s", name);
	s->m = m;
	snprintf(s->name, sizeof(s->name), "%s", name);
	if ((s->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(s->md, EVP_sha256(), NULL) != 1) {
		r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "staging");
		goto fail;
	}
	for (i = 0; i < m->n; i++) {
		snprintf(path, sizeof(path), "%s/%s", m->dirs[i], name);
		if (lstat(path, &st) == 0) {
			r = kr_err_set(KR_ERR_EXISTS, "already there: %s; keyrite "
			    "never overwrites a ceremony's outputs: use a fresh "
			    "medium or another directory", path);
			goto fail;
		}
		if ((r = staged_absent(m, i, name)) != 0)
			goto fail;
		if (RAND_bytes(b, sizeof(b)) != 1) {
			r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "temporary name");
			goto fail;
		}
		kr_hex_encode(b, sizeof(b), rnd, sizeof(rnd));
		snprintf(s->tmp[i], sizeof(s->tmp[i]), "%s/.tmp-%s",
		    m->staging[i], rnd);
		s->fd[i] = open(s->tmp[i], O_WRONLY | O_CREAT | O_EXCL |
		    O_CLOEXEC, 0444);
		s->n = i + 1;
		if (s->fd[i] == -1) {
			r = kr_err_errno(KR_ERR_MEDIA, "creating %s", s->tmp[i]);
			s->tmp[i][0] = '\0';
			goto fail;
		}
	}
	*sp = s;
	return 0;
 fail:
	kr_media_stage_stream_abort(s);
	return r;
}

int
kr_media_stage_stream_write(struct kr_media_stream *s, const void *data,
    size_t len)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (write_all(s->fd[i], data, len) != 0)
			return kr_err_errno(KR_ERR_MEDIA, "writing %s on %s "
			    "(medium full or removed?)", s->name,
			    s->m->dirs[i]);
	if (EVP_DigestUpdate(s->md, data, len) != 1)
		return kr_err_libcrypto(KR_ERR_LIBCRYPTO, "staging");
	s->len += len;
	return 0;
}

/* One copy: synced, closed, named in its staging directory, read back. */
static int
stream_finish_one(struct kr_media_stream *s, size_t i, const uint8_t want[32])
{
	char path[4200];
	uint8_t got[32];
	uint64_t len = 0;
	int r, linked;

	if (fsync(s->fd[i]) != 0 || close(s->fd[i]) != 0) {
		s->fd[i] = -1;
		return kr_err_errno(KR_ERR_MEDIA, "writing %s on %s (medium "
		    "full or removed?)", s->name, s->m->dirs[i]);
	}
	s->fd[i] = -1;
	snprintf(path, sizeof(path), "%s/%s", s->m->staging[i], s->name);
	if (kr_media_name_once(s->tmp[i], path, &linked) != 0)
		return errno == EEXIST ? kr_err_set(KR_ERR_EXISTS, "%s appeared "
		    "while it was being written; it was not overwritten",
		    path) : kr_err_errno(KR_ERR_MEDIA, "naming %s", path);
	if (linked && unlink(s->tmp[i]) != 0)
		return kr_err_errno(KR_ERR_MEDIA, "removing %s", s->tmp[i]);
	s->tmp[i][0] = '\0';
	if ((r = fsync_dir(s->m->staging[i])) != 0 ||
	    (r = kr_media_file_sha256(path, got, &len)) != 0)
		return r;
	if (len != s->len || memcmp(got, want, 32) != 0)
		return kr_err_set(KR_ERR_MEDIA, "%s reads back differently "
		    "from what was written: the medium is faulty; use another",
		    path);
	return 0;
}

int
kr_media_stage_stream_end(struct kr_media_stream *s, uint8_t out[32])
{
	uint8_t want[32];
	size_t i;
	int r = 0;

	if (EVP_DigestFinal_ex(s->md, want, NULL) != 1)
		r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "staging");
	for (i = 0; r == 0 && i < s->n; i++)
		r = stream_finish_one(s, i, want);
	if (r == 0 && out != NULL)
		memcpy(out, want, sizeof(want));
	kr_media_stage_stream_abort(s);
	return r;
}

/* --- leftovers --------------------------------------------------------- */

/* Whether the staging directory's marker is locked by a running keyrite. */
static int
staging_locked(const char *spath, char *ceremony, size_t clen)
{
	char marker[4200], text[256], *p;
	ssize_t got;
	int fd, locked = 0;

	ceremony[0] = '\0';
	snprintf(marker, sizeof(marker), "%s/%s", spath, KR_MEDIA_MARKER);
	if ((fd = open(marker, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return 0;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0)
		locked = errno == EWOULDBLOCK;
	got = read(fd, text, sizeof(text) - 1);
	if (got > 0) {
		text[got] = '\0';
		if ((p = strstr(text, "\nceremony: ")) != NULL) {
			p += 12;
			snprintf(ceremony, clen, "%.*s", (int)strcspn(p, "\n"),
			    p);
			if (!id_ok(ceremony))
				ceremony[0] = '\0';
		}
	}
	close(fd);	/* releases a lock taken just to test */
	return locked;
}

/* The staged files of spath, ", "-separated, marker and temps left out. */
static int
staged_files(const char *spath, char *out, size_t outlen)
{
	struct dirent *de;
	DIR *d;
	size_t used = 0;

	out[0] = '\0';
	if ((d = opendir(spath)) == NULL)
		return kr_err_errno(KR_ERR_MEDIA, "reading %s", spath);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    strcmp(de->d_name, KR_MEDIA_MARKER) == 0)
			continue;
		if (used < outlen)
			used += (size_t)snprintf(out + used, outlen - used,
			    "%s%s", used ? ", " : "", de->d_name);
	}
	closedir(d);
	return 0;
}

int
kr_media_leftovers(const char *dir, struct kr_media_leftover **lp,
    size_t *np)
{
	struct kr_media_leftover *l = NULL, *tmp;
	struct dirent *de;
	char spath[4200];
	size_t n = 0, cap = 0;
	DIR *d;
	int r = 0;

	*lp = NULL;
	*np = 0;
	if ((d = opendir(dir)) == NULL)
		return kr_err_errno(KR_ERR_MEDIA, "reading %s", dir);
	while ((de = readdir(d)) != NULL) {
		const char *nm = de->d_name;
		const size_t sp = strlen(KR_MEDIA_STAGING_PREFIX);
		const size_t tp = strlen(KR_MEDIA_TEMP_PREFIX);
		int kind;

		if (strncmp(nm, KR_MEDIA_STAGING_PREFIX, sp) == 0)
			kind = 's';
		else if (strncmp(nm, KR_MEDIA_TEMP_PREFIX, tp) == 0)
			kind = 't';
		else
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 4;
			if ((tmp = reallocarray(l, cap, sizeof(*l))) == NULL) {
				r = kr_err_set(KR_ERR_NOMEM, "reading %s", dir);
				goto out;
			}
			l = tmp;
		}
		memset(&l[n], 0, sizeof(l[n]));
		l[n].kind = kind;
		snprintf(l[n].name, sizeof(l[n].name), "%s", nm);
		if (kind == 's') {
			if (id_ok(nm + sp))
				snprintf(l[n].id, sizeof(l[n].id), "%s",
				    nm + sp);
			snprintf(spath, sizeof(spath), "%s/%s", dir, nm);
			l[n].in_use = staging_locked(spath, l[n].ceremony,
			    sizeof(l[n].ceremony));
			(void)staged_files(spath, l[n].files,
			    sizeof(l[n].files));
		}
		n++;
	}
	*lp = l;
	*np = n;
	l = NULL;
 out:
	closedir(d);
	free(l);
	return r;
}

/*
 * Whether path holds exactly the bytes of other (both regular files),
 * hashed in a bounded buffer: a staged output may be larger than memory.
 */
static int
same_file(const char *path, const char *other)
{
	uint8_t h1[32], h2[32];
	uint64_t la = 0, lb = 0;

	if (kr_media_file_sha256(path, h1, &la) != 0 ||
	    kr_media_file_sha256(other, h2, &lb) != 0)
		return 0;
	return la == lb && memcmp(h1, h2, 32) == 0;
}

int
kr_media_publish_staging(const char *dir, const char *id)
{
	char spath[4096], from[4400], to[4400], cer[KR_MEDIA_ID_MAX + 1];
	struct dirent *de;
	DIR *d = NULL;
	int r, linked;

	if (!id_ok(id))
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "'%s' is not a "
		    "ceremony id", id);
	if ((r = staging_path(dir, id, spath, sizeof(spath))) != 0)
		return r;
	if (staging_locked(spath, cer, sizeof(cer)))
		return kr_err_set(KR_ERR_MEDIA, "%s is in use by a running "
		    "ceremony", spath);
	if ((d = opendir(spath)) == NULL)
		return kr_err_errno(KR_ERR_MEDIA, "reading %s", spath);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    strcmp(de->d_name, KR_MEDIA_MARKER) == 0)
			continue;
		snprintf(from, sizeof(from), "%s/%s", spath, de->d_name);
		snprintf(to, sizeof(to), "%s/%s", dir, de->d_name);
		/* On FAT the staged file moves: it is published all the same. */
		if (kr_media_name_once(from, to, &linked) == 0)
			continue;
		if (errno == EEXIST && same_file(to, from))
			continue;	/* published before an interruption */
		r = errno == EEXIST ? kr_err_set(KR_ERR_EXISTS, "%s exists "
		    "and differs from the staged %s; it was not overwritten: "
		    "move it away, then run keyrite clean again", to, from) :
		    kr_err_errno(KR_ERR_MEDIA, "publishing %s", to);
		goto out;
	}
	closedir(d);
	d = NULL;
	if ((r = fsync_dir(dir)) != 0)
		goto out;
	r = kr_media_remove_staging(dir, id);
 out:
	if (d != NULL)
		closedir(d);
	return r;
}

int
kr_media_remove_staging(const char *dir, const char *id)
{
	char spath[4096], path[4400], cer[KR_MEDIA_ID_MAX + 1];
	struct dirent *de;
	DIR *d;
	int r;

	if (!id_ok(id))
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "'%s' is not a "
		    "ceremony id", id);
	if ((r = staging_path(dir, id, spath, sizeof(spath))) != 0)
		return r;
	if (staging_locked(spath, cer, sizeof(cer)))
		return kr_err_set(KR_ERR_MEDIA, "%s is in use by a running "
		    "ceremony", spath);
	if ((d = opendir(spath)) == NULL)
		return errno == ENOENT ? 0 : kr_err_errno(KR_ERR_MEDIA,
		    "reading %s", spath);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", spath, de->d_name);
		if (unlink(path) != 0 && errno != ENOENT) {
			r = kr_err_errno(KR_ERR_MEDIA, "removing %s", path);
			closedir(d);
			return r;
		}
	}
	closedir(d);
	if (rmdir(spath) != 0 && errno != ENOENT)
		return kr_err_errno(KR_ERR_MEDIA, "removing %s", spath);
	return fsync_dir(dir);
}

int
kr_media_stage_into(const char *dir, const char *id, const char *name,
    const void *data, size_t len)
{
	char spath[4096], path[4400], cer[KR_MEDIA_ID_MAX + 1];
	uint8_t want[32];
	struct stat st;
	int r;

	if (!id_ok(id) || !kr_media_name_ok(name) ||
	    strcmp(name, KR_MEDIA_MARKER) == 0)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "staging %s for "
		    "%s: bad name", name, id);
	if ((r = staging_path(dir, id, spath, sizeof(spath))) != 0)
		return r;
	if (staging_locked(spath, cer, sizeof(cer)))
		return kr_err_set(KR_ERR_MEDIA, "%s is in use by a running "
		    "ceremony", spath);
	if ((r = sha256(data, len, want)) != 0)
		return r;
	snprintf(path, sizeof(path), "%s/%s", spath, name);
	if (lstat(path, &st) == 0) {
		char *back = NULL;
		uint8_t got[32];
		size_t blen = 0;

		r = kr_media_read(path, len, &back, &blen, got);
		free(back);
		if (r == 0 && blen == len && memcmp(got, want, 32) == 0)
			return 0;
		return kr_err_set(KR_ERR_EXISTS, "%s is staged already with "
		    "other bytes; it was not overwritten", path);
	}
	return write_checked(spath, ".tmp-", path, data, len, want);
}

int
kr_media_remove_temp(const char *dir, const char *name)
{
	char path[4400];

	if (strncmp(name, KR_MEDIA_TEMP_PREFIX,
	    strlen(KR_MEDIA_TEMP_PREFIX)) != 0 || strchr(name, '/') != NULL)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "%s is not a "
		    "keyrite temporary file", name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (unlink(path) != 0 && errno != ENOENT)
		return kr_err_errno(KR_ERR_MEDIA, "removing %s", path);
	return fsync_dir(dir);
}
