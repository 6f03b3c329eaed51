/*
 * airgap.h: is this machine air-gapped?
 *
 * kr_airgap_scan() takes an inventory of everything through which key
 * material could leave the machine without a person carrying it: network
 * interfaces (getifaddrs(3) for this process's network namespace, and
 * /sys/class/net for the namespace sysfs was mounted in), radios (rfkill,
 * Bluetooth and 802.11 devices in sysfs) and USB devices (through libusb,
 * every configuration and alternate setting).  Each item gets a verdict and
 * a reason; the report is the evidence for the ceremony transcript.
 *
 * The scan fails closed: a source that cannot be read makes the result
 * KR_ERR_AIRGAP_SCAN, never 0.  docs/airgap.md describes what is checked,
 * the JSON format and how an operator reads a failure.
 */
#ifndef KR_AIRGAP_H
#define KR_AIRGAP_H

#include <stddef.h>
#include <stdint.h>

/* Buffer sizes, NUL included; longer values are truncated. */
#define KR_AIRGAP_NAME_MAX	64	/* interface and radio names */
#define KR_AIRGAP_STR_MAX	256	/* USB strings, rfkill attributes */
#define KR_AIRGAP_REASON_MAX	512	/* a verdict's reason */
#define KR_AIRGAP_USB_DEPTH	7	/* USB allows 7 tiers of ports */

/* Where a network interface was seen (kr_airgap_netif.sources). */
#define KR_AIRGAP_SRC_GETIFADDRS 0x1	/* this network namespace */
#define KR_AIRGAP_SRC_SYSFS	0x2	/* /sys/class/net */

/* Where a USB device's strings came from (kr_airgap_usb.strings). */
#define KR_AIRGAP_STR_SYSFS	0x1	/* sysfs attributes */
#define KR_AIRGAP_STR_DEVICE	0x2	/* string descriptors */

struct kr_airgap_netif {
	char		 name[KR_AIRGAP_NAME_MAX];
	unsigned int	 flags;		/* IFF_*: getifaddrs, else sysfs */
	int		 sources;	/* KR_AIRGAP_SRC_* */
	int		 type;		/* ARPHRD_* from sysfs, or -1 */
	int		 wireless;	/* wireless/ or phy80211 in sysfs */
	int		 ok;		/* 1 only for the loopback lo */
	char		 reason[KR_AIRGAP_REASON_MAX];
};

struct kr_airgap_radio {
	char		 name[KR_AIRGAP_NAME_MAX]; /* rfkill0, hci0, phy0 */
	const char	*kind;		/* "rfkill", "bluetooth", "ieee80211" */
	char		 type[KR_AIRGAP_NAME_MAX];	/* rfkill type or "" */
	char		 device[KR_AIRGAP_NAME_MAX];	/* rfkill name or "" */
	int		 soft_blocked;	/* rfkill only; -1 when unknown */
	int		 hard_blocked;
	int		 ok;		/* always 0: any radio fails */
	char		 reason[KR_AIRGAP_REASON_MAX];
};

/* One interface descriptor (one alternate setting) of a configuration. */
struct kr_airgap_usb_if {
	uint8_t		 config;	/* bConfigurationValue */
	uint8_t		 number;	/* bInterfaceNumber */
	uint8_t		 alt;		/* bAlternateSetting */
	uint8_t		 cls;
	uint8_t		 subclass;
	uint8_t		 protocol;
};

struct kr_airgap_usb {
	uint8_t		 bus;
	uint8_t		 address;
	uint8_t		 ports[KR_AIRGAP_USB_DEPTH];
	int		 nports;	/* 0: root hub; -1: too deep */
	/* Kernel name: "1-2.3", "usb1" for a root hub, "1-?" if too deep. */
	char		 sysfs_name[40];
	uint16_t	 vid;
	uint16_t	 pid;
	uint8_t		 cls;		/* bDeviceClass */
	uint8_t		 subclass;
	uint8_t		 protocol;
	uint8_t		 nconfigs;	/* bNumConfigurations */
	struct kr_airgap_usb_if *ifs;	/* every config, interface, alt */
	size_t		 nifs;
	int		 config_errors;	/* unreadable configurations */
	/* A device the kernel made of an interface, e.g. "1-2:1.0/net". */
	char		 bound[KR_AIRGAP_NAME_MAX];
	/* Untrusted: the device chose these bytes.  Escape to display. */
	char		 manufacturer[KR_AIRGAP_STR_MAX];
	char		 product[KR_AIRGAP_STR_MAX];
	char		 serial[KR_AIRGAP_STR_MAX];
	int		 strings;	/* KR_AIRGAP_STR_*; 0: none read */
	int		 ok;
	char		 reason[KR_AIRGAP_REASON_MAX];
};

