/*
 * fork_fail.c - an LD_PRELOAD shim for the end-to-end tests: fork() fails
 * with EAGAIN, as it does under a pids limit, while the file named by
 * $OTU_FORK_FAIL_FILE exists.  A test lets the first workers start, creates
 * the file, kills a worker so the master must respawn it, then removes the
 * file to let it succeed.  On load the shim creates $OTU_FORK_FAIL_MARK, so
 * the test can tell a binary that ignores LD_PRELOAD (a static one) from a
 * shim that never fired.
 */
#define _GNU_SOURCE 1

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

pid_t fork(void);

__attribute__((constructor)) static void fork_fail_loaded(void)
{
    const char *mark = getenv("OTU_FORK_FAIL_MARK");
    if (mark != NULL) {
        int fd = open(mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd >= 0)
            close(fd);
    }
}

pid_t fork(void)
{
    static pid_t (*real_fork)(void);
    const char *flag = getenv("OTU_FORK_FAIL_FILE");
    if (flag != NULL && access(flag, F_OK) == 0) {
        errno = EAGAIN;
        return -1;
    }
    if (real_fork == NULL)
        *(void **)&real_fork = dlsym(RTLD_NEXT, "fork"); /* the POSIX way to take a function */
    if (real_fork == NULL) {
        errno = ENOSYS;
        return -1;
    }
    return real_fork();
}
