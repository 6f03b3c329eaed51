/*
 * cmd-airgap-check.c: keyrite airgap-check [--json]
 *
 * Runs kr_airgap_scan() and shows the report: a table of network
 * interfaces, radios and USB devices, each ok or FAIL with its reason, then
 * one verdict line and what to do about each offender.  --json prints the
 * report in the documented JSON form (docs/airgap.md) for the transcript.
 * USB strings and interface names come from devices and are escaped here
 * before they reach the terminal: only printable ASCII passes, the rest is
 * shown as \xNN.
 */
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "cmd.h"
#include "host/airgap.h"

/* Room for a KR_AIRGAP_STR_MAX string with every byte escaped as \xNN. */
#define SAFE_MAX	(4 * KR_AIRGAP_STR_MAX)
#define WRAP_COLS	79

/* Copies src into dst (size n) with non-printable bytes as \xNN. */
static const char *
safe(char *dst, size_t n, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t len = 0;

	for (; *s != '\0' && len + 5 < n; s++) {
		if (*s >= 0x20 && *s < 0x7f && *s != '\\')
			dst[len++] = (char)*s;
		else
			len += (size_t)snprintf(dst + len, n - len, "\\x%02x",
			    *s);
	}
	dst[len] = '\0';
	return dst;
}

/*
 * Prints text word-wrapped to WRAP_COLS columns; the first line continues
 * at column col, later lines start with indent spaces.  Ends the line.
 */
static void
print_wrapped(size_t col, size_t indent, const char *text)
{
	const char *p = text, *sp;
	size_t word;

	while (*p != '\0') {
		sp = strchr(p, ' ');
		word = sp ? (size_t)(sp - p) : strlen(p);
		if (col > indent && col + 1 + word > WRAP_COLS) {
			printf("\n%*s", (int)indent, "");
			col = indent;
		} else if (p != text) {
			putchar(' ');
			col++;
		}
		printf("%.*s", (int)word, p);
		col += word;
		p += word;
		while (*p == ' ')
			p++;
	}
	putchar('\n');
}

static void
print_netifs(const struct kr_airgap_report *rep)
{
	const struct kr_airgap_netif *n;
	char name[SAFE_MAX];
	size_t i, col;

	printf("Network interfaces (getifaddrs: this network namespace; "
	    "sysfs: /sys/class/net)\n");
	if (rep->nnetifs == 0)
		printf("  none\n");
	for (i = 0; i < rep->nnetifs; i++) {
		n = &rep->netifs[i];
		col = (size_t)printf("  %-4s  %-15s  %-4s  %-16s ",
		    n->ok ? "ok" : "FAIL", safe(name, sizeof(name), n->name),
		    (n->flags & IFF_UP) ? "up" : "down",
		    n->sources == (KR_AIRGAP_SRC_GETIFADDRS |
		    KR_AIRGAP_SRC_SYSFS) ? "getifaddrs+sysfs" :
		    n->sources == KR_AIRGAP_SRC_SYSFS ? "sysfs" : "getifaddrs");
		print_wrapped(col, 8, n->reason);
	}
}

static void
print_radios(const struct kr_airgap_report *rep)
{
	const struct kr_airgap_radio *rd;
	char name[SAFE_MAX], reason[4 * KR_AIRGAP_REASON_MAX];
	size_t i, col;

	printf("Radios (/sys/class/rfkill, /sys/class/bluetooth, "
	    "/sys/class/ieee80211)\n");
	if (rep->nradios == 0)
		printf("  none\n");
	for (i = 0; i < rep->nradios; i++) {
		rd = &rep->radios[i];
		col = (size_t)printf("  %-4s  %-9s  %-10s ",
		    rd->ok ? "ok" : "FAIL", rd->kind,
		    safe(name, sizeof(name), rd->name));
		print_wrapped(col, 8, safe(reason, sizeof(reason), rd->reason));
	}
}

/* "manufacturer product", escaped, or "(no strings)". */
static const char *
usb_label(char *dst, size_t n, const struct kr_airgap_usb *u)
{
	char m[SAFE_MAX], p[SAFE_MAX];

	safe(m, sizeof(m), u->manufacturer);
	safe(p, sizeof(p), u->product);
	if (m[0] == '\0' && p[0] == '\0')
		snprintf(dst, n, "(no strings)");
	else
		snprintf(dst, n, "%s%s%s", m, m[0] && p[0] ? " " : "", p);
	return dst;
}

static void
print_usb(const struct kr_airgap_report *rep)
{
	const struct kr_airgap_usb *u;
	char label[3 * SAFE_MAX + 32], serial[SAFE_MAX];
	char reason[4 * KR_AIRGAP_REASON_MAX];
	size_t i;

	printf("USB devices (libusb; bus-port, VID:PID, device class)\n");
	if (rep->nusb == 0)
		printf("  none\n");
	for (i = 0; i < rep->nusb; i++) {
		u = &rep->usb[i];
		printf("  %-4s  %-9s  %04x:%04x  class %02x %s\n",
		    u->ok ? "ok" : "FAIL", u->sysfs_name, u->vid, u->pid,
		    u->cls, kr_airgap_usb_class_name(u->cls, u->subclass));
		usb_label(label, sizeof(label), u);
		if (u->serial[0] != '\0')
			snprintf(label + strlen(label), sizeof(label) -
			    strlen(label), ", serial %s",
			    safe(serial, sizeof(serial), u->serial));
		printf("        ");
		print_wrapped(8, 8, label);
		if (u->ok && strcmp(u->reason,
		    kr_airgap_usb_class_name(u->cls, u->subclass)) == 0)
			continue;	/* already said on the first line */
		printf("        ");
		print_wrapped(8, 8, safe(reason, sizeof(reason), u->reason));
	}
}

