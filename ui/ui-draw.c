/*
 * ui-draw.c: painting helpers every screen uses.
 *
 * Text comes from scripts, people and cards, so it is drawn character by
 * character: anything unprintable shows as '?', nothing reaches the
 * terminal as a control sequence.  Colours stand for roles (a heading, a
 * warning, the highlighted row); without colour (TERM=vt100) each role is
 * bold, reverse or underlined instead, so the screen stays unambiguous.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wctype.h>

#include "base/version.h"
#include "ui-int.h"

static int cursor_y = -1, cursor_x = -1;

enum { PAIR_HEADER = 1, PAIR_REHEARSAL, PAIR_REAL, PAIR_SELECTED,
	PAIR_GOOD, PAIR_BAD, PAIR_WARN, PAIR_FIELD, PAIR_KEY, PAIR_ROLE,
	PAIR_QR, PAIR_TITLE, PAIR_DIM };

void
kr_ui_colors_init(struct kr_ui *ui)
{
	attr_t *a = ui->attrs;
	short bg = COLOR_BLACK;

	a[KR_UI_NORMAL] = A_NORMAL;
	a[KR_UI_TITLE] = A_BOLD;
	a[KR_UI_HEADER] = A_REVERSE;
	a[KR_UI_REHEARSAL] = A_REVERSE | A_BOLD;
	a[KR_UI_REAL] = A_REVERSE | A_BOLD;
	a[KR_UI_SELECTED] = A_REVERSE;
	a[KR_UI_GOOD] = A_BOLD;
	a[KR_UI_BAD] = A_REVERSE | A_BOLD;
	a[KR_UI_WARN] = A_BOLD;
	a[KR_UI_FIELD] = A_UNDERLINE;
	a[KR_UI_KEY] = A_REVERSE;
	a[KR_UI_DIM] = A_NORMAL;
	a[KR_UI_ROLE] = A_BOLD | A_UNDERLINE;
	a[KR_UI_QR] = A_REVERSE;
	ui->color = 0;
	if (!has_colors() || start_color() != OK || COLORS < 8)
		return;
	if (use_default_colors() == OK)
		bg = -1;
	init_pair(PAIR_HEADER, COLOR_WHITE, COLOR_BLUE);
	init_pair(PAIR_REHEARSAL, COLOR_BLACK, COLOR_YELLOW);
	init_pair(PAIR_REAL, COLOR_WHITE, COLOR_RED);
	init_pair(PAIR_SELECTED, COLOR_BLACK, COLOR_CYAN);
	init_pair(PAIR_GOOD, COLOR_GREEN, bg);
	init_pair(PAIR_BAD, COLOR_WHITE, COLOR_RED);
	init_pair(PAIR_WARN, COLOR_YELLOW, bg);
	init_pair(PAIR_FIELD, COLOR_BLACK, COLOR_WHITE);
	init_pair(PAIR_KEY, COLOR_BLACK, COLOR_WHITE);
	init_pair(PAIR_ROLE, COLOR_CYAN, bg);
	init_pair(PAIR_QR, COLOR_BLACK, COLOR_WHITE);
	init_pair(PAIR_TITLE, COLOR_WHITE, bg);
	init_pair(PAIR_DIM, COLOR_WHITE, bg);
	a[KR_UI_TITLE] = COLOR_PAIR(PAIR_TITLE) | A_BOLD;
	a[KR_UI_HEADER] = COLOR_PAIR(PAIR_HEADER) | A_BOLD;
	a[KR_UI_REHEARSAL] = COLOR_PAIR(PAIR_REHEARSAL) | A_BOLD;
	a[KR_UI_REAL] = COLOR_PAIR(PAIR_REAL) | A_BOLD;
	a[KR_UI_SELECTED] = COLOR_PAIR(PAIR_SELECTED) | A_BOLD;
	a[KR_UI_GOOD] = COLOR_PAIR(PAIR_GOOD) | A_BOLD;
	a[KR_UI_BAD] = COLOR_PAIR(PAIR_BAD) | A_BOLD;
	a[KR_UI_WARN] = COLOR_PAIR(PAIR_WARN) | A_BOLD;
	a[KR_UI_FIELD] = COLOR_PAIR(PAIR_FIELD);
	a[KR_UI_KEY] = COLOR_PAIR(PAIR_KEY);
	a[KR_UI_DIM] = COLOR_PAIR(PAIR_DIM);
	a[KR_UI_ROLE] = COLOR_PAIR(PAIR_ROLE) | A_BOLD;
	a[KR_UI_QR] = COLOR_PAIR(PAIR_QR);
	ui->color = 1;
}

long long
kr_ui_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
kr_ui_enter_ready(long long shown_ms)
{
	return kr_ui_now_ms() - shown_ms >= KR_ENTER_GUARD_MS;
}

attr_t
kr_ui_attr(const struct kr_ui *ui, enum kr_ui_role role)
{
	return ui->attrs[role];
}

/* The next character of *sp as a printable wide character (or '?'). */
static wchar_t
next_char(const char **sp, int *widthp)
{
	mbstate_t ms;
	wchar_t wc;
	size_t n;
	int w;

	memset(&ms, 0, sizeof(ms));
	n = mbrtowc(&wc, *sp, MB_CUR_MAX, &ms);
	if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
		(*sp)++;
		wc = L'?';
	} else
		*sp += n;
	if (!iswprint((wint_t)wc) || (w = wcwidth(wc)) < 0) {
		wc = L'?';
		w = 1;
	}
	*widthp = w;
	return wc;
}

