/*
 * script-parse.c: the ceremony script line parser.
 *
 * A script is read line by line.  Each line is split into tokens: bare
 * words (which may hold NAME=VALUE), quoted strings, and NAME="quoted"
 * arguments.  A line starting in column 1 is a statement (ceremony,
 * description, key-class, param, step); a line indented by exactly two
 * spaces belongs to the step above it (role, say).  Values are stored as
 * written; script.c expands and checks them when it resolves.
 *
 * What can be checked from the text alone is checked here, with the
 * column of the offending token: names, duplicates, order, roles, and
 * that a parameter used whole as an argument can only take values of the
 * argument's type.  PINs and PKCS#11 modules are refused by name.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "policy.h"
#include "script-int.h"

#define MAX_TOKENS	(KR_SCRIPT_MAX_CHOICES + 8)
#define MAX_PARAM_NAME	32

static const char *const keywords[] = { "ceremony", "description",
	"key-class", "param", "step" };
static const char *const body_keywords[] = { "role", "say" };
static const char *const type_names[] = { "string", "integer", "choice" };

/* Name components that mean a secret or a machine-specific setting. */
static const char *const forbidden[] = { "pin", "pins", "puk", "sopin",
	"module", "modules", "slot", "slots", "password", "passphrase",
	"pkcs11" };

/* 1 if name, split at '-' and '_', has a component naming a secret. */
static int
is_forbidden(const char *name, size_t len)
{
	const char *p = name, *end = name + len, *q;
	size_t i;

	while (p < end) {
		for (q = p; q < end && *q != '-' && *q != '_'; q++)
			;
		for (i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++)
			if (strlen(forbidden[i]) == (size_t)(q - p) &&
			    strncasecmp(forbidden[i], p, (size_t)(q - p)) == 0)
				return 1;
		p = q + 1;
	}
	return 0;
}

/* lower-case letters, digits and sep, starting with a letter or digit. */
static int
is_name(const char *s, size_t len, size_t max, int sep, int digit_first)
{
	size_t i;

	if (len == 0 || len > max ||
	    !((s[0] >= 'a' && s[0] <= 'z') || (digit_first && s[0] >= '0' &&
	    s[0] <= '9')))
		return 0;
	for (i = 1; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == sep))
			return 0;
	return 1;
}

/* --- the parser ---------------------------------------------------------- */

enum tok_kind { TK_WORD, TK_STRING, TK_ARGSTR };

struct token {
	enum tok_kind	 kind;
	const char	*p;	/* the whole token */
	size_t		 len;
	const char	*eq;	/* the first '=', or NULL */
	const char	*v;	/* TK_STRING, TK_ARGSTR: inside the quotes */
	size_t		 vlen;
};

struct parser {
	const char			*text, *end;
	struct kr_script		*s;
	struct kr_script_where		 w;	/* this line, column 1 */
	int				 phase;	/* 0, header, params, steps */
	size_t				 desc_line, class_line, step_line;
	const struct kr_script_verb	*verb;	/* of the open step */
	struct kr_script_step		*step;	/* the open step, or NULL */
	size_t				 role_line;
	size_t				 ceremony_line;
};

/* An error at pointer at in the current line. */
#define PERR(ps, at, hint, ...) \
	kr_script_werr(&(ps)->w, (at), (hint), __VA_ARGS__)
/* "did you mean ...?" for token t among n candidates c, into buf[]. */
#define SUGGEST(buf, t, c, n, what) \
	kr_script_suggest((buf), sizeof(buf), (t)->p, (t)->len, (c), (n), \
	    (what))
/* printf arguments for "%.*s" of a token, at most 64 bytes. */
#define TOKFMT(t)	(int)((t)->len > 64 ? 64 : (t)->len), (t)->p

static int
tokeq(const struct token *t, const char *word)
{
	return t->kind == TK_WORD && t->len == strlen(word) &&
	    memcmp(t->p, word, t->len) == 0;
}

static char *
tokdup(const char *p, size_t len)
{
	char *d;

	if ((d = malloc(len + 1)) != NULL) {
		memcpy(d, p, len);
		d[len] = '\0';
	}
	return d;
}

/* Finds the closing quote of the string opening at p, or fails. */
static int
scan_quoted(struct parser *ps, const char *p, const char *eol,
    const char **closep)
{
	const char *q;

	for (q = p + 1; q < eol; q++) {
		if (*q == '\\' && q + 1 < eol)
			q++;
		else if (*q == '"') {
			*closep = q;
			return 0;
		}
	}
	return PERR(ps, p, "close it with '\"' on the same line",
	    "unterminated string");
}

static int
scan_token(struct parser *ps, const char *p, const char *eol,
    struct token *t)
{
	const char *q;
	int r;

	memset(t, 0, sizeof(*t));
	t->p = p;
	if (*p == '"') {
		if ((r = scan_quoted(ps, p, eol, &q)) != 0)
			return r;
		t->kind = TK_STRING;
	} else {
		for (q = p; q < eol && *q != ' ' && *q != '"'; q++)
			if (*q == '=' && t->eq == NULL)
				t->eq = q;
		t->len = (size_t)(q - p);
		if (q == eol || *q != '"')
			return 0;
		if (t->eq == NULL || q != t->eq + 1)
			return PERR(ps, q, "quote a whole value: \"...\" or "
			    "NAME=\"...\"", "unexpected '\"'");
		p = q;
		if ((r = scan_quoted(ps, p, eol, &q)) != 0)
			return r;
		t->kind = TK_ARGSTR;
	}
	t->v = p + 1;
	t->vlen = (size_t)(q - p - 1);
	t->len = (size_t)(q + 1 - t->p);
	if (q + 1 < eol && q[1] != ' ')
		return PERR(ps, q + 1, NULL,
		    "expected a space after the closing quote");
	return 0;
}

static int
tokenize(struct parser *ps, const char *p, const char *eol,
    struct token *toks, size_t *np)
{
	size_t n = 0;
	int r;

