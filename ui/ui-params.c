/*
 * ui-params.c: the Parameters screen.
 *
 * The chosen script's parameters with their values (the defaults until
 * someone edits them), the range or choices each takes, and, next to each
 * field, what the policy says about it: the policy is checked after every
 * edit, before anything starts, with the same kr_policy_check() the
 * engine runs, and each violation is shown beside the parameters it is
 * about (src/ceremony/lobby.h) and in full below.  A ceremony the policy refuses
 * cannot be started from here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "ceremony/lobby.h"
#include "ceremony/policy.h"
#include "ceremony/script.h"
#include "ui-int.h"

#define NAME_W	15
#define VALUE_W	30

static void
first_line(char *out, size_t outlen, const char *s)
{
	snprintf(out, outlen, "%.*s", (int)strcspn(s, "\n"), s);
}

static void
check(struct kr_ui_params *pp)
{
	struct kr_policy_request req;

	kr_policy_violations_free(pp->violations, pp->nviolations);
	pp->violations = NULL;
	pp->nviolations = 0;
	if (pp->policy == NULL)
		return;
	if (kr_script_resolve(pp->script) != 0) {
		first_line(pp->message, sizeof(pp->message), kr_err_detail());
		return;
	}
	memset(&req, 0, sizeof(req));
	kr_script_policy_request(pp->script, &req);
	if (kr_policy_check(pp->policy, &req, &pp->violations,
	    &pp->nviolations) != 0 && pp->nviolations == 0)
		first_line(pp->message, sizeof(pp->message), kr_err_detail());
}

int
kr_ui_params_open(struct kr_ui_params *pp, const char *script_path,
    const char *policy_path)
{
	char path[4096];
	const char *slash;
	int r;

	memset(pp, 0, sizeof(*pp));
	snprintf(pp->path, sizeof(pp->path), "%s", script_path);
	if ((r = kr_script_load(script_path, &pp->script)) != 0)
		return r;
	if (policy_path == NULL) {
		slash = strrchr(script_path, '/');
		snprintf(path, sizeof(path), "%.*s%spolicy.conf",
		    slash ? (int)(slash - script_path) : 0, script_path,
		    slash ? "/" : "");
		policy_path = path;
	}
	if (kr_policy_load(policy_path, &pp->policy) != 0)
		first_line(pp->message, sizeof(pp->message), kr_err_detail());
	check(pp);
	return 0;
}

void
kr_ui_params_close(struct kr_ui_params *pp)
{
	kr_policy_violations_free(pp->violations, pp->nviolations);
	kr_policy_free(pp->policy);
	kr_script_free(pp->script);
	memset(pp, 0, sizeof(*pp));
}

static int
params_init(struct kr_ui *ui, void *arg, void **statep)
{
	struct kr_ui_params *pp = arg;

	(void)ui;
	pp->editing = 0;
	pp->start = 0;
	*statep = pp;
	return 0;
}

static void
commit(struct kr_ui_params *pp)
{
	struct kr_script_param *pm = &pp->script->params[pp->sel];
	char value[KR_SCRIPT_MAX_VALUE + 1];

	pp->editing = 0;
	if (kr_line_text(&pp->line, value, sizeof(value)) < 0) {
		snprintf(pp->problem[pp->sel], sizeof(pp->problem[0]),
		    "too long");
		return;
	}
	if (pp->policy != NULL)
		pp->message[0] = '\0';
	if (kr_script_set_param(pp->script, pm->name, value) != 0) {
		first_line(pp->problem[pp->sel], sizeof(pp->problem[0]),
		    kr_err_detail());
		return;
	}
	pp->problem[pp->sel][0] = '\0';
	pp->edited[pp->sel] = 1;
	check(pp);
}

/* Left and right step through a choice parameter's words. */
static void
cycle(struct kr_ui_params *pp, int dir)
{
	struct kr_script_param *pm = &pp->script->params[pp->sel];
	size_t i;

	if (pm->type != KR_SCRIPT_CHOICE || pm->nchoices == 0)
		return;
	for (i = 0; i < pm->nchoices; i++)
		if (strcmp(pm->choices[i], pm->value) == 0)
			break;
	i = i >= pm->nchoices ? 0 : (i + pm->nchoices + (size_t)(dir > 0 ? 1 :
	    pm->nchoices - 1)) % pm->nchoices;
	kr_line_init(&pp->line, KR_SCRIPT_MAX_VALUE, pm->choices[i]);
	commit(pp);
}

