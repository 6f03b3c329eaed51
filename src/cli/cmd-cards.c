/*
 * cmd-cards.c: keyrite cards [--module PATH] [--pins FILE] [--ask-pin]
 *     [--media DIR...]
 *
 * Lists the cards (PKCS#11 tokens) present as a table.  With a card's PIN,
 * from a PIN file (`pin.<label> = PIN` or `pin.<serial> = PIN`, answers.h)
 * or typed at the terminal without echo, it also lists the keyrite shares
 * the card holds, by short key id and index, checks each one's checksum,
 * and says whether the card holds a custodian key.  With the media that
 * hold the ceremonies' transcripts, it also says what each share is worth
 * now (src/ceremony/lineage.h): current, pending (its ceremony did not
 * complete), superseded by a reshare, or a leftover of a destroyed key.
 *
 * Exit codes: 0, KR_EXIT_FAILURE when a card could not be read (wrong PIN,
 * card pulled, module missing), KR_EXIT_INTEGRITY when a share fails its
 * checksum (that one wins: a damaged share matters most).
 *
 * Everything a card says about itself is printed through
 * kr_token_printable(), so a hostile label cannot drive the terminal.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "base/err.h"
#include "base/hex.h"
#include "base/secmem.h"
#include "base/text.h"
#include "card/token.h"
#include "ceremony/answers.h"
#include "ceremony/lobby.h"
#include "ceremony/clean.h"
#include "ceremony/lineage.h"
#include "cmd.h"
#include "host/media.h"
#include "crypto/share.h"

#define PIN_BUF		(KR_TOKEN_PIN_MAX + 2)	/* PIN, one more, NUL */

struct opts {
	const char		*module;
	struct kr_answers	*pins;
	int			 ask;
	const char		*media[KR_MEDIA_MAX_DIRS];
	size_t			 nmedia;
	struct kr_lineage	 lineage;
};

/*
 * What the media say a share is worth: its ceremony's state, and whether
 * a sealed reshare retired it or a sealed key-destroy ended its key.
 */
static void
share_state(const struct opts *o, const struct kr_token_share *sh,
    char *out, size_t outlen)
{
	const struct kr_lineage_event *ev;
	enum kr_clean_state st;

	out[0] = '\0';
	if (o->nmedia == 0)
		return;
	if ((ev = kr_lineage_destroyed(&o->lineage, sh->key_id)) != NULL) {
		snprintf(out, outlen, "LEFTOVER OF A DESTROYED KEY: destroyed "
		    "by ceremony %s on %s; keyrite clean --pins deletes it",
		    ev->ceremony, ev->when);
		return;
	}
	if (sh->ceremony[0] == '\0') {
		snprintf(out, outlen, "written before shares named their "
		    "ceremony");
		return;
	}
	if ((ev = kr_lineage_retired(&o->lineage, sh->key_id,
	    sh->ceremony)) != NULL) {
		snprintf(out, outlen, "SUPERSEDED: its package was replaced by "
		    "reshare %s on %s (now %.100s); keyrite refuses the old "
		    "package wherever that reshare's transcript is; keyrite "
		    "clean --pins deletes this share", ev->ceremony, ev->when,
		    ev->new_name);
		return;
	}
	st = kr_clean_state_of(o->media, o->nmedia, sh->ceremony, NULL, 0);
	switch (st) {
	case KR_CLEAN_COMMITTED:
		snprintf(out, outlen, "current: written by ceremony %s, "
		    "committed", sh->ceremony);
		break;
	case KR_CLEAN_FAILED:
		snprintf(out, outlen, "PENDING, NEVER COMMITTED: ceremony %s "
		    "did not complete; it opens nothing; keyrite clean --pins "
		    "deletes it", sh->ceremony);
		break;
	case KR_CLEAN_DAMAGED:
		snprintf(out, outlen, "ceremony %s: its transcript does not "
		    "verify (keyrite verify says why)", sh->ceremony);
		break;
	case KR_CLEAN_UNKNOWN:
		snprintf(out, outlen, "ceremony %s: its transcript is not on "
		    "the media given", sh->ceremony);
		break;
	}
}

/* The worst outcome so far; KR_EXIT_INTEGRITY outranks KR_EXIT_FAILURE. */
static void
worst(int *rc, int exit)
{
	if (exit == KR_EXIT_INTEGRITY || *rc == KR_EXIT_OK)
		*rc = exit;
}

