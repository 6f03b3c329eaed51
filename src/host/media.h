/*
 * media.h: writing a ceremony's outputs so that nothing is ever lost or
 * overwritten.
 *
 * Outputs go to one or more media directories (the first is primary; the
 * others receive copies, e.g. several backup USB drives).  Each file is
 * written to a temporary name, fsync()ed, linked to its final name (which
 * fails if the name exists: never an overwrite), the temporary removed, the
 * directory fsync()ed, and the file read back and hashed.  A ceremony checks
 * that none of its outputs exist before it does any work.
 */
#ifndef KR_MEDIA_H
#define KR_MEDIA_H

#include <stddef.h>
#include <stdint.h>

#define KR_MEDIA_MAX_DIRS	8

struct kr_media;

/*
 * Opens the media directories (each must exist and be a writable
 * directory).  *mp set only on success.
 */
int	kr_media_open(const char *const *dirs, size_t ndirs,
	    struct kr_media **mp);

/* Frees m; NULL-safe.  Files written stay. */
void	kr_media_close(struct kr_media *m);

/* Number of directories, and the i-th one. */
size_t		 kr_media_count(const struct kr_media *m);
const char	*kr_media_dir(const struct kr_media *m, size_t i);

/*
 * A plain file name: non-empty, at most 128 bytes, no '/', not starting
 * with '.', only [A-Za-z0-9._-].  Returns 1 if so.
 */
int	kr_media_name_ok(const char *name);

/*
 * Refuses (KR_ERR_EXISTS) if any of names exists in any directory; the
 * detail lists every one found and says to use a fresh medium.
 */
int	kr_media_check_absent(const struct kr_media *m,
	    const char *const *names, size_t n);

/*
 * Writes data as name into every directory as described above, and checks
 * each copy by reading it back.  sha256 (may be NULL) receives the hash.
 * Refuses with KR_ERR_EXISTS before writing anything if name exists in any
 * directory.  data must not be secret.
 */
int	kr_media_write(struct kr_media *m, const char *name, const void *data,
	    size_t len, uint8_t sha256[32]);

/* Path of name in directory i, into out. */
int	kr_media_path(const struct kr_media *m, size_t i, const char *name,
	    char *out, size_t outlen);

/*
 * Reads a whole regular file of at most max bytes into malloc()ed *datap
 * (NUL-terminated for convenience) and hashes it (sha256 may be NULL).
 * Returns 0, KR_ERR_IO (cannot open or read, not a regular file),
 * KR_ERR_TOO_LARGE or KR_ERR_NOMEM, the detail naming the file.
 */
int	kr_media_read(const char *path, size_t max, char **datap, size_t *lenp,
	    uint8_t sha256[32]);

#endif /* KR_MEDIA_H */
