/*
 * test_lobby.c: the facts the TUI shows between ceremonies.
 *
 * Scripts listed with their descriptions (and a broken one with its
 * error), the scripts directory found, each policy violation pinned to
 * the parameters it is about (so that the Parameters screen shows it next
 * to the right field: this breaks if policy.c's sentences change), cards
 * listed in natural order from SoftHSM2 rehearsal cards, the module given
 * up and taken again, a transcript read with the hash sha256sum prints.
 */
#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <openssl/evp.h>

#include "base/err.h"
#include "card/rehearsal.h"
#include "ceremony/lobby.h"
#include "ceremony/policy.h"
#include "ceremony/script.h"

#include "shipped.h"

static char dir[64];

static void
setup(void)
{
	strcpy(dir, "/tmp/kr-lobby-XXXXXX");
	cr_assert_not_null(mkdtemp(dir), "mkdtemp");
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0, "cleanup");
}

TestSuite(lobby, .init = setup, .fini = teardown);

static void
write_file(const char *path, const char *text)
{
	FILE *f;

	cr_assert_not_null(f = fopen(path, "w"), "writing %s", path);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0, "closing %s", path);
}

Test(lobby, lists_scripts_sorted_with_descriptions)
{
	struct kr_lobby *l = NULL;
	const struct kr_lobby_script *s;
	char scripts[PATH_MAX];
	size_t i, drill = 0, root = 0;

	scripts_path(scripts, sizeof(scripts));
	cr_assert_eq(kr_lobby_new(scripts, NULL, &l), 0, "%s",
	    kr_err_detail());
	cr_assert_geq(kr_lobby_nscripts(l), 2, "two scripts at least");
	for (i = 0; i < kr_lobby_nscripts(l); i++) {
		s = kr_lobby_script(l, i);
		cr_assert(i == 0 || strcmp(kr_lobby_script(l, i - 1)->name,
		    s->name) < 0, "sorted by file: %s after %s", s->name,
		    kr_lobby_script(l, i - 1)->name);
		cr_assert(s->ok, "%s parses", s->name);
		if (strcmp(s->name, "key-recovery-drill") == 0)
			drill = i + 1;
		if (strcmp(s->name, "root-ca-create") == 0)
			root = i + 1;
	}
	cr_assert(drill > 0 && root > drill, "the drill, then root-ca-create");
	s = kr_lobby_script(l, drill - 1);
	cr_assert_not_null(strstr(s->description, "Recover an escrowed key"),
	    "description: %s", s->description);
	cr_assert_null(kr_lobby_script(l, kr_lobby_nscripts(l)), "past end");
	kr_lobby_free(l);
}

Test(lobby, a_broken_script_is_listed_with_its_error)
{
	struct kr_lobby *l = NULL;
	const struct kr_lobby_script *s;
	char path[128];

	snprintf(path, sizeof(path), "%s/bad.ceremony", dir);
	write_file(path, "ceremony bad\nfrobnicate yes\n");
	snprintf(path, sizeof(path), "%s/notes.txt", dir);
	write_file(path, "not a script\n");
	cr_assert_eq(kr_lobby_new(dir, NULL, &l), 0, "%s", kr_err_detail());
	cr_assert_eq(kr_lobby_nscripts(l), 1, "only *.ceremony files");
	s = kr_lobby_script(l, 0);
	cr_assert(!s->ok, "bad.ceremony does not parse");
	cr_assert_str_eq(s->name, "bad", "named after its file");
	cr_assert_not_null(strstr(s->description, "bad.ceremony:2:"),
	    "the error names the line: %s", s->description);
	cr_assert_null(strchr(s->description, '\n'), "one line");
	kr_lobby_free(l);
}

Test(lobby, finds_the_scripts_directory)
{
	char out[PATH_MAX], missing[128];

	cr_assert_eq(kr_lobby_scripts_dir(dir, out, sizeof(out)), 0, "given");
	cr_assert_str_eq(out, dir, "the one given");
	snprintf(missing, sizeof(missing), "%s/none", dir);
	cr_assert_eq(kr_lobby_scripts_dir(missing, out, sizeof(out)),
	    KR_ERR_NOT_FOUND, "a missing directory");
	cr_assert_not_null(strstr(kr_err_detail(), missing), "named");
	cr_assert_eq(setenv("KEYRITE_SCRIPTS", dir, 1), 0, "setenv");
	cr_assert_eq(kr_lobby_scripts_dir(NULL, out, sizeof(out)), 0, "env");
	cr_assert_str_eq(out, dir, "$KEYRITE_SCRIPTS");
}

