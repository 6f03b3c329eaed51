/*
 * sysid.h: which machine keyrite runs on, as witnesses check it.
 *
 * The appliance image (image/build.sh) carries its own identity in its
 * read-only root, KR_SYSID_FILE: the version, the git commit and source
 * tree it was built from, and whether that tree had uncommitted changes.
 * At boot the initramfs checks the root filesystem's SHA-256 against the
 * value in the boot menu before it mounts it, and leaves what it computed
 * in KR_SYSID_ROOT_SHA256.  kr_sysid_read() gathers both, and how / is
 * mounted, for the Home screen and for each ceremony's transcript; the
 * witnesses compare them with the published manifest (docs/appliance.md).
 *
 * Off the appliance (a development machine) there is no identity file:
 * appliance is 0 and only the root mount facts are filled in.  Values are
 * checked character by character when read (hex, version characters), so
 * they are safe to print.  Nothing here is secret.
 */
#ifndef KR_SYSID_H
#define KR_SYSID_H

#include <stdint.h>

#define KR_SYSID_FILE		"/usr/lib/keyrite-image/image-id"
#define KR_SYSID_ROOT_SHA256	"/run/keyrite/root.sha256"
#define KR_SYSID_MOUNTINFO	"/proc/self/mountinfo"

struct kr_sysid {
	int	 appliance;		/* the identity file was read */
	char	 version[64];		/* "0.1.0", "0.1.0-dirty" */
	char	 commit[41];		/* hex, or "unknown" */
	char	 tree[41];		/* hex, or "unknown" */
	int	 dirty;			/* the tree had uncommitted changes */
	int64_t	 source_date;		/* SOURCE_DATE_EPOCH of the build; 0 */
	char	 kernel[64];		/* "6.1.0-57-amd64", or "" */
	char	 root_sha256[65];	/* checked at boot, or "" */
	int	 root_ro;		/* / read-only: 1, writable: 0, -1 */
	char	 root_fstype[32];	/* "squashfs", or "" */
};

/* Where kr_sysid_read() looks; NULL members take the defaults above. */
struct kr_sysid_paths {
	const char	*image_id;
	const char	*root_sha256;
	const char	*mountinfo;
};

/*
 * Fills *out (cleared first).  A missing identity file is not an error
 * (appliance 0); a malformed one, or a malformed root hash file, is:
 * KR_ERR_FORMAT naming the file and line, since a witness must never be
 * shown half an identity.  paths may be NULL.  Returns 0 or a KR_ERR_*.
 */
int	kr_sysid_read(const struct kr_sysid_paths *paths, struct kr_sysid *out);

#endif /* KR_SYSID_H */
