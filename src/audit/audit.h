/*
 * audit.h: an auditor's view of a ceremony archive.
 *
 * An archive is any set of directories holding what ceremonies left:
 * transcripts, escrow packages, certificates, CRLs, the policy files in
 * force and, when asked, scans of paper transcripts.  kr_audit_* reads
 * them all, verifies each transcript exactly as `keyrite verify` does
 * (kr_transcript_verify), and builds four things from the verified
 * records:
 *
 *   - the ceremony chain: each transcript's previous-transcript-sha256
 *     link, with gaps, forks and breaks;
 *   - per key (by key id, the SHA-256 of its SubjectPublicKeyInfo): its
 *     creation, every use, drill, reshare, import and destruction, its
 *     roster, its cryptoperiod and its last recovery;
 *   - the access log: every ceremony that set out to recover a key;
 *   - findings, each with a severity and the place it comes from.
 *
 * Every figure carries a struct kr_audit_ref: the file and the record
 * number it was read from.  The model is public data for the renderers
 * (audit-text.c, audit-json.c, audit-html.c) and the command; nothing
 * here prints.  Strings read from files are kept as they are (decoded
 * values may hold any byte); renderers escape them.  docs/auditor-guide.md
 * explains each finding; docs/audit-report.schema.json is the JSON form.
 */
#ifndef KR_AUDIT_H
#define KR_AUDIT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "record/transcript.h"

#define KR_AUDIT_SCHEMA		"keyrite.audit.v1"
#define KR_AUDIT_DRILL_INTERVAL_DEFAULT	365	/* days; policy.md */
#define KR_AUDIT_CRYPTOPERIOD_WARN	90	/* days before the end */
#define KR_AUDIT_TIME_BYTES		KR_TRANSCRIPT_TIME_BYTES

/* Where a figure comes from: a file of the archive, and a record of it. */
struct kr_audit_ref {
	int		 file;		/* index into files[]; -1: none */
	unsigned long	 record;	/* 1..; 0: the header, or the file */
};

enum kr_audit_file_kind {
	KR_AUDIT_TRANSCRIPT,
	KR_AUDIT_ESCROW,
	KR_AUDIT_CERTIFICATE,
	KR_AUDIT_CRL,
	KR_AUDIT_POLICY,
	KR_AUDIT_SCAN,		/* a paper record's pages (--scan) */
};

struct kr_audit_file {
	char			*path;		/* as found; raw bytes */
	enum kr_audit_file_kind	 kind;
	uint8_t			 sha256[32];
	int			 same_as;	/* an earlier file with these
						   bytes, or -1 */
	int			 item;		/* index in its kind's array */
};

enum kr_audit_status {
	KR_AUDIT_GOOD,		/* sealed, every co-signature present */
	KR_AUDIT_INCOMPLETE,	/* sealed, a co-signature missing */
	KR_AUDIT_UNSEALED,	/* records intact, no seal */
	KR_AUDIT_BAD,		/* fails verification: nothing is used */
	KR_AUDIT_UNREADABLE,	/* cannot be read (or a scan that does not
				   reassemble) */
};

/* How a ceremony ended, from its last records. */
enum kr_audit_end {
	KR_AUDIT_END_SEALED,
	KR_AUDIT_END_FAILED,	/* ceremony-failed */
	KR_AUDIT_END_ABORTED,	/* ceremony-aborted */
	KR_AUDIT_END_CUT,	/* neither: interrupted, or cut short */
};

/* What a ceremony did to its key, for the timeline. */
enum kr_audit_kind {
	KR_AUDIT_KIND_OTHER,
	KR_AUDIT_KIND_CREATE,
	KR_AUDIT_KIND_IMPORT,
	KR_AUDIT_KIND_DRILL,
	KR_AUDIT_KIND_USE,
	KR_AUDIT_KIND_RESHARE,
	KR_AUDIT_KIND_DESTROY,
	KR_AUDIT_KIND_CARD_CHECK,
	KR_AUDIT_KIND_ATTEMPT,	/* set out to recover, did not */
};

/* How a transcript links to the one before it. */
enum kr_audit_link {
	KR_AUDIT_LINK_FIRST,	/* names none, and is the first */
	KR_AUDIT_LINK_OK,	/* names one in the archive */
	KR_AUDIT_LINK_GAP,	/* names one not in the archive */
	KR_AUDIT_LINK_FORK,	/* names one another transcript names too */
	KR_AUDIT_LINK_RESTART,	/* names none, but others came before */
	KR_AUDIT_LINK_BACKWARDS,/* names one that started after it */
	KR_AUDIT_LINK_TO_BAD,	/* names one that fails verification */
	KR_AUDIT_LINK_NONE,	/* not checked: the transcript is bad */
};