/* The names of the parameters violation v is pinned to, space-separated. */
static void
pinned(const struct kr_script *s, const char *v, char *out, size_t outlen)
{
	size_t idx[KR_SCRIPT_MAX_PARAMS], n, i, used = 0;

	out[0] = '\0';
	n = kr_lobby_violation_params(s, v, idx, KR_SCRIPT_MAX_PARAMS);
	for (i = 0; i < n; i++)
		used += (size_t)snprintf(out + used, outlen - used, "%s%s",
		    i ? " " : "", s->params[idx[i]].name);
}

static const struct {
	const char	*sets[3];
	const char	*starts;	/* how the violation begins */
	const char	*params;	/* the fields it is shown next to */
} pins[] = {
	{ { "key_type=ed25519" }, "algorithm ed25519", "key_type" },
	{ { "validity_days=10000" }, "certificate validity", "validity_days" },
	{ { "threshold=1" }, "threshold 1 is below", "threshold" },
	{ { "shares=3", "threshold=2" }, "share count 3 is below", "shares" },
	{ { "threshold=5", "shares=4" }, "threshold 5 is larger",
	    "threshold shares" },
	{ { "threshold=4", "shares=5" }, "share count 5 leaves 1 spare",
	    "threshold shares" },
};

Test(lobby, violations_are_pinned_to_their_parameters)
{
	struct kr_policy_request req;
	struct kr_script *s = NULL;
	struct kr_policy *p = NULL;
	char path[PATH_MAX], got[256], **v = NULL;
	size_t i, j, n = 0, hit;

	scripts_path(path, sizeof(path));
	strcat(path, "/policy.conf");
	cr_assert_eq(kr_policy_load(path, &p), 0, "%s", kr_err_detail());
	for (i = 0; i < sizeof(pins) / sizeof(pins[0]); i++) {
		scripts_path(path, sizeof(path));
		strcat(path, "/root-ca-create.ceremony");
		cr_assert_eq(kr_script_load(path, &s), 0, "%s",
		    kr_err_detail());
		for (j = 0; j < 3 && pins[i].sets[j] != NULL; j++) {
			char name[64];
			const char *eq = strchr(pins[i].sets[j], '=');

			snprintf(name, sizeof(name), "%.*s",
			    (int)(eq - pins[i].sets[j]), pins[i].sets[j]);
			cr_assert_eq(kr_script_set_param(s, name, eq + 1), 0,
			    "%s", kr_err_detail());
		}
		cr_assert_eq(kr_script_resolve(s), 0, "%s", kr_err_detail());
		kr_script_policy_request(s, &req);
		cr_assert_eq(kr_policy_check(p, &req, &v, &n),
		    KR_ERR_POLICY_VIOLATION, "case %zu is refused", i);
		for (j = 0, hit = 0; j < n; j++) {
			if (strncmp(v[j], pins[i].starts,
			    strlen(pins[i].starts)) != 0)
				continue;
			pinned(s, v[j], got, sizeof(got));
			cr_assert_str_eq(got, pins[i].params, "'%s' is shown "
			    "next to '%s', want '%s'", v[j], got,
			    pins[i].params);
			hit = 1;
		}
		cr_assert(hit, "case %zu: no violation starting '%s'", i,
		    pins[i].starts);
		kr_policy_violations_free(v, n);
		kr_script_free(s);
	}
	kr_policy_free(p);
}

Test(lobby, cards_in_natural_order)
{
	struct kr_card_view a[] = {
	    { .label = "custodian-10", .serial = "b" },
	    { .label = "custodian-2", .serial = "a" },
	    { .label = "custodian-1", .serial = "c" },
	    { .label = "custodian-2", .serial = "0" } };

	qsort(a, 4, sizeof(a[0]), kr_lobby_card_cmp);
	cr_assert_str_eq(a[0].label, "custodian-1", "1 first");
	cr_assert_str_eq(a[1].serial, "0", "2, serial 0");
	cr_assert_str_eq(a[2].serial, "a", "2, serial a");
	cr_assert_str_eq(a[3].label, "custodian-10", "10 last");
}

