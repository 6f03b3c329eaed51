/*
 * clock.c: parsing, setting and remembering the clock.
 *
 * The last change is kept in this process (one administrator, one TUI);
 * the transcript of the next ceremony records it.  The RTC is set through
 * its ioctl in UTC, as the Linux kernel reads it back at boot (rtc_cmos
 * and CONFIG_RTC_HCTOSYS), without hwclock(8) or /etc/adjtime.
 */
#include <sys/ioctl.h>

#include <linux/rtc.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"
#include "clock.h"

static pthread_mutex_t last_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kr_clock_change last;
static int have_last;

static int
digits(const char *s, size_t n, int *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

static int
days_in_month(int y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
	    31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return d[m - 1];
}

int
kr_clock_parse(const char *text, int64_t *tp)
{
	static const char *const names[] = { "year", "month", "day", "hour",
	    "minute", "second" };
	static const size_t off[] = { 0, 5, 8, 11, 14, 17 };
	static const size_t len[] = { 4, 2, 2, 2, 2, 2 };
	const char *rest;
	struct tm tm;
	int v[6], i;
	time_t t;

	rest = strlen(text) >= 19 ? text + 19 : "?";
	if (strlen(text) < 19 || text[4] != '-' || text[7] != '-' ||
	    (text[10] != ' ' && text[10] != 'T') || text[13] != ':' ||
	    text[16] != ':' || (*rest != '\0' && strcmp(rest, " UTC") != 0 &&
	    strcmp(rest, "Z") != 0))
		return kr_err_set(KR_ERR_FORMAT, "'%.40s' is not a time: type "
		    "it as YYYY-MM-DD HH:MM:SS, in UTC", text);
	for (i = 0; i < 6; i++)
		if (digits(text + off[i], len[i], &v[i]) != 0)
			return kr_err_set(KR_ERR_FORMAT, "the %s of '%.19s' is "
			    "not a number", names[i], text);
	if (v[1] < 1 || v[1] > 12)
		return kr_err_set(KR_ERR_FORMAT, "month %02d: months are 01 to "
		    "12", v[1]);
	if (v[2] < 1 || v[2] > days_in_month(v[0], v[1]))
		return kr_err_set(KR_ERR_FORMAT, "day %02d: %04d-%02d has %d "
		    "days", v[2], v[0], v[1], days_in_month(v[0], v[1]));
	if (v[3] > 23 || v[4] > 59 || v[5] > 59)
		return kr_err_set(KR_ERR_FORMAT, "%02d:%02d:%02d is not a time "
		    "of day (00:00:00 to 23:59:59)", v[3], v[4], v[5]);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = v[0] - 1900;
	tm.tm_mon = v[1] - 1;
	tm.tm_mday = v[2];
	tm.tm_hour = v[3];
	tm.tm_min = v[4];
	tm.tm_sec = v[5];
	t = timegm(&tm);
	if ((int64_t)t < KR_CLOCK_MIN || (int64_t)t > KR_CLOCK_MAX)
		return kr_err_set(KR_ERR_FORMAT, "%.19s is outside the years "
		    "2000 to 2099", text);
	*tp = (int64_t)t;
	return 0;
}

void
kr_clock_format(int64_t t, char *out, size_t outlen)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, outlen, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(out, outlen, "?");
}

int64_t
kr_clock_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

static void
set_rtc(int64_t t, struct kr_clock_change *c)
{
	struct rtc_time rt;
	time_t tt = (time_t)t;
	struct tm tm;
	int fd;

	if ((fd = open(KR_CLOCK_RTC, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(c->rtc_error, sizeof(c->rtc_error), "%s: %s",
		    KR_CLOCK_RTC, strerror(errno));
		return;
	}
	gmtime_r(&tt, &tm);
	memset(&rt, 0, sizeof(rt));
	rt.tm_sec = tm.tm_sec;
	rt.tm_min = tm.tm_min;
	rt.tm_hour = tm.tm_hour;
	rt.tm_mday = tm.tm_mday;
	rt.tm_mon = tm.tm_mon;
	rt.tm_year = tm.tm_year;
	if (ioctl(fd, RTC_SET_TIME, &rt) == -1)
		snprintf(c->rtc_error, sizeof(c->rtc_error), "%s: %s",
		    KR_CLOCK_RTC, strerror(errno));
	else
		c->rtc = 1;
	close(fd);
}

int
kr_clock_set(int64_t t, struct kr_clock_change *chg)
{
	struct kr_clock_change c;
	struct timespec ts, up;

	memset(&c, 0, sizeof(c));
	c.before = kr_clock_now();
	c.after = t;
	if (clock_gettime(CLOCK_BOOTTIME, &up) == 0)
		c.uptime = (int64_t)up.tv_sec;
	ts.tv_sec = (time_t)t;
	ts.tv_nsec = 0;
	if (clock_settime(CLOCK_REALTIME, &ts) == -1)
		return kr_err_errno(KR_ERR_SYSTEM, "setting the clock");
	set_rtc(t, &c);
	pthread_mutex_lock(&last_lock);
	last = c;
	have_last = 1;
	pthread_mutex_unlock(&last_lock);
	if (chg != NULL)
		*chg = c;
	return 0;
}

int
kr_clock_last(struct kr_clock_change *out)
{
	int r;

	pthread_mutex_lock(&last_lock);
	if ((r = have_last) != 0)
		*out = last;
	pthread_mutex_unlock(&last_lock);
	return r;
}
