/*
 * test_appliance.c: the image's identity, the clock's text, and finding
 * USB sticks (host/sysid, host/clock, host/removable).
 *
 * USB sticks are found in a prepared tree standing in for /: sysfs
 * entries below a USB device, /proc/self/mountinfo, and /dev nodes that
 * are files holding real filesystems made by mke2fs, mkfs.vfat and
 * mkswap, which libblkid probes as it would a stick.
 */
#include <sys/stat.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "base/err.h"
#include "host/clock.h"
#include "host/removable.h"
#include "host/sysid.h"

static char dir[64];

static void
setup(void)
{
	strcpy(dir, "/tmp/kr-appliance-XXXXXX");
	cr_assert_not_null(mkdtemp(dir), "mkdtemp");
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0, "cleanup");
}

static void
put(const char *name, const char *fmt, ...)
{
	char path[512], cmd[600];
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname %s)\"", path);
	cr_assert_eq(system(cmd), 0, "mkdir for %s", name);
	cr_assert_not_null(f = fopen(path, "w"), "create %s", path);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

static void
sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

/* --- identity ------------------------------------------------------------ */

static struct kr_sysid_paths
paths(void)
{
	static char id[128], root[128], mi[128];

	snprintf(id, sizeof(id), "%s/image-id", dir);
	snprintf(root, sizeof(root), "%s/root.sha256", dir);
	snprintf(mi, sizeof(mi), "%s/mountinfo", dir);
	return (struct kr_sysid_paths){ id, root, mi };
}

#define SHA "3614c254bc0bad3f36797e60a2ca676e6f22d7ab55654c23d6984534035a8fe7"
#define COMMIT "bb9cdc598c2bea3115d78b89da0bb1847824049a"

Test(sysid, reads_the_image_and_the_root, .init = setup, .fini = teardown)
{
	struct kr_sysid_paths p = paths();
	struct kr_sysid id;

	put("image-id", "name keyrite\nversion 0.1.0-dirty\ncommit %s\n"
	    "tree 036f08adb1cef00cdaa52eb031f29c8979f6ef3f\ndirty yes\n"
	    "source-date-epoch 1796579568\ndebian bookworm 6.1.0-57-amd64\n"
	    "later-key anything at all\n", COMMIT);
	put("root.sha256", "%s\n", SHA);
	put("mountinfo", "20 1 7:0 / / ro,relatime shared:1 - squashfs "
	    "/dev/loop0 ro\n21 20 0:5 / /dev rw,nosuid - devtmpfs udev rw\n");
	cr_assert_eq(kr_sysid_read(&p, &id), 0, "%s", kr_err_detail());
	cr_assert_eq(id.appliance, 1, "appliance");
	cr_assert_str_eq(id.version, "0.1.0-dirty", "version");
	cr_assert_str_eq(id.commit, COMMIT, "commit");
	cr_assert_eq(id.dirty, 1, "dirty");
	cr_assert_eq(id.source_date, 1796579568, "source date");
	cr_assert_str_eq(id.kernel, "6.1.0-57-amd64", "kernel");
	cr_assert_str_eq(id.root_sha256, SHA, "root hash");
	cr_assert_eq(id.root_ro, 1, "read-only root");
	cr_assert_str_eq(id.root_fstype, "squashfs", "root fs");
}

Test(sysid, off_the_appliance, .init = setup, .fini = teardown)
{
	struct kr_sysid_paths p = paths();
	struct kr_sysid id;

	/* No identity file; / mounted twice, the later one writable. */
	put("mountinfo", "20 1 8:1 / / ro - ext4 /dev/sda1 ro\n"
	    "30 1 8:2 / / rw,noatime - ext4 /dev/sda2 rw\n");
	cr_assert_eq(kr_sysid_read(&p, &id), 0, "%s", kr_err_detail());
	cr_assert_eq(id.appliance, 0, "not the appliance");
	cr_assert_str_eq(id.root_sha256, "", "no root hash");
	cr_assert_eq(id.root_ro, 0, "the last mount on / is writable");
	cr_assert_str_eq(id.root_fstype, "ext4", "root fs");
}

