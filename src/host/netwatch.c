/*
 * netwatch.c: the air gap watched after the check, for interfaces and
 * radios.
 *
 * Two sources, as in airgap.c, so that the watch sees what the check saw:
 *  - netlink (NETLINK_ROUTE, RTMGRP_LINK): the kernel tells this socket
 *    about every link created in the network namespace keyrite runs in.
 *    Right after subscribing, the watch asks for a dump of every link,
 *    so that a link created between the check and the subscription is
 *    seen as well; when the kernel drops notices (ENOBUFS), it asks
 *    again.  A link is new when its index is not one the baseline had.
 *  - sysfs: /sys/class/net (the namespace sysfs was mounted in, usually
 *    the machine's) and /sys/class/{rfkill,bluetooth,ieee80211}, listed
 *    again at every poll.  An entry is new when its name is not one the
 *    baseline had.
 * The baseline is the air-gap check's report: its interface names (and
 * their indexes here, looked up when the watch starts) and its radios.
 * Each new item is reported once, whichever source saw it first.
 *
 * Nothing here blocks: the socket is non-blocking and sysfs listings are
 * a handful of directory reads.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "base/err.h"
#include "netwatch.h"

#define SYSFS_NET	"/sys/class/net"
#define NL_BUF		32768

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

/* The radio classes airgap.c reads; item.type is the class. */
static const char *const radio_classes[] = {
	"rfkill", "bluetooth", "ieee80211"
};

static const struct {
	int		 arphrd;
	const char	*name;
} link_types[] = {
	{ ARPHRD_ETHER,			"ether" },
	{ ARPHRD_PPP,			"ppp" },
	{ ARPHRD_TUNNEL,		"tunnel" },
	{ ARPHRD_TUNNEL6,		"tunnel6" },
	{ ARPHRD_SIT,			"sit" },
	{ ARPHRD_IPGRE,			"ipgre" },
	{ ARPHRD_LOOPBACK,		"loopback" },
	{ ARPHRD_IEEE80211,		"ieee80211" },
	{ ARPHRD_IEEE80211_RADIOTAP,	"ieee80211-radiotap" },
	{ ARPHRD_IEEE802154,		"ieee802154" },
	{ ARPHRD_NONE,			"none" },
};

/*
 * A name known, with the class it belongs to ("net" for interfaces) and,
 * for interfaces, the index it had (-1: unknown), so that a link made
 * again under an old name is a new link.
 */
struct seen {
	char	 cls[16];
	char	 name[KR_AIRGAP_NAME_MAX];
	int	 ifindex;
};

struct kr_netwatch {
	int		 fd;
	unsigned int	 seq;
	int		 dump_pending;	/* a dump request is being answered */
	int		 need_dump;	/* notices were lost: ask again */
	int		 sysfs_net;	/* the baseline could list sysfs net */
	int		*idx;		/* link indexes known here */
	size_t		 nidx;
	struct seen	*seen;		/* sysfs names known, per class */
	size_t		 nseen;
	struct kr_netwatch_item *queue;	/* found, not yet delivered */
	size_t		 nqueue;
	unsigned long	 polls;
	uint8_t		*buf;		/* NL_BUF bytes */
};

/* Copies s into a fixed buffer of size n > 0, truncating. */
static void
copy_str(char *dst, size_t n, const char *s)
{
	size_t len = strnlen(s, n - 1);

	memcpy(dst, s, len);
	dst[len] = '\0';
}

static void
type_name(int arphrd, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; i < nitems(link_types); i++)
		if (link_types[i].arphrd == arphrd) {
			copy_str(out, outlen, link_types[i].name);
			return;
		}
	snprintf(out, outlen, "arphrd-%d", arphrd);
}

/* --- what is known ------------------------------------------------------- */

static int
idx_known(const struct kr_netwatch *w, int idx)
{
	size_t i;

	for (i = 0; i < w->nidx; i++)
		if (w->idx[i] == idx)
			return 1;
	return 0;
}