	while (p < eol) {
		if (*p == ' ') {
			p++;
			continue;
		}
		if (*p == '#')
			return PERR(ps, p, "put the comment on a line of its "
			    "own", "a comment must be on a line of its own");
		if (n == MAX_TOKENS)
			return PERR(ps, p, NULL, "more than %d words on one "
			    "line", MAX_TOKENS);
		if ((r = scan_token(ps, p, eol, &toks[n])) != 0)
			return r;
		p += toks[n++].len;
	}
	*np = n;
	return 0;
}

/* Fails unless t is a bare word (keywords, names, numbers). */
static int
need_word(struct parser *ps, const struct token *t, const char *what)
{
	if (t->kind == TK_WORD)
		return 0;
	return PERR(ps, t->p, NULL, "%s must not be quoted", what);
}

static int
need_count(struct parser *ps, const struct token *t, size_t n, size_t want,
    const char *usage)
{
	if (n < want)
		return PERR(ps, t[n - 1].p + t[n - 1].len, usage,
		    "'%.*s' needs %s", TOKFMT(&t[0]),
		    want - n == 1 ? "a value" : "more values");
	if (n > want)
		return PERR(ps, t[want].p, usage, "unexpected '%.*s'",
		    TOKFMT(&t[want]));
	return 0;
}

static int
forbidden_err(struct parser *ps, const char *p, size_t len)
{
	return PERR(ps, p, NULL, "'%.*s': " KR_SCRIPT_NO_SECRETS,
	    (int)(len > 64 ? 64 : len), p);
}

/* A string value (description, default, say) expanded into *outp. */
static int
token_value(struct parser *ps, const struct token *t, int refs,
    size_t max, char **outp)
{
	struct kr_script_where w = ps->w;

	if (t->kind == TK_ARGSTR)
		return PERR(ps, t->eq + 1, NULL, "unexpected '\"'");
	w.base = t->kind == TK_STRING ? t->v : t->p;
	w.column = kr_script_column(ps->w.base, w.base);
	return kr_script_expand(&w, w.base, t->kind == TK_STRING ? t->vlen :
	    t->len, refs ? ps->s : NULL, max, outp);
}

static int
parse_ceremony(struct parser *ps, const struct token *t, size_t n)
{
	int r;

	if (ps->phase != 0)
		return PERR(ps, t[0].p, NULL, "duplicate 'ceremony' (first at "
		    "line %zu)", ps->ceremony_line);
	if ((r = need_count(ps, t, n, 2, "write: ceremony NAME")) != 0 ||
	    (r = need_word(ps, &t[1], "the ceremony name")) != 0)
		return r;
	if (!is_name(t[1].p, t[1].len, KR_SCRIPT_MAX_NAME, '-', 1))
		return PERR(ps, t[1].p, "a ceremony name is lower-case "
		    "letters, digits and '-'", "invalid ceremony name '%.*s'",
		    TOKFMT(&t[1]));
	if ((ps->s->name = tokdup(t[1].p, t[1].len)) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "parsing %s", ps->w.source);
	ps->ceremony_line = ps->w.line;
	ps->phase = 1;
	return 0;
}

static int
parse_description(struct parser *ps, const struct token *t, size_t n)
{
	int r;

	if (ps->desc_line != 0)
		return PERR(ps, t[0].p, NULL, "duplicate 'description' (first "
		    "at line %zu)", ps->desc_line);
	if ((r = need_count(ps, t, n, 2, "write: description \"...\"")) != 0)
		return r;
	if (t[1].kind != TK_STRING)
		return PERR(ps, t[1].p, "write: description \"...\"",
		    "the description must be a quoted string");
	if ((r = token_value(ps, &t[1], 0, KR_SCRIPT_MAX_VALUE,
	    &ps->s->description)) != 0)
		return r;
	ps->desc_line = ps->w.line;
	return 0;
}

static int
parse_key_class(struct parser *ps, const struct token *t, size_t n)
{
	const char *names[KR_POLICY_NCLASSES], *c;
	char hint[512];
	size_t i, nc = 0;
	int r;

	if (ps->class_line != 0)
		return PERR(ps, t[0].p, NULL, "duplicate 'key-class' (first "
		    "at line %zu)", ps->class_line);
	if ((r = need_count(ps, t, n, 2, "write: key-class CLASS")) != 0 ||
	    (r = need_word(ps, &t[1], "the key class")) != 0)
		return r;
	/* "key-class ${name}": a choice parameter, checked at the end. */
	if (t[1].len > 3 && t[1].p[0] == '$' && t[1].p[1] == '{' &&
	    t[1].p[t[1].len - 1] == '}') {
		if (!is_name(t[1].p + 2, t[1].len - 3, MAX_PARAM_NAME, '_', 0))
			return PERR(ps, t[1].p + 2, NULL, "invalid parameter "
			    "name '%.*s'", (int)(t[1].len - 3), t[1].p + 2);
		if ((ps->s->key_class_param = tokdup(t[1].p + 2,
		    t[1].len - 3)) == NULL)
			return kr_err_set(KR_ERR_NOMEM, "parsing %s",
			    ps->w.source);
		ps->class_line = ps->w.line;
		return 0;
	}
	for (i = 0; (c = kr_policy_class_name_at(i)) != NULL &&
	    nc < KR_POLICY_NCLASSES; i++) {
		names[nc++] = c;
		if (strlen(c) == t[1].len && memcmp(c, t[1].p, t[1].len) == 0)
			break;
	}
	if (c == NULL)
		return PERR(ps, t[1].p, SUGGEST(hint, &t[1], names, nc,
		    "key classes"), "unknown key class '%.*s'",
		    TOKFMT(&t[1]));
	if ((ps->s->key_class = strdup(c)) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "parsing %s", ps->w.source);
	ps->class_line = ps->w.line;
	return 0;
}

/* Parses "LO..HI" into pm. */
static int
parse_range(struct parser *ps, const struct token *t,
    struct kr_script_param *pm)
{
	const char *dots;

