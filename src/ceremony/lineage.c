/*
 * lineage.c: a key's reshares, destruction and recoveries, as the sealed
 * transcripts on the media record them (see lineage.h).
 *
 * Only a sealed transcript counts, and only for the key that sealed it:
 * an event about key K in a transcript signed by another key is ignored,
 * so nobody can retire or "destroy" someone else's key by writing a
 * transcript of their own.  Records are read as the transcript format
 * defines them (docs/transcript-format.md): space-separated tokens, facts
 * key=value with percent-encoded values.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/hex.h"
#include "lineage.h"
#include "record/transcript.h"

#define PREFIX	"transcript-"
#define SUFFIX	".txt"

void
kr_lineage_free(struct kr_lineage *l)
{
	free(l->ev);
	memset(l, 0, sizeof(*l));
}

/* Percent-decodes v[0..len) into out (printable bytes only kept). */
static void
decode(const char *v, size_t len, char *out, size_t outlen)
{
	size_t i, o = 0;
	unsigned int b;

	for (i = 0; i < len && o + 1 < outlen; i++) {
		if (v[i] == '%' && i + 2 < len &&
		    sscanf(v + i + 1, "%2x", &b) == 1) {
			out[o++] = b >= 0x20 && b != 0x7f ? (char)b : '?';
			i += 2;
		} else
			out[o++] = v[i];
	}
	out[o] = '\0';
}

/*
 * The value of fact key in the record line (up to its newline), decoded
 * into out; 0 if present.
 */
static int
fact(const char *line, const char *key, char *out, size_t outlen)
{
	size_t klen = strlen(key), len;
	const char *p = line, *end = strchr(line, '\n'), *v;

	if (end == NULL)
		end = line + strlen(line);
	while ((p = strchr(p, ' ')) != NULL && p < end) {
		p++;
		if ((size_t)(end - p) > klen && strncmp(p, key, klen) == 0 &&
		    p[klen] == '=') {
			v = p + klen + 1;
			len = strcspn(v, " \n");
			decode(v, len, out, outlen);
			return 0;
		}
	}
	return -1;
}

static int
fact_hex(const char *line, const char *key, uint8_t *out, size_t len)
{
	char v[2 * 64 + 1];

	if (fact(line, key, v, sizeof(v)) != 0)
		return -1;
	return kr_hex_decode(v, out, len) == 0 ? 0 : -1;
}

/* The event word of a record line: its third token. */
static int
event_is(const char *line, const char *event)
{
	const char *p = line;
	size_t len = strlen(event);
	int i;

	for (i = 0; i < 2; i++) {
		if ((p = strchr(p, ' ')) == NULL)
			return 0;
		p++;
	}
	return strncmp(p, event, len) == 0 && p[len] == ' ';
}

static struct kr_lineage_event *
add(struct kr_lineage *l)
{
	struct kr_lineage_event *ev;

	if ((ev = reallocarray(l->ev, l->n + 1, sizeof(*ev))) == NULL)
		return NULL;
	l->ev = ev;
	ev = &l->ev[l->n++];
	memset(ev, 0, sizeof(*ev));
	return ev;
}

/* One record of a sealed transcript; sum says who sealed it. */
static int
record(struct kr_lineage *l, const char *line, const char *id,
    const char *path, const struct kr_transcript_summary *sum,
    uint8_t loaded[32], int *have_loaded)
{
	struct kr_lineage_event e, *ev;
	char name[129];

	memset(&e, 0, sizeof(e));
	if (event_is(line, "escrow-loaded")) {
		*have_loaded = fact_hex(line, "key-id", loaded, 32) == 0;
		return 0;
	}
	if (event_is(line, "escrow-superseded")) {
		e.kind = KR_LINEAGE_RESHARE;
		if (fact_hex(line, "key-id", e.key_id, 32) != 0 ||
		    fact_hex(line, "superseded-sha256", e.old_sha256,
		    32) != 0 || fact(line, "superseded-ceremony",
		    e.old_ceremony, sizeof(e.old_ceremony)) != 0 ||
		    fact_hex(line, "package-sha256", e.new_sha256, 32) != 0 ||
		    fact(line, "package", name, sizeof(name)) != 0)
			return 0;
		snprintf(e.new_name, sizeof(e.new_name), "%s", name);
	} else if (event_is(line, "key-destroyed")) {
		e.kind = KR_LINEAGE_DESTROY;
		if (fact_hex(line, "key-id", e.key_id, 32) != 0)
			return 0;
	} else if (event_is(line, "kek-recovered")) {
		e.kind = KR_LINEAGE_RECOVERY;
		if (fact_hex(line, "key-id", e.key_id, 32) != 0) {
			if (!*have_loaded)
				return 0;
			memcpy(e.key_id, loaded, 32);
		}
	} else
		return 0;
	/* Only the key itself vouches for what happened to it. */
	if (memcmp(e.key_id, sum->signer_key_id, 32) != 0)
		return 0;
	snprintf(e.ceremony, sizeof(e.ceremony), "%s", id);
	snprintf(e.when, sizeof(e.when), "%s", sum->ended);
	snprintf(e.path, sizeof(e.path), "%s", path);
	if ((ev = add(l)) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "reading %s", path);
	*ev = e;
	return 0;
}

