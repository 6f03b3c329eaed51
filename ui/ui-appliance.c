/*
 * ui-appliance.c: Home's lines and keys for the appliance, and the
 * "This appliance" screen.
 *
 * On the appliance (the image's identity file exists) Home shows three
 * more lines: the image's identity, for the witnesses to compare with the
 * published manifest; the USB stick mounted at the media directory and
 * its free space, or that none is; and whether the clock has been set.
 * m opens the media screen (ui-media.c), t the clock (ui-clock.c), i the
 * full identity (below), and in a rehearsal c makes rehearsal cards.  The
 * keys work on any machine; the lines and footer appear on the appliance,
 * so that Home on a development machine stays as it was.
 */
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "base/version.h"
#include "ceremony/appliance.h"
#include "ceremony/lobby.h"
#include "ui-int.h"

#define LABEL_W		14
#define SCAN_TICKS	4	/* the media every second */

static int
on_appliance(const struct kr_ui *ui)
{
	const struct kr_sysid *id = kr_appliance_sysid(ui->appliance);

	return id->appliance || kr_appliance_sysid_error(ui->appliance)[0];
}

void
kr_ui_bytes(uint64_t n, char *out, size_t outlen)
{
	if (n >= 1000ULL * 1000 * 1000)
		snprintf(out, outlen, "%.1f GB", (double)n / 1e9);
	else if (n >= 1000ULL * 1000)
		snprintf(out, outlen, "%.1f MB", (double)n / 1e6);
	else
		snprintf(out, outlen, "%llu kB", (unsigned long long)n / 1000);
}

static int
fact(const struct kr_ui *ui, int y, const char *label, enum kr_ui_role role,
    const char *value, int maxrows)
{
	int rows;

	kr_ui_text(ui, y, 2, LABEL_W, KR_UI_TITLE, label);
	rows = kr_ui_wrap(ui, y, 2 + LABEL_W, ui->cols - LABEL_W - 4, maxrows,
	    role, value, 1);
	return rows > maxrows ? maxrows : rows;
}

static enum kr_ui_role
image_line(const struct kr_ui *ui, char *buf, size_t len)
{
	const struct kr_sysid *id = kr_appliance_sysid(ui->appliance);
	const char *err = kr_appliance_sysid_error(ui->appliance);

	if (err[0] != '\0') {
		snprintf(buf, len, "DAMAGED: %s. Do not hold a ceremony on "
		    "this machine.", err);
		return KR_UI_BAD;
	}
	snprintf(buf, len, "keyrite %s, commit %.12s, root %.12s%s%s; i: all "
	    "of it", id->version, id->commit, id->root_sha256[0] ?
	    id->root_sha256 : "unchecked", id->root_ro == 1 ? " read-only" :
	    " WRITABLE", id->dirty ? ", BUILT FROM UNCOMMITTED CHANGES" : "");
	return id->dirty || id->root_ro != 1 || !id->root_sha256[0] ?
	    KR_UI_WARN : KR_UI_GOOD;
}

static enum kr_ui_role
media_line(const struct kr_ui *ui, char *buf, size_t len)
{
	const struct kr_removable_mount *st =
	    kr_appliance_media_state(ui->appliance);
	char free_b[32];

	if (ui->cfg->nmedia == 0) {
		snprintf(buf, len, "no media directory (--media)");
		return KR_UI_BAD;
	}
	if (!st->mounted) {
		snprintf(buf, len, "none mounted at %s: press m to choose one",
		    ui->cfg->media[0]);
		return KR_UI_WARN;
	}
	kr_ui_bytes(st->free_bytes, free_b, sizeof(free_b));
	if (st->gone)
		snprintf(buf, len, "%s PULLED OUT while mounted: press m", 
		    st->source);
	else if (st->read_only)
		snprintf(buf, len, "%s (%s) READ-ONLY: a ceremony cannot write "
		    "there; press m", st->source, st->fstype);
	else if (st->free_bytes < KR_REMOVABLE_MIN_FREE)
		snprintf(buf, len, "%s (%s) FULL, %s free: press m", st->source,
		    st->fstype, free_b);
	else {
		snprintf(buf, len, "%s (%s) at %s, %s free", st->source,
		    st->fstype, ui->cfg->media[0], free_b);
		return KR_UI_GOOD;
	}
	return KR_UI_BAD;
}

