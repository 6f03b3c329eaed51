/*
 * token.c: the PKCS#11 boundary: loading a module, listing and naming
 * cards, sessions, PIN login with keyrite's own attempt bound, slot events
 * and rehearsal-card initialisation.
 *
 * Every CK_RV any token*.c function sees goes through kr_token_ckr() or
 * kr_token_session_ckr(), which map it, once, through ckr_table to a
 * KR_ERR_TOKEN_* code and a message that names the card and says what to
 * do next.  Share objects live in token-object.c, the custodian key in
 * token-custodian.c.
 *
 * A vanished card does not always say so: SoftHSM2 answers most calls on
 * a token whose directory has gone with CKR_GENERAL_ERROR, and
 * C_FindObjects with CKR_OK and nothing found.  So errors that a pulled
 * card can cause, and every search that finds nothing, are followed by a
 * check that the card still answers (kr_token_confirm_present()).
 */
#include <assert.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/text.h"
#include "token-int.h"

/* How each CK_RV becomes a keyrite error, and what the person should do. */
static const struct ckr_map {
	CK_RV		 rv;
	const char	*name;
	int		 code;
	const char	*advice;
} ckr_table[] = {
	{ CKR_HOST_MEMORY, "CKR_HOST_MEMORY", KR_ERR_NOMEM,
	    "the appliance ran out of memory; restart it" },
	{ CKR_SLOT_ID_INVALID, "CKR_SLOT_ID_INVALID", KR_ERR_TOKEN_NOT_PRESENT,
	    "the reader has gone; reconnect it and insert the card again" },
	{ CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR", KR_ERR_TOKEN_GENERAL,
	    "take the card out, put it back and repeat the step; if it "
	    "fails again, try another reader" },
	{ CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED", KR_ERR_TOKEN_GENERAL,
	    "repeat the step; if it fails again, the card may be faulty" },
	{ CKR_ARGUMENTS_BAD, "CKR_ARGUMENTS_BAD", KR_ERR_INTERNAL,
	    "this is a bug in keyrite; report it with this message" },
	{ CKR_NO_EVENT, "CKR_NO_EVENT", KR_ERR_NOT_FOUND,
	    "no card was inserted or removed" },
	{ CKR_CANT_LOCK, "CKR_CANT_LOCK", KR_ERR_TOKEN_MODULE,
	    "the PKCS#11 module cannot be used from threads; use another "
	    "module" },
	{ CKR_ATTRIBUTE_SENSITIVE, "CKR_ATTRIBUTE_SENSITIVE",
	    KR_ERR_TOKEN_UNSUPPORTED,
	    "the card will not reveal this value; see docs/cards.md" },
	{ CKR_ATTRIBUTE_TYPE_INVALID, "CKR_ATTRIBUTE_TYPE_INVALID",
	    KR_ERR_TOKEN_UNSUPPORTED,
	    "this card cannot store what keyrite needs; see docs/cards.md "
	    "for cards that work" },
	{ CKR_ATTRIBUTE_VALUE_INVALID, "CKR_ATTRIBUTE_VALUE_INVALID",
	    KR_ERR_TOKEN_UNSUPPORTED,
	    "this card cannot store what keyrite needs; see docs/cards.md "
	    "for cards that work" },
	{ CKR_DATA_LEN_RANGE, "CKR_DATA_LEN_RANGE", KR_ERR_TOKEN_UNSUPPORTED,
	    "the card refused the data's length; see docs/cards.md" },
	{ CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR", KR_ERR_TOKEN_GENERAL,
	    "take the card out, put it back and repeat the step; if it "
	    "fails again, the card or reader is faulty" },
	{ CKR_DEVICE_MEMORY, "CKR_DEVICE_MEMORY", KR_ERR_TOKEN_FULL,
	    "the card has no room left; use another card, or remove "
	    "objects keyrite no longer needs" },
	{ CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED", KR_ERR_TOKEN_REMOVED,
	    "put the card back and repeat the step" },
	{ CKR_FUNCTION_CANCELED, "CKR_FUNCTION_CANCELED", KR_ERR_ABORTED,
	    "the operation was cancelled; repeat the step" },
	{ CKR_FUNCTION_NOT_SUPPORTED, "CKR_FUNCTION_NOT_SUPPORTED",
	    KR_ERR_TOKEN_UNSUPPORTED,
	    "the card or module cannot do this; see docs/cards.md" },
	{ CKR_KEY_TYPE_INCONSISTENT, "CKR_KEY_TYPE_INCONSISTENT",
	    KR_ERR_TOKEN_CUSTODIAN_KEY,
	    "the card's key is not the kind keyrite expects; see "
	    "docs/cards.md" },
	{ CKR_KEY_FUNCTION_NOT_PERMITTED, "CKR_KEY_FUNCTION_NOT_PERMITTED",
	    KR_ERR_TOKEN_CUSTODIAN_KEY,
	    "the card's key may not sign; prepare the card again as "
	    "docs/cards.md describes" },
	{ CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID",
	    KR_ERR_TOKEN_UNSUPPORTED,
	    "the card cannot make or use P-256 keys; use a card from "
	    "docs/cards.md" },
	{ CKR_MECHANISM_PARAM_INVALID, "CKR_MECHANISM_PARAM_INVALID",
	    KR_ERR_TOKEN_UNSUPPORTED,
	    "the card cannot make or use P-256 keys; use a card from "
	    "docs/cards.md" },
	{ CKR_OBJECT_HANDLE_INVALID, "CKR_OBJECT_HANDLE_INVALID",
	    KR_ERR_TOKEN_GENERAL,
	    "the object vanished while keyrite used it; repeat the step" },
	{ CKR_OPERATION_ACTIVE, "CKR_OPERATION_ACTIVE", KR_ERR_INTERNAL,
	    "this is a bug in keyrite; report it with this message" },
	{ CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT", KR_ERR_TOKEN_PIN_INCORRECT,
	    "the custodian should check the PIN" },
	{ CKR_PIN_INVALID, "CKR_PIN_INVALID", KR_ERR_TOKEN_PIN_INCORRECT,
	    "the PIN has characters the card does not accept; the custodian "
	    "should check the PIN" },
	{ CKR_PIN_LEN_RANGE, "CKR_PIN_LEN_RANGE", KR_ERR_TOKEN_PIN_INCORRECT,
	    "the PIN is too short or too long for this card; the custodian "
	    "should check the PIN" },
	{ CKR_PIN_EXPIRED, "CKR_PIN_EXPIRED", KR_ERR_TOKEN_PIN_LOCKED,
	    "the card's PIN has expired; the custodian must set a new PIN "
	    "with the card's own tool before this ceremony" },
	{ CKR_PIN_LOCKED, "CKR_PIN_LOCKED", KR_ERR_TOKEN_PIN_LOCKED,
	    "the card's PIN is blocked; only the card's SO PIN (PUK) can "
	    "unblock it, outside the ceremony (docs/cards.md)" },
	{ CKR_SESSION_CLOSED, "CKR_SESSION_CLOSED", KR_ERR_TOKEN_REMOVED,
	    "put the card back and repeat the step" },
	{ CKR_SESSION_COUNT, "CKR_SESSION_COUNT", KR_ERR_TOKEN_GENERAL,
	    "another program is using the card; close it and repeat the step" },
	{ CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID",
	    KR_ERR_TOKEN_REMOVED,
	    "put the card back and repeat the step" },
	{ CKR_SESSION_READ_ONLY, "CKR_SESSION_READ_ONLY",
	    KR_ERR_TOKEN_WRITE_PROTECTED,
	    "the card accepts no writes; use another card" },
	{ CKR_SESSION_READ_ONLY_EXISTS, "CKR_SESSION_READ_ONLY_EXISTS",
	    KR_ERR_TOKEN_GENERAL,
	    "another program is using the card; close it and repeat the step" },
	{ CKR_SESSION_READ_WRITE_SO_EXISTS, "CKR_SESSION_READ_WRITE_SO_EXISTS",
	    KR_ERR_TOKEN_GENERAL,
	    "the card's security officer is logged in elsewhere; close that "
	    "program and repeat the step" },
	{ CKR_TEMPLATE_INCOMPLETE, "CKR_TEMPLATE_INCOMPLETE",
	    KR_ERR_TOKEN_UNSUPPORTED,
	    "the card wants attributes keyrite does not give; see "
	    "docs/cards.md" },
	{ CKR_TEMPLATE_INCONSISTENT, "CKR_TEMPLATE_INCONSISTENT",
	    KR_ERR_TOKEN_UNSUPPORTED,
	    "the card cannot store private objects or unexportable keys as "
	    "keyrite needs; see docs/cards.md" },
	{ CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT", KR_ERR_TOKEN_REMOVED,
	    "put the card back and repeat the step" },
	{ CKR_TOKEN_NOT_RECOGNIZED, "CKR_TOKEN_NOT_RECOGNIZED",
	    KR_ERR_TOKEN_UNSUPPORTED,
	    "the module does not know this card; see docs/cards.md" },
	{ CKR_TOKEN_WRITE_PROTECTED, "CKR_TOKEN_WRITE_PROTECTED",
	    KR_ERR_TOKEN_WRITE_PROTECTED,
	    "the card accepts no writes; use another card" },
	{ CKR_USER_ALREADY_LOGGED_IN, "CKR_USER_ALREADY_LOGGED_IN",
	    KR_ERR_INTERNAL,
	    "this is a bug in keyrite; report it with this message" },
	{ CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN",
	    KR_ERR_TOKEN_NOT_LOGGED_IN,
	    "the custodian must enter the card's PIN first" },
	{ CKR_USER_PIN_NOT_INITIALIZED, "CKR_USER_PIN_NOT_INITIALIZED",
	    KR_ERR_TOKEN_NOT_INITIALIZED,
	    "the card has no user PIN yet; prepare it as docs/cards.md "
	    "describes" },
	{ CKR_USER_TYPE_INVALID, "CKR_USER_TYPE_INVALID", KR_ERR_INTERNAL,
	    "this is a bug in keyrite; report it with this message" },
	{ CKR_USER_ANOTHER_ALREADY_LOGGED_IN,
	    "CKR_USER_ANOTHER_ALREADY_LOGGED_IN", KR_ERR_TOKEN_GENERAL,
	    "another program is logged in to the card; close it and repeat "
	    "the step" },
	{ CKR_RANDOM_NO_RNG, "CKR_RANDOM_NO_RNG", KR_ERR_TOKEN_UNSUPPORTED,
	    "the card cannot generate keys; use a card from docs/cards.md" },
	{ CKR_DOMAIN_PARAMS_INVALID, "CKR_DOMAIN_PARAMS_INVALID",
	    KR_ERR_TOKEN_UNSUPPORTED,
	    "the card has no P-256; use a card from docs/cards.md" },
	{ CKR_CURVE_NOT_SUPPORTED, "CKR_CURVE_NOT_SUPPORTED",
	    KR_ERR_TOKEN_UNSUPPORTED,
	    "the card has no P-256; use a card from docs/cards.md" },
	{ CKR_BUFFER_TOO_SMALL, "CKR_BUFFER_TOO_SMALL", KR_ERR_INTERNAL,
	    "this is a bug in keyrite; report it with this message" },
	{ CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED",
	    KR_ERR_TOKEN_MODULE,
	    "this is a bug in keyrite; report it with this message" },
	{ CKR_CRYPTOKI_ALREADY_INITIALIZED, "CKR_CRYPTOKI_ALREADY_INITIALIZED",
	    KR_ERR_TOKEN_MODULE,
	    "the module is already in use by this process; open it once" },
	{ CKR_FUNCTION_REJECTED, "CKR_FUNCTION_REJECTED", KR_ERR_ABORTED,
	    "the card or its owner refused; repeat the step" },
};

