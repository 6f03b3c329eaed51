/*
 * ui-transcript.c: the transcript viewer (F2 or Ctrl-T).
 *
 * Shows the transcript with its path and SHA-256 (what `sha256sum`
 * prints) at the top, and scrolls.  Records are laid out for reading:
 * the record's number, time, event and actor on one row, then each fact
 * on a row of its own with its value decoded (percent-encoding is for the
 * file; the screen shows "Ada Administrator", escaped if it holds
 * anything unprintable) and wrapped, the air-gap check's inventory as a
 * small table (interfaces, radios, USB devices, each allowed or not), and
 * the chain value dimmed.  r shows the file exactly as written instead,
 * long lines wrapped.  Scrolling counts screen rows, so End shows the
 * last record whole; the position is shown in the title row, never over
 * the footer.  It reads a snapshot through the lobby when opened; during
 * a ceremony, close and open it again to see new records.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/hex.h"
#include "base/text.h"
#include "ceremony/lobby.h"
#include "ui-int.h"

#define VALUE_MAX	(64 * 1024)

struct tv_row {
	char		*text;
	enum kr_ui_role	 role;
};

struct tv_state {
	const char	*path;
	char		*text;		/* the file, NUL-terminated */
	size_t		 len;
	struct tv_row	*rows;
	size_t		 nrows, cap;
	int		 width;		/* the rows were made for it */
	int		 raw;		/* r: as written */
	size_t		 top;
	char		 sha[65];
	char		 error[512];
};

static void
rows_free(struct tv_state *tv)
{
	size_t i;

	for (i = 0; i < tv->nrows; i++)
		free(tv->rows[i].text);
	free(tv->rows);
	tv->rows = NULL;
	tv->nrows = tv->cap = 0;
}

/* One screen row; a failed allocation leaves it out. */
static void
row_add(struct tv_state *tv, enum kr_ui_role role, const char *s, size_t len)
{
	struct tv_row *r;

	if (tv->nrows == tv->cap) {
		size_t cap = tv->cap ? 2 * tv->cap : 256;

		if ((r = reallocarray(tv->rows, cap, sizeof(*r))) == NULL)
			return;
		tv->rows = r;
		tv->cap = cap;
	}
	if ((tv->rows[tv->nrows].text = strndup(s, len)) == NULL)
		return;
	tv->rows[tv->nrows++].role = role;
}

/*
 * text word-wrapped into the viewer's width: the first row starts with
 * lead, the next ones with indent spaces.
 */
static void
rows_wrap(struct tv_state *tv, enum kr_ui_role role, const char *lead,
    int indent, const char *text)
{
	char buf[1024];
	const char *s = text, *next;
	int w, first = 1;
	size_t len;

	do {
		int pre = first ? kr_ui_width(lead) : indent;

		w = tv->width - pre;
		if (w < 8)
			w = 8;
		len = kr_ui_fit(s, w, &next);
		snprintf(buf, sizeof(buf), "%*s%s%.*s", first ? 0 : indent, "",
		    first ? lead : "", (int)len, s);
		row_add(tv, role, buf, strlen(buf));
		first = 0;
		s = next;
	} while (*s != '\0');
}

static void
rows_wrapf(struct tv_state *tv, enum kr_ui_role role, int indent,
    const char *lead, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void
rows_wrapf(struct tv_state *tv, enum kr_ui_role role, int indent,
    const char *lead, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	rows_wrap(tv, role, lead, indent, buf);
}

/* Percent-decodes v (len bytes): the bytes as written, not escaped. */
static char *
decode_raw(const char *v, size_t len)
{
	char *raw;
	size_t i, o = 0;
	unsigned int b;

	if ((raw = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		if (v[i] == '%' && i + 2 < len &&
		    sscanf(v + i + 1, "%2x", &b) == 1) {
			raw[o++] = (char)b;
			i += 2;
		} else
			raw[o++] = v[i];
	}
	raw[o] = '\0';
	return raw;
}

/* A decoded value for the screen: anything unprintable escaped. */
static char *
printable(const char *raw)
{
	size_t n = 4 * strlen(raw) + 1;
	char *out;

	if ((out = malloc(n)) != NULL)
		kr_printable(raw, out, n);
	return out;
}

/* --- the air-gap inventory (docs/airgap.md, keyrite.airgap.v1) --------- */

/* The end of the JSON value starting at p (an object, array or scalar). */
static const char *
json_skip(const char *p)
{
	int depth = 0, in_str = 0;

	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	for (; *p != '\0'; p++) {
		if (in_str) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '"')
				in_str = 0;
			continue;
		}
		if (*p == '"')
			in_str = 1;
		else if (*p == '{' || *p == '[')
			depth++;
		else if (*p == '}' || *p == ']') {
			if (--depth <= 0)
				return p + 1;
		} else if (depth == 0 && (*p == ',' || *p == '}' || *p == ']'))
			return p;
	}
	return p;
}