static int
try_start(struct kr_ui *ui, struct kr_ui_params *pp)
{
	if (pp->policy == NULL || pp->message[0] != '\0')
		return KR_SCREEN_STAY;
	if (pp->nviolations > 0) {
		snprintf(pp->message, sizeof(pp->message), "The policy refuses "
		    "these parameters: fix the fields marked first.");
		return KR_SCREEN_STAY;
	}
	if (ui->cfg->nmedia == 0) {
		snprintf(pp->message, sizeof(pp->message), "No output media: "
		    "start keyrite with --media DIR.");
		return KR_SCREEN_STAY;
	}
	pp->start = 1;
	return KR_SCREEN_DONE;
}

static int
params_key(struct kr_ui *ui, void *state, const struct kr_key *k)
{
	struct kr_ui_params *pp = state;
	size_t n = pp->script->nparams;

	if (k->fn == KR_KEY_TICK)
		return KR_SCREEN_STAY;
	if (pp->editing) {
		if (k->fn == KEY_ENTER)
			commit(pp);
		else if (k->fn == KR_KEY_ESC || k->fn == KR_KEY_ABORT)
			pp->editing = 0;
		else
			kr_line_key(&pp->line, k);
		return KR_SCREEN_STAY;
	}
	switch (k->fn) {
	case KEY_UP:
		if (pp->sel > 0)
			pp->sel--;
		break;
	case KEY_DOWN:
		if (pp->sel < n)
			pp->sel++;
		break;
	case KEY_HOME:
		pp->sel = 0;
		break;
	case KEY_END:
		pp->sel = n;
		break;
	case 0:
		if (k->ch == 's' || k->ch == 'S')
			pp->sel = n;
		break;
	case KEY_LEFT:
	case KEY_RIGHT:
		if (pp->sel < n)
			cycle(pp, k->fn == KEY_RIGHT ? 1 : -1);
		break;
	case KEY_ENTER:
		if (pp->sel == n)
			return try_start(ui, pp);
		kr_line_init(&pp->line, KR_SCRIPT_MAX_VALUE,
		    pp->script->params[pp->sel].value);
		pp->editing = 1;
		break;
	case KR_KEY_ESC:
	case KR_KEY_ABORT:
		return KR_SCREEN_BACK;
	}
	return KR_SCREEN_STAY;
}

/* The first violation about parameter i, or NULL. */
static const char *
violation_for(const struct kr_ui_params *pp, size_t i)
{
	size_t idx[KR_SCRIPT_MAX_PARAMS], n, v, j;

	for (v = 0; v < pp->nviolations; v++) {
		n = kr_lobby_violation_params(pp->script, pp->violations[v],
		    idx, KR_SCRIPT_MAX_PARAMS);
		for (j = 0; j < n; j++)
			if (idx[j] == i)
				return pp->violations[v];
	}
	return NULL;
}

static void
hint(const struct kr_script_param *pm, char *out, size_t outlen)
{
	size_t i, used = 0;

	out[0] = '\0';
	if (pm->type == KR_SCRIPT_INTEGER)
		snprintf(out, outlen, "%lld to %lld", pm->min, pm->max);
	else if (pm->type == KR_SCRIPT_CHOICE)
		for (i = 0; i < pm->nchoices && used < outlen; i++)
			used += (size_t)snprintf(out + used, outlen - used,
			    "%s%s", i ? " " : "<> ", pm->choices[i]);
}

static void
draw_param(const struct kr_ui *ui, const struct kr_ui_params *pp, size_t i,
    int y)
{
	const struct kr_script_param *pm = &pp->script->params[i];
	const char *v = violation_for(pp, i);
	const char *bad = ui->utf8 ? "\xe2\x9c\x97" : "X";
	char note[512];
	int nx = 2 + NAME_W + VALUE_W + 2, nw = ui->cols - nx - 1;

	if (i == pp->sel)
		kr_ui_fill(ui, y, 1, NAME_W + 2, KR_UI_SELECTED);
	kr_ui_text(ui, y, 2, NAME_W, i == pp->sel ? KR_UI_SELECTED :
	    KR_UI_TITLE, pm->name);
	if (pp->editing && i == pp->sel)
		kr_line_draw(ui, &pp->line, y, 2 + NAME_W + 1, VALUE_W);
	else
		kr_ui_text(ui, y, 2 + NAME_W + 1, VALUE_W, pp->edited[i] ?
		    KR_UI_WARN : KR_UI_NORMAL, pm->value);
	if (pp->problem[i][0] != '\0') {
		snprintf(note, sizeof(note), "%s %s", bad, pp->problem[i]);
		kr_ui_text(ui, y, nx, nw, KR_UI_BAD, note);
	} else if (v != NULL) {
		snprintf(note, sizeof(note), "%s %s", bad, v);
		kr_ui_text(ui, y, nx, nw, KR_UI_BAD, note);
	} else {
		hint(pm, note, sizeof(note));
		kr_ui_text(ui, y, nx, nw, KR_UI_DIM, note);
	}
}

