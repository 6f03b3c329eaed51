/*
 * test_script.c: ceremony scripts.  Every error class of the parser gives
 * its exact "file:line:column: message" (and hint); parameters are set,
 * checked and substituted; the shipped scripts parse.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <openssl/evp.h>

#include "base/err.h"
#include "ceremony/policy.h"
#include "ceremony/script.h"

/* The lines every test script starts with, and a step's body. */
#define H	"ceremony t\ndescription \"d\"\nkey-class root-ca\n"
#define S	"  role administrator\n  say \"s\"\n"
#define SC	"  role custodian\n  say \"s\"\n"
/* Every script ends with the seal; one that makes a key is audited. */
#define E	"step seal-transcript\n" S
#define A	"step show-fingerprint\n" S "step wipe\n" S E

struct syntax_row {
	const char	*name;
	size_t		 len;		/* 0: strlen(text) */
	const char	*text;
	const char	*expect;	/* kr_err_detail() */
};

/* One row per error class of the parser. */
static const struct syntax_row syntax_rows[] = {
	{ "carriage_return", 0,
	    "ceremony t\r\n",
	    "t.ceremony:1:11: carriage return\n"
	    "hint: save the file with LF (Unix) line endings" },
	{ "tab", 0,
	    H "\tstep selftest\n",
	    "t.ceremony:4:1: tab character\n"
	    "hint: use spaces instead of tabs" },
	{ "nul", 13,
	    "ceremony t\n"
	    "\x00\n",
	    "t.ceremony:2:1: control character U+0000" },
	{ "invalid_utf8", 0,
	    "ceremony t\n"
	    "description \"caf\xe9\"\n",
	    "t.ceremony:2:17: invalid UTF-8\n"
	    "hint: save the file as UTF-8" },
	{ "byte_order_mark", 0,
	    "\xef\xbb\xbf"
	    "ceremony t\n",
	    "t.ceremony:1:1: byte-order mark\n"
	    "hint: save the file as UTF-8 without a byte-order mark" },
	{ "control_character", 0,
	    "ceremony t\n"
	    "description \"a\x1b"
	    "b\"\n",
	    "t.ceremony:2:15: control character U+001B" },
	{ "trailing_space", 0,
	    "ceremony t \n",
	    "t.ceremony:1:11: space at the end of the line\n"
	    "hint: remove it" },
	{ "unterminated_string", 0,
	    "ceremony t\n"
	    "description \"d\n",
	    "t.ceremony:2:13: unterminated string\n"
	    "hint: close it with '\"' on the same line" },
	{ "quote_inside_word", 0,
	    H "step self-sign subject=CN\"x\"\n",
	    "t.ceremony:4:26: unexpected '\"'\n"
	    "hint: quote a whole value: \"...\" or NAME=\"...\"" },
	{ "no_space_after_quote", 0,
	    "ceremony t\n"
	    "description \"d\"x\n",
	    "t.ceremony:2:16: expected a space after the closing quote" },
	{ "comment_after_text", 0,
	    "ceremony t # the name\n",
	    "t.ceremony:1:12: a comment must be on a line of its own\n"
	    "hint: put the comment on a line of its own" },
	{ "too_many_words", 0,
	    H "param p choice c0 c1 c2 c3 c4 c5 c6 c7 c8 c9 c10 c11 c12 "
	    "c13 c14 c15 c16 c17 c18 c19 c20 c21 c22 c23 c24 c25 c26 c27 "
	    "c28 c29 c30 c31 c32 c33 c34 c35 c36 c37 c38 c39 default c1\n",
	    "t.ceremony:4:154: more than 40 words on one line" },
	{ "unknown_escape", 0,
	    H "step selftest\n"
	    "  role administrator\n"
	    "  say \"a \\n b\"\n",
	    "t.ceremony:6:10: unknown escape '\\n'\n"
	    "hint: the escapes are \\\" \\\\ and \\$" },
	{ "unterminated_reference", 0,
	    H "step selftest\n"
	    "  role administrator\n"
	    "  say \"a ${p b\"\n",
	    "t.ceremony:6:10: unterminated '${'\n"
	    "hint: write ${name}, or \\$ for a '$'" },
	{ "unknown_reference", 0,
	    H "param subject string default \"x\"\n"
	    "step self-sign subject=${subjet} validity-days=1\n" S E,
	    "t.ceremony:5:24: unknown parameter 'subjet'\n"
	    "hint: did you mean 'subject'?" },
	{ "reference_in_default", 0,
	    H "param a string default \"x\"\n"
	    "param b string default \"${a}\"\n",
	    "t.ceremony:5:25: a default cannot refer to a parameter\n"
	    "hint: write the value itself, or \\$ for a '$'" },
	{ "bad_indentation", 0,
	    H "step selftest\n"
	    "   role administrator\n",
	    "t.ceremony:5:4: indented by 3 spaces\n"
	    "hint: steps start in column 1; their role and say lines are "
	    "indented by exactly two spaces" },
	{ "indented_outside_step", 0,
	    H "  role administrator\n",
	    "t.ceremony:4:3: indented line outside a step\n"
	    "hint: only the role and say lines of a step are indented" },
	{ "unknown_keyword_near", 0,
	    H "parm p string default x\n",
	    "t.ceremony:4:1: unknown keyword 'parm'\n"
	    "hint: did you mean 'param'?" },
	{ "unknown_keyword_far", 0,
	    H "stage selftest\n",
	    "t.ceremony:4:1: unknown keyword 'stage'\n"
	    "hint: keywords: ceremony, description, key-class, param, step" },
	{ "must_begin_with_ceremony", 0,
	    "description \"d\"\n"
	    "ceremony t\n",
	    "t.ceremony:1:1: the script must begin with 'ceremony NAME'\n"
	    "hint: write: ceremony NAME" },
	{ "duplicate_ceremony", 0,
	    H "ceremony u\n",
	    "t.ceremony:4:1: duplicate 'ceremony' (first at line 1)" },
	{ "duplicate_description", 0,
	    H "description \"e\"\n",
	    "t.ceremony:4:1: duplicate 'description' (first at line 2)" },
	{ "description_not_quoted", 0,
	    "ceremony t\n"
	    "description d\n",
	    "t.ceremony:2:13: the description must be a quoted string\n"
	    "hint: write: description \"...\"" },
	{ "header_after_param", 0,
	    "ceremony t\n"
	    "description \"d\"\n"
	    "param p string default x\n"
	    "key-class root-ca\n",
	    "t.ceremony:4:1: 'key-class' must come before the parameters "
	    "and steps" },
	{ "param_after_step", 0,
	    H "step selftest\n"
	    "  role administrator\n"
	    "  say \"s\"\n"
	    "param p string default x\n",
	    "t.ceremony:7:1: parameters must be declared before the first "
	    "step\n"
	    "hint: move it above line 4, the first step" },
	{ "missing_value", 0,
	    "ceremony\n",
	    "t.ceremony:1:9: 'ceremony' needs a value\n"
	    "hint: write: ceremony NAME" },
	{ "extra_word", 0,
	    "ceremony t u\n",
	    "t.ceremony:1:12: unexpected 'u'\n"
	    "hint: write: ceremony NAME" },
	{ "invalid_ceremony_name", 0,
	    "ceremony Root_CA\n",
	    "t.ceremony:1:10: invalid ceremony name 'Root_CA'\n"
	    "hint: a ceremony name is lower-case letters, digits and '-'" },
	{ "quoted_name", 0,
	    "ceremony \"t\"\n",
	    "t.ceremony:1:10: the ceremony name must not be quoted" },
	{ "unknown_key_class", 0,
	    "ceremony t\n"
	    "description \"d\"\n"
	    "key-class root\n",
	    "t.ceremony:3:11: unknown key class 'root'\n"
	    "hint: did you mean 'root-ca'?" },
	{ "no_description", 0,
	    "ceremony t\n"
	    "key-class root-ca\n"
	    "step selftest\n" S,
	    "t.ceremony:1:1: ceremony t has no description\n"
	    "hint: add: description \"...\"" },
	{ "no_key_class", 0,
	    "ceremony t\n"
	    "description \"d\"\n"
	    "step selftest\n" S,
	    "t.ceremony:1:1: ceremony t has no key-class\n"
	    "hint: add: key-class CLASS" },
	{ "no_steps", 0,
	    H "",
	    "t.ceremony:1:1: ceremony t has no steps\n"
	    "hint: add: step VERB ..." },
	{ "empty", 0,
	    "# nothing here\n",
	    "t.ceremony:1:1: the script must begin with 'ceremony NAME'\n"
	    "hint: write: ceremony NAME" },
	{ "invalid_param_name", 0,
	    H "param Subject string default x\n",
	    "t.ceremony:4:7: invalid parameter name 'Subject'\n"
	    "hint: parameter names are lower-case letters, digits and '_', "
	    "starting with a letter" },
	{ "forbidden_param_name", 0,
	    H "param user_pin string default 1234\n",
	    "t.ceremony:4:7: 'user_pin': PINs and PKCS#11 modules never go "
	    "in a script: the same file is used in rehearsal and for real; "
	    "give them to keyrite run instead" },
	{ "duplicate_param", 0,
	    H "param p string default x\n"
	    "param p string default y\n",
	    "t.ceremony:5:7: duplicate parameter 'p' (first at line 4)" },
	{ "unknown_type", 0,
	    H "param p strng default x\n",
	    "t.ceremony:4:9: unknown parameter type 'strng'\n"
	    "hint: did you mean 'string'?" },
	{ "no_default", 0,
	    H "param p integer 1..5\n",
	    "t.ceremony:4:21: parameter 'p' has no default\n"
	    "hint: end the line with: default VALUE" },
	{ "integer_without_range", 0,
	    H "param p integer default 3\n",
	    "t.ceremony:4:17: an integer parameter needs a range\n"
	    "hint: write: param NAME integer LO..HI default N" },
	{ "invalid_range", 0,
	    H "param p integer 1-5 default 3\n",
	    "t.ceremony:4:17: invalid range '1-5'\n"
	    "hint: write the range as LO..HI, e.g. 1..255" },
	{ "empty_range", 0,
	    H "param p integer 5..1 default 3\n",
	    "t.ceremony:4:17: empty range: 5 is more than 1" },
	{ "default_out_of_range", 0,
	    H "param p integer 1..5 default 7\n",
	    "t.ceremony:4:30: default of p: 7 is outside 1..5" },
	{ "default_not_a_number", 0,
	    H "param p integer 1..5 default three\n",
	    "t.ceremony:4:30: default of p: 'three' is not a whole number" },
	{ "choice_without_choices", 0,
	    H "param p choice default a\n",
	    "t.ceremony:4:15: a choice parameter needs choices\n"
	    "hint: list the choices: choice a b c default a" },
	{ "invalid_choice", 0,
	    H "param p choice a b/c default a\n",
	    "t.ceremony:4:18: invalid choice 'b/c'\n"
	    "hint: choices are letters, digits, '.', '_' and '-'" },
	{ "duplicate_choice", 0,
	    H "param p choice a b a default a\n",
	    "t.ceremony:4:20: duplicate choice 'a'" },
	{ "default_not_a_choice", 0,
	    H "param p choice a b default c\n",
	    "t.ceremony:4:28: default of p: 'c' is not one of: a b" },
	{ "choice_module_path", 0,
	    H "param p choice opensc-pkcs11.so softhsm default softhsm\n",
	    "t.ceremony:4:16: 'opensc-pkcs11.so' looks like a PKCS#11 "
	    "module: PINs and PKCS#11 modules never go in a script: the "
	    "same file is used in rehearsal and for real; give them to "
	    "keyrite run instead" },
	{ "default_module_path", 0,
	    H "param lib string default \"/usr/lib/softhsm/libsofthsm2.so\""
	    "\n",
	    "t.ceremony:4:26: default of lib: "
	    "'/usr/lib/softhsm/libsofthsm2.so' looks like a PKCS#11 "
	    "module: PINs and PKCS#11 modules never go in a script: the "
	    "same file is used in rehearsal and for real; give them to "
	    "keyrite run instead" },
	{ "string_extra_word", 0,
	    H "param p string 1..5 default x\n",
	    "t.ceremony:4:16: unexpected '1..5'" },
	{ "step_without_verb", 0,
	    H "step\n",
	    "t.ceremony:4:5: 'step' needs a verb\n"
	    "hint: known verbs: selftest, airgap-check, roll-call, "
	    "generate-key, self-sign, show-fingerprint, split, "
	    "write-shares, verify-shares, write-escrow, write-certificate, "
	    "write-public-key, write-pubhash, write-csr, load-escrow, "
	    "recover, prove-key, review-csr, sign-csr, review-crl, "
	    "issue-crl, review-cross, cross-sign, review-ocsp, sign-ocsp, "
	    "review-target, restore-key, review-release, sign-release, "
	    "import-key, destroy-shares, attest-copies, check-card, wipe, "
	    "seal-transcript, cosign-transcript, print-transcript" },
	{ "unknown_verb_near", 0,
	    H "step generate-keys algorithm=ed25519\n",
	    "t.ceremony:4:6: unknown verb 'generate-keys'\n"
	    "hint: did you mean 'generate-key'?" },
	{ "unknown_verb_far", 0,
	    H "step dance\n",
	    "t.ceremony:4:6: unknown verb 'dance'\n"
	    "hint: known verbs: selftest, airgap-check, roll-call, "
	    "generate-key, self-sign, show-fingerprint, split, "
	    "write-shares, verify-shares, write-escrow, write-certificate, "
	    "write-public-key, write-pubhash, write-csr, load-escrow, "
	    "recover, prove-key, review-csr, sign-csr, review-crl, "
	    "issue-crl, review-cross, cross-sign, review-ocsp, sign-ocsp, "
	    "review-target, restore-key, review-release, sign-release, "
	    "import-key, destroy-shares, attest-copies, check-card, wipe, "
	    "seal-transcript, cosign-transcript, print-transcript" },
	{ "forbidden_verb", 0,
	    H "step set-pin\n",
	    "t.ceremony:4:6: 'set-pin': PINs and PKCS#11 modules never go "
	    "in a script: the same file is used in rehearsal and for real; "
	    "give them to keyrite run instead" },
	{ "argument_without_equals", 0,
	    H "step generate-key ed25519\n",
	    "t.ceremony:4:19: expected NAME=VALUE, not 'ed25519'\n"
	    "hint: generate-key takes: algorithm" },
	{ "unknown_argument_near", 0,
	    H "step split treshold=3 shares=5\n",
	    "t.ceremony:4:12: split has no argument 'treshold'\n"
	    "hint: did you mean 'threshold'?" },
	{ "argument_to_verb_without_arguments", 0,
	    H "step selftest quick=yes\n",
	    "t.ceremony:4:15: selftest has no argument 'quick'\n"
	    "hint: selftest takes no arguments" },
	{ "forbidden_argument", 0,
	    H "step roll-call slot=0\n",
	    "t.ceremony:4:16: 'slot': PINs and PKCS#11 modules never go in "
	    "a script: the same file is used in rehearsal and for real; "
	    "give them to keyrite run instead" },
	{ "duplicate_argument", 0,
	    H "step split threshold=3 threshold=4 shares=5\n",
	    "t.ceremony:4:24: duplicate argument 'threshold='" },
	{ "argument_without_value", 0,
	    H "step generate-key algorithm=\n",
	    "t.ceremony:4:29: algorithm= has no value\n"
	    "hint: write NAME=VALUE, or NAME=\"\" for an empty value" },
	{ "missing_required_argument", 0,
	    H "step split threshold=3\n",
	    "t.ceremony:4:6: split needs shares=" },
	{ "integer_argument_not_a_number", 0,
	    H "step split threshold=three shares=5\n" S E,
	    "t.ceremony:4:22: split threshold=: 'three' is not a whole "
	    "number" },
	{ "integer_argument_out_of_range", 0,
	    H "step split threshold=3 shares=300\n" S E,
	    "t.ceremony:4:31: split shares=: 300 is outside 1..255" },
	{ "unknown_algorithm_near", 0,
	    H "step generate-key algorithm=ed2519\n" S A,
	    "t.ceremony:4:29: generate-key algorithm=: unknown algorithm "
	    "'ed2519'\n"
	    "hint: did you mean 'ed25519'?" },
	{ "unknown_algorithm_far", 0,
	    H "step generate-key algorithm=dsa-1024\n" S A,
	    "t.ceremony:4:29: generate-key algorithm=: unknown algorithm "
	    "'dsa-1024'\n"
	    "hint: algorithms: ecdsa-p256, ecdsa-p384, ecdsa-p521, "
	    "rsa-2048, rsa-3072, rsa-4096, ed25519, ed448" },
	{ "not_a_plain_file_name", 0,
	    H "step write-escrow name=../root-ca.escrow\n" S E,
	    "t.ceremony:4:24: write-escrow name=: '../root-ca.escrow' is "
	    "not a plain file name\n"
	    "hint: a file name is letters, digits, '.', '_' and '-', "
	    "without '/' and not starting with '.' or '-'" },
	{ "module_path_argument", 0,
	    H "step load-escrow file=libsofthsm2.so.2\n" S E,
	    "t.ceremony:4:23: 'libsofthsm2.so.2' looks like a PKCS#11 "
	    "module: PINs and PKCS#11 modules never go in a script: the "
	    "same file is used in rehearsal and for real; give them to "
	    "keyrite run instead" },
	{ "string_param_for_integer", 0,
	    H "param days string default 30\n"
	    "step self-sign subject=x validity-days=${days}\n",
	    "t.ceremony:5:40: self-sign validity-days= needs a whole "
	    "number, but parameter days is a string" },
	{ "integer_param_range_too_wide", 0,
	    H "param m integer 0..300 default 3\n"
	    "step split threshold=${m} shares=5\n",
	    "t.ceremony:5:22: parameter m allows 0..300, but split "
	    "threshold= accepts 1..255\n"
	    "hint: narrow the parameter's range" },
	{ "choice_not_an_algorithm", 0,
	    H "param k choice ecdsa-p384 rsa2048 default ecdsa-p384\n"
	    "step generate-key algorithm=${k}\n",
	    "t.ceremony:5:29: choice 'rsa2048' of parameter k is not an "
	    "algorithm keyrite knows" },
	{ "choice_not_a_file_name", 0,
	    H "param f choice a.pem .hidden default a.pem\n"
	    "step write-certificate name=${f}\n",
	    "t.ceremony:5:29: choice '.hidden' of parameter f is not a "
	    "plain file name" },
	{ "integer_param_for_algorithm", 0,
	    H "param k integer 1..2 default 1\n"
	    "step generate-key algorithm=${k}\n",
	    "t.ceremony:5:29: generate-key algorithm= needs an algorithm, "
	    "but parameter k is an integer" },
	{ "reference_yields_bad_value", 0,
	    H "param f string default \"a/b\"\n"
	    "step write-certificate name=${f}\n" S E,
	    "t.ceremony:5:29: write-certificate name=: 'a/b' is not a "
	    "plain file name (from '${f}')\n"
	    "hint: a file name is letters, digits, '.', '_' and '-', "
	    "without '/' and not starting with '.' or '-'" },
	{ "unknown_step_line_near", 0,
	    H "step selftest\n"
	    "  rol administrator\n",
	    "t.ceremony:5:3: unknown step line 'rol'\n"
	    "hint: did you mean 'role'?" },
	{ "forbidden_step_line", 0,
	    H "step selftest\n"
	    "  pin 1234\n",
	    "t.ceremony:5:3: 'pin': PINs and PKCS#11 modules never go in a "
	    "script: the same file is used in rehearsal and for real; give "
	    "them to keyrite run instead" },
	{ "duplicate_role", 0,
	    H "step selftest\n"
	    "  role administrator\n"
	    "  role witness\n",
	    "t.ceremony:6:3: duplicate role (first at line 5)" },
	{ "unknown_role", 0,
	    H "step selftest\n"
	    "  role admin\n",
	    "t.ceremony:5:8: unknown role 'admin'\n"
	    "hint: did you mean 'administrator'?" },
	{ "role_not_allowed", 0,
	    H "step write-shares\n"
	    "  role administrator\n",
	    "t.ceremony:5:8: the administrator cannot act at step "
	    "write-shares\n"
	    "hint: write-shares is done by: custodian" },
	{ "say_not_quoted", 0,
	    H "step selftest\n"
	    "  role administrator\n"
	    "  say hello\n",
	    "t.ceremony:6:7: say needs a quoted string\n"
	    "hint: write: say \"...\"" },
	{ "no_role", 0,
	    H "step selftest\n"
	    "  say \"s\"\n"
	    "step wipe\n" S,
	    "t.ceremony:4:1: step selftest has no role\n"
	    "hint: add a line '  role administrator' below it" },
	{ "no_say", 0,
	    H "step selftest\n"
	    "  role administrator\n",
	    "t.ceremony:4:1: step selftest has no say line\n"
	    "hint: add a line '  say \"...\"' below it: the words the "
	    "administrator reads aloud" },
	{ "column_counts_characters", 0,
	    "ceremony t\n"
	    "description \"caf\xc3\xa9\"x\n",
	    "t.ceremony:2:19: expected a space after the closing quote" },
	{ "empty_argument_value", 0,
	    H "step self-sign subject=\"\" validity-days=1\n" S E,
	    "t.ceremony:4:25: self-sign subject= is empty" },
	/* The auditable-steps rule (docs/scripts.md). */
	{ "no_seal", 0,
	    H "step selftest\n" S,
	    "t.ceremony:4:6: the last step is selftest: every ceremony ends "
	    "with seal-transcript\n"
	    "hint: add a step seal-transcript at the end: it signs the "
	    "transcript, and a ceremony counts as complete only then" },
	{ "seal_not_last", 0,
	    H "step seal-transcript\n" S "step selftest\n" S E,
	    "t.ceremony:4:6: seal-transcript must be the last step but for "
	    "cosign-transcript and print-transcript (it is step 1 of 3, "
	    "before selftest)\n"
	    "hint: move it to the end: nothing can be recorded once the "
	    "transcript is sealed" },
	{ "cosign_before_seal", 0,
	    H "step cosign-transcript\n" S "step seal-transcript\n" S,
	    "t.ceremony:4:6: cosign-transcript comes before the transcript "
	    "is sealed\n"
	    "hint: move it after seal-transcript: it adds to the signature "
	    "block of a sealed transcript" },
	{ "seal_twice", 0,
	    H "step seal-transcript\n" S "step seal-transcript\n" S,
	    "t.ceremony:7:6: a second seal-transcript (the first is step 1)\n"
	    "hint: remove it: a transcript is sealed once" },
	{ "key_without_fingerprint", 0,
	    H "step generate-key algorithm=ed25519\n" S "step wipe\n" S E,
	    "t.ceremony:4:6: no show-fingerprint step after generate-key: in "
	    "a script that makes a key the witnesses confirm its "
	    "fingerprint\n"
	    "hint: add a step show-fingerprint (role witness) after line 4" },
	{ "fingerprint_before_certificate", 0,
	    H "step generate-key algorithm=ed25519\n" S
	    "step show-fingerprint\n" S
	    "step self-sign subject=x validity-days=1\n" S
	    "step wipe\n" S E,
	    "t.ceremony:10:6: no show-fingerprint step after self-sign: in a "
	    "script that makes a key the witnesses confirm its fingerprint\n"
	    "hint: add a step show-fingerprint (role witness) after line 10" },
	{ "recovery_without_fingerprint", 0,
	    H "step load-escrow\n" S "step recover\n" SC "step wipe\n" S E,
	    "t.ceremony:4:6: no show-fingerprint step after load-escrow: in "
	    "a script that recovers a key the witnesses confirm its "
	    "fingerprint\n"
	    "hint: add a step show-fingerprint (role witness) after line 4" },
	{ "fingerprint_of_nothing", 0,
	    H "step show-fingerprint\n" S E,
	    "t.ceremony:4:6: show-fingerprint has no key to show yet: no step "
	    "before it makes or loads one\n"
	    "hint: put it after generate-key, self-sign or load-escrow" },
	{ "recover_without_escrow", 0,
	    H "step  recover\n" SC "step wipe\n" S E,
	    "t.ceremony:4:7: recover needs a load-escrow step before it\n"
	    "hint: add a step load-escrow before it: the escrow package says "
	    "which shares open which key" },
	{ "key_without_wipe", 0,
	    H "step generate-key algorithm=ed25519\n" S
	    "step show-fingerprint\n" S E,
	    "t.ceremony:4:6: no wipe step after generate-key, the last step "
	    "that uses the key: the key and its shares are wiped once no step "
	    "needs them\n"
	    "hint: add a step wipe after line 4, before seal-transcript" },
	{ "class_param_missing", 0,
	    "ceremony t\ndescription \"d\"\nkey-class ${kc}\n" E,
	    "t.ceremony:3:11: key-class ${kc} needs a choice parameter kc\n"
	    "hint: declare it: param NAME choice CLASS... default CLASS" },
	{ "class_param_string", 0,
	    "ceremony t\ndescription \"d\"\nkey-class ${kc}\n"
	    "param kc string default root-ca\n" E,
	    "t.ceremony:3:11: key-class ${kc} needs a choice parameter kc\n"
	    "hint: declare it: param NAME choice CLASS... default CLASS" },
	{ "class_param_not_a_class", 0,
	    "ceremony t\ndescription \"d\"\nkey-class ${kc}\n"
	    "param kc choice root-ca toaster default root-ca\n" E,
	    "t.ceremony:3:11: choice 'toaster' of parameter kc is not a key "
	    "class" },
	{ "sign_release_unreviewed", 0,
	    H "step load-escrow\n" S "step show-fingerprint\n" S
	    "step recover\n" SC "step prove-key\n" S "step sign-release\n" S
	    "step wipe\n" S E,
	    "t.ceremony:16:6: sign-release signs only a release the witnesses "
	    "reviewed, with a key proven to be the package's\n"
	    "hint: add review-release (before recover) and prove-key before "
	    "it" },
	{ "wipe_before_last_use", 0,
	    H "step load-escrow\n" S "step show-fingerprint\n" S
	    "step recover\n" SC "step wipe\n" S "step prove-key\n" S E,
	    "t.ceremony:16:6: no wipe step after prove-key, the last step "
	    "that uses the key: the key and its shares are wiped once no step "
	    "needs them\n"
	    "hint: add a step wipe after line 16, before seal-transcript" },
	{ "cards_without_cosign", 0,
	    H "step load-escrow\n" S "step show-fingerprint\n" S
	    "step recover\n" SC "step wipe\n" S E,
	    "t.ceremony:16:6: no cosign-transcript step after seal-transcript: "
	    "custodians' cards take part in this ceremony (recover), and each "
	    "co-signs the sealed transcript\n"
	    "hint: add a step cosign-transcript after it" },
};