Test(sysid, damage_is_an_error_naming_the_line, .init = setup,
    .fini = teardown)
{
	static const char *const bad[] = {
		"version 0.1.0\ncommit %s\ndirty perhaps\n",
		"version 0.1.0\ncommit 12345\n",
		"version 0.1.0\x1b[2J\ncommit %s\n",
		"version 0.1.0\ncommit %s\nsource-date-epoch 12x\n",
		"version 0.1.0\n",		/* no commit */
		"version 0.1.0\ncommit %s",	/* no final newline */
	};
	struct kr_sysid_paths p = paths();
	struct kr_sysid id;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put("image-id", bad[i], COMMIT);
		cr_assert_eq(kr_sysid_read(&p, &id), KR_ERR_FORMAT,
		    "case %zu: accepted", i);
		cr_assert_not_null(strstr(kr_err_detail(), "image-id"),
		    "case %zu: the detail names the file: %s", i,
		    kr_err_detail());
		cr_assert_eq(id.appliance, 0, "case %zu: nothing kept", i);
	}
	put("image-id", "version 0.1.0\ncommit %s\n", COMMIT);
	put("root.sha256", "%.63s\n", SHA);
	cr_assert_eq(kr_sysid_read(&p, &id), KR_ERR_FORMAT, "short hash");
}

/* --- clock --------------------------------------------------------------- */

Test(clock, parses_strictly)
{
	static const struct {
		const char	*text;
		int64_t		 t;	/* -1: refused */
	} cases[] = {
		{ "2026-12-06 17:52:08", 1796579528 },
		{ "2026-12-06T17:52:08Z", 1796579528 },
		{ "2026-12-06 17:52:08 UTC", 1796579528 },
		{ "2028-02-29 00:00:00", 1835395200 },
		{ "2000-01-01 00:00:00", 946684800 },
		{ "2027-02-29 00:00:00", -1 },
		{ "2026-13-01 00:00:00", -1 },
		{ "2026-12-06 24:00:00", -1 },
		{ "2026-12-06 23:60:00", -1 },
		{ "2026-12-06 17:52", -1 },
		{ "2026-12-06 17:52:08 CET", -1 },
		{ "1999-12-31 23:59:59", -1 },
		{ "2100-01-01 00:00:00", -1 },
		{ "2026-1a-06 17:52:08", -1 },
		{ "", -1 },
	};
	char back[KR_CLOCK_TEXT_BYTES];
	int64_t t;
	size_t i;
	int r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t = 0;
		r = kr_clock_parse(cases[i].text, &t);
		if (cases[i].t < 0) {
			cr_assert_eq(r, KR_ERR_FORMAT, "'%s' accepted",
			    cases[i].text);
			continue;
		}
		cr_assert_eq(r, 0, "'%s': %s", cases[i].text, kr_err_detail());
		cr_assert_eq(t, cases[i].t, "'%s' is %lld", cases[i].text,
		    (long long)t);
		kr_clock_format(t, back, sizeof(back));
		cr_assert_eq(strncmp(back, cases[i].text, 10), 0,
		    "formatted back: %s", back);
	}
	cr_assert_eq(kr_clock_last(&(struct kr_clock_change){ 0 }), 0,
	    "nothing set in this process");
}

/* --- USB sticks ---------------------------------------------------------- */

#define USBDEV	"sys/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/" \
		"host2/target2:0:0/2:0:0:0"
#define SATADEV	"sys/devices/pci0000:00/0000:00:1f.2/ata1/host0/" \
		"target0:0:0/0:0:0:0"

/* A disk whose sysfs device sits below parent. */
static void
disk(const char *parent, const char *name)
{
	sh("mkdir -p %s/%s/block/%s %s/sys/block && ln -s %s/%s/block/%s "
	    "%s/sys/block/%s", dir, parent, name, dir, dir, parent, name, dir,
	    name);
}

static void
attr(const char *path, const char *value)
{
	put(path, "%s\n", value);
}

/* A partition (or a whole disk when part is NULL) holding an image. */
static void
node(const char *disk_name, const char *part, const char *devnum,
    const char *mkfs)
{
	char p[256];
	const char *n = part ? part : disk_name;

	if (part != NULL) {
		snprintf(p, sizeof(p), "sys/block/%s/%s/partition", disk_name,
		    part);
		attr(p, "1");
	}
	snprintf(p, sizeof(p), "sys/block/%s/%s%sdev", disk_name,
	    part ? part : "", part ? "/" : "");
	attr(p, devnum);
	snprintf(p, sizeof(p), "sys/block/%s/%s%ssize", disk_name,
	    part ? part : "", part ? "/" : "");
	attr(p, "16384");	/* 8 MiB in 512-byte sectors */
	sh("mkdir -p %s/dev && truncate -s 8M %s/dev/%s", dir, dir, n);
	if (mkfs != NULL)
		sh("%s %s/dev/%s >/dev/null 2>&1", mkfs, dir, n);
}

