/* A libxenctrl function the fake does not implement: it names itself on stderr and fails with ENOSYS (as -1, or
 * a null pointer for the functions that return one: the same bits). */
#pragma once
#include <errno.h>
#include <stdio.h>

#define XENRACE_FAKE_XENCTRL_STUB(name)                                                          \
  long name(void) {                                                                            \
    fprintf(stderr, "xenrace fake libxenctrl: %s is not implemented\n", #name);                \
    errno = ENOSYS;                                                                            \
    return -1;                                                                                 \
  }
