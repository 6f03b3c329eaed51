/*
 * usbwatch.c: libusb hot-plug notices turned into engine events.
 *
 * libusb calls the hot-plug callback from inside libusb_handle_events*(),
 * in our thread, and says a device may not be opened there.  So the
 * callback only queues (kind, referenced device); kr_usbwatch_poll()
 * describes queued devices afterwards with the air-gap check's own code
 * (kr_airgap_usb_describe and _judge), so that "would the air-gap check
 * refuse this device?" has one answer in keyrite.  A device's description
 * at arrival is kept, with a reference, until it leaves: by then its
 * sysfs directory and strings are gone, and the departure should name the
 * device as its arrival did.
 *
 * On Linux, libusb learns of devices from a udev monitor (or netlink)
 * thread of its own and wakes its event loop through a pipe; the tests
 * drive it with umockdev, which emulates the udev monitor.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <libusb.h>

#include "airgap.h"
#include "base/err.h"
#include "usbwatch.h"

/* A notice as the callback queued it; holds a device reference. */
struct notice {
	int		 kind;
	libusb_device	*dev;
};

/* A device seen arriving, with what it looked like then. */
struct present {
	libusb_device	*dev;		/* referenced */
	struct kr_usbwatch_event ev;
};

struct kr_usbwatch {
	libusb_context	*ctx;
	libusb_hotplug_callback_handle handle;
	int		 registered;
	struct notice	*queue;
	size_t		 nqueue;
	size_t		 capqueue;
	int		 lost;		/* a notice was dropped */
	struct present	*present;
	size_t		 npresent;
};

static const struct {
	int		 kind;
	const char	*name;
} kind_names[] = {
	{ KR_USBWATCH_ARRIVED,	"arrived" },
	{ KR_USBWATCH_LEFT,	"left" },
};

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

const char *
kr_usbwatch_kind_name(int kind)
{
	size_t i;

	for (i = 0; i < nitems(kind_names); i++)
		if (kind_names[i].kind == kind)
			return kind_names[i].name;
	return "unknown";
}

/* Runs inside libusb's event handling: queue only, never open. */
static int
hotplug_cb(libusb_context *ctx, libusb_device *dev,
    libusb_hotplug_event event, void *arg)
{
	struct kr_usbwatch *w = arg;
	struct notice *q;
	size_t cap;

	(void)ctx;
	if (w->nqueue == w->capqueue) {
		cap = w->capqueue ? 2 * w->capqueue : 16;
		if ((q = reallocarray(w->queue, cap, sizeof(*q))) == NULL) {
			w->lost = 1;
			return 0;
		}
		w->queue = q;
		w->capqueue = cap;
	}
	w->queue[w->nqueue].kind = event == LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT ?
	    KR_USBWATCH_LEFT : KR_USBWATCH_ARRIVED;
	w->queue[w->nqueue].dev = libusb_ref_device(dev);
	w->nqueue++;
	return 0;	/* stay registered */
}

int
kr_usbwatch_new(int flags, struct kr_usbwatch **wp)
{
	struct kr_usbwatch *w;
	int r = KR_ERR_INTERNAL, lr;

	*wp = NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "starting the USB watch");
	if ((lr = libusb_init(&w->ctx)) != 0) {
		w->ctx = NULL;
		r = kr_err_set(KR_ERR_SYSTEM, "libusb_init: %s; USB devices "
		    "plugged in during the ceremony cannot be noticed",
		    libusb_strerror(lr));
		goto out;
	}
	if (!libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG)) {
		r = kr_err_set(KR_ERR_UNSUPPORTED, "this libusb cannot report "
		    "USB devices plugged in or out (no hot-plug support)");
		goto out;
	}
	lr = libusb_hotplug_register_callback(w->ctx,
	    LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED |
	    LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT,
	    (flags & KR_USBWATCH_ENUMERATE) ? LIBUSB_HOTPLUG_ENUMERATE : 0,
	    LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY,
	    LIBUSB_HOTPLUG_MATCH_ANY, hotplug_cb, w, &w->handle);
	if (lr != LIBUSB_SUCCESS) {
		r = kr_err_set(lr == LIBUSB_ERROR_NOT_SUPPORTED ?
		    KR_ERR_UNSUPPORTED : KR_ERR_SYSTEM, "registering for USB "
		    "hot-plug notices: %s", libusb_strerror(lr));
		goto out;
	}
	w->registered = 1;
	*wp = w;
	w = NULL;
	r = 0;
 out:
	kr_usbwatch_free(w);
	return r;
}

void
kr_usbwatch_free(struct kr_usbwatch *w)
{
	size_t i;

	if (w == NULL)
		return;
	if (w->registered)
		libusb_hotplug_deregister_callback(w->ctx, w->handle);
	for (i = 0; i < w->nqueue; i++)
		libusb_unref_device(w->queue[i].dev);
	for (i = 0; i < w->npresent; i++)
		libusb_unref_device(w->present[i].dev);
	free(w->queue);
	free(w->present);
	if (w->ctx != NULL)
		libusb_exit(w->ctx);
	free(w);
}