	if (t->kind != TK_WORD || (dots = memchr(t->p, '.', t->len)) == NULL ||
	    dots + 1 == t->p + t->len || dots[1] != '.' ||
	    (pm->min = kr_script_uint(t->p, (size_t)(dots - t->p))) < 0 ||
	    (pm->max = kr_script_uint(dots + 2,
	    (size_t)(t->p + t->len - dots - 2))) < 0)
		return PERR(ps, t->p, "write the range as LO..HI, e.g. 1..255",
		    "invalid range '%.*s'", TOKFMT(t));
	if (pm->min > pm->max)
		return PERR(ps, t->p, NULL, "empty range: %lld is more than "
		    "%lld", pm->min, pm->max);
	return 0;
}

static int
parse_choices(struct parser *ps, const struct token *t, size_t n,
    struct kr_script_param *pm)
{
	size_t i, j;

	if (n == 0)
		return PERR(ps, t[-1].p + t[-1].len, "list the choices: choice "
		    "a b c default a", "a choice parameter needs choices");
	if (n > KR_SCRIPT_MAX_CHOICES)
		return PERR(ps, t[KR_SCRIPT_MAX_CHOICES].p, NULL, "more than "
		    "%d choices", KR_SCRIPT_MAX_CHOICES);
	if ((pm->choices = calloc(n, sizeof(*pm->choices))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "parsing %s", ps->w.source);
	for (i = 0; i < n; i++) {
		for (j = 0; j < t[i].len && kr_script_word_char(t[i].p[j]); j++)
			;
		if (t[i].kind != TK_WORD || j != t[i].len)
			return PERR(ps, t[i].p, "choices are letters, digits, "
			    "'.', '_' and '-'", "invalid choice '%.*s'",
			    TOKFMT(&t[i]));
		for (j = 0; j < i; j++)
			if (strlen(pm->choices[j]) == t[i].len &&
			    memcmp(pm->choices[j], t[i].p, t[i].len) == 0)
				return PERR(ps, t[i].p, NULL, "duplicate "
				    "choice '%.*s'", TOKFMT(&t[i]));
		if ((pm->choices[i] = tokdup(t[i].p, t[i].len)) == NULL)
			return kr_err_set(KR_ERR_NOMEM, "parsing %s",
			    ps->w.source);
		pm->nchoices++;
		if (kr_script_is_module(pm->choices[i]))
			return PERR(ps, t[i].p, NULL, "'%s' looks like a "
			    "PKCS#11 module: " KR_SCRIPT_NO_SECRETS,
			    pm->choices[i]);
	}
	return 0;
}

/* What follows the type, up to "default VALUE": a range or choices. */
static int
parse_param_spec(struct parser *ps, const struct token *t, size_t n,
    struct kr_script_param *pm)
{
	size_t i = 3;
	int r;

	if (pm->type == KR_SCRIPT_CHOICE)
		return parse_choices(ps, &t[3], n - 5, pm);
	if (pm->type == KR_SCRIPT_INTEGER) {
		if (n == 5)
			return PERR(ps, t[3].p, "write: param NAME integer "
			    "LO..HI default N", "an integer parameter needs "
			    "a range");
		if ((r = parse_range(ps, &t[3], pm)) != 0)
			return r;
		i = 4;
	}
	if (i != n - 2)
		return PERR(ps, t[i].p, NULL, "unexpected '%.*s'",
		    TOKFMT(&t[i]));
	return 0;
}

/* Checks the name and type of "param NAME TYPE"; *typep the type. */
static int
param_head(struct parser *ps, const struct token *t, size_t n,
    enum kr_script_type *typep)
{
	const struct kr_script_param *dup;
	char hint[256];
	size_t k;
	int r;

