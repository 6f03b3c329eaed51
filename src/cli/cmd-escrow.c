/*
 * cmd-escrow.c: keyrite escrow inspect FILE
 *
 * Shows an escrow package's public metadata and checks its structure.  It
 * never needs a secret: integrity (the GCM tag) can only be checked by
 * opening the package with a quorum of shares.  It also says how many days
 * of the key's cryptoperiod are left (docs/formats.md; a version 1
 * package, which records none, is counted from its creation with the
 * shipped policy's period for its class, and says so).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/err.h"
#include "base/hex.h"
#include "base/text.h"
#include "cmd.h"
#include "crypto/escrow.h"

static void
print_grouped(const char *label, const uint8_t *p, size_t len)
{
	char hex[2 * 64 + 1];
	size_t i;

	kr_hex_encode(p, len, hex, sizeof(hex));
	printf("  %-14s", label);
	for (i = 0; i < 2 * len; i += 4)
		printf("%.4s%s", hex + i, i + 4 < 2 * len ? " " : "\n");
}

/* Every text field of the package is untrusted: escaped as printed. */
static const char *
safe(const char *s)
{
	static char buf[8][4 * 1024 + 1];
	static unsigned int k;

	k = (k + 1) % 8;
	return kr_printable(s, buf[k], sizeof(buf[k]));
}

/*
 * The cryptoperiod and the days left of it.  A version 1 package has no
 * cryptoperiod of its own: counted from its creation, for the length the
 * policy gives its class (v1_days; 0 when the class is unknown).
 */
static void
print_cryptoperiod(const struct kr_escrow *e, unsigned int v1_days)
{
	char from[21], to[21];
	time_t start, end, now = time(NULL);
	long long left;

	if (e->version < 2 && v1_days == 0) {
		printf("  %-14snone recorded (a version 1 package)\n",
		    "cryptoperiod");
		return;
	}
	if (kr_escrow_cryptoperiod(e, v1_days, &start, &end) != 0)
		return;
	kr_escrow_time_format(start, from);
	kr_escrow_time_format(end, to);
	printf("  %-14s%s to %s%s\n", "cryptoperiod", from, to,
	    e->version < 2 ? " (not recorded in a version 1 package: its "
	    "creation plus the shipped policy's period)" : "");
	/* A day begun counts as left; one begun since the end as gone. */
	left = end > now ? ((long long)(end - now) + 86399) / 86400 :
	    (long long)(now - end) / 86400;
	if (end <= now)
		printf("  %-14sENDED %lld days ago: the key signs nothing new; "
		    "issue CRLs, reshare or destroy it\n", "days left",
		    left);
	else if (left < 90)
		printf("  %-14s%lld: WITHIN 90 DAYS OF THE END; plan the "
		    "key's successor\n", "days left", left);
	else
		printf("  %-14s%lld\n", "days left", left);
}

/* The shipped policy's cryptoperiod-days per class, for version 1. */
static unsigned int
v1_period(const char *key_class)
{
	static const struct {
		const char	*name;
		unsigned int	 days;
	} shipped[] = {
		{ "root-ca", 7305 }, { "intermediate-ca", 1096 },
		{ "firmware-signing", 1096 }, { "secure-boot", 3653 },
		{ "data-at-rest", 730 },
	};
	size_t i;

	for (i = 0; i < sizeof(shipped) / sizeof(shipped[0]); i++)
		if (strcmp(shipped[i].name, key_class) == 0)
			return shipped[i].days;
	return 0;
}

