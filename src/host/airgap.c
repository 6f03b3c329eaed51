/*
 * airgap.c: the air-gap check.
 *
 * Three inventories, each item judged on its own:
 *  - network interfaces, from getifaddrs(3) (netlink: the network namespace
 *    this process runs in, which is what it could send through) and from
 *    /sys/class/net (the namespace sysfs was mounted in, which on a normal
 *    boot is the machine's); only the loopback device lo is acceptable,
 *    up or down;
 *  - radios: /sys/class/rfkill, /sys/class/bluetooth, /sys/class/ieee80211;
 *    any radio fails, blocked or not, since software can unblock it;
 *  - USB devices through libusb, with the interface classes of every
 *    configuration and alternate setting (a device may switch to another
 *    configuration later), strings from sysfs or the device, and whether
 *    the kernel has bound a network or Bluetooth device to one of its
 *    interfaces.
 * The scan fails closed: if a source cannot be read the result is
 * KR_ERR_AIRGAP_SCAN, never "air-gapped".  Everything a USB device says
 * about itself is untrusted and stays raw here; the JSON writer escapes it
 * and the frontend escapes it for the terminal.
 */
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libusb.h>

#include "airgap.h"
#include "base/err.h"

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP	0x10000	/* <linux/if.h>; not in <net/if.h> */
#endif
#ifndef IFF_DORMANT
#define IFF_DORMANT	0x20000
#endif

#define ARPHRD_LOOPBACK_	772		/* <linux/if_arp.h> */

#define SYSFS_NET	"/sys/class/net"
#define SYSFS_USB	"/sys/bus/usb/devices"

/*
 * USB network adapters whose interfaces are vendor-specific (class 0xff),
 * so their classes say nothing.  Not exhaustive: see docs/airgap.md.
 */
static const struct {
	uint16_t	 vid;
	uint16_t	 pid;
	const char	*what;
} known_netdevs[] = {
	{ 0x0424, 0x7800, "Microchip LAN7800 Ethernet" },
	{ 0x0424, 0xec00, "Microchip LAN9512/LAN9514 Ethernet" },
	{ 0x0b95, 0x1790, "ASIX AX88179 Gigabit Ethernet" },
	{ 0x0b95, 0x178a, "ASIX AX88178 Gigabit Ethernet" },
	{ 0x0b95, 0x7720, "ASIX AX88772 Ethernet" },
	{ 0x0b95, 0x772b, "ASIX AX88772B Ethernet" },
	{ 0x0bda, 0x8152, "Realtek RTL8152 Ethernet" },
	{ 0x0bda, 0x8153, "Realtek RTL8153 Gigabit Ethernet" },
	{ 0x0bda, 0x8156, "Realtek RTL8156 2.5G Ethernet" },
	{ 0x0bda, 0x8176, "Realtek RTL8188CUS Wi-Fi" },
	{ 0x0bda, 0x8179, "Realtek RTL8188EUS Wi-Fi" },
	{ 0x0cf3, 0x9271, "Qualcomm Atheros AR9271 Wi-Fi" },
	{ 0x0e8d, 0x7612, "MediaTek MT7612U Wi-Fi" },
	{ 0x148f, 0x3070, "Ralink RT3070 Wi-Fi" },
	{ 0x148f, 0x5370, "Ralink RT5370 Wi-Fi" },
	{ 0x148f, 0x7601, "MediaTek MT7601U Wi-Fi" },
	{ 0x2357, 0x010c, "TP-Link TL-WN722N v2 Wi-Fi" },
};

static const struct {
	unsigned int	 flag;
	const char	*name;
} netif_flags[] = {
	{ IFF_UP,		"UP" },
	{ IFF_BROADCAST,	"BROADCAST" },
	{ IFF_LOOPBACK,		"LOOPBACK" },
	{ IFF_POINTOPOINT,	"POINTOPOINT" },
	{ IFF_RUNNING,		"RUNNING" },
	{ IFF_NOARP,		"NOARP" },
	{ IFF_PROMISC,		"PROMISC" },
	{ IFF_MULTICAST,	"MULTICAST" },
	{ IFF_LOWER_UP,		"LOWER_UP" },
	{ IFF_DORMANT,		"DORMANT" },
};

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

/* --- small helpers --------------------------------------------------- */

/* Appends "; " and a formatted clause to a reason; marks truncation. */
static void __attribute__((format(printf, 2, 3)))
reason_add(char *buf, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;
	int n;

	if (len > 0 && len + 2 < KR_AIRGAP_REASON_MAX) {
		memcpy(buf + len, "; ", 3);
		len += 2;
	}
	va_start(ap, fmt);
	n = vsnprintf(buf + len, KR_AIRGAP_REASON_MAX - len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= KR_AIRGAP_REASON_MAX - len)
		memcpy(buf + KR_AIRGAP_REASON_MAX - 4, "...", 4);
}

/* Copies s into a fixed buffer of size n > 0, truncating. */
static void
copy_str(char *dst, size_t n, const char *s)
{
	size_t len = strnlen(s, n - 1);

	memcpy(dst, s, len);
	dst[len] = '\0';
}