static void
draw_policy(const struct kr_ui *ui, const struct kr_ui_params *pp, int y)
{
	char line[1024];
	size_t v;
	int bottom = ui->rows - 2;

	kr_ui_rule(ui, y++, 0, ui->cols, "POLICY");
	if (!ui->cfg->rehearsal && !kr_lobby_health(ui->lobby)->airgapped)
		kr_ui_text(ui, y++, 2, ui->cols - 4, KR_UI_BAD, "This machine "
		    "is not air-gapped: a real ceremony stops at its air-gap "
		    "step.");
	if (pp->message[0] != '\0')
		y += kr_ui_wrap(ui, y, 2, ui->cols - 4, bottom - y, KR_UI_BAD,
		    pp->message, 1);
	if (pp->policy == NULL)
		return;
	if (pp->nviolations == 0) {
		kr_ui_textf(ui, y, 2, ui->cols - 4, KR_UI_GOOD, "%s policy %s "
		    "allows this ceremony.", ui->utf8 ? "\xe2\x9c\x93" : "OK",
		    pp->policy->name);
		return;
	}
	kr_ui_textf(ui, y++, 2, ui->cols - 4, KR_UI_BAD, "Policy %s refuses "
	    "this ceremony (%zu reason%s):", pp->policy->name,
	    pp->nviolations, pp->nviolations == 1 ? "" : "s");
	for (v = 0; v < pp->nviolations && y < bottom; v++) {
		snprintf(line, sizeof(line), "- %s", pp->violations[v]);
		y += kr_ui_wrap(ui, y, 4, ui->cols - 6, bottom - y, KR_UI_BAD,
		    line, 1);
	}
}

static void
params_draw(const struct kr_ui *ui, const void *state)
{
	const struct kr_ui_params *pp = state;
	const struct kr_script *s = pp->script;
	char title[256];
	size_t i;
	int y = 2;

	kr_ui_text(ui, y++, 2, ui->cols - 4, KR_UI_TITLE, s->name);
	y += kr_ui_wrap(ui, y, 2, ui->cols - 4, 2, KR_UI_NORMAL,
	    s->description ? s->description : "", 1) > 1 ? 2 : 1;
	snprintf(title, sizeof(title), "PARAMETERS - key class %s",
	    s->key_class ? s->key_class : "none");
	kr_ui_rule(ui, ++y, 0, ui->cols, title);
	y++;
	for (i = 0; i < s->nparams && y < ui->rows - 6; i++)
		draw_param(ui, pp, i, y++);
	y++;
	if (pp->sel == s->nparams)
		kr_ui_fill(ui, y, 1, 26, KR_UI_SELECTED);
	kr_ui_text(ui, y, 2, 24, pp->sel == s->nparams ? KR_UI_SELECTED :
	    KR_UI_TITLE, "[ Start the ceremony ]");
	draw_policy(ui, pp, y + 2);
	if (pp->editing)
		kr_ui_footer(ui, "Enter", "keep this value", "Esc", "cancel",
		    (const char *)NULL);
	else
		kr_ui_footer(ui, ui->utf8 ? "\xe2\x86\x91\xe2\x86\x93" :
		    "Up/Down", "choose", "Enter", "edit / start", ui->utf8 ?
		    "\xe2\x86\x90\xe2\x86\x92" : "<>", "change choice", "s",
		    "go to Start", "Esc", "back", (const char *)NULL);
}

static void
params_free(void *state)
{
	(void)state;
}

const struct kr_screen_ops kr_ui_params_ops = {
	"parameters", params_init, params_key, params_draw, params_free
};