static void
print_package(const char *path, const struct kr_escrow *e)
{
	char hex[2 * 32 + 1];
	unsigned int i;

	printf("escrow package %s\n", safe(path));
	printf("  %-14skeyrite-escrow %d\n", "format", e->version);
	print_grouped(e->symmetric ? "seal key id" : "key id", e->key_id,
	    sizeof(e->key_id));
	kr_hex_encode(e->key_id, KR_KEY_ID_SHORT_BYTES, hex, sizeof(hex));
	printf("  %-14s%s (on cards and in share labels)\n", "short id", hex);
	printf("  %-14s%s\n", "key class", safe(e->key_class));
	if (e->symmetric) {
		printf("  %-14s%s, a symmetric key (its transcripts are "
		    "sealed by a %s seal key kept with it)\n", "algorithm",
		    safe(e->algorithm), KR_SYMKEY_SEAL_ALG);
		print_grouped("key check", e->key_check,
		    sizeof(e->key_check));
	} else
		printf("  %-14s%s (public key %zu bytes DER)\n", "algorithm",
		    safe(e->algorithm), e->spki_len);
	printf("  %-14s%s\n", "created", safe(e->created));
	print_cryptoperiod(e, v1_period(e->key_class));
	printf("  %-14s%u of %u custodians\n", "quorum", e->m, e->n);
	kr_hex_encode(e->set_id, sizeof(e->set_id), hex, sizeof(hex));
	printf("  %-14s%s\n", "share set", hex);
	kr_hex_encode(e->policy_hash, sizeof(e->policy_hash), hex,
	    sizeof(hex));
	printf("  %-14s%s (sha256 %s)\n", "policy", safe(e->policy_name),
	    hex);
	if (e->has_supersedes) {
		kr_hex_encode(e->supersedes, 32, hex, sizeof(hex));
		printf("  %-14s%s (the SHA-256 of the package this reshare "
		    "replaced; that package and its shares are retired)\n",
		    "supersedes", hex);
	}
	if (e->has_transcript) {
		kr_hex_encode(e->transcript_hash, 32, hex, sizeof(hex));
		printf("  %-14s%s\n", "made by", safe(e->transcript_id));
		printf("  %-14s%s\n  %-14s(transcript-hash: the creation "
		    "transcript's chain value just\n  %-14sbefore the package "
		    "was staged; not a file hash: see\n  %-14s"
		    "docs/transcript-format.md)\n", "chain value", hex, "", "",
		    "");
	} else
		printf("  %-14snone recorded\n", "transcript");
	printf("  %-14s%zu bytes, AES-256-GCM\n", "sealed key",
	    e->sealed_len);
	printf("  custodians:\n");
	for (i = 0; i < e->n; i++) {
		kr_hex_encode(e->roster[i].commitment, 32, hex, sizeof(hex));
		printf("    %3u  %s\n         card %s, serial %s\n"
		    "         commitment %s\n", i + 1, safe(e->roster[i].name),
		    safe(e->roster[i].card), safe(e->roster[i].serial), hex);
	}
	printf("structure: ok (key id matches the public key; integrity is "
	    "checked only when a quorum opens the package)\n");
}

static int
inspect(int argc, char **argv)
{
	struct kr_escrow *e = NULL;
	int r;

	if (argc != 2 || argv[1][0] == '-')
		return kr_cmd_usage(&kr_cmd_escrow_entry);
	if ((r = kr_escrow_load(argv[1], &e)) != 0) {
		kr_cmd_perror("escrow inspect", r);
		return r == KR_ERR_IO ? KR_EXIT_FAILURE : KR_EXIT_INTEGRITY;
	}
	print_package(argv[1], e);
	kr_escrow_free(e);
	return KR_EXIT_OK;
}

static int
cmd_escrow(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "inspect") == 0)
		return inspect(argc - 1, argv + 1);
	return kr_cmd_usage(&kr_cmd_escrow_entry);
}

const struct kr_cmd_entry kr_cmd_escrow_entry = {
	.name = "escrow",
	.args = "inspect FILE",
	.summary = "show an escrow package's public metadata and check its "
	    "structure",
	.exec = cmd_escrow,
	.help =
	"keyrite escrow inspect FILE reads an escrow package (docs/formats.md)\n"
	"and prints what anyone may read without a quorum: the key id, class\n"
	"and algorithm, the quorum M of N, the roster (each custodian's name,\n"
	"card label and serial, and share commitment), the policy, the ceremony\n"
	"that made it and the chain value of its transcript (transcript-hash:\n"
	"docs/transcript-format.md shows how to match it).  It checks that the\n"
	"file parses and that the key id is the SHA-256 of the public key;\n"
	"whether the sealed key opens is known only when a quorum opens it.\n"
	"Everything the file says is printed escaped.\n"
	"\n"
	"Exit status: 0 the structure is good; 5 malformed (the line is named);\n"
	"1 the file cannot be read; 2 bad command line.\n",
};