static void
print_advice(const struct kr_airgap_report *rep)
{
	char name[SAFE_MAX], label[2 * SAFE_MAX + 16];
	char line[sizeof(label) + 64];
	size_t i;

	printf("What to do:\n");
	for (i = 0; i < rep->nnetifs; i++) {
		if (rep->netifs[i].ok)
			continue;
		safe(name, sizeof(name), rep->netifs[i].name);
		printf("  - interface %s: unplug its hardware, or "
		    "'ip link delete %s'\n", name, name);
	}
	for (i = 0; i < rep->nusb; i++) {
		if (rep->usb[i].ok)
			continue;
		snprintf(line, sizeof(line), "USB device %s %04x:%04x (%s): "
		    "unplug it", rep->usb[i].sysfs_name, rep->usb[i].vid,
		    rep->usb[i].pid,
		    usb_label(label, sizeof(label), &rep->usb[i]));
		printf("  - ");
		print_wrapped(4, 4, line);
	}
	for (i = 0; i < rep->nradios; i++)
		printf("  - %s %s: remove the radio hardware\n",
		    rep->radios[i].kind,
		    safe(name, sizeof(name), rep->radios[i].name));
	if (rep->incomplete[0] != '\0') {
		snprintf(line, sizeof(line), "the scan was incomplete: %s",
		    rep->incomplete);
		printf("  - ");
		print_wrapped(4, 4, line);
	}
	printf("  Best: boot the keyrite appliance image; it has no network, "
	    "Bluetooth or\n  Wi-Fi drivers.  Then run 'keyrite airgap-check' "
	    "again.\n");
}

static void
print_verdict(const struct kr_airgap_report *rep)
{
	char name[SAFE_MAX], label[2 * SAFE_MAX + 16];
	const char *sep = "";
	size_t i;

	if (rep->result == 0) {
		printf("air-gapped: yes\n");
		return;
	}
	printf("NOT AIR-GAPPED: ");
	if (rep->noffenders == 0)
		printf("the scan is incomplete (%s)", rep->incomplete);
	for (i = 0; i < rep->nnetifs; i++) {
		if (rep->netifs[i].ok)
			continue;
		printf("%sinterface %s", sep,
		    safe(name, sizeof(name), rep->netifs[i].name));
		sep = "; ";
	}
	for (i = 0; i < rep->nusb; i++) {
		if (rep->usb[i].ok)
			continue;
		printf("%sUSB %s %04x:%04x (%s)", sep, rep->usb[i].sysfs_name,
		    rep->usb[i].vid, rep->usb[i].pid,
		    usb_label(label, sizeof(label), &rep->usb[i]));
		sep = "; ";
	}
	for (i = 0; i < rep->nradios; i++) {
		printf("%s%s %s", sep, rep->radios[i].kind,
		    safe(name, sizeof(name), rep->radios[i].name));
		sep = "; ";
	}
	printf("\n");
	print_advice(rep);
}

static int
cmd_airgap_check(int argc, char **argv)
{
	struct kr_airgap_report *rep = NULL;
	char *json = NULL;
	int r, json_out = 0, ret = KR_EXIT_FAILURE;

	if (argc == 2 && strcmp(argv[1], "--json") == 0)
		json_out = 1;
	else if (argc != 1)
		return kr_cmd_usage(&kr_cmd_airgap_check_entry);

	r = kr_airgap_scan(&rep);
	if (rep == NULL) {
		kr_cmd_perror("airgap-check", r);
		goto out;
	}
	if (json_out) {
		if ((r = kr_airgap_report_json(rep, &json)) != 0) {
			kr_cmd_perror("airgap-check", r);
			goto out;
		}
		fputs(json, stdout);
	} else {
		print_netifs(rep);
		print_radios(rep);
		print_usb(rep);
		printf("\n");
		print_verdict(rep);
	}
	if (rep->result == KR_ERR_AIRGAP_SCAN)
		kr_cmd_perror("airgap-check", rep->result);
	ret = rep->result == 0 ? KR_EXIT_OK :
	    rep->result == KR_ERR_AIRGAP_SCAN ? KR_EXIT_FAILURE :
	    KR_EXIT_AIRGAP;
 out:
	if (fflush(stdout) != 0 || ferror(stdout))
		ret = KR_EXIT_FAILURE;
	free(json);
	kr_airgap_report_free(rep);
	return ret;
}

const struct kr_cmd_entry kr_cmd_airgap_check_entry = {
	.name = "airgap-check",
	.args = "[--json]",
	.summary = "check that no network interface, radio or network USB "
	    "device exists",
	.exec = cmd_airgap_check,
	.help =
	"Scans the machine as a real ceremony does before it starts: network\n"
	"interfaces other than lo (getifaddrs and /sys/class/net), radios\n"
	"(rfkill, Bluetooth, 802.11) and USB devices that can reach a network\n"
	"(by class and by what the kernel bound to them), and lists every USB\n"
	"device.  Each thing found is named with what to do about it.\n"
	"\n"
	"  --json   print the report as JSON (schema keyrite.airgap.v1,\n"
	"           docs/airgap.md), as ceremonies record it\n"
	"\n"
	"Exit status: 0 air-gapped; 4 not air-gapped; 1 the scan could not be\n"
	"completed (keyrite fails closed); 2 bad command line.\n",
};