/* dst = a/b; returns -1 (errno ENAMETOOLONG) if it does not fit. */
static int
path_join(char *dst, size_t n, const char *a, const char *b)
{
	int len;

	len = snprintf(dst, n, "%s/%s", a, b);
	if (len < 0 || (size_t)len >= n) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/*
 * Reads a small sysfs attribute dir/name into buf (truncated to bufsz - 1
 * bytes, trailing newlines removed).  Returns 0, or -1 with errno set.
 */
static int
read_attr(const char *dir, const char *name, char *buf, size_t bufsz)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd, saved;

	if (path_join(path, sizeof(path), dir, name) != 0)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, bufsz - 1);
	saved = errno;
	close(fd);
	if (n < 0) {
		errno = saved;
		return -1;
	}
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return 0;
}

/* Reads an integer attribute (decimal, or hex with 0x); -1 when absent. */
static long
read_attr_long(const char *dir, const char *name)
{
	char buf[64], *end;
	long v;

	if (read_attr(dir, name, buf, sizeof(buf)) != 0)
		return -1;
	errno = 0;
	v = strtol(buf, &end, 0);
	if (errno != 0 || end == buf || v < 0)
		return -1;
	return v;
}

/* 1 if dir/name exists. */
static int
exists(const char *dir, const char *name)
{
	char path[PATH_MAX];

	if (path_join(path, sizeof(path), dir, name) != 0)
		return 0;
	return access(path, F_OK) == 0;
}

/* Grows *arr (of *n elements of size sz) by one zeroed element. */
static void *
grow(void *arrp, size_t *n, size_t sz)
{
	void **arr = arrp;
	char *p;

	if ((p = reallocarray(*arr, *n + 1, sz)) == NULL)
		return NULL;
	*arr = p;
	memset(p + *n * sz, 0, sz);
	return p + (*n)++ * sz;
}

static void __attribute__((format(printf, 2, 3)))
note_incomplete(struct kr_airgap_report *rep, const char *fmt, ...)
{
	char clause[KR_AIRGAP_REASON_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(clause, sizeof(clause), fmt, ap);
	va_end(ap);
	reason_add(rep->incomplete, "%s", clause);
}

/* --- network interfaces ------------------------------------------------ */

static struct kr_airgap_netif *
netif_get(struct kr_airgap_report *rep, const char *name)
{
	struct kr_airgap_netif *n;
	size_t i;

	for (i = 0; i < rep->nnetifs; i++)
		if (strncmp(rep->netifs[i].name, name, KR_AIRGAP_NAME_MAX) == 0)
			return &rep->netifs[i];
	if ((n = grow(&rep->netifs, &rep->nnetifs, sizeof(*n))) == NULL)
		return NULL;
	copy_str(n->name, sizeof(n->name), name);
	n->type = -1;
	return n;
}

static int
scan_getifaddrs(struct kr_airgap_report *rep)
{
	struct ifaddrs *ifap = NULL, *ifa;
	struct kr_airgap_netif *n;
	int r = KR_ERR_INTERNAL;

	if (getifaddrs(&ifap) == -1) {
		note_incomplete(rep, "getifaddrs: %s", strerror(errno));
		return 0;
	}
	for (ifa = ifap; ifa != NULL; ifa = ifa->ifa_next) {
		if (ifa->ifa_name == NULL)
			continue;
		if ((n = netif_get(rep, ifa->ifa_name)) == NULL) {
			r = KR_ERR_NOMEM;
			goto out;
		}
		n->sources |= KR_AIRGAP_SRC_GETIFADDRS;
		n->flags |= ifa->ifa_flags;
	}
	rep->getifaddrs_ok = 1;
	r = 0;
 out:
	freeifaddrs(ifap);
	return r;
}

static int
scan_sysfs_net(struct kr_airgap_report *rep)
{
	struct kr_airgap_netif *n;
	struct dirent *de;
	char dir[PATH_MAX];
	DIR *d;
	long v;

	if ((d = opendir(SYSFS_NET)) == NULL)
		return 0;	/* getifaddrs is authoritative; JSON says so */
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((n = netif_get(rep, de->d_name)) == NULL) {
			closedir(d);
			return KR_ERR_NOMEM;
		}
		n->sources |= KR_AIRGAP_SRC_SYSFS;
		if (path_join(dir, sizeof(dir), SYSFS_NET, de->d_name) != 0)
			continue;
		if ((v = read_attr_long(dir, "flags")) >= 0 &&
		    !(n->sources & KR_AIRGAP_SRC_GETIFADDRS))
			n->flags = (unsigned int)v;
		n->type = (int)read_attr_long(dir, "type");
		n->wireless = exists(dir, "wireless") ||
		    exists(dir, "phy80211");
	}
	closedir(d);
	rep->sysfs_net = 1;
	return 0;
}

