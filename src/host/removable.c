/*
 * removable.c: finding, mounting and unmounting USB sticks.
 *
 * sysfs says which block devices hang below a USB device (their resolved
 * /sys/block/<disk> path has a "usbN" component), which partitions they
 * have, their size and whether they are read-only (a write-protect
 * switch).  libblkid reads the filesystem's type and label; probing
 * opens the device read-only and reads a few kilobytes.
 */
#define _GNU_SOURCE		/* syncfs(2): sync one filesystem, see errors */
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>

#include <blkid/blkid.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "removable.h"

struct fsinfo {
	const char	*type;
	const char	*options;	/* mount(2) data */
};

/* The filesystems keyrite mounts, and how. */
static const struct fsinfo filesystems[] = {
	{ "vfat", "utf8,shortname=mixed,flush,umask=0077,errors=remount-ro" },
	{ "exfat", "umask=0077,errors=remount-ro" },
	{ "ext4", "errors=remount-ro" },
	{ "ext3", "errors=remount-ro" },
	{ "ext2", "errors=remount-ro" },
};

static const struct fsinfo *
fs_find(const char *type)
{
	size_t i;

	for (i = 0; i < sizeof(filesystems) / sizeof(filesystems[0]); i++)
		if (strcmp(filesystems[i].type, type) == 0)
			return &filesystems[i];
	return NULL;
}

/* Printable ASCII, trimmed of the spaces SCSI strings are padded with. */
static void
printable(const char *in, char *out, size_t outlen)
{
	size_t i, n = 0;

	while (*in == ' ')
		in++;
	for (i = 0; in[i] != '\0' && n + 1 < outlen; i++)
		out[n++] = in[i] >= 0x20 && in[i] < 0x7f ? in[i] : '?';
	while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\n'))
		n--;
	out[n] = '\0';
}

/* The first line of a sysfs attribute, or "" (buf has len bytes). */
static void
attr(const char *root, const char *path, char *buf, size_t len)
{
	char p[PATH_MAX];
	ssize_t n;
	int fd;

	buf[0] = '\0';
	snprintf(p, sizeof(p), "%s/%s", root, path);
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	n = read(fd, buf, len - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

static uint64_t
attr_u64(const char *root, const char *path)
{
	char buf[32];

	attr(root, path, buf, sizeof(buf));
	return strtoull(buf, NULL, 10);
}

static int
is_usb_disk(const char *root, const char *disk)
{
	char p[PATH_MAX], real[PATH_MAX];
	const char *c;

	snprintf(p, sizeof(p), "%s/sys/block/%s", root, disk);
	if (realpath(p, real) == NULL)
		return 0;
	for (c = real; (c = strstr(c, "/usb")) != NULL; c++)
		if (c[4] >= '0' && c[4] <= '9')
			return 1;
	return 0;
}

static void
probe(struct kr_removable *d)
{
	const char *v;
	blkid_probe pr;
	int r;

	if ((pr = blkid_new_probe_from_filename(d->dev)) == NULL) {
		snprintf(d->why, sizeof(d->why), "cannot be read (%s): take it "
		    "out and put it in again", strerror(errno));
		return;
	}
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_LABEL |
	    BLKID_SUBLKS_TYPE);
	r = blkid_do_safeprobe(pr);
	if (r == 0 && blkid_probe_lookup_value(pr, "TYPE", &v, NULL) == 0)
		printable(v, d->fstype, sizeof(d->fstype));
	if (r == 0 && blkid_probe_lookup_value(pr, "LABEL", &v, NULL) == 0)
		printable(v, d->label, sizeof(d->label));
	blkid_free_probe(pr);
	if (r < 0)
		snprintf(d->why, sizeof(d->why), "its filesystem cannot be "
		    "recognised: format it as FAT32, exFAT or ext4 elsewhere");
	else if (d->fstype[0] == '\0')
		snprintf(d->why, sizeof(d->why), "no filesystem: format it as "
		    "FAT32, exFAT or ext4 elsewhere");
	else if (fs_find(d->fstype) == NULL)
		snprintf(d->why, sizeof(d->why), "a %s filesystem, which keyrite "
		    "does not mount: use FAT32, exFAT or ext4", d->fstype);
	else
		d->usable = 1;
}

/* Decodes mountinfo's \NNN octal escapes in place. */
static void
unescape(char *s)
{
	char *o = s;

	for (; *s != '\0'; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
			    (s[3] - '0'));
			s += 3;
		} else
			*o++ = *s;
	}
	*o = '\0';
}

struct mnt {
	unsigned int	 major, minor;
	char		 dir[256];
	char		 fstype[16];
	char		 source[64];
	int		 ro;
};

/*
 * Calls fn for each line of root's mountinfo until it returns non-zero;
 * returns that, 0, or -1 when mountinfo cannot be read.
 */
