/*
 * ui-clock.c: setting the clock at the start of a ceremony.
 *
 * The appliance has no network time, so every record's time is the
 * hardware clock's.  The administrator compares the clock with a trusted
 * watch and, if it is wrong, types the right time in UTC.  The engine sets
 * it (ceremony/appliance.h) and the next ceremony's transcript records
 * the change ("machine" record: clock-was, clock-set-to).
 */
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "ceremony/appliance.h"
#include "ui-int.h"

struct clock_state {
	struct kr_line		 line;
	char			 error[512];
	long long		 shown_ms;
	int			 touched;	/* a key has edited the line */
	struct kr_ui_home	*home;		/* for the notice, or NULL */
};

static struct clock_state clk;

static int
clock_init(struct kr_ui *ui, void *arg, void **statep)
{
	char now[KR_CLOCK_TEXT_BYTES];

	(void)ui;
	memset(&clk, 0, sizeof(clk));
	clk.home = arg;
	kr_clock_format(kr_clock_now(), now, sizeof(now));
	kr_line_init(&clk.line, KR_CLOCK_TEXT_BYTES - 1, now);
	clk.shown_ms = kr_ui_now_ms();
	*statep = &clk;
	return 0;
}

static int
clock_key(struct kr_ui *ui, void *state, const struct kr_key *k)
{
	struct clock_state *c = state;
	struct kr_clock_change chg;
	char text[64], was[KR_CLOCK_TEXT_BYTES], to[KR_CLOCK_TEXT_BYTES];

	if (k->fn == KR_KEY_TICK)
		return KR_SCREEN_STAY;
	if (k->fn == KR_KEY_ESC)
		return KR_SCREEN_BACK;
	if (k->fn != KEY_ENTER) {
		/* The first character typed replaces the time shown. */
		if (!c->touched && k->fn == 0)
			kr_line_init(&c->line, KR_CLOCK_TEXT_BYTES - 1, NULL);
		c->touched = 1;
		if (kr_line_key(&c->line, k))
			c->error[0] = '\0';
		return KR_SCREEN_STAY;
	}
	if (!kr_ui_enter_ready(c->shown_ms))
		return KR_SCREEN_STAY;
	if (kr_line_text(&c->line, text, sizeof(text)) < 0 ||
	    kr_appliance_clock_set(ui->appliance, text, &chg) != 0) {
		snprintf(c->error, sizeof(c->error), "%s", kr_err_detail());
		return KR_SCREEN_STAY;
	}
	kr_clock_format(chg.before, was, sizeof(was));
	kr_clock_format(chg.after, to, sizeof(to));
	if (c->home != NULL)
		snprintf(c->home->notice, sizeof(c->home->notice), "Clock set "
		    "from %s to %s UTC%s%s. The next ceremony's transcript "
		    "records it.", was, to, chg.rtc ? "" : "; the hardware "
		    "clock was not: ", chg.rtc ? "" : chg.rtc_error);
	return KR_SCREEN_DONE;
}

static void
clock_draw(const struct kr_ui *ui, const void *state)
{
	const struct clock_state *c = state;
	char now[KR_CLOCK_TEXT_BYTES + 4];
	int y = 2, w = ui->cols - 4;

	kr_ui_text(ui, y, 2, w, KR_UI_TITLE, "SET THE CLOCK");
	y += 2;
	y += kr_ui_wrap(ui, y, 2, w, 5, KR_UI_NORMAL, "This appliance has no "
	    "network time: its clock is what the hardware clock says, and "
	    "every record of the transcript carries that time. Compare it "
	    "with a trusted watch. If it is wrong, type the right time, in "
	    "UTC, and press Enter. The change is recorded in the next "
	    "ceremony's transcript.", 1);
	y++;
	kr_clock_format(kr_clock_now(), now, sizeof(now));
	strncat(now, " UTC", sizeof(now) - strlen(now) - 1);
	kr_ui_text(ui, y, 2, 14, KR_UI_TITLE, "Now");
	kr_ui_text(ui, y++, 16, w - 14, KR_UI_NORMAL, now);
	y++;
	kr_ui_text(ui, y, 2, 14, KR_UI_TITLE, "New time");
	kr_line_draw(ui, &c->line, y, 16, KR_CLOCK_TEXT_BYTES + 1);
	kr_ui_text(ui, y++, 16 + KR_CLOCK_TEXT_BYTES + 2, w - 36, KR_UI_DIM,
	    "YYYY-MM-DD HH:MM:SS, UTC");
	if (c->error[0] != '\0')
		kr_ui_wrap(ui, y + 1, 2, w, 4, KR_UI_BAD, c->error, 1);
	if (kr_ui_enter_ready(c->shown_ms))
		kr_ui_footer(ui, "Enter", "set the clock", "Esc",
		    "back, unchanged", (const char *)NULL);
	else
		kr_ui_footer(ui, "Esc", "back, unchanged", (const char *)NULL);
}

static void
clock_free(void *state)
{
	(void)state;
}

const struct kr_screen_ops kr_ui_clock_ops = {
	"clock", clock_init, clock_key, clock_draw, clock_free
};
