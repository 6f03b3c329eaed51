/*
 * ui-params.c: the Parameters screen.
 *
 * The chosen script's parameters with their values (the defaults until
 * someone edits them), and beside each the range or choices it takes,
 * narrowed by the policy (validity "1 to 9132" for a root), or what is
 * wrong with it.  The policy is checked after every edit with the same
 * kr_policy_check() the engine runs; each violation is shown beside the
 * parameters it is about (src/ceremony/lobby.h) and in full below.  The
 * field chosen is shown whole under the list: its full value (a long
 * subject), its range, and any error, wrapped, never cut.  A value
 * refused as typed stays on the screen, in red, with the reason, until it
 * is corrected; the value the ceremony would use is not shown as wrong.
 *
 * What the ceremony will need from outside is checked here too, every
 * second, so that a condition fixed without leaving the screen (the
 * media directory created, a package copied in) is seen at once: the
 * media directories, and the input files parameters name (an escrow
 * package, a certificate, a request, a revocation list, a previous CRL, a
 * release manifest, a status list: lobby.h), read and judged as the
 * engine will; Enter on such a parameter lists the matching files on the
 * media to choose from, and the one typed.
 * The row "previous" names the ceremony this one follows, recorded in its
 * transcript: by default the latest sealed transcript on the media about
 * the same key (for a drill, the package's key), which people may change.
 * A ceremony the policy refuses, or whose media or inputs are not
 * ready, cannot be started from here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "ceremony/lobby.h"
#include "ceremony/policy.h"
#include "ceremony/script.h"
#include "ui-int.h"

#define NAME_W		15
#define VALUE_W		30
#define FILES_MAX	64
#define CHECK_TICKS	4	/* media and inputs, every second */

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
	/* A problem found here last time is gone unless found again. */
	if (pp->blocked)
		pp->message[0] = '\0';
	pp->blocked = 0;
	if (kr_script_resolve(pp->script) != 0) {
		first_line(pp->message, sizeof(pp->message), kr_err_detail());
		pp->blocked = 1;
		return;
	}
	memset(&req, 0, sizeof(req));
	kr_script_policy_request(pp->script, &req);
	if (kr_policy_check(pp->policy, &req, &pp->violations,
	    &pp->nviolations) != 0 && pp->nviolations == 0) {
		first_line(pp->message, sizeof(pp->message), kr_err_detail());
		pp->blocked = 1;
	}
}

int
kr_ui_params_open(struct kr_ui_params *pp, const char *script_path,
    const char *policy_path)
{
	char path[4096];
	const char *slash;
	size_t i;
	int r;

	memset(pp, 0, sizeof(*pp));
	snprintf(pp->path, sizeof(pp->path), "%s", script_path);
	if ((r = kr_script_load(script_path, &pp->script)) != 0)
		return r;
	if ((pp->inputs = calloc(KR_SCRIPT_MAX_PARAMS,
	    sizeof(*pp->inputs))) == NULL ||
	    (pp->files = calloc(FILES_MAX, sizeof(*pp->files))) == NULL) {
		kr_ui_params_close(pp);
		return kr_err_set(KR_ERR_NOMEM, "parameters");
	}
	for (i = 0; i < pp->script->nparams && i < KR_SCRIPT_MAX_PARAMS; i++)
		pp->input_kind[i] = kr_lobby_param_input(pp->script, i);
	if (policy_path == NULL) {
		slash = strrchr(script_path, '/');
		snprintf(path, sizeof(path), "%.*s%spolicy.conf",
		    slash ? (int)(slash - script_path) : 0, script_path,
		    slash ? "/" : "");
		policy_path = path;
	}
	if (kr_policy_load(policy_path, &pp->policy) != 0) {
		first_line(pp->message, sizeof(pp->message), kr_err_detail());
		pp->blocked = 1;
	}
	check(pp);
	return 0;
}

void
kr_ui_params_close(struct kr_ui_params *pp)
{
	kr_policy_violations_free(pp->violations, pp->nviolations);
	kr_policy_free(pp->policy);
	kr_script_free(pp->script);
	free(pp->inputs);
	free(pp->files);
	memset(pp, 0, sizeof(*pp));
}

/* The rows: parameters, then "previous", then Start. */
static size_t
row_previous(const struct kr_ui_params *pp)
{
	return pp->script->nparams;
}

static size_t
row_start(const struct kr_ui_params *pp)
{
	return pp->script->nparams + 1;
}