#define NSYNTAX	(sizeof(syntax_rows) / sizeof(syntax_rows[0]))

/*
 * Criterion may run each parameter in a freshly exec'd process, where
 * pointers of this one mean nothing: the parameter is the row's index.
 */
ParameterizedTestParameters(script, syntax_error)
{
	static size_t index[NSYNTAX];
	size_t i;

	for (i = 0; i < NSYNTAX; i++)
		index[i] = i;
	return cr_make_param_array(size_t, index, NSYNTAX);
}

ParameterizedTest(size_t *i, script, syntax_error)
{
	const struct syntax_row *row = &syntax_rows[*i];
	struct kr_script *s = (struct kr_script *)(uintptr_t)1;
	size_t len = row->len ? row->len : strlen(row->text);
	int r;

	r = kr_script_parse(row->text, len, "t.ceremony", &s);
	cr_assert_eq(r, KR_ERR_SCRIPT_SYNTAX, "%s: parse returned %d, not a "
	    "syntax error (detail: %s)", row->name, r, kr_err_detail());
	cr_assert_null(s, "%s: output set on failure", row->name);
	cr_assert_str_eq(kr_err_detail(), row->expect, "%s: message differs:"
	    "\n got: %s\nwant: %s", row->name, kr_err_detail(), row->expect);
}

