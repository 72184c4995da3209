#include <sys/prctl.h>
#include <sys/resource.h>
#include "CProcessHardening.h"

int simvault_disable_core_dumps(void) {
    struct rlimit none = {0, 0};
    int dumpable = prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    int core = setrlimit(RLIMIT_CORE, &none);
    return (dumpable == 0 && core == 0) ? 0 : -1;
}
