#ifndef TIMETURNER_CLIBGIT2_SHIM_H
#define TIMETURNER_CLIBGIT2_SHIM_H
/* libgit2's public headers, plus git2/sys/* for the lower-level calls Swift needs
   (reference creation with compare-and-swap lives in the public API; the notes commit API too;
   the in-memory object backend lets planning build objects without writing them). */
#include <git2.h>
#include <git2/sys/odb_backend.h>
#include <git2/sys/mempack.h>

/* git_libgit2_opts is variadic, which Swift cannot call. Only the TLS test uses this. */
static inline int timeturner_set_ssl_cert_file(const char *file) {
    return git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, file, NULL);
}

/* Turns off libgit2's re-hashing of every object it reads (see Libgit2.initialised and
   docs/design-decisions.md, "Objects are not re-hashed on read"). */
static inline int timeturner_disable_strict_hash_verification(void) {
    return git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
}

/* Lets libgit2's object cache keep parsed trees up to `bytes` (its default is 4 KiB, less than
   the 256-entry fan-out trees of a notes ref; see Libgit2.initialised). */
static inline int timeturner_set_tree_cache_limit(size_t bytes) {
    return git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE, bytes);
}
/* Where libgit2 looks for the system-wide gitconfig; "" makes it find none (see
   Libgit2.initialised: GIT_CONFIG_NOSYSTEM). */
static inline int timeturner_set_system_config_search_path(const char *path) {
    return git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_SYSTEM, path);
}
#endif