/* sysfs_net: whether /sys/class/net could be listed at all. */
static void
judge_netif(struct kr_airgap_netif *n, int sysfs_net)
{
	int loopback;

	loopback = (n->flags & IFF_LOOPBACK) || n->type == ARPHRD_LOOPBACK_;
	if (strcmp(n->name, "lo") == 0 && loopback) {
		n->ok = 1;
		copy_str(n->reason, sizeof(n->reason), "loopback");
		return;
	}
	n->ok = 0;
	reason_add(n->reason, "%snetwork interface (%s)",
	    n->wireless ? "wireless " : "",
	    (n->flags & IFF_UP) ? "up" : "down");
	if (strcmp(n->name, "lo") == 0)
		reason_add(n->reason, "named lo but not a loopback device");
	if (n->sources == KR_AIRGAP_SRC_SYSFS)
		reason_add(n->reason, "seen only in /sys/class/net, i.e. in "
		    "another network namespace");
	else if (n->sources == KR_AIRGAP_SRC_GETIFADDRS && sysfs_net)
		reason_add(n->reason, "not in /sys/class/net, which shows "
		    "another network namespace");
}

/* --- radios ------------------------------------------------------------ */

/* kind is a string literal: the report keeps the pointer. */
static int
scan_radio_class(struct kr_airgap_report *rep, const char *kind)
{
	struct kr_airgap_radio *rd;
	struct dirent *de;
	char cls[64], dir[PATH_MAX];
	DIR *d;

	snprintf(cls, sizeof(cls), "/sys/class/%s", kind);
	if ((d = opendir(cls)) == NULL)
		return 0;	/* no such class: no driver, no radio */
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((rd = grow(&rep->radios, &rep->nradios,
		    sizeof(*rd))) == NULL) {
			closedir(d);
			return KR_ERR_NOMEM;
		}
		copy_str(rd->name, sizeof(rd->name), de->d_name);
		rd->kind = kind;
		rd->soft_blocked = rd->hard_blocked = -1;
		if (strcmp(kind, "rfkill") != 0)
			continue;
		if (path_join(dir, sizeof(dir), cls, de->d_name) != 0)
			continue;
		if (read_attr(dir, "type", rd->type, sizeof(rd->type)) != 0)
			rd->type[0] = '\0';
		if (read_attr(dir, "name", rd->device, sizeof(rd->device)) != 0)
			rd->device[0] = '\0';
		rd->soft_blocked = (int)read_attr_long(dir, "soft");
		rd->hard_blocked = (int)read_attr_long(dir, "hard");
	}
	closedir(d);
	return 0;
}

static void
judge_radio(struct kr_airgap_radio *rd)
{
	rd->ok = 0;
	if (strcmp(rd->kind, "bluetooth") == 0)
		reason_add(rd->reason, "Bluetooth device");
	else if (strcmp(rd->kind, "ieee80211") == 0)
		reason_add(rd->reason, "802.11 (Wi-Fi) radio");
	else
		reason_add(rd->reason, "%s radio%s%s%s",
		    rd->type[0] ? rd->type : "unknown",
		    rd->device[0] ? " (" : "", rd->device,
		    rd->device[0] ? ")" : "");
	if (rd->hard_blocked == 1)
		reason_add(rd->reason, "hard-blocked, but present");
	else if (rd->soft_blocked == 1)
		reason_add(rd->reason, "soft-blocked, which software can undo");
}

/* --- USB --------------------------------------------------------------- */

const char *
kr_airgap_usb_class_name(uint8_t cls, uint8_t subclass)
{
	switch (cls) {
	case 0x00:	return "per interface";
	case 0x01:	return "audio";
	case 0x02:	return "communications (CDC)";
	case 0x03:	return "HID";
	case 0x05:	return "physical";
	case 0x06:	return "image";
	case 0x07:	return "printer";
	case 0x08:	return "mass storage";
	case 0x09:	return "hub";
	case 0x0a:	return "CDC data";
	case 0x0b:	return "smart card (CCID)";
	case 0x0d:	return "content security";
	case 0x0e:	return "video";
	case 0x0f:	return "personal healthcare";
	case 0x10:	return "audio/video";
	case 0x11:	return "billboard";
	case 0x12:	return "USB-C bridge";
	case 0xdc:	return "diagnostic";
	case 0xe0:	return "wireless controller";
	case 0xef:
		return subclass == 0x04 ? "RNDIS (network)" : "miscellaneous";
	case 0xfe:	return "application specific";
	case 0xff:	return "vendor specific";
	default:	return "unknown class";
	}
}

/* 1 if a device or interface class carries a network or radio link. */
static int
usb_net_class(uint8_t cls, uint8_t subclass)
{
	return cls == LIBUSB_CLASS_COMM || cls == LIBUSB_CLASS_DATA ||
	    cls == LIBUSB_CLASS_WIRELESS ||
	    (cls == LIBUSB_CLASS_MISCELLANEOUS && subclass == 0x04);
}

