/*
 * test_reviewed.c: what a real ceremony demands (src/ceremony/reviewed.h).
 * An installed-looking directory is made here (scripts, policy, manifest,
 * all read-only) and each way of breaking it is refused with its exact
 * message; cards are judged by manufacturer, model, slot and policy.  The
 * real binary in a real installation is tests/integration/t-realmode.sh.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <openssl/evp.h>

#include "base/err.h"
#include "base/hex.h"
#include "ceremony/policy.h"
#include "ceremony/reviewed.h"

#define SCRIPT	"ceremony t\ndescription \"d\"\nkey-class root-ca\n" \
		"step selftest\n  role administrator\n  say \"s\"\n"
#define POLICY	"[policy]\nname = test\n"

static char dir[64], sdir[128], script[512], policy[512], manifest[512];
static uint8_t script_sha[32], policy_sha[32];

static void
sha256(const char *text, uint8_t out[32])
{
	unsigned int len;

	cr_assert(EVP_Digest(text, strlen(text), out, &len, EVP_sha256(),
	    NULL), "SHA-256");
}

static void
put(const char *path, const char *text, mode_t mode)
{
	FILE *f;

	chmod(path, 0644);
	cr_assert_not_null(f = fopen(path, "w"), "create %s", path);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0, "write %s", path);
	cr_assert_eq(chmod(path, mode), 0, "chmod %s", path);
}

/* A manifest listing the script and the policy with these hashes. */
static void
put_manifest(const uint8_t s[32], const uint8_t p[32])
{
	char hs[65], hp[65], text[512];

	kr_hex_encode(s, 32, hs, sizeof(hs));
	kr_hex_encode(p, 32, hp, sizeof(hp));
	snprintf(text, sizeof(text), "%s  t.ceremony\n%s  policy.conf\n", hs,
	    hp);
	chmod(sdir, 0755);
	put(manifest, text, 0444);
	chmod(sdir, 0555);
}

static void
setup(void)
{
	strcpy(dir, "/tmp/kr-reviewed-XXXXXX");
	cr_assert_not_null(mkdtemp(dir), "mkdtemp");
	snprintf(sdir, sizeof(sdir), "%s/scripts", dir);
	cr_assert_eq(mkdir(sdir, 0755), 0, "mkdir");
	snprintf(script, sizeof(script), "%s/t.ceremony", sdir);
	snprintf(policy, sizeof(policy), "%s/policy.conf", sdir);
	snprintf(manifest, sizeof(manifest), "%s/reviewed.sha256", sdir);
	put(script, SCRIPT, 0444);
	put(policy, POLICY, 0444);
	sha256(SCRIPT, script_sha);
	sha256(POLICY, policy_sha);
	put_manifest(script_sha, policy_sha);
}

static void
teardown(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "chmod -R u+w %s && rm -rf %s", dir, dir);
	cr_assert_eq(system(cmd), 0, "cleanup");
}

/* Expects refusal r with the whole message want (printf, then a tail). */
static void
refused(int r, const char *want)
{
	char full[8192];

	snprintf(full, sizeof(full), "%s; run it with --rehearsal, or "
	    "install the reviewed scripts", want);
	cr_assert_eq(r, KR_ERR_SCRIPT_NOT_REVIEWED, "r=%d: %s", r,
	    kr_err_detail());
	cr_assert_str_eq(kr_err_detail(), full, "message");
}

Test(reviewed, installed_files_pass, .init = setup, .fini = teardown)
{
	cr_assert_eq(kr_reviewed_check(sdir, script, NULL, script_sha,
	    policy_sha), 0, "%s", kr_err_detail());
	cr_assert_eq(kr_reviewed_check(sdir, script, policy, NULL, NULL), 0,
	    "places and modes only: %s", kr_err_detail());
}

Test(reviewed, a_script_elsewhere, .init = setup, .fini = teardown)
{
	char copy[600], want[4096];

	snprintf(copy, sizeof(copy), "%s/t.ceremony", dir);
	put(copy, SCRIPT, 0444);
	snprintf(want, sizeof(want), "%s is not a reviewed script: it is not "
	    "in the installed scripts directory %s", copy, sdir);
	refused(kr_reviewed_check(sdir, copy, policy, script_sha, policy_sha),
	    want);
}

Test(reviewed, a_policy_elsewhere, .init = setup, .fini = teardown)
{
	char copy[600], want[4096];

	snprintf(copy, sizeof(copy), "%s/policy.conf", dir);
	put(copy, POLICY, 0444);
	cr_assert_eq(kr_reviewed_check(sdir, script, copy, NULL, NULL),
	    KR_ERR_SCRIPT_NOT_REVIEWED, "accepted");
	snprintf(want, sizeof(want), "the policy %s is not the reviewed "
	    "policy %s: a real ceremony uses the policy installed beside its "
	    "scripts; run the installed script without --policy, or run it "
	    "with --rehearsal", copy, policy);
	cr_assert_str_eq(kr_err_detail(), want, "message");
}

