/*
 * rehearsal.c: making SoftHSM2 rehearsal cards.
 *
 * SoftHSM2 keeps its tokens in the directory its configuration file
 * names, and finds that file through $SOFTHSM2_CONF when it initialises.
 * So a set of rehearsal cards is a directory holding a configuration file
 * and a token directory; the module is loaded with $SOFTHSM2_CONF pointing
 * there, and each card is made in the spare "free" slot SoftHSM2 always
 * offers, which it replaces with a new one only after a reload.
 *
 * The directory must be new or empty, and files are written through
 * kr_media (temp + fsync + link: never over an existing file), so a second
 * run into the same directory refuses and changes nothing.  Only SoftHSM2
 * is accepted as the module: initialising a token erases it, and this
 * must never reach a real card.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "host/media.h"
#include "rehearsal.h"
#include "token.h"

#define SOFTHSM_MANUFACTURER	"SoftHSM"

void
kr_rehearsal_label(unsigned int i, char *out, size_t outlen)
{
	snprintf(out, outlen, KR_REHEARSAL_LABEL_FMT, i);
}

void
kr_rehearsal_pin(unsigned int i, char *out, size_t outlen)
{
	snprintf(out, outlen, KR_REHEARSAL_PIN_FMT, i);
}

void
kr_rehearsal_free(struct kr_rehearsal *r)
{
	if (r == NULL)
		return;
	free(r->dir);
	free(r->conf);
	free(r->env);
	free(r->module);
	free(r->cards);
	free(r);
}

/*
 * The paths go into a configuration file and a shell file between single
 * quotes: refuse what either would misread.
 */
static int
path_ok(const char *what, const char *path)
{
	const unsigned char *p;

	for (p = (const unsigned char *)path; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '\'')
			return kr_err_set(KR_ERR_INVALID_ARGUMENT, "the %s "
			    "path holds a control character or a single quote, "
			    "which the generated files cannot hold; choose "
			    "another", what);
	return 0;
}

/* Refuses a directory that holds anything; names the first entry. */
static int
check_empty(const char *dir)
{
	struct dirent *de;
	char first[64] = "";
	size_t n = 0;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return kr_err_errno(KR_ERR_SYSTEM, "%s exists but cannot be "
		    "listed", dir);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (n++ == 0)
			snprintf(first, sizeof(first), "%.60s", de->d_name);
	}
	closedir(d);
	if (n == 0)
		return 0;
	return kr_err_set(KR_ERR_EXISTS, "%s is not empty (it holds '%s'%s); "
	    "rehearsal cards go into a new or empty directory and keyrite "
	    "never overwrites: choose another directory", dir, first,
	    n > 1 ? " and more" : "");
}

/*
 * Makes dir (mode 0700) or accepts it empty; *absp its real path,
 * *createdp whether it was made here.
 */
static int
prepare_dir(const char *dir, char **absp, int *createdp)
{
	struct stat st;
	int r;

	*absp = NULL;
	*createdp = 0;
	if (mkdir(dir, 0700) == 0)
		*createdp = 1;
	else {
		if (errno != EEXIST)
			return kr_err_errno(KR_ERR_SYSTEM, "creating %s", dir);
		if (stat(dir, &st) != 0)
			return kr_err_errno(KR_ERR_SYSTEM, "%s", dir);
		if (!S_ISDIR(st.st_mode))
			return kr_err_set(KR_ERR_EXISTS, "%s exists and is not "
			    "a directory; choose another name", dir);
		if ((r = check_empty(dir)) != 0)
			return r;
	}
	if ((*absp = realpath(dir, NULL)) == NULL)
		return kr_err_errno(KR_ERR_SYSTEM, "resolving %s", dir);
	return 0;
}

static int
join(char **out, const char *dir, const char *name)
{
	size_t len = strlen(dir) + 1 + strlen(name) + 1;

	if ((*out = malloc(len)) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "building a path in %s", dir);
	snprintf(*out, len, "%s/%s", dir, name);
	return 0;
}

static int
write_text(struct kr_media *md, const char *name, struct kr_buf *b)
{
	size_t len;
	char *text;
	int r;

	if ((r = kr_buf_take(b, &text, &len)) != 0)
		return kr_err_set(r, "composing %s", name);
	r = kr_media_write(md, name, text, len, NULL);
	free(text);
	return r;
}

static int
write_conf(struct kr_media *md, const struct kr_rehearsal *rh)
{
	struct kr_buf b = { 0 };

	kr_buf_printf(&b, "# SoftHSM2 configuration for keyrite rehearsal "
	    "cards: REHEARSAL ONLY.\n# Written by keyrite rehearsal-cards; "
	    "see README.\n");
	kr_buf_printf(&b, "directories.tokendir = %s/%s\n", rh->dir,
	    KR_REHEARSAL_TOKENS);
	kr_buf_puts(&b, "objectstore.backend = file\n");
	kr_buf_puts(&b, "slots.removable = true\n");
	kr_buf_puts(&b, "log.level = ERROR\n");
	return write_text(md, KR_REHEARSAL_CONF, &b);
}