static int
usb_add_configs(struct kr_airgap_usb *u, libusb_device *dev)
{
	const struct libusb_interface_descriptor *alt;
	struct libusb_config_descriptor *cfg;
	struct kr_airgap_usb_if *ui;
	int c, i, a;

	for (c = 0; c < u->nconfigs; c++) {
		if (libusb_get_config_descriptor(dev, (uint8_t)c, &cfg) != 0) {
			u->config_errors++;
			continue;
		}
		for (i = 0; i < cfg->bNumInterfaces; i++) {
			for (a = 0; a < cfg->interface[i].num_altsetting; a++) {
				alt = &cfg->interface[i].altsetting[a];
				if ((ui = grow(&u->ifs, &u->nifs,
				    sizeof(*ui))) == NULL) {
					libusb_free_config_descriptor(cfg);
					return KR_ERR_NOMEM;
				}
				ui->config = cfg->bConfigurationValue;
				ui->number = alt->bInterfaceNumber;
				ui->alt = alt->bAlternateSetting;
				ui->cls = alt->bInterfaceClass;
				ui->subclass = alt->bInterfaceSubClass;
				ui->protocol = alt->bInterfaceProtocol;
			}
		}
		libusb_free_config_descriptor(cfg);
	}
	return 0;
}

/* Strings the kernel read at enumeration; no I/O to the device. */
static void
usb_strings_sysfs(struct kr_airgap_usb *u)
{
	static const char *const attrs[] = {
		"manufacturer", "product", "serial"
	};
	char *dst[3], dir[PATH_MAX];
	size_t i;

	if (u->nports < 0)
		return;
	dst[0] = u->manufacturer;
	dst[1] = u->product;
	dst[2] = u->serial;
	if (path_join(dir, sizeof(dir), SYSFS_USB, u->sysfs_name) != 0)
		return;
	for (i = 0; i < nitems(attrs); i++)
		if (read_attr(dir, attrs[i], dst[i], KR_AIRGAP_STR_MAX) == 0)
			u->strings |= KR_AIRGAP_STR_SYSFS;
}

/* Falls back to string descriptors for what sysfs did not have. */
static void
usb_strings_device(struct kr_airgap_usb *u, libusb_device *dev,
    const struct libusb_device_descriptor *dd)
{
	const uint8_t idx[3] = {
		dd->iManufacturer, dd->iProduct, dd->iSerialNumber
	};
	char *dst[3];
	libusb_device_handle *h;
	int i, n;

	dst[0] = u->manufacturer;
	dst[1] = u->product;
	dst[2] = u->serial;
	for (i = 0; i < 3; i++)
		if (idx[i] != 0 && dst[i][0] == '\0')
			break;
	if (i == 3 || libusb_open(dev, &h) != 0)
		return;
	for (i = 0; i < 3; i++) {
		if (idx[i] == 0 || dst[i][0] != '\0')
			continue;
		n = libusb_get_string_descriptor_ascii(h, idx[i],
		    (unsigned char *)dst[i], KR_AIRGAP_STR_MAX);
		if (n >= 0 && n < KR_AIRGAP_STR_MAX) {
			dst[i][n] = '\0';
			u->strings |= KR_AIRGAP_STR_DEVICE;
		} else
			dst[i][0] = '\0';
	}
	libusb_close(h);
}

/*
 * Has the kernel made a network interface, Bluetooth adapter or 802.11
 * phy out of one of this device's interfaces?  Looks in the device's own
 * sysfs directory for interface directories ("1-2:1.0") with such children.
 */
static void
usb_check_bound(struct kr_airgap_usb *u)
{
	static const char *const kids[] = { "net", "bluetooth", "ieee80211" };
	char dir[PATH_MAX], ifdir[PATH_MAX];
	struct dirent *de;
	size_t len, i;
	DIR *d;

	if (u->nports < 0 ||
	    path_join(dir, sizeof(dir), SYSFS_USB, u->sysfs_name) != 0 ||
	    (d = opendir(dir)) == NULL)
		return;
	len = strlen(u->sysfs_name);
	while (u->bound[0] == '\0' && (de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, u->sysfs_name, len) != 0 ||
		    de->d_name[len] != ':')
			continue;
		if (path_join(ifdir, sizeof(ifdir), dir, de->d_name) != 0)
			continue;
		for (i = 0; i < nitems(kids); i++) {
			if (exists(ifdir, kids[i])) {
				snprintf(u->bound, sizeof(u->bound), "%.40s/%s",
				    de->d_name, kids[i]);
				break;
			}
		}
	}
	closedir(d);
}

static void
usb_name(struct kr_airgap_usb *u)
{
	size_t len;
	int i;

	if (u->nports < 0) {
		snprintf(u->sysfs_name, sizeof(u->sysfs_name), "%u-?", u->bus);
		return;
	}
	if (u->nports == 0) {
		snprintf(u->sysfs_name, sizeof(u->sysfs_name), "usb%u", u->bus);
		return;
	}
	len = (size_t)snprintf(u->sysfs_name, sizeof(u->sysfs_name), "%u",
	    u->bus);
	for (i = 0; i < u->nports && len < sizeof(u->sysfs_name); i++)
		len += (size_t)snprintf(u->sysfs_name + len,
		    sizeof(u->sysfs_name) - len, "%c%u", i == 0 ? '-' : '.',
		    u->ports[i]);
}