static int
mounts(const char *root, int (*fn)(const struct mnt *, void *), void *arg)
{
	char p[PATH_MAX], line[4096], *f[16], *save = NULL, *tok;
	struct mnt m;
	size_t nf, i;
	FILE *fp;
	int r = 0;

	snprintf(p, sizeof(p), "%s/proc/self/mountinfo", root);
	if ((fp = fopen(p, "re")) == NULL)
		return -1;
	while (r == 0 && fgets(line, sizeof(line), fp) != NULL) {
		nf = 0;
		for (tok = strtok_r(line, " \n", &save); tok != NULL && nf < 16;
		    tok = strtok_r(NULL, " \n", &save))
			f[nf++] = tok;
		for (i = 6; i < nf && strcmp(f[i], "-") != 0; i++)
			;
		if (nf < 7 || i + 2 >= nf || sscanf(f[2], "%u:%u", &m.major,
		    &m.minor) != 2)
			continue;
		unescape(f[4]);
		snprintf(m.dir, sizeof(m.dir), "%s", f[4]);
		snprintf(m.fstype, sizeof(m.fstype), "%s", f[i + 1]);
		snprintf(m.source, sizeof(m.source), "%s", f[i + 2]);
		m.ro = strncmp(f[5], "ro", 2) == 0 && (f[5][2] == ',' ||
		    f[5][2] == '\0');
		r = fn(&m, arg);
	}
	fclose(fp);
	return r;
}

static int
match_dev(const struct mnt *m, void *arg)
{
	struct kr_removable *d = arg;

	if (m->major != d->major || m->minor != d->minor)
		return 0;
	snprintf(d->mountpoint, sizeof(d->mountpoint), "%s", m->dir);
	return 1;
}

static void
add(const char *root, const char *disk, const char *part,
    struct kr_removable *d)
{
	char p[PATH_MAX], buf[64];

	memset(d, 0, sizeof(*d));
	snprintf(d->disk, sizeof(d->disk), "%s", disk);
	snprintf(d->name, sizeof(d->name), "%s", part ? part : disk);
	snprintf(d->dev, sizeof(d->dev), "%s%sdev/%s", root,
	    root[strlen(root) - 1] == '/' ? "" : "/", d->name);
	snprintf(p, sizeof(p), "sys/block/%s/%s%sdev", disk, part ? part : "",
	    part ? "/" : "");
	attr(root, p, buf, sizeof(buf));
	if (sscanf(buf, "%u:%u", &d->major, &d->minor) != 2)
		d->major = d->minor = 0;
	snprintf(p, sizeof(p), "sys/block/%s/%s%ssize", disk, part ? part :
	    "", part ? "/" : "");
	d->size = attr_u64(root, p) * 512;
	snprintf(p, sizeof(p), "sys/block/%s/device/vendor", disk);
	attr(root, p, buf, sizeof(buf));
	printable(buf, d->vendor, sizeof(d->vendor));
	snprintf(p, sizeof(p), "sys/block/%s/device/model", disk);
	attr(root, p, buf, sizeof(buf));
	printable(buf, d->model, sizeof(d->model));
	snprintf(p, sizeof(p), "sys/block/%s/ro", disk);
	d->read_only = attr_u64(root, p) != 0;
	if (d->size == 0)
		snprintf(d->why, sizeof(d->why), "no medium (an empty card "
		    "reader?)");
	else
		probe(d);
	mounts(root, match_dev, d);
}

static int
cmp_removable(const void *a, const void *b)
{
	return strcmp(((const struct kr_removable *)a)->name,
	    ((const struct kr_removable *)b)->name);
}

/* The partitions of disk (directories holding a "partition" file). */
static size_t
add_partitions(const char *root, const char *disk, struct kr_removable *out,
    size_t max)
{
	char p[PATH_MAX], q[PATH_MAX];
	struct dirent *de;
	struct stat st;
	size_t n = 0;
	DIR *dir;

	snprintf(p, sizeof(p), "%s/sys/block/%s", root, disk);
	if ((dir = opendir(p)) == NULL)
		return 0;
	while (n < max && (de = readdir(dir)) != NULL) {
		if (strncmp(de->d_name, disk, strlen(disk)) != 0)
			continue;
		if (snprintf(q, sizeof(q), "%s/%s/partition", p,
		    de->d_name) >= (int)sizeof(q) || stat(q, &st) != 0)
			continue;
		add(root, disk, de->d_name, &out[n++]);
	}
	closedir(dir);
	return n;
}