Test(reviewed, no_policy_installed, .init = setup, .fini = teardown)
{
	char want[4096];

	chmod(sdir, 0755);
	cr_assert_eq(unlink(policy), 0, "unlink");
	chmod(sdir, 0555);
	snprintf(want, sizeof(want), "the policy %s: No such file or "
	    "directory", policy);
	refused(kr_reviewed_check(sdir, script, NULL, NULL, NULL), want);
}

Test(reviewed, writable_files, .init = setup, .fini = teardown)
{
	char want[4096];

	chmod(script, 0644);
	snprintf(want, sizeof(want), "%s is writable (mode 0644): reviewed "
	    "files are read-only (no write bit, or a read-only mount), so that "
	    "what runs is what was reviewed", script);
	refused(kr_reviewed_check(sdir, script, NULL, NULL, NULL), want);
	chmod(script, 0444);
	chmod(policy, 0464);
	snprintf(want, sizeof(want), "%s is writable (mode 0464): reviewed "
	    "files are read-only (no write bit, or a read-only mount), so that "
	    "what runs is what was reviewed", policy);
	refused(kr_reviewed_check(sdir, script, NULL, NULL, NULL), want);
	chmod(policy, 0444);
	chmod(manifest, 0446);
	snprintf(want, sizeof(want), "the reviewed manifest %s is writable "
	    "(mode 0446): reviewed files are read-only (no write bit, or a "
	    "read-only mount), so that what runs is what was reviewed",
	    manifest);
	refused(kr_reviewed_check(sdir, script, NULL, NULL, NULL), want);
	chmod(manifest, 0444);
	chmod(sdir, 0755);
	snprintf(want, sizeof(want), "the installed scripts directory %s is "
	    "writable (mode 0755): reviewed files are read-only (no write "
	    "bit, or a read-only mount), so that what runs is what was "
	    "reviewed", sdir);
	refused(kr_reviewed_check(sdir, script, NULL, NULL, NULL), want);
}

Test(reviewed, changed_after_review, .init = setup, .fini = teardown)
{
	uint8_t other[32];
	char want[4096], hs[65], ho[65];

	sha256(SCRIPT "# changed\n", other);
	kr_hex_encode(other, 32, ho, sizeof(ho));
	kr_hex_encode(script_sha, 32, hs, sizeof(hs));
	snprintf(want, sizeof(want), "%s is not a reviewed script: its "
	    "SHA-256 is %s, but the manifest %s lists %s for it (line 1), so "
	    "it changed after it was reviewed", script, ho, manifest, hs);
	refused(kr_reviewed_check(sdir, script, NULL, other, policy_sha),
	    want);
	kr_hex_encode(policy_sha, 32, hs, sizeof(hs));
	snprintf(want, sizeof(want), "%s is not the reviewed policy: its "
	    "SHA-256 is %s, but the manifest %s lists %s for it (line 2), so "
	    "it changed after it was reviewed", policy, ho, manifest, hs);
	refused(kr_reviewed_check(sdir, script, NULL, script_sha, other),
	    want);
}

Test(reviewed, not_in_the_manifest, .init = setup, .fini = teardown)
{
	char extra[600], want[4096];

	chmod(sdir, 0755);
	snprintf(extra, sizeof(extra), "%s/u.ceremony", sdir);
	put(extra, SCRIPT, 0444);
	chmod(sdir, 0555);
	snprintf(want, sizeof(want), "%s is not a reviewed script: the "
	    "manifest %s does not list u.ceremony", extra, manifest);
	refused(kr_reviewed_check(sdir, extra, NULL, script_sha, policy_sha),
	    want);
}

Test(reviewed, no_manifest_or_a_link, .init = setup, .fini = teardown)
{
	char want[4096], target[600];

	chmod(sdir, 0755);
	cr_assert_eq(unlink(manifest), 0, "unlink");
	chmod(sdir, 0555);
	snprintf(want, sizeof(want), "the reviewed manifest %s: No such file "
	    "or directory", manifest);
	refused(kr_reviewed_check(sdir, script, NULL, NULL, NULL), want);
	snprintf(target, sizeof(target), "%s/elsewhere.sha256", dir);
	put(target, "x\n", 0444);
	chmod(sdir, 0755);
	cr_assert_eq(symlink(target, manifest), 0, "symlink");
	chmod(sdir, 0555);
	snprintf(want, sizeof(want), "the reviewed manifest %s: a symbolic "
	    "link, not the reviewed file", manifest);
	refused(kr_reviewed_check(sdir, script, NULL, NULL, NULL), want);
}