static const struct ckr_map *
ckr_lookup(CK_RV rv)
{
	size_t i;

	for (i = 0; i < sizeof(ckr_table) / sizeof(ckr_table[0]); i++)
		if (ckr_table[i].rv == rv)
			return &ckr_table[i];
	return NULL;
}

int
kr_token_ckr(CK_RV rv, const char *name, const char *op)
{
	const struct ckr_map *c;
	char pfx[200];

	assert(rv != CKR_OK);
	snprintf(pfx, sizeof(pfx), "%s%s%s", name ? name : "",
	    name ? ": " : "", op);
	if ((c = ckr_lookup(rv)) == NULL)
		return kr_err_set(KR_ERR_TOKEN_GENERAL, "%s failed "
		    "(CKR 0x%lx); take the card out, put it back and repeat "
		    "the step", pfx, (unsigned long)rv);
	return kr_err_set(c->code, "%s failed (%s); %s", pfx, c->name,
	    c->advice);
}

int
kr_token_err_append(int code, const char *more)
{
	char old[1024];

	snprintf(old, sizeof(old), "%s", kr_err_detail());
	return kr_err_set(code, "%s%s", old, more);
}

/* Codes a card that has gone away can produce (SoftHSM2: GENERAL_ERROR). */
static int
maybe_gone(CK_RV rv)
{
	return rv == CKR_GENERAL_ERROR || rv == CKR_DEVICE_ERROR ||
	    rv == CKR_DEVICE_REMOVED || rv == CKR_TOKEN_NOT_PRESENT ||
	    rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED ||
	    rv == CKR_SLOT_ID_INVALID || rv == CKR_OBJECT_HANDLE_INVALID ||
	    rv == CKR_FUNCTION_FAILED;
}