int
kr_airgap_usb_describe(struct libusb_device *dev, struct kr_airgap_usb *u)
{
	struct libusb_device_descriptor dd;
	int n;

	memset(u, 0, sizeof(*u));
	u->bus = libusb_get_bus_number(dev);
	u->address = libusb_get_device_address(dev);
	n = libusb_get_port_numbers(dev, u->ports, sizeof(u->ports));
	u->nports = n < 0 ? -1 : n;	/* -1: no name, so no sysfs facts */
	usb_name(u);
	if (libusb_get_device_descriptor(dev, &dd) != 0) {
		u->config_errors = -1;	/* judged as unreadable */
		return 0;
	}
	u->vid = dd.idVendor;
	u->pid = dd.idProduct;
	u->cls = dd.bDeviceClass;
	u->subclass = dd.bDeviceSubClass;
	u->protocol = dd.bDeviceProtocol;
	u->nconfigs = dd.bNumConfigurations;
	if (usb_add_configs(u, dev) != 0) {
		free(u->ifs);
		u->ifs = NULL;
		u->nifs = 0;
		return KR_ERR_NOMEM;
	}
	usb_strings_sysfs(u);
	usb_strings_device(u, dev, &dd);
	usb_check_bound(u);
	return 0;
}

static int
usb_add(struct kr_airgap_report *rep, libusb_device *dev)
{
	struct kr_airgap_usb *u;

	if ((u = grow(&rep->usb, &rep->nusb, sizeof(*u))) == NULL)
		return KR_ERR_NOMEM;
	return kr_airgap_usb_describe(dev, u);
}

static int
scan_usb(struct kr_airgap_report *rep)
{
	libusb_context *ctx = NULL;
	libusb_device **list = NULL;
	ssize_t n, i;
	int r = KR_ERR_INTERNAL, lr;

	if ((lr = libusb_init(&ctx)) != 0) {
		note_incomplete(rep, "libusb_init: %s", libusb_strerror(lr));
		return 0;
	}
	if ((n = libusb_get_device_list(ctx, &list)) < 0) {
		note_incomplete(rep, "listing USB devices: %s",
		    libusb_strerror((int)n));
		r = 0;
		goto out;
	}
	for (i = 0; i < n; i++)
		if ((r = usb_add(rep, list[i])) != 0)
			goto out;
	rep->libusb_ok = 1;
	r = 0;
 out:
	if (list != NULL)
		libusb_free_device_list(list, 1);
	libusb_exit(ctx);
	return r;
}

static void
judge_usb_ifs(struct kr_airgap_usb *u)
{
	const struct kr_airgap_usb_if *ui, *prev = NULL;
	size_t i;

	for (i = 0; i < u->nifs; i++) {
		ui = &u->ifs[i];
		if (!usb_net_class(ui->cls, ui->subclass))
			continue;
		/* One clause per interface, not per alternate setting. */
		if (prev != NULL && prev->config == ui->config &&
		    prev->number == ui->number && prev->cls == ui->cls)
			continue;
		prev = ui;
		reason_add(u->reason, "configuration %u interface %u is "
		    "class 0x%02x %s", ui->config, ui->number, ui->cls,
		    kr_airgap_usb_class_name(ui->cls, ui->subclass));
	}
}

/* An accepted per-interface device: its distinct interface classes. */
static void
usb_ok_reason(struct kr_airgap_usb *u)
{
	const char *name;
	size_t i, j, len;

	len = (size_t)snprintf(u->reason, sizeof(u->reason), "interfaces:");
	for (i = 0; i < u->nifs && len < sizeof(u->reason); i++) {
		name = kr_airgap_usb_class_name(u->ifs[i].cls,
		    u->ifs[i].subclass);
		for (j = 0; j < i; j++)
			if (strcmp(name, kr_airgap_usb_class_name(u->ifs[j].cls,
			    u->ifs[j].subclass)) == 0)
				break;
		if (j < i)
			continue;	/* said already */
		len += (size_t)snprintf(u->reason + len,
		    sizeof(u->reason) - len, "%s%s", i == 0 ? " " : ", ",
		    name);
	}
}

void
kr_airgap_usb_judge(struct kr_airgap_usb *u)
{
	size_t i;

	u->reason[0] = '\0';
	if (u->config_errors < 0) {
		reason_add(u->reason, "device descriptor unreadable");
		u->ok = 0;
		return;
	}
	if (usb_net_class(u->cls, u->subclass))
		reason_add(u->reason, "device class 0x%02x %s", u->cls,
		    kr_airgap_usb_class_name(u->cls, u->subclass));
	for (i = 0; i < nitems(known_netdevs); i++)
		if (known_netdevs[i].vid == u->vid &&
		    known_netdevs[i].pid == u->pid)
			reason_add(u->reason, "known network adapter: %s",
			    known_netdevs[i].what);
	judge_usb_ifs(u);
	if (u->bound[0] != '\0')
		reason_add(u->reason, "the kernel bound %s to it", u->bound);
	if (u->config_errors > 0)
		reason_add(u->reason, "%d of %u configuration descriptors "
		    "unreadable, so its interfaces are unknown",
		    u->config_errors, u->nconfigs);
	if (u->nconfigs == 0)
		reason_add(u->reason, "no configuration descriptors, so its "
		    "interfaces are unknown");
	u->ok = u->reason[0] == '\0';
	if (u->ok && u->cls == 0 && u->nifs > 0)
		usb_ok_reason(u);
	else if (u->ok)
		copy_str(u->reason, sizeof(u->reason),
		    kr_airgap_usb_class_name(u->cls, u->subclass));
}

