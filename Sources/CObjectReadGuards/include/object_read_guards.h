#ifndef TIMETURNER_OBJECT_READ_GUARDS_H
#define TIMETURNER_OBJECT_READ_GUARDS_H

#include <stddef.h>
#include <sys/types.h>

// Stand in for libgit2 1.5.1's internal git_zstream_get_output (wherever its loose-object reader
// calls it) and git_mwindow_open (wherever its pack reader calls it), through the linker's
// `--wrap` (Package.swift); see loose_object_guard.c and pack_offset_guard.c. Nothing calls
// them by name.
int __wrap_git_zstream_get_output(void *out, size_t *out_len, void *zstream);
unsigned char *__wrap_git_mwindow_open(void *mwf, void **cursor, off_t offset, size_t extra, unsigned int *left);

#endif