static void
usb_tree(void)
{
	disk(USBDEV, "sdb");
	attr("sys/block/sdb/device/vendor", "SanDisk ");
	attr("sys/block/sdb/device/model", "Cruzer Blade\x1b[31m    ");
	attr("sys/block/sdb/ro", "0");
	node("sdb", "sdb1", "8:17", "mkfs.vfat -n KEYRITE");
	node("sdb", "sdb2", "8:18", "mkswap");
	node("sdb", "sdb3", "8:19", NULL);
	disk(USBDEV "/../2:0:0:1", "sdc");
	attr("sys/block/sdc/ro", "1");
	node("sdc", NULL, "8:32", "mke2fs -q -t ext4 -L RECORDS");
	/* The machine's own disk: not USB, never listed. */
	disk(SATADEV, "sda");
	node("sda", "sda1", "8:1", "mke2fs -q -t ext4");
	put("proc/self/mountinfo", "20 1 7:0 / / ro - squashfs /dev/loop0 ro\n"
	    "40 20 8:32 / %s/mnt\\040point rw,nosuid - ext4 /dev/sdc ro\n",
	    dir);
	sh("mkdir -p '%s/mnt point'", dir);
}

Test(removable, lists_usb_partitions_only, .init = setup, .fini = teardown)
{
	struct kr_removable d[KR_REMOVABLE_MAX];
	size_t n = 0;

	usb_tree();
	cr_assert_eq(kr_removable_list(dir, d, KR_REMOVABLE_MAX, &n), 0, "%s",
	    kr_err_detail());
	cr_assert_eq(n, 4, "sdb1 sdb2 sdb3 sdc, not sda: %zu", n);
	cr_assert_str_eq(d[0].name, "sdb1", "sorted");
	cr_assert_str_eq(d[0].fstype, "vfat", "vfat");
	cr_assert_str_eq(d[0].label, "KEYRITE", "label");
	cr_assert_eq(d[0].usable, 1, "vfat is usable");
	cr_assert_eq(d[0].size, 8 * 1024 * 1024, "size");
	cr_assert_str_eq(d[0].vendor, "SanDisk", "trimmed vendor");
	cr_assert_str_eq(d[0].model, "Cruzer Blade?[31m", "escape made "
	    "printable: %s", d[0].model);
	cr_assert_eq(d[0].major * 1000 + d[0].minor, 8017, "dev");
	cr_assert_str_eq(d[1].fstype, "swap", "swap");
	cr_assert_eq(d[1].usable, 0, "swap is not");
	cr_assert_not_null(strstr(d[1].why, "does not mount"), "%s", d[1].why);
	cr_assert_eq(d[2].usable, 0, "no filesystem");
	cr_assert_not_null(strstr(d[2].why, "no filesystem"), "%s", d[2].why);
	cr_assert_str_eq(d[3].name, "sdc", "a stick without partitions");
	cr_assert_str_eq(d[3].fstype, "ext4", "ext4");
	cr_assert_eq(d[3].read_only, 1, "write-protected");
	cr_assert_eq(d[3].usable, 1, "usable, read-only");
	cr_assert(strstr(d[3].mountpoint, "/mnt point") != NULL,
	    "mounted (unescaped): %s", d[3].mountpoint);
}

Test(removable, status_sees_a_pulled_stick, .init = setup, .fini = teardown)
{
	struct kr_removable_mount st;
	char mnt[128];

	usb_tree();
	snprintf(mnt, sizeof(mnt), "%s/mnt point", dir);
	cr_assert_eq(kr_removable_status(dir, "/nowhere", &st), 0, "status");
	cr_assert_eq(st.mounted, 0, "not a mount point");
	/* 8:32 has no sys/dev/block entry in the tree: pulled out. */
	cr_assert_eq(kr_removable_status(dir, mnt, &st), 0, "%s",
	    kr_err_detail());
	cr_assert_eq(st.mounted, 1, "mounted");
	cr_assert_str_eq(st.source, "/dev/sdc", "source");
	cr_assert_eq(st.gone, 1, "gone");
	sh("mkdir -p %s/sys/dev/block/8:32", dir);
	cr_assert_eq(kr_removable_status(dir, mnt, &st), 0, "status");
	cr_assert_eq(st.gone, 0, "back");
	cr_assert(st.total_bytes > 0, "statvfs of the directory");
}
