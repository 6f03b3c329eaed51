/*
 * hotplug-umockdev.c: kr_usbwatch against USB devices that come and go in
 * a umockdev testbed.
 *
 * usage: hotplug-umockdev [-t timeout_ms] HUB.umockdev DEVICE.umockdev...
 *
 * Must run under umockdev-wrapper (its preload library shows the testbed's
 * /sys and /dev and emulates the udev monitor libusb listens to); exits 77
 * otherwise.  The testbed is created before libusb_init, since the preload
 * library needs $UMOCKDEV_DIR when libusb starts its monitor.
 *
 * Adds HUB, starts the watch with KR_USBWATCH_ENUMERATE and expects HUB
 * to be reported as arrived.  Then, for each DEVICE in turn: adds it and
 * expects exactly one "arrived" event for its port path; sends a "remove"
 * uevent, removes it and expects exactly one "left" event for the same
 * path.  Finally expects silence for 300 ms.  Every event is printed as
 *   event arrived 1-3 20a0:4230 class 00 ifs 0b reader=1 breach=0
 *       product="Nitrokey HSM" reason="..."
 * (one line) for the calling script to check.  Each wait is bounded by
 * the timeout (default 5000 ms).  Exit 0 pass, 1 fail, 77 skip.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <umockdev.h>

#include "base/err.h"
#include "host/usbwatch.h"

#define POLL_MS		100
#define QUIET_MS	300

static long timeout_ms = 5000;

static void
print_escaped(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	putchar('"');
	for (; *p != '\0'; p++) {
		if (*p >= 0x20 && *p < 0x7f && *p != '\\' && *p != '"')
			putchar(*p);
		else
			printf("\\x%02x", *p);
	}
	putchar('"');
}

static void
print_event(const struct kr_usbwatch_event *ev)
{
	size_t i;

	printf("event %s %s %04x:%04x class %02x ifs",
	    kr_usbwatch_kind_name(ev->kind), ev->port_path, ev->vid, ev->pid,
	    ev->cls);
	for (i = 0; i < ev->nif_classes; i++)
		printf("%s%02x", i ? "," : " ", ev->if_classes[i]);
	if (ev->nif_classes == 0)
		printf(" -");
	printf(" reader=%d breach=%d product=", ev->reader, ev->breach);
	print_escaped(ev->product);
	printf(" reason=");
	print_escaped(ev->reason);
	putchar('\n');
	fflush(stdout);
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Polls for up to wait_ms and stores the first event in *ev.  Returns 1
 * when an event came, 0 when none did, -1 on error.
 */
static int
next_event(struct kr_usbwatch *w, long wait_ms, struct kr_usbwatch_event *ev)
{
	long deadline = now_ms() + wait_ms, left;
	size_t n;
	int r;

	while ((left = deadline - now_ms()) > 0) {
		r = kr_usbwatch_poll(w, left < POLL_MS ? (int)left : POLL_MS,
		    ev, 1, &n);
		if (r != 0) {
			fprintf(stderr, "hotplug-umockdev: poll: %s: %s\n",
			    kr_strerror(r), kr_err_detail());
			return -1;
		}
		if (n == 1) {
			print_event(ev);
			return 1;
		}
	}
	return 0;
}

/* Waits for one event of kind at path; returns 0 or -1 (said why). */
static int
expect(struct kr_usbwatch *w, int kind, const char *path)
{
	struct kr_usbwatch_event ev;
	int r;

	if ((r = next_event(w, timeout_ms, &ev)) < 0)
		return -1;
	if (r == 0) {
		printf("FAIL: no \"%s\" event for %s within %ld ms\n",
		    kr_usbwatch_kind_name(kind), path, timeout_ms);
		return -1;
	}
	if (ev.kind != kind || strcmp(ev.port_path, path) != 0) {
		printf("FAIL: expected \"%s\" for %s, got \"%s\" for %s\n",
		    kr_usbwatch_kind_name(kind), path,
		    kr_usbwatch_kind_name(ev.kind), ev.port_path);
		return -1;
	}
	return 0;
}

/* Nothing more may arrive for QUIET_MS. */
static int
expect_quiet(struct kr_usbwatch *w, const char *after)
{
	struct kr_usbwatch_event ev;
	int r;

	if ((r = next_event(w, QUIET_MS, &ev)) == 0)
		return 0;
	if (r > 0)
		printf("FAIL: an unexpected event after %s\n", after);
	return -1;
}