int
kr_token_session_ckr(struct kr_token_session *s, CK_RV rv, const char *op)
{
	if (maybe_gone(rv) && kr_token_confirm_present(s) != 0)
		return KR_ERR_TOKEN_REMOVED;
	return kr_token_ckr(rv, s->name, op);
}

/* Copies a blank-padded CK field into a C string, trailing blanks cut. */
static void
field(char *dst, size_t dstlen, const CK_UTF8CHAR *src, size_t srclen)
{
	size_t n = srclen < dstlen - 1 ? srclen : dstlen - 1;

	memcpy(dst, src, n);
	while (n > 0 && (dst[n - 1] == ' ' || dst[n - 1] == '\0'))
		n--;
	dst[n] = '\0';
	/* A NUL inside the field would hide the rest of it; show it. */
	for (; n > 0; n--)
		if (dst[n - 1] == '\0')
			dst[n - 1] = '?';
}

static void
fill_info(CK_FUNCTION_LIST_PTR f, struct kr_token_info *t, CK_SLOT_ID slot,
    const CK_TOKEN_INFO *ti)
{
	CK_SLOT_INFO si;

	memset(t, 0, sizeof(*t));
	t->slot = slot;
	field(t->label, sizeof(t->label), ti->label, sizeof(ti->label));
	field(t->serial, sizeof(t->serial), ti->serialNumber,
	    sizeof(ti->serialNumber));
	field(t->manufacturer, sizeof(t->manufacturer), ti->manufacturerID,
	    sizeof(ti->manufacturerID));
	field(t->model, sizeof(t->model), ti->model, sizeof(ti->model));
	t->login_required = (ti->flags & CKF_LOGIN_REQUIRED) != 0;
	t->write_protected = (ti->flags & CKF_WRITE_PROTECTED) != 0;
	t->pin_count_low = (ti->flags & CKF_USER_PIN_COUNT_LOW) != 0;
	t->pin_final_try = (ti->flags & CKF_USER_PIN_FINAL_TRY) != 0;
	t->pin_locked = (ti->flags & CKF_USER_PIN_LOCKED) != 0;
	t->initialized = (ti->flags & CKF_TOKEN_INITIALIZED) != 0;
	/* A real ceremony takes only hardware slots (ceremony/reviewed.c). */
	if (f->C_GetSlotInfo(slot, &si) == CKR_OK) {
		t->hw_slot = (si.flags & CKF_HW_SLOT) != 0;
		t->removable = (si.flags & CKF_REMOVABLE_DEVICE) != 0;
	}
}

