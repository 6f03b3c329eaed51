/*
 * engine-watch.c: the air gap watched for the whole ceremony.
 *
 * The air-gap check (verb_airgap) takes an inventory once.  From then on
 * this file keeps looking: the host layer's kr_netwatch (network
 * interfaces over netlink and sysfs, radios in sysfs) and kr_usbwatch
 * (USB hot-plug, judged by the check's own rules), both compared with the
 * check's report.  The engine looks before every step, before and after
 * every prompt, and, through kr_prompt.watch, every ~250 ms while a
 * frontend waits for a person.
 *
 * What a new device means depends on what the check found:
 *  - air-gapped (always, in a real ceremony): the watch is enforced.  A
 *    new interface, radio or network-capable USB device, or a watch that
 *    can no longer see, wipes every secret at once, records
 *    airgap-breached naming the device, and fails the ceremony; every
 *    later look fails again, so no step, verb or retry goes on.
 *  - not air-gapped (allowed only in a rehearsal, and recorded): the
 *    watch records airgap-changed and shows a notice, and the rehearsal
 *    goes on.
 * docs/airgap.md describes both for operators.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "card/token.h"
#include "engine-int.h"
#include "host/airgap.h"
#include "host/netwatch.h"
#include "host/usbwatch.h"

#define WATCH_BATCH	8	/* items taken per poll call */
#define WATCH_FACTS	12

/* A USB device the check saw: arrivals that match are not new. */
struct usb_seen {
	uint8_t		 bus;
	uint8_t		 address;
	uint16_t	 vid;
	uint16_t	 pid;
};

struct kr_engine_watch {
	struct kr_netwatch	*net;
	struct kr_usbwatch	*usb;
	int			 enforce;	/* the check found an air gap */
	int			 failed;	/* sticky: the error returned */
	char			 why[1024];	/* its detail */
	struct usb_seen		*usb_base;
	size_t			 nusb_base;
	unsigned long		 looks;
	unsigned long		 changes;
	char			 what[768];	/* what this look found */
};

/* Facts of one record, with room for numbers formatted here. */
struct facts {
	struct kr_fact	 f[WATCH_FACTS];
	size_t		 n;
	char		 num[4][64];
	size_t		 nnum;
};

static void
fact(struct facts *fs, const char *key, const char *value)
{
	if (value != NULL && value[0] != '\0' && fs->n < WATCH_FACTS)
		fs->f[fs->n++] = (struct kr_fact){ key, value };
}

static void __attribute__((format(printf, 3, 4)))
factf(struct facts *fs, const char *key, const char *fmt, ...)
{
	va_list ap;

	if (fs->nnum == sizeof(fs->num) / sizeof(fs->num[0]))
		return;
	va_start(ap, fmt);
	vsnprintf(fs->num[fs->nnum], sizeof(fs->num[0]), fmt, ap);
	va_end(ap);
	fact(fs, key, fs->num[fs->nnum++]);
}

/* Adds ", what" to the look's summary for the notice or the detail. */
static void
say(struct kr_engine_watch *w, const char *what)
{
	size_t len = strlen(w->what);

	snprintf(w->what + len, sizeof(w->what) - len, "%s%s",
	    len > 0 ? "; " : "", what);
}

/* Records one new device and adds it to the look's summary. */
static int
record_item(struct kr_engine *e, struct facts *fs, const char *what)
{
	struct kr_engine_watch *w = e->watch;

	w->changes++;
	say(w, what);
	return kr_engine_record(e, w->enforce ? "airgap-breached" :
	    "airgap-changed", "engine", fs->f, fs->n);
}

static int
net_item(struct kr_engine *e, const struct kr_netwatch_item *it)
{
	struct facts fs;
	char name[4 * KR_AIRGAP_NAME_MAX], what[512];
	const char *kind = it->kind_name[0] ? it->kind_name : it->type;

	memset(&fs, 0, sizeof(fs));
	kr_token_printable(it->name, name, sizeof(name));
	if (it->kind == KR_NETWATCH_INTERFACE) {
		fact(&fs, "interface", it->name);
		if (it->ifindex > 0)
			factf(&fs, "index", "%d", it->ifindex);
		fact(&fs, "kind", it->kind_name);
		fact(&fs, "type", it->type);
		fact(&fs, "wireless", it->wireless ? "yes" : "no");
		snprintf(what, sizeof(what), "%sinterface %s%s%s%s appeared",
		    it->wireless ? "wireless " : "", name, kind[0] ? " (" : "",
		    kind, kind[0] ? ")" : "");
	} else {
		fact(&fs, "radio", it->name);
		fact(&fs, "class", it->type);
		fact(&fs, "type", it->kind_name);
		snprintf(what, sizeof(what), "radio %s (%s%s%s) appeared", name,
		    it->type, it->kind_name[0] ? " " : "", it->kind_name);
	}
	fact(&fs, "driver", it->driver);
	fact(&fs, "seen-by", it->sources == (KR_NETWATCH_SRC_NETLINK |
	    KR_NETWATCH_SRC_SYSFS) ? "netlink,sysfs" :
	    it->sources == KR_NETWATCH_SRC_NETLINK ? "netlink" : "sysfs");
	return record_item(e, &fs, what);
}