static int
idx_add(struct kr_netwatch *w, int idx)
{
	int *p;

	if (idx <= 0 || idx_known(w, idx))
		return 0;
	if ((p = reallocarray(w->idx, w->nidx + 1, sizeof(*p))) == NULL)
		return KR_ERR_NOMEM;
	w->idx = p;
	w->idx[w->nidx++] = idx;
	return 0;
}

/* Known?  An index of -1, on either side, matches any. */
static int
seen_find(const struct kr_netwatch *w, const char *cls, const char *name,
    int ifindex)
{
	const struct seen *s;
	size_t i;

	for (i = 0; i < w->nseen; i++) {
		s = &w->seen[i];
		if (strcmp(s->cls, cls) == 0 &&
		    strncmp(s->name, name, KR_AIRGAP_NAME_MAX - 1) == 0 &&
		    (ifindex < 0 || s->ifindex < 0 || s->ifindex == ifindex))
			return 1;
	}
	return 0;
}

static int
seen_add(struct kr_netwatch *w, const char *cls, const char *name,
    int ifindex)
{
	struct seen *s;
	size_t i;

	for (i = 0; i < w->nseen; i++) {
		s = &w->seen[i];
		if (strcmp(s->cls, cls) == 0 &&
		    strncmp(s->name, name, KR_AIRGAP_NAME_MAX - 1) == 0 &&
		    s->ifindex == ifindex)
			return 0;
	}
	if ((s = reallocarray(w->seen, w->nseen + 1, sizeof(*s))) == NULL)
		return KR_ERR_NOMEM;
	w->seen = s;
	s = &w->seen[w->nseen++];
	memset(s, 0, sizeof(*s));
	copy_str(s->cls, sizeof(s->cls), cls);
	copy_str(s->name, sizeof(s->name), name);
	s->ifindex = ifindex;
	return 0;
}

/* The index sysfs gives interface name, or -1. */
static int
sysfs_ifindex(const char *name)
{
	char path[PATH_MAX], v[32];
	FILE *f;
	long idx = -1;

	if (snprintf(path, sizeof(path), "%s/%s/ifindex", SYSFS_NET, name) >=
	    (int)sizeof(path) || (f = fopen(path, "re")) == NULL)
		return -1;
	if (fgets(v, sizeof(v), f) != NULL)
		idx = strtol(v, NULL, 10);
	fclose(f);
	return idx > 0 && idx <= INT_MAX ? (int)idx : -1;
}

/* Queues a new item and remembers its name (and index) as known. */
static int
report(struct kr_netwatch *w, const struct kr_netwatch_item *it)
{
	struct kr_netwatch_item *q;
	int r;

	if (it->kind == KR_NETWATCH_INTERFACE)
		r = seen_add(w, "net", it->name, it->ifindex > 0 ?
		    it->ifindex : -1);
	else
		r = seen_add(w, it->type, it->name, -1);
	if (r != 0)
		return r;
	if ((it->sources & KR_NETWATCH_SRC_NETLINK) &&
	    (r = idx_add(w, it->ifindex)) != 0)
		return r;
	if ((q = reallocarray(w->queue, w->nqueue + 1, sizeof(*q))) == NULL)
		return KR_ERR_NOMEM;
	w->queue = q;
	w->queue[w->nqueue++] = *it;
	return 0;
}

/* --- sysfs --------------------------------------------------------------- */

/* Reads dir/name into buf, trailing newlines removed; "" on failure. */
static void
read_attr(const char *dir, const char *name, char *buf, size_t bufsz)
{
	char path[PATH_MAX];
	FILE *f;
	size_t n;

	buf[0] = '\0';
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path) || (f = fopen(path, "re")) == NULL)
		return;
	n = fread(buf, 1, bufsz - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
}

/* The driver bound to a sysfs entry's device: the link's last part. */
static void
read_driver(const char *dir, char *out, size_t outlen)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *base;
	ssize_t n;

	out[0] = '\0';
	if (snprintf(path, sizeof(path), "%s/device/driver", dir) >=
	    (int)sizeof(path) ||
	    (n = readlink(path, target, sizeof(target) - 1)) <= 0)
		return;
	target[n] = '\0';
	base = strrchr(target, '/');
	copy_str(out, outlen, base != NULL ? base + 1 : target);
}

