/*
 * media.c: never-overwrite, read-back-verified output files.
 *
 * link(2) to the final name is the no-overwrite step: it fails with EEXIST
 * rather than replacing a file, atomically, so two ceremonies racing for
 * the same medium cannot clobber each other's outputs.  FAT and exFAT, what
 * USB sticks hold, have no hard links: there renameat2(RENAME_NOREPLACE)
 * is the same step.
 */
#define _GNU_SOURCE		/* renameat2(2) */
#include <sys/stat.h>

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
	size_t i;
	int r;

	*mp = NULL;
	if (ndirs == 0 || ndirs > KR_MEDIA_MAX_DIRS)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "give 1 to %d media "
		    "directories", KR_MEDIA_MAX_DIRS);
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "media");
	for (i = 0; i < ndirs; i++) {
		if (stat(dirs[i], &st) != 0) {
			r = kr_err_errno(KR_ERR_MEDIA, "media directory %s",
			    dirs[i]);
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
	for (i = 0; i < m->n; i++)
		free(m->dirs[i]);
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
static int
name_once(const char *tmp, const char *path, int *linked)
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

/* One copy: temp name, write, fsync, name it, fsync dir. */
static int
write_one(const char *dir, const char *path, const void *data, size_t len)
{
	char tmp[4200], rnd[17];
	uint8_t b[8];
	int fd, r, linked;

	if (RAND_bytes(b, sizeof(b)) != 1)
		return kr_err_libcrypto(KR_ERR_LIBCRYPTO, "temporary name");
	kr_hex_encode(b, sizeof(b), rnd, sizeof(rnd));
	snprintf(tmp, sizeof(tmp), "%s/.keyrite-tmp-%s", dir, rnd);
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
	if (name_once(tmp, path, &linked) != 0) {
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

int
kr_media_write(struct kr_media *m, const char *name, const void *data,
    size_t len, uint8_t out[32])
{
	const char *one[1] = { name };
	uint8_t want[32], got[32];
	char path[4096], *back = NULL;
	size_t i, backlen;
	int r;

	if ((r = kr_media_check_absent(m, one, 1)) != 0)
		return r;
	if ((r = sha256(data, len, want)) != 0)
		return r;
	for (i = 0; i < m->n; i++) {
		if ((r = kr_media_path(m, i, name, path, sizeof(path))) != 0 ||
		    (r = write_one(m->dirs[i], path, data, len)) != 0 ||
		    (r = kr_media_read(path, len, &back, &backlen, got)) != 0)
			return r;
		free(back);
		back = NULL;
		if (backlen != len || memcmp(got, want, sizeof(want)) != 0)
			return kr_err_set(KR_ERR_MEDIA, "%s reads back "
			    "differently from what was written: the medium is "
			    "faulty; use another", path);
	}
	if (out != NULL)
		memcpy(out, want, sizeof(want));
	return 0;
}