	if (n < 3)
		return need_count(ps, t, n, 3, "write: param NAME TYPE ... "
		    "default VALUE");
	if ((r = need_word(ps, &t[1], "a parameter name")) != 0)
		return r;
	if (is_forbidden(t[1].p, t[1].len))
		return forbidden_err(ps, t[1].p, t[1].len);
	if (!is_name(t[1].p, t[1].len, MAX_PARAM_NAME, '_', 0))
		return PERR(ps, t[1].p, "parameter names are lower-case "
		    "letters, digits and '_', starting with a letter",
		    "invalid parameter name '%.*s'", TOKFMT(&t[1]));
	if ((dup = kr_script_param_find(ps->s, t[1].p, t[1].len)) != NULL)
		return PERR(ps, t[1].p, NULL, "duplicate parameter '%s' "
		    "(first at line %zu)", dup->name, dup->line);
	if (ps->s->nparams == KR_SCRIPT_MAX_PARAMS)
		return PERR(ps, t[1].p, NULL, "more than %d parameters",
		    KR_SCRIPT_MAX_PARAMS);
	for (k = 0; k < 3 && !tokeq(&t[2], type_names[k]); k++)
		;
	if (k == 3)
		return PERR(ps, t[2].p, SUGGEST(hint, &t[2], type_names, 3,
		    "types"), "unknown parameter type '%.*s'", TOKFMT(&t[2]));
	if (n < 5 || !tokeq(&t[n - 2], "default"))
		return PERR(ps, t[n - 1].p + t[n - 1].len, "end the line with: "
		    "default VALUE", "parameter '%.*s' has no default",
		    TOKFMT(&t[1]));
	*typep = (enum kr_script_type)k;
	return 0;
}

static int
parse_param(struct parser *ps, const struct token *t, size_t n)
{
	struct kr_script *s = ps->s;
	struct kr_script_param *pm, *grown;
	enum kr_script_type type;
	char msg[512];
	int r;

	if ((r = param_head(ps, t, n, &type)) != 0)
		return r;
	if ((grown = realloc(s->params, (s->nparams + 1) *
	    sizeof(*grown))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "parsing %s", ps->w.source);
	s->params = grown;
	pm = &s->params[s->nparams++];
	memset(pm, 0, sizeof(*pm));
	pm->type = type;
	pm->line = ps->w.line;
	if ((pm->name = tokdup(t[1].p, t[1].len)) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "parsing %s", ps->w.source);
	if ((r = parse_param_spec(ps, t, n, pm)) != 0 ||
	    (r = token_value(ps, &t[n - 1], 0, KR_SCRIPT_MAX_VALUE,
	    &pm->def)) != 0)
		return r;
	if (kr_script_param_problem(pm, pm->def, msg, sizeof(msg)) != NULL)
		return PERR(ps, t[n - 1].p, NULL, "default of %s: %s",
		    pm->name, msg);
	if ((pm->value = strdup(pm->def)) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "parsing %s", ps->w.source);
	return 0;
}

/*
 * An argument that is exactly "${name}": checks that every value the
 * parameter can take has the argument's type, so that no --set can make
 * the script invalid by type.
 */
static int
check_param_use(struct parser *ps, const struct token *t,
    const struct kr_script_verb *v, const struct kr_script_verb_arg *a,
    const char *raw)
{
	const struct kr_script_param *pm;
	const char *at = t->eq + 1;
	size_t i, len = strlen(raw);

	if (len < 4 || raw[0] != '$' || raw[1] != '{' || raw[len - 1] != '}' ||
	    (pm = kr_script_param_find(ps->s, raw + 2, len - 3)) == NULL)
		return 0;
	/* A choice of numbers, and "none" for an optional one. */
	for (i = 0; a->type == ARG_INTEGER && pm->type == KR_SCRIPT_CHOICE &&
	    i < pm->nchoices; i++) {
		long long n = kr_script_uint(pm->choices[i],
		    strlen(pm->choices[i]));

		if (!a->required && strcmp(pm->choices[i], "none") == 0)
			continue;
		if (n < a->min || n > a->max)
			return PERR(ps, at, NULL, "choice '%s' of parameter %s "
			    "is not a whole number in %lld..%lld%s",
			    pm->choices[i], pm->name, a->min, a->max,
			    a->required ? "" : " (or none)");
	}
	if (a->type == ARG_INTEGER && pm->type == KR_SCRIPT_CHOICE)
		return 0;
	if (a->type == ARG_INTEGER && pm->type != KR_SCRIPT_INTEGER)
		return PERR(ps, at, NULL, "%s %s= needs a whole number, but "
		    "parameter %s is a %s", v->name, a->name, pm->name,
		    type_names[pm->type]);
	if (a->type == ARG_INTEGER && (pm->min < a->min || pm->max > a->max))
		return PERR(ps, at, "narrow the parameter's range", "parameter "
		    "%s allows %lld..%lld, but %s %s= accepts %lld..%lld",
		    pm->name, pm->min, pm->max, v->name, a->name, a->min,
		    a->max);
	if (a->type == ARG_ALGORITHM && pm->type == KR_SCRIPT_INTEGER)
		return PERR(ps, at, NULL, "%s %s= needs an algorithm, but "
		    "parameter %s is an integer", v->name, a->name, pm->name);
	for (i = 0; i < pm->nchoices; i++) {
		if (a->type == ARG_ALGORITHM &&
		    !kr_script_is_algorithm(pm->choices[i]))
			return PERR(ps, at, NULL, "choice '%s' of parameter %s "
			    "is not an algorithm keyrite knows",
			    pm->choices[i], pm->name);
		if ((a->type == ARG_FILENAME ||
		    a->type == ARG_FILENAME_OR_EMPTY) &&
		    !kr_script_is_filename(pm->choices[i]))
			return PERR(ps, at, NULL, "choice '%s' of parameter %s "
			    "is not a plain file name", pm->choices[i],
			    pm->name);
	}
	return 0;
}

static const char *
arg_names_hint(char *buf, size_t size, const struct kr_script_verb *v,
    const struct token *t, size_t len)
{
	const char *names[KR_SCRIPT_VERB_ARGS];
	char what[KR_SCRIPT_MAX_NAME + 8];
	size_t n;

	for (n = 0; v->args[n].name != NULL; n++)
		names[n] = v->args[n].name;
	if (n == 0) {
		snprintf(buf, size, "%s takes no arguments", v->name);
		return buf;
	}
	snprintf(what, sizeof(what), "%s takes", v->name);
	return kr_script_suggest(buf, size, t->p, len, names, n, what);
}

static int
parse_arg(struct parser *ps, const struct token *t,
    struct kr_script_step *st)
{
	const struct kr_script_verb *v = ps->verb;
	const struct kr_script_verb_arg *a;
	struct kr_script_argument *arg;
	char hint[256];
	size_t i, nlen;

	if (t->eq == NULL)
		return PERR(ps, t->p, arg_names_hint(hint, sizeof(hint), v, t,
		    t->len), "expected NAME=VALUE, not '%.*s'", TOKFMT(t));
	nlen = (size_t)(t->eq - t->p);
	if (is_forbidden(t->p, nlen))
		return forbidden_err(ps, t->p, nlen);
	if ((a = kr_script_verb_arg_find(v, t->p, nlen)) == NULL)
		return PERR(ps, t->p, arg_names_hint(hint, sizeof(hint), v, t,
		    nlen), "%s has no argument '%.*s'", v->name,
		    (int)(nlen > 64 ? 64 : nlen), t->p);
	for (i = 0; i < st->nargs; i++)
		if (strcmp(st->args[i].name, a->name) == 0)
			return PERR(ps, t->p, NULL, "duplicate argument "
			    "'%s='", a->name);
	if (t->kind == TK_WORD && t->eq + 1 == t->p + t->len)
		return PERR(ps, t->eq + 1, "write NAME=VALUE, or NAME=\"\" "
		    "for an empty value", "%s= has no value", a->name);
	arg = &st->args[st->nargs];
	memset(arg, 0, sizeof(*arg));
	arg->line = ps->w.line;
	arg->column = kr_script_column(ps->w.base, t->kind == TK_ARGSTR ?
	    t->v : t->eq + 1);
	arg->name = strdup(a->name);
	arg->raw = t->kind == TK_ARGSTR ? tokdup(t->v, t->vlen) :
	    tokdup(t->eq + 1, (size_t)(t->p + t->len - t->eq - 1));
	st->nargs++;
	if (arg->name == NULL || arg->raw == NULL)
		return kr_err_set(KR_ERR_NOMEM, "parsing %s", ps->w.source);
	return check_param_use(ps, t, v, a, arg->raw);
}

static int
parse_step(struct parser *ps, const struct token *t, size_t n)
{
	struct kr_script *s = ps->s;
	struct kr_script_step *st, *grown;
	const char *names[KR_SCRIPT_MAX_VERBS];
	const struct kr_script_verb_arg *a;
	char hint[512];
	size_t i;
	int r;

	for (i = 0; i < kr_script_nverbs; i++)
		names[i] = kr_script_verbs[i].name;
	if (n < 2)
		return PERR(ps, t[0].p + t[0].len, kr_script_suggest(hint,
		    sizeof(hint), "", 0, names, kr_script_nverbs,
		    "known verbs"), "'step' needs a verb");
	if ((r = need_word(ps, &t[1], "a verb")) != 0)
		return r;
	if (is_forbidden(t[1].p, t[1].len))
		return forbidden_err(ps, t[1].p, t[1].len);
	if ((ps->verb = kr_script_verb_find(t[1].p, t[1].len)) == NULL)
		return PERR(ps, t[1].p, SUGGEST(hint, &t[1], names,
		    kr_script_nverbs, "known verbs"), "unknown verb '%.*s'",
		    TOKFMT(&t[1]));
	if (s->nsteps == KR_SCRIPT_MAX_STEPS || n - 2 > KR_SCRIPT_MAX_ARGS)
		return PERR(ps, t[0].p, NULL, "more than %d steps, or more "
		    "than %d arguments", KR_SCRIPT_MAX_STEPS,
		    KR_SCRIPT_MAX_ARGS);
	if ((grown = realloc(s->steps, (s->nsteps + 1) *
	    sizeof(*grown))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "parsing %s", ps->w.source);
	s->steps = grown;
	st = ps->step = &s->steps[s->nsteps++];
	memset(st, 0, sizeof(*st));
	st->verb = ps->verb->name;
	st->line = ps->w.line;
	st->column = kr_script_column(ps->w.base, t[1].p);
	ps->role_line = 0;
	if (n > 2 && (st->args = calloc(n - 2, sizeof(*st->args))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "parsing %s", ps->w.source);
	for (i = 2; i < n; i++)
		if ((r = parse_arg(ps, &t[i], st)) != 0)
			return r;
	for (a = ps->verb->args; a->name != NULL; a++)
		if (a->required && kr_script_arg(st, a->name) == NULL)
			return PERR(ps, t[1].p, NULL, "%s needs %s=", st->verb,
			    a->name);
	return 0;
}

static int
parse_role(struct parser *ps, const struct token *t, size_t n)
{
	const struct kr_script_verb *v = ps->verb;
	const char *names[KR_SCRIPT_NROLES];
	char hint[256];
	size_t i, j, used;
	int r;

	if (ps->role_line != 0)
		return PERR(ps, t[0].p, NULL, "duplicate role (first at line "
		    "%zu)", ps->role_line);
	if ((r = need_count(ps, t, n, 2, "write: role administrator|"
	    "custodian|witness")) != 0 ||
	    (r = need_word(ps, &t[1], "the role")) != 0)
		return r;
	for (i = 0; i < KR_SCRIPT_NROLES &&
	    !tokeq(&t[1], kr_script_roles[i].name); i++)
		names[i] = kr_script_roles[i].name;
	if (i == KR_SCRIPT_NROLES)
		return PERR(ps, t[1].p, SUGGEST(hint, &t[1], names,
		    KR_SCRIPT_NROLES, "roles"), "unknown role '%.*s'",
		    TOKFMT(&t[1]));
	if ((v->roles & (int)kr_script_roles[i].role) == 0) {
		used = (size_t)snprintf(hint, sizeof(hint), "%s is done by:",
		    v->name);
		for (j = 0; j < KR_SCRIPT_NROLES && used < sizeof(hint); j++)
			if (v->roles & (int)kr_script_roles[j].role)
				used += (size_t)snprintf(hint + used,
				    sizeof(hint) - used, " %s",
				    kr_script_roles[j].name);
		return PERR(ps, t[1].p, hint, "the %s cannot act at step %s",
		    kr_script_roles[i].name, v->name);
	}
	ps->step->role = kr_script_roles[i].role;
	ps->role_line = ps->w.line;
	return 0;
}

static int
parse_say(struct parser *ps, const struct token *t, size_t n)
{
	struct kr_script_step *st = ps->step;
	char *v = NULL, *joined;
	size_t old;
	int r;

	if ((r = need_count(ps, t, n, 2, "write: say \"...\"")) != 0)
		return r;
	if (t[1].kind != TK_STRING)
		return PERR(ps, t[1].p, "write: say \"...\"", "say needs a "
		    "quoted string");
	/* Checks escapes and ${...} here, where the column is known. */
	if ((r = token_value(ps, &t[1], 1, KR_SCRIPT_MAX_SAY, &v)) != 0)
		return r;
	free(v);
	old = st->say_raw ? strlen(st->say_raw) : 0;
	if (old + t[1].vlen + 1 > KR_SCRIPT_MAX_SAY)
		return PERR(ps, t[1].p, NULL, "the instruction is longer than "
		    "%d bytes", KR_SCRIPT_MAX_SAY);
	if ((joined = realloc(st->say_raw, old + t[1].vlen + 2)) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "parsing %s", ps->w.source);
	if (old == 0) {
		st->say_line = ps->w.line;
		st->say_column = kr_script_column(ps->w.base, t[1].v);
	} else
		joined[old++] = ' ';
	memcpy(joined + old, t[1].v, t[1].vlen);
	joined[old + t[1].vlen] = '\0';
	st->say_raw = joined;
	return 0;
}

/* Checks the step that has just ended. */
static int
close_step(struct parser *ps)
{
	struct kr_script_step *st = ps->step;
	struct kr_script_where w = ps->w;
	size_t i;

	if (st == NULL)
		return 0;
	ps->step = NULL;
	w.line = st->line;
	w.column = 1;
	w.base = NULL;
	for (i = 0; i < KR_SCRIPT_NROLES &&
	    !(ps->verb->roles & (int)kr_script_roles[i].role); i++)
		;
	if (st->role == 0) {
		char hint[128];

		snprintf(hint, sizeof(hint), "add a line '  role %s' below "
		    "it", kr_script_roles[i].name);
		return kr_script_werr(&w, NULL, hint, "step %s has no role",
		    st->verb);
	}
	if (st->say_raw == NULL)
		return kr_script_werr(&w, NULL, "add a line '  say \"...\"' "
		    "below it: the words the administrator reads aloud",
		    "step %s has no say line", st->verb);
	return 0;
}

static int
parse_body(struct parser *ps, const struct token *t, size_t n)
{
	char hint[128];

	if (ps->step == NULL)
		return PERR(ps, t[0].p, "only the role and say lines of a "
		    "step are indented", "indented line outside a step");
	if (t[0].kind == TK_WORD && tokeq(&t[0], "role"))
		return parse_role(ps, t, n);
	if (t[0].kind == TK_WORD && tokeq(&t[0], "say"))
		return parse_say(ps, t, n);
	if (is_forbidden(t[0].p, t[0].eq ? (size_t)(t[0].eq - t[0].p) :
	    t[0].len))
		return forbidden_err(ps, t[0].p, t[0].len);
	return PERR(ps, t[0].p, SUGGEST(hint, &t[0], body_keywords, 2,
	    "step lines are"), "unknown step line '%.*s'", TOKFMT(&t[0]));
}

static int
parse_statement(struct parser *ps, const struct token *t, size_t n)
{
	char hint[256];
	size_t k;
	int r;

	if ((r = close_step(ps)) != 0)
		return r;
	for (k = 0; k < 5 && !tokeq(&t[0], keywords[k]); k++)
		;
	if (k == 5 && is_forbidden(t[0].p, t[0].eq ?
	    (size_t)(t[0].eq - t[0].p) : t[0].len))
		return forbidden_err(ps, t[0].p, t[0].len);
	if (k == 5)
		return PERR(ps, t[0].p, SUGGEST(hint, &t[0], keywords, 5,
		    "keywords"), "unknown keyword '%.*s'", TOKFMT(&t[0]));
	if (ps->phase == 0 && k != 0)
		return PERR(ps, t[0].p, "write: ceremony NAME", "the script "
		    "must begin with 'ceremony NAME'");
	if ((k == 1 || k == 2) && ps->phase > 1)
		return PERR(ps, t[0].p, NULL, "'%s' must come before the "
		    "parameters and steps", keywords[k]);
	if (k == 3 && ps->phase == 3) {
		snprintf(hint, sizeof(hint), "move it above line %zu, the "
		    "first step", ps->step_line);
		return PERR(ps, t[0].p, hint, "parameters must be declared "
		    "before the first step");
	}
	switch (k) {
	case 0:
		return parse_ceremony(ps, t, n);
	case 1:
		return parse_description(ps, t, n);
	case 2:
		return parse_key_class(ps, t, n);
	case 3:
		ps->phase = 2;
		return parse_param(ps, t, n);
	default:
		if (ps->phase != 3)
			ps->step_line = ps->w.line;
		ps->phase = 3;
		return parse_step(ps, t, n);
	}
}

static int
parse_line(struct parser *ps, const char *p, const char *eol)
{
	struct token toks[MAX_TOKENS];
	const char *q = p;
	size_t n = 0;
	int r;

	while (q < eol && *q == ' ')
		q++;
	if (q == eol || *q == '#')
		return 0;
	if (q - p != 0 && q - p != 2)
		return PERR(ps, q, "steps start in column 1; their role and "
		    "say lines are indented by exactly two spaces",
		    "indented by %zu spaces", (size_t)(q - p));
	if ((r = tokenize(ps, q, eol, toks, &n)) != 0)
		return r;
	if (q - p == 2)
		return parse_body(ps, toks, n);
	return parse_statement(ps, toks, n);
}

/*
 * "key-class ${name}": name is a choice parameter whose every choice is a
 * key class of the policy, so that no --set can name another.
 */
static int
check_class_param(const struct parser *ps)
{
	const struct kr_script_param *pm;
	struct kr_script_where w = ps->w;
	const char *c;
	size_t i, k;

	if (ps->s->key_class_param == NULL)
		return 0;
	w.line = ps->class_line;
	w.column = 11;
	w.base = NULL;
	pm = kr_script_param_find(ps->s, ps->s->key_class_param,
	    strlen(ps->s->key_class_param));
	if (pm == NULL || pm->type != KR_SCRIPT_CHOICE)
		return kr_script_werr(&w, NULL, "declare it: param NAME choice "
		    "CLASS... default CLASS", "key-class ${%s} needs a choice "
		    "parameter %s", ps->s->key_class_param,
		    ps->s->key_class_param);
	for (i = 0; i < pm->nchoices; i++) {
		for (k = 0; (c = kr_policy_class_name_at(k)) != NULL; k++)
			if (strcmp(c, pm->choices[i]) == 0)
				break;
		if (c == NULL)
			return kr_script_werr(&w, NULL, NULL, "choice '%s' of "
			    "parameter %s is not a key class", pm->choices[i],
			    pm->name);
	}
	return 0;
}

/* --- the auditable-steps rule ------------------------------------------- */

/* An error at step st's verb. */
static int __attribute__((format(printf, 4, 5)))
step_err(const struct parser *ps, const struct kr_script_step *st,
    const char *hint, const char *fmt, ...)
{
	struct kr_script_where w = ps->w;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	w.line = st->line;
	w.column = st->column;
	w.base = NULL;
	return kr_script_werr(&w, NULL, hint, "%s", msg);
}

static int
step_flags(const struct kr_script_step *st)
{
	return kr_script_verb_find(st->verb, strlen(st->verb))->flags;
}

/*
 * Every script seals its transcript once, as its last step but for steps
 * that only add to the signature block after the seal (co-signatures).
 */
static int
check_seal(const struct parser *ps)
{
	const struct kr_script *s = ps->s;
	const struct kr_script_step *last = &s->steps[s->nsteps - 1];
	size_t i, seal = 0;

	for (i = 0; i < s->nsteps; i++) {
		const struct kr_script_step *st = &s->steps[i];

		if (seal == 0 && (step_flags(st) & VERB_AFTER_SEAL))
			return step_err(ps, st, "move it after seal-transcript: "
			    "it adds to the signature block of a sealed "
			    "transcript", "%s comes before the transcript is "
			    "sealed", st->verb);
		if (strcmp(st->verb, "seal-transcript") == 0) {
			if (seal != 0)
				return step_err(ps, st, "remove it: a transcript "
				    "is sealed once", "a second seal-transcript "
				    "(the first is step %zu)", seal);
			seal = i + 1;
			continue;
		}
		if (seal != 0 && !(step_flags(st) & VERB_AFTER_SEAL))
			return step_err(ps, &s->steps[seal - 1], "move it to "
			    "the end: nothing can be recorded once the "
			    "transcript is sealed", "seal-transcript must be "
			    "the last step but for cosign-transcript and "
			    "print-transcript (it is step %zu of %zu, before "
			    "%s)", seal, s->nsteps, st->verb);
	}
	if (seal == 0)
		return step_err(ps, last, "add a step seal-transcript at the "
		    "end: it signs the transcript, and a ceremony counts as "
		    "complete only then", "the last step is %s: every "
		    "ceremony ends with seal-transcript", last->verb);
	return 0;
}

/*
 * A script that makes or recovers a key has the steps that make it
 * auditable: the witnesses confirm the key's fingerprint once it is
 * known, and the key is wiped after its last use.  (The seal is
 * check_seal()'s.)  A fingerprint can only follow what makes it known.
 */
static int
check_auditable(const struct parser *ps)
{
	const struct kr_script *s = ps->s;
	const struct kr_script_step *known = NULL, *secret = NULL;
	const struct kr_script_step *maker = NULL, *st;
	size_t i, fp = 0, wipe = 0, escrow = 0, review = 0, proven = 0;
	char hint[256];

	for (i = 0; i < s->nsteps; i++) {
		st = &s->steps[i];
		if (strcmp(st->verb, "show-fingerprint") == 0 && known == NULL)
			return step_err(ps, st, "put it after generate-key, "
			    "self-sign or load-escrow", "show-fingerprint has "
			    "no key to show yet: no step before it makes or "
			    "loads one");
		if (strcmp(st->verb, "recover") == 0 && escrow == 0)
			return step_err(ps, st, "add a step load-escrow before "
			    "it: the escrow package says which shares open "
			    "which key", "recover needs a load-escrow step "
			    "before it");
		if (strcmp(st->verb, "sign-release") == 0 &&
		    (review == 0 || proven == 0))
			return step_err(ps, st, "add review-release (before "
			    "recover) and prove-key before it", "sign-release "
			    "signs only a release the witnesses reviewed, with "
			    "a key proven to be the package's");
		if (strcmp(st->verb, "review-release") == 0)
			review = i + 1;
		else if (strcmp(st->verb, "prove-key") == 0)
			proven = i + 1;
		if (strcmp(st->verb, "show-fingerprint") == 0)
			fp = i + 1;
		else if (strcmp(st->verb, "wipe") == 0)
			wipe = i + 1;
		else if (strcmp(st->verb, "load-escrow") == 0)
			escrow = i + 1;
		if (step_flags(st) & VERB_KEY_KNOWN) {
			known = st;
			fp = 0;
		}
		if (step_flags(st) & VERB_SECRET) {
			secret = st;
			wipe = 0;
		}
		if (maker == NULL && (step_flags(st) & VERB_MAKES_KEY))
			maker = st;
	}
	if (maker == NULL)
		return 0;
	if (fp == 0) {
		snprintf(hint, sizeof(hint), "add a step show-fingerprint (role "
		    "witness) after line %zu", known->line);
		return step_err(ps, known, hint, "no show-fingerprint step after "
		    "%s: in a script that %s a key the witnesses confirm its "
		    "fingerprint", known->verb, strcmp(maker->verb,
		    "recover") == 0 ? "recovers" : "makes");
	}
	if (wipe == 0) {
		snprintf(hint, sizeof(hint), "add a step wipe after line %zu, "
		    "before seal-transcript", secret->line);
		return step_err(ps, secret, hint, "no wipe step after %s, the "
		    "last step that uses the key: the key and its shares are "
		    "wiped once no step needs them", secret->verb);
	}
	return 0;
}

/*
 * Cards that take part in a ceremony co-sign what they took part in, and
 * the paper record is printed once the co-signatures are on it.
 */
static int
check_cosign(const struct parser *ps)
{
	const struct kr_script *s = ps->s;
	size_t i, seal = 0, cards = 0, cosign = 0, print = 0;

	for (i = 0; i < s->nsteps; i++) {
		const char *v = s->steps[i].verb;

		if (strcmp(v, "seal-transcript") == 0)
			seal = i + 1;
		else if (strcmp(v, "cosign-transcript") == 0)
			cosign = i + 1;
		else if (strcmp(v, "print-transcript") == 0)
			print = i + 1;
		if (cards == 0 && (strcmp(v, "write-shares") == 0 ||
		    strcmp(v, "recover") == 0))
			cards = i + 1;
	}
	if (cards != 0 && seal != 0 && cosign == 0)
		return step_err(ps, &s->steps[seal - 1], "add a step "
		    "cosign-transcript after it", "no cosign-transcript step "
		    "after seal-transcript: custodians' cards take part in "
		    "this ceremony (%s), and each co-signs the sealed "
		    "transcript", s->steps[cards - 1].verb);
	if (print != 0 && cosign > print)
		return step_err(ps, &s->steps[print - 1], "move it after "
		    "cosign-transcript", "print-transcript comes before "
		    "cosign-transcript: the paper record would lack the "
		    "co-signatures");
	return 0;
}

/*
 * The steps that use a recovered key come in a fixed order: the people
 * review what will be done before any card is used, the key is recovered
 * and proven, then it is used.  Each row: verb needs a step other before
 * it (after it when after is set), and why.
 */
static const struct order_rule {
	const char	*verb, *other;
	int		 after;
	const char	*why;
} order_rules[] = {
	{ "sign-csr", "review-csr", 0, "the witnesses check the request "
	    "before it is signed" },
	{ "issue-crl", "review-crl", 0, "the revocations are reviewed before "
	    "the CRL is signed" },
	{ "restore-key", "review-target", 0, "the target token is reviewed "
	    "before the key is written to it" },
	{ "sign-csr", "prove-key", 0, "it signs with the key recovered and "
	    "proven there" },
	{ "issue-crl", "prove-key", 0, "it signs with the key recovered and "
	    "proven there" },
	{ "restore-key", "prove-key", 0, "it writes the key recovered and "
	    "proven there" },
	{ "review-csr", "load-escrow", 0, "the request is checked against "
	    "the root's certificate it loads" },
	{ "review-crl", "load-escrow", 0, "the CRL is checked against the "
	    "root's certificate it loads" },
	{ "review-target", "load-escrow", 0, "the key to restore is the one "
	    "its package holds" },
	{ "review-csr", "sign-csr", 1, "nothing else signs what it reviews" },
	{ "review-crl", "issue-crl", 1, "nothing else issues what it "
	    "reviews" },
	{ "review-target", "restore-key", 1, "nothing else writes what it "
	    "reviews" },
	{ "review-csr", "recover", -1, "the witnesses check the request "
	    "before any card is used" },
	{ "review-crl", "recover", -1, "the revocations are reviewed before "
	    "any card is used" },
	{ "review-target", "recover", -1, "the target is reviewed before any "
	    "card is used" },
	{ "cross-sign", "review-cross", 0, "the witnesses check the CA's key "
	    "before it is cross-certified" },
	{ "sign-ocsp", "review-ocsp", 0, "the statuses are reviewed before "
	    "the responses are signed" },
	{ "cross-sign", "prove-key", 0, "it signs with the key recovered and "
	    "proven there" },
	{ "sign-ocsp", "prove-key", 0, "it signs with the key recovered and "
	    "proven there" },
	{ "review-cross", "load-escrow", 0, "the CA is checked against the "
	    "root's certificate it loads" },
	{ "review-ocsp", "load-escrow", 0, "the certificates are checked "
	    "against the root's certificate it loads" },
	{ "review-cross", "cross-sign", 1, "nothing else signs what it "
	    "reviews" },
	{ "review-ocsp", "sign-ocsp", 1, "nothing else signs what it "
	    "reviews" },
	{ "review-cross", "recover", -1, "the witnesses check the CA's key "
	    "before any card is used" },
	{ "review-ocsp", "recover", -1, "the statuses are reviewed before any "
	    "card is used" },
};

/* Whether verb occurs among steps [from, to). */
static int
occurs(const struct kr_script *s, const char *verb, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to && i < s->nsteps; i++)
		if (strcmp(s->steps[i].verb, verb) == 0)
			return 1;
	return 0;
}

/* after -1: other must not come before verb (verb comes first). */
static int
check_order(const struct parser *ps)
{
	const struct kr_script *s = ps->s;
	const struct order_rule *o;
	char hint[256];
	size_t i, k;

	for (i = 0; i < s->nsteps; i++)
		for (k = 0; k < sizeof(order_rules) / sizeof(order_rules[0]);
		    k++) {
			o = &order_rules[k];
			if (strcmp(s->steps[i].verb, o->verb) != 0)
				continue;
			if (o->after == 0 && !occurs(s, o->other, 0, i)) {
				snprintf(hint, sizeof(hint), "add a step %s "
				    "before line %zu", o->other,
				    s->steps[i].line);
				return step_err(ps, &s->steps[i], hint, "%s "
				    "needs a %s step before it: %s", o->verb,
				    o->other, o->why);
			}
			if (o->after == 1 && !occurs(s, o->other, i + 1,
			    s->nsteps))
				return step_err(ps, &s->steps[i], "add the "
				    "step it reviews for, or remove it",
				    "%s has no %s step after it: %s",
				    o->verb, o->other, o->why);
			if (o->after == -1 && occurs(s, o->other, 0, i))
				return step_err(ps, &s->steps[i], "move it "
				    "before the recover step", "%s comes after "
				    "%s: %s", o->verb, o->other, o->why);
		}
	return 0;
}

static int
parse_lines(struct parser *ps)
{
	const char *p = ps->text, *nl;
	struct kr_script_where w;
	int r;

	while (p < ps->end) {
		if ((nl = memchr(p, '\n', (size_t)(ps->end - p))) == NULL)
			nl = ps->end;
		ps->w.line++;
		ps->w.base = p;
		if ((r = parse_line(ps, p, nl)) != 0)
			return r;
		p = nl + 1;
	}
	if ((r = close_step(ps)) != 0)
		return r;
	w = ps->w;
	w.line = ps->ceremony_line ? ps->ceremony_line : 1;
	w.base = NULL;
	if (ps->phase == 0)
		return kr_script_werr(&w, NULL, "write: ceremony NAME",
		    "the script must begin with 'ceremony NAME'");
	if (ps->desc_line == 0)
		return kr_script_werr(&w, NULL, "add: description \"...\"",
		    "ceremony %s has no description", ps->s->name);
	if (ps->class_line == 0)
		return kr_script_werr(&w, NULL, "add: key-class CLASS",
		    "ceremony %s has no key-class", ps->s->name);
	if (ps->s->nsteps == 0)
		return kr_script_werr(&w, NULL, "add: step VERB ...",
		    "ceremony %s has no steps", ps->s->name);
	if ((r = check_class_param(ps)) != 0 || (r = check_seal(ps)) != 0 ||
	    (r = check_auditable(ps)) != 0)
		return r;
	if ((r = check_cosign(ps)) != 0)
		return r;
	return check_order(ps);
}

int
kr_script_parse_lines(struct kr_script *s, const char *text, size_t len)
{
	struct parser ps;

	memset(&ps, 0, sizeof(ps));
	ps.text = text;
	ps.end = text + len;
	ps.s = s;
	ps.w.source = s->source;
	ps.w.column = 1;
	return parse_lines(&ps);
}
