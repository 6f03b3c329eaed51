/* cmd-version.c: keyrite version. */
#include <stdio.h>

#include <openssl/crypto.h>

#include "base/version.h"
#include "cmd.h"

static int
cmd_version(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return kr_cmd_usage(&kr_cmd_version_entry);
	printf("keyrite %s (%s)\n", KEYRITE_VERSION,
	    OpenSSL_version(OPENSSL_VERSION));
	return KR_EXIT_OK;
}

const struct kr_cmd_entry kr_cmd_version_entry = {
	.name = "version",
	.args = "",
	.summary = "print keyrite's version",
	.exec = cmd_version,
	.help =
	"Prints keyrite's version and the OpenSSL it runs with.  keyrite\n"
	"--version does the same.  Every transcript records the version that\n"
	"wrote it.\n",
};
