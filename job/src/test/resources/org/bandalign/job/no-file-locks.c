/*
 * A stand-in for a file system without locks (NFS without its lock daemon, some shared
 * folders of virtual machines), for ScratchFilesTest: loaded with LD_PRELOAD, it fails every
 * fcntl lock request with ENOLCK, as such a file system does, and passes every other fcntl on.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>

static int is_lock(int cmd) {
    return cmd == F_SETLK || cmd == F_SETLKW || cmd == F_GETLK || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW
        || cmd == F_OFD_GETLK;
}

/* A lock request fails with ENOLCK; any other goes on to the C library's own symbol. */
static int refuse_locks(const char *symbol, int fd, int cmd, va_list args) {
    void *arg = va_arg(args, void *);
    if (is_lock(cmd)) {
        errno = ENOLCK;
        return -1;
    }
    int (*next)(int, int, ...) = (int (*)(int, int, ...)) dlsym(RTLD_NEXT, symbol);
    return next(fd, cmd, arg);
}

int fcntl(int fd, int cmd, ...) {
    va_list args;
    va_start(args, cmd);
    int r = refuse_locks("fcntl", fd, cmd, args);
    va_end(args);
    return r;
}

int fcntl64(int fd, int cmd, ...) {
    va_list args;
    va_start(args, cmd);
    int r = refuse_locks("fcntl64", fd, cmd, args);
    va_end(args);
    return r;
}