/*
 * Reads a umockdev file; *sysp gets its device's /sys path and *namep
 * points at its last component (the port path).  Returns 0 or -1.
 */
static int
load(const char *file, gchar **textp, char *sys, size_t syslen,
    const char **namep)
{
	GError *err = NULL;
	const char *p, *nl;
	int n;

	if (!g_file_get_contents(file, textp, NULL, &err)) {
		printf("FAIL: %s\n", err->message);
		g_error_free(err);
		return -1;
	}
	p = *textp;
	if (strncmp(p, "P: ", 3) != 0 || (nl = strchr(p, '\n')) == NULL) {
		printf("FAIL: %s does not start with a P: line\n", file);
		return -1;
	}
	n = snprintf(sys, syslen, "/sys%.*s", (int)(nl - p - 3), p + 3);
	if (n < 0 || (size_t)n >= syslen) {
		printf("FAIL: %s: device path too long\n", file);
		return -1;
	}
	*namep = strrchr(sys, '/') + 1;
	return 0;
}

static int
add(UMockdevTestbed *tb, const char *file, char *sys, size_t syslen,
    const char **namep)
{
	GError *err = NULL;
	gchar *text = NULL;
	int r = -1;

	if (load(file, &text, sys, syslen, namep) != 0)
		goto out;
	if (!umockdev_testbed_add_from_string(tb, text, &err)) {
		printf("FAIL: adding %s: %s\n", file, err->message);
		g_error_free(err);
		goto out;
	}
	r = 0;
 out:
	g_free(text);
	return r;
}

/* One device: arrives, then leaves. */
static int
cycle(UMockdevTestbed *tb, struct kr_usbwatch *w, const char *file)
{
	char sys[1024];
	const char *name;

	printf("adding %s\n", file);
	if (add(tb, file, sys, sizeof(sys), &name) != 0 ||
	    expect(w, KR_USBWATCH_ARRIVED, name) != 0 ||
	    expect_quiet(w, "the arrival") != 0)
		return -1;
	printf("removing %s\n", name);
	umockdev_testbed_uevent(tb, sys, "remove");
	umockdev_testbed_remove_device(tb, sys);
	if (expect(w, KR_USBWATCH_LEFT, name) != 0 ||
	    expect_quiet(w, "the departure") != 0)
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	UMockdevTestbed *tb = NULL;
	struct kr_usbwatch *w = NULL;
	const char *hub, *pre;
	char sys[1024];
	int c, i, r, rc = 1;

	while ((c = getopt(argc, argv, "t:")) != -1) {
		if (c != 't')
			goto usage;
		timeout_ms = strtol(optarg, NULL, 10);
	}
	if (argc - optind < 2 || timeout_ms <= 0)
		goto usage;
	/* umockdev_in_mock_environment() only looks at $UMOCKDEV_DIR. */
	pre = getenv("LD_PRELOAD");
	if (pre == NULL || strstr(pre, "libumockdev-preload") == NULL) {
		printf("SKIP: not running under umockdev-wrapper\n");
		return 77;
	}
	tb = umockdev_testbed_new();
	if (add(tb, argv[optind], sys, sizeof(sys), &hub) != 0)
		goto out;
	if ((r = kr_usbwatch_new(KR_USBWATCH_ENUMERATE, &w)) != 0) {
		printf("%s: %s: %s\n", r == KR_ERR_UNSUPPORTED ? "SKIP" :
		    "FAIL", kr_strerror(r), kr_err_detail());
		rc = r == KR_ERR_UNSUPPORTED ? 77 : 1;
		goto out;
	}
	printf("watching; expecting %s to be enumerated\n", hub);
	if (expect(w, KR_USBWATCH_ARRIVED, hub) != 0 ||
	    expect_quiet(w, "enumeration") != 0)
		goto out;
	for (i = optind + 1; i < argc; i++)
		if (cycle(tb, w, argv[i]) != 0)
			goto out;
	printf("ok: %d device(s) arrived and left\n", argc - optind - 1);
	rc = 0;
 out:
	kr_usbwatch_free(w);
	if (tb != NULL)
		g_object_unref(tb);
	return rc;
 usage:
	fprintf(stderr, "usage: hotplug-umockdev [-t timeout_ms] "
	    "HUB.umockdev DEVICE.umockdev...\n");
	return 2;
}
