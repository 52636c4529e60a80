/* The floor for any program over libgit2, and the baseline of the --version target: load
   libgit2 and initialise it (most of the time is libgit2 loading the system's TLS certificates). */
#include <git2.h>
int main(void) { return git_libgit2_init() > 0 ? 0 : 1; }
