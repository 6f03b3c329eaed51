/*
 * ui-ask.c: the Runner screen.
 *
 * Left, the script's steps with the current one highlighted; right, the
 * step's title, who acts (the role in capitals, then the name), the
 * instruction the administrator reads aloud, and the action area: what
 * the engine asks now (acknowledge, type a name, choose, confirm) or, while
 * the machine works, the progress and any notice.  Below, the last
 * records of the transcript as they are written.
 *
 * Irreversible confirmations need a typed word, never a single key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui-int.h"

#define STEPS_W		22
#define PANE_MIN	6

static int
ask_init(struct kr_ui *ui, void *arg, void **statep)
{
	struct kr_ui_ask *st = arg;
	const struct kr_prompt *p = st->p;

	(void)ui;
	st->shown_ms = kr_ui_now_ms();
	if (p != NULL && (p->kind == KR_PROMPT_TEXT ||
	    p->kind == KR_PROMPT_CONFIRM))
		kr_line_init(&st->line, p->kind == KR_PROMPT_TEXT ?
		    p->max_len : 64, NULL);
	*statep = st;
	return 0;
}

/* The word a typed confirmation needs, or NULL for a yes/no one. */
static const char *
typed_word(const struct kr_prompt *p)
{
	if (p->expect != NULL)
		return p->expect;
	return p->irreversible ? "YES" : NULL;
}

static int
answer_text(struct kr_ui_ask *st, const char *text)
{
	if ((st->a->text = strdup(text)) == NULL) {
		snprintf(st->error, sizeof(st->error), "out of memory");
		return KR_SCREEN_STAY;
	}
	st->a->len = strlen(text);
	return KR_SCREEN_DONE;
}

static int
key_text(struct kr_ui_ask *st, const struct kr_key *k)
{
	char text[KR_LINE_MAX * 4 + 1], *t;
	int n;

	if (k->fn != KEY_ENTER) {
		if (kr_line_key(&st->line, k))
			st->error[0] = '\0';
		return KR_SCREEN_STAY;
	}
	if ((n = kr_line_text(&st->line, text, sizeof(text))) < 0) {
		snprintf(st->error, sizeof(st->error), "That is too long.");
		return KR_SCREEN_STAY;
	}
	/* Spaces around a name are a slip of the thumb, not part of it. */
	while (n > 0 && text[n - 1] == ' ')
		text[--n] = '\0';
	for (t = text; *t == ' '; t++)
		n--;
	if (n == 0 && !st->p->optional) {
		snprintf(st->error, sizeof(st->error), "An answer is needed "
		    "here.");
		return KR_SCREEN_STAY;
	}
	return answer_text(st, t);
}

static int
key_confirm(struct kr_ui_ask *st, const struct kr_key *k)
{
	const char *word = typed_word(st->p);
	char text[KR_LINE_MAX * 4 + 1];

	if (word == NULL) {
		if (k->fn != 0 || (k->ch != 'y' && k->ch != 'Y' &&
		    k->ch != 'n' && k->ch != 'N'))
			return KR_SCREEN_STAY;
		st->a->yes = k->ch == 'y' || k->ch == 'Y';
		return answer_text(st, st->a->yes ? "yes" : "no");
	}
	if (k->fn != KEY_ENTER) {
		if (kr_line_key(&st->line, k))
			st->error[0] = '\0';
		return KR_SCREEN_STAY;
	}
	if (kr_line_text(&st->line, text, sizeof(text)) < 0 ||
	    strcmp(text, word) != 0) {
		snprintf(st->error, sizeof(st->error), "To confirm, type %s "
		    "exactly.", word);
		return KR_SCREEN_STAY;
	}
	st->a->yes = 1;
	return answer_text(st, text);
}

static int
ask_key(struct kr_ui *ui, void *state, const struct kr_key *k)
{
	struct kr_ui_ask *st = state;
	const struct kr_prompt *p = st->p;

	(void)ui;
	if (p == NULL || k->fn == KR_KEY_TICK ||
	    (k->fn == KEY_ENTER && !kr_ui_enter_ready(st->shown_ms)))
		return KR_SCREEN_STAY;
	switch (p->kind) {
	case KR_PROMPT_INFO:
		return k->fn == KEY_ENTER ? KR_SCREEN_DONE : KR_SCREEN_STAY;
	case KR_PROMPT_TEXT:
		return key_text(st, k);
	case KR_PROMPT_CONFIRM:
		return key_confirm(st, k);
	case KR_PROMPT_CHOICE:
		if (k->fn == KEY_UP && st->choice > 0)
			st->choice--;
		else if (k->fn == KEY_DOWN && st->choice + 1 < p->nchoices)
			st->choice++;
		else if (k->fn == KEY_ENTER && p->nchoices > 0) {
			st->a->choice = st->choice;
			return answer_text(st, p->choices[st->choice]);
		}
		return KR_SCREEN_STAY;
	default:
		return KR_SCREEN_STAY;
	}
}

