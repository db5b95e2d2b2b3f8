/*
 * openat2_enosys.c - an LD_PRELOAD shim for the end-to-end tests: makes the
 * server believe openat2 is missing, as on a kernel before 5.6 or under a
 * seccomp profile that predates it.
 *
 * It replaces libc's syscall(): SYS_openat2 fails with ENOSYS, every other
 * number goes to the real syscall().  With OTU_OPENAT2_EPERM=NAME set,
 * openat2 works except for the path NAME, which fails with EPERM (an LSM
 * refusing one file).  With OTU_OPENAT2_MARK=FILE set, the first refusal
 * creates FILE, so a test can tell the shim was reached.  Built without sanitizers, so it loads into the ASan
 * build (with ASAN_OPTIONS=verify_asan_link_order=0), the release build and
 * a run under valgrind alike.
 */
#include "compat.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

/* Arguments a system call takes at most on Linux. */
#define SHIM_SYSCALL_ARGS 6

long syscall(long number, ...)
{
    static long (*real_syscall)(long, ...);
    long a[SHIM_SYSCALL_ARGS];
    va_list ap;
    /* Like libc's own syscall(), take six arguments whatever the call needs:
     * the kernel ignores the ones it does not use. */
    va_start(ap, number);
    for (int i = 0; i < SHIM_SYSCALL_ARGS; i++)
        a[i] = va_arg(ap, long);
    va_end(ap);
    if (number == SYS_openat2) {
        const char *only = getenv("OTU_OPENAT2_EPERM");
        int err = only == NULL ? ENOSYS : strcmp((const char *)a[1], only) == 0 ? EPERM : 0;
        if (err != 0) {
            const char *mark = getenv("OTU_OPENAT2_MARK");
            if (mark != NULL)
                close(open(mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
            errno = err;
            return -1;
        }
    }
    if (real_syscall == NULL)
        *(void **)&real_syscall = dlsym(RTLD_NEXT, "syscall");
    return real_syscall(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}
