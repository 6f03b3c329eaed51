/*
 * presence.c: custodian cards coming and going, by comparing token lists.
 *
 * PKCS#11 gives two ways to hear about cards: C_WaitForSlotEvent, which
 * OpenSC implements and SoftHSM2 does not, and listing the slots again.
 * Neither says which token left, and SoftHSM2 does not even see a new or
 * vanished token directory until it is re-initialised, so both methods
 * end the same way: list the tokens and compare with the previous list.
 * The method only decides when a list is worth taking (see presence.h).
 *
 * Uninitialised tokens (SoftHSM2's spare free slot, a blank card) are not
 * custodian cards and are left out of the lists; otherwise every
 * initialisation would also read as "a blank card appeared".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/err.h"
#include "presence.h"
#include "token.h"

/* Slot events drained per poll; more than any reader count. */
#define DRAIN_MAX	64
/* With slot events, list anyway every this many polls (~2 s). */
#define RELIST_POLLS	8

struct kr_presence {
	struct kr_token_module	*m;
	int			 method;
	unsigned int		 polls;	/* since the last listing */
	struct kr_token_info	*tokens;	/* initialised tokens */
	size_t			 ntokens;
	struct kr_presence_event *queue;	/* found, not yet returned */
	size_t			 nqueue;
	size_t			 headqueue; /* first not yet returned */
};

/*
 * Modules whose answers mislead, by the manufacturer C_GetInfo reports
 * (the start of kr_token_module_description()).  SoftHSM2 answers
 * C_WaitForSlotEvent(CKF_DONT_BLOCK) with CKR_NO_EVENT whatever happens
 * (and a blocking call with CKR_FUNCTION_NOT_SUPPORTED), and sees token
 * directories come and go only when re-initialised.
 */
static const struct {
	const char	*manufacturer;
	int		 method;
} module_quirks[] = {
	{ "SoftHSM",	KR_PRESENCE_RELOAD },
};

static const struct {
	int		 method;
	const char	*name;
} method_names[] = {
	{ KR_PRESENCE_SLOT_EVENTS,	"slot events" },
	{ KR_PRESENCE_RELOAD,		"re-initialise and list" },
};

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

const char *
kr_presence_method_name(int method)
{
	size_t i;

	for (i = 0; i < nitems(method_names); i++)
		if (method_names[i].method == method)
			return method_names[i].name;
	return "unknown";
}

int
kr_presence_method(const struct kr_presence *p)
{
	return p->method;
}

const struct kr_token_info *
kr_presence_tokens(const struct kr_presence *p, size_t *np)
{
	*np = p->ntokens;
	return p->tokens;
}

static int
same_token(const struct kr_token_info *a, const struct kr_token_info *b)
{
	return a->slot == b->slot && strcmp(a->serial, b->serial) == 0 &&
	    strcmp(a->label, b->label) == 0;
}

static int
contains(const struct kr_token_info *list, size_t n,
    const struct kr_token_info *t)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (same_token(&list[i], t))
			return 1;
	return 0;
}

/* Lists the initialised tokens present now. */
static int
list_tokens(struct kr_presence *p, struct kr_token_info **listp, size_t *np)
{
	struct kr_token_info *list = NULL;
	size_t i, n = 0, k = 0;
	int r;

	*listp = NULL;
	*np = 0;
	if ((r = kr_token_list(p->m, &list, &n)) != 0)
		return r;
	for (i = 0; i < n; i++)
		if (list[i].initialized)
			list[k++] = list[i];
	*listp = list;
	*np = k;
	return 0;
}

static void
queue_add(struct kr_presence *p, int kind, const struct kr_token_info *t)
{
	p->queue[p->nqueue].kind = kind;
	p->queue[p->nqueue].token = *t;
	p->nqueue++;
}

