#ifndef TIMETURNER_CMBEDCRYPTO_SHIM_H
#define TIMETURNER_CMBEDCRYPTO_SHIM_H
/* Only the SHA-256 of mbedTLS's crypto library (Debian: libmbedtls-dev 2.28). libgit2 already
   links libmbedcrypto, so every run has it loaded: using it costs no start-up and no build time. */
#include <mbedtls/sha256.h>
#endif
