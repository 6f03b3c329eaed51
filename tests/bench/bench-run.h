/*
 * bench-run.h: running a command for the benchmarks (tests/bench/), its
 * output thrown away, with its wall time, CPU time and peak resident set
 * taken from wait4(2).  Included by each bench_*.c that runs keyrite.
 */
#ifndef KR_BENCH_RUN_H
#define KR_BENCH_RUN_H

#include <sys/resource.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct sample {
	double	wall;		/* seconds */
	double	cpu;		/* user + system seconds */
	long	maxrss_kib;	/* peak resident set, KiB */
};

/* Runs argv[0] with argv; 0 when it exited 0, -1 otherwise. */
static int
run(char *const argv[], struct sample *s)
{
	struct timespec a, b;
	struct rusage ru;
	int status, fd;
	pid_t pid;

	clock_gettime(CLOCK_MONOTONIC, &a);
	if ((pid = fork()) == 0) {
		if ((fd = open("/dev/null", O_WRONLY)) >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &status, 0, &ru) != pid)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &b);
	s->wall = (double)(b.tv_sec - a.tv_sec) +
	    (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	s->cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	s->maxrss_kib = ru.ru_maxrss;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median wall (cpu 0) or CPU (cpu 1) time of n samples (n <= 16). */
static double
median(const struct sample *s, int n, int cpu)
{
	double v[16];
	int i;

	for (i = 0; i < n && i < 16; i++)
		v[i] = cpu ? s[i].cpu : s[i].wall;
	qsort(v, (size_t)i, sizeof(v[0]), cmp_double);
	return v[i / 2];
}

#endif /* KR_BENCH_RUN_H */