/* Queues the differences between p->tokens and list; takes list. */
static int
compare(struct kr_presence *p, struct kr_token_info *list, size_t n)
{
	struct kr_presence_event *q;
	size_t i, changes = 0;

	for (i = 0; i < p->ntokens; i++)
		changes += !contains(list, n, &p->tokens[i]);
	for (i = 0; i < n; i++)
		changes += !contains(p->tokens, p->ntokens, &list[i]);
	if (changes > 0) {
		/* The queue is empty here: kr_presence_poll drained it. */
		if ((q = reallocarray(p->queue, changes, sizeof(*q))) == NULL) {
			free(list);
			return kr_err_set(KR_ERR_NOMEM, "noting %zu card "
			    "change(s)", changes);
		}
		p->queue = q;
		p->nqueue = p->headqueue = 0;
		for (i = 0; i < p->ntokens; i++)
			if (!contains(list, n, &p->tokens[i]))
				queue_add(p, KR_PRESENCE_REMOVED,
				    &p->tokens[i]);
		for (i = 0; i < n; i++)
			if (!contains(p->tokens, p->ntokens, &list[i]))
				queue_add(p, KR_PRESENCE_INSERTED, &list[i]);
	}
	free(p->tokens);
	p->tokens = list;
	p->ntokens = n;
	return 0;
}

/*
 * Decides whether a new list is worth taking: *relist is set when it is.
 * Switches to reloading if the module turns out to lack slot events.
 */
static int
should_list(struct kr_presence *p, int *relist)
{
	unsigned long slot;
	int i, r;

	*relist = 0;
	if (p->method == KR_PRESENCE_SLOT_EVENTS) {
		for (i = 0; i < DRAIN_MAX; i++) {
			if ((r = kr_token_slot_event(p->m, &slot)) == 0)
				*relist = 1;
			else if (r == KR_ERR_NOT_FOUND)
				break;
			else if (r == KR_ERR_UNSUPPORTED) {
				p->method = KR_PRESENCE_RELOAD;
				break;
			} else
				return r;
		}
		kr_err_clear();
		if (p->method == KR_PRESENCE_SLOT_EVENTS) {
			if (++p->polls >= RELIST_POLLS)
				*relist = 1;
			return 0;
		}
	}
	/*
	 * SoftHSM2 sees new and vanished tokens only after a reload, and a
	 * reload is refused while a session is open: nothing to see then.
	 */
	if ((r = kr_token_module_reload(p->m)) == KR_ERR_ENGINE_STATE) {
		kr_err_clear();
		return 0;
	}
	if (r != 0)
		return r;
	*relist = 1;
	return 0;
}

/* The method a known module needs, or 0 to ask the module. */
static int
quirk(const struct kr_token_module *m)
{
	const char *desc = kr_token_module_description(m);
	size_t i;

	for (i = 0; i < nitems(module_quirks); i++)
		if (strncmp(desc, module_quirks[i].manufacturer,
		    strlen(module_quirks[i].manufacturer)) == 0)
			return module_quirks[i].method;
	return 0;
}

int
kr_presence_new(struct kr_token_module *m, struct kr_presence **pp)
{
	struct kr_presence *p;
	unsigned long slot;
	int r = KR_ERR_INTERNAL;

	*pp = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "watching for cards");
	p->m = m;
	if ((p->method = quirk(m)) == 0) {
		/* A pending event is fine: the list below includes it. */
		r = kr_token_slot_event(m, &slot);
		if (r == 0 || r == KR_ERR_NOT_FOUND)
			p->method = KR_PRESENCE_SLOT_EVENTS;
		else if (r == KR_ERR_UNSUPPORTED)
			p->method = KR_PRESENCE_RELOAD;
		else
			goto out;
		kr_err_clear();
	}
	if ((r = list_tokens(p, &p->tokens, &p->ntokens)) != 0)
		goto out;
	*pp = p;
	p = NULL;
	r = 0;
 out:
	kr_presence_free(p);
	return r;
}

void
kr_presence_free(struct kr_presence *p)
{
	if (p == NULL)
		return;
	free(p->tokens);
	free(p->queue);
	free(p);
}

int
kr_presence_poll(struct kr_presence *p, struct kr_presence_event *ev,
    size_t max, size_t *np)
{
	struct kr_token_info *list;
	size_t n;
	int relist, r;

	*np = 0;
	if (p->headqueue == p->nqueue) {
		p->headqueue = p->nqueue = 0;
		if ((r = should_list(p, &relist)) != 0)
			return r;
		if (relist) {
			p->polls = 0;
			if ((r = list_tokens(p, &list, &n)) != 0 ||
			    (r = compare(p, list, n)) != 0)
				return r;
		}
	}
	for (n = 0; n < max && p->headqueue < p->nqueue; n++)
		ev[n] = p->queue[p->headqueue++];
	*np = n;
	return 0;
}