static int
scan_file(struct kr_lineage *l, const char *path, const char *id)
{
	struct kr_transcript_summary *sum = NULL;
	uint8_t loaded[32];
	char *text = NULL, *line, *next;
	size_t len = 0;
	int r, have_loaded = 0;

	if ((sum = calloc(1, sizeof(*sum))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "reading %s", path);
	/* Unsealed or damaged: it vouches for nothing; skipped. */
	if (kr_transcript_verify_file(path, NULL, 0, sum) != 0) {
		free(sum);
		kr_err_clear();
		return 0;
	}
	if ((r = kr_media_read(path, KR_TRANSCRIPT_FILE_MAX, &text, &len,
	    NULL)) != 0)
		goto out;
	for (line = text; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			next++;
		if (*line < '1' || *line > '9')
			continue;
		if ((r = record(l, line, id, path, sum, loaded,
		    &have_loaded)) != 0)
			goto out;
	}
	r = 0;
 out:
	free(text);
	free(sum);
	return r;
}

/* Whether ceremony id was scanned already (from another medium). */
static int
seen(const struct kr_lineage *l, char (*ids)[KR_MEDIA_ID_MAX + 1], size_t n,
    const char *id)
{
	size_t i;

	(void)l;
	for (i = 0; i < n; i++)
		if (strcmp(ids[i], id) == 0)
			return 1;
	return 0;
}

int
kr_lineage_scan(const char *const *dirs, size_t ndirs, struct kr_lineage *l)
{
	char (*ids)[KR_MEDIA_ID_MAX + 1] = NULL, (*grown)[KR_MEDIA_ID_MAX + 1];
	char path[4400], id[KR_MEDIA_ID_MAX + 1];
	struct dirent *de;
	size_t i, nids = 0, len;
	DIR *d;
	int r = 0;

	memset(l, 0, sizeof(*l));
	for (i = 0; i < ndirs && r == 0; i++) {
		if ((d = opendir(dirs[i])) == NULL) {
			r = kr_err_errno(KR_ERR_IO, "%s", dirs[i]);
			break;
		}
		while (r == 0 && (de = readdir(d)) != NULL) {
			len = strlen(de->d_name);
			if (len <= strlen(PREFIX) + strlen(SUFFIX) ||
			    strncmp(de->d_name, PREFIX, strlen(PREFIX)) != 0 ||
			    strcmp(de->d_name + len - strlen(SUFFIX),
			    SUFFIX) != 0 || len - strlen(PREFIX) -
			    strlen(SUFFIX) > KR_MEDIA_ID_MAX)
				continue;
			snprintf(id, sizeof(id), "%.*s", (int)(len -
			    strlen(PREFIX) - strlen(SUFFIX)),
			    de->d_name + strlen(PREFIX));
			if (seen(l, ids, nids, id))
				continue;
			if ((grown = reallocarray(ids, nids + 1,
			    sizeof(*ids))) == NULL) {
				r = kr_err_set(KR_ERR_NOMEM, "scanning %s",
				    dirs[i]);
				break;
			}
			ids = grown;
			snprintf(ids[nids++], sizeof(ids[0]), "%s", id);
			snprintf(path, sizeof(path), "%s/%s", dirs[i],
			    de->d_name);
			r = scan_file(l, path, id);
		}
		closedir(d);
	}
	free(ids);
	return r;
}

const struct kr_lineage_event *
kr_lineage_successor(const struct kr_lineage *l, const uint8_t sha[32])
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->ev[i].kind == KR_LINEAGE_RESHARE &&
		    memcmp(l->ev[i].old_sha256, sha, 32) == 0)
			return &l->ev[i];
	return NULL;
}

const struct kr_lineage_event *
kr_lineage_retired(const struct kr_lineage *l, const uint8_t key_short[16],
    const char *ceremony)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->ev[i].kind == KR_LINEAGE_RESHARE &&
		    memcmp(l->ev[i].key_id, key_short, 16) == 0 &&
		    strcmp(l->ev[i].old_ceremony, ceremony) == 0)
			return &l->ev[i];
	return NULL;
}

const struct kr_lineage_event *
kr_lineage_destroyed(const struct kr_lineage *l, const uint8_t key_short[16])
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->ev[i].kind == KR_LINEAGE_DESTROY &&
		    memcmp(l->ev[i].key_id, key_short, 16) == 0)
			return &l->ev[i];
	return NULL;
}

const struct kr_lineage_event *
kr_lineage_last_recovery(const struct kr_lineage *l, const uint8_t key_id[32])
{
	const struct kr_lineage_event *best = NULL;
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->ev[i].kind == KR_LINEAGE_RECOVERY &&
		    memcmp(l->ev[i].key_id, key_id, 32) == 0 &&
		    (best == NULL || strcmp(l->ev[i].when, best->when) > 0))
			best = &l->ev[i];
	return best;
}
