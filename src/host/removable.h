/*
 * removable.h: USB sticks, for a ceremony's outputs and earlier records.
 *
 * On the appliance nothing is mounted by itself: the administrator
 * chooses a USB stick on the TUI's media screen and keyrite mounts it
 * read-write at one fixed directory (the --media directory, on the
 * appliance /media/keyrite, which lies on the read-only root so that
 * nothing can be written there while no stick is mounted), with noexec,
 * nosuid and nodev.  At the end it is synced and unmounted.
 *
 * kr_removable_list() finds USB mass-storage partitions from sysfs (every
 * block device below a USB device; a stick without a partition table is
 * listed as its whole disk) and reads each filesystem's type and label
 * with libblkid; no udisks, no automounter.  kr_removable_status() says
 * what is mounted at a directory, how much room is left, and whether the
 * device under it has been pulled out.
 *
 * root is where sysfs, /proc and /dev are found: "/" on a machine, a
 * prepared tree in tests.  Strings from devices (vendor, model, label)
 * are made printable ASCII ('?' for anything else) when read.  Nothing
 * here is secret.
 */
#ifndef KR_REMOVABLE_H
#define KR_REMOVABLE_H

#include <stddef.h>
#include <stdint.h>

#define KR_REMOVABLE_MAX	16
/* Less free space than this and a stick is full for a ceremony. */
#define KR_REMOVABLE_MIN_FREE	(1024 * 1024)

struct kr_removable {
	char		 name[32];	/* "sdb1"; "sdb" without partitions */
	char		 disk[32];	/* "sdb" */
	char		 dev[64];	/* "/dev/sdb1" (below root) */
	unsigned int	 major, minor;
	char		 vendor[32];	/* SCSI inquiry strings, trimmed */
	char		 model[48];
	char		 fstype[16];	/* "vfat", "exfat", "ext4", ...; "" */
	char		 label[64];
	uint64_t	 size;		/* bytes */
	int		 read_only;	/* the device refuses writes */
	int		 usable;	/* a filesystem keyrite mounts */
	char		 why[128];	/* why not usable */
	char		 mountpoint[256];	/* mounted there now, or "" */
};

/* What is mounted at a directory. */
struct kr_removable_mount {
	int		 mounted;	/* the directory is a mount point */
	char		 source[64];	/* "/dev/sdb1" */
	char		 fstype[16];
	unsigned int	 major, minor;
	int		 read_only;	/* mounted read-only */
	int		 gone;		/* its device has disappeared */
	uint64_t	 free_bytes;	/* for an unprivileged writer */
	uint64_t	 total_bytes;
};

/*
 * Lists up to max USB mass-storage partitions below root, sorted by
 * name, into out; *n is how many.  A device that cannot be read is listed
 * with usable 0 and why saying so.  Returns 0 or KR_ERR_IO (sysfs could
 * not be read).
 */
int	kr_removable_list(const char *root, struct kr_removable *out,
	    size_t max, size_t *n);

/*
 * Fills *st for dir (an absolute path) from root's /proc/self/mountinfo,
 * statvfs(3) and sysfs.  Not a mount point: mounted 0, and 0 returned.
 * Returns 0 or KR_ERR_IO.
 */
int	kr_removable_status(const char *root, const char *dir,
	    struct kr_removable_mount *st);

/*
 * Mounts d at dir (which must exist and not be a mount point) with
 * noexec, nosuid and nodev: read-write, or read-only when the device
 * refuses writes (*read_only then 1).  Refuses a device mounted
 * elsewhere.  Needs CAP_SYS_ADMIN.  Returns 0, KR_ERR_EXISTS (dir is
 * already a mount point, or d is mounted elsewhere), KR_ERR_UNSUPPORTED
 * (no filesystem keyrite mounts) or KR_ERR_MEDIA (the detail says what
 * to do).
 */
int	kr_removable_mount(const struct kr_removable *d, const char *dir,
	    int *read_only);

/*
 * Syncs and unmounts dir.  When the device was pulled out (*gone 1, which
 * may be NULL), the mount is detached and KR_ERR_MEDIA says that what was
 * written since the last sync may be lost.  Returns 0, KR_ERR_MEDIA
 * (still in use: the detail says to leave the ceremony first; or the sync
 * failed) or KR_ERR_NOT_FOUND (nothing mounted there).
 */
int	kr_removable_unmount(const char *dir, int *gone);

#endif /* KR_REMOVABLE_H */
