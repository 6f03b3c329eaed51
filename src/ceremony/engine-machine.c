/*
 * engine-machine.c: the machine a ceremony runs on, in its transcript.
 *
 * Right after ceremony-started, one "machine" record says which image
 * the appliance booted (version, commit, source tree, dirty or not), the
 * SHA-256 of its root filesystem as checked at boot, whether / is
 * read-only, and whether the administrator set the clock since keyrite
 * started, from what to what.  An auditor compares the image with the
 * published manifest, and the clock change explains the times of the
 * records.  Off the appliance the record says image=none.
 */
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "host/clock.h"
#include "host/sysid.h"
#include "engine-int.h"

#define MACHINE_FACTS	16

static void
clock_facts(struct kr_fact *f, size_t *n, char before[32], char after[32],
    char uptime[24], const char **rtc)
{
	struct kr_clock_change c;

	if (!kr_clock_last(&c)) {
		f[(*n)++] = (struct kr_fact){ "clock-set", "no" };
		return;
	}
	kr_clock_format(c.before, before, 32);
	kr_clock_format(c.after, after, 32);
	snprintf(uptime, 24, "%lld", (long long)c.uptime);
	*rtc = c.rtc ? "yes" : c.rtc_error;
	f[(*n)++] = (struct kr_fact){ "clock-set", "yes" };
	f[(*n)++] = (struct kr_fact){ "clock-was", before };
	f[(*n)++] = (struct kr_fact){ "clock-set-to", after };
	f[(*n)++] = (struct kr_fact){ "clock-set-at-uptime", uptime };
	f[(*n)++] = (struct kr_fact){ "clock-hardware-set", *rtc };
}

int
kr_engine_record_machine(struct kr_engine *e)
{
	struct kr_fact f[MACHINE_FACTS];
	struct kr_sysid id;
	char before[32], after[32], uptime[24], error[256];
	const char *rtc = NULL;
	size_t n = 0;

	if (kr_sysid_read(NULL, &id) != 0) {
		snprintf(error, sizeof(error), "%s", kr_err_detail());
		f[n++] = (struct kr_fact){ "image", "damaged" };
		f[n++] = (struct kr_fact){ "image-error", error };
	} else if (id.appliance) {
		f[n++] = (struct kr_fact){ "image", "keyrite-appliance" };
		f[n++] = (struct kr_fact){ "image-version", id.version };
		f[n++] = (struct kr_fact){ "image-commit", id.commit };
		f[n++] = (struct kr_fact){ "image-tree", id.tree };
		f[n++] = (struct kr_fact){ "image-dirty", id.dirty ? "yes" :
		    "no" };
		if (id.root_sha256[0] != '\0')
			f[n++] = (struct kr_fact){ "root-sha256",
			    id.root_sha256 };
	} else
		f[n++] = (struct kr_fact){ "image", "none" };
	f[n++] = (struct kr_fact){ "root-read-only", id.root_ro == 1 ? "yes" :
	    id.root_ro == 0 ? "no" : "unknown" };
	if (id.root_fstype[0] != '\0')
		f[n++] = (struct kr_fact){ "root-fs", id.root_fstype };
	clock_facts(f, &n, before, after, uptime, &rtc);
	return kr_engine_record(e, "machine", "engine", f, n);
}