/* --- valid scripts -------------------------------------------------------- */

Test(script, key_class_from_a_parameter)
{
	static const char text[] = "ceremony t\ndescription \"d\"\n"
	    "key-class ${kc}\n"
	    "param kc choice firmware-signing secure-boot "
	    "default firmware-signing\n" E;
	struct kr_script *s = NULL;

	cr_assert_eq(kr_script_parse(text, strlen(text), "t.ceremony", &s), 0,
	    "%s", kr_err_detail());
	cr_assert_str_eq(s->key_class, "firmware-signing");
	cr_assert_eq(kr_script_set_param(s, "kc", "secure-boot"), 0);
	cr_assert_eq(kr_script_resolve(s), 0);
	cr_assert_str_eq(s->key_class, "secure-boot", "the class follows the "
	    "parameter");
	cr_assert_eq(kr_script_set_param(s, "kc", "root-ca"),
	    KR_ERR_SCRIPT_PARAM, "only a choice of the parameter");
	kr_script_free(s);
}

static struct kr_script *
parse_ok(const char *text)
{
	struct kr_script *s = NULL;
	int r;

	r = kr_script_parse(text, strlen(text), "t.ceremony", &s);
	cr_assert_eq(r, 0, "parse failed (%d): %s", r, kr_err_detail());
	cr_assert_not_null(s, "no script on success");
	return s;
}