/*
 * What sysfs says about interface name: type, driver, wireless.  For a
 * link netlink saw, only if sysfs shows the same link (same index): sysfs
 * may show another network namespace.
 */
static void
describe_sysfs_net(const char *name, struct kr_netwatch_item *it)
{
	char dir[PATH_MAX], v[32], path[PATH_MAX];
	int idx = sysfs_ifindex(name);
	long type;

	if (snprintf(dir, sizeof(dir), "%s/%s", SYSFS_NET, name) >=
	    (int)sizeof(dir))
		return;
	if (it->ifindex != 0 && idx != it->ifindex)
		return;
	if (it->ifindex == 0 && idx > 0)
		it->ifindex = idx;
	if (it->type[0] == '\0') {
		read_attr(dir, "type", v, sizeof(v));
		if (v[0] != '\0' && (type = strtol(v, NULL, 10)) >= 0)
			type_name((int)type, it->type, sizeof(it->type));
	}
	read_driver(dir, it->driver, sizeof(it->driver));
	if (snprintf(path, sizeof(path), "%s/wireless", dir) <
	    (int)sizeof(path))
		it->wireless = access(path, F_OK) == 0;
	if (snprintf(path, sizeof(path), "%s/phy80211", dir) <
	    (int)sizeof(path))
		it->wireless |= access(path, F_OK) == 0;
}

/* Lists a sysfs class; every name not known is reported. */
static int
scan_class(struct kr_netwatch *w, const char *cls)
{
	struct kr_netwatch_item it;
	char dir[64], sub[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int r = 0, net = strcmp(cls, "net") == 0, idx;

	snprintf(dir, sizeof(dir), "/sys/class/%s", cls);
	if ((d = opendir(dir)) == NULL) {
		/* A radio class appears when its driver is loaded. */
		if (errno == ENOENT && !(net && w->sysfs_net))
			return 0;
		return kr_err_errno(KR_ERR_SYSTEM, "the air-gap watch cannot "
		    "list %s", dir);
	}
	while (r == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		idx = net ? sysfs_ifindex(de->d_name) : -1;
		if (seen_find(w, cls, de->d_name, idx))
			continue;
		memset(&it, 0, sizeof(it));
		it.sources = KR_NETWATCH_SRC_SYSFS;
		copy_str(it.name, sizeof(it.name), de->d_name);
		if (net) {
			it.kind = KR_NETWATCH_INTERFACE;
			describe_sysfs_net(de->d_name, &it);
		} else {
			it.kind = KR_NETWATCH_RADIO;
			copy_str(it.type, sizeof(it.type), cls);
			snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
			if (strcmp(cls, "rfkill") == 0)
				read_attr(sub, "type", it.kind_name,
				    sizeof(it.kind_name));
			read_driver(sub, it.driver, sizeof(it.driver));
		}
		r = report(w, &it);
	}
	closedir(d);
	return r == KR_ERR_NOMEM ? kr_err_set(r, "the air-gap watch") : r;
}

/* --- netlink ------------------------------------------------------------- */

static int
request_dump(struct kr_netwatch *w)
{
	struct {
		struct nlmsghdr		nh;
		struct ifinfomsg	ifi;
	} req;
	struct sockaddr_nl sa;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifi));
	req.nh.nlmsg_type = RTM_GETLINK;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nh.nlmsg_seq = ++w->seq;
	req.ifi.ifi_family = AF_UNSPEC;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	if (sendto(w->fd, &req, req.nh.nlmsg_len, 0,
	    (struct sockaddr *)&sa, sizeof(sa)) == -1)
		return kr_err_errno(KR_ERR_SYSTEM, "the air-gap watch cannot "
		    "ask the kernel for its network links");
	w->dump_pending = 1;
	w->need_dump = 0;
	return 0;
}

/* IFLA_LINKINFO's IFLA_INFO_KIND, e.g. "veth". */
static void
link_kind(struct rtattr *nest, char *out, size_t outlen)
{
	struct rtattr *a;
	int len = (int)RTA_PAYLOAD(nest);

	for (a = RTA_DATA(nest); RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == IFLA_INFO_KIND && RTA_PAYLOAD(a) > 0)
			snprintf(out, outlen, "%.*s", (int)RTA_PAYLOAD(a),
			    (const char *)RTA_DATA(a));
}

