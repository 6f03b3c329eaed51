/*
 * netwatch.h: network interfaces and radios appearing during a ceremony.
 *
 * The air-gap check (airgap.h) describes one moment.  A struct
 * kr_netwatch keeps watching from that moment on: a non-blocking
 * NETLINK_ROUTE socket subscribed to link events (RTMGRP_LINK) in this
 * process's network namespace, and, at every poll, a re-scan of
 * /sys/class/net and of the radio classes the check reads (rfkill,
 * bluetooth, ieee80211).  Everything is compared with the check's own
 * report, the baseline, so that an interface that appeared between the
 * check and the socket being opened is reported too.
 *
 * kr_netwatch_poll() never blocks.  It reports each new interface or
 * radio once.  Interfaces that leave, and changes to a known interface
 * (up, down, renamed), are not reported: they do not add a way out.
 * USB devices are kr_usbwatch's (usbwatch.h).  The caller decides what a
 * new item means; this layer only reports.  Not thread-safe.
 */
#ifndef KR_NETWATCH_H
#define KR_NETWATCH_H

#include <stddef.h>

#include "airgap.h"

/* What a new item is (kr_netwatch_item.kind). */
#define KR_NETWATCH_INTERFACE	1
#define KR_NETWATCH_RADIO	2

/* Where it was seen (kr_netwatch_item.sources). */
#define KR_NETWATCH_SRC_NETLINK	0x1	/* link event or dump: this netns */
#define KR_NETWATCH_SRC_SYSFS	0x2	/* /sys/class/{net,rfkill,...} */

#define KR_NETWATCH_WORD_MAX	32

struct kr_netwatch;

struct kr_netwatch_item {
	int	 kind;			/* KR_NETWATCH_INTERFACE/_RADIO */
	int	 sources;		/* KR_NETWATCH_SRC_* */
	/* Untrusted: whoever made the interface chose it.  Escape it. */
	char	 name[KR_AIRGAP_NAME_MAX];
	int	 ifindex;		/* interfaces; 0 when unknown */
	/*
	 * Interfaces: the link type, "ether", "loopback", "ieee80211", or
	 * "arphrd-N" (ARPHRD_* number N), "" when unknown.  Radios: the
	 * sysfs class, "rfkill", "bluetooth" or "ieee80211".
	 */
	char	 type[KR_NETWATCH_WORD_MAX];
	/*
	 * Interfaces: the kind of a virtual link from netlink
	 * (IFLA_INFO_KIND: "veth", "bridge", "tun", ...); "" for hardware or
	 * when unknown.  Radios: the rfkill type ("wlan", "bluetooth", ...)
	 * or "".
	 */
	char	 kind_name[KR_NETWATCH_WORD_MAX];
	/* The kernel driver bound to its device (sysfs), or "". */
	char	 driver[KR_AIRGAP_NAME_MAX];
	int	 wireless;		/* interfaces: wireless/ or phy80211 */
};

/*
 * Starts watching, with rep (the air-gap check's report, not kept) as
 * the baseline: opens the netlink socket, subscribes to link events, and
 * asks the kernel for every link, so that the first poll reports links
 * that appeared after rep was taken.  Returns 0, KR_ERR_NOMEM, or
 * KR_ERR_SYSTEM when the socket cannot be opened or bound (the detail
 * says why); *wp is set only on success.
 */
int	kr_netwatch_new(const struct kr_airgap_report *rep,
	    struct kr_netwatch **wp);

/* Closes the socket and frees w; NULL-safe. */
void	kr_netwatch_free(struct kr_netwatch *w);

/*
 * Reads what the kernel queued on the socket without waiting, re-scans
 * sysfs, and stores up to max items new since the baseline, each one
 * once, in items[0..*np).  Items that do not fit are reported by the next
 * call.  Returns 0 (with *np possibly 0), or KR_ERR_SYSTEM when the
 * socket failed or sysfs could not be listed (the watch is then blind:
 * the caller should treat the machine as changed), or KR_ERR_NOMEM; *np
 * is valid on failure too.  Lost link notices (ENOBUFS) are not an error:
 * the watch asks the kernel for every link again.
 */
int	kr_netwatch_poll(struct kr_netwatch *w, struct kr_netwatch_item *items,
	    size_t max, size_t *np);

/* How many polls w has made; for the transcript. */
unsigned long	kr_netwatch_polls(const struct kr_netwatch *w);

#endif /* KR_NETWATCH_H */