void
kr_token_printable(const char *in, char *out, size_t outlen)
{
	kr_printable(in, out, outlen);
}

void
kr_token_name(const struct kr_token_info *t, char *out, size_t outlen)
{
	char label[4 * sizeof(t->label)], serial[4 * sizeof(t->serial)];

	kr_token_printable(t->label, label, sizeof(label));
	kr_token_printable(t->serial, serial, sizeof(serial));
	snprintf(out, outlen, "card %s (serial %s)", label, serial);
}

const char *
kr_token_module_path(const char *path)
{
	const char *env;

	if (path != NULL)
		return path;
	if ((env = getenv(KR_TOKEN_MODULE_ENV)) != NULL && *env != '\0')
		return env;
	return KR_TOKEN_DEFAULT_MODULE;
}

static int
module_init(struct kr_token_module *m)
{
	CK_C_INITIALIZE_ARGS args;
	CK_RV rv;

	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	if ((rv = m->f->C_Initialize(&args)) != CKR_OK) {
		kr_token_ckr(rv, NULL, "C_Initialize");
		return kr_err_set(KR_ERR_TOKEN_MODULE, "PKCS#11 module %s: %s",
		    m->path, kr_err_detail());
	}
	m->initialized = 1;
	return 0;
}

static void
describe(struct kr_token_module *m)
{
	CK_INFO ci;
	char manu[33], lib[33];

	if (m->f->C_GetInfo(&ci) != CKR_OK) {
		snprintf(m->description, sizeof(m->description), "%.*s",
		    (int)sizeof(m->description) - 1, m->path);
		return;
	}
	field(manu, sizeof(manu), ci.manufacturerID,
	    sizeof(ci.manufacturerID));
	field(lib, sizeof(lib), ci.libraryDescription,
	    sizeof(ci.libraryDescription));
	snprintf(m->description, sizeof(m->description), "%s, %s %u.%u",
	    manu, lib, ci.libraryVersion.major, ci.libraryVersion.minor);
}

