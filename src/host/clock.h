/*
 * clock.h: the machine's clock, which the administrator sets by hand.
 *
 * The appliance has no network and so no network time: its clock is
 * whatever the hardware clock says, and every transcript record carries
 * that time.  At the start of a ceremony the administrator compares it with
 * a trusted watch and, if it is wrong, sets it (the TUI's clock screen).
 * kr_clock_set() sets the system clock and the hardware clock (RTC, in
 * UTC) and remembers the change, so that the next ceremony's transcript
 * records it (kr_clock_last()): from what, to what, when.
 *
 * Times are UTC seconds since the epoch; text is "YYYY-MM-DD HH:MM:SS"
 * in UTC, as the header of every screen shows it.  Nothing here is secret.
 */
#ifndef KR_CLOCK_H
#define KR_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#define KR_CLOCK_RTC		"/dev/rtc0"
#define KR_CLOCK_TEXT_BYTES	20	/* "YYYY-MM-DD HH:MM:SS" and NUL */
/* The earliest and latest time kr_clock_parse() takes. */
#define KR_CLOCK_MIN		946684800LL	/* 2000-01-01 00:00:00 */
#define KR_CLOCK_MAX		4102444799LL	/* 2099-12-31 23:59:59 */

/* One setting of the clock. */
struct kr_clock_change {
	int64_t	 before;	/* the clock just before it was set */
	int64_t	 after;		/* what it was set to */
	int64_t	 uptime;	/* seconds since boot when it was set */
	int	 rtc;		/* 1: the hardware clock was set too */
	char	 rtc_error[128];/* why not, when rtc is 0 */
};

/*
 * Parses "YYYY-MM-DD HH:MM:SS" (UTC; a 'T' may replace the space, a
 * trailing " UTC" or "Z" is allowed) strictly: every field in range, the
 * day existing in its month, between KR_CLOCK_MIN and KR_CLOCK_MAX.
 * Returns 0 or KR_ERR_FORMAT with the detail naming the field.
 */
int	kr_clock_parse(const char *text, int64_t *tp);

/* Formats t as "YYYY-MM-DD HH:MM:SS" into out (KR_CLOCK_TEXT_BYTES). */
void	kr_clock_format(int64_t t, char *out, size_t outlen);

/* The system clock now, UTC seconds. */
int64_t	kr_clock_now(void);

/*
 * Sets the system clock to t (clock_settime: needs CAP_SYS_TIME, which
 * the appliance's keyrite has) and then the hardware clock, and remembers
 * the change for kr_clock_last().  A hardware clock that cannot be set is
 * not an error (chg->rtc 0 and rtc_error say why; the system clock holds
 * until power-off).  chg may be NULL.  Returns 0 or KR_ERR_SYSTEM.
 */
int	kr_clock_set(int64_t t, struct kr_clock_change *chg);

/*
 * The latest kr_clock_set() of this process into *out: returns 1, or 0
 * (out untouched) when the clock has not been set since keyrite started.
 */
int	kr_clock_last(struct kr_clock_change *out);

#endif /* KR_CLOCK_H */