/* The key the inputs are about (an escrow package's), or NULL. */
static const uint8_t *
inputs_key(const struct kr_ui_params *pp)
{
	size_t i;

	for (i = 0; i < pp->script->nparams; i++)
		if (pp->input_kind[i] == KR_LOBBY_INPUT_ESCROW &&
		    pp->inputs[i].has_key)
			return pp->inputs[i].key_id;
	return NULL;
}

/*
 * The media and the input files, as the ceremony will find them; and,
 * unless people chose one, the previous ceremony about the same key.
 */
static void
check_outside(const struct kr_ui *ui, struct kr_ui_params *pp)
{
	const char *const *dirs = (const char *const *)ui->cfg->media;
	struct kr_lobby_input_ctx ctx;
	size_t n = ui->cfg->nmedia, i;
	const uint8_t *key;
	const char *issuer = NULL;

	pp->media_problem[0] = '\0';
	if (n == 0)
		snprintf(pp->media_problem, sizeof(pp->media_problem), "none: "
		    "start keyrite with --media DIR");
	else if (kr_lobby_media_check(dirs, n) != 0)
		snprintf(pp->media_problem, sizeof(pp->media_problem), "%s",
		    kr_err_detail());
	for (i = 0; i < pp->script->nparams; i++)
		if (pp->input_kind[i] == KR_LOBBY_INPUT_ESCROW)
			kr_lobby_input_check(dirs, n, KR_LOBBY_INPUT_ESCROW,
			    pp->script->params[i].value, NULL, &pp->inputs[i]);
	memset(&ctx, 0, sizeof(ctx));
	ctx.want_key = key = inputs_key(pp);
	for (i = 0; i < pp->script->nparams; i++)
		if (pp->input_kind[i] == KR_LOBBY_INPUT_CERTIFICATE) {
			kr_lobby_input_check(dirs, n,
			    KR_LOBBY_INPUT_CERTIFICATE,
			    pp->script->params[i].value, &ctx, &pp->inputs[i]);
			if (pp->inputs[i].ok)
				issuer = pp->script->params[i].value;
		}
	/* The rest; a previous CRL is checked under the root's certificate. */
	ctx.want_key = NULL;
	ctx.issuer = issuer;
	for (i = 0; i < pp->script->nparams; i++)
		if (pp->input_kind[i] != KR_LOBBY_INPUT_NONE &&
		    pp->input_kind[i] != KR_LOBBY_INPUT_ESCROW &&
		    pp->input_kind[i] != KR_LOBBY_INPUT_CERTIFICATE) {
			ctx.optional = kr_lobby_param_optional(pp->script, i);
			kr_lobby_input_check(dirs, n, pp->input_kind[i],
			    pp->script->params[i].value, &ctx, &pp->inputs[i]);
		}
	if (!pp->previous_chosen && (key == NULL || kr_lobby_previous(dirs, n,
	    key, pp->previous, sizeof(pp->previous)) != 0))
		pp->previous[0] = '\0';
	kr_err_clear();
}

static int
params_init(struct kr_ui *ui, void *arg, void **statep)
{
	struct kr_ui_params *pp = arg;

	pp->editing = 0;
	pp->start = 0;
	pp->picking = 0;
	check_outside(ui, pp);
	*statep = pp;
	return 0;
}

static void
commit_value(struct kr_ui_params *pp, size_t i, const char *value)
{
	struct kr_script_param *pm = &pp->script->params[i];

	if (!pp->blocked)
		pp->message[0] = '\0';
	if (kr_script_set_param(pp->script, pm->name, value) != 0) {
		/* What was typed stays in sight, with why it was refused. */
		first_line(pp->problem[i], sizeof(pp->problem[0]),
		    kr_err_detail());
		snprintf(pp->typed[i], sizeof(pp->typed[0]), "%s", value);
		return;
	}
	pp->problem[i][0] = '\0';
	pp->typed[i][0] = '\0';
	pp->edited[i] = 1;
	check(pp);
}

static void
commit(struct kr_ui *ui, struct kr_ui_params *pp)
{
	char value[KR_SCRIPT_MAX_VALUE + 1];

	pp->editing = 0;
	if (kr_line_text(&pp->line, value, sizeof(value)) < 0) {
		snprintf(pp->problem[pp->sel], sizeof(pp->problem[0]),
		    "too long: at most %d bytes", KR_SCRIPT_MAX_VALUE);
		return;
	}
	commit_value(pp, pp->sel, value);
	check_outside(ui, pp);
}