static enum kr_ui_role
clock_line(char *buf, size_t len)
{
	struct kr_clock_change c;
	char was[KR_CLOCK_TEXT_BYTES], to[KR_CLOCK_TEXT_BYTES];

	if (!kr_clock_last(&c)) {
		snprintf(buf, len, "not set since keyrite started: compare the "
		    "time above with a trusted watch; t sets it");
		return KR_UI_WARN;
	}
	kr_clock_format(c.before, was, sizeof(was));
	kr_clock_format(c.after, to, sizeof(to));
	snprintf(buf, len, "set from %s to %s UTC%s", was, to, c.rtc ? "" :
	    " (this boot only)");
	return KR_UI_GOOD;
}

int
kr_ui_home_appliance_draw(const struct kr_ui *ui, int y)
{
	char buf[1024];
	enum kr_ui_role role;

	if (!on_appliance(ui))
		return y;
	role = image_line(ui, buf, sizeof(buf));
	y += fact(ui, y, "Image", role, buf, 2);
	role = media_line(ui, buf, sizeof(buf));
	y += fact(ui, y, "USB stick", role, buf, 1);
	role = clock_line(buf, sizeof(buf));
	y += fact(ui, y, "Clock", role, buf, 2);
	return y;
}

int
kr_ui_home_appliance_footer(const struct kr_ui *ui)
{
	const char *arrows = ui->utf8 ? "\xe2\x86\x91\xe2\x86\x93" : "Up/Down";
	int cards = kr_appliance_cards_possible(ui->appliance);

	if (!on_appliance(ui) && !cards)
		return 0;
	if (!on_appliance(ui))
		kr_ui_footer(ui, arrows, "choose", "Enter", "open", "r",
		    "check again", "c", "make cards", "q", "leave",
		    (const char *)NULL);
	else if (cards)
		kr_ui_footer(ui, arrows, "choose", "Enter", "open", "m",
		    "media", "t", "clock", "c", "cards", "r", "check",
		    (const char *)NULL);
	else
		kr_ui_footer(ui, arrows, "choose", "Enter", "open", "m",
		    "media", "t", "clock", "r", "check", "q", "leave",
		    (const char *)NULL);
	return 1;
}

static void
make_cards(struct kr_ui *ui, struct kr_ui_home *h)
{
	if (!ui->cfg->rehearsal) {
		snprintf(h->message, sizeof(h->message), "Rehearsal cards are "
		    "made only in a rehearsal: restart and choose the "
		    "rehearsal in the boot menu.");
		return;
	}
	kr_lobby_release(ui->lobby);
	if (kr_appliance_cards_make(ui->appliance, h->notice,
	    sizeof(h->notice)) != 0) {
		h->notice[0] = '\0';
		snprintf(h->message, sizeof(h->message), "Rehearsal cards: %s",
		    kr_err_detail());
	}
}

int
kr_ui_home_appliance_key(struct kr_ui *ui, struct kr_ui_home *h,
    const struct kr_key *k)
{
	const struct kr_screen_ops *ops = NULL;
	int r;

	if (k->fn == KR_KEY_TICK) {
		if (h->ticks % SCAN_TICKS == 0)
			(void)kr_appliance_media_scan(ui->appliance);
		return -1;
	}
	if (k->fn != 0)
		return -1;
	switch (k->ch) {
	case 'm':
	case 'M':
		ops = &kr_ui_media_ops;
		break;
	case 't':
	case 'T':
		ops = &kr_ui_clock_ops;
		break;
	case 'i':
	case 'I':
		ops = &kr_ui_about_ops;
		break;
	case 'c':
	case 'C':
		h->message[0] = h->notice[0] = '\0';
		make_cards(ui, h);
		return KR_SCREEN_STAY;
	default:
		return -1;
	}
	h->message[0] = h->notice[0] = '\0';
	r = kr_ui_screen_run(ui, ops, h);
	(void)kr_appliance_media_scan(ui->appliance);
	return r == KR_SCREEN_ABORT ? KR_SCREEN_ABORT : KR_SCREEN_STAY;
}

/* --- This appliance ------------------------------------------------------ */

static int
about_init(struct kr_ui *ui, void *arg, void **statep)
{
	(void)ui;
	*statep = arg;
	return 0;
}

