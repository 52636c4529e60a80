// Debian's libgit2 1.5.1 (mbedTLS build) parses the whole system CA bundle inside
// git_libgit2_init, on every start of every command (about half of `point`'s instructions),
// though nothing here opens a TLS connection through libgit2: remotes go through the user's
// git. These two definitions, exported from the executable, take the place of mbedTLS's for
// libgit2's calls (libgit2 imports them through its PLT, and the executable comes first in the
// lookup scope). While refusal is on -- only around git_libgit2_init -- they load nothing and
// fail, so libgit2 configures no CA chain at all and any TLS connection it made would fail
// certificate verification: closed, not open. At any other time they pass the call on to
// mbedTLS unchanged, so an explicit GIT_OPT_SET_SSL_CERT_LOCATIONS still loads certificates.
// See docs/design-decisions.md.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdatomic.h>
#include "deferred_certificates.h"

typedef struct mbedtls_x509_crt mbedtls_x509_crt;
typedef int (*parse_function)(mbedtls_x509_crt *, const char *);

// MBEDTLS_ERR_X509_FILE_IO_ERROR: what mbedTLS returns when it cannot read the bundle.
#define REFUSED (-0x2900)

static atomic_int refusing = 0;
static atomic_int refused = 0;

void timeturner_refuse_certificate_loading(int on) { atomic_store(&refusing, on); }

int timeturner_refused_certificate_loads(void) { return atomic_load(&refused); }

static int pass_on(const char *name, mbedtls_x509_crt *chain, const char *path) {
    parse_function next = (parse_function)dlsym(RTLD_NEXT, name);
    return next ? next(chain, path) : REFUSED;
}

__attribute__((visibility("default")))
int mbedtls_x509_crt_parse_file(mbedtls_x509_crt *chain, const char *path) {
    if (atomic_load(&refusing)) { atomic_fetch_add(&refused, 1); return REFUSED; }
    return pass_on("mbedtls_x509_crt_parse_file", chain, path);
}

__attribute__((visibility("default")))
int mbedtls_x509_crt_parse_path(mbedtls_x509_crt *chain, const char *path) {
    if (atomic_load(&refusing)) { atomic_fetch_add(&refused, 1); return REFUSED; }
    return pass_on("mbedtls_x509_crt_parse_path", chain, path);
}
