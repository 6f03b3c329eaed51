/*
 * media.h: writing a ceremony's outputs so that nothing is ever lost or
 * overwritten, and nothing is published before the ceremony commits.
 *
 * Outputs go to one or more media directories (the first is primary; the
 * others receive copies, e.g. several backup USB drives).  Each file is
 * written to a temporary name, fsync()ed, linked to its final name (which
 * fails if the name exists: never an overwrite), the temporary removed, the
 * directory fsync()ed, and the file read back and hashed.  A ceremony checks
 * that none of its outputs exist before it does any work.
 *
 * A ceremony does not write its outputs to their final names while it
 * runs: it *stages* them in a hidden directory of its own on every medium,
 * DIR/.keyrite-staging-<ceremony-id>/, and *publishes* them (one link(2)
 * per file to its final name) only after its transcript is sealed, the
 * ceremony's commit point (docs/architecture.md, "The commit point").  A
 * ceremony that fails discards its staging; one that is killed leaves a
 * staging directory that names it, which kr_media_leftovers() finds and
 * the cleaning code (src/ceremony/clean.c) publishes (transcript sealed) or
 * removes (not sealed).  While a ceremony runs it holds an flock(2) on its
 * staging directory's marker file, so that no other keyrite cleans it.
 */
#ifndef KR_MEDIA_H
#define KR_MEDIA_H

#include <stddef.h>
#include <stdint.h>

#define KR_MEDIA_MAX_DIRS	8
#define KR_MEDIA_STAGING_PREFIX	".keyrite-staging-"
#define KR_MEDIA_TEMP_PREFIX	".keyrite-tmp-"
#define KR_MEDIA_MARKER		"keyrite-staging"	/* in a staging dir */
#define KR_MEDIA_ID_MAX		64	/* a ceremony id, at most */

struct kr_media;

/*
 * Opens the media directories: each must exist and be a writable
 * directory, and no two may be the same directory (same device and inode,
 * whatever the path).  *mp set only on success.
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

/*
 * Refuses (KR_ERR_MEDIA) unless every directory's file system has at least
 * need bytes free for an unprivileged writer; the detail names each medium
 * that is short, with its free bytes and the need.
 */
int	kr_media_check_space(const struct kr_media *m, uint64_t need);

/*
 * Starts staging for ceremony id (a word of at most KR_MEDIA_ID_MAX bytes;
 * ceremony is its script's name, for the marker): creates
 * DIR/.keyrite-staging-<id>/ with its marker file on every medium, synced,
 * and locks each marker for as long as m is open.  Refuses when staging
 * is already open or the directory exists.
 */
int	kr_media_stage_open(struct kr_media *m, const char *id,
	    const char *ceremony);

/*
 * Writes data as name into the staging directory of every medium (temp
 * name, fsync, link, read back), after checking that name exists neither
 * there nor as a published file in any directory.  sha256 (may be NULL)
 * receives the hash.  data must not be secret.
 */
int	kr_media_stage(struct kr_media *m, const char *name, const void *data,
	    size_t len, uint8_t sha256[32]);

/* The same on medium i only (e.g. a transcript copy for the others). */
int	kr_media_stage_on(struct kr_media *m, size_t i, const char *name,
	    const void *data, size_t len, uint8_t sha256[32]);

/*
 * A staged output too large to hold in memory (a signed firmware image),
 * written in pieces: begin checks name as kr_media_stage() does and opens
 * a temporary file in the staging directory of every medium; write
 * appends to every copy; end fsync()s them, links each to name in its
 * staging directory, removes the temporaries, syncs the directories, and
 * reads every copy back, hashing it in a bounded buffer, against the
 * SHA-256 of what was written (sha256, may be NULL, receives it).  end
 * and abort free s; abort removes the temporaries.  After a failed write
 * or end, call abort.  data must not be secret.
 */
struct kr_media_stream;

int	kr_media_stage_stream_begin(struct kr_media *m, const char *name,
	    struct kr_media_stream **sp);
int	kr_media_stage_stream_write(struct kr_media_stream *s,
	    const void *data, size_t len);
int	kr_media_stage_stream_end(struct kr_media_stream *s,
	    uint8_t sha256[32]);
void	kr_media_stage_stream_abort(struct kr_media_stream *s);

/*
 * SHA-256 of the regular file path, read in a bounded buffer; *lenp (may
 * be NULL) its length.  Returns 0, KR_ERR_IO or KR_ERR_LIBCRYPTO.
 */
int	kr_media_file_sha256(const char *path, uint8_t sha256[32],
	    uint64_t *lenp);

/*
 * Publishes every medium's staged files (kr_media_publish_staging()) and
 * ends staging.  Only after the ceremony committed.  On failure the
 * detail names the medium and says how to finish (keyrite clean).
 */
int	kr_media_publish(struct kr_media *m);

/* Removes every medium's staging directory and ends staging. */
int	kr_media_discard(struct kr_media *m);

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

/*
 * What a medium holds that no finished ceremony owns: a staging
 * directory (kind 's') or a stray temporary file (kind 't', a write that
 * never reached its final name).
 */
struct kr_media_leftover {
	int	kind;			/* 's' or 't' */
	char	name[256];		/* the entry in the directory */
	char	id[KR_MEDIA_ID_MAX + 1];/* its ceremony id, or "" if unknown */
	char	ceremony[KR_MEDIA_ID_MAX + 1];	/* from the marker, or "" */
	int	in_use;			/* locked: a ceremony is running */
	char	files[1024];		/* staged files, ", "-separated */
};

/*
 * Lists the leftovers in directory dir.  *lp malloc()ed (free()), *np
 * entries; none is success.
 */
int	kr_media_leftovers(const char *dir, struct kr_media_leftover **lp,
	    size_t *np);

/*
 * Rolls a staging directory of dir forward: links every staged file to
 * its final name (a name that exists already is fine only with the same
 * bytes: never an overwrite), syncs, then removes the staging directory.
 * Idempotent, so an interrupted publication can be run again.  Refuses a
 * staging directory another process holds locked.
 */
int	kr_media_publish_staging(const char *dir, const char *id);

/*
 * Rolls a staging directory of dir back: removes it and everything in it,
 * then syncs dir.  Refuses one that is locked (in use).
 */
int	kr_media_remove_staging(const char *dir, const char *id);

/*
 * Writes data as name into the existing staging directory of ceremony id
 * in dir (temp name, fsync, link, read back), for a cleaner that adds the
 * committed transcript to a medium before publishing it there.  A file of
 * that name already staged with the same bytes is fine.
 */
int	kr_media_stage_into(const char *dir, const char *id, const char *name,
	    const void *data, size_t len);

/*
 * Gives tmp the name path, never replacing a file there (EEXIST): link(2),
 * after which tmp remains and *linked is 1, or on a file system without
 * hard links (FAT, exFAT: link fails with EPERM) renameat2 with
 * RENAME_NOREPLACE, after which tmp is gone and *linked is 0.  0, or -1
 * with errno set.
 */
int	kr_media_name_once(const char *tmp, const char *path, int *linked);

/* Removes the stray temporary file dir/name (a KR_MEDIA_TEMP_PREFIX one). */
int	kr_media_remove_temp(const char *dir, const char *name);

#endif /* KR_MEDIA_H */
