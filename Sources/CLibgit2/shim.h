#ifndef TIMETURNER_CLIBGIT2_SHIM_H
#define TIMETURNER_CLIBGIT2_SHIM_H
/* libgit2's public headers, plus git2/sys/* for the lower-level calls Swift needs
   (reference creation with compare-and-swap lives in the public API; the notes commit API too). */
#include <git2.h>
#endif
