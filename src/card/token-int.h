/*
 * token-int.h: what token.c, token-object.c and token-custodian.c share.
 * Not part of the engine's API: nothing outside src/token*.c includes it,
 * and nothing outside them sees a CK_RV.
 */
#ifndef KR_TOKEN_INT_H
#define KR_TOKEN_INT_H

#include <p11-kit/pkcs11.h>

#include "token.h"

struct kr_token_module {
	void			*dl;
	CK_FUNCTION_LIST_PTR	 f;
	unsigned int		 sessions;	/* open kr_token_sessions */
	int			 initialized;	/* C_Initialize succeeded */
	char			 path[4096];
	char			 description[128];
};

struct kr_token_session {
	struct kr_token_module	*m;
	CK_SESSION_HANDLE	 h;
	int			 logged_in;
	struct kr_token_info	 info;
	char			 name[KR_TOKEN_NAME_MAX];	/* of info */
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* The library handle shortcut every CK call goes through. */
#define KR_P11(s)	((s)->m->f)

/*
 * Maps rv, returned by the PKCS#11 function named op (e.g. "C_Login"), to
 * a KR_ERR_* code and sets a detail naming the card (name may be NULL for
 * module-level calls) and saying what to do.  The only place CKR_* codes
 * become keyrite errors.
 */
int	kr_token_ckr(CK_RV rv, const char *name, const char *op);

/*
 * As kr_token_ckr() for a failure inside session s; first, for the codes
 * a vanished card produces (SoftHSM2 says CKR_GENERAL_ERROR), checks
 * whether the card still answers, and says KR_ERR_TOKEN_REMOVED if not.
 */
int	kr_token_session_ckr(struct kr_token_session *s, CK_RV rv,
	    const char *op);

/*
 * Confirms s's card is still in its slot and is the same card (serial).
 * Returns 0 or KR_ERR_TOKEN_REMOVED naming it.  Used after any search
 * that found nothing: SoftHSM2 answers C_FindObjects with CKR_OK and no
 * objects once a token's directory is gone.
 */
int	kr_token_confirm_present(struct kr_token_session *s);

/*
 * Runs C_FindObjectsInit/C_FindObjects/C_FindObjectsFinal with tmpl.
 * *hp is malloc()ed (NULL when *np is 0).  Finding nothing is success,
 * but only after kr_token_confirm_present().
 */
int	kr_token_find_objects(struct kr_token_session *s,
	    CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_OBJECT_HANDLE **hp, size_t *np);

/*
 * Reads one variable-length attribute of object o into *vp (malloc()ed,
 * or kr_secmem memory when secret is set; one extra NUL byte follows the
 * value, not counted in *lenp).  what names the attribute for messages.
 */
int	kr_token_get_attr(struct kr_token_session *s, CK_OBJECT_HANDLE o,
	    CK_ATTRIBUTE_TYPE type, int secret, uint8_t **vp, size_t *lenp);

/*
 * Sets the detail to the current detail followed by more, with code; for
 * adding what a failure means to the detail of its cause.
 */
int	kr_token_err_append(int code, const char *more);

/* Frees what kr_token_get_attr() returned; NULL-safe. */
void	kr_token_attr_free(uint8_t *v, size_t len, int secret);

#endif /* KR_TOKEN_INT_H */
