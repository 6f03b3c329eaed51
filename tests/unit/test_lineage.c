/*
 * test_lineage.c: what sealed transcripts say of a key (lineage.h).  Only
 * a sealed transcript counts, and only for the key that sealed it: a
 * "key-destroyed" or "escrow-superseded" about key K in a transcript
 * sealed by another key, or left unsealed, changes nothing.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "base/err.h"
#include "base/harden.h"
#include "base/hex.h"
#include "ceremony/lineage.h"
#include "crypto/key.h"
#include "record/transcript.h"

static char dir[64];

static void
setup(void)
{
	cr_assert_eq(kr_harden_process(NULL), 0, "harden");
	strcpy(dir, "/tmp/kr-lineage-XXXXXX");
	cr_assert_not_null(mkdtemp(dir), "mkdtemp");
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0, "cleanup");
}

/* A transcript in dir with one record (event, facts), sealed by signer. */
static void
write_one(const char *event, const struct kr_fact *f, size_t n,
    const EVP_PKEY *signer)
{
	struct kr_transcript_header h;
	struct kr_transcript *t = NULL;
	char path[256];

	memset(&h, 0, sizeof(h));
	cr_assert_eq(kr_transcript_id_new(h.ceremony_id), 0, "id");
	snprintf(h.ceremony, sizeof(h.ceremony), "test");
	h.rehearsal = 1;
	snprintf(path, sizeof(path), "%s/transcript-%s.txt", dir,
	    h.ceremony_id);
	cr_assert_eq(kr_transcript_create(path, &h, &t), 0, "create: %s",
	    kr_err_detail());
	cr_assert_eq(kr_transcript_append(t, event, "engine", f, n, NULL), 0,
	    "append");
	if (signer != NULL)
		cr_assert_eq(kr_transcript_seal(t, signer), 0, "seal");
	kr_transcript_close(t);
}

Test(lineage, only_the_key_itself_vouches, .init = setup, .fini = teardown)
{
	EVP_PKEY *k = NULL, *other = NULL;
	struct kr_lineage l;
	uint8_t id[32], oldsha[32];
	char hex[65], shahex[65];
	const char *dirs[1] = { dir };

	cr_assert_eq(kr_key_generate(kr_key_alg_find("ed25519"), &k), 0, "k");
	cr_assert_eq(kr_key_generate(kr_key_alg_find("ed25519"), &other), 0,
	    "other");
	cr_assert_eq(kr_key_id(k, id), 0, "id");
	kr_hex_encode(id, 32, hex, sizeof(hex));
	memset(oldsha, 0x5a, sizeof(oldsha));
	kr_hex_encode(oldsha, 32, shahex, sizeof(shahex));
	{
		struct kr_fact f[] = { { "key-id", hex } };

		/* Someone else's key, and an unsealed transcript: nothing. */
		write_one("key-destroyed", f, 1, other);
		write_one("key-destroyed", f, 1, NULL);
	}
	{
		struct kr_fact f[] = { { "key-id", hex },
		    { "superseded-sha256", shahex },
		    { "superseded-ceremony", "20261123-140509-3f9a2c1e" },
		    { "package", "new.escrow" }, { "package-sha256", hex } };

		write_one("escrow-superseded", f, 5, other);
	}
	cr_assert_eq(kr_lineage_scan(dirs, 1, &l), 0, "scan: %s",
	    kr_err_detail());
	cr_assert_null(kr_lineage_destroyed(&l, id), "a destroy sealed by "
	    "another key, or unsealed, counted");
	cr_assert_null(kr_lineage_successor(&l, oldsha), "a supersession "
	    "sealed by another key counted");
	kr_lineage_free(&l);
	/* Sealed by the key itself: both count. */
	{
		struct kr_fact f[] = { { "key-id", hex },
		    { "superseded-sha256", shahex },
		    { "superseded-ceremony", "20261123-140509-3f9a2c1e" },
		    { "package", "new%20name.escrow" },
		    { "package-sha256", hex } };

		write_one("escrow-superseded", f, 5, k);
	}
	cr_assert_eq(kr_lineage_scan(dirs, 1, &l), 0, "scan");
	cr_assert_not_null(kr_lineage_successor(&l, oldsha), "supersession");
	cr_assert_str_eq(kr_lineage_successor(&l, oldsha)->new_name,
	    "new%20name.escrow", "the name as recorded (decoded once)");
	cr_assert_not_null(kr_lineage_retired(&l, id,
	    "20261123-140509-3f9a2c1e"), "the old ceremony's shares retired");
	cr_assert_null(kr_lineage_retired(&l, id, "20261124-000000-00000000"),
	    "another ceremony's shares are not");
	cr_assert_null(kr_lineage_destroyed(&l, id), "not destroyed yet");
	kr_lineage_free(&l);
	{
		struct kr_fact f[] = { { "key-id", hex } };

		write_one("key-destroyed", f, 1, k);
	}
	cr_assert_eq(kr_lineage_scan(dirs, 1, &l), 0, "scan");
	cr_assert_not_null(kr_lineage_destroyed(&l, id), "destroyed");
	kr_lineage_free(&l);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}