static void
flags(const struct kr_token_info *t, char *out, size_t outlen)
{
	const struct {
		int		 on;
		const char	*name;
	} f[] = {
		{ !t->initialized, "not-initialised" },
		{ t->login_required, "login" },
		{ t->write_protected, "write-protected" },
		{ t->pin_count_low, "pin-count-low" },
		{ t->pin_final_try, "PIN-FINAL-TRY" },
		{ t->pin_locked, "PIN-LOCKED" },
		{ t->hw_slot, "hw-slot" },
	};
	size_t i, o = 0;

	snprintf(out, outlen, "-");
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (!f[i].on)
			continue;
		snprintf(out + o, outlen - o, "%s%s", o > 0 ? "," : "",
		    f[i].name);
		o = strlen(out);
	}
}

static void
print_table(const char *path, const char *desc,
    const struct kr_token_info *list, size_t n)
{
	char label[4 * 33], serial[4 * 17], manu[4 * 33], model[4 * 17];
	char fl[128];
	size_t i;

	printf("module %s (%s)\n", path, desc);
	if (n == 0) {
		printf("no cards present\n");
		return;
	}
	printf("%-20s %-16s %-20s %-16s %s\n", "LABEL", "SERIAL",
	    "MANUFACTURER", "MODEL", "FLAGS");
	for (i = 0; i < n; i++) {
		kr_token_printable(list[i].label, label, sizeof(label));
		kr_token_printable(list[i].serial, serial, sizeof(serial));
		kr_token_printable(list[i].manufacturer, manu, sizeof(manu));
		kr_token_printable(list[i].model, model, sizeof(model));
		flags(&list[i], fl, sizeof(fl));
		printf("%-20s %-16s %-20s %-16s %s\n",
		    list[i].initialized ? label : "(blank)", serial, manu,
		    model, fl);
	}
}

static volatile sig_atomic_t got_signal;

static void
on_signal(int sig)
{
	got_signal = sig;
}

#define TTY_NSIGS	5

/* The terminal as it was before echo was turned off, and the signals. */
struct tty {
	int		 fd;
	int		 restore;
	struct termios	 saved;
	struct sigaction old[TTY_NSIGS];
};

static const int tty_sigs[TTY_NSIGS] = {
	SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGTSTP
};

/*
 * Opens /dev/tty with echo off.  Signals are caught without SA_RESTART so
 * that read() returns and tty_close() restores the terminal before the
 * signal takes effect.
 */
