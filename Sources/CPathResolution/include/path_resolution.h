#ifndef TIMETURNER_PATH_RESOLUTION_H
#define TIMETURNER_PATH_RESOLUTION_H

/// glibc's own realpath, component by component, for tests to compare the fast one against
/// (every other call to realpath in the binary is the fast one; see the .c file).
char *timeturner_realpath_by_components(const char *path, char *resolved);

/// How many realpath calls on this thread were answered by the kernel's name of the opened
/// path, not handed to glibc (for tests: shows that libgit2's calls reach the fast one).
long timeturner_kernel_resolved_paths(void);

#endif