int
kr_ui_width(const char *text)
{
	int w, total = 0;

	while (*text != '\0') {
		(void)next_char(&text, &w);
		total += w;
	}
	return total;
}

/* Draws at most len bytes of s in at most w columns; returns columns. */
static int
put_n(int y, int x, int w, const char *s, size_t len)
{
	const char *end = s + len;
	wchar_t wc[2] = { 0, 0 };
	int cw, used = 0;

	move(y, x);
	while (s < end && *s != '\0') {
		wc[0] = next_char(&s, &cw);
		if (used + cw > w)
			break;
		addnwstr(wc, 1);
		used += cw;
	}
	return used;
}

int
kr_ui_text(const struct kr_ui *ui, int y, int x, int w,
    enum kr_ui_role role, const char *text)
{
	int used, tw;

	if (y < 0 || y >= ui->rows || x >= ui->cols || w <= 0)
		return 0;
	if (x + w > ui->cols)
		w = ui->cols - x;
	attrset(ui->attrs[role]);
	tw = kr_ui_width(text);
	if (tw <= w)
		used = put_n(y, x, w, text, strlen(text));
	else {
		used = put_n(y, x, w - 1, text, strlen(text));
		addstr(ui->utf8 ? "\xe2\x80\xa6" : ">");
		used++;
	}
	attrset(A_NORMAL);
	return used;
}

int
kr_ui_textf(const struct kr_ui *ui, int y, int x, int w,
    enum kr_ui_role role, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return kr_ui_text(ui, y, x, w, role, buf);
}

/* The bytes of the longest run of whole words from s that fits in w. */
static size_t
fit_words(const char *s, int w, const char **nextp)
{
	const char *p = s, *last_end = NULL, *last_next = NULL;
	int used = 0, cw;

	while (*p != '\0' && *p != '\n') {
		const char *q = p;

		(void)next_char(&q, &cw);
		if (used + cw > w)
			break;
		used += cw;
		p = q;
		if (*p == ' ' || *p == '\n' || *p == '\0') {
			last_end = p;
			last_next = p;
			while (*last_next == ' ')
				last_next++;
		}
	}
	if (*p == '\0' || *p == '\n') {
		*nextp = *p == '\n' ? p + 1 : p;
		return (size_t)(p - s);
	}
	if (last_end == NULL) {		/* one word longer than the line */
		*nextp = p;
		return (size_t)(p - s);
	}
	*nextp = last_next;
	return (size_t)(last_end - s);
}

size_t
kr_ui_fit(const char *s, int w, const char **nextp)
{
	size_t len = fit_words(s, w, nextp);

	if (*nextp == s && *s != '\0')	/* a character wider than w */
		(*nextp)++;
	return len;
}

int
kr_ui_wrap(const struct kr_ui *ui, int y, int x, int w, int maxrows,
    enum kr_ui_role role, const char *text, int draw)
{
	const char *s = text, *next;
	size_t len;
	int rows = 0;

	if (w <= 0)
		return 0;
	while (*s != '\0') {
		len = fit_words(s, w, &next);
		if (draw && rows < maxrows && y + rows < ui->rows) {
			attrset(ui->attrs[role]);
			put_n(y + rows, x, w, s, len);
			attrset(A_NORMAL);
		}
		rows++;
		if (next == s)		/* a character wider than w */
			next++;
		s = next;
	}
	return rows;
}

void
kr_ui_fill(const struct kr_ui *ui, int y, int x, int w, enum kr_ui_role role)
{
	if (y < 0 || y >= ui->rows)
		return;
	if (x + w > ui->cols)
		w = ui->cols - x;
	attrset(ui->attrs[role]);
	mvhline(y, x, ' ', w);
	attrset(A_NORMAL);
}