/* --- the scan ---------------------------------------------------------- */

static int
cmp_netif(const void *a, const void *b)
{
	const struct kr_airgap_netif *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static int
cmp_radio(const void *a, const void *b)
{
	const struct kr_airgap_radio *x = a, *y = b;
	int c;

	if ((c = strcmp(x->kind, y->kind)) != 0)
		return c;
	return strcmp(x->name, y->name);
}

static int
cmp_usb(const void *a, const void *b)
{
	const struct kr_airgap_usb *x = a, *y = b;
	int i;

	if (x->bus != y->bus)
		return x->bus < y->bus ? -1 : 1;
	for (i = 0; i < x->nports && i < y->nports; i++)
		if (x->ports[i] != y->ports[i])
			return x->ports[i] < y->ports[i] ? -1 : 1;
	return x->nports - y->nports;
}

/*
 * A name for the error detail, which callers print as is: an interface
 * name may hold any byte but '/', ':' and white space.
 */
static const char *
printable(char *dst, const char *name)
{
	size_t i;

	for (i = 0; name[i] != '\0' && i < KR_AIRGAP_NAME_MAX - 1; i++)
		dst[i] = name[i] > 0x20 && name[i] < 0x7f ? name[i] : '?';
	dst[i] = '\0';
	return dst;
}

/* Judges every item, sets rep->result and the error detail. */
static int
judge(struct kr_airgap_report *rep)
{
	char offenders[KR_AIRGAP_REASON_MAX] = "", name[KR_AIRGAP_NAME_MAX];
	int netif = 0, usb = 0, radio = 0;
	size_t i;

	for (i = 0; i < rep->nnetifs; i++) {
		judge_netif(&rep->netifs[i], rep->sysfs_net);
		if (!rep->netifs[i].ok) {
			netif++;
			reason_add(offenders, "interface %s",
			    printable(name, rep->netifs[i].name));
		}
	}
	for (i = 0; i < rep->nusb; i++) {
		kr_airgap_usb_judge(&rep->usb[i]);
		if (!rep->usb[i].ok) {
			usb++;
			reason_add(offenders, "USB %s %04x:%04x",
			    rep->usb[i].sysfs_name, rep->usb[i].vid,
			    rep->usb[i].pid);
		}
	}
	for (i = 0; i < rep->nradios; i++) {
		judge_radio(&rep->radios[i]);
		radio++;
		reason_add(offenders, "%s %s", rep->radios[i].kind,
		    printable(name, rep->radios[i].name));
	}
	rep->noffenders = (size_t)(netif + usb + radio);
	if (netif || usb || radio) {
		rep->result = netif ? KR_ERR_AIRGAP_NETIF :
		    usb ? KR_ERR_AIRGAP_USB : KR_ERR_AIRGAP_RADIO;
		return kr_err_set(rep->result, "%s", offenders);
	}
	if (rep->incomplete[0] != '\0') {
		rep->result = KR_ERR_AIRGAP_SCAN;
		return kr_err_set(rep->result, "%s; the machine is not "
		    "declared air-gapped", rep->incomplete);
	}
	rep->result = 0;
	return 0;
}

int
kr_airgap_scan(struct kr_airgap_report **rp)
{
	struct kr_airgap_report *rep;
	DIR *d;
	int r = KR_ERR_INTERNAL;

	*rp = NULL;
	if ((rep = calloc(1, sizeof(*rep))) == NULL)
		return kr_err_set(KR_ERR_NOMEM,
		    "allocating the air-gap report");
	if ((r = scan_getifaddrs(rep)) != 0 ||
	    (r = scan_sysfs_net(rep)) != 0)
		goto out;
	/* Radios and USB details need sysfs; without it we are blind. */
	if ((d = opendir("/sys/devices")) != NULL) {
		closedir(d);
		rep->sysfs_ok = 1;
	} else
		note_incomplete(rep, "/sys is not mounted (%s): radios and "
		    "wireless interfaces cannot be seen; mount it with "
		    "'mount -t sysfs sysfs /sys'", strerror(errno));
	if ((r = scan_radio_class(rep, "rfkill")) != 0 ||
	    (r = scan_radio_class(rep, "bluetooth")) != 0 ||
	    (r = scan_radio_class(rep, "ieee80211")) != 0 ||
	    (r = scan_usb(rep)) != 0)
		goto out;
	/* qsort()'s base may not be NULL, even for no elements. */
	if (rep->nnetifs > 1)
		qsort(rep->netifs, rep->nnetifs, sizeof(*rep->netifs),
		    cmp_netif);
	if (rep->nradios > 1)
		qsort(rep->radios, rep->nradios, sizeof(*rep->radios),
		    cmp_radio);
	if (rep->nusb > 1)
		qsort(rep->usb, rep->nusb, sizeof(*rep->usb), cmp_usb);
	r = judge(rep);
	*rp = rep;
	rep = NULL;
 out:
	if (r == KR_ERR_NOMEM)
		kr_err_set(r, "building the air-gap report");
	kr_airgap_report_free(rep);
	return r;
}

void
kr_airgap_report_free(struct kr_airgap_report *rep)
{
	size_t i;

	if (rep == NULL)
		return;
	for (i = 0; i < rep->nusb; i++)
		free(rep->usb[i].ifs);
	free(rep->usb);
	free(rep->radios);
	free(rep->netifs);
	free(rep);
}

/* --- JSON -------------------------------------------------------------- */

struct jbuf {
	char	*p;
	size_t	 len;
	size_t	 cap;
	int	 failed;
};

static void
jb_put(struct jbuf *b, const char *s, size_t n)
{
	size_t cap;
	char *p;

	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 1024;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL) {
			b->failed = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void __attribute__((format(printf, 2, 3)))
jb_printf(struct jbuf *b, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		b->failed = 1;	/* only short fragments come here */
		return;
	}
	jb_put(b, tmp, (size_t)n);
}

/* Length of a valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;	/* no UTF-16 surrogates */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/*
 * A JSON string.  Controls (C0, DEL, and C1 as U+0080..U+009F, which some
 * terminals obey) are escaped so that printing the JSON is safe too.
 */
static void
jb_str(struct jbuf *b, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str), len;

	jb_put(b, "\"", 1);
	while (n > 0) {
		if (*s == '"' || *s == '\\') {
			jb_printf(b, "\\%c", *s);
			len = 1;
		} else if (*s < 0x20 || *s == 0x7f) {
			jb_printf(b, "\\u%04x", *s);
			len = 1;
		} else if (*s < 0x80) {
			jb_put(b, (const char *)s, 1);
			len = 1;
		} else if ((len = utf8_len(s, n)) == 0) {
			jb_put(b, "\\ufffd", 6);
			len = 1;
		} else if (len == 2 && s[0] == 0xc2 && s[1] < 0xa0)
			jb_printf(b, "\\u%04x", s[1]);
		else
			jb_put(b, (const char *)s, len);
		s += len;
		n -= len;
	}
	jb_put(b, "\"", 1);
}

