#ifndef TIMETURNER_CMALLOC_SHIM_H
#define TIMETURNER_CMALLOC_SHIM_H
#include <malloc.h>
#endif
