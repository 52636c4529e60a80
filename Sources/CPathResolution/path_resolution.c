// realpath(3) in three system calls instead of one per path component.
//
// glibc's realpath resolves a path by calling readlink on every prefix of it: /work, /work/repo,
// /work/repo/src, … libgit2 1.5.1 calls it for every file a checkout writes, twice (its attribute
// lookup canonicalises the file's directory, git_fs_path_find_dir): a 50-file rollback in a
// work tree seven directories deep made 900 readlink calls, a fifth of all its system calls.
// The kernel has already resolved the path once it is opened, so:
//
//   open(path, O_PATH)                 resolve it (symlinks, `..`, `//`) exactly as realpath must;
//   readlink("/proc/self/fd/<fd>")     the kernel's name for what was opened;
//   close
//
// libgit2 is linked statically with the linker told to `--wrap=realpath` (Package.swift), so
// every call to realpath in the binary comes here; __real_realpath is glibc's. Anything but the
// plain case is handed to glibc, so that results and errors stay glibc's own: a path that does
// not open (missing, not a directory, no permission: the error realpath reports), no /proc, a
// name that is not absolute (an object with no path, a root the file is not under) or ends in
// " (deleted)" (the file went away between the two calls; or a file really named so).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "path_resolution.h"

char *__real_realpath(const char *path, char *resolved);

static const char deleted_suffix[] = " (deleted)";
// Per thread, so that a test counts only the calls its own (synchronous) code made.
static _Thread_local long kernel_resolutions;

char *__wrap_realpath(const char *path, char *resolved) {
    if (path == NULL || path[0] == '\0') return __real_realpath(path, resolved);
    int saved_errno = errno;
    int descriptor = open(path, O_PATH | O_CLOEXEC);
    if (descriptor < 0) {
        errno = saved_errno;
        return __real_realpath(path, resolved);
    }
    char link[32];
    snprintf(link, sizeof link, "/proc/self/fd/%d", descriptor);
    char name[PATH_MAX];
    ssize_t length = readlink(link, name, sizeof name);
    close(descriptor);
    size_t suffix = sizeof deleted_suffix - 1;
    if (length <= 0 || length >= PATH_MAX || name[0] != '/'
        || ((size_t)length >= suffix && memcmp(name + length - suffix, deleted_suffix, suffix) == 0)) {
        errno = saved_errno;
        return __real_realpath(path, resolved);
    }
    name[length] = '\0';
    errno = saved_errno;
    kernel_resolutions += 1;
    if (resolved != NULL) {
        memcpy(resolved, name, (size_t)length + 1);
        return resolved;
    }
    return strdup(name);
}

char *timeturner_realpath_by_components(const char *path, char *resolved) {
    return __real_realpath(path, resolved);
}

long timeturner_kernel_resolved_paths(void) {
    return kernel_resolutions;
}