static int
matches(const struct kr_token_info *t, const char *want)
{
	return want == NULL || strcmp(t->label, want) == 0 ||
	    strcmp(t->serial, want) == 0;
}

/* 0 and *found, KR_ERR_NOT_FOUND, or KR_ERR_INVALID_ARGUMENT (two). */
static int
find_present(const struct kr_presence *p, const char *want,
    struct kr_token_info *found)
{
	char a[KR_TOKEN_NAME_MAX], b[KR_TOKEN_NAME_MAX], w[4 * 64];
	size_t i, hit = 0;
	int n = 0;

	for (i = 0; i < p->ntokens; i++) {
		if (!matches(&p->tokens[i], want))
			continue;
		if (n++ == 0) {
			hit = i;
			continue;
		}
		if (want == NULL)
			break;	/* any card will do: the first */
		kr_token_name(&p->tokens[hit], a, sizeof(a));
		kr_token_name(&p->tokens[i], b, sizeof(b));
		kr_token_printable(want, w, sizeof(w));
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "both %s and %s "
		    "match '%s'; take one of them out, or name the card by "
		    "its serial", a, b, w);
	}
	if (n == 0)
		return KR_ERR_NOT_FOUND;
	*found = p->tokens[hit];
	return 0;
}

static int
stopped(const char *want)
{
	char w[4 * 64];

	if (want == NULL)
		return kr_err_set(KR_ERR_ABORTED, "stopped waiting for a card");
	kr_token_printable(want, w, sizeof(w));
	return kr_err_set(KR_ERR_ABORTED, "stopped waiting for card %s", w);
}

/* Polls until the queue is empty, handing each event to cb. */
static int
deliver(struct kr_presence *p, const char *want,
    int (*cb)(const struct kr_presence_event *, int, void *), void *arg)
{
	struct kr_presence_event ev[8];
	size_t i, n;
	int r;

	do {
		if ((r = kr_presence_poll(p, ev, nitems(ev), &n)) != 0)
			return r;
		for (i = 0; i < n && cb != NULL; i++)
			if (cb(&ev[i], ev[i].kind == KR_PRESENCE_INSERTED &&
			    matches(&ev[i].token, want), arg) != 0)
				return stopped(want);
	} while (n == nitems(ev));
	return 0;
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(long ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	/* A signal cuts the sleep short; the caller's loop looks again. */
	(void)nanosleep(&ts, NULL);
}

static int
timed_out(const char *want, int timeout_ms)
{
	char w[4 * 64];

	if (want == NULL)
		return kr_err_set(KR_ERR_TOKEN_NOT_PRESENT, "no card was "
		    "inserted within %d.%d s; insert one and try again",
		    timeout_ms / 1000, timeout_ms % 1000 / 100);
	kr_token_printable(want, w, sizeof(w));
	return kr_err_set(KR_ERR_TOKEN_NOT_PRESENT, "card %s was not "
	    "inserted within %d.%d s; insert it and try again", w,
	    timeout_ms / 1000, timeout_ms % 1000 / 100);
}

int
kr_presence_wait(struct kr_presence *p, const char *want, int timeout_ms,
    int (*cb)(const struct kr_presence_event *, int, void *), void *arg,
    struct kr_token_info *found)
{
	long deadline = now_ms() + (timeout_ms < 0 ? 0 : timeout_ms), left;
	int r;

	for (;;) {
		if ((r = deliver(p, want, cb, arg)) != 0)
			return r;
		if ((r = find_present(p, want, found)) != KR_ERR_NOT_FOUND)
			return r;
		left = deadline - now_ms();
		if (timeout_ms >= 0 && left <= 0)
			return timed_out(want, timeout_ms);
		if (cb != NULL && cb(NULL, 0, arg) != 0)
			return stopped(want);
		sleep_ms(timeout_ms < 0 || left > KR_PRESENCE_POLL_MS ?
		    KR_PRESENCE_POLL_MS : left);
	}
}