static int
usb_new(const struct kr_engine_watch *w, const struct kr_usbwatch_event *ev)
{
	size_t i;

	if (ev->kind != KR_USBWATCH_ARRIVED || !ev->breach)
		return 0;	/* leaving, or a reader, keyboard, stick */
	for (i = 0; i < w->nusb_base; i++)
		if (w->usb_base[i].bus == ev->bus &&
		    w->usb_base[i].address == ev->address &&
		    w->usb_base[i].vid == ev->vid &&
		    w->usb_base[i].pid == ev->pid)
			return 0;	/* the check saw it */
	return 1;
}

static int
usb_item(struct kr_engine *e, const struct kr_usbwatch_event *ev)
{
	struct facts fs;
	char product[4 * KR_AIRGAP_STR_MAX], what[1400], ifs[64] = "";
	size_t i, len = 0;

	memset(&fs, 0, sizeof(fs));
	for (i = 0; i < ev->nif_classes && len + 4 < sizeof(ifs); i++)
		len += (size_t)snprintf(ifs + len, sizeof(ifs) - len, "%s%02x",
		    i ? "," : "", ev->if_classes[i]);
	fact(&fs, "usb", ev->port_path);
	factf(&fs, "id", "%04x:%04x", ev->vid, ev->pid);
	factf(&fs, "class", "%02x", ev->cls);
	fact(&fs, "interface-classes", ifs);
	fact(&fs, "reason", ev->reason);
	fact(&fs, "manufacturer", ev->manufacturer);
	fact(&fs, "product", ev->product);
	fact(&fs, "serial", ev->serial);
	kr_token_printable(ev->product, product, sizeof(product));
	snprintf(what, sizeof(what), "USB device %s %04x:%04x%s%s%s was "
	    "plugged in (%.300s)", ev->port_path, ev->vid, ev->pid,
	    product[0] ? " (" : "", product, product[0] ? ")" : "",
	    ev->reason);
	return record_item(e, &fs, what);
}

/* A source that can no longer see: the machine's state is unknown. */
static void
blind(struct kr_engine *e, const char *source, const char *detail)
{
	struct kr_fact f[] = { { "source", source }, { "detail", detail } };
	char what[1200];

	(void)kr_engine_record(e, "airgap-watch-failed", "engine", f, 2);
	snprintf(what, sizeof(what), "the %s watch failed (%s)", source,
	    detail);
	say(e->watch, what);
}

static void
look_net(struct kr_engine *e)
{
	struct kr_engine_watch *w = e->watch;
	struct kr_netwatch_item it[WATCH_BATCH];
	char detail[1024];
	size_t n, i;
	int r;

	if (w->net == NULL)
		return;
	do {
		r = kr_netwatch_poll(w->net, it, WATCH_BATCH, &n);
		for (i = 0; i < n; i++)
			(void)net_item(e, &it[i]);
	} while (r == 0 && n == WATCH_BATCH);
	if (r != 0) {
		snprintf(detail, sizeof(detail), "%s", kr_err_detail());
		blind(e, "interface", detail);
		kr_netwatch_free(w->net);
		w->net = NULL;
	}
}

static void
look_usb(struct kr_engine *e)
{
	struct kr_engine_watch *w = e->watch;
	struct kr_usbwatch_event ev[WATCH_BATCH];
	char detail[1024];
	size_t n, i;
	int r;

	if (w->usb == NULL)
		return;
	do {
		r = kr_usbwatch_poll(w->usb, 0, ev, WATCH_BATCH, &n);
		for (i = 0; i < n; i++)
			if (usb_new(w, &ev[i]))
				(void)usb_item(e, &ev[i]);
	} while (r == 0 && n == WATCH_BATCH);
	if (r != 0) {
		snprintf(detail, sizeof(detail), "%s", kr_err_detail());
		blind(e, "USB", detail);
		kr_usbwatch_free(w->usb);
		w->usb = NULL;
	}
}