static const char *
shipped(const char *name, char *path, size_t size)
{
	const char *top = getenv("KR_TOP");

	snprintf(path, size, "%s/ceremony-scripts/%s", top ? top : ".", name);
	return path;
}

Test(script, escapes_references_and_joined_say_lines)
{
	struct kr_script *s;

	s = parse_ok(H "param who string default \"Ann \\\"A\\\" B\"\n"
	    "step selftest\n"
	    "  role administrator\n"
	    "  # a comment inside a step\n"
	    "\n"
	    "  say \"Hello ${who}: \\\\ costs \\$5, \\${x} is literal\"\n"
	    "  say \"and $ alone is a dollar.\"\n" E);
	cr_assert_str_eq(s->params[0].value, "Ann \"A\" B", "default");
	cr_assert_str_eq(s->steps[0].say, "Hello Ann \"A\" B: \\ costs $5, "
	    "${x} is literal and $ alone is a dollar.", "say: %s",
	    s->steps[0].say);
	cr_assert_eq(s->steps[0].role, KR_SCRIPT_ADMINISTRATOR, "role");
	kr_script_free(s);
}

/*
 * Sizes keyrite does not implement are still algorithms: the policy, which
 * can allow only what keyrite implements, refuses them with its reason,
 * together with every other violation.
 */