int
kr_token_module_open(const char *path, struct kr_token_module **mp)
{
	struct kr_token_module *m = NULL;
	CK_C_GetFunctionList getlist;
	CK_RV rv;
	int r = KR_ERR_INTERNAL;

	*mp = NULL;
	path = kr_token_module_path(path);
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		r = kr_err_set(KR_ERR_NOMEM, "loading PKCS#11 module %s", path);
		goto out;
	}
	if (strlen(path) >= sizeof(m->path)) {
		r = kr_err_set(KR_ERR_TOKEN_MODULE, "PKCS#11 module path is "
		    "too long");
		goto out;
	}
	snprintf(m->path, sizeof(m->path), "%s", path);
	if ((m->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		r = kr_err_set(KR_ERR_TOKEN_MODULE, "PKCS#11 module %s: %s; "
		    "give the right module with --module or %s", path,
		    dlerror(), KR_TOKEN_MODULE_ENV);
		goto out;
	}
	/* POSIX: a data pointer from dlsym converts to a function pointer. */
	*(void **)&getlist = dlsym(m->dl, "C_GetFunctionList");
	if (getlist == NULL) {
		r = kr_err_set(KR_ERR_TOKEN_MODULE, "%s is not a PKCS#11 "
		    "module (no C_GetFunctionList); give the right module "
		    "with --module or %s", path, KR_TOKEN_MODULE_ENV);
		goto out;
	}
	if ((rv = getlist(&m->f)) != CKR_OK || m->f == NULL) {
		r = kr_err_set(KR_ERR_TOKEN_MODULE, "PKCS#11 module %s: "
		    "C_GetFunctionList failed (CKR 0x%lx)", path,
		    (unsigned long)rv);
		goto out;
	}
	if ((r = module_init(m)) != 0)
		goto out;
	describe(m);
	*mp = m;
	m = NULL;
	r = 0;
 out:
	kr_token_module_close(m);
	return r;
}

void
kr_token_module_close(struct kr_token_module *m)
{
	if (m == NULL)
		return;
	assert(m->sessions == 0);
	if (m->initialized)
		m->f->C_Finalize(NULL);
	if (m->dl != NULL)
		dlclose(m->dl);
	free(m);
}

int
kr_token_module_reload(struct kr_token_module *m)
{
	if (m->sessions > 0)
		return kr_err_set(KR_ERR_ENGINE_STATE, "PKCS#11 module %s: "
		    "cannot reload while %u card session(s) are open; close "
		    "them first", m->path, m->sessions);
	if (m->initialized)
		m->f->C_Finalize(NULL);
	m->initialized = 0;
	return module_init(m);
}

const char *
kr_token_module_description(const struct kr_token_module *m)
{
	return m->description;
}

/* Slots (with a token present when present is set); *slotsp malloc()ed. */
static int
slot_list(struct kr_token_module *m, int present, CK_SLOT_ID **slotsp,
    CK_ULONG *np)
{
	CK_SLOT_ID *slots = NULL, *tmp;
	CK_ULONG n = 0;
	CK_RV rv;
	int r = KR_ERR_INTERNAL;

	*slotsp = NULL;
	*np = 0;
	for (;;) {
		if ((rv = m->f->C_GetSlotList(present ? CK_TRUE : CK_FALSE,
		    NULL, &n)) != CKR_OK) {
			r = kr_token_ckr(rv, NULL, "C_GetSlotList");
			goto out;
		}
		tmp = reallocarray(slots, n + 1, sizeof(*slots));
		if (tmp == NULL) {
			r = kr_err_set(KR_ERR_NOMEM, "listing card slots");
			goto out;
		}
		slots = tmp;
		rv = m->f->C_GetSlotList(present ? CK_TRUE : CK_FALSE, slots,
		    &n);
		if (rv == CKR_OK)
			break;
		if (rv != CKR_BUFFER_TOO_SMALL) {	/* a reader came */
			r = kr_token_ckr(rv, NULL, "C_GetSlotList");
			goto out;
		}
	}
	*slotsp = slots;
	*np = n;
	slots = NULL;
	r = 0;
 out:
	free(slots);
	return r;
}