Test(lobby, lists_rehearsal_cards_and_gives_the_module_up, .timeout = 60)
{
	struct kr_rehearsal *r = NULL;
	struct kr_lobby *l = NULL;
	struct kr_card_view cards[8];
	char path[128], scripts[PATH_MAX];
	size_t n = 0;

	if (access(KR_REHEARSAL_MODULE, R_OK) != 0)
		cr_skip_test("SoftHSM2 is not installed (package softhsm2)");
	snprintf(path, sizeof(path), "%s/cards", dir);
	cr_assert_eq(kr_rehearsal_create(path, NULL, 3, &r), 0, "%s",
	    kr_err_detail());
	cr_assert_eq(setenv("SOFTHSM2_CONF", r->conf, 1), 0, "setenv");
	scripts_path(scripts, sizeof(scripts));
	cr_assert_eq(kr_lobby_new(scripts, KR_REHEARSAL_MODULE, &l), 0, "%s",
	    kr_err_detail());
	cr_assert_eq(kr_lobby_cards(l, cards, 8, &n), 0, "%s",
	    kr_err_detail());
	cr_assert_eq(n, 3, "3 cards, not the spare slot (%zu)", n);
	cr_assert_str_eq(cards[0].label, "custodian-1", "first");
	cr_assert_str_eq(cards[2].label, "custodian-3", "last");
	cr_assert_str_eq(cards[0].serial, r->cards[0].serial, "serial");
	/* Again, re-initialised: still there. */
	cr_assert_eq(kr_lobby_cards(l, cards, 8, &n), 0, "%s",
	    kr_err_detail());
	cr_assert_eq(n, 3, "3 again");
	kr_lobby_release(l);
	kr_lobby_release(l);
	cr_assert_eq(kr_lobby_cards(l, cards, 2, &n), 0, "reopened: %s",
	    kr_err_detail());
	cr_assert_eq(n, 2, "at most max");
	kr_lobby_free(l);
	kr_rehearsal_free(r);
}

Test(lobby, checks_the_machine)
{
	struct kr_lobby *l = NULL;
	const struct kr_lobby_health *h;

	cr_assert_eq(kr_lobby_new(dir, NULL, &l), 0, "%s", kr_err_detail());
	cr_assert(!kr_lobby_health(l)->checked, "not before asked");
	cr_assert_eq(kr_lobby_check(l), 0, "check");
	h = kr_lobby_health(l);
	cr_assert(h->checked, "checked");
	cr_assert_gt(h->selftest_total, 0, "self-tests ran");
	cr_assert(h->airgapped || h->airgap_detail[0] != '\0',
	    "a machine that is not air-gapped says why");
	kr_lobby_free(l);
}

Test(lobby, reads_a_transcript_with_its_hash)
{
	const char *text = "keyrite-transcript: 1\nnot really\n";
	uint8_t h[32], want[32];
	char path[128], *got = NULL;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/t.txt", dir);
	write_file(path, text);
	cr_assert_eq(EVP_Digest(text, strlen(text), want, NULL, EVP_sha256(),
	    NULL), 1, "sha256");
	cr_assert_eq(kr_lobby_transcript(path, &got, &len, h), 0, "%s",
	    kr_err_detail());
	cr_assert_eq(len, strlen(text), "length");
	cr_assert_str_eq(got, text, "text");
	cr_assert_arr_eq(h, want, 32, "hash");
	free(got);
	snprintf(path, sizeof(path), "%s/none.txt", dir);
	got = NULL;
	cr_assert_eq(kr_lobby_transcript(path, &got, &len, h), KR_ERR_IO,
	    "missing");
	cr_assert_null(got, "nothing returned");
}

Test(lobby, hints_carry_the_policys_limits)
{
	static const struct {
		const char	*param;
		const char	*hint;
	} want[] = {
		{ "validity_days", "1 to 9132 (policy: root-ca)" },
		{ "threshold", "2 to 255 (policy: root-ca)" },
		{ "shares", "4 to 255 (policy: root-ca)" },
		{ "key_type", "<> ecdsa-p384 ecdsa-p521 rsa-3072 rsa-4096 "
		    "(policy: root-ca)" },
		{ "path_length", "<> none 0 1 2 3 4 5" },
		{ "subject", "" },
	};
	struct kr_script *s = load_shipped("root-ca-create.ceremony");
	struct kr_policy *p = NULL;
	char path[PATH_MAX], hint[256];
	size_t i;

	scripts_path(path, sizeof(path));
	strcat(path, "/policy.conf");
	cr_assert_eq(kr_policy_load(path, &p), 0, "%s", kr_err_detail());
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		kr_lobby_param_hint(s, p, param_index(s, want[i].param), hint,
		    sizeof(hint));
		cr_assert_str_eq(hint, want[i].hint, "%s", want[i].param);
	}
	/* Without a policy, the script's own range. */
	kr_lobby_param_hint(s, NULL, param_index(s, "validity_days"), hint,
	    sizeof(hint));
	cr_assert_str_eq(hint, "1 to 36500", "no policy");
	kr_policy_free(p);
	kr_script_free(s);
}