/*
 * The value of "key" among the members of the object [obj, end), at its
 * own level: a string (unquoted, escapes kept) or a word (true, 12).
 */
static void
json_member(const char *obj, const char *end, const char *key, char *out,
    size_t outlen)
{
	const char *p = obj + 1, *v, *e;
	size_t klen = strlen(key);

	out[0] = '\0';
	while (p < end && *p != '\0') {
		if (*p != '"') {
			p++;
			continue;
		}
		v = p + 1 + klen;
		if (strncmp(p + 1, key, klen) == 0 && v[0] == '"' &&
		    v[1] == ':') {
			v += 2;
			if (*v == '"') {
				for (e = v + 1; e < end && *e != '"'; e++)
					if (*e == '\\' && e + 1 < end)
						e++;
				snprintf(out, outlen, "%.*s", (int)(e - v - 1),
				    v + 1);
			} else {
				e = v + strcspn(v, ",}]");
				snprintf(out, outlen, "%.*s", (int)(e - v), v);
			}
			return;
		}
		/* Skip this member's name and its value. */
		p = strchr(p + 1, '"');
		if (p == NULL || p[1] != ':')
			return;
		p = json_skip(p + 2);
		if (*p == ',')
			p++;
	}
}

/* The array "key":[ ... ] at the object's top level, or NULL. */
static const char *
json_array(const char *json, const char *key)
{
	char pat[64];
	const char *p = json + 1, *e;

	snprintf(pat, sizeof(pat), "\"%s\":[", key);
	while (*p != '\0' && *p != '}') {
		if (strncmp(p, pat, strlen(pat)) == 0)
			return p + strlen(pat) - 1;
		if (*p != '"')
			return NULL;
		if ((e = strchr(p + 1, '"')) == NULL || e[1] != ':')
			return NULL;
		p = json_skip(e + 2);
		if (*p == ',')
			p++;
	}
	return NULL;
}

/* One table row per element of array key: name, allowed or not, why. */
static void
inventory_list(struct tv_state *tv, const char *json, const char *key,
    const char *label)
{
	const char *a = json_array(json, key), *p, *end;
	char name[160], ok[8], reason[256], vid[8], pid[8], product[128];
	char pname[4 * 160 + 1], preason[4 * 256 + 1];
	int n = 0;

	if (a == NULL)
		return;
	for (p = a + 1;; p = end + (*end == ',')) {
		p += strspn(p, " \t\r\n");
		if (*p != '{')
			break;
		end = json_skip(p);
		json_member(p, end, "name", name, sizeof(name));
		json_member(p, end, "ok", ok, sizeof(ok));
		json_member(p, end, "reason", reason, sizeof(reason));
		if (name[0] == '\0') {
			json_member(p, end, "vid", vid, sizeof(vid));
			json_member(p, end, "pid", pid, sizeof(pid));
			json_member(p, end, "product", product,
			    sizeof(product));
			snprintf(name, sizeof(name), "%s:%s %s", vid, pid,
			    product);
		}
		/* A device chose its strings: escaped before drawing. */
		kr_printable(name, pname, sizeof(pname));
		kr_printable(reason, preason, sizeof(preason));
		rows_wrapf(tv, strcmp(ok, "true") == 0 ? KR_UI_NORMAL :
		    KR_UI_BAD, 36, "", "      %-12s %-16s %-7s %s", n == 0 ?
		    label : "", pname, strcmp(ok, "true") == 0 ? "ok" :
		    "NOT OK", preason);
		n++;
	}
	if (n == 0)
		rows_wrapf(tv, KR_UI_NORMAL, 6, "", "      %-12s none", label);
}