static int
about_key(struct kr_ui *ui, void *state, const struct kr_key *k)
{
	(void)ui;
	(void)state;
	if (k->fn == KR_KEY_ESC || k->fn == KEY_ENTER || k->fn == KEY_LEFT ||
	    (k->fn == 0 && (k->ch == 'q' || k->ch == 'i')))
		return KR_SCREEN_BACK;
	return KR_SCREEN_STAY;
}

/* The SHA-256 in groups of four, two rows of eight. */
static int
draw_sha(const struct kr_ui *ui, int y, const char *label, const char *hex)
{
	char row[48];
	int i, g, n;

	if (strlen(hex) != 64)
		return y + fact(ui, y, label, KR_UI_BAD, "not checked at boot",
		    1);
	for (i = 0; i < 2; i++) {
		n = 0;
		for (g = 0; g < 8; g++)
			n += snprintf(row + n, sizeof(row) - (size_t)n, "%s%.4s",
			    g ? " " : "", hex + i * 32 + g * 4);
		fact(ui, y++, i ? "" : label, KR_UI_TITLE, row, 1);
	}
	return y;
}

static void
about_draw(const struct kr_ui *ui, const void *state)
{
	const struct kr_sysid *id = kr_appliance_sysid(ui->appliance);
	const char *err = kr_appliance_sysid_error(ui->appliance);
	char buf[512];
	int y = 2, w = ui->cols - 4;

	(void)state;
	kr_ui_text(ui, y, 2, w, KR_UI_TITLE, "THIS APPLIANCE");
	y += 2;
	if (err[0] != '\0') {
		y += fact(ui, y, "Image", KR_UI_BAD, err, 4);
		kr_ui_wrap(ui, y + 1, 2, w, 4, KR_UI_BAD, "The image's identity "
		    "cannot be read: the medium is damaged or altered. Do not "
		    "hold a ceremony on this machine.", 1);
	} else if (!id->appliance) {
		snprintf(buf, sizeof(buf), "This is not the keyrite appliance: "
		    "keyrite %s runs on this computer, whose software nobody "
		    "here has checked. Use it for rehearsals and development "
		    "only; hold real ceremonies on the appliance (see "
		    "docs/appliance.md).", KEYRITE_VERSION);
		y += kr_ui_wrap(ui, y, 2, w, 5, KR_UI_WARN, buf, 1);
		snprintf(buf, sizeof(buf), "%s%s", id->root_ro == 1 ?
		    "read-only " : id->root_ro == 0 ? "writable " : "",
		    id->root_fstype);
		fact(ui, y + 1, "Root", KR_UI_NORMAL, buf, 1);
	} else {
		y += fact(ui, y, "Version", id->dirty ? KR_UI_WARN : KR_UI_TITLE,
		    id->version, 1);
		y += fact(ui, y, "Commit", KR_UI_TITLE, id->commit, 1);
		y += fact(ui, y, "Source tree", KR_UI_TITLE, id->tree, 1);
		y += fact(ui, y, "Built from", id->dirty ? KR_UI_WARN :
		    KR_UI_GOOD, id->dirty ? "a tree with uncommitted changes: "
		    "not a published release" : "a clean tree: the commit "
		    "above", 2);
		y = draw_sha(ui, y, "Root SHA-256", id->root_sha256);
		snprintf(buf, sizeof(buf), "%s, %s, checked against the boot "
		    "menu before it was mounted", id->root_fstype,
		    id->root_ro == 1 ? "read-only" : "WRITABLE");
		y += fact(ui, y, "Root", id->root_ro == 1 ? KR_UI_GOOD :
		    KR_UI_BAD, buf, 2);
		y += fact(ui, y, "Kernel", KR_UI_NORMAL, id->kernel, 1);
		kr_ui_wrap(ui, y + 1, 2, w, 4, KR_UI_NORMAL, "Witnesses: compare "
		    "the version, commit and root SHA-256 with the manifest "
		    "published with the image (keyrite-<version>.manifest, its "
		    "\"file\" line for keyrite/root.sfs) before the ceremony "
		    "starts.", 1);
	}
	kr_ui_footer(ui, "Esc", "back to Home", (const char *)NULL);
}

static void
about_free(void *state)
{
	(void)state;
}

const struct kr_screen_ops kr_ui_about_ops = {
	"about", about_init, about_key, about_draw, about_free
};