/* Copies the distinct interface classes of every configuration. */
static void
event_ifs(struct kr_usbwatch_event *ev, const struct kr_airgap_usb *u)
{
	size_t i, j;

	for (i = 0; i < u->nifs; i++) {
		for (j = 0; j < ev->nif_classes; j++)
			if (ev->if_classes[j] == u->ifs[i].cls)
				break;
		if (j < ev->nif_classes || j == KR_USBWATCH_IFS_MAX)
			continue;
		ev->if_classes[ev->nif_classes++] = u->ifs[i].cls;
		if (u->ifs[i].cls == LIBUSB_CLASS_SMART_CARD)
			ev->reader = 1;
	}
}

static int
describe(libusb_device *dev, int kind, struct kr_usbwatch_event *ev)
{
	struct kr_airgap_usb u;
	int r;

	memset(ev, 0, sizeof(*ev));
	if ((r = kr_airgap_usb_describe(dev, &u)) != 0)
		return kr_err_set(r, "describing a USB device that %s",
		    kr_usbwatch_kind_name(kind));
	kr_airgap_usb_judge(&u);
	ev->kind = kind;
	ev->bus = u.bus;
	ev->address = u.address;
	memcpy(ev->ports, u.ports, sizeof(ev->ports));
	ev->nports = u.nports;
	memcpy(ev->port_path, u.sysfs_name, sizeof(ev->port_path));
	ev->vid = u.vid;
	ev->pid = u.pid;
	ev->cls = u.cls;
	ev->subclass = u.subclass;
	ev->reader = u.cls == LIBUSB_CLASS_SMART_CARD;
	event_ifs(ev, &u);
	ev->breach = !u.ok;
	memcpy(ev->reason, u.reason, sizeof(ev->reason));
	memcpy(ev->manufacturer, u.manufacturer, sizeof(ev->manufacturer));
	memcpy(ev->product, u.product, sizeof(ev->product));
	memcpy(ev->serial, u.serial, sizeof(ev->serial));
	free(u.ifs);
	return 0;
}

/* Remembers an arrival; takes over the notice's device reference. */
static int
remember(struct kr_usbwatch *w, libusb_device *dev,
    const struct kr_usbwatch_event *ev)
{
	struct present *p;

	p = reallocarray(w->present, w->npresent + 1, sizeof(*p));
	if (p == NULL)
		return kr_err_set(KR_ERR_NOMEM, "remembering USB device %s",
		    ev->port_path);
	w->present = p;
	w->present[w->npresent].dev = dev;
	w->present[w->npresent].ev = *ev;
	w->npresent++;
	return 0;
}

/*
 * Turns one notice into an event.  Consumes the notice's reference on
 * success; on failure the caller still owns it.
 */
static int
convert(struct kr_usbwatch *w, const struct notice *n,
    struct kr_usbwatch_event *ev)
{
	size_t i;
	int r;

	if (n->kind == KR_USBWATCH_ARRIVED) {
		if ((r = describe(n->dev, n->kind, ev)) != 0 ||
		    (r = remember(w, n->dev, ev)) != 0)
			return r;
		return 0;
	}
	for (i = 0; i < w->npresent; i++)
		if (w->present[i].dev == n->dev)
			break;
	if (i < w->npresent) {
		*ev = w->present[i].ev;
		ev->kind = KR_USBWATCH_LEFT;
		libusb_unref_device(w->present[i].dev);
		w->present[i] = w->present[--w->npresent];
	} else if ((r = describe(n->dev, n->kind, ev)) != 0)
		return r;	/* from libusb's cached descriptors */
	libusb_unref_device(n->dev);
	return 0;
}

int
kr_usbwatch_poll(struct kr_usbwatch *w, int timeout_ms,
    struct kr_usbwatch_event *ev, size_t max, size_t *np)
{
	struct timeval tv;
	size_t n = 0;
	int r = KR_ERR_INTERNAL, lr;

	*np = 0;
	if (timeout_ms < 0 || w->nqueue > 0)
		timeout_ms = 0;		/* no waiting with events in hand */
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	lr = libusb_handle_events_timeout_completed(w->ctx, &tv, NULL);
	if (lr != 0 && lr != LIBUSB_ERROR_INTERRUPTED) {
		r = kr_err_set(KR_ERR_SYSTEM, "handling USB events: %s",
		    libusb_strerror(lr));
		goto out;
	}
	while (n < max && n < w->nqueue) {
		if ((r = convert(w, &w->queue[n], &ev[n])) != 0)
			goto out;
		n++;
	}
	if (w->lost) {
		w->lost = 0;
		r = kr_err_set(KR_ERR_NOMEM, "a USB hot-plug notice was lost; "
		    "the USB inventory is unknown until the air-gap check "
		    "runs again");
		goto out;
	}
	r = 0;
 out:
	/* Delivered notices leave the queue even when a later one failed. */
	if (n > 0) {
		memmove(w->queue, w->queue + n,
		    (w->nqueue - n) * sizeof(*w->queue));
		w->nqueue -= n;
	}
	*np = n;
	return r;
}