int
kr_token_list(struct kr_token_module *m, struct kr_token_info **listp,
    size_t *np)
{
	struct kr_token_info *list = NULL;
	CK_SLOT_ID *slots = NULL;
	CK_TOKEN_INFO ti;
	CK_ULONG n = 0, i;
	CK_RV rv;
	size_t k = 0;
	int r = KR_ERR_INTERNAL;

	*listp = NULL;
	*np = 0;
	if ((r = slot_list(m, 1, &slots, &n)) != 0)
		goto out;
	if ((list = calloc(n + 1, sizeof(*list))) == NULL) {
		r = kr_err_set(KR_ERR_NOMEM, "listing cards");
		goto out;
	}
	for (i = 0; i < n; i++) {
		rv = m->f->C_GetTokenInfo(slots[i], &ti);
		/* Gone since the slot list, or unreadable: not present. */
		if (rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_DEVICE_REMOVED ||
		    rv == CKR_GENERAL_ERROR || rv == CKR_DEVICE_ERROR ||
		    rv == CKR_SLOT_ID_INVALID || rv == CKR_TOKEN_NOT_RECOGNIZED)
			continue;
		if (rv != CKR_OK) {
			r = kr_token_ckr(rv, NULL, "C_GetTokenInfo");
			goto out;
		}
		fill_info(m->f, &list[k++], slots[i], &ti);
	}
	*listp = list;
	*np = k;
	list = NULL;
	r = 0;
 out:
	free(list);
	free(slots);
	return r;
}

int
kr_token_find(struct kr_token_module *m, const char *which,
    struct kr_token_info *out)
{
	struct kr_token_info *list = NULL;
	char a[KR_TOKEN_NAME_MAX], b[KR_TOKEN_NAME_MAX], w[4 * 64];
	size_t n = 0, i, found = 0, hit = 0;
	int r = KR_ERR_INTERNAL;

	if ((r = kr_token_list(m, &list, &n)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (!list[i].initialized)
			continue;
		if (strcmp(list[i].label, which) != 0 &&
		    strcmp(list[i].serial, which) != 0)
			continue;
		if (found++ == 0) {
			hit = i;
			continue;
		}
		kr_token_name(&list[hit], a, sizeof(a));
		kr_token_name(&list[i], b, sizeof(b));
		kr_token_printable(which, w, sizeof(w));
		r = kr_err_set(KR_ERR_INVALID_ARGUMENT, "both %s and %s match "
		    "'%s'; take one of them out, or name the card by its "
		    "serial", a, b, w);
		goto out;
	}
	if (found == 0) {
		kr_token_printable(which, w, sizeof(w));
		r = kr_err_set(KR_ERR_TOKEN_NOT_PRESENT, "no card labelled "
		    "or with serial '%s' is present; insert it, or check the "
		    "name with 'keyrite cards'", w);
		goto out;
	}
	*out = list[hit];
	r = 0;
 out:
	free(list);
	return r;
}

/* Reads the token info of s's slot into *t, without naming. */
static int
session_token_info(struct kr_token_session *s, struct kr_token_info *t,
    CK_RV *rvp)
{
	CK_TOKEN_INFO ti;

	if ((*rvp = KR_P11(s)->C_GetTokenInfo(s->info.slot, &ti)) != CKR_OK)
		return -1;
	fill_info(KR_P11(s), t, s->info.slot, &ti);
	return 0;
}

int
kr_token_confirm_present(struct kr_token_session *s)
{
	const struct ckr_map *c;
	struct kr_token_info t;
	CK_SESSION_INFO si;
	CK_RV rv;

	if (session_token_info(s, &t, &rv) != 0 ||
	    (rv = KR_P11(s)->C_GetSessionInfo(s->h, &si)) != CKR_OK) {
		c = ckr_lookup(rv);
		return kr_err_set(KR_ERR_TOKEN_REMOVED, "%s no longer answers "
		    "(%s); it was taken out or its reader failed. Put it back "
		    "and repeat the step", s->name,
		    c != NULL ? c->name : "unknown CKR");
	}
	if (strcmp(t.serial, s->info.serial) != 0 ||
	    strcmp(t.label, s->info.label) != 0) {
		return kr_err_set(KR_ERR_TOKEN_REMOVED, "%s was taken out and "
		    "another card is in its slot; put %s back and repeat the "
		    "step", s->name, s->name);
	}
	return 0;
}

int
kr_token_open(struct kr_token_module *m, const struct kr_token_info *t,
    struct kr_token_session **sp)
{
	struct kr_token_session *s = NULL;
	struct kr_token_info now;
	CK_RV rv;
	int r = KR_ERR_INTERNAL;

