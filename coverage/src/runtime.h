/* Internals shared by the runtime's files: the map once attached. */
#ifndef TCPCHECK_COVERAGE_RUNTIME_H
#define TCPCHECK_COVERAGE_RUNTIME_H

#include "tcpcheck/coverage_map.h"

/* The map, or NULL when the server does not run under tcpcheck (or not
 * yet: it is opened by the first instrumented module's constructor). */
extern tcpcheck_coverage_map* tcpcheck_coverage_shared;

/* Opens the map named in the environment, once; NULL when there is none. */
tcpcheck_coverage_map* tcpcheck_coverage_attach(void);

#endif