Test(lobby, knows_which_parameters_name_input_files)
{
	struct kr_script *c = load_shipped("root-ca-create.ceremony");
	struct kr_script *d = load_shipped("key-recovery-drill.ceremony");

	/* In the drill escrow and certificate are read; made in create. */
	cr_assert_eq(kr_lobby_param_input(d, param_index(d, "escrow")),
	    KR_LOBBY_INPUT_ESCROW, "drill escrow");
	cr_assert_eq(kr_lobby_param_input(d, param_index(d, "certificate")),
	    KR_LOBBY_INPUT_CERTIFICATE, "drill certificate");
	cr_assert_eq(kr_lobby_param_input(c, param_index(c, "escrow")),
	    KR_LOBBY_INPUT_NONE, "an output is no input");
	cr_assert_str_eq(kr_lobby_input_suffix(KR_LOBBY_INPUT_ESCROW),
	    ".escrow", "suffix");
	kr_script_free(c);
	kr_script_free(d);
}

Test(lobby, lists_files_on_the_media_and_checks_inputs)
{
	char d1[256], d2[256], path[PATH_MAX];
	char names[8][KR_LOBBY_NAME_MAX];
	const char *dirs[2] = { d1, d2 };
	struct kr_lobby_input_state st;
	size_t n = 0;

	snprintf(d1, sizeof(d1), "%s/a", dir);
	snprintf(d2, sizeof(d2), "%s/b", dir);
	cr_assert_eq(kr_lobby_media_check(dirs, 2), KR_ERR_MEDIA, "missing");
	cr_assert(strstr(kr_err_detail(), d1) != NULL, "%s", kr_err_detail());
	mkdir(d1, 0700);
	mkdir(d2, 0700);
	cr_assert_eq(kr_lobby_media_check(dirs, 2), 0, "%s", kr_err_detail());
	snprintf(path, sizeof(path), "%s/transcript-20260101-000000-aa.txt", d1);
	write_file(path, "x");
	snprintf(path, sizeof(path), "%s/transcript-20270101-000000-bb.txt", d2);
	write_file(path, "x");
	snprintf(path, sizeof(path), "%s/transcript-20270101-000000-bb.txt", d1);
	write_file(path, "x");
	snprintf(path, sizeof(path), "%s/.transcript-hidden.txt", d1);
	write_file(path, "x");
	snprintf(path, sizeof(path), "%s/bad.escrow", d2);
	write_file(path, "not a package\n");
	cr_assert_eq(kr_lobby_media_files(dirs, 2, "transcript-", ".txt", 1,
	    names, 8, &n), 0, "list");
	cr_assert_eq(n, 2, "each name once, hidden ones left out: %zu", n);
	cr_assert_str_eq(names[0], "transcript-20270101-000000-bb.txt",
	    "newest first");
	cr_assert_eq(kr_lobby_input_check(dirs, 2, KR_LOBBY_INPUT_ESCROW,
	    "none.escrow", NULL, &st), 0, "check");
	cr_assert(!st.ok && strstr(st.verdict, "none.escrow is not on the "
	    "media") != NULL, "%s", st.verdict);
	cr_assert_eq(kr_lobby_input_check(dirs, 2, KR_LOBBY_INPUT_ESCROW,
	    "bad.escrow", NULL, &st), 0, "check");
	cr_assert(!st.ok && strstr(st.verdict, "bad.escrow") != NULL, "%s",
	    st.verdict);
	cr_assert_eq(kr_lobby_input_check(dirs, 2, KR_LOBBY_INPUT_ESCROW,
	    "../x.escrow", NULL, &st), 0, "check");
	cr_assert(!st.ok && strstr(st.verdict, "not a plain file name") !=
	    NULL, "%s", st.verdict);
	/* No sealed transcript of any key here: no previous ceremony. */
	cr_assert_eq(kr_lobby_previous(dirs, 2, st.key_id, path,
	    sizeof(path)), KR_ERR_NOT_FOUND, "previous");
}