void
kr_ui_rule(const struct kr_ui *ui, int y, int x, int w, const char *title)
{
	int used = 0;

	if (y < 0 || y >= ui->rows)
		return;
	attrset(ui->attrs[KR_UI_DIM]);
	mvhline(y, x, ui->utf8 ? ACS_HLINE : '-', w);
	attrset(A_NORMAL);
	if (title != NULL && *title != '\0') {
		used = kr_ui_textf(ui, y, x + 2, w - 4, KR_UI_TITLE, " %s ",
		    title);
	}
	(void)used;
}

/* text above a bar filled done/total of w, with count after it. */
static void
bar(const struct kr_ui *ui, int y, int x, int w, const char *text,
    uint64_t done, uint64_t total, const char *count)
{
	int barw, fill, i, cw;

	kr_ui_text(ui, y, x, w, KR_UI_TITLE, text);
	cw = kr_ui_width(count);
	barw = w - cw - 3;
	if (barw < 4)
		return;
	fill = (int)((uint64_t)barw * done / total);
	move(y + 1, x);
	attrset(ui->attrs[KR_UI_GOOD]);
	for (i = 0; i < barw; i++) {
		if (ui->utf8)
			addstr(i < fill ? "\xe2\x96\x88" : "\xe2\x96\x91");
		else
			addch(i < fill ? '#' : '.');
	}
	attrset(A_NORMAL);
	kr_ui_text(ui, y + 1, x + barw + 2, cw + 1, KR_UI_TITLE, count);
}

void
kr_ui_progress(const struct kr_ui *ui, int y, int x, int w, const char *text,
    uint64_t done, uint64_t total)
{
	char count[48];

	if (total == 0)
		total = 1;
	if (done > total)
		done = total;
	if (total == 1) {
		/* One piece of work: no fraction to show, only that it runs. */
		kr_ui_text(ui, y, x, w, KR_UI_TITLE, text);
		kr_ui_text(ui, y + 1, x, w, KR_UI_WARN, done ? "Done." :
		    "Please wait: the appliance is working on it.");
		return;
	}
	snprintf(count, sizeof(count), "%llu of %llu",
	    (unsigned long long)done, (unsigned long long)total);
	bar(ui, y, x, w, text, done, total, count);
}

void
kr_ui_progress_bytes(const struct kr_ui *ui, int y, int x, int w,
    const char *text, uint64_t done, uint64_t total)
{
	const double mib = 1024.0 * 1024.0;
	char count[64];

	if (total == 0)
		total = 1;
	if (done > total)
		done = total;
	if (total >= 1024 * 1024)
		snprintf(count, sizeof(count), "%.1f of %.1f MiB %3u%%",
		    (double)done / mib, (double)total / mib,
		    (unsigned int)(done * 100 / total));
	else
		snprintf(count, sizeof(count), "%llu of %llu bytes",
		    (unsigned long long)done, (unsigned long long)total);
	bar(ui, y, x, w, text, done, total, count);
}

void
kr_ui_header(const struct kr_ui *ui)
{
	char clock[40], ctx[256];
	const char *badge;
	enum kr_ui_role brole;
	time_t now = time(NULL);
	struct tm tm;
	int x;

	gmtime_r(&now, &tm);
	strftime(clock, sizeof(clock), "%Y-%m-%d %H:%M:%S UTC", &tm);
	if (ui->cfg->rehearsal) {
		badge = " REHEARSAL ";
		brole = KR_UI_REHEARSAL;
	} else {
		badge = " REAL CEREMONY ";
		brole = KR_UI_REAL;
	}
	kr_ui_fill(ui, 0, 0, ui->cols, KR_UI_HEADER);
	x = kr_ui_text(ui, 0, 0, ui->cols, brole, badge);
	if (ui->run != NULL && ui->run->step > 0)
		snprintf(ctx, sizeof(ctx), " %s - step %zu of %zu",
		    ui->run->name, ui->run->step, ui->run->nsteps);
	else if (ui->run != NULL)
		snprintf(ctx, sizeof(ctx), " %s", ui->run->name);
	else
		snprintf(ctx, sizeof(ctx), " keyrite %s%s%s", KEYRITE_VERSION,
		    ui->context ? " - " : "", ui->context ? ui->context : "");
	kr_ui_text(ui, 0, x, ui->cols - x - (int)strlen(clock) - 2,
	    KR_UI_HEADER, ctx);
	kr_ui_text(ui, 0, ui->cols - (int)strlen(clock) - 1,
	    (int)strlen(clock), KR_UI_HEADER, clock);
}

