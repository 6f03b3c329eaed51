/*
 * release.h: release manifests, the list of firmware images a release
 * team hands to a firmware-sign ceremony.
 *
 * A manifest is a small text file on the ceremony's media (format in
 * docs/firmware-signing.md):
 *
 *	keyrite-release 1
 *	name ACME infusion pump firmware 4.2.0
 *	image fw/pump-app.bin 1048576 9f86d081884c7d65...
 *	image boot/bootx64.efi 941568 2c26b46b68ffc68f...
 *
 * one "image PATH SIZE SHA256" line per image.  The parser is strict and
 * every error names "file:line" and says what to write instead.  Paths
 * are relative to the directory the manifest is in and may not leave it:
 * no absolute path, no "." or ".." component, no component starting with
 * '.', and kr_release_open_image() refuses a symbolic link anywhere on the
 * way.  Output files are named after an image's file name (the last
 * component), so two images may not share one.
 *
 * Nothing here is secret.
 */
#ifndef KR_RELEASE_H
#define KR_RELEASE_H

#include <stddef.h>
#include <stdint.h>

#define KR_RELEASE_VERSION	1
#define KR_RELEASE_FILE_MAX	65536	/* bytes of a manifest */
#define KR_RELEASE_MAX_IMAGES	32
#define KR_RELEASE_PATH_MAX	255	/* bytes of an image path */
#define KR_RELEASE_BASE_MAX	120	/* bytes of its file name: room for
					   ".signed.p7s" in a 128-byte name */
#define KR_RELEASE_NAME_MAX	128	/* bytes of the release's name */
#define KR_RELEASE_SIZE_MAX	(1ULL << 40)	/* 1 TiB: an image, at most */

struct kr_release_image {
	char		 path[KR_RELEASE_PATH_MAX + 1];
	const char	*base;		/* the file name, inside path */
	uint64_t	 size;
	uint8_t		 sha256[32];
	size_t		 line;		/* of its line in the manifest */
};

struct kr_release {
	char			 source[4096];	/* the file, for messages */
	char			 name[KR_RELEASE_NAME_MAX + 1];
	uint8_t			 sha256[32];	/* of the manifest's bytes */
	struct kr_release_image	 images[KR_RELEASE_MAX_IMAGES];
	size_t			 n;
};

/*
 * Parses len bytes of manifest text (need not be NUL-terminated) called
 * source in messages and stores the SHA-256 of exactly those bytes.  *rp
 * is set only on success; free it with kr_release_free().  Returns 0,
 * KR_ERR_RELEASE_FORMAT with the detail "source:line: what is wrong" and
 * what to write instead, KR_ERR_TOO_LARGE, or KR_ERR_NOMEM.
 */
int	kr_release_parse(const char *text, size_t len, const char *source,
	    struct kr_release **rp);

/*
 * Opens image i of rel read-only below the directory dirfd, one component
 * at a time without following a symbolic link, and checks that it is a
 * regular file of the size the manifest gives.  *fdp is set only on
 * success.  Returns 0, KR_ERR_NOT_FOUND (missing), KR_ERR_RELEASE_FORMAT
 * (a link, a directory, not a regular file) or KR_ERR_RELEASE_MISMATCH
 * (another size), each naming the image and the manifest line.
 */
int	kr_release_open_image(int dirfd, const struct kr_release *rel,
	    size_t i, int *fdp);

/* Frees rel; NULL-safe. */
void	kr_release_free(struct kr_release *rel);

#endif /* KR_RELEASE_H */