static int
tty_open(struct tty *t)
{
	struct sigaction sa;
	struct termios noecho;
	size_t i;

	memset(t, 0, sizeof(*t));
	if ((t->fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1)
		return kr_err_errno(KR_ERR_IO, "--ask-pin needs a terminal: "
		    "/dev/tty");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	got_signal = 0;
	for (i = 0; i < sizeof(tty_sigs) / sizeof(tty_sigs[0]); i++)
		sigaction(tty_sigs[i], &sa, &t->old[i]);
	if (tcgetattr(t->fd, &t->saved) == 0) {
		noecho = t->saved;
		noecho.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
		noecho.c_lflag |= ICANON;
		t->restore = tcsetattr(t->fd, TCSAFLUSH, &noecho) == 0;
	}
	return 0;
}

static void
tty_close(struct tty *t)
{
	size_t i;

	if (t->restore)
		tcsetattr(t->fd, TCSAFLUSH, &t->saved);
	if (write(t->fd, "\n", 1) < 0) {
		/* Nothing to do: the prompt's line stays open. */
	}
	close(t->fd);
	for (i = 0; i < sizeof(tty_sigs) / sizeof(tty_sigs[0]); i++)
		sigaction(tty_sigs[i], &t->old[i], NULL);
	if (got_signal)
		raise(got_signal);
}

/*
 * Reads a line from the terminal without echo into pin (PIN_BUF bytes of
 * secret memory, NUL-terminated); *lenp 0 means an empty line.
 */
static int
read_pin(const char *prompt, char *pin, size_t *lenp)
{
	struct tty t;
	size_t len = 0;
	ssize_t got;
	char c = 0;
	int r = KR_ERR_INTERNAL, over = 0;

	*lenp = 0;
	if ((r = tty_open(&t)) != 0)
		return r;
	if (write(t.fd, prompt, strlen(prompt)) < 0) {
		r = kr_err_errno(KR_ERR_IO, "/dev/tty");
		goto out;
	}
	for (;;) {
		got = read(t.fd, &c, 1);
		if (got_signal) {
			r = KR_ERR_ABORTED;
			goto out;
		}
		if (got == -1 && errno == EINTR)
			continue;
		if (got <= 0) {
			r = got == 0 ? kr_err_set(KR_ERR_ABORTED, "no PIN: the "
			    "terminal closed") : kr_err_errno(KR_ERR_IO,
			    "reading the PIN from /dev/tty");
			goto out;
		}
		if (c == '\n' || c == '\r')
			break;
		if (len < PIN_BUF - 1)
			pin[len++] = c;
		else
			over = 1;
	}
	if (over || len > KR_TOKEN_PIN_MAX) {
		r = kr_err_set(KR_ERR_INVALID_ARGUMENT, "that PIN is longer "
		    "than %d characters", KR_TOKEN_PIN_MAX);
		goto out;
	}
	*lenp = len;
	r = 0;
 out:
	explicit_bzero(&c, sizeof(c));
	if (r != 0)
		explicit_bzero(pin, PIN_BUF);
	else
		pin[len] = '\0';
	tty_close(&t);
	return r;
}

/* The PIN for t from the PIN file: pin.<label>, else pin.<serial>. */
static const char *
file_pin(const struct kr_answers *pins, const struct kr_token_info *t)
{
	char key[64];
	const char *v;

	if (pins == NULL)
		return NULL;
	snprintf(key, sizeof(key), "pin.%s", t->label);
	if ((v = kr_answers_get(pins, key)) != NULL)
		return v;
	snprintf(key, sizeof(key), "pin.%s", t->serial);
	return kr_answers_get(pins, key);
}

int
kr_cmd_card_login(const struct kr_answers *pins, int ask,
    struct kr_token_session *s, const char *name, const char *context)
{
	struct kr_token_pin_budget budget = { KR_TOKEN_PIN_ATTEMPTS, 0 };
	const char *fpin = file_pin(pins, kr_token_session_info(s));
	char *pin = NULL, prompt[KR_TOKEN_NAME_MAX + 64];
	size_t len = 0;
	int r = KR_ERR_INTERNAL;

	if (fpin == NULL && !ask) {
		r = KR_ERR_NOT_FOUND;
		goto out;
	}
	if (fpin != NULL) {
		if (kr_token_session_info(s)->pin_final_try) {
			fprintf(stderr, "keyrite: %s: %s is on its LAST "
			    "PIN attempt: a wrong PIN would lock it for good. "
			    "keyrite will not try a PIN from a file; use "
			    "--ask-pin, and only if the custodian is sure of "
			    "the PIN.\n", context, name);
			r = KR_ERR_TOKEN_PIN_LOCKED;
			goto out;
		}
		if ((r = kr_token_login(s, fpin, strlen(fpin), &budget)) != 0)
			kr_cmd_perror(context, r);
		goto out;
	}
	if ((pin = kr_secmem_alloc(PIN_BUF)) == NULL) {
		r = KR_ERR_SECMEM_MMAP;
		kr_cmd_perror(context, r);
		goto out;
	}
	while (budget.failed < budget.limit) {
		if (kr_token_session_info(s)->pin_final_try)
			fprintf(stderr, "WARNING: %s has ONE PIN attempt left. "
			    "If this PIN is wrong too, the card locks and its "
			    "share cannot be read until its SO PIN unblocks "
			    "it. If the custodian is not sure, press Enter "
			    "to skip this card.\n", name);
		snprintf(prompt, sizeof(prompt), "PIN for %s (Enter to skip): ",
		    name);
		if ((r = read_pin(prompt, pin, &len)) != 0) {
			kr_cmd_perror(context, r);
			goto out;
		}
		if (len == 0) {
			r = KR_ERR_NOT_FOUND;
			goto out;
		}
		r = kr_token_login(s, pin, len, &budget);
		explicit_bzero(pin, PIN_BUF);
		if (r == 0)
			goto out;
		kr_cmd_perror(context, r);
		if (r != KR_ERR_TOKEN_PIN_INCORRECT)
			goto out;
	}
 out:
	kr_secmem_free(pin, PIN_BUF);
	return r;
}

/* Prints the card's shares; returns a KR_EXIT_* code. */
static int
show_shares(const struct opts *o, struct kr_token_session *s,
    const char *name)
{
	struct kr_token_share *sh = NULL;
	struct kr_share *d = NULL;
	char hex[2 * KR_SHARE_ID_BYTES + 1], state[512], pstate[4 * 512];
	size_t n = 0, i;
	int r, rc = KR_EXIT_OK;

	if ((r = kr_token_read_shares(s, NULL, &sh, &n)) != 0 ||
	    (d = kr_secmem_alloc(sizeof(*d))) == NULL) {
		kr_cmd_perror("cards", r != 0 ? r : KR_ERR_SECMEM_MMAP);
		rc = KR_EXIT_FAILURE;
		goto out;
	}
	if (n == 0)
		printf("  no keyrite shares\n");
	for (i = 0; i < n; i++) {
		kr_hex_encode(sh[i].key_id, sizeof(sh[i].key_id), hex,
		    sizeof(hex));
		printf("  share of key %s  x=%-3u ", hex, sh[i].x);
		if ((r = kr_share_decode(sh[i].value, sh[i].len, name,
		    d)) != 0) {
			printf("DAMAGED: %s: %s\n", kr_strerror(r),
			    kr_err_detail());
			worst(&rc, KR_EXIT_INTEGRITY);
		} else if (memcmp(d->key_id, sh[i].key_id,
		    sizeof(d->key_id)) != 0 || d->x != sh[i].x) {
			printf("MISLABELLED: the share inside is x=%u of "
			    "another key or index than its label says\n",
			    d->x);
			worst(&rc, KR_EXIT_INTEGRITY);
		} else if (!sh[i].is_private) {
			printf("checksum ok, but NOT PRIVATE: anyone can read "
			    "it without the PIN; rewrite it as a private "
			    "object\n");
			worst(&rc, KR_EXIT_FAILURE);
		} else
			printf("ok (%u of %u)\n", d->m, d->n);
		share_state(o, &sh[i], state, sizeof(state));
		if (state[0] != '\0')
			printf("    %s\n", kr_printable(state, pstate,
			    sizeof(pstate)));
	}
 out:
	kr_secmem_free(d, sizeof(*d));
	kr_token_shares_free(sh, n);
	return rc;
}

static int
show_custodian(struct kr_token_session *s)
{
	uint8_t *spki = NULL, md[SHA256_DIGEST_LENGTH];
	char hex[2 * SHA256_DIGEST_LENGTH + 1];
	size_t len = 0;
	int r;

	r = kr_token_custodian_key(s, 0, &spki, &len, NULL);
	if (r == KR_ERR_NOT_FOUND) {
		printf("  custodian key: none\n");
		return KR_EXIT_OK;
	}
	if (r != 0) {
		printf("  custodian key: not usable: %s: %s\n",
		    kr_strerror(r), kr_err_detail());
		return KR_EXIT_FAILURE;
	}
	SHA256(spki, len, md);
	kr_hex_encode(md, sizeof(md), hex, sizeof(hex));
	printf("  custodian key: %s, P-256, public key sha256 %s\n",
	    KR_TOKEN_CUSTODIAN_LABEL, hex);
	free(spki);
	return KR_EXIT_OK;
}

static int
show_card(const struct opts *o, struct kr_token_module *m,
    const struct kr_token_info *t)
{
	struct kr_token_session *s = NULL;
	char name[KR_TOKEN_NAME_MAX];
	int r, rc = KR_EXIT_OK;

	kr_token_name(t, name, sizeof(name));
	if ((r = kr_token_open(m, t, &s)) != 0) {
		kr_cmd_perror("cards", r);
		return KR_EXIT_FAILURE;
	}
	if ((r = kr_cmd_card_login(o->pins, o->ask, s, name, "cards")) != 0) {
		if (r != KR_ERR_NOT_FOUND)
			rc = KR_EXIT_FAILURE;
		goto out;
	}
	printf("\n%s:\n", name);
	worst(&rc, show_shares(o, s, name));
	worst(&rc, show_custodian(s));
 out:
	kr_token_close(s);
	return rc;
}

/* Cards by label; blank (uninitialised) slots last; then by serial. */
static int
by_label(const void *a, const void *b)
{
	const struct kr_token_info *x = a, *y = b;
	int c;

	if (x->initialized != y->initialized)
		return x->initialized ? -1 : 1;
	if ((c = kr_lobby_label_cmp(x->label, y->label)) != 0)
		return c;
	return strcmp(x->serial, y->serial);
}

static int
parse_args(int argc, char **argv, struct opts *o)
{
	const char *pins = NULL;
	int i, r;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--module") == 0 && i + 1 < argc)
			o->module = argv[++i];
		else if (strcmp(argv[i], "--pins") == 0 && i + 1 < argc)
			pins = argv[++i];
		else if (strcmp(argv[i], "--ask-pin") == 0)
			o->ask = 1;
		else if (strcmp(argv[i], "--media") == 0 && i + 1 < argc &&
		    o->nmedia < KR_MEDIA_MAX_DIRS)
			o->media[o->nmedia++] = argv[++i];
		else
			return kr_cmd_usage(&kr_cmd_cards_entry);
	}
	if (o->nmedia > 0 && (r = kr_lineage_scan(o->media, o->nmedia,
	    &o->lineage)) != 0) {
		kr_cmd_perror("cards", r);
		return KR_EXIT_FAILURE;
	}
	if (pins != NULL && (r = kr_answers_load(pins, &o->pins)) != 0) {
		kr_cmd_perror("cards", r);
		return KR_EXIT_FAILURE;
	}
	return KR_EXIT_OK;
}