static void
inventory_table(struct tv_state *tv, const char *json)
{
	char v[64], off[16], pv[4 * 64 + 1], poff[4 * 16 + 1];

	json_member(json, json + strlen(json), "verdict", v, sizeof(v));
	json_member(json, json + strlen(json), "offenders", off, sizeof(off));
	rows_wrapf(tv, KR_UI_NORMAL, 6, "", "    inventory: %s, %s "
	    "offender%s", kr_printable(v, pv, sizeof(pv)),
	    kr_printable(off, poff, sizeof(poff)), strcmp(off, "1") == 0 ?
	    "" : "s");
	inventory_list(tv, json, "interfaces", "interfaces");
	inventory_list(tv, json, "radios", "radios");
	inventory_list(tv, json, "usb", "USB devices");
}

/* --- records ------------------------------------------------------------- */

/* "12 2026-11-23T14:05:09Z event actor k=v ... chain=h" for reading. */
static void
record_rows(struct tv_state *tv, const char *line)
{
	const char *p = line, *sp, *eq;
	char head[4][80], *v;
	size_t len;
	int field = 0;

	memset(head, 0, sizeof(head));
	for (; *p != '\0' && field < 4; field++) {
		sp = p + strcspn(p, " ");
		snprintf(head[field], sizeof(head[0]), "%.*s", (int)(sp - p),
		    p);
		p = *sp == ' ' ? sp + 1 : sp;
	}
	/* 2026-11-23T14:05:09Z shows as 2026-11-23 14:05:09 */
	if (strlen(head[1]) == 20) {
		head[1][10] = ' ';
		head[1][19] = '\0';
	}
	rows_wrapf(tv, KR_UI_TITLE, 4, "", "#%s %s  %s  %s", head[0], head[1],
	    head[2], head[3]);
	while (*p != '\0') {
		sp = p + strcspn(p, " ");
		len = (size_t)(sp - p);
		if ((eq = memchr(p, '=', len)) != NULL &&
		    (v = decode_raw(eq + 1, len - (size_t)(eq + 1 - p))) !=
		    NULL) {
			char lead[80], *pv;

			snprintf(lead, sizeof(lead), "    %.*s: ",
			    (int)(eq - p), p);
			if (strncmp(p, "inventory=", 10) == 0 && v[0] == '{')
				inventory_table(tv, v);
			else if ((pv = printable(v)) != NULL) {
				rows_wrap(tv, strncmp(p, "chain=", 6) == 0 ?
				    KR_UI_DIM : KR_UI_NORMAL, lead, 8, pv);
				free(pv);
			}
			free(v);
		}
		p = *sp == ' ' ? sp + 1 : sp;
	}
}

static void
make_rows(struct tv_state *tv, int width)
{
	char *copy, *line, *next;

	rows_free(tv);
	tv->width = width;
	if (tv->text == NULL || (copy = strdup(tv->text)) == NULL)
		return;
	for (line = copy; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (*line == '\0')
			row_add(tv, KR_UI_NORMAL, "", 0);
		else if (tv->raw || *line < '0' || *line > '9')
			rows_wrap(tv, KR_UI_NORMAL, "", 4, line);
		else
			record_rows(tv, line);
	}
	free(copy);
}

static size_t
page_rows(const struct kr_ui *ui)
{
	return (size_t)(ui->rows > 7 ? ui->rows - 6 : 1);
}

static size_t
last_top(const struct kr_ui *ui, const struct tv_state *tv)
{
	return tv->nrows > page_rows(ui) ? tv->nrows - page_rows(ui) : 0;
}

