/*
 * test_netwatch.c: kr_netwatch against real links in a network namespace
 * of the test's own, with a sysfs mounted for it (so /sys/class/net shows
 * only lo).  veth pairs are added and removed with ip(8); the kernel here
 * has no dummy links.  Needs root (unshare, mount, ip link): skipped,
 * saying so, otherwise.  Each test runs in its own process (Criterion),
 * so the namespaces go with it.
 *
 * No waiting: the kernel queues a link's netlink notice before ip(8)
 * gets its answer, and sysfs shows the link as soon as it exists, so the
 * first poll after ip(8) returns must report it.
 */
#define _GNU_SOURCE
#include <sys/mount.h>

#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "base/err.h"
#include "host/airgap.h"
#include "host/netwatch.h"

#define MAXITEMS	8

/* A network namespace with only lo, and a sysfs that shows it. */
static void
enter_namespace(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root for unshare(CLONE_NEWNET) and "
		    "ip link");
	if (access("/sbin/ip", X_OK) != 0 && access("/usr/sbin/ip", X_OK) != 0
	    && access("/bin/ip", X_OK) != 0)
		cr_skip_test("ip(8) is not installed (package iproute2)");
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) != 0)
		cr_skip_test("unshare(CLONE_NEWNET|CLONE_NEWNS) is not "
		    "permitted here");
	cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0,
	    "making mounts private");
	if (mount("sysfs", "/sys", "sysfs", 0, NULL) != 0)
		cr_skip_test("cannot mount sysfs in a new mount namespace");
}

static void
sh(const char *cmd)
{
	cr_assert_eq(system(cmd), 0, "%s failed", cmd);
}

/* The baseline: the air-gap check's report, which must say air-gapped. */
static struct kr_netwatch *
start(void)
{
	struct kr_airgap_report *rep = NULL;
	struct kr_netwatch *w = NULL;
	int r;

	r = kr_airgap_scan(&rep);
	cr_assert_not_null(rep, "scan: %s", kr_err_detail());
	cr_assert_eq(r, 0, "a fresh namespace is not air-gapped: %s",
	    kr_err_detail());
	cr_assert_eq(kr_netwatch_new(rep, &w), 0, "netwatch: %s",
	    kr_err_detail());
	kr_airgap_report_free(rep);
	return w;
}

static size_t
poll_items(struct kr_netwatch *w, struct kr_netwatch_item *it)
{
	size_t n = 99;

	cr_assert_eq(kr_netwatch_poll(w, it, MAXITEMS, &n), 0, "poll: %s",
	    kr_err_detail());
	return n;
}

static const struct kr_netwatch_item *
find(const struct kr_netwatch_item *it, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(it[i].name, name) == 0)
			return &it[i];
	return NULL;
}

Test(netwatch, quiet_machine_reports_nothing)
{
	struct kr_netwatch_item it[MAXITEMS];
	struct kr_netwatch *w;

	enter_namespace();
	w = start();
	cr_assert_eq(poll_items(w, it), 0, "lo alone was reported: %s",
	    it[0].name);
	cr_assert_eq(poll_items(w, it), 0, "second poll reported something");
	cr_assert_eq(kr_netwatch_polls(w), 2, "poll count");
	kr_netwatch_free(w);
}