Test(script, unimplemented_sizes_left_to_the_policy)
{
	struct kr_script *s = parse_ok(H "param k choice rsa-2048 ecdsa-p224 "
	    "ecdsa-p384 default rsa-2048\n"
	    "step generate-key algorithm=${k}\n" S A);

	cr_assert_str_eq(kr_script_arg(&s->steps[0], "algorithm"), "rsa-2048",
	    "algorithm");
	cr_assert_eq(kr_script_set_param(s, "k", "ecdsa-p224"), 0, "set");
	cr_assert_eq(kr_script_resolve(s), 0, "resolve: %s", kr_err_detail());
	kr_script_free(s);
}

Test(script, no_final_newline)
{
	struct kr_script *s = parse_ok(H "step seal-transcript\n"
	    "  role administrator\n  say \"s\"");

	cr_assert_eq(s->nsteps, 1, "steps");
	cr_assert_eq(s->steps[0].role, KR_SCRIPT_ADMINISTRATOR, "role");
	kr_script_free(s);
}

Test(script, argument_defaults_and_optional_arguments)
{
	struct kr_script *s = parse_ok(H "step write-escrow\n" S
	    "step load-escrow file=\"x.escrow\"\n" S E);

	cr_assert_str_eq(kr_script_arg(&s->steps[0], "name"),
	    "root-ca.escrow", "write-escrow name= default");
	cr_assert_str_eq(kr_script_arg(&s->steps[1], "file"), "x.escrow",
	    "quoted argument");
	cr_assert_null(kr_script_arg(&s->steps[1], "certificate"),
	    "optional argument without a default");
	cr_assert_null(kr_script_arg(&s->steps[1], "nonsense"),
	    "unknown argument name");
	kr_script_free(s);
}

