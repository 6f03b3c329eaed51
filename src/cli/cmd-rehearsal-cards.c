/*
 * cmd-rehearsal-cards.c: keyrite rehearsal-cards --dir DIR --count N
 *     [--module PATH]
 *
 * Makes N SoftHSM2 tokens, custodian-1 .. custodian-N, with the documented
 * rehearsal PINs in DIR (kr_rehearsal_create), then prints them and how to
 * point keyrite at them.  DIR must be new or empty; nothing is ever
 * overwritten.  docs/rehearsal.md describes the cards.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "card/rehearsal.h"
#include "card/token.h"
#include "cmd.h"

static int
parse_count(const char *s, unsigned int *countp)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 ||
	    v < 1 || v > KR_REHEARSAL_MAX_CARDS) {
		fprintf(stderr, "keyrite: rehearsal-cards: --count must be a "
		    "number from 1 to %d, not '%s'\n", KR_REHEARSAL_MAX_CARDS,
		    s);
		return -1;
	}
	*countp = (unsigned int)v;
	return 0;
}

static void
print_result(const struct kr_rehearsal *rh)
{
	const struct kr_rehearsal_card *c;
	char label[4 * 33], serial[4 * 17];
	size_t i;

	printf("Made %zu rehearsal card(s) in %s (SoftHSM2 tokens).\n\n",
	    rh->ncards, rh->dir);
	printf("  %-14s %-18s %s\n", "card", "serial", "user PIN");
	for (i = 0; i < rh->ncards; i++) {
		c = &rh->cards[i];
		kr_token_printable(c->label, label, sizeof(label));
		kr_token_printable(c->serial, serial, sizeof(serial));
		printf("  %-14s %-18s %s\n", label, serial, c->pin);
	}
	printf("\nSO PIN of every card: %s\n\n", KR_REHEARSAL_SO_PIN);
	printf("To point keyrite at them, in this shell:\n\n    . %s\n\n",
	    rh->env);
	printf("which sets SOFTHSM2_CONF=%s\nand %s=%s.\n\n", rh->conf,
	    KR_TOKEN_MODULE_ENV, rh->module);
	printf("REHEARSAL ONLY: these PINs are published, in docs/rehearsal.md "
	    "and in\n%s/%s; never let these cards hold anything real.\n",
	    rh->dir, KR_REHEARSAL_README);
}

static int
cmd_rehearsal_cards(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir",	required_argument,	NULL, 'd' },
		{ "count",	required_argument,	NULL, 'n' },
		{ "module",	required_argument,	NULL, 'm' },
		{ NULL,		0,			NULL, 0 }
	};
	struct kr_rehearsal *rh = NULL;
	const char *dir = NULL, *module = NULL;
	unsigned int count = 0;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'n':
			if (parse_count(optarg, &count) != 0)
				return KR_EXIT_USAGE;
			break;
		case 'm':
			module = optarg;
			break;
		default:
			return kr_cmd_usage(&kr_cmd_rehearsal_cards_entry);
		}
	}
	if (optind != argc || dir == NULL || count == 0)
		return kr_cmd_usage(&kr_cmd_rehearsal_cards_entry);
	if ((r = kr_rehearsal_create(dir, module, count, &rh)) != 0) {
		kr_cmd_perror("rehearsal-cards", r);
		return KR_EXIT_FAILURE;
	}
	print_result(rh);
	kr_rehearsal_free(rh);
	return KR_EXIT_OK;
}

const struct kr_cmd_entry kr_cmd_rehearsal_cards_entry = {
	.name = "rehearsal-cards",
	.args = "--dir DIR --count N [--module PATH]",
	.summary = "make SoftHSM2 custodian cards for a rehearsal",
	.exec = cmd_rehearsal_cards,
	.help =
	"Makes N virtual custodian cards, custodian-1 .. custodian-N, as\n"
	"SoftHSM2 tokens in DIR, with the published rehearsal PINs (card\n"
	"custodian-N has PIN 12340N), prints them, and writes DIR/env to point\n"
	"keyrite at them (. DIR/env).  A real ceremony refuses these cards.\n"
	"\n"
	"  --dir DIR      a new or empty directory; nothing is overwritten\n"
	"  --count N      how many cards, 1 to 32\n"
	"  --module PATH  the SoftHSM2 module (default: Debian's)\n"
	"\n"
	"Exit status: 0 made; 1 could not (directory not empty, module not\n"
	"SoftHSM2); 2 bad command line.  docs/rehearsal.md tells more.\n",
};