struct kr_airgap_report {
	int		 result;	/* what kr_airgap_scan() returned */
	struct kr_airgap_netif *netifs;	/* sorted by name */
	size_t		 nnetifs;
	struct kr_airgap_radio *radios;	/* by kind, then name */
	size_t		 nradios;
	struct kr_airgap_usb *usb;	/* by bus, then port path */
	size_t		 nusb;
	size_t		 noffenders;	/* items with ok == 0 */
	/* Which sources were read (1) or not (0). */
	int		 getifaddrs_ok;	/* required */
	int		 sysfs_ok;	/* /sys/devices exists; required */
	int		 sysfs_net;	/* /sys/class/net listed; optional */
	int		 libusb_ok;	/* device list read; required */
	/* Why the scan is incomplete ("" if complete); "; "-separated. */
	char		 incomplete[KR_AIRGAP_REASON_MAX];
};

/*
 * Scans the machine and stores a newly allocated report in *rp, which the
 * caller frees with kr_airgap_report_free().  Returns:
 *   0                    air-gapped: only lo, no radio, no network-capable
 *                        USB device, and every source could be read;
 *   KR_ERR_AIRGAP_NETIF  a network interface other than lo exists;
 *   KR_ERR_AIRGAP_USB    a network-capable USB device is attached;
 *   KR_ERR_AIRGAP_RADIO  an rfkill, Bluetooth or 802.11 device exists;
 *   KR_ERR_AIRGAP_SCAN   no offender found, but a source could not be read
 *                        (getifaddrs, libusb, sysfs): not air-gapped;
 * the first that applies, in that order, while the report lists every
 * offender.  *rp is set for all of these; on any other error (e.g.
 * KR_ERR_NOMEM) *rp is NULL.  The error detail names the offenders.
 */
int	kr_airgap_scan(struct kr_airgap_report **rp);

/* Frees a report; NULL is fine. */
void	kr_airgap_report_free(struct kr_airgap_report *rep);

/*
 * Renders rep as one JSON object (schema "keyrite.airgap.v1", described in
 * docs/airgap.md) followed by a newline, in a newly allocated NUL-terminated
 * string stored in *out; the caller frees it with free().  Strings are
 * escaped per RFC 8259, with invalid UTF-8 replaced by U+FFFD, so the output
 * is valid JSON whatever a device reports.  Returns 0 or KR_ERR_NOMEM;
 * *out is NULL on failure.
 */
int	kr_airgap_report_json(const struct kr_airgap_report *rep,
	    char **out);

struct libusb_device;

/*
 * Describes one USB device as kr_airgap_scan() does (descriptors, every
 * configuration's interfaces, strings, what the kernel bound to it), for
 * kr_usbwatch, which sees devices arrive during a ceremony.  Overwrites
 * *u; u->ifs is malloc()ed (free() it).  u->ok and u->reason are left
 * empty: kr_airgap_usb_judge() fills them.  Returns 0 or KR_ERR_NOMEM
 * (then u->ifs is NULL).  May open the device to read string descriptors.
 */
int	kr_airgap_usb_describe(struct libusb_device *dev,
	    struct kr_airgap_usb *u);

/*
 * Sets u->ok and u->reason as the air-gap check judges the device: not ok
 * when a device or interface class carries a network or radio link, it is
 * a known network adapter, the kernel bound a network device to it, or
 * its interfaces cannot be read.
 */
void	kr_airgap_usb_judge(struct kr_airgap_usb *u);

/*
 * Short human description of a USB device or interface class, e.g.
 * "communications (CDC)"; never NULL.
 */
const char *kr_airgap_usb_class_name(uint8_t cls, uint8_t subclass);

#endif /* KR_AIRGAP_H */