int
kr_engine_watch(struct kr_engine *e)
{
	struct kr_engine_watch *w = e->watch;
	int blinded;

	if (w == NULL)
		return 0;
	if (w->failed != 0)
		return kr_err_set(w->failed, "%s", w->why);
	w->looks++;
	w->what[0] = '\0';
	blinded = (w->net != NULL) + (w->usb != NULL);
	look_net(e);
	look_usb(e);
	blinded -= (w->net != NULL) + (w->usb != NULL);
	if (w->what[0] == '\0')
		return 0;
	if (!w->enforce) {
		kr_engine_notice(e, "the machine changed: %s. Recorded; "
		    "allowed because this rehearsal did not start air-gapped.",
		    w->what);
		return 0;
	}
	/* Wipe first: nothing secret outlives the breach by a record. */
	kr_engine_wipe_secrets(e);
	w->failed = blinded && w->changes == 0 ? KR_ERR_AIRGAP_SCAN :
	    KR_ERR_AIRGAP_BREACHED;
	snprintf(w->why, sizeof(w->why), "%s. Every secret was wiped and the "
	    "ceremony stops here: remove what is named, then hold the "
	    "ceremony again on a machine that passes the air-gap check "
	    "(docs/airgap.md)", w->what);
	return kr_err_set(w->failed, "%s", w->why);
}

int
kr_engine_watch_prompt(void *ctx)
{
	return kr_engine_watch(ctx);
}

/* The check's USB devices, by bus, address and ids. */
static int
usb_baseline(struct kr_engine_watch *w, const struct kr_airgap_report *rep)
{
	size_t i;

	if (rep->nusb == 0)
		return 0;
	if ((w->usb_base = calloc(rep->nusb, sizeof(*w->usb_base))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "the air-gap watch");
	for (i = 0; i < rep->nusb; i++) {
		w->usb_base[i].bus = rep->usb[i].bus;
		w->usb_base[i].address = rep->usb[i].address;
		w->usb_base[i].vid = rep->usb[i].vid;
		w->usb_base[i].pid = rep->usb[i].pid;
	}
	w->nusb_base = rep->nusb;
	return 0;
}

/*
 * Starts one source; a source that cannot start fails an enforced watch
 * (it would be blind) and is noted in an unenforced one.  *what gets
 * "unavailable" then.
 */
static int
source_started(struct kr_engine *e, struct kr_engine_watch *w, int r,
    const char *source, const char **what)
{
	char detail[1024];

	if (r == 0)
		return 0;
	snprintf(detail, sizeof(detail), "%s", kr_err_detail());
	*what = "unavailable";
	if (w->enforce)
		return kr_err_set(KR_ERR_AIRGAP_SCAN, "%s; without it a %s "
		    "device added during the ceremony would not be noticed, so "
		    "the ceremony does not go on", detail, source);
	kr_engine_notice(e, "%s devices added during this rehearsal will "
	    "not be noticed: %s", source, detail);
	return 0;
}

int
kr_engine_watch_start(struct kr_engine *e, const struct kr_airgap_report *rep)
{
	struct kr_engine_watch *w;
	const char *net = "netlink,sysfs", *usb = "hotplug";
	int r;

	kr_engine_watch_stop(e);	/* a second check starts afresh */
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "the air-gap watch");
	w->enforce = rep->result == 0;
	if (!rep->sysfs_net)
		net = "netlink";	/* no /sys/class/net to list */
	if ((r = usb_baseline(w, rep)) != 0 ||
	    (r = source_started(e, w, kr_netwatch_new(rep, &w->net),
	    "network", &net)) != 0 ||
	    (r = source_started(e, w, kr_usbwatch_new(KR_USBWATCH_ENUMERATE,
	    &w->usb), "USB", &usb)) != 0)
		goto fail;
	e->watch = w;
	{
		struct kr_fact f[] = {
			{ "on-change", w->enforce ? "abort" : "record" },
			{ "interfaces", net }, { "radios", "sysfs" },
			{ "usb", usb },
			{ "looks", "each-step,each-prompt,250ms-while-waiting" }
		};

		return kr_engine_record(e, "airgap-watch-started", "engine", f,
		    5);
	}
 fail:
	kr_netwatch_free(w->net);
	kr_usbwatch_free(w->usb);
	free(w->usb_base);
	free(w);
	return r;
}

int
kr_engine_watch_end(struct kr_engine *e)
{
	char looks[32], changes[32];
	int r;

	if (e->watch == NULL)
		return 0;
	if ((r = kr_engine_watch(e)) != 0)
		return r;
	snprintf(looks, sizeof(looks), "%lu", e->watch->looks);
	snprintf(changes, sizeof(changes), "%lu", e->watch->changes);
	{
		struct kr_fact f[] = { { "looks", looks },
		    { "changes", changes } };

		return kr_engine_record(e, "airgap-watched", "engine", f, 2);
	}
}

void
kr_engine_watch_stop(struct kr_engine *e)
{
	struct kr_engine_watch *w = e->watch;

	if (w == NULL)
		return;
	kr_netwatch_free(w->net);
	kr_usbwatch_free(w->usb);
	free(w->usb_base);
	free(w);
	e->watch = NULL;
}