struct kr_audit_person {
	char			*name;
	char			*card;		/* custodians; NULL otherwise */
	char			*serial;
	struct kr_audit_ref	 ref;
};

/* A card the chain expected to co-sign and that did not. */
struct kr_audit_missing {
	char			*label;
	char			*serial;
	char			*reason;	/* from cosignature-missing,
						   or "" */
	struct kr_audit_ref	 ref;		/* its custodian-key-bound */
};

/* One thing a use ceremony made or did (a certificate, a CRL...). */
struct kr_audit_act {
	const char		*event;		/* the event table's name */
	const char		*what;		/* the event table's words */
	char			*detail;	/* "name=... sha256=..." */
	struct kr_audit_ref	 ref;
};

struct kr_audit_transcript {
	struct kr_audit_ref	 ref;		/* the file; record 0 */
	enum kr_audit_status	 status;
	char			*error;		/* BAD, UNREADABLE, UNSEALED:
						   why, as verify says it */
	char			 ceremony_id[KR_TRANSCRIPT_ID_BYTES];
	char			 ceremony[KR_TRANSCRIPT_WORD_MAX + 1];
	char			 started[KR_AUDIT_TIME_BYTES];
	char			 ended[KR_AUDIT_TIME_BYTES];
	time_t			 t_started;
	int			 rehearsal;
	int			 has_previous;
	uint8_t			 previous[32];
	uint8_t			 policy_sha256[32];
	unsigned long		 records;
	char			 signer_alg[16];
	uint8_t			 signer_key_id[32];
	uint8_t			*signer_spki;	/* DER, from the block */
	size_t			 signer_spki_len;
	int			 from_scan;	/* 1: read from QR codes only;
						   2: a file, and the paper
						   agrees byte for byte */
	struct kr_audit_ref	 scan;		/* the scanned pages */
	unsigned int		 cosign_expected;
	unsigned int		 cosign_present;
	struct kr_audit_missing	*missing;
	size_t			 nmissing;

	/* What its records say (not for BAD or UNREADABLE). */
	enum kr_audit_end	 end;
	char			*end_reason;	/* error / reason of the end */
	struct kr_audit_ref	 end_ref;
	enum kr_audit_kind	 kind;
	int			 has_key_id;
	uint8_t			 key_id[32];	/* the key it concerns */
	int			 key;		/* keys[] it concerns, or -1 */
	struct kr_audit_ref	 key_ref;	/* the record naming the key */
	struct kr_audit_person	 operator_;
	char			*reason;
	char			*authorization;
	struct kr_audit_ref	 roll_call;	/* record 0: none */
	struct kr_audit_person	*witnesses;
	size_t			 nwitnesses;
	struct kr_audit_person	*custodians;	/* named in the roll call */
	size_t			 ncustodians;
	struct kr_audit_person	*cards;		/* presented (card-presented) */
	size_t			 ncards;
	struct kr_audit_person	*shares;	/* share-written */
	size_t			 nshares;
	unsigned int		 threshold;	/* kek-split */
	unsigned int		 nsplit;
	struct kr_audit_ref	 split_ref;
	struct kr_audit_ref	 escrow_loaded;	/* record 0: none */
	char			*escrow_name;
	uint8_t			 escrow_sha256[32];
	struct kr_audit_ref	 recovered;	/* kek-recovered */
	struct kr_audit_ref	 proven;	/* key-proven */
	struct kr_audit_act	*acts;		/* uses, reshare, destroy... */
	size_t			 nacts;
	int			 staged_escrow;	/* output-staged an escrow */
	uint8_t			 staged_escrow_sha256[32];
	struct kr_audit_ref	 staged_escrow_ref;
	char			 key_at[KR_AUDIT_TIME_BYTES]; /* key_ref's */
	int			 in_window;	/* --from/--to */
	int			 prev;		/* chain: the one before */
	int			 next;		/* chain: the one after */
	enum kr_audit_link	 link;
};

