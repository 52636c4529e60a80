#ifndef TIMETURNER_DEFERRED_CERTIFICATES_H
#define TIMETURNER_DEFERRED_CERTIFICATES_H

/// While on, the process's calls to mbedTLS's CA-bundle loaders are refused (see the .c file).
void timeturner_refuse_certificate_loading(int on);

/// How many CA-bundle loads have been refused in this process (for tests and benchmarks).
int timeturner_refused_certificate_loads(void);

#endif