Test(script, too_large)
{
	struct kr_script *s = NULL;
	char *big = calloc(1, KR_SCRIPT_MAX_BYTES + 2);

	cr_assert_not_null(big, "calloc");
	memset(big, '#', KR_SCRIPT_MAX_BYTES + 1);
	cr_assert_eq(kr_script_parse(big, KR_SCRIPT_MAX_BYTES + 1, "big",
	    &s), KR_ERR_TOO_LARGE, "oversized script accepted");
	cr_assert_null(s, "output set on failure");
	free(big);
}

Test(script, load_errors)
{
	struct kr_script *s = NULL;

	cr_assert_eq(kr_script_load("/nonexistent/x.ceremony", &s),
	    KR_ERR_IO, "missing file");
	cr_assert_not_null(strstr(kr_err_detail(), "/nonexistent/x.ceremony"),
	    "detail names the file: %s", kr_err_detail());
	cr_assert_eq(kr_script_load("/", &s), KR_ERR_IO, "directory");
	cr_assert_null(s, "output set on failure");
	kr_script_free(NULL);
}

Test(script, verbs_and_roles)
{
	static const char *const want[] = { "selftest", "airgap-check",
	    "roll-call", "generate-key", "self-sign", "show-fingerprint",
	    "split", "write-shares", "verify-shares", "write-escrow",
	    "write-certificate", "write-public-key", "write-pubhash",
	    "write-csr", "load-escrow", "recover", "prove-key",
	    "review-csr", "sign-csr", "review-crl", "issue-crl",
	    "review-cross", "cross-sign", "review-ocsp", "sign-ocsp",
	    "review-target", "restore-key", "review-release",
	    "sign-release", "import-key", "destroy-shares", "attest-copies",
	    "check-card", "wipe", "seal-transcript", "cosign-transcript",
	    "print-transcript" };
	size_t i, n = sizeof(want) / sizeof(want[0]);

	for (i = 0; i < n; i++)
		cr_assert_str_eq(kr_script_verb_at(i), want[i], "verb %zu", i);
	cr_assert_null(kr_script_verb_at(n), "verb past the end");
	cr_assert_str_eq(kr_script_role_name(KR_SCRIPT_CUSTODIAN),
	    "custodian", "role name");
	cr_assert_str_eq(kr_script_role_name((enum kr_script_role)0), "?",
	    "no role");
}

Test(script, nearest_names)
{
	static const char *const c[] = { "threshold", "shares", "subject" };

	cr_assert_str_eq(kr_script_nearest("treshold", c, 3), "threshold",
	    "one deletion");
	cr_assert_str_eq(kr_script_nearest("sahres", c, 3), "shares",
	    "transposition (two edits)");
	cr_assert_str_eq(kr_script_nearest("subj", c, 3), "subject",
	    "abbreviation");
	cr_assert_null(kr_script_nearest("s", c, 3), "one letter: nothing");
	cr_assert_null(kr_script_nearest("sh", c, 3), "too short for an "
	    "abbreviation");
	cr_assert_null(kr_script_nearest("xyzzy", c, 3), "far away: nothing");
}

/* --- parameters ----------------------------------------------------------- */

#define PARAMS	H "param days integer 1..3650 default 365\n" \
		"param kind choice ecdsa-p384 ed25519 default ecdsa-p384\n" \
		"param out string default \"a.pem\"\n" \
		"param subject string default \"CN=x\"\n" \
		"step generate-key algorithm=${kind}\n" S \
		"step self-sign subject=${subject} validity-days=${days}\n" \
		"  role administrator\n  say \"for ${days} days\"\n" \
		"step write-certificate name=${out}\n" S

Test(script, set_param_and_resolve)
{
	struct kr_script *s = parse_ok(PARAMS A);

	cr_assert_eq(kr_script_set_param(s, "days", "30"), 0, "set: %s",
	    kr_err_detail());
	cr_assert_eq(kr_script_set_param(s, "kind", "ed25519"), 0, "set: %s",
	    kr_err_detail());
	cr_assert_str_eq(kr_script_arg(&s->steps[1], "validity-days"), "365",
	    "steps keep old values until resolved");
	cr_assert_eq(kr_script_resolve(s), 0, "resolve: %s", kr_err_detail());
	cr_assert_str_eq(kr_script_arg(&s->steps[0], "algorithm"), "ed25519",
	    "algorithm substituted");
	cr_assert_str_eq(kr_script_arg(&s->steps[1], "validity-days"), "30",
	    "integer substituted");
	cr_assert_str_eq(s->steps[1].say, "for 30 days", "say substituted");
	cr_assert_str_eq(s->steps[1].args[1].raw, "${days}", "raw kept");
	cr_assert_eq(s->params[0].set, 1, "set flag");
	cr_assert_eq(s->params[2].set, 0, "unset flag");
	kr_script_free(s);
}

static const struct {
	const char	*name, *value, *expect;
} set_rows[] = {
	{ "dayz", "1", "ceremony t has no parameter 'dayz'\n"
	    "hint: did you mean 'days'?" },
	{ "color", "1", "ceremony t has no parameter 'color'\n"
	    "hint: its parameters are: days, kind, out, subject" },
	{ "days", "thirty", "parameter days: 'thirty' is not a whole number" },
	{ "days", "-1", "parameter days: '-1' is not a whole number" },
	{ "days", "0", "parameter days: 0 is outside 1..3650" },
	{ "days", "3651", "parameter days: 3651 is outside 1..3650" },
	{ "days", "99999999999", "parameter days: '99999999999' is not a "
	    "whole number" },
	{ "kind", "rsa-2048", "parameter kind: 'rsa-2048' is not one of: "
	    "ecdsa-p384 ed25519" },
	{ "out", "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so", "parameter "
	    "out: '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so' looks like a "
	    "PKCS#11 module: PINs and PKCS#11 modules never go in a script: "
	    "the same file is used in rehearsal and for real; give them to "
	    "keyrite run instead" },
	{ "subject", "CN=a\nO=b", "parameter subject: the value must be at "
	    "most 1024 bytes of UTF-8 text without control characters" },
};

Test(script, set_param_errors)
{
	struct kr_script *s = parse_ok(PARAMS A);
	size_t i;

	for (i = 0; i < sizeof(set_rows) / sizeof(set_rows[0]); i++) {
		cr_assert_eq(kr_script_set_param(s, set_rows[i].name,
		    set_rows[i].value), KR_ERR_SCRIPT_PARAM, "row %zu: %s=%s "
		    "accepted", i, set_rows[i].name, set_rows[i].value);
		cr_assert_str_eq(kr_err_detail(), set_rows[i].expect,
		    "row %zu: message: %s", i, kr_err_detail());
	}
	cr_assert_str_eq(s->params[0].value, "365", "value kept on failure");
	kr_script_free(s);
}