static int
write_env(struct kr_media *md, const struct kr_rehearsal *rh)
{
	struct kr_buf b = { 0 };

	kr_buf_printf(&b, "# keyrite rehearsal cards (REHEARSAL ONLY).  Use: "
	    ". %s\n", rh->env);
	kr_buf_printf(&b, "export SOFTHSM2_CONF='%s'\n", rh->conf);
	kr_buf_printf(&b, "export %s='%s'\n", KR_TOKEN_MODULE_ENV, rh->module);
	return write_text(md, KR_REHEARSAL_ENV, &b);
}

static int
write_readme(struct kr_media *md, const struct kr_rehearsal *rh)
{
	const struct kr_rehearsal_card *c;
	struct kr_buf b = { 0 };
	size_t i;

	kr_buf_puts(&b, "REHEARSAL ONLY - NOT FOR A REAL CEREMONY\n"
	    "========================================\n\n"
	    "These are SoftHSM2 software tokens standing in for custodian "
	    "cards,\nmade by `keyrite rehearsal-cards`.  Their PINs are "
	    "written below and in\nkeyrite's documentation, so anyone can "
	    "read what is stored on them.\nNever use these cards, or these "
	    "PINs, to protect a real key.\n\n");
	kr_buf_printf(&b, "%-14s %-18s %s\n", "Card", "Serial", "User PIN");
	for (i = 0; i < rh->ncards; i++) {
		c = &rh->cards[i];
		kr_buf_printf(&b, "%-14s %-18s %s\n", c->label, c->serial,
		    c->pin);
	}
	kr_buf_printf(&b, "\nSecurity officer (SO) PIN of every card: %s\n",
	    KR_REHEARSAL_SO_PIN);
	kr_buf_printf(&b, "PKCS#11 module: %s\n", rh->module);
	kr_buf_printf(&b, "SoftHSM2 configuration: %s\n(tokens in %s/%s)\n\n",
	    rh->conf, rh->dir, KR_REHEARSAL_TOKENS);
	kr_buf_printf(&b, "To point keyrite (and pkcs11-tool) at these "
	    "cards:\n\n    . %s\n\n", rh->env);
	kr_buf_printf(&b, "To get rid of them: rm -rf '%s'\n", rh->dir);
	return write_text(md, KR_REHEARSAL_README, &b);
}

/* Loads module with SoftHSM2 reading rh->conf; refuses other modules. */
static int
open_softhsm(const struct kr_rehearsal *rh, struct kr_token_module **mp)
{
	struct kr_token_module *m = NULL;
	const char *desc;
	int r;

	*mp = NULL;
	if ((r = kr_token_module_open(rh->module, &m)) != 0)
		return r;
	desc = kr_token_module_description(m);
	if (strncmp(desc, SOFTHSM_MANUFACTURER,
	    strlen(SOFTHSM_MANUFACTURER)) != 0) {
		r = kr_err_set(KR_ERR_INVALID_ARGUMENT, "%s is '%s', not "
		    "SoftHSM2: rehearsal cards are made only with SoftHSM2, "
		    "since making one erases the token (give --module %s)",
		    rh->module, desc, KR_REHEARSAL_MODULE);
		kr_token_module_close(m);	/* desc belongs to m */
		return r;
	}
	*mp = m;
	return 0;
}

/* Initialises cards 1 .. count, one per free slot, reloading after each. */
static int
init_cards(struct kr_token_module *m, unsigned int count)
{
	unsigned long *slots = NULL;
	char label[33], pin[8];
	unsigned int i;
	size_t n;
	int r = 0;

	for (i = 1; i <= count && r == 0; i++) {
		kr_rehearsal_label(i, label, sizeof(label));
		kr_rehearsal_pin(i, pin, sizeof(pin));
		if ((r = kr_token_free_slots(m, &slots, &n)) != 0)
			break;
		if (n == 0)
			r = kr_err_set(KR_ERR_TOKEN_GENERAL, "SoftHSM2 offers "
			    "no free slot for %s", label);
		else if ((r = kr_token_init_token(m, slots[0],
		    KR_REHEARSAL_SO_PIN, label, pin)) == 0)
			r = kr_token_module_reload(m);
		free(slots);
		slots = NULL;
	}
	return r;
}

/* Finds each card in the token list: slot and serial. */
static int
collect_cards(struct kr_token_module *m, struct kr_rehearsal *rh,
    unsigned int count)
{
	struct kr_token_info *list = NULL;
	struct kr_rehearsal_card *c;
	size_t n = 0, i, found;
	unsigned int k;
	int r;

	if ((r = kr_token_list(m, &list, &n)) != 0)
		return r;
	if ((rh->cards = calloc(count, sizeof(*rh->cards))) == NULL) {
		free(list);
		return kr_err_set(KR_ERR_NOMEM, "listing rehearsal cards");
	}
	for (k = 1; k <= count; k++) {
		c = &rh->cards[k - 1];
		c->index = k;
		kr_rehearsal_label(k, c->label, sizeof(c->label));
		kr_rehearsal_pin(k, c->pin, sizeof(c->pin));
		for (i = 0, found = 0; i < n; i++) {
			if (!list[i].initialized ||
			    strcmp(list[i].label, c->label) != 0)
				continue;
			c->slot = list[i].slot;
			memcpy(c->serial, list[i].serial, sizeof(c->serial));
			found++;
		}
		if (found != 1) {
			free(list);
			return kr_err_set(KR_ERR_TOKEN_GENERAL, "%s was made "
			    "but SoftHSM2 lists it %zu times", c->label, found);
		}
		rh->ncards++;
	}
	free(list);
	return 0;
}

