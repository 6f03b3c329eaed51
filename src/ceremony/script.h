/*
 * script.h: ceremony scripts (ceremony-scripts/<name>.ceremony).
 *
 * A ceremony script names the ceremony and its key class, declares typed
 * parameters with defaults, and lists the ordered steps: each step is a
 * built-in verb with its arguments, the role of the person who acts, and
 * the words the administrator reads aloud.  docs/scripts.md is the format's
 * reference.  The parser is strict: anything it does not know is an error
 * "file:line:column: message", often followed by a line "hint: ...".
 * PINs and PKCS#11 modules are refused anywhere in a script, so that the
 * file rehearsed is byte-identical to the file used for real; the SHA-256
 * of those exact bytes goes into the transcript.
 *
 * A parsed script is public data; nothing here is secret.  The structures
 * are for reading: change parameters only with kr_script_set_param() and
 * kr_script_resolve().
 */
#ifndef KR_SCRIPT_H
#define KR_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

#define KR_SCRIPT_MAX_BYTES	65536	/* a script file, at most */
#define KR_SCRIPT_MAX_PARAMS	64
#define KR_SCRIPT_MAX_STEPS	256
#define KR_SCRIPT_MAX_ARGS	16	/* per step */
#define KR_SCRIPT_MAX_CHOICES	32	/* per choice parameter */
#define KR_SCRIPT_MAX_VALUE	1024	/* bytes of a substituted value */
#define KR_SCRIPT_MAX_SAY	4096	/* bytes of a step's instruction */
#define KR_SCRIPT_MAX_NAME	64	/* bytes of a name */
#define KR_SCRIPT_HASH_BYTES	32	/* SHA-256 */

struct kr_policy_request;

/* Who acts at a step.  Bit values, so a verb can allow several. */
enum kr_script_role {
	KR_SCRIPT_ADMINISTRATOR = 1,
	KR_SCRIPT_CUSTODIAN = 2,
	KR_SCRIPT_WITNESS = 4,
};

enum kr_script_type {
	KR_SCRIPT_STRING,
	KR_SCRIPT_INTEGER,
	KR_SCRIPT_CHOICE,
};

struct kr_script_param {
	char			 *name;
	enum kr_script_type	  type;
	long long		  min, max;	/* integer: inclusive range */
	char			**choices;	/* choice: the allowed words */
	size_t			  nchoices;
	char			 *def;		/* the default, as resolved */
	char			 *value;	/* default, or as set */
	int			  set;		/* set by --set */
	size_t			  line;
};

struct kr_script_argument {
	char	*name;
	char	*raw;		/* as written, escapes and ${...} intact */
	char	*value;		/* after kr_script_resolve() */
	size_t	 line, column;	/* of the value */
};

struct kr_script_step {
	const char			*verb;	/* static, from the table */
	struct kr_script_argument	*args;	/* as written, in order */
	size_t				 nargs;
	enum kr_script_role		 role;
	char				*say_raw;	/* say lines, joined */
	char				*say;		/* resolved */
	size_t				 line;		/* of "step" */
	size_t				 column;	/* of the verb */
	size_t				 say_line, say_column;
};

struct kr_script {
	char			*source;	/* file name used in messages */
	char			*name;		/* "root-ca-create" */
	char			*description;
	char			*key_class;	/* "root-ca", as resolved */
	char			*key_class_param; /* "key-class ${NAME}": NAME;
						     else NULL */
	struct kr_script_param	*params;
	size_t			 nparams;
	struct kr_script_step	*steps;
	size_t			 nsteps;
	uint8_t			 sha256[KR_SCRIPT_HASH_BYTES];	/* file */
};

/*
 * Parses len bytes of text (need not be NUL-terminated) named filename in
 * messages, then resolves it with the parameters' defaults, so that a
 * script whose defaults do not make a valid ceremony is refused here.
 * Stores the SHA-256 of exactly those bytes.  *sp is set only on success;
 * free it with kr_script_free().  Returns 0, KR_ERR_SCRIPT_SYNTAX (detail
 * "filename:line:column: message", maybe "\nhint: ..."), KR_ERR_TOO_LARGE
 * (more than KR_SCRIPT_MAX_BYTES), KR_ERR_NOMEM or KR_ERR_LIBCRYPTO.
 */
int	kr_script_parse(const char *text, size_t len, const char *filename,
	    struct kr_script **sp);

/*
 * Reads the regular file path and parses it; messages name path.  Adds
 * KR_ERR_IO to kr_script_parse()'s returns.
 */
int	kr_script_load(const char *path, struct kr_script **sp);

/*
 * Sets parameter name to value (a --set NAME=VALUE override), checking
 * its type, range or choices.  Takes effect at the next
 * kr_script_resolve(); until then the steps keep their old values.
 * Returns 0 or KR_ERR_SCRIPT_PARAM (unknown parameter, with a hint;
 * wrong type; out of range; not a choice; a PKCS#11 module path).  On
 * failure the parameter keeps its value.
 */
int	kr_script_set_param(struct kr_script *s, const char *name,
	    const char *value);

/*
 * Substitutes the parameters' current values into every step's arguments
 * and instruction and checks each value against its argument's type.
 * All or nothing: on failure nothing changes.  Returns 0 or
 * KR_ERR_SCRIPT_SYNTAX with the "file:line:column" of the argument.
 */
int	kr_script_resolve(struct kr_script *s);

/*
 * The resolved value of step's argument name: as written in the script,
 * else the verb's default, else NULL (an optional argument not given).
 * The string belongs to the script (or is static).
 */
const char	*kr_script_arg(const struct kr_script_step *step,
		    const char *name);

/* "administrator", "custodian", "witness"; "?" for anything else. */
const char	*kr_script_role_name(enum kr_script_role role);

/*
 * The i-th verb's name (0-based), or NULL past the end: the engine checks
 * with it that it implements every verb a script may use.
 */
const char	*kr_script_verb_at(size_t i);

/*
 * Fills req from the resolved script for kr_policy_check(): key class,
 * the algorithm of generate-key, validity-days of self-sign, threshold and
 * shares of split, and whether an escrow package and shares are made.
 * Fields the script does not set are NULL or 0.  The strings point into
 * s and are valid until s is resolved again or freed.
 */
void	kr_script_policy_request(const struct kr_script *s,
	    struct kr_policy_request *req);

/* Frees s and everything in it; NULL is fine. */
void	kr_script_free(struct kr_script *s);

/*
 * Shared with the policy parser (policy.c), which uses the same text
 * rules.
 *
 * kr_script_check_text() checks that text is UTF-8 without a byte-order
 * mark, NUL, carriage return, tab, other control characters except LF, or
 * spaces at the end of a line.  Returns 0 or code with the detail
 * "source:line:column: message\nhint: ...".
 *
 * kr_script_column() is the 1-based column of p in the line starting at
 * line, counted in UTF-8 characters.
 *
 * kr_script_nearest() is the candidate closest to word by edit distance
 * (at most 2 edits, 1 for words shorter than 5), else the only candidate
 * word abbreviates (3 characters or more), else NULL.
 *
 */
int		 kr_script_check_text(const char *text, size_t len,
		    const char *source, int code);
size_t		 kr_script_column(const char *line, const char *p);
const char	*kr_script_nearest(const char *word,
		    const char *const *cands, size_t ncands);

/* "did you mean 'x'?", or "<what>: a, b, c", written into buf. */
const char	*kr_script_suggest(char *buf, size_t size, const char *word,
		    size_t wlen, const char *const *cands, size_t n,
		    const char *what);

#endif /* KR_SCRIPT_H */
