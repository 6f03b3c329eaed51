/*
 * usbwatch.h: USB devices arriving and leaving during a ceremony.
 *
 * A struct kr_usbwatch registers libusb hot-plug callbacks for every
 * device (any vendor, product and class) and turns what they report into
 * events the engine collects with kr_usbwatch_poll().  Each event carries
 * the device as kr_airgap_usb_describe() sees it, with two verdicts:
 * whether it is a smart-card reader or token (USB class 0x0b, at device or
 * interface level), and whether the air-gap check would refuse it (a
 * network-class device plugged in mid-ceremony is a breach the engine
 * records).  The engine decides what to do; this layer only reports.
 *
 * libusb delivers hot-plug notices only from inside its event handling,
 * which kr_usbwatch_poll() runs in the calling thread; nothing happens in
 * between.  Not thread-safe: one thread owns a watch.
 */
#ifndef KR_USBWATCH_H
#define KR_USBWATCH_H

#include <stddef.h>
#include <stdint.h>

#include "airgap.h"

#define KR_USBWATCH_ARRIVED	1
#define KR_USBWATCH_LEFT	2

/* kr_usbwatch_new() flags. */
#define KR_USBWATCH_ENUMERATE	0x1	/* present devices: "arrived" */

/* Up to this many interface classes are kept per event. */
#define KR_USBWATCH_IFS_MAX	16

struct kr_usbwatch;

struct kr_usbwatch_event {
	int		 kind;		/* KR_USBWATCH_ARRIVED/_LEFT */
	uint8_t		 bus;
	uint8_t		 address;
	uint8_t		 ports[KR_AIRGAP_USB_DEPTH];
	int		 nports;	/* 0: root hub; -1: too deep */
	char		 port_path[40];	/* "1-2.3", as in sysfs */
	uint16_t	 vid;
	uint16_t	 pid;
	uint8_t		 cls;		/* bDeviceClass */
	uint8_t		 subclass;
	/* Distinct interface classes over every configuration. */
	uint8_t		 if_classes[KR_USBWATCH_IFS_MAX];
	size_t		 nif_classes;
	int		 reader;	/* class 0x0b: device or interface */
	int		 breach;	/* airgap-check would refuse it */
	/* The air-gap verdict's reason, e.g. "interface 0 is class 0x02". */
	char		 reason[KR_AIRGAP_REASON_MAX];
	/* Untrusted: the device chose these bytes.  Escape to display. */
	char		 manufacturer[KR_AIRGAP_STR_MAX];
	char		 product[KR_AIRGAP_STR_MAX];
	char		 serial[KR_AIRGAP_STR_MAX];
};

/*
 * Starts watching: libusb_init and one hot-plug registration for arrivals
 * and departures of every device.  With KR_USBWATCH_ENUMERATE, devices
 * already attached are reported by the first poll as arrived.  Returns 0,
 * KR_ERR_UNSUPPORTED when libusb cannot report hot-plug on this system, or
 * KR_ERR_SYSTEM when libusb cannot start; *wp set only on success.
 */
int	kr_usbwatch_new(int flags, struct kr_usbwatch **wp);

/* Deregisters, frees queued events and calls libusb_exit; NULL-safe. */
void	kr_usbwatch_free(struct kr_usbwatch *w);

/*
 * Handles libusb events for up to timeout_ms milliseconds (0: only what is
 * pending now; never blocks longer than asked, and not at all while
 * events are queued), then stores up to max events, oldest first, in
 * ev[0..*np).  Events that do not fit stay queued for the next call.
 * It returns as soon as libusb has handled something, so a timeout is a
 * bound, not a delay.  A departure carries what was seen on arrival
 * (strings are gone from sysfs by then).  Returns 0 (with *np possibly 0),
 * KR_ERR_NOMEM (a notice was lost: the caller should treat the USB
 * inventory as unknown, e.g. re-run the air-gap check), or KR_ERR_SYSTEM.
 * *np is set on failure too: the events before the failure are valid.
 */
int	kr_usbwatch_poll(struct kr_usbwatch *w, int timeout_ms,
	    struct kr_usbwatch_event *ev, size_t max, size_t *np);

/* "arrived" / "left". */
const char	*kr_usbwatch_kind_name(int kind);

#endif /* KR_USBWATCH_H */