/*
 * Sets $SOFTHSM2_CONF, makes the cards, restores the environment.
 * *touched is set once a token may have been written.
 */
static int
make_cards(struct kr_rehearsal *rh, unsigned int count, int *touched)
{
	struct kr_token_module *m = NULL;
	const char *prev;
	char *saved = NULL;
	int r = KR_ERR_INTERNAL;

	if ((prev = getenv("SOFTHSM2_CONF")) != NULL &&
	    (saved = strdup(prev)) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "saving $SOFTHSM2_CONF");
	if (setenv("SOFTHSM2_CONF", rh->conf, 1) != 0) {
		r = kr_err_errno(KR_ERR_SYSTEM, "setting $SOFTHSM2_CONF");
		goto out;
	}
	if ((r = open_softhsm(rh, &m)) != 0)
		goto out;
	*touched = 1;
	if ((r = init_cards(m, count)) != 0 ||
	    (r = collect_cards(m, rh, count)) != 0)
		goto out;
	r = 0;
 out:
	kr_token_module_close(m);
	if (saved != NULL)
		setenv("SOFTHSM2_CONF", saved, 1);
	else
		unsetenv("SOFTHSM2_CONF");
	free(saved);
	return r;
}

/*
 * Undoes a run that failed before any token was touched (e.g. the wrong
 * module): only what this run made, all of it known empty or ours.
 */
static void
undo(const char *dir, int created, const char *tokens)
{
	char *conf = NULL;

	if (join(&conf, dir, KR_REHEARSAL_CONF) == 0)
		(void)unlink(conf);
	free(conf);
	(void)rmdir(tokens);
	if (created)
		(void)rmdir(dir);
}

/* Appends to the current detail that dir holds an incomplete set. */
static int
incomplete(int r, const char *dir)
{
	char detail[1024];

	snprintf(detail, sizeof(detail), "%s", kr_err_detail());
	return kr_err_set(r, "%s; %s now holds an incomplete set of "
	    "rehearsal cards: remove it (rm -rf) and run again", detail, dir);
}

static int
fill_paths(struct kr_rehearsal *rh, const char *module)
{
	int r;

	if ((rh->module = strdup(module)) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "rehearsal cards");
	if ((r = join(&rh->conf, rh->dir, KR_REHEARSAL_CONF)) != 0 ||
	    (r = join(&rh->env, rh->dir, KR_REHEARSAL_ENV)) != 0)
		return r;
	if ((r = path_ok("directory", rh->dir)) != 0 ||
	    (r = path_ok("module", rh->module)) != 0)
		return r;
	return 0;
}

int
kr_rehearsal_create(const char *dir, const char *module, unsigned int count,
    struct kr_rehearsal **rp)
{
	struct kr_rehearsal *rh = NULL;
	struct kr_media *md = NULL;
	char *tokens = NULL;
	const char *dirs[1];
	int r = KR_ERR_INTERNAL, created = 0, touched = 0;

	*rp = NULL;
	if (module == NULL)
		module = KR_REHEARSAL_MODULE;
	if (count < 1 || count > KR_REHEARSAL_MAX_CARDS)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "%u rehearsal "
		    "cards: make 1 to %d", count, KR_REHEARSAL_MAX_CARDS);
	if (*dir == '\0')
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "no directory "
		    "given for the rehearsal cards");
	if ((rh = calloc(1, sizeof(*rh))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "rehearsal cards");
	if ((r = prepare_dir(dir, &rh->dir, &created)) != 0)
		goto out;
	dirs[0] = rh->dir;
	if ((r = fill_paths(rh, module)) != 0 ||
	    (r = join(&tokens, rh->dir, KR_REHEARSAL_TOKENS)) != 0 ||
	    (r = kr_media_open(dirs, 1, &md)) != 0) {
		if (created)
			(void)rmdir(rh->dir);
		goto out;
	}
	if (mkdir(tokens, 0700) != 0) {
		r = kr_err_errno(errno == EEXIST ? KR_ERR_EXISTS :
		    KR_ERR_SYSTEM, "creating %s", tokens);
		goto out;
	}
	if ((r = write_conf(md, rh)) != 0 ||
	    (r = make_cards(rh, count, &touched)) != 0 ||
	    (r = write_readme(md, rh)) != 0 ||
	    (r = write_env(md, rh)) != 0) {
		if (touched)
			r = incomplete(r, rh->dir);
		else
			undo(rh->dir, created, tokens);
		goto out;
	}
	*rp = rh;
	rh = NULL;
	r = 0;
 out:
	kr_media_close(md);
	free(tokens);
	kr_rehearsal_free(rh);
	return r;
}