/* A managed key, by key id. */
struct kr_audit_key {
	uint8_t			 id[32];
	char			 key_class[65];
	char			 algorithm[65];
	int			 created;	/* transcripts[] or -1 */
	struct kr_audit_ref	 created_ref;	/* key-generated / -imported */
	char			 created_at[KR_AUDIT_TIME_BYTES];
	unsigned int		 threshold;
	unsigned int		 shares;
	int			 escrow;	/* escrows[]: the newest */
	int			*events;	/* transcripts[], oldest 1st */
	size_t			 nevents;
	/* The last sealed recovery (drill or use), else the creation. */
	int			 last_recovery;	/* transcripts[] or -1 */
	char			 last_recovery_at[KR_AUDIT_TIME_BYTES];
	unsigned int		 drill_interval;	/* days */
	long			 days_since_recovery;
	int			 drill_overdue;
	/* The cryptoperiod: from the creation, the policy's days. */
	int			 has_cryptoperiod;
	char			 cp_start[KR_AUDIT_TIME_BYTES];
	char			 cp_end[KR_AUDIT_TIME_BYTES];
	unsigned int		 cp_days;
	long			 cp_days_left;	/* negative: past the end */
	int			 cp_policy;	/* policies[] or -1 */
	int			 destroyed;	/* transcripts[] or -1 */
	int			*certs;		/* certificates[] of this key */
	size_t			 ncerts;
	int			*signed_;	/* certificates[] and crls[]
					   (as -1 - i) it signed */
	size_t			 nsigned;
	int			 selected;	/* --key */
	void			*pkey;		/* EVP_PKEY *, public */
};

struct kr_audit_escrow {
	struct kr_audit_ref	 ref;
	int			 ok;		/* parsed */
	char			*error;
	uint8_t			 key_id[32];
	char			 key_class[65];
	char			 algorithm[65];
	char			 created[KR_AUDIT_TIME_BYTES];
	unsigned int		 m, n;
	char			 transcript_id[65];
	struct kr_audit_person	*roster;	/* n */
	int			 vouched_by;	/* transcripts[] or -1 */
	struct kr_audit_ref	 vouch_ref;
	int			 key;
};

struct kr_audit_cert {
	struct kr_audit_ref	 ref;
	int			 ok;
	char			*error;
	int			 is_crl;
	char			*subject;	/* issuer, for a CRL */
	char			*serial;	/* the CRL number for a CRL */
	char			 not_before[KR_AUDIT_TIME_BYTES];
	char			 not_after[KR_AUDIT_TIME_BYTES];
	uint8_t			 der_sha256[32];
	uint8_t			 spki_id[32];	/* certificates */
	int			 key;		/* whose key it is, or -1 */
	int			 signer;	/* keys[] whose signature it
						   carries, or -1 */
	int			 recorded;	/* a transcript names it */
	void			*x;		/* X509 * or X509_CRL * */
};

/* The limits of one key class under one policy file, from the caller. */
struct kr_audit_class_rules {
	char		 key_class[65];
	unsigned int	 cryptoperiod_days;
	unsigned int	 drill_interval_days;	/* 0: the default */
};

struct kr_audit_policy {
	struct kr_audit_ref		 ref;	/* file -1: given by option */
	char				*source;
	uint8_t				 sha256[32];
	struct kr_audit_class_rules	*classes;
	size_t				 nclasses;
};

enum kr_audit_severity {
	KR_AUDIT_HIGH,
	KR_AUDIT_MEDIUM,
	KR_AUDIT_LOW,
};

struct kr_audit_finding {
	const char		*code;		/* "chain-gap" (static) */
	enum kr_audit_severity	 severity;
	char			*text;		/* one sentence, with names */
	const char		*evidence;	/* what to ask for (static) */
	struct kr_audit_ref	 ref;
	int			 key;		/* keys[] or -1 */
	int			 transcript;	/* transcripts[] or -1 */
};


struct kr_audit_options {
	time_t		 at;		/* judged at; 0: now */
	time_t		 from;		/* 0: from the beginning */
	time_t		 to;		/* 0: to the end */
	const char	*key;		/* hex key id or a prefix (8+) */
	int		 scan;		/* read paper scans too */
	unsigned int	 drill_interval_days;	/* 0: policy, else default */
	unsigned int	 threads;	/* 0: one per processor, at most 8 */
	/*
	 * Reads a policy file found in the archive (a file with a "[policy]"
	 * line): fills *p (classes malloc()ed) and returns 0, or an error
	 * with a detail (the file is then listed as unreadable policy).
	 * NULL: policy files are ignored.  The command passes one that uses
	 * the ceremony layer's parser (policy.h).
	 */
	int		(*read_policy)(const char *path, const char *text,
			    size_t len, struct kr_audit_policy *p);
};

