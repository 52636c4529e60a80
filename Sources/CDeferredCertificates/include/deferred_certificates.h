#ifndef TIMETURNER_DEFERRED_CERTIFICATES_H
#define TIMETURNER_DEFERRED_CERTIFICATES_H

/// While on, the process's calls to mbedTLS's CA-bundle loaders are refused (see the .c file).
void timeturner_refuse_certificate_loading(int on);

/// How many CA-bundle loads have been refused in this process (for tests and benchmarks).
int timeturner_refused_certificate_loads(void);

/// Whether libgit2's TLS has been set up in this process: only by the first TLS connection or
/// certificate location, never by git_libgit2_init itself (for tests).
int timeturner_tls_set_up(void);

#endif