/* Left and right step through a choice parameter's words. */
static void
cycle(struct kr_ui *ui, struct kr_ui_params *pp, int dir)
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
	commit(ui, pp);
}

/* What stops the ceremony from starting, or NULL. */
static const char *
not_ready(const struct kr_ui_params *pp)
{
	size_t i;

	if (pp->nviolations > 0)
		return "The policy refuses these parameters: fix the fields "
		    "marked first.";
	for (i = 0; i < pp->script->nparams; i++) {
		if (pp->problem[i][0] != '\0')
			return "A value typed was refused: correct the field "
			    "marked first.";
		if (pp->input_kind[i] != KR_LOBBY_INPUT_NONE &&
		    !pp->inputs[i].ok)
			return "An input file is missing or not usable: choose "
			    "it on the field marked (Enter lists the files on "
			    "the media).";
	}
	if (pp->media_problem[0] != '\0')
		return "The media are not ready: see Media below.";
	return NULL;
}

static int
try_start(struct kr_ui *ui, struct kr_ui_params *pp)
{
	const char *why;

	check_outside(ui, pp);
	/* The script or policy cannot be used: the message says why. */
	if (pp->policy == NULL || pp->blocked)
		return KR_SCREEN_STAY;
	if ((why = not_ready(pp)) != NULL) {
		snprintf(pp->message, sizeof(pp->message), "%s", why);
		return KR_SCREEN_STAY;
	}
	pp->message[0] = '\0';
	pp->start = 1;
	return KR_SCREEN_DONE;
}

/* Opens the list of files on the media for row (an input, previous). */
static void
pick_open(struct kr_ui *ui, struct kr_ui_params *pp, size_t row)
{
	const char *const *dirs = (const char *const *)ui->cfg->media;
	size_t i, n = ui->cfg->nmedia;

	pp->nfiles = 0;
	if (row == row_previous(pp))
		kr_lobby_sealed_transcripts(dirs, n, pp->files, FILES_MAX - 1,
		    &pp->nfiles);
	else
		kr_lobby_input_files(dirs, n, pp->input_kind[row],
		    pp->script->params[row].value, pp->files, FILES_MAX,
		    &pp->nfiles);
	kr_err_clear();
	pp->fsel = 0;
	for (i = 0; i < pp->nfiles; i++)
		if (row < pp->script->nparams ?
		    strcmp(pp->files[i], pp->script->params[row].value) == 0 :
		    strstr(pp->previous, pp->files[i]) != NULL)
			pp->fsel = i;
	pp->picking = row + 1;
}

static void
pick_done(struct kr_ui *ui, struct kr_ui_params *pp)
{
	size_t row = pp->picking - 1;

	pp->picking = 0;
	if (row == row_previous(pp)) {
		pp->previous_chosen = 1;
		if (pp->fsel >= pp->nfiles || !kr_lobby_media_path(
		    (const char *const *)ui->cfg->media, ui->cfg->nmedia,
		    pp->files[pp->fsel], pp->previous, sizeof(pp->previous)))
			pp->previous[0] = '\0';
		return;
	}
	if (pp->fsel < pp->nfiles) {
		commit_value(pp, row, pp->files[pp->fsel]);
		check_outside(ui, pp);
	}
}

static int
key_picking(struct kr_ui *ui, struct kr_ui_params *pp, const struct kr_key *k)
{
	/* Previous: one more row, "none". */
	size_t rows = pp->nfiles + (pp->picking - 1 == row_previous(pp));

	if (k->fn == KEY_UP && pp->fsel > 0)
		pp->fsel--;
	else if (k->fn == KEY_DOWN && pp->fsel + 1 < rows)
		pp->fsel++;
	else if (k->fn == KEY_ENTER && rows > 0)
		pick_done(ui, pp);
	else if (k->fn == KR_KEY_ESC || k->fn == KR_KEY_ABORT)
		pp->picking = 0;
	return KR_SCREEN_STAY;
}

