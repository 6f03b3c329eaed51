/*
 * ui-media.c: the media screen, where USB sticks are mounted and
 * unmounted.
 *
 * It lists the USB mass-storage partitions present (rescanned every
 * second, so that a stick put in or pulled out shows at once), says what
 * is mounted at the media directory and how much room is left, and warns
 * when that stick is full, read-only or was pulled out.  Enter mounts the
 * chosen stick there; u syncs and unmounts it, after which it may be
 * taken out.  The work is the engine's (ceremony/appliance.h); this
 * screen only shows it.
 */
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "ceremony/appliance.h"
#include "ui-int.h"

#define MEDIA_SCAN_TICKS	4

struct media_state {
	size_t			 sel;
	char			 result[1024];
	enum kr_ui_role		 result_role;
	unsigned		 ticks;
	long long		 shown_ms;
};

static struct media_state media;

static int
media_init(struct kr_ui *ui, void *arg, void **statep)
{
	(void)arg;
	memset(&media, 0, sizeof(media));
	media.shown_ms = kr_ui_now_ms();
	if (kr_appliance_media_scan(ui->appliance) != 0) {
		snprintf(media.result, sizeof(media.result), "%s",
		    kr_err_detail());
		media.result_role = KR_UI_BAD;
	}
	*statep = &media;
	return 0;
}

static void
say(struct media_state *m, enum kr_ui_role role, const char *what)
{
	snprintf(m->result, sizeof(m->result), "%s", what);
	m->result_role = role;
}

static void
do_mount(struct kr_ui *ui, struct media_state *m)
{
	const struct kr_removable *d = kr_appliance_media(ui->appliance,
	    m->sel);
	char buf[1024];
	int ro = 0, full;

	if (d == NULL)
		return;
	if (kr_appliance_media_mount(ui->appliance, m->sel, &ro) != 0) {
		snprintf(buf, sizeof(buf), "Not mounted: %s", kr_err_detail());
		say(m, KR_UI_BAD, buf);
		return;
	}
	full = kr_appliance_media_state(ui->appliance)->free_bytes <
	    KR_REMOVABLE_MIN_FREE;
	snprintf(buf, sizeof(buf), "%s is mounted at %s%s", d->name,
	    ui->cfg->media[0], ro ? ", READ-ONLY: the stick refuses writes. "
	    "Earlier records can be read from it, but a ceremony cannot write "
	    "there." : full ? ", but it is FULL (see above)." : ". A ceremony "
	    "writes its outputs and transcript there.");
	say(m, ro || full ? KR_UI_WARN : KR_UI_GOOD, buf);
}

static void
do_unmount(struct kr_ui *ui, struct media_state *m)
{
	const struct kr_removable_mount *st =
	    kr_appliance_media_state(ui->appliance);
	char buf[1024], src[64];

	if (!st->mounted) {
		say(m, KR_UI_WARN, "Nothing is mounted.");
		return;
	}
	snprintf(src, sizeof(src), "%s", st->source);
	if (kr_appliance_media_unmount(ui->appliance) != 0) {
		snprintf(buf, sizeof(buf), "%s", kr_err_detail());
		say(m, KR_UI_BAD, buf);
		return;
	}
	snprintf(buf, sizeof(buf), "%s is written out and unmounted: it can be "
	    "taken out now.", src);
	say(m, KR_UI_GOOD, buf);
}

static int
media_key(struct kr_ui *ui, void *state, const struct kr_key *k)
{
	struct media_state *m = state;
	size_t n;

	if (k->fn == KR_KEY_TICK) {
		if (++m->ticks % MEDIA_SCAN_TICKS == 0)
			(void)kr_appliance_media_scan(ui->appliance);
		n = kr_appliance_media_count(ui->appliance);
		if (m->sel >= n)
			m->sel = n > 0 ? n - 1 : 0;
		return KR_SCREEN_STAY;
	}
	n = kr_appliance_media_count(ui->appliance);
	if (k->fn == KR_KEY_ESC || k->fn == KEY_LEFT ||
	    (k->fn == 0 && (k->ch == 'q' || k->ch == 'Q')))
		return KR_SCREEN_BACK;
	if (k->fn == KEY_UP || (k->fn == 0 && k->ch == 'k')) {
		if (m->sel > 0)
			m->sel--;
	} else if (k->fn == KEY_DOWN || (k->fn == 0 && k->ch == 'j')) {
		if (m->sel + 1 < n)
			m->sel++;
	} else if (k->fn == KEY_ENTER && n > 0 &&
	    kr_ui_enter_ready(m->shown_ms))
		do_mount(ui, m);
	else if (k->fn == 0 && (k->ch == 'u' || k->ch == 'U'))
		do_unmount(ui, m);
	else if (k->fn == 0 && (k->ch == 'r' || k->ch == 'R')) {
		(void)kr_appliance_media_scan(ui->appliance);
		m->result[0] = '\0';
	}
	return KR_SCREEN_STAY;
}

