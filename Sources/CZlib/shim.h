#ifndef SIMVAULT_CZLIB_SHIM_H
#define SIMVAULT_CZLIB_SHIM_H

#include <zlib.h>

#endif