static int
params_key(struct kr_ui *ui, void *state, const struct kr_key *k)
{
	struct kr_ui_params *pp = state;
	size_t n = pp->script->nparams;

	if (k->fn == KR_KEY_TICK) {
		if (++pp->ticks % CHECK_TICKS == 0)
			check_outside(ui, pp);
		return KR_SCREEN_STAY;
	}
	if (pp->picking)
		return key_picking(ui, pp, k);
	if (pp->editing) {
		if (k->fn == KEY_ENTER)
			commit(ui, pp);
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
		if (pp->sel < row_start(pp))
			pp->sel++;
		break;
	case KEY_HOME:
		pp->sel = 0;
		break;
	case KEY_END:
		pp->sel = row_start(pp);
		break;
	case 0:
		if (k->ch == 's' || k->ch == 'S')
			pp->sel = row_start(pp);
		else if ((k->ch == 'e' || k->ch == 'E') && pp->sel < n) {
			/* Type a name instead of choosing one. */
			kr_line_init(&pp->line, KR_SCRIPT_MAX_VALUE,
			    pp->typed[pp->sel][0] ? pp->typed[pp->sel] :
			    pp->script->params[pp->sel].value);
			pp->editing = 1;
		}
		break;
	case KEY_LEFT:
	case KEY_RIGHT:
		if (pp->sel < n)
			cycle(ui, pp, k->fn == KEY_RIGHT ? 1 : -1);
		break;
	case KEY_ENTER:
		if (pp->sel == row_start(pp))
			return try_start(ui, pp);
		if (pp->sel == row_previous(pp) ||
		    pp->input_kind[pp->sel] != KR_LOBBY_INPUT_NONE) {
			pick_open(ui, pp, pp->sel);
			break;
		}
		kr_line_init(&pp->line, KR_SCRIPT_MAX_VALUE,
		    pp->typed[pp->sel][0] ? pp->typed[pp->sel] :
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

/* What is wrong with parameter i (refused, policy, input), or NULL. */
static const char *
fault(const struct kr_ui_params *pp, size_t i)
{
	const char *v;

	if (pp->problem[i][0] != '\0')
		return pp->problem[i];
	if ((v = violation_for(pp, i)) != NULL)
		return v;
	if (pp->input_kind[i] != KR_LOBBY_INPUT_NONE && !pp->inputs[i].ok)
		return pp->inputs[i].verdict;
	return NULL;
}

static const char *
previous_name(const struct kr_ui_params *pp)
{
	const char *slash = strrchr(pp->previous, '/');

	if (pp->previous[0] == '\0')
		return "none";
	return slash ? slash + 1 : pp->previous;
}

static void
draw_param(const struct kr_ui *ui, const struct kr_ui_params *pp, size_t i,
    int y)
{
	const struct kr_script_param *pm = &pp->script->params[i];
	const char *bad = ui->utf8 ? "\xe2\x9c\x97" : "X", *f = fault(pp, i);
	char note[1024];
	int nx = 2 + NAME_W + VALUE_W + 2, nw = ui->cols - nx - 1;

	if (i == pp->sel)
		kr_ui_fill(ui, y, 1, NAME_W + 2, KR_UI_SELECTED);
	kr_ui_text(ui, y, 2, NAME_W, i == pp->sel ? KR_UI_SELECTED :
	    KR_UI_TITLE, pm->name);
	if (pp->editing && i == pp->sel)
		kr_line_draw(ui, &pp->line, y, 2 + NAME_W + 1, VALUE_W);
	else if (pp->typed[i][0] != '\0')
		kr_ui_text(ui, y, 2 + NAME_W + 1, VALUE_W, KR_UI_BAD,
		    pp->typed[i]);
	else
		kr_ui_text(ui, y, 2 + NAME_W + 1, VALUE_W, pp->edited[i] ?
		    KR_UI_WARN : KR_UI_NORMAL, pm->value);
	if (f != NULL) {
		snprintf(note, sizeof(note), "%s %s", bad, f);
		kr_ui_text(ui, y, nx, nw, KR_UI_BAD, note);
	} else if (pp->input_kind[i] != KR_LOBBY_INPUT_NONE) {
		snprintf(note, sizeof(note), "%s %s", ui->utf8 ?
		    "\xe2\x9c\x93" : "OK", pp->inputs[i].verdict);
		kr_ui_text(ui, y, nx, nw, KR_UI_GOOD, note);
	} else {
		kr_lobby_param_hint(pp->script, pp->policy, i, note,
		    sizeof(note));
		kr_ui_text(ui, y, nx, nw, KR_UI_DIM, note);
	}
}

/* The chosen row, whole: value, range, and what is wrong, wrapped. */
static int
draw_field(const struct kr_ui *ui, const struct kr_ui_params *pp, int y,
    int maxrows)
{
	const struct kr_script_param *pm;
	char hint[1024], title[96];
	const char *f;
	int w = ui->cols - 4, top = y, n;
	size_t i = pp->sel;

	if (i == row_start(pp) || maxrows < 2)
		return y;
	if (i == row_previous(pp)) {
		kr_ui_rule(ui, y++, 0, ui->cols, "previous");
		y += kr_ui_wrap(ui, y, 2, w, maxrows - 1, KR_UI_DIM, "The "
		    "ceremony this one follows, recorded in its transcript: "
		    "by default the latest sealed transcript on the media about "
		    "the same key. Enter chooses another, or none.", 1);
		return y;
	}
	pm = &pp->script->params[i];
	snprintf(title, sizeof(title), "%s", pm->name);
	kr_ui_rule(ui, y++, 0, ui->cols, title);
	n = kr_ui_wrap(ui, y, 2, w, 2, KR_UI_NORMAL, pm->value, 1);
	y += n < 2 ? n : 2;
	if ((f = fault(pp, i)) != NULL)
		n = kr_ui_wrap(ui, y, 2, w, maxrows - (y - top), KR_UI_BAD, f,
		    1);
	else if (pp->input_kind[i] != KR_LOBBY_INPUT_NONE)
		n = kr_ui_wrap(ui, y, 2, w, maxrows - (y - top), KR_UI_GOOD,
		    pp->inputs[i].verdict, 1);
	else {
		kr_lobby_param_hint(pp->script, pp->policy, i, hint,
		    sizeof(hint));
		n = kr_ui_wrap(ui, y, 2, w, maxrows - (y - top), KR_UI_DIM,
		    hint, 1);
	}
	return y + (n < maxrows - (y - top) ? n : maxrows - (y - top));
}

/* Rows draw_policy() needs. */
static int
policy_rows(const struct kr_ui *ui, const struct kr_ui_params *pp)
{
	char line[1024];
	size_t v;
	int rows = 2;

	if (!ui->cfg->rehearsal && !kr_lobby_health(ui->lobby)->airgapped)
		rows++;
	if (pp->message[0] != '\0')
		rows += kr_ui_wrap(ui, 0, 2, ui->cols - 4, 0, KR_UI_BAD,
		    pp->message, 0);
	rows += kr_ui_wrap(ui, 0, 10, ui->cols - 12, 0, KR_UI_BAD,
	    pp->media_problem[0] ? pp->media_problem : "ready", 0);
	for (v = 0; v < pp->nviolations; v++) {
		snprintf(line, sizeof(line), "- %s", pp->violations[v]);
		rows += kr_ui_wrap(ui, 0, 4, ui->cols - 6, 0, KR_UI_BAD, line,
		    0);
	}
	return rows;
}

static void
draw_policy(const struct kr_ui *ui, const struct kr_ui_params *pp, int y)
{
	char line[1024];
	size_t v;
	int bottom = ui->rows - 2;

	kr_ui_rule(ui, y++, 0, ui->cols, "POLICY AND MEDIA");
	if (!ui->cfg->rehearsal && !kr_lobby_health(ui->lobby)->airgapped)
		kr_ui_text(ui, y++, 2, ui->cols - 4, KR_UI_BAD, "This machine "
		    "is not air-gapped: a real ceremony stops at its air-gap "
		    "step.");
	if (pp->message[0] != '\0')
		y += kr_ui_wrap(ui, y, 2, ui->cols - 4, bottom - y, KR_UI_BAD,
		    pp->message, 1);
	kr_ui_text(ui, y, 2, 8, KR_UI_TITLE, "Media");
	y += kr_ui_wrap(ui, y, 10, ui->cols - 12, bottom - y,
	    pp->media_problem[0] ? KR_UI_BAD : KR_UI_GOOD,
	    pp->media_problem[0] ? pp->media_problem : "ready", 1);
	if (pp->policy == NULL || y > bottom)
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
	for (v = 0; v < pp->nviolations && y <= bottom; v++) {
		snprintf(line, sizeof(line), "- %s", pp->violations[v]);
		y += kr_ui_wrap(ui, y, 4, ui->cols - 6, bottom - y + 1,
		    KR_UI_BAD, line, 1);
	}
}

static void
draw_picker(const struct kr_ui *ui, const struct kr_ui_params *pp)
{
	size_t row = pp->picking - 1, i, rows;
	int prev = row == row_previous(pp), y = 2;
	char title[128];

	snprintf(title, sizeof(title), "CHOOSE %s", prev ? "THE PREVIOUS "
	    "CEREMONY" : pp->script->params[row].name);
	kr_ui_text(ui, y++, 2, ui->cols - 4, KR_UI_TITLE, title);
	y += kr_ui_wrap(ui, y, 2, ui->cols - 4, 2, KR_UI_NORMAL, prev ? "The "
	    "sealed transcripts on the media, newest first." : "The files of "
	    "this kind on the media.", 1);
	kr_ui_rule(ui, y++, 0, ui->cols, "ON THE MEDIA");
	rows = pp->nfiles + (size_t)prev;
	if (rows == 0)
		kr_ui_text(ui, y, 4, ui->cols - 6, KR_UI_BAD, "None: copy the "
		    "file onto the medium (the screen sees it at once), or Esc "
		    "and type the name with e.");
	for (i = 0; i < rows && y < ui->rows - 2; i++, y++) {
		if (i == pp->fsel)
			kr_ui_fill(ui, y, 2, ui->cols - 4, KR_UI_SELECTED);
		kr_ui_textf(ui, y, 2, ui->cols - 4, i == pp->fsel ?
		    KR_UI_SELECTED : KR_UI_NORMAL, "%s %s", i == pp->fsel ?
		    ">" : " ", i < pp->nfiles ? pp->files[i] : "none");
	}
	kr_ui_footer(ui, ui->utf8 ? "\xe2\x86\x91\xe2\x86\x93" : "Up/Down",
	    "choose", "Enter", "take this one", "Esc", "back",
	    (const char *)NULL);
}

static void
params_draw(const struct kr_ui *ui, const void *state)
{
	const struct kr_ui_params *pp = state;
	const struct kr_script *s = pp->script;
	char title[256];
	size_t i;
	int y = 2;

	if (pp->picking) {
		draw_picker(ui, pp);
		return;
	}
	kr_ui_text(ui, y++, 2, ui->cols - 4, KR_UI_TITLE, s->name);
	/* At 80x25 the rows go to the fields: the description is on Home. */
	if (ui->rows >= 30)
		y += kr_ui_wrap(ui, y, 2, ui->cols - 4, 2, KR_UI_NORMAL,
		    s->description ? s->description : "", 1) > 1 ? 2 : 1;
	else
		kr_ui_text(ui, y++, 2, ui->cols - 4, KR_UI_NORMAL,
		    s->description ? s->description : "");
	snprintf(title, sizeof(title), "PARAMETERS - key class %s",
	    s->key_class ? s->key_class : "none");
	kr_ui_rule(ui, y++, 0, ui->cols, title);
	for (i = 0; i < s->nparams && y < ui->rows - 9; i++)
		draw_param(ui, pp, i, y++);
	if (pp->sel == row_previous(pp))
		kr_ui_fill(ui, y, 1, NAME_W + 2, KR_UI_SELECTED);
	kr_ui_text(ui, y, 2, NAME_W, pp->sel == row_previous(pp) ?
	    KR_UI_SELECTED : KR_UI_TITLE, "previous");
	kr_ui_text(ui, y, 2 + NAME_W + 1, ui->cols - NAME_W - 4,
	    pp->previous_chosen ? KR_UI_WARN : KR_UI_NORMAL,
	    previous_name(pp));
	y++;
	if (pp->sel == row_start(pp))
		kr_ui_fill(ui, y, 1, 26, KR_UI_SELECTED);
	kr_ui_text(ui, y++, 2, 24, pp->sel == row_start(pp) ?
	    KR_UI_SELECTED : KR_UI_TITLE, "[ Start the ceremony ]");
	/* The policy and media get what they need; the field the rest. */
	y = draw_field(ui, pp, y, ui->rows - 1 - y - policy_rows(ui, pp));
	draw_policy(ui, pp, y);
	if (pp->editing)
		kr_ui_footer(ui, "Enter", "keep this value", "Esc", "cancel",
		    (const char *)NULL);
	else if (pp->sel < s->nparams &&
	    pp->input_kind[pp->sel] != KR_LOBBY_INPUT_NONE)
		kr_ui_footer(ui, ui->utf8 ? "\xe2\x86\x91\xe2\x86\x93" :
		    "Up/Down", "choose", "Enter", "files on the media", "e",
		    "type a name", "s", "go to Start", "Esc", "back",
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