static const struct {
	const char	*name, *text, *expect;
} manifest_rows[] = {
	{ "upper_case_hex", "ABCDEF", ":1:1: expected the SHA-256 as 64 "
	    "lower-case hex digits, as sha256sum writes it" },
	{ "short_hash", "abc  t.ceremony", ":1:4: expected the SHA-256 as "
	    "64 lower-case hex digits, as sha256sum writes it" },
	{ "one_space", "@ t.ceremony", ":1:65: expected two spaces (or "
	    "' *') between the SHA-256 and the file name" },
	{ "path", "@  ../t.ceremony", ":1:67: expected a plain file name "
	    "(letters, digits, '.', '_', '-'), the name of a file beside the "
	    "manifest" },
	{ "space_in_name", "@  t .ceremony", ":1:68: expected a plain file "
	    "name (letters, digits, '.', '_', '-'), the name of a file beside "
	    "the manifest" },
	{ "listed_twice", "@  t.ceremony\n@ *t.ceremony", ":2:67: "
	    "t.ceremony is listed twice (first at line 1)" },
	{ "no_final_newline", "@  t.ceremony\n@  policy.conf", ":2:78: "
	    "the last line does not end with a newline" },
	{ "empty", "", ":1:1: the manifest lists no file" },
};

/* text with each '@' replaced by hash, into out. */
static void
subst(char *out, size_t size, const char *text, const char *hash)
{
	size_t o = 0;

	for (; *text != '\0' && o + 65 < size; text++) {
		if (*text != '@') {
			out[o++] = *text;
			continue;
		}
		memcpy(out + o, hash, 64);
		o += 64;
	}
	out[o] = '\0';
}

Test(reviewed, manifest_syntax, .init = setup, .fini = teardown)
{
	char text[512], want[4096], hs[65];
	size_t i, len;

	kr_hex_encode(script_sha, 32, hs, sizeof(hs));
	for (i = 0; i < sizeof(manifest_rows) / sizeof(manifest_rows[0]);
	    i++) {
		subst(text, sizeof(text), manifest_rows[i].text, hs);
		len = strlen(text);
		/* Every row but the one about it ends with a newline. */
		if (strcmp(manifest_rows[i].name, "no_final_newline") != 0 &&
		    len > 0)
			strcat(text, "\n");
		chmod(sdir, 0755);
		put(manifest, text, 0444);
		chmod(sdir, 0555);
		snprintf(want, sizeof(want), "%s%s", manifest,
		    manifest_rows[i].expect);
		cr_assert_eq(kr_reviewed_check(sdir, script, NULL, NULL, NULL),
		    KR_ERR_SCRIPT_NOT_REVIEWED, "%s: accepted",
		    manifest_rows[i].name);
		cr_assert_str_eq(kr_err_detail(), strcat(want, "; run it with "
		    "--rehearsal, or install the reviewed scripts"), "%s: %s",
		    manifest_rows[i].name, kr_err_detail());
	}
}

/* This test binary is not installed (it is not in a bin directory). */
Test(reviewed, this_binary_is_not_installed)
{
	char exe[4096], want[8192], out[4096];
	ssize_t n;

	cr_assert_gt(n = readlink("/proc/self/exe", exe, sizeof(exe) - 1), 0,
	    "readlink");
	exe[n] = '\0';
	snprintf(want, sizeof(want), "keyrite at %s is not installed (it is "
	    "not in a bin directory), so no script counts as reviewed", exe);
	refused(kr_reviewed_dir(out, sizeof(out)), want);
	refused(kr_reviewed_check(NULL, "ceremony-scripts/root-ca-create."
	    "ceremony", NULL, NULL, NULL), want);
}

/* --- cards ---------------------------------------------------------------- */

static struct kr_token_info
card(const char *manufacturer, const char *model, int hw_slot)
{
	struct kr_token_info t;

	memset(&t, 0, sizeof(t));
	snprintf(t.label, sizeof(t.label), "custodian-3");
	snprintf(t.serial, sizeof(t.serial), "8d1c5a3e2f4b6071");
	snprintf(t.manufacturer, sizeof(t.manufacturer), "%s", manufacturer);
	snprintf(t.model, sizeof(t.model), "%s", model);
	t.hw_slot = hw_slot;
	t.initialized = 1;
	return t;
}