static void
draw_steps(const struct kr_ui *ui, const struct kr_run *run, int top,
    int bottom)
{
	const char *mark;
	size_t i, first = 0, rows = (size_t)(bottom - top);
	int y;

	if (run->step > rows)
		first = run->step - rows;
	for (i = first, y = top; i < run->nsteps && y < bottom; i++, y++) {
		switch (run->state[i]) {
		case KR_STEP_DONE:
			mark = ui->utf8 ? "\xe2\x9c\x93" : "+";
			break;
		case KR_STEP_CURRENT:
			mark = ui->utf8 ? "\xe2\x96\xb6" : ">";
			break;
		case KR_STEP_FAILED:
			mark = ui->utf8 ? "\xe2\x9c\x97" : "X";
			break;
		default:
			mark = " ";
		}
		if (run->state[i] == KR_STEP_CURRENT ||
		    run->state[i] == KR_STEP_FAILED)
			kr_ui_fill(ui, y, 0, STEPS_W, run->state[i] ==
			    KR_STEP_FAILED ? KR_UI_BAD : KR_UI_SELECTED);
		kr_ui_textf(ui, y, 0, STEPS_W, run->state[i] ==
		    KR_STEP_CURRENT ? KR_UI_SELECTED : run->state[i] ==
		    KR_STEP_FAILED ? KR_UI_BAD : run->state[i] ==
		    KR_STEP_DONE ? KR_UI_NORMAL : KR_UI_DIM, "%s%3zu %s", mark,
		    i + 1, run->verbs[i]);
	}
}

static void
draw_pane(const struct kr_ui *ui, const struct kr_run *run, int top)
{
	size_t n = run->ntail < KR_RUN_TAIL ? run->ntail : KR_RUN_TAIL;
	size_t rows = (size_t)(ui->rows - 1 - (top + 1)), i, first;
	int y = top + 1;

	kr_ui_rule(ui, top, 0, ui->cols, "TRANSCRIPT");
	first = n > rows ? n - rows : 0;
	for (i = first; i < n; i++, y++)
		kr_ui_text(ui, y, 1, ui->cols - 2, KR_UI_DIM,
		    run->tail[(run->ntail - n + i) % KR_RUN_TAIL]);
}

/* Rows the action area needs for st. */
static int
action_rows(const struct kr_ui *ui, const struct kr_ui_ask *st, int w)
{
	const struct kr_prompt *p = st->p;
	const struct kr_run *run = ui->run;
	int rows = 1;

	if (run->notice[0] != '\0')
		rows += kr_ui_wrap(ui, 0, 0, w, 0, KR_UI_WARN, run->notice, 0);
	if (p == NULL)
		return rows + (run->progress_on ? 2 : 1);
	if (p->kind == KR_PROMPT_CHOICE)
		return rows + (int)p->nchoices + 2;
	if (p->kind == KR_PROMPT_INFO)
		return rows + 1;
	return rows + kr_ui_wrap(ui, 0, 0, w, 0, KR_UI_NORMAL,
	    p->text ? p->text : "", 0) + 2;
}

static void
draw_prompt(const struct kr_ui *ui, const struct kr_ui_ask *st, int y, int x,
    int w)
{
	const struct kr_prompt *p = st->p;
	const char *word;
	size_t i;

	if (p->kind == KR_PROMPT_INFO) {
		kr_ui_text(ui, y, x, w, KR_UI_NORMAL,
		    kr_ui_enter_ready(st->shown_ms) ? "Read this aloud. When "
		    "everyone is ready, press Enter." : "Read this aloud.");
		return;
	}
	y += kr_ui_wrap(ui, y, x, w, 4, KR_UI_TITLE, p->text ? p->text : "",
	    1);
	if (p->kind == KR_PROMPT_CHOICE) {
		for (i = 0; i < p->nchoices; i++, y++)
			kr_ui_textf(ui, y, x, w, i == st->choice ?
			    KR_UI_SELECTED : KR_UI_NORMAL, " %s %s ",
			    i == st->choice ? ">" : " ", p->choices[i]);
	} else if (p->kind == KR_PROMPT_CONFIRM &&
	    (word = typed_word(p)) == NULL) {
		kr_ui_text(ui, y++, x, w, KR_UI_NORMAL, "Press y for yes, n "
		    "for no.");
	} else {
		if (p->kind == KR_PROMPT_CONFIRM)
			kr_ui_textf(ui, y++, x, w, KR_UI_WARN, "Type %s and "
			    "press Enter.", word);
		kr_ui_text(ui, y, x, 2, KR_UI_TITLE, ">");
		kr_line_draw(ui, &st->line, y++, x + 2, w > 62 ? 60 : w - 2);
	}
	if (st->error[0] != '\0')
		kr_ui_text(ui, y, x, w, KR_UI_BAD, st->error);
	else if (p->kind == KR_PROMPT_TEXT && p->optional)
		kr_ui_text(ui, y, x, w, KR_UI_DIM, "(may be left empty)");
}