void
kr_ui_footer(const struct kr_ui *ui, ...)
{
	const char *key, *what;
	va_list ap;
	int x = 1, y = ui->rows - 1;

	kr_ui_fill(ui, y, 0, ui->cols, KR_UI_NORMAL);
	va_start(ap, ui);
	while ((key = va_arg(ap, const char *)) != NULL) {
		what = va_arg(ap, const char *);
		if (x + kr_ui_width(key) + kr_ui_width(what) + 3 > ui->cols)
			break;
		x += kr_ui_textf(ui, y, x, ui->cols - x, KR_UI_KEY, " %s ",
		    key);
		x += kr_ui_textf(ui, y, x, ui->cols - x, KR_UI_NORMAL,
		    " %s  ", what);
	}
	va_end(ap);
}

/*
 * Hex digits for witnesses: a 3x5 dot font drawn with half blocks (three
 * rows) where the locale is UTF-8, else seven-segment style ASCII.  b and
 * d are lower case, as on seven-segment displays, so that no digit looks
 * like another.
 */
static const char *const font_dots[16] = {
	"111101101101111", "010110010010111", "111001111100111",
	"111001111001111", "101101111001001", "111100111001111",
	"111100111101111", "111001001001001", "111101111101111",
	"111101111001111", "111101111101101", "100100111101111",
	"111100100100111", "001001111101111", "111100111100111",
	"111100111100100",
};
static const char *const font_ascii[16][3] = {
	{ " _ ", "| |", "|_|" }, { "   ", "  |", "  |" },
	{ " _ ", " _|", "|_ " }, { " _ ", " _|", " _|" },
	{ "   ", "|_|", "  |" }, { " _ ", "|_ ", " _|" },
	{ " _ ", "|_ ", "|_|" }, { " _ ", "  |", "  |" },
	{ " _ ", "|_|", "|_|" }, { " _ ", "|_|", " _|" },
	{ " _ ", "|_|", "| |" }, { "   ", "|_ ", "|_|" },
	{ " _ ", "|  ", "|_ " }, { "   ", " _|", "|_|" },
	{ " _ ", "|_ ", "|_ " }, { " _ ", "|_ ", "|  " },
};

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void
big_digit(const struct kr_ui *ui, int y, int x, int v)
{
	static const char *const half[4] = { " ", "\xe2\x96\x80",
	    "\xe2\x96\x84", "\xe2\x96\x88" };
	int row, col, top, bot;

	for (row = 0; row < 3; row++) {
		move(y + row, x);
		for (col = 0; col < 3; col++) {
			if (!ui->utf8) {
				addch((chtype)(unsigned char)
				    font_ascii[v][row][col]);
				continue;
			}
			top = font_dots[v][(2 * row) * 3 + col] == '1';
			bot = 2 * row + 1 < 5 &&
			    font_dots[v][(2 * row + 1) * 3 + col] == '1';
			addstr(half[top | bot << 1]);
		}
	}
}

int
kr_ui_big_hex(const struct kr_ui *ui, int y, int x, enum kr_ui_role role,
    const char *hex)
{
	int v, x0 = x;

	attrset(ui->attrs[role]);
	for (; *hex != '\0'; hex++) {
		if ((v = hex_value(*hex)) < 0) {
			x += 2;
			continue;
		}
		if (x + 3 <= ui->cols && y + 3 <= ui->rows)
			big_digit(ui, y, x, v);
		x += 4;
	}
	attrset(A_NORMAL);
	return x - x0;
}

void
kr_ui_cursor_at(int y, int x)
{
	cursor_y = y;
	cursor_x = x;
}

void
kr_ui_cursor_apply(void)
{
	if (cursor_y < 0) {
		curs_set(0);
		return;
	}
	move(cursor_y, cursor_x);
	curs_set(1);
}

void
kr_ui_role_line(const struct kr_ui *ui, int y, int x, int w,
    const char *role, const char *actor)
{
	char up[32];
	size_t i;
	int used;

	for (i = 0; role != NULL && role[i] != '\0' && i < sizeof(up) - 1; i++)
		up[i] = (char)(role[i] >= 'a' && role[i] <= 'z' ?
		    role[i] - 'a' + 'A' : role[i]);
	up[i] = '\0';
	used = kr_ui_text(ui, y, x, w, KR_UI_ROLE, up);
	if (actor != NULL && *actor != '\0')
		kr_ui_text(ui, y, x + used + 1, w - used - 1, KR_UI_TITLE,
		    actor);
}
