/*
 * audit-int.h: what the audit's files share (reading, the records, the
 * judging, the renderers).  Not part of the engine's API.
 */
#ifndef KR_AUDIT_INT_H
#define KR_AUDIT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "audit.h"

/* What audit.c keeps per transcript until the records are read. */
struct kr_audit_text {
	char	*text;
	size_t	 len;
	char	*scan_dir;	/* a folder of scanned pages (--scan) */
};

struct kr_audit_priv {
	struct kr_audit_text	*texts;		/* per transcripts[] */
	uint8_t			*hashes;	/* every 64-hex fact value */
	size_t			 nhashes;	/* sorted, 32 bytes each */
	size_t			 hashcap;
	char			*key;		/* opt.key's copy */
};

/* The event table's meaning of an event for the model. */
enum kr_audit_act_kind {
	ACT_NONE,
	ACT_ROLL_CALL,
	ACT_CREATE,
	ACT_IMPORT,
	ACT_SPLIT,
	ACT_SHARE,
	ACT_OUTPUT,
	ACT_LOAD,
	ACT_CARD,
	ACT_RECOVER,
	ACT_PROVE,
	ACT_SIGN,	/* signs something new with the key: a use */
	ACT_RESTORE,	/* the key copied into an HSM: a use */
	ACT_RESHARE,
	ACT_DESTROY,
	ACT_CARD_CHECK,
	ACT_FAILED,
	ACT_ABORTED,
	ACT_SEALED,
};

/* The row for event, or NULL; *kind its meaning for the model. */
const struct kr_audit_event_row	*kr_audit_event_find(const char *event,
				    enum kr_audit_act_kind *kind);

/* strdup that never returns NULL for a NULL argument: "" instead. */
char	*kr_audit_strdup(const char *s);

/* n bytes of s as a malloc()ed string. */
char	*kr_audit_strndup(const char *s, size_t n);

/* Reads the records of transcript i (audit-model.c). */
int	kr_audit_read_records(struct kr_audit *a, size_t i);

/* Links, builds keys, judges (audit-judge.c). */
int	kr_audit_judge(struct kr_audit *a);

/* Adds a finding; text is printf-formatted. */
void	kr_audit_find(struct kr_audit *a, const char *code,
	    enum kr_audit_severity sev, const struct kr_audit_ref *ref,
	    int key, int transcript, const char *fmt, ...)
	    __attribute__((format(printf, 7, 8)));

/* What to ask for about a finding of this code (static text). */
const char	*kr_audit_evidence(const char *code);

/* Remembers a hash a transcript's facts name; 1 if a hash is named. */
void	kr_audit_hash_add(struct kr_audit *a, const uint8_t h[32]);
int	kr_audit_hash_named(const struct kr_audit *a, const uint8_t h[32]);
void	kr_audit_hash_sort(struct kr_audit *a);

/* Whole days from t0 to t1 (negative when t1 is earlier). */
long	kr_audit_days(time_t t0, time_t t1);

/* The first 8 hex digits of a key id, for people. */
void	kr_audit_short_id(const uint8_t id[32], char out[17]);

/* For renderers: a file's path escaped for a terminal into out. */
const char	*kr_audit_path(const struct kr_audit *a, int file);

/* Renderer helpers (audit-text.c). */
void	kr_audit_esc_json(struct kr_buf *b, const char *s);
void	kr_audit_esc_html(struct kr_buf *b, const char *s);

#endif /* KR_AUDIT_INT_H */