struct kr_audit {
	struct kr_audit_options		 opt;
	char				 at_text[KR_AUDIT_TIME_BYTES];
	char				**dirs;
	size_t				 ndirs;
	struct kr_audit_file		*files;
	size_t				 nfiles;
	size_t				 ignored;	/* other files */
	struct kr_audit_transcript	*transcripts;	/* started order */
	size_t				 ntranscripts;
	struct kr_audit_escrow		*escrows;
	size_t				 nescrows;
	struct kr_audit_cert		*certs;		/* and CRLs */
	size_t				 ncerts;
	struct kr_audit_policy		*policies;
	size_t				 npolicies;
	struct kr_audit_key		*keys;		/* creation order */
	size_t				 nkeys;
	struct kr_audit_finding		*findings;	/* severity order */
	size_t				 nfindings;
	size_t				 count[3];	/* per severity */
	int				 real;		/* a real transcript is
							   in the archive */
	int				 rehearsal;	/* a rehearsal one */
	int				 key_filter;	/* keys[] or -1 */
	void				*priv;		/* audit-int.h */
};

/*
 * A new, empty audit with options opt (copied; key is copied too).
 * *ap set only on success.  KR_ERR_INVALID_ARGUMENT for a key that is
 * not hex.
 */
int	kr_audit_new(const struct kr_audit_options *opt, struct kr_audit **ap);

/*
 * Adds a policy file given outside the archive (keyrite audit --policy):
 * p is taken over (its source and classes are freed with a).
 */
int	kr_audit_add_policy(struct kr_audit *a, struct kr_audit_policy *p);

/*
 * Reads every file under the directory dir (recursively; hidden entries,
 * such as staging directories, and symbolic links are skipped) and keeps
 * those it knows by their first bytes.  KR_ERR_IO if dir cannot be read
 * (the detail names it); files that cannot be read become findings.
 */
int	kr_audit_add_dir(struct kr_audit *a, const char *dir);

/*
 * Verifies the transcripts (in parallel), reads the records, links the
 * chain, builds the keys and the access log, and judges: fills
 * a->findings.  Returns 0, or KR_ERR_NOMEM / KR_ERR_NOT_FOUND (--key
 * names no key of the archive).
 */
int	kr_audit_finish(struct kr_audit *a);

/* Frees a; NULL-safe. */
void	kr_audit_free(struct kr_audit *a);

/* "high", "medium", "low". */
const char	*kr_audit_severity_name(enum kr_audit_severity s);

/* "good", "incomplete", "unsealed", "bad", "unreadable". */
const char	*kr_audit_status_name(enum kr_audit_status s);

/* "creation", "drill", "use", ... for the timeline. */
const char	*kr_audit_kind_name(enum kr_audit_kind k);

/* "sealed", "failed", "aborted", "cut-short". */
const char	*kr_audit_end_name(enum kr_audit_end e);

/*
 * The event table (audit-events.c): how each transcript event counts on a
 * key's timeline.  kr_audit_event_at(i) returns row i or NULL past the
 * end; the renderers print it in the report's legend and the docs list it.
 */
struct kr_audit_event_row {
	const char	*event;
	const char	*means;		/* for people */
	const char	*from;		/* "issue 12" etc. for events of
					   ceremonies not in this tree yet */
};
const struct kr_audit_event_row	*kr_audit_event_at(size_t i);

/* "FILE record N", "FILE header" or "FILE" into out (path raw). */
void	kr_audit_ref_text(const struct kr_audit *a,
	    const struct kr_audit_ref *r, char *out, size_t outlen);

/* Parses "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ" (UTC).  0 or -1. */
int	kr_audit_parse_date(const char *s, time_t *t);

/* Formats t as "YYYY-MM-DDTHH:MM:SSZ". */
void	kr_audit_format_time(time_t t, char out[KR_AUDIT_TIME_BYTES]);

/*
 * Renderers: the whole report into *textp (malloc()ed, NUL-terminated).
 * Every byte that came from a file is escaped for its medium: for the
 * terminal with kr_printable(), for JSON as a JSON string of that, for
 * HTML as character references.  Return 0 or KR_ERR_NOMEM.
 */
int	kr_audit_render_text(const struct kr_audit *a, char **textp,
	    size_t *lenp);
int	kr_audit_render_json(const struct kr_audit *a, char **textp,
	    size_t *lenp);
int	kr_audit_render_html(const struct kr_audit *a, char **textp,
	    size_t *lenp);

#endif /* KR_AUDIT_H */
