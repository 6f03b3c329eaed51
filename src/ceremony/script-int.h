/*
 * script-int.h: what script.c (verbs, values, resolving, the API) and
 * script-parse.c (the line parser) share.  Not part of the engine's API:
 * nothing outside src/script*.c includes it.
 */
#ifndef KR_SCRIPT_INT_H
#define KR_SCRIPT_INT_H

#include <stdarg.h>
#include <stddef.h>

#include "script.h"

#define KR_SCRIPT_NO_SECRETS	"PINs and PKCS#11 modules never go in a " \
				"script: the same file is used in " \
				"rehearsal and for real; give them to " \
				"keyrite run instead"
#define KR_SCRIPT_MAX_VERBS	64	/* bound for local name arrays */
#define KR_SCRIPT_NROLES	3
#define KR_SCRIPT_VERB_ARGS	12	/* arguments one verb takes, at most */

/* --- the verb table (script.c) ------------------------------------------- */

/* The _OR_EMPTY types take "" for "not given" (an optional input file). */
enum arg_type { ARG_STRING, ARG_INTEGER, ARG_ALGORITHM, ARG_FILENAME,
	ARG_STRING_OR_EMPTY, ARG_FILENAME_OR_EMPTY };

/* Which field of struct kr_policy_request an argument's value fills. */
enum arg_feeds { FEEDS_NONE, FEEDS_ALGORITHM, FEEDS_VALIDITY,
	FEEDS_THRESHOLD, FEEDS_SHARES };

struct kr_script_verb_arg {
	const char	*name;
	enum arg_type	 type;
	int		 required;
	const char	*def;		/* when the argument is not given */
	long long	 min, max;	/* integers, inclusive */
	enum arg_feeds	 feeds;
};

#define VERB_ESCROWS	0x1	/* the step makes an escrow package or shares */
/* For the auditable-steps rule (script-parse.c, docs/scripts.md): */
#define VERB_MAKES_KEY	0x2	/* makes or recovers a key */
#define VERB_SECRET	0x4	/* uses the key, its KEK or its shares */
#define VERB_KEY_KNOWN	0x8	/* fixes what show-fingerprint shows */
#define VERB_AFTER_SEAL	0x10	/* comes after seal-transcript: adds to the
				   signature block, records nothing */

struct kr_script_verb {
	const char			*name;
	int				 roles;	/* enum kr_script_role bits */
	int				 flags;
	struct kr_script_verb_arg	 args[KR_SCRIPT_VERB_ARGS + 1];
					/* NULL name ends */
};

extern const struct kr_script_verb	kr_script_verbs[];
extern const size_t			kr_script_nverbs;

extern const struct kr_script_role_entry {
	const char		*name;
	enum kr_script_role	 role;
} kr_script_roles[KR_SCRIPT_NROLES];

const struct kr_script_verb	*kr_script_verb_find(const char *name,
				    size_t len);
const struct kr_script_verb_arg	*kr_script_verb_arg_find(
				    const struct kr_script_verb *v,
				    const char *name, size_t len);

/* --- values (script.c) --------------------------------------------------- */

/* 1 if v looks like a shared library: *.so, *.so.1.2, *.dll, *.dylib. */
int	kr_script_is_module(const char *v);

/* 1 if v is a plain file name: [A-Za-z0-9._-], not starting '.' or '-'. */
int	kr_script_is_filename(const char *v);

/*
 * 1 if v names an algorithm: one keyrite implements (key.h), or another
 * size of RSA or ECDSA written the same way ("rsa-2048", "ecdsa-p224"), so
 * that the policy, which can allow only what keyrite implements, refuses
 * it with its reason and every other violation at once.
 */
int	kr_script_is_algorithm(const char *v);

/* 1 for the characters of words: letters, digits, '.', '_', '-'. */
int	kr_script_word_char(int c);

/* 1..9 decimal digits without a leading zero, or -1. */
long long	kr_script_uint(const char *s, size_t len);

const struct kr_script_param	*kr_script_param_find(
				    const struct kr_script *s,
				    const char *name, size_t len);

/*
 * What is wrong with v as a value of pm (type, range, choices, a module
 * path), written into buf; NULL if nothing.
 */
const char	*kr_script_param_problem(const struct kr_script_param *pm,
		    const char *v, char *buf, size_t size);


/* --- positions and errors (script.c) ------------------------------------- */

/* Where text came from: base[0] is at source:line:column. */
struct kr_script_where {
	const char	*source;
	size_t		 line, column;
	const char	*base;
};

/*
 * Sets KR_ERR_SCRIPT_SYNTAX with "source:line:column: message" (the
 * column of at, or w's own if at is NULL) and "\nhint: ..." if hint is not
 * NULL; returns the code.
 */
int	kr_script_werr(const struct kr_script_where *w, const char *at,
	    const char *hint, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

/*
 * Expands the escapes \" \\ \$ and, if s is not NULL, ${name} references
 * in raw[0..len) (which starts at w) into *outp, malloc()ed, at most max
 * bytes.  Errors name the column of the escape or reference.
 */
int	kr_script_expand(const struct kr_script_where *w, const char *raw,
	    size_t len, const struct kr_script *s, size_t max, char **outp);

/* --- the parser (script-parse.c) ----------------------------------------- */

/*
 * Parses the lines of text (already checked by kr_script_check_text())
 * into s, whose source is set.  Does not resolve.
 */
int	kr_script_parse_lines(struct kr_script *s, const char *text,
	    size_t len);

#endif /* KR_SCRIPT_INT_H */