static void
draw_action(const struct kr_ui *ui, const struct kr_ui_ask *st, int y,
    int x, int w)
{
	const struct kr_run *run = ui->run;
	const struct kr_prompt *p = st->p;

	kr_ui_rule(ui, y++, x, w, p == NULL ? "WORKING" :
	    p->kind == KR_PROMPT_INFO ? "READ ALOUD" : p->title ? p->title :
	    "");
	if (run->notice[0] != '\0')
		y += kr_ui_wrap(ui, y, x, w, 3, KR_UI_WARN, run->notice, 1);
	if (p != NULL)
		draw_prompt(ui, st, y, x, w);
	else if (run->progress_on && run->progress_bytes)
		kr_ui_progress_bytes(ui, y, x, w, run->progress_text,
		    run->progress_done, run->progress_total);
	else if (run->progress_on)
		kr_ui_progress(ui, y, x, w, run->progress_text,
		    run->progress_done, run->progress_total);
	else
		kr_ui_text(ui, y, x, w, KR_UI_DIM, "The appliance is working.");
}

static void
draw_title(const struct kr_ui *ui, const struct kr_run *run, int y, int x,
    int w)
{
	char title[64];
	size_t i;

	if (run->step == 0 || run->step > run->nsteps) {
		kr_ui_text(ui, y, x, w, KR_UI_TITLE, "STARTING");
		return;
	}
	for (i = 0; run->verbs[run->step - 1][i] != '\0' &&
	    i < sizeof(title) - 1; i++) {
		char c = run->verbs[run->step - 1][i];

		title[i] = c == '-' ? ' ' : c >= 'a' && c <= 'z' ?
		    (char)(c - 'a' + 'A') : c;
	}
	title[i] = '\0';
	kr_ui_textf(ui, y, x, w, KR_UI_TITLE, "STEP %zu OF %zu   %s",
	    run->step, run->nsteps, title);
}

static void
ask_draw(const struct kr_ui *ui, const void *state)
{
	const struct kr_ui_ask *st = state;
	const struct kr_run *run = ui->run;
	const struct kr_prompt *p = st->p;
	int pane = ui->rows >= 30 ? ui->rows - 19 : PANE_MIN;
	int pane_top = ui->rows - 2 - pane, x = STEPS_W + 2;
	int w = ui->cols - x - 1, act, y;

	draw_steps(ui, run, 2, pane_top - 1);
	draw_title(ui, run, 2, x, w);
	kr_ui_role_line(ui, 3, x, w, p && p->role ? p->role : run->role,
	    p ? p->actor : NULL);
	act = pane_top - 1 - action_rows(ui, st, w);
	y = 5;
	if (act > y)
		kr_ui_wrap(ui, y, x, w, act - 1 - y, KR_UI_TITLE, run->say, 1);
	draw_action(ui, st, act > 4 ? act : 4, x, w);
	draw_pane(ui, run, pane_top);
	if (p == NULL)
		kr_ui_footer(ui, "F10", "abort (asked at the next prompt)",
		    (const char *)NULL);
	else if ((p->kind == KR_PROMPT_INFO || p->kind == KR_PROMPT_TEXT ||
	    p->kind == KR_PROMPT_CHOICE || typed_word(p) != NULL) &&
	    kr_ui_enter_ready(st->shown_ms))
		kr_ui_footer(ui, "Enter", p->kind == KR_PROMPT_INFO ?
		    "continue" : "record the answer", "F2", "transcript", "F3",
		    "QR", "F10", "abort", (const char *)NULL);
	else if (p->kind != KR_PROMPT_CONFIRM || typed_word(p) != NULL)
		kr_ui_footer(ui, "F2", "transcript", "F3", "QR", "F10",
		    "abort", (const char *)NULL);
	else
		kr_ui_footer(ui, "y", "yes", "n", "no", "F2", "transcript",
		    "F3", "QR", "F10", "abort", (const char *)NULL);
}

static void
ask_free(void *state)
{
	(void)state;
}

const struct kr_screen_ops kr_ui_runner_ops = {
	"runner", ask_init, ask_key, ask_draw, ask_free
};
