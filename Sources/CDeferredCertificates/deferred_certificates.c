// Debian's libgit2 1.5.1 (mbedTLS build) parses the whole system CA bundle inside
// git_libgit2_init, on every start of every command (about half of `point`'s instructions),
// though nothing here opens a TLS connection through libgit2: remotes go through the user's
// git. libgit2 is linked statically (Package.swift), with the linker told to
// `--wrap` mbedTLS's two CA-bundle loaders: every call libgit2's objects make to
// mbedtls_x509_crt_parse_file/_path is bound, at link time, to the __wrap_ functions below.
// While refusal is on -- only around git_libgit2_init -- they load nothing and fail, so
// libgit2 configures no CA chain at all and any TLS connection it made would fail certificate
// verification: closed, not open. At any other time they pass the call on to mbedTLS
// (__real_, the original), so an explicit GIT_OPT_SET_SSL_CERT_LOCATIONS still loads
// certificates. See docs/design-decisions.md.
#include <stdatomic.h>
#include "deferred_certificates.h"

typedef struct mbedtls_x509_crt mbedtls_x509_crt;

// Provided by the linker for a `--wrap`ped symbol: mbedTLS's own definition.
int __real_mbedtls_x509_crt_parse_file(mbedtls_x509_crt *chain, const char *path);
int __real_mbedtls_x509_crt_parse_path(mbedtls_x509_crt *chain, const char *path);

// MBEDTLS_ERR_X509_FILE_IO_ERROR: what mbedTLS returns when it cannot read the bundle.
#define REFUSED (-0x2900)

static atomic_int refusing = 0;
static atomic_int refused = 0;

void timeturner_refuse_certificate_loading(int on) { atomic_store(&refusing, on); }

int timeturner_refused_certificate_loads(void) { return atomic_load(&refused); }

int __wrap_mbedtls_x509_crt_parse_file(mbedtls_x509_crt *chain, const char *path) {
    if (atomic_load(&refusing)) { atomic_fetch_add(&refused, 1); return REFUSED; }
    return __real_mbedtls_x509_crt_parse_file(chain, path);
}

int __wrap_mbedtls_x509_crt_parse_path(mbedtls_x509_crt *chain, const char *path) {
    if (atomic_load(&refusing)) { atomic_fetch_add(&refused, 1); return REFUSED; }
    return __real_mbedtls_x509_crt_parse_path(chain, path);
}