static struct kr_policy *
policy_with(const char *lines)
{
	const char *top = getenv("KR_TOP");
	struct kr_policy *p = NULL;
	char path[4096], *text, *at;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/ceremony-scripts/policy.conf",
	    top ? top : ".");
	cr_assert_not_null(f = fopen(path, "r"), "%s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	cr_assert_not_null(text = calloc(1, (size_t)n + strlen(lines) + 1),
	    "calloc");
	cr_assert_eq(fread(text, 1, (size_t)n, f), (size_t)n, "read");
	fclose(f);
	cr_assert_not_null(at = strstr(text, "name = default\n"), "name");
	at += strlen("name = default\n");
	memmove(at + strlen(lines), at, strlen(at) + 1);
	memcpy(at, lines, strlen(lines));
	cr_assert_eq(kr_policy_parse(text, strlen(text), "p.conf", &p), 0,
	    "%s", kr_err_detail());
	free(text);
	return p;
}

Test(reviewed, cards)
{
	struct kr_policy *plain = policy_with("");
	struct kr_policy *soft = policy_with("qualified-token = SoftHSM "
	    "project / SoftHSM v2\n");
	struct kr_policy *acme = policy_with("qualified-token = Acme / "
	    "Virtual Card\n");
	struct kr_token_info softhsm = card("SoftHSM project", "SoftHSM v2",
	    0), hw = card("www.CardContact.de", "PKCS#15 emulated", 1),
	    virt = card("Acme", "Virtual Card", 0),
	    hostile = card("Evil\x1b]0;x\x07", "Card", 0);
	char why[1024];

	cr_assert_eq(kr_reviewed_token_ok(plain, &softhsm, 1, why,
	    sizeof(why)), 0, "a rehearsal takes any card");
	cr_assert_str_eq(why, "", "no reason when accepted");
	cr_assert_eq(kr_reviewed_token_ok(plain, &softhsm, 0, why,
	    sizeof(why)), KR_ERR_TOKEN_NOT_QUALIFIED, "SoftHSM2 accepted");
	cr_assert_str_eq(why, "card custodian-3 (serial 8d1c5a3e2f4b6071) is "
	    "a software token (SoftHSM project SoftHSM v2): a real ceremony "
	    "uses hardware cards; qualify the model in the policy "
	    "(qualified-token = SoftHSM project / SoftHSM v2) or run a "
	    "rehearsal", "why");
	cr_assert_str_eq(kr_err_detail(), why, "detail");
	softhsm.hw_slot = 1;
	cr_assert_eq(kr_reviewed_token_ok(plain, &softhsm, 0, why,
	    sizeof(why)), KR_ERR_TOKEN_NOT_QUALIFIED, "SoftHSM2 in a slot "
	    "claiming to be hardware accepted");
	cr_assert_eq(kr_reviewed_token_ok(soft, &softhsm, 0, why,
	    sizeof(why)), 0, "qualified SoftHSM2 refused: %s", why);
	cr_assert_eq(kr_reviewed_token_ok(plain, &hw, 0, why, sizeof(why)), 0,
	    "a hardware card refused: %s", why);
	cr_assert_eq(kr_reviewed_token_ok(plain, &virt, 0, why, sizeof(why)),
	    KR_ERR_TOKEN_NOT_QUALIFIED, "no CKF_HW_SLOT accepted");
	cr_assert_str_eq(why, "card custodian-3 (serial 8d1c5a3e2f4b6071) is "
	    "not in a hardware slot (Acme Virtual Card; its slot lacks "
	    "CKF_HW_SLOT): a real ceremony uses hardware cards; qualify the "
	    "model in the policy (qualified-token = Acme / Virtual Card) or "
	    "run a rehearsal", "why");
	cr_assert_eq(kr_reviewed_token_ok(acme, &virt, 0, why, sizeof(why)),
	    0, "qualified model refused: %s", why);
	cr_assert_eq(kr_reviewed_token_ok(soft, &virt, 0, why, sizeof(why)),
	    KR_ERR_TOKEN_NOT_QUALIFIED, "another model's line qualified it");
	cr_assert_eq(kr_reviewed_token_ok(NULL, &virt, 0, why, sizeof(why)),
	    KR_ERR_TOKEN_NOT_QUALIFIED, "no policy: nothing qualified");
	cr_assert_eq(kr_reviewed_token_ok(plain, &hostile, 0, why,
	    sizeof(why)), KR_ERR_TOKEN_NOT_QUALIFIED, "hostile card");
	cr_assert_null(strchr(why, '\x1b'), "escape sequence passed: %s",
	    why);
	cr_assert_not_null(strstr(why, "(Evil\\x1b]0;x\\x07 Card;"),
	    "manufacturer not shown escaped: %s", why);
	kr_policy_free(plain);
	kr_policy_free(soft);
	kr_policy_free(acme);
}