	*sp = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		r = kr_err_set(KR_ERR_NOMEM, "opening a card session");
		goto out;
	}
	s->m = m;
	s->info = *t;
	s->h = CK_INVALID_HANDLE;
	kr_token_name(t, s->name, sizeof(s->name));
	if ((rv = m->f->C_OpenSession(t->slot, CKF_SERIAL_SESSION |
	    CKF_RW_SESSION, NULL, NULL, &s->h)) != CKR_OK) {
		s->h = CK_INVALID_HANDLE;
		r = kr_token_ckr(rv, s->name, "opening a session");
		if (rv == CKR_GENERAL_ERROR || rv == CKR_DEVICE_ERROR ||
		    rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_DEVICE_REMOVED)
			r = kr_err_set(KR_ERR_TOKEN_REMOVED, "%s does not "
			    "answer; it was taken out or its reader failed. "
			    "Put it back and repeat the step", s->name);
		goto out;
	}
	m->sessions++;
	if (session_token_info(s, &now, &rv) != 0) {
		r = kr_token_session_ckr(s, rv, "reading the card's state");
		goto out;
	}
	if (strcmp(now.serial, t->serial) != 0) {
		r = kr_err_set(KR_ERR_TOKEN_NOT_PRESENT, "%s is not in its "
		    "slot any more (another card is); insert it again",
		    s->name);
		goto out;
	}
	s->info = now;
	*sp = s;
	s = NULL;
	r = 0;
 out:
	kr_token_close(s);
	return r;
}

void
kr_token_close(struct kr_token_session *s)
{
	if (s == NULL)
		return;
	if (s->h != CK_INVALID_HANDLE) {
		if (s->logged_in)
			KR_P11(s)->C_Logout(s->h);
		KR_P11(s)->C_CloseSession(s->h);
		s->m->sessions--;
	}
	free(s);
}

const struct kr_token_info *
kr_token_session_info(const struct kr_token_session *s)
{
	return &s->info;
}

/* What the card itself says about its PIN tries, in words. */
static const char *
card_tries(const struct kr_token_info *t)
{
	if (t->pin_locked)
		return "the card says its PIN is now locked";
	if (t->pin_final_try)
		return "the card says ONE attempt is left: one more wrong PIN "
		    "locks it";
	if (t->pin_count_low)
		return "the card says few attempts are left before it locks";
	return "the card does not say how many attempts it has left "
	    "(most real cards lock after 3 to 10 wrong PINs)";
}

/* Refreshes s->info after a login attempt; a failure leaves it as was. */
static void
refresh(struct kr_token_session *s)
{
	struct kr_token_info t;
	CK_RV rv;

	if (session_token_info(s, &t, &rv) == 0)
		s->info = t;
}

/* Counts a refused PIN and says what is left, by keyrite and the card. */
static int
wrong_pin(struct kr_token_session *s, int r, struct kr_token_pin_budget *b)
{
	unsigned int left;

	b->failed++;
	refresh(s);
	if (r == KR_ERR_TOKEN_PIN_LOCKED || s->info.pin_locked)
		return kr_err_set(KR_ERR_TOKEN_PIN_LOCKED, "%s: the card has "
		    "locked its PIN; only the card's SO PIN (PUK) can unblock "
		    "it (docs/cards.md)", s->name);
	left = b->limit - b->failed;
	if (left == 0)
		return kr_err_set(KR_ERR_TOKEN_PIN_INCORRECT, "%s: the PIN is "
		    "wrong. That was the last attempt keyrite allows on this "
		    "card; %s", s->name, card_tries(&s->info));
	return kr_err_set(KR_ERR_TOKEN_PIN_INCORRECT, "%s: the PIN is wrong. "
	    "keyrite allows %u more attempt(s) on this card; %s", s->name,
	    left, card_tries(&s->info));
}

int
kr_token_login(struct kr_token_session *s, const char *pin, size_t pinlen,
    struct kr_token_pin_budget *budget)
{
	CK_RV rv;
	int r = KR_ERR_INTERNAL;