Test(netwatch, veth_added_is_reported_once)
{
	struct kr_netwatch_item it[MAXITEMS];
	const struct kr_netwatch_item *a, *b;
	struct kr_netwatch *w;
	size_t n;

	enter_namespace();
	w = start();
	sh("ip link add nwa0 type veth peer name nwb0");
	n = poll_items(w, it);
	cr_assert_eq(n, 2, "%zu items for a veth pair", n);
	cr_assert_not_null(a = find(it, n, "nwa0"), "nwa0 not reported");
	cr_assert_not_null(b = find(it, n, "nwb0"), "nwb0 not reported");
	cr_assert_eq(a->kind, KR_NETWATCH_INTERFACE, "kind");
	cr_assert_str_eq(a->kind_name, "veth", "link kind '%s'", a->kind_name);
	cr_assert_str_eq(a->type, "ether", "type '%s'", a->type);
	cr_assert(a->sources & KR_NETWATCH_SRC_NETLINK, "not from netlink");
	cr_assert_gt(a->ifindex, 1, "ifindex %d", a->ifindex);
	cr_assert_neq(a->ifindex, b->ifindex, "same index for both ends");
	cr_assert_eq(a->wireless, 0, "veth called wireless");

	/* Reported once: state changes and removal are not new links. */
	cr_assert_eq(poll_items(w, it), 0, "reported twice");
	sh("ip link set nwa0 up");
	cr_assert_eq(poll_items(w, it), 0, "link up reported as new");
	sh("ip link set nwb0 name nwc0");
	cr_assert_eq(poll_items(w, it), 0, "rename reported as new: %s",
	    it[0].name);
	sh("ip link delete nwa0");
	cr_assert_eq(poll_items(w, it), 0, "removal reported");

	/* The same name again is another device: reported again. */
	sh("ip link add nwa0 type veth peer name nwb0");
	n = poll_items(w, it);
	cr_assert_eq(n, 2, "%zu items for the second pair", n);
	cr_assert_not_null(find(it, n, "nwa0"), "new nwa0 not reported");
	kr_netwatch_free(w);
}

/* Appeared after the check, before the watch was started: still new. */
Test(netwatch, link_before_watch_started)
{
	struct kr_airgap_report *rep = NULL;
	struct kr_netwatch_item it[MAXITEMS];
	struct kr_netwatch *w = NULL;
	size_t n;

	enter_namespace();
	cr_assert_eq(kr_airgap_scan(&rep), 0, "scan: %s", kr_err_detail());
	sh("ip link add nwe0 type veth peer name nwf0");
	cr_assert_eq(kr_netwatch_new(rep, &w), 0, "netwatch: %s",
	    kr_err_detail());
	kr_airgap_report_free(rep);
	n = poll_items(w, it);
	cr_assert_eq(n, 2, "%zu items", n);
	cr_assert_not_null(find(it, n, "nwe0"), "nwe0 not reported");
	cr_assert_not_null(find(it, n, "nwf0"), "nwf0 not reported");
	cr_assert_eq(poll_items(w, it), 0, "reported twice");
	kr_netwatch_free(w);
}

/*
 * A link in the namespace sysfs shows but keyrite does not run in: only
 * the sysfs re-scan can see it.  The test mounts sysfs in namespace A,
 * moves to namespace B, and adds the link in A.
 */
Test(netwatch, link_seen_only_in_sysfs)
{
	struct kr_netwatch_item it[MAXITEMS];
	const struct kr_netwatch_item *a;
	struct kr_netwatch *w;
	int fda, fdb;
	size_t n;

	enter_namespace();
	cr_assert_geq(fda = open("/proc/self/ns/net", O_RDONLY), 0, "ns A");
	cr_assert_eq(unshare(CLONE_NEWNET), 0, "namespace B");
	cr_assert_geq(fdb = open("/proc/self/ns/net", O_RDONLY), 0, "ns B");
	w = start();
	cr_assert_eq(setns(fda, CLONE_NEWNET), 0, "to A");
	sh("ip link add nwg0 type veth peer name nwh0");
	cr_assert_eq(setns(fdb, CLONE_NEWNET), 0, "back to B");
	n = poll_items(w, it);
	cr_assert_eq(n, 2, "%zu items", n);
	cr_assert_not_null(a = find(it, n, "nwg0"), "nwg0 not reported");
	cr_assert_eq(a->sources, KR_NETWATCH_SRC_SYSFS, "sources %d",
	    a->sources);
	cr_assert_str_eq(a->type, "ether", "type from sysfs '%s'", a->type);
	cr_assert_gt(a->ifindex, 1, "ifindex from sysfs %d", a->ifindex);
	n = poll_items(w, it);
	cr_assert_eq(n, 0, "reported twice: %s idx %d src %d", it[0].name,
	    it[0].ifindex, it[0].sources);
	kr_netwatch_free(w);
	close(fda);
	close(fdb);
}