Test(script, resolve_is_all_or_nothing)
{
	struct kr_script *s = parse_ok(PARAMS A);

	cr_assert_eq(kr_script_set_param(s, "days", "30"), 0, "set days");
	cr_assert_eq(kr_script_set_param(s, "out", "../etc/passwd"), 0,
	    "a string parameter takes any text");
	cr_assert_eq(kr_script_resolve(s), KR_ERR_SCRIPT_SYNTAX,
	    "bad file name accepted");
	cr_assert_str_eq(kr_err_detail(), "t.ceremony:14:29: "
	    "write-certificate name=: '../etc/passwd' is not a plain file "
	    "name (from '${out}')\nhint: a file name is letters, digits, '.', "
	    "'_' and '-', without '/' and not starting with '.' or '-'",
	    "message: %s", kr_err_detail());
	cr_assert_str_eq(kr_script_arg(&s->steps[1], "validity-days"), "365",
	    "an earlier step changed although resolve failed");
	kr_script_free(s);
}

Test(script, policy_request)
{
	struct kr_script *s = parse_ok(PARAMS "step split threshold=2 "
	    "shares=4\n" S A);
	struct kr_policy_request req;

	kr_script_policy_request(s, &req);
	cr_assert_str_eq(req.key_class, "root-ca", "class");
	cr_assert_str_eq(req.algorithm, "ecdsa-p384", "algorithm");
	cr_assert_eq(req.validity_days, 365, "validity");
	cr_assert_eq(req.threshold, 2, "threshold");
	cr_assert_eq(req.shares, 4, "shares");
	cr_assert_eq(req.escrow, 1, "split means escrow");
	kr_script_free(s);
	s = parse_ok(H "step selftest\n" S E);
	kr_script_policy_request(s, &req);
	cr_assert_null(req.algorithm, "no generate-key");
	cr_assert_eq(req.validity_days + req.threshold + req.shares +
	    (unsigned)req.escrow, 0, "nothing else asked for");
	kr_script_free(s);
}

/* --- the shipped scripts -------------------------------------------------- */

static void
check_steps(const struct kr_script *s, const char *const *verbs,
    const enum kr_script_role *roles, size_t n)
{
	size_t i;

	cr_assert_eq(s->nsteps, n, "%s: %zu steps, want %zu", s->name,
	    s->nsteps, n);
	for (i = 0; i < n; i++) {
		cr_assert_str_eq(s->steps[i].verb, verbs[i], "%s step %zu",
		    s->name, i + 1);
		cr_assert_eq(s->steps[i].role, roles[i], "%s step %zu (%s) "
		    "role", s->name, i + 1, verbs[i]);
		cr_assert(strlen(s->steps[i].say) > 40, "%s step %zu: the "
		    "instruction is too short to help anyone", s->name, i + 1);
		cr_assert_null(strstr(s->steps[i].say, "${"), "%s step %zu: "
		    "unsubstituted reference", s->name, i + 1);
	}
}

Test(script, shipped_root_ca_create)
{
	static const char *const verbs[] = { "selftest", "airgap-check",
	    "roll-call", "generate-key", "self-sign", "show-fingerprint",
	    "write-certificate", "split", "write-shares", "verify-shares",
	    "write-escrow", "wipe", "seal-transcript", "cosign-transcript",
	    "print-transcript" };
	static const enum kr_script_role roles[] = { KR_SCRIPT_ADMINISTRATOR,
	    KR_SCRIPT_WITNESS, KR_SCRIPT_ADMINISTRATOR, KR_SCRIPT_ADMINISTRATOR,
	    KR_SCRIPT_ADMINISTRATOR, KR_SCRIPT_WITNESS, KR_SCRIPT_ADMINISTRATOR,
	    KR_SCRIPT_ADMINISTRATOR, KR_SCRIPT_CUSTODIAN, KR_SCRIPT_CUSTODIAN,
	    KR_SCRIPT_ADMINISTRATOR, KR_SCRIPT_ADMINISTRATOR,
	    KR_SCRIPT_ADMINISTRATOR, KR_SCRIPT_CUSTODIAN,
	    KR_SCRIPT_ADMINISTRATOR };
	struct kr_script *s = NULL;
	char path[4096];
	int r;

	r = kr_script_load(shipped("root-ca-create.ceremony", path,
	    sizeof(path)), &s);
	cr_assert_eq(r, 0, "%s: %s (run from the top of the tree or set "
	    "KR_TOP)", path, kr_err_detail());
	cr_assert_str_eq(s->name, "root-ca-create", "name");
	cr_assert_str_eq(s->key_class, "root-ca", "key class");
	check_steps(s, verbs, roles, sizeof(verbs) / sizeof(verbs[0]));
	cr_assert_str_eq(kr_script_arg(&s->steps[3], "algorithm"),
	    "ecdsa-p384", "default algorithm");
	cr_assert_str_eq(kr_script_arg(&s->steps[7], "threshold"), "3",
	    "default threshold");
	cr_assert_str_eq(kr_script_arg(&s->steps[7], "shares"), "5",
	    "default shares");
	cr_assert_str_eq(kr_script_arg(&s->steps[10], "name"),
	    "root-ca.escrow", "escrow file");
	kr_script_free(s);
}

Test(script, shipped_key_recovery_drill)
{
	static const char *const verbs[] = { "selftest", "airgap-check",
	    "roll-call", "load-escrow", "show-fingerprint", "recover",
	    "prove-key", "wipe", "seal-transcript", "cosign-transcript",
	    "print-transcript" };
	static const enum kr_script_role roles[] = { KR_SCRIPT_ADMINISTRATOR,
	    KR_SCRIPT_WITNESS, KR_SCRIPT_ADMINISTRATOR, KR_SCRIPT_ADMINISTRATOR,
	    KR_SCRIPT_WITNESS, KR_SCRIPT_CUSTODIAN, KR_SCRIPT_WITNESS,
	    KR_SCRIPT_ADMINISTRATOR, KR_SCRIPT_ADMINISTRATOR,
	    KR_SCRIPT_CUSTODIAN, KR_SCRIPT_ADMINISTRATOR };
	struct kr_script *s = NULL;
	char path[4096];

	cr_assert_eq(kr_script_load(shipped("key-recovery-drill.ceremony",
	    path, sizeof(path)), &s), 0, "%s: %s", path, kr_err_detail());
	check_steps(s, verbs, roles, sizeof(verbs) / sizeof(verbs[0]));
	cr_assert_str_eq(kr_script_arg(&s->steps[3], "file"),
	    "root-ca.escrow", "escrow default");
	cr_assert_str_eq(kr_script_arg(&s->steps[3], "certificate"),
	    "root-ca.pem", "certificate default");
	cr_assert_eq(kr_script_set_param(s, "escrow", "drill-2031.escrow"), 0,
	    "set escrow: %s", kr_err_detail());
	cr_assert_eq(kr_script_resolve(s), 0, "resolve: %s", kr_err_detail());
	cr_assert_str_eq(kr_script_arg(&s->steps[3], "file"),
	    "drill-2031.escrow", "escrow override");
	kr_script_free(s);
}

