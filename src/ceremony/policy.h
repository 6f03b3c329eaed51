/*
 * policy.h: the key policy (ceremony-scripts/policy.conf).
 *
 * The policy says, for each key class (root-ca, intermediate-ca,
 * firmware-signing, secure-boot, data-at-rest, device-identity), which
 * algorithms and sizes are allowed, the longest certificate validity, the
 * quorum minimums (M, N, and spare shares so that N > M), whether the key
 * must, may or may never be escrowed, whether an existing key may be
 * imported into escrow, its cryptoperiod, how often its recovery must be
 * drilled, the PIN attempts keyrite allows per card, and how long a
 * recovered key may stay in memory.  The engine checks a ceremony against it before the first card
 * is touched and lists every violation at once.  docs/policy.md is the
 * format's reference.  Nothing here is secret.
 */
#ifndef KR_POLICY_H
#define KR_POLICY_H

#include <stddef.h>
#include <stdint.h>

#define KR_POLICY_MAX_BYTES	65536
#define KR_POLICY_NCLASSES	6
#define KR_POLICY_MAX_ALGS	16
#define KR_POLICY_NAME_MAX	64
#define KR_POLICY_HASH_BYTES	32	/* SHA-256 */
#define KR_POLICY_MAX_QUALIFIED	32	/* qualified-token lines */

enum kr_policy_escrow {
	KR_POLICY_ESCROW_REQUIRED,	/* a new key must be escrowed */
	KR_POLICY_ESCROW_ALLOWED,
	KR_POLICY_ESCROW_NEVER,		/* device identity keys */
};

enum kr_policy_import {
	KR_POLICY_IMPORT_NEVER,		/* the default */
	KR_POLICY_IMPORT_ALLOWED,
};

/* When the policy file does not say (docs/policy.md). */
#define KR_POLICY_DRILL_INTERVAL_DEFAULT	365

struct kr_policy_class {
	const char		*name;		/* static: "root-ca" */
	const char		*algorithms[KR_POLICY_MAX_ALGS]; /* static */
	size_t			 nalgorithms;
	unsigned		 max_validity_days;	/* 0: no certificate */
	unsigned		 min_threshold;		/* M; 0: never escrow */
	unsigned		 min_shares;		/* N; 0: never escrow */
	unsigned		 min_spare_shares;	/* N - M; 0 likewise */
	enum kr_policy_escrow	 escrow;
	unsigned		 cryptoperiod_days;
	unsigned		 drill_interval_days;	/* 0: never escrow */
	enum kr_policy_import	 import;
	unsigned		 pin_attempts;		/* per card */
	unsigned		 recovery_window_minutes;	/* 0 likewise */
	unsigned		 max_crl_next_update_days;	/* 0: issues
							   no CRLs */
	/* 0: issues no OCSP responder certificates, no OCSP responses. */
	unsigned		 max_ocsp_signer_days;
	unsigned		 max_ocsp_next_update_days;
	size_t			 line;			/* of "[name]" */
};

/*
 * A token model qualified for real ceremonies although it is a software
 * token or sits in a slot that is not a hardware slot ([policy]
 * qualified-token = MANUFACTURER / MODEL): the strings C_GetTokenInfo
 * reports, trailing blanks cut, compared exactly.
 */
struct kr_policy_token {
	char	manufacturer[33];
	char	model[17];
	size_t	line;
};

struct kr_policy {
	char			*source;	/* file name used in messages */
	char			*name;		/* [policy] name = ... */
	struct kr_policy_class	 classes[KR_POLICY_NCLASSES];
	struct kr_policy_token	 qualified[KR_POLICY_MAX_QUALIFIED];
	size_t			 nqualified;
	uint8_t			 sha256[KR_POLICY_HASH_BYTES];
};

/*
 * What a ceremony is about to do, for kr_policy_check().  algorithm NULL:
 * no key is generated; validity_days 0: no certificate; escrow 0: no
 * escrow package or shares (then threshold and shares are not checked).
 */
struct kr_policy_request {
	const char	*key_class;
	const char	*algorithm;
	unsigned	 validity_days;
	unsigned	 threshold;	/* M */
	unsigned	 shares;	/* N */
	int		 escrow;
};

/*
 * Parses len bytes of policy text named source in messages.  Every class
 * must be present, with every key it needs.  *pp is set only on success;
 * free with kr_policy_free().  Returns 0, KR_ERR_POLICY_SYNTAX (detail
 * "source:line:column: message", maybe "\nhint: ..."), KR_ERR_TOO_LARGE,
 * KR_ERR_NOMEM or KR_ERR_LIBCRYPTO.
 */
int	kr_policy_parse(const char *text, size_t len, const char *source,
	    struct kr_policy **pp);

/* Reads the regular file path and parses it.  Adds KR_ERR_IO. */
int	kr_policy_load(const char *path, struct kr_policy **pp);

/* SHA-256 of the policy file's exact bytes (goes into escrow packages). */
const uint8_t	*kr_policy_sha256(const struct kr_policy *p);

/* The class called name, or NULL. */
const struct kr_policy_class	*kr_policy_class(const struct kr_policy *p,
				    const char *name);

/*
 * 1 if a qualified-token line names exactly this manufacturer and model
 * (as in struct kr_token_info), else 0.
 */
int	kr_policy_token_qualified(const struct kr_policy *p,
	    const char *manufacturer, const char *model);

/* The i-th key class name (0-based), or NULL past the end. */
const char	*kr_policy_class_name_at(size_t i);

/*
 * Checks req against p.  Returns 0 (then *violationsp is NULL and *np 0),
 * KR_ERR_POLICY_VIOLATION with every violation in *violationsp (*np
 * sentences, each naming the limit and the value, e.g. "threshold 1 is
 * below the minimum of 2 for root-ca"; free with
 * kr_policy_violations_free()) and all of them joined by "; " in the
 * detail, KR_ERR_INVALID_ARGUMENT (no key class) or KR_ERR_NOMEM.
 */
int	kr_policy_check(const struct kr_policy *p,
	    const struct kr_policy_request *req, char ***violationsp,
	    size_t *np);

/*
 * As kr_policy_check(), for a key made elsewhere and imported into escrow
 * (escrow-import): also a violation when the class's import is never.
 */
int	kr_policy_check_import(const struct kr_policy *p,
	    const struct kr_policy_request *req, char ***violationsp,
	    size_t *np);

/* Frees what kr_policy_check() returned; NULL is fine. */
void	kr_policy_violations_free(char **violations, size_t n);

/* Frees p; NULL is fine. */
void	kr_policy_free(struct kr_policy *p);

#endif /* KR_POLICY_H */