/* A string that is null when empty. */
static void
jb_opt_str(struct jbuf *b, const char *s)
{
	if (s[0] == '\0')
		jb_put(b, "null", 4);
	else
		jb_str(b, s);
}

static void
jb_tri(struct jbuf *b, int v)
{
	jb_printf(b, "%s", v < 0 ? "null" : v ? "true" : "false");
}

static void
json_netif(struct jbuf *b, const struct kr_airgap_netif *n)
{
	size_t i;
	int first = 1;

	jb_put(b, "{\"name\":", 8);
	jb_str(b, n->name);
	jb_printf(b, ",\"ok\":%s,\"reason\":", n->ok ? "true" : "false");
	jb_str(b, n->reason);
	jb_printf(b, ",\"state\":\"%s\",\"flags\":[",
	    (n->flags & IFF_UP) ? "up" : "down");
	for (i = 0; i < nitems(netif_flags); i++) {
		if (!(n->flags & netif_flags[i].flag))
			continue;
		jb_printf(b, "%s\"%s\"", first ? "" : ",", netif_flags[i].name);
		first = 0;
	}
	jb_printf(b, "],\"sources\":[%s%s%s],",
	    (n->sources & KR_AIRGAP_SRC_GETIFADDRS) ? "\"getifaddrs\"" : "",
	    n->sources == (KR_AIRGAP_SRC_GETIFADDRS | KR_AIRGAP_SRC_SYSFS) ?
	    "," : "", (n->sources & KR_AIRGAP_SRC_SYSFS) ? "\"sysfs\"" : "");
	if (n->type < 0)
		jb_printf(b, "\"type\":null,");
	else
		jb_printf(b, "\"type\":%d,", n->type);
	jb_printf(b, "\"wireless\":%s}", n->wireless ? "true" : "false");
}

static void
json_radio(struct jbuf *b, const struct kr_airgap_radio *rd)
{
	jb_put(b, "{\"name\":", 8);
	jb_str(b, rd->name);
	jb_printf(b, ",\"ok\":%s,\"reason\":", rd->ok ? "true" : "false");
	jb_str(b, rd->reason);
	jb_printf(b, ",\"kind\":\"%s\",\"type\":", rd->kind);
	jb_opt_str(b, rd->type);
	jb_put(b, ",\"device\":", 10);
	jb_opt_str(b, rd->device);
	jb_put(b, ",\"soft_blocked\":", 16);
	jb_tri(b, rd->soft_blocked);
	jb_put(b, ",\"hard_blocked\":", 16);
	jb_tri(b, rd->hard_blocked);
	jb_put(b, "}", 1);
}

