/*
 * host.c - see host.h.
 */
#include "compat.h"

#include "host.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Reads up to two whitespace-separated integers from a small file; returns how many, -1 if unreadable. */
static int read_numbers(const char *path, long long *a, long long *b)
{
    char line[128];
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    char *got = fgets(line, sizeof(line), f);
    fclose(f);
    if (got == NULL)
        return 0;
    char *end;
    errno = 0;
    *a = strtoll(line, &end, 10);
    if (end == line || errno != 0)
        return 0; /* "max" in cpu.max: no quota */
    char *p = end;
    *b = strtoll(p, &end, 10);
    return (end == p || errno != 0) ? 1 : 2;
}

/* Reads the cgroup v2 (cpu.max) or v1 (cfs quota) CPU limit; returns CPUs or 0 for none. */
static int cgroup_cpu_limit(void)
{
    long long quota = -1, period = 0, unused;
    int n = read_numbers("/sys/fs/cgroup/cpu.max", &quota, &period);
    if (n < 0) {
        if (read_numbers("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", &quota, &unused) < 1 ||
            read_numbers("/sys/fs/cgroup/cpu/cpu.cfs_period_us", &period, &unused) < 1)
            return 0;
    } else if (n < 2) {
        return 0;
    }
    if (quota <= 0 || period <= 0)
        return 0;
    return (int)((quota + period - 1) / period); /* round up: 1.5 CPUs -> 2 workers */
}

int host_cpu_count(void)
{
    int n = 0;
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0)
        n = CPU_COUNT(&set);
    if (n <= 0)
        n = (int)sysconf(_SC_NPROCESSORS_ONLN);
    int limit = cgroup_cpu_limit();
    if (limit > 0 && limit < n)
        n = limit;
    return n > 0 ? n : 1;
}
