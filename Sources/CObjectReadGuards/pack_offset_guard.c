// libgit2 1.5.1 reads an object of a pack at whatever offset the pack's index gives, without
// checking it against the pack's size. A damaged index whose offset points past the end of the
// pack (one flipped bit in the high byte of an offset does it) made it map a window that does not
// exist and read it: a segmentation fault, in 12 of the 9,248 single-bit damages of a small pack's
// index, and in a rollback that read such an object. git checks the offset and reports the index
// as broken; so does this.
//
// Every read of a pack goes through git_mwindow_open (mwindow.c), called from pack.c. libgit2 is
// linked statically with `--wrap=git_mwindow_open` (Package.swift), so those calls come here;
// __real_git_mwindow_open is libgit2's. An offset outside the pack fails as an unreadable window
// does (NULL, with an error), which every caller already handles.
#include <pthread.h>
#include <stddef.h>
#include <sys/types.h>
#include <git2/errors.h>
#include "object_read_guards.h"

// libgit2 1.5.1's git_mwindow_file (src/libgit2/mwindow.h), the first member of every pack:
// its lock (a pthread mutex, libgit2 being built with threads), its windows, descriptor and size.
struct libgit2_mwindow_file {
    pthread_mutex_t lock;
    void *windows;
    int fd;
    off_t size;
};

unsigned char *__real_git_mwindow_open(void *mwf, void **cursor, off_t offset, size_t extra, unsigned int *left);

unsigned char *__wrap_git_mwindow_open(void *mwf, void **cursor, off_t offset, size_t extra, unsigned int *left) {
    const struct libgit2_mwindow_file *file = mwf;
    if (offset < 0 || offset >= file->size) {
        git_error_set_str(GIT_ERROR_ODB, "an object's offset lies outside its pack: the pack's index is damaged ('git fsck' checks it)");
        return NULL;
    }
    return __real_git_mwindow_open(mwf, cursor, offset, extra, left);
}
