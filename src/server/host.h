/*
 * host.h - what the machine gives this process: usable CPUs.
 */
#ifndef OTU_HOST_H
#define OTU_HOST_H

/*
 * Returns the CPUs this process may use: the affinity mask, lowered by a
 * cgroup CPU quota when one is set (containers), at least 1.
 */
int host_cpu_count(void);

#endif