/* One RTM_NEWLINK: a notice or a dump entry. */
static int
new_link(struct kr_netwatch *w, struct nlmsghdr *nh)
{
	struct ifinfomsg *ifi = NLMSG_DATA(nh);
	struct kr_netwatch_item it;
	struct rtattr *a;
	int len, r;

	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return 0;
	memset(&it, 0, sizeof(it));
	it.kind = KR_NETWATCH_INTERFACE;
	it.sources = KR_NETWATCH_SRC_NETLINK;
	it.ifindex = ifi->ifi_index;
	type_name(ifi->ifi_type, it.type, sizeof(it.type));
	len = (int)IFLA_PAYLOAD(nh);
	for (a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == IFLA_IFNAME && RTA_PAYLOAD(a) > 0)
			snprintf(it.name, sizeof(it.name), "%.*s",
			    (int)RTA_PAYLOAD(a), (const char *)RTA_DATA(a));
		else if (a->rta_type == IFLA_LINKINFO)
			link_kind(a, it.kind_name, sizeof(it.kind_name));
	}
	if (idx_known(w, it.ifindex)) {
		/* A known link changed (up, down, renamed): not new. */
		return it.name[0] != '\0' ? seen_add(w, "net", it.name,
		    it.ifindex) : 0;
	}
	/* Reported from sysfs already: the same link, with the same index. */
	if (seen_find(w, "net", it.name, it.ifindex))
		return idx_add(w, it.ifindex);
	if (w->sysfs_net)
		describe_sysfs_net(it.name, &it);
	if ((r = report(w, &it)) != 0)
		return r;
	return 0;
}

/* An error answer to the dump request: the watch would be blind. */
static int
nl_error(struct kr_netwatch *w, struct nlmsghdr *nh)
{
	const struct nlmsgerr *ne = NLMSG_DATA(nh);

	w->dump_pending = 0;
	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ne)))
		return kr_err_set(KR_ERR_SYSTEM, "the air-gap watch got a "
		    "short netlink error message");
	if (ne->error == 0)
		return 0;	/* an acknowledgement */
	return kr_err_set(KR_ERR_SYSTEM, "the kernel refused to list the "
	    "network links for the air-gap watch: %s", strerror(-ne->error));
}

/* Handles one datagram's messages. */
static int
handle(struct kr_netwatch *w, size_t n)
{
	struct nlmsghdr *nh;
	int len = (int)n, r;

	for (nh = (struct nlmsghdr *)w->buf; NLMSG_OK(nh, len);
	    nh = NLMSG_NEXT(nh, len)) {
		switch (nh->nlmsg_type) {
		case NLMSG_DONE:
			w->dump_pending = 0;
			break;
		case NLMSG_ERROR:
			if ((r = nl_error(w, nh)) != 0)
				return r;
			break;
		case NLMSG_OVERRUN:
			w->need_dump = 1;
			break;
		case RTM_NEWLINK:
			if ((r = new_link(w, nh)) != 0)
				return r;
			break;
		default:
			break;	/* RTM_DELLINK: a link left; no way out */
		}
	}
	return 0;
}

/* Reads everything queued on the socket without waiting. */
static int
drain(struct kr_netwatch *w)
{
	struct sockaddr_nl sa;
	struct iovec iov;
	struct msghdr msg;
	ssize_t n;
	int r;

	for (;;) {
		memset(&msg, 0, sizeof(msg));
		iov.iov_base = w->buf;
		iov.iov_len = NL_BUF;
		msg.msg_name = &sa;
		msg.msg_namelen = sizeof(sa);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		n = recvmsg(w->fd, &msg, MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n == -1 && errno == ENOBUFS) {
			w->need_dump = 1;	/* notices were dropped */
			continue;
		}
		if (n == -1)
			return kr_err_errno(KR_ERR_SYSTEM, "the air-gap watch "
			    "lost its netlink socket");
		if ((msg.msg_flags & MSG_TRUNC) != 0)
			w->need_dump = 1;
		if (sa.nl_pid != 0)
			continue;	/* only the kernel speaks here */
		if ((r = handle(w, (size_t)n)) != 0)
			return r == KR_ERR_NOMEM ? kr_err_set(r, "the air-gap "
			    "watch") : r;
	}
	if (w->need_dump && !w->dump_pending)
		return request_dump(w);
	return 0;
}

