/*
 * aoe-switchcost: what a system call and a context switch cost on one CPU,
 * for the benchmark's record (bench/run.sh puts it beside the machine).
 *
 *	aoe-switchcost [-n ROUNDS] CPU
 *
 * Prints one JSON object: {"cpu":N,"syscall_us":X,"yield_us":Y,"switch_us":Z}
 *   syscall_us  getppid(), the cheapest system call;
 *   yield_us    sched_yield() with nothing else runnable (no switch);
 *   switch_us   half a round trip of two processes on CPU that hand the
 *               CPU to each other with sched_yield() through a shared word:
 *               one switch and the yield that makes it.
 * Each figure is the best of 5 runs of ROUNDS (default 100 000).
 *
 * Why it is recorded: at queue depth 1 with initiator and target on one
 * CPU, a request to a one-process target (vblade, the reflector) costs two
 * switches (initiator -> target -> initiator) and a request to AoEde four
 * (initiator -> netd -> blockd -> netd -> initiator), the hop that the
 * privilege separation of DESIGN.md requires.  On a virtual machine a
 * switch costs microseconds, so this figure bounds how close AoEde's QD 1
 * latency can come to a one-process target's there.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define RUNS	5

static __attribute__((noreturn)) void
usage(void)
{
	fprintf(stderr, "usage: aoe-switchcost [-n ROUNDS] CPU\n");
	exit(2);
}

static void
pin(int cpu)
{
	cpu_set_t	 set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) == -1) {
		fprintf(stderr, "aoe-switchcost: CPU %d: %s\n", cpu, strerror(errno));
		exit(1);
	}
}

static double
per_call_us(uint64_t t0, uint64_t t1, long n)
{
	return (double)(t1 - t0) / 1000.0 / (double)n;
}

static double
syscall_us(long n)
{
	uint64_t	 t0 = now_ns();
	long		 i;

	for (i = 0; i < n; i++)
		(void)syscall(SYS_getppid);
	return per_call_us(t0, now_ns(), n);
}

static double
yield_us(long n)
{
	uint64_t	 t0 = now_ns();
	long		 i;

	for (i = 0; i < n; i++)
		(void)sched_yield();
	return per_call_us(t0, now_ns(), n);
}

/* Wait for *turn to become `mine`, yielding the CPU meanwhile. */
static void
await_turn(volatile uint32_t *turn, uint32_t mine)
{
	while (__atomic_load_n(turn, __ATOMIC_ACQUIRE) != mine)
		(void)sched_yield();
}

static double
switch_us(volatile uint32_t *turn, long n)
{
	uint64_t	 t0;
	pid_t		 pid;
	long		 i;
	int		 status;

	__atomic_store_n(turn, 0, __ATOMIC_RELEASE);
	if ((pid = fork()) == -1) {
		perror("aoe-switchcost: fork");
		exit(1);
	}
	if (pid == 0) {
		for (i = 0; i < n; i++) {
			await_turn(turn, 1);
			__atomic_store_n(turn, 0, __ATOMIC_RELEASE);
		}
		_exit(0);
	}
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		__atomic_store_n(turn, 1, __ATOMIC_RELEASE);
		await_turn(turn, 0);
	}
	t0 = now_ns() - t0;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "aoe-switchcost: the partner process failed\n");
		exit(1);
	}
	return (double)t0 / 1000.0 / (double)n / 2.0;
}

static double
best(double a, double b)
{
	return b < a ? b : a;
}

int
main(int argc, char *argv[])
{
	volatile uint32_t	*turn;
	double			 sc = 1e9, y = 1e9, sw = 1e9;
	long			 n = 100000;
	char			*end;
	int			 ch, cpu, r;

	while ((ch = getopt(argc, argv, "n:")) != -1) {
		if (ch != 'n')
			usage();
		n = strtol(optarg, &end, 10);
		if (*end != '\0' || n < 1 || n > 100000000)
			usage();
	}
	if (argc - optind != 1)
		usage();
	cpu = (int)strtol(argv[optind], &end, 10);
	if (*end != '\0' || cpu < 0 || cpu >= CPU_SETSIZE)
		usage();
	pin(cpu);
	turn = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	if (turn == MAP_FAILED) {
		perror("aoe-switchcost: mmap");
		return 1;
	}
	for (r = 0; r < RUNS; r++) {
		sc = best(sc, syscall_us(n));
		y = best(y, yield_us(n));
		sw = best(sw, switch_us(turn, n));
	}
	printf("{\"cpu\":%d,\"syscall_us\":%.3f,\"yield_us\":%.3f,"
	    "\"switch_us\":%.3f}\n", cpu, sc, y, sw);
	return 0;
}