static int
cmd_cards(int argc, char **argv)
{
	struct opts o;
	struct kr_token_module *m = NULL;
	struct kr_token_info *list = NULL;
	size_t n = 0, i;
	int r, rc;

	memset(&o, 0, sizeof(o));
	if ((rc = parse_args(argc, argv, &o)) != KR_EXIT_OK)
		goto out;
	if ((r = kr_token_module_open(o.module, &m)) != 0 ||
	    (r = kr_token_list(m, &list, &n)) != 0) {
		kr_cmd_perror("cards", r);
		rc = KR_EXIT_FAILURE;
		goto out;
	}
	/* By label, as people look for them (custodian-2 before -10). */
	qsort(list, n, sizeof(list[0]), by_label);
	print_table(kr_token_module_path(o.module),
	    kr_token_module_description(m), list, n);
	fflush(stdout);
	for (i = 0; i < n; i++) {
		if (list[i].initialized)
			worst(&rc, show_card(&o, m, &list[i]));
		fflush(stdout);
	}
 out:
	free(list);
	kr_token_module_close(m);
	kr_answers_free(o.pins);
	kr_lineage_free(&o.lineage);
	return rc;
}

const struct kr_cmd_entry kr_cmd_cards_entry = {
	.name = "cards",
	.args = "[--module PATH] [--pins FILE] [--ask-pin] [--media DIR...]",
	.summary = "list the cards present; with a PIN, the keyrite shares "
	    "each holds",
	.flags = KR_CMD_SECRETS,
	.exec = cmd_cards,
	.help =
	"Lists the cards (PKCS#11 tokens) the module sees, by label: serial,\n"
	"manufacturer, model and flags.  With a card's PIN it also lists the\n"
	"keyrite shares the card holds (short key id, index, the ceremony that\n"
	"wrote it), checks each one's checksum, and says whether the card holds\n"
	"a custodian key.  This is how a custodian checks a card between\n"
	"ceremonies (docs/custodian-guide.md).  No ceremony runs: nothing is\n"
	"written to a card or recorded.\n"
	"\n"
	"  --module PATH  the PKCS#11 module (default: $KEYRITE_PKCS11_MODULE,\n"
	"                 else OpenSC's opensc-pkcs11.so)\n"
	"  --pins FILE    PINs from a file, one line per card:\n"
	"                     pin.<card label> = <PIN>\n"
	"                 or  pin.<card serial> = <PIN>\n"
	"                 '#' starts a comment line; UTF-8; read into locked\n"
	"                 memory and never printed.  A card without a line is\n"
	"                 listed but not opened.  A PIN from a file is never\n"
	"                 tried on a card at its last attempt.  For rehearsal\n"
	"                 cards only: real PINs belong in custodians' heads.\n"
	"  --ask-pin      ask each card's PIN at the terminal, without echo\n"
	"                 (Enter alone skips the card); keyrite tries at most\n"
	"                 3 PINs per card\n"
	"  --media DIR    media holding the ceremonies' transcripts (repeat);\n"
	"                 then each share also says what it is worth now:\n"
	"                 current, pending (its ceremony did not complete),\n"
	"                 superseded by a reshare, or left from a destroyed\n"
	"                 key\n"
	"\n"
	"Exit status: 0 listed and every share checked; 1 a card could not be\n"
	"read (wrong PIN, card removed, module missing); 5 a share failed its\n"
	"checksum or is not what its label says; 2 bad command line.\n",
};