Test(script, hash_is_of_the_exact_bytes)
{
	struct kr_script *s = NULL;
	char path[4096], *text;
	uint8_t md[32];
	unsigned int mdlen;
	FILE *f;
	long n;

	shipped("root-ca-create.ceremony", path, sizeof(path));
	cr_assert_not_null(f = fopen(path, "rb"), "open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	cr_assert_not_null(text = malloc((size_t)n), "malloc");
	cr_assert_eq(fread(text, 1, (size_t)n, f), (size_t)n, "read");
	fclose(f);
	cr_assert(EVP_Digest(text, (size_t)n, md, &mdlen, EVP_sha256(), NULL),
	    "SHA-256");
	cr_assert_eq(kr_script_parse(text, (size_t)n, path, &s), 0, "parse");
	cr_assert_eq(memcmp(s->sha256, md, 32), 0, "script hash differs "
	    "from SHA-256 of the file");
	kr_script_free(s);
	free(text);
}

/* --- the ceremonies that use a recovered key ------------------------------ */

#define USE_HEAD	H "step roll-call\n  role administrator\n  say \"r\"\n" \
	"step load-escrow certificate=root-ca.pem\n  role administrator\n" \
	"  say \"l\"\nstep show-fingerprint\n  role witness\n  say \"f\"\n"
#define STEP(v)		"step " v "\n  role administrator\n  say \"s\"\n"
#define RECOVER		"step recover\n  role custodian\n  say \"c\"\n" \
	STEP("prove-key")
#define SIGN		"step sign-csr csr=a.csr validity-days=10\n" \
	"  role administrator\n  say \"s\"\n"
#define COSIGN		"step cosign-transcript\n  role custodian\n  say \"c\"\n"
#define TAIL		STEP("wipe") STEP("seal-transcript") COSIGN

static const struct {
	const char	*name, *text, *part;	/* part NULL: accepted */
} use_rows[] = {
	{ "sign_in_order", USE_HEAD STEP("review-csr") RECOVER SIGN TAIL,
	    NULL },
	{ "sign_unreviewed", USE_HEAD RECOVER SIGN TAIL,
	    "sign-csr needs a review-csr step before it" },
	{ "review_after_cards", USE_HEAD RECOVER STEP("review-csr") SIGN TAIL,
	    "review-csr comes after recover: the witnesses check the request "
	    "before any card is used" },
	{ "review_for_nothing", USE_HEAD STEP("review-csr") RECOVER TAIL,
	    "review-csr has no sign-csr step after it" },
	{ "sign_without_key", USE_HEAD STEP("review-csr") SIGN RECOVER TAIL,
	    "sign-csr needs a prove-key step before it" },
	{ "sign_then_no_wipe", USE_HEAD STEP("review-csr") RECOVER SIGN
	    STEP("seal-transcript") COSIGN, "no wipe step after sign-csr" },
	{ "crl_in_order", USE_HEAD STEP("review-crl") RECOVER
	    "step issue-crl next-update-days=30\n  role administrator\n"
	    "  say \"i\"\n" TAIL, NULL },
	{ "crl_empty_previous_is_none", USE_HEAD STEP("review-crl") RECOVER
	    "step issue-crl previous=\"\" next-update-days=30\n"
	    "  role administrator\n  say \"i\"\n" TAIL, NULL },
	{ "restore_unreviewed", USE_HEAD RECOVER
	    "step restore-key token=hsm label=root\n  role administrator\n"
	    "  say \"r\"\n" TAIL,
	    "restore-key needs a review-target step before it" },
	{ "review_before_escrow", H STEP("roll-call") STEP("review-target")
	    STEP("load-escrow") STEP("show-fingerprint")
	    "step recover\n  role custodian\n  say \"c\"\n" STEP("prove-key")
	    "step restore-key token=hsm label=root\n  role administrator\n"
	    "  say \"r\"\n" TAIL,
	    "review-target needs a load-escrow step before it" },
};

Test(script, use_steps_in_order)
{
	struct kr_script *s = NULL;
	size_t i;
	int r;

	for (i = 0; i < sizeof(use_rows) / sizeof(use_rows[0]); i++) {
		r = kr_script_parse(use_rows[i].text, strlen(use_rows[i].text),
		    "t.ceremony", &s);
		if (use_rows[i].part == NULL) {
			cr_assert_eq(r, 0, "%s: %s", use_rows[i].name,
			    kr_err_detail());
			kr_script_free(s);
			s = NULL;
			continue;
		}
		cr_assert_eq(r, KR_ERR_SCRIPT_SYNTAX, "%s accepted",
		    use_rows[i].name);
		cr_assert_not_null(strstr(kr_err_detail(), use_rows[i].part),
		    "%s: '%s' does not say '%s'", use_rows[i].name,
		    kr_err_detail(), use_rows[i].part);
	}
}

Test(script, shipped_use_ceremonies)
{
	static const char *const files[] = {
	    "root-ca-sign-intermediate.ceremony",
	    "root-ca-issue-crl.ceremony", "key-recovery-drill.ceremony",
	    "key-restore-hsm.ceremony" };
	static const char *const uses[] = { "sign-csr", "issue-crl", NULL,
	    "restore-key" };
	struct kr_script *s = NULL;
	char path[4096];
	size_t i, j;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		cr_assert_eq(kr_script_load(shipped(files[i], path,
		    sizeof(path)), &s), 0, "%s: %s", path, kr_err_detail());
		for (j = 0; uses[i] != NULL && j < s->nsteps; j++)
			if (strcmp(s->steps[j].verb, uses[i]) == 0)
				break;
		cr_assert(uses[i] == NULL || j < s->nsteps, "%s uses %s",
		    files[i], uses[i]);
		cr_assert_str_eq(s->key_class, "root-ca");
		kr_script_free(s);
		s = NULL;
	}
}
