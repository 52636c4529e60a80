#ifndef TIMETURNER_LOOSE_OBJECT_GUARD_H
#define TIMETURNER_LOOSE_OBJECT_GUARD_H

#include <stddef.h>

// Stands in for libgit2 1.5.1's internal git_zstream_get_output wherever its loose-object
// reader calls it (the linker's `--wrap`, Package.swift); see loose_object_guard.c. Nothing
// calls it by name.
int __wrap_git_zstream_get_output(void *out, size_t *out_len, void *zstream);

#endif