int
kr_removable_list(const char *root, struct kr_removable *out, size_t max,
    size_t *n)
{
	char p[PATH_MAX];
	struct dirent *de;
	size_t k = 0, got;
	DIR *dir;

	*n = 0;
	snprintf(p, sizeof(p), "%s/sys/block", root);
	if ((dir = opendir(p)) == NULL)
		return kr_err_errno(KR_ERR_IO, "%s: cannot list block devices",
		    p);
	while (k < max && (de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.' || !is_usb_disk(root, de->d_name))
			continue;
		got = add_partitions(root, de->d_name, out + k, max - k);
		if (got == 0)
			add(root, de->d_name, NULL, &out[got++ + k]);
		k += got;
	}
	closedir(dir);
	qsort(out, k, sizeof(*out), cmp_removable);
	*n = k;
	return 0;
}

struct status_arg {
	const char			*dir;
	struct kr_removable_mount	*st;
};

static int
match_dir(const struct mnt *m, void *arg)
{
	struct status_arg *a = arg;

	/* The last mount on dir wins: keep reading. */
	if (strcmp(m->dir, a->dir) == 0) {
		a->st->mounted = 1;
		a->st->major = m->major;
		a->st->minor = m->minor;
		a->st->read_only = m->ro;
		snprintf(a->st->fstype, sizeof(a->st->fstype), "%s", m->fstype);
		snprintf(a->st->source, sizeof(a->st->source), "%s", m->source);
	}
	return 0;
}

int
kr_removable_status(const char *root, const char *dir,
    struct kr_removable_mount *st)
{
	struct status_arg a = { dir, st };
	struct statvfs vfs;
	char p[PATH_MAX];
	struct stat sb;

	memset(st, 0, sizeof(*st));
	if (mounts(root, match_dir, &a) < 0)
		return kr_err_errno(KR_ERR_IO, "%s/proc/self/mountinfo: cannot "
		    "read the mounts", root);
	if (!st->mounted)
		return 0;
	snprintf(p, sizeof(p), "%s/sys/dev/block/%u:%u", root, st->major,
	    st->minor);
	st->gone = stat(p, &sb) != 0 && errno == ENOENT;
	if (!st->gone && statvfs(dir, &vfs) == 0) {
		st->free_bytes = (uint64_t)vfs.f_bavail * vfs.f_frsize;
		st->total_bytes = (uint64_t)vfs.f_blocks * vfs.f_frsize;
		if (vfs.f_flag & ST_RDONLY)
			st->read_only = 1;
	}
	return 0;
}

static int
match_busy(const struct mnt *m, void *arg)
{
	const struct kr_removable *d = arg;

	return m->major == d->major && m->minor == d->minor;
}

int
kr_removable_mount(const struct kr_removable *d, const char *dir,
    int *read_only)
{
	const unsigned long flags = MS_NOEXEC | MS_NOSUID | MS_NODEV;
	const struct fsinfo *fs;
	struct kr_removable_mount st;
	struct kr_removable copy;
	struct statvfs vfs;
	int r;

	*read_only = 0;
	if ((fs = fs_find(d->fstype)) == NULL)
		return kr_err_set(KR_ERR_UNSUPPORTED, "%s: %s", d->name,
		    d->why[0] ? d->why : "no filesystem keyrite mounts");
	if ((r = kr_removable_status("/", dir, &st)) != 0)
		return r;
	if (st.mounted)
		return kr_err_set(KR_ERR_EXISTS, "%s already holds %s: unmount "
		    "it first", dir, st.source);
	copy = *d;
	if (mounts("/", match_busy, &copy) == 1)
		return kr_err_set(KR_ERR_EXISTS, "%s is already mounted "
		    "elsewhere: take it out and put it in again", d->name);
	if (!d->read_only && mount(d->dev, dir, d->fstype, flags,
	    fs->options) == 0)
		goto check;
	if (!d->read_only && errno != EROFS && errno != EACCES)
		return kr_err_errno(KR_ERR_MEDIA, "mounting %s (%s) at %s",
		    d->name, d->fstype, dir);
	if (mount(d->dev, dir, d->fstype, flags | MS_RDONLY, fs->options) != 0)
		return kr_err_errno(KR_ERR_MEDIA, "mounting %s (%s) read-only "
		    "at %s", d->name, d->fstype, dir);
 check:
	if (statvfs(dir, &vfs) == 0 && (vfs.f_flag & ST_RDONLY))
		*read_only = 1;
	return 0;
}

int
kr_removable_unmount(const char *dir, int *gone)
{
	struct kr_removable_mount st;
	int fd, r, lost = 0;

	if (gone != NULL)
		*gone = 0;
	if ((r = kr_removable_status("/", dir, &st)) != 0)
		return r;
	if (!st.mounted)
		return kr_err_set(KR_ERR_NOT_FOUND, "nothing is mounted at %s",
		    dir);
	if (!st.gone && (fd = open(dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) != -1) {
		lost = syncfs(fd) != 0;
		close(fd);
	}
	if (st.gone || lost) {
		if (gone != NULL)
			*gone = st.gone;
		(void)umount2(dir, MNT_DETACH);
		return kr_err_set(KR_ERR_MEDIA, "%s was %s while mounted: what "
		    "was written since the last sync may be lost. Put it back, "
		    "mount it and check the outputs (keyrite verify for the "
		    "transcript) before relying on them", st.source, st.gone ?
		    "pulled out" : "failing (write error)");
	}
	if (umount2(dir, 0) != 0) {
		if (errno == EBUSY)
			return kr_err_set(KR_ERR_MEDIA, "%s is still in use: "
			    "finish or leave the ceremony, then unmount", dir);
		return kr_err_errno(KR_ERR_MEDIA, "unmounting %s", dir);
	}
	return 0;
}