static int
tv_init(struct kr_ui *ui, void *arg, void **statep)
{
	struct tv_state *tv;
	uint8_t h[32];

	(void)arg;
	if ((tv = calloc(1, sizeof(*tv))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "transcript viewer");
	tv->path = ui->transcript;
	if (kr_lobby_transcript(tv->path, &tv->text, &tv->len, h) != 0)
		snprintf(tv->error, sizeof(tv->error), "%s", kr_err_detail());
	else
		kr_hex_encode(h, sizeof(h), tv->sha, sizeof(tv->sha));
	make_rows(tv, ui->cols - 2);
	tv->top = last_top(ui, tv);
	*statep = tv;
	return 0;
}

static int
tv_key(struct kr_ui *ui, void *state, const struct kr_key *k)
{
	struct tv_state *tv = state;
	size_t page = page_rows(ui), last;

	/* A resized terminal: the rows are made again for its width. */
	if (tv->width != ui->cols - 2) {
		make_rows(tv, ui->cols - 2);
		if (tv->top > last_top(ui, tv))
			tv->top = last_top(ui, tv);
	}
	last = last_top(ui, tv);
	switch (k->fn) {
	case KEY_UP:
		if (tv->top > 0)
			tv->top--;
		break;
	case KEY_DOWN:
		if (tv->top < last)
			tv->top++;
		break;
	case KEY_PPAGE:
		tv->top = tv->top > page ? tv->top - page : 0;
		break;
	case KEY_NPAGE:
		tv->top = tv->top + page < last ? tv->top + page : last;
		break;
	case KEY_HOME:
		tv->top = 0;
		break;
	case KEY_END:
		tv->top = last;
		break;
	case KR_KEY_TICK:
		break;
	case KR_KEY_ESC:
	case KEY_ENTER:
	case KR_KEY_TRANSCRIPT:
	case KR_KEY_ABORT:
		return KR_SCREEN_BACK;
	default:
		if (k->fn == 0 && (k->ch == 'q' || k->ch == 'Q'))
			return KR_SCREEN_BACK;
		if (k->fn == 0 && (k->ch == 'r' || k->ch == 'R')) {
			tv->raw = !tv->raw;
			make_rows(tv, ui->cols - 2);
			tv->top = tv->top < last_top(ui, tv) ? tv->top :
			    last_top(ui, tv);
		}
	}
	return KR_SCREEN_STAY;
}

static void
tv_draw(const struct kr_ui *ui, const void *state)
{
	const struct tv_state *tv = state;
	char pos[48];
	size_t i, page = page_rows(ui);
	int y = 2, pw;

	snprintf(pos, sizeof(pos), "rows %zu-%zu of %zu", tv->nrows ?
	    tv->top + 1 : 0, tv->top + page < tv->nrows ? tv->top + page :
	    tv->nrows, tv->nrows);
	pw = (int)strlen(pos);
	kr_ui_textf(ui, y, 1, ui->cols - pw - 4, KR_UI_TITLE,
	    "TRANSCRIPT%s  %s", tv->raw ? " (as written)" : "", tv->path);
	kr_ui_text(ui, y++, ui->cols - pw - 1, pw, KR_UI_DIM, pos);
	if (tv->error[0] != '\0') {
		kr_ui_wrap(ui, y + 1, 1, ui->cols - 2, 4, KR_UI_BAD, tv->error,
		    1);
		kr_ui_footer(ui, "Esc", "back", (const char *)NULL);
		return;
	}
	kr_ui_textf(ui, y++, 1, ui->cols - 2, KR_UI_NORMAL, "SHA-256 %s",
	    tv->sha);
	kr_ui_rule(ui, y++, 0, ui->cols, NULL);
	for (i = tv->top; i < tv->nrows && i < tv->top + page; i++, y++)
		kr_ui_text(ui, y, 1, ui->cols - 2, tv->rows[i].role,
		    tv->rows[i].text);
	kr_ui_footer(ui, ui->utf8 ? "\xe2\x86\x91\xe2\x86\x93" : "Up/Down",
	    "scroll", "PgUp PgDn", "page", "Home End", "ends", "r",
	    tv->raw ? "readable" : "as written", "Esc", "back",
	    (const char *)NULL);
}

static void
tv_free(void *state)
{
	struct tv_state *tv = state;

	if (tv == NULL)
		return;
	rows_free(tv);
	free(tv->text);
	free(tv);
}

const struct kr_screen_ops kr_ui_transcript_ops = {
	"transcript", tv_init, tv_key, tv_draw, tv_free
};