static void
json_usb_ifs(struct jbuf *b, const struct kr_airgap_usb *u)
{
	const struct kr_airgap_usb_if *ui;
	size_t i;

	jb_put(b, "\"interfaces\":[", 14);
	for (i = 0; i < u->nifs; i++) {
		ui = &u->ifs[i];
		jb_printf(b, "%s{\"config\":%u,\"number\":%u,\"alt\":%u,",
		    i ? "," : "", ui->config, ui->number, ui->alt);
		jb_printf(b, "\"class\":\"%02x\",\"subclass\":\"%02x\","
		    "\"protocol\":\"%02x\"}", ui->cls, ui->subclass,
		    ui->protocol);
	}
	jb_put(b, "]", 1);
}

static void
json_usb(struct jbuf *b, const struct kr_airgap_usb *u)
{
	int i;

	jb_put(b, "{\"port_path\":", 13);
	jb_str(b, u->sysfs_name);
	jb_printf(b, ",\"ok\":%s,\"reason\":", u->ok ? "true" : "false");
	jb_str(b, u->reason);
	jb_printf(b, ",\"bus\":%u,\"address\":%u,\"ports\":[", u->bus,
	    u->address);
	for (i = 0; i < u->nports; i++)
		jb_printf(b, "%s%u", i ? "," : "", u->ports[i]);
	jb_printf(b, "],\"vid\":\"%04x\",\"pid\":\"%04x\",", u->vid, u->pid);
	jb_printf(b, "\"class\":\"%02x\",\"subclass\":\"%02x\","
	    "\"protocol\":\"%02x\",", u->cls, u->subclass, u->protocol);
	jb_printf(b, "\"configurations\":%u,\"config_errors\":%d,",
	    u->nconfigs, u->config_errors);
	json_usb_ifs(b, u);
	jb_put(b, ",\"manufacturer\":", 16);
	jb_opt_str(b, u->manufacturer);
	jb_put(b, ",\"product\":", 11);
	jb_opt_str(b, u->product);
	jb_put(b, ",\"serial\":", 10);
	jb_opt_str(b, u->serial);
	jb_printf(b, ",\"strings_source\":[%s%s%s],\"bound\":",
	    (u->strings & KR_AIRGAP_STR_SYSFS) ? "\"sysfs\"" : "",
	    u->strings == (KR_AIRGAP_STR_SYSFS | KR_AIRGAP_STR_DEVICE) ?
	    "," : "", (u->strings & KR_AIRGAP_STR_DEVICE) ? "\"device\"" : "");
	jb_opt_str(b, u->bound);
	jb_put(b, "}", 1);
}

static void
json_head(struct jbuf *b, const struct kr_airgap_report *rep)
{
	jb_printf(b, "{\"schema\":\"keyrite.airgap.v1\",\"air_gapped\":%s,",
	    rep->result == 0 ? "true" : "false");
	jb_printf(b, "\"verdict\":\"%s\",\"code\":%d,\"offenders\":%zu,",
	    rep->result == 0 ? "air-gapped" :
	    rep->result == KR_ERR_AIRGAP_SCAN ? "scan-incomplete" :
	    "not-air-gapped", rep->result, rep->noffenders);
	jb_put(b, "\"incomplete\":", 13);
	jb_opt_str(b, rep->incomplete);
	jb_printf(b, ",\"sources\":{\"getifaddrs\":%s,\"sysfs\":%s,"
	    "\"sysfs_net\":%s,\"libusb\":%s},",
	    rep->getifaddrs_ok ? "true" : "false",
	    rep->sysfs_ok ? "true" : "false",
	    rep->sysfs_net ? "true" : "false",
	    rep->libusb_ok ? "true" : "false");
}

int
kr_airgap_report_json(const struct kr_airgap_report *rep, char **out)
{
	struct jbuf b = { NULL, 0, 0, 0 };
	size_t i;

	*out = NULL;
	json_head(&b, rep);
	jb_put(&b, "\"interfaces\":[", 14);
	for (i = 0; i < rep->nnetifs; i++) {
		jb_put(&b, i ? ",\n" : "\n", i ? 2 : 1);
		json_netif(&b, &rep->netifs[i]);
	}
	jb_put(&b, "],\"radios\":[", 12);
	for (i = 0; i < rep->nradios; i++) {
		jb_put(&b, i ? ",\n" : "\n", i ? 2 : 1);
		json_radio(&b, &rep->radios[i]);
	}
	jb_put(&b, "],\"usb\":[", 9);
	for (i = 0; i < rep->nusb; i++) {
		jb_put(&b, i ? ",\n" : "\n", i ? 2 : 1);
		json_usb(&b, &rep->usb[i]);
	}
	jb_put(&b, "]}\n", 3);
	if (b.failed) {
		free(b.p);
		return kr_err_set(KR_ERR_NOMEM, "rendering the air-gap report "
		    "as JSON");
	}
	*out = b.p;
	return 0;
}