/* What is at the media directory, with what to do about it. */
static int
draw_mounted(const struct kr_ui *ui, int y, int w)
{
	const struct kr_removable_mount *st =
	    kr_appliance_media_state(ui->appliance);
	char buf[1024], free_b[32], total_b[32];
	enum kr_ui_role role = KR_UI_GOOD;
	const char *dir = ui->cfg->nmedia ? ui->cfg->media[0] : "(none)";

	if (!st->mounted) {
		snprintf(buf, sizeof(buf), "Nothing is mounted at %s. Choose a "
		    "USB stick below and press Enter.", dir);
		return y + kr_ui_wrap(ui, y, 2, w, 2, KR_UI_WARN, buf, 1);
	}
	kr_ui_bytes(st->free_bytes, free_b, sizeof(free_b));
	kr_ui_bytes(st->total_bytes, total_b, sizeof(total_b));
	if (st->gone) {
		snprintf(buf, sizeof(buf), "%s was PULLED OUT while mounted at "
		    "%s: what was written since the last sync may be lost. "
		    "Press u to clear it, put the stick back, mount it and "
		    "check its outputs (the transcript with keyrite verify).",
		    st->source, dir);
		role = KR_UI_BAD;
	} else if (st->read_only) {
		snprintf(buf, sizeof(buf), "%s (%s) is mounted READ-ONLY at %s: "
		    "the stick refuses writes (a write-protect switch?). "
		    "Earlier records can be read; a ceremony cannot write here. "
		    "Unmount it (u), slide the switch or take another stick.",
		    st->source, st->fstype, dir);
		role = KR_UI_BAD;
	} else if (st->free_bytes < KR_REMOVABLE_MIN_FREE) {
		snprintf(buf, sizeof(buf), "%s (%s) at %s is FULL: %s free of "
		    "%s. Unmount it (u) and use another stick, or make room "
		    "on it elsewhere.", st->source, st->fstype, dir, free_b,
		    total_b);
		role = KR_UI_BAD;
	} else
		snprintf(buf, sizeof(buf), "%s (%s) is mounted at %s: %s free "
		    "of %s. Press u to unmount it before taking it out.",
		    st->source, st->fstype, dir, free_b, total_b);
	return y + kr_ui_wrap(ui, y, 2, w, 4, role, buf, 1);
}

static int
draw_list(const struct kr_ui *ui, const struct media_state *m, int y, int w)
{
	const struct kr_removable *d;
	size_t i, n = kr_appliance_media_count(ui->appliance), usable = 0;
	char size[32], what[256];
	enum kr_ui_role role;

	kr_ui_rule(ui, y++, 0, ui->cols, "USB STICKS");
	if (n == 0)
		return y + 1 + kr_ui_wrap(ui, y + 1, 2, w, 2, KR_UI_WARN, "No USB "
		    "stick found. Put one in: it appears here within a "
		    "second.", 1);
	for (i = 0; i < n && y < ui->rows - 6; i++) {
		d = kr_appliance_media(ui->appliance, i);
		kr_ui_bytes(d->size, size, sizeof(size));
		if (d->usable) {
			usable++;
			snprintf(what, sizeof(what), "%-6s %-16s %s%s%s", d->fstype,
			    d->label[0] ? d->label : "(no label)", d->vendor,
			    d->read_only ? "  READ-ONLY" : "", d->mountpoint[0] ?
			    "  mounted" : "");
		} else
			snprintf(what, sizeof(what), "%s", d->why);
		role = i == m->sel ? KR_UI_SELECTED : d->usable ? KR_UI_NORMAL :
		    KR_UI_DIM;
		if (i == m->sel)
			kr_ui_fill(ui, y, 2, ui->cols - 4, KR_UI_SELECTED);
		kr_ui_textf(ui, y++, 2, ui->cols - 4, role, "%s %-6s %9s  %s",
		    i == m->sel ? ">" : " ", d->name, size, what);
	}
	if (usable == 0)
		y += 1 + kr_ui_wrap(ui, y + 1, 2, w, 2, KR_UI_BAD, "No usable "
		    "partition: keyrite mounts FAT32, exFAT and ext4. Format a "
		    "stick on another computer, or use another one.", 1);
	return y;
}

static void
media_draw(const struct kr_ui *ui, const void *state)
{
	const struct media_state *m = state;
	int y = 2, w = ui->cols - 4;

	kr_ui_text(ui, y, 2, w, KR_UI_TITLE, "REMOVABLE MEDIA");
	y = draw_mounted(ui, y + 2, w);
	y = draw_list(ui, m, y + 1, w);
	if (m->result[0] != '\0')
		kr_ui_wrap(ui, ui->rows - 5, 2, w, 4, m->result_role,
		    m->result, 1);
	kr_ui_footer(ui, ui->utf8 ? "\xe2\x86\x91\xe2\x86\x93" : "Up/Down",
	    "choose", kr_ui_enter_ready(m->shown_ms) ? "Enter" : " ", "mount",
	    "u", "unmount", "r", "rescan", "Esc", "back", (const char *)NULL);
}

static void
media_free(void *state)
{
	(void)state;
}

const struct kr_screen_ops kr_ui_media_ops = {
	"media", media_init, media_key, media_draw, media_free
};