/* --- the watch ----------------------------------------------------------- */

/* The check's report as the baseline: names per class, indexes here. */
static int
baseline(struct kr_netwatch *w, const struct kr_airgap_report *rep)
{
	unsigned int idx;
	size_t i;
	int r;

	w->sysfs_net = rep->sysfs_net;
	for (i = 0; i < rep->nnetifs; i++) {
		if ((rep->netifs[i].sources & KR_AIRGAP_SRC_SYSFS) &&
		    (r = seen_add(w, "net", rep->netifs[i].name,
		    sysfs_ifindex(rep->netifs[i].name))) != 0)
			return r;
		if ((rep->netifs[i].sources & KR_AIRGAP_SRC_GETIFADDRS) &&
		    (idx = if_nametoindex(rep->netifs[i].name)) != 0 &&
		    (r = idx_add(w, (int)idx)) != 0)
			return r;
	}
	for (i = 0; i < rep->nradios; i++)
		if ((r = seen_add(w, rep->radios[i].kind, rep->radios[i].name,
		    -1)) != 0)
			return r;
	return 0;
}

int
kr_netwatch_new(const struct kr_airgap_report *rep, struct kr_netwatch **wp)
{
	struct kr_netwatch *w;
	struct sockaddr_nl sa;
	int r = KR_ERR_INTERNAL;

	*wp = NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		r = kr_err_set(KR_ERR_NOMEM, "starting the air-gap watch");
		goto out;
	}
	w->fd = -1;
	if ((w->buf = malloc(NL_BUF)) == NULL) {
		r = kr_err_set(KR_ERR_NOMEM, "starting the air-gap watch");
		goto out;
	}
	w->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    NETLINK_ROUTE);
	if (w->fd == -1) {
		r = kr_err_errno(KR_ERR_SYSTEM, "the air-gap watch cannot "
		    "open a netlink socket");
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	sa.nl_groups = RTMGRP_LINK;
	if (bind(w->fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		r = kr_err_errno(KR_ERR_SYSTEM, "the air-gap watch cannot "
		    "subscribe to network link events");
		goto out;
	}
	/* Subscribed first, then the baseline: nothing falls in between. */
	if ((r = baseline(w, rep)) != 0) {
		r = kr_err_set(r, "starting the air-gap watch");
		goto out;
	}
	if ((r = request_dump(w)) != 0)
		goto out;
	*wp = w;
	w = NULL;
	r = 0;
 out:
	kr_netwatch_free(w);
	return r;
}

void
kr_netwatch_free(struct kr_netwatch *w)
{
	if (w == NULL)
		return;
	if (w->fd != -1)
		close(w->fd);
	free(w->idx);
	free(w->seen);
	free(w->queue);
	free(w->buf);
	free(w);
}

int
kr_netwatch_poll(struct kr_netwatch *w, struct kr_netwatch_item *items,
    size_t max, size_t *np)
{
	size_t i, n;
	int r;

	*np = 0;
	w->polls++;
	r = drain(w);
	if (r == 0)
		r = scan_class(w, "net");
	for (i = 0; r == 0 && i < nitems(radio_classes); i++)
		r = scan_class(w, radio_classes[i]);
	/* What was found is delivered even when a source then failed. */
	n = w->nqueue < max ? w->nqueue : max;
	if (n > 0) {
		memcpy(items, w->queue, n * sizeof(*items));
		memmove(w->queue, w->queue + n,
		    (w->nqueue - n) * sizeof(*w->queue));
		w->nqueue -= n;
	}
	*np = n;
	return r;
}

unsigned long
kr_netwatch_polls(const struct kr_netwatch *w)
{
	return w->polls;
}
