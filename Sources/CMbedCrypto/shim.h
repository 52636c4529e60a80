#ifndef TIMETURNER_CMBEDCRYPTO_SHIM_H
#define TIMETURNER_CMBEDCRYPTO_SHIM_H
/* Only the SHA-256 of mbedTLS's crypto library (Debian: libmbedtls-dev 2.28). libgit2 needs
   libmbedcrypto anyway and it is linked into the binary with it (Package.swift), so using it
   costs no start-up and no build time. */
#include <mbedtls/sha256.h>
#endif