	assert(budget != NULL);
	if (budget->failed >= budget->limit) {
		r = kr_err_set(KR_ERR_TOKEN_ATTEMPTS, "%s: keyrite allows %u "
		    "PIN attempt(s) per card and all were wrong, so this PIN "
		    "was not tried; %s. The custodian should find the right "
		    "PIN before trying again", s->name, budget->limit,
		    card_tries(&s->info));
		goto out;
	}
	if (s->logged_in) {
		r = 0;
		goto out;
	}
	refresh(s);
	if (s->info.pin_locked) {
		r = kr_err_set(KR_ERR_TOKEN_PIN_LOCKED, "%s: the card's PIN is "
		    "locked, so keyrite did not try it; only the card's SO PIN "
		    "(PUK) can unblock it, outside the ceremony "
		    "(docs/cards.md)", s->name);
		goto out;
	}
	if (pinlen == 0 || pinlen > KR_TOKEN_PIN_MAX) {
		r = kr_err_set(KR_ERR_INVALID_ARGUMENT, "%s: a PIN must be 1 "
		    "to %d characters; it was not tried", s->name,
		    KR_TOKEN_PIN_MAX);
		goto out;
	}
	/* C_Login does not write to the PIN; its prototype is not const. */
	rv = KR_P11(s)->C_Login(s->h, CKU_USER,
	    (CK_UTF8CHAR_PTR)(uintptr_t)pin, (CK_ULONG)pinlen);
	if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN) {
		s->logged_in = 1;
		refresh(s);
		r = 0;
		goto out;
	}
	r = kr_token_session_ckr(s, rv, "logging in");
	if (r == KR_ERR_TOKEN_PIN_INCORRECT || r == KR_ERR_TOKEN_PIN_LOCKED)
		r = wrong_pin(s, r, budget);
 out:
	return r;
}

int
kr_token_slot_event(struct kr_token_module *m, unsigned long *slotp)
{
	CK_SLOT_ID slot = 0;
	CK_RV rv;

	rv = m->f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL);
	if (rv == CKR_OK) {
		*slotp = slot;
		return 0;
	}
	if (rv == CKR_NO_EVENT)
		return KR_ERR_NOT_FOUND;
	if (rv == CKR_FUNCTION_NOT_SUPPORTED)
		return kr_err_set(KR_ERR_UNSUPPORTED, "PKCS#11 module %s does "
		    "not report card events; poll the card list instead",
		    m->path);
	return kr_token_ckr(rv, NULL, "C_WaitForSlotEvent");
}

int
kr_token_free_slots(struct kr_token_module *m, unsigned long **slotsp,
    size_t *np)
{
	struct kr_token_info *list = NULL;
	unsigned long *slots = NULL;
	size_t n = 0, i, k = 0;
	int r = KR_ERR_INTERNAL;

	*slotsp = NULL;
	*np = 0;
	if ((r = kr_token_list(m, &list, &n)) != 0)
		goto out;
	if ((slots = calloc(n + 1, sizeof(*slots))) == NULL) {
		r = kr_err_set(KR_ERR_NOMEM, "listing free card slots");
		goto out;
	}
	for (i = 0; i < n; i++)
		if (!list[i].initialized)
			slots[k++] = list[i].slot;
	*slotsp = slots;
	*np = k;
	slots = NULL;
	r = 0;
 out:
	free(slots);
	free(list);
	return r;
}

int
kr_token_init_token(struct kr_token_module *m, unsigned long slot,
    const char *so_pin, const char *label, const char *user_pin)
{
	CK_UTF8CHAR pad[32];
	CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
	char name[80];
	size_t len = strlen(label);
	CK_RV rv;
	int r = KR_ERR_INTERNAL, so = 0;

	snprintf(name, sizeof(name), "card in slot %lu", slot);
	if (len == 0 || len > sizeof(pad)) {
		r = kr_err_set(KR_ERR_INVALID_ARGUMENT, "%s: a card label must "
		    "be 1 to %zu bytes", name, sizeof(pad));
		goto out;
	}
	memset(pad, ' ', sizeof(pad));
	memcpy(pad, label, len);
	if ((rv = m->f->C_InitToken(slot, (CK_UTF8CHAR_PTR)(uintptr_t)so_pin,
	    strlen(so_pin), pad)) != CKR_OK) {
		r = kr_token_ckr(rv, name, "initialising the card");
		goto out;
	}
	if ((rv = m->f->C_OpenSession(slot, CKF_SERIAL_SESSION |
	    CKF_RW_SESSION, NULL, NULL, &h)) != CKR_OK) {
		h = CK_INVALID_HANDLE;
		r = kr_token_ckr(rv, name, "opening a session");
		goto out;
	}
	if ((rv = m->f->C_Login(h, CKU_SO, (CK_UTF8CHAR_PTR)(uintptr_t)so_pin,
	    strlen(so_pin))) != CKR_OK) {
		r = kr_token_ckr(rv, name, "logging in as security officer");
		goto out;
	}
	so = 1;
	if ((rv = m->f->C_InitPIN(h, (CK_UTF8CHAR_PTR)(uintptr_t)user_pin,
	    strlen(user_pin))) != CKR_OK) {
		r = kr_token_ckr(rv, name, "setting the user PIN");
		goto out;
	}
	r = 0;
 out:
	if (so)
		m->f->C_Logout(h);
	if (h != CK_INVALID_HANDLE)
		m->f->C_CloseSession(h);
	return r;
}
