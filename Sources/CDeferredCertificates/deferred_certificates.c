// libgit2's TLS set-up, deferred to the first TLS connection, and without the system CA bundle.
//
// Debian's libgit2 1.5.1 (mbedTLS build) sets up TLS inside git_libgit2_init, on every start of
// every command that opens a repository: it seeds mbedTLS's random generator (HAVEGE, ~1.1M
// instructions) and parses the whole system CA bundle (about half of `point`'s instructions),
// though nothing here opens a TLS connection through libgit2: remotes go through the user's git.
// libgit2 is linked statically (Package.swift), with the linker told to `--wrap` these symbols,
// so every call libgit2's other objects make to them is bound, at link time, to the __wrap_
// functions below (__real_ is the original):
//
// - git_mbedtls_stream_global_init, which git_libgit2_init calls: only notes that TLS is to be
//   set up. The first call of any of the three functions that need it sets it up for real.
// - git_mbedtls_stream_new / git_mbedtls_stream_wrap (a TLS connection) and
//   git_mbedtls__set_cert_location (GIT_OPT_SET_SSL_CERT_LOCATIONS): set up first, then go on.
// - mbedtls_x509_crt_parse_file/_path, mbedTLS's CA-bundle loaders: while the set-up runs they
//   load nothing and fail, so libgit2 configures no CA chain at all and a TLS connection it made
//   would fail certificate verification: closed, not open. At any other time they pass the call
//   on, so an explicit GIT_OPT_SET_SSL_CERT_LOCATIONS still loads certificates.
//
// See docs/design-decisions.md, "libgit2 never loads the CA bundle: its TLS fails closed".
#include <pthread.h>
#include <stdatomic.h>
#include <git2/errors.h>
#include "deferred_certificates.h"

typedef struct mbedtls_x509_crt mbedtls_x509_crt;
typedef struct git_stream git_stream;

int __real_mbedtls_x509_crt_parse_file(mbedtls_x509_crt *chain, const char *path);
int __real_mbedtls_x509_crt_parse_path(mbedtls_x509_crt *chain, const char *path);
int __real_git_mbedtls_stream_global_init(void);
int __real_git_mbedtls_stream_new(git_stream **out, const char *host, const char *port);
int __real_git_mbedtls_stream_wrap(git_stream **out, git_stream *in, const char *host);
int __real_git_mbedtls__set_cert_location(const char *file, const char *path);

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

// `pending`: libgit2 is initialised and its TLS is not set up yet. Set again by every
// git_libgit2_init after a shutdown (which freed libgit2's TLS configuration).
static pthread_mutex_t tls_lock = PTHREAD_MUTEX_INITIALIZER;
static int pending = 0;
static int set_up = 0;
static int set_up_result = 0;

int __wrap_git_mbedtls_stream_global_init(void) {
    pthread_mutex_lock(&tls_lock);
    pending = 1;
    set_up = 0;
    pthread_mutex_unlock(&tls_lock);
    return 0;
}

// Sets libgit2's TLS up once: libgit2's own set-up, with the CA-bundle loads refused. Its
// error, if it fails, stays set for the caller, which returns it as the call's error.
static int ensure_tls(void) {
    pthread_mutex_lock(&tls_lock);
    if (pending) {
        pending = 0;
        timeturner_refuse_certificate_loading(1);
        set_up_result = __real_git_mbedtls_stream_global_init();
        timeturner_refuse_certificate_loading(0);
        set_up = set_up_result == 0;
        // A successful set-up records the refused load as libgit2's last error; nothing failed.
        if (set_up_result == 0) git_error_clear();
    }
    int result = set_up_result;
    pthread_mutex_unlock(&tls_lock);
    return result;
}

int timeturner_tls_set_up(void) {
    pthread_mutex_lock(&tls_lock);
    int result = set_up;
    pthread_mutex_unlock(&tls_lock);
    return result;
}

int __wrap_git_mbedtls_stream_new(git_stream **out, const char *host, const char *port) {
    int error = ensure_tls();
    return error < 0 ? error : __real_git_mbedtls_stream_new(out, host, port);
}

int __wrap_git_mbedtls_stream_wrap(git_stream **out, git_stream *in, const char *host) {
    int error = ensure_tls();
    return error < 0 ? error : __real_git_mbedtls_stream_wrap(out, in, host);
}

int __wrap_git_mbedtls__set_cert_location(const char *file, const char *path) {
    int error = ensure_tls();
    return error < 0 ? error : __real_git_mbedtls__set_cert_location(file, path);
}
