#ifndef SIMVAULT_CSODIUM_SHIM_H
#define SIMVAULT_CSODIUM_SHIM_H

#include <sodium.h>

#endif
