// SERVESIM_CHECK: invariant checks that stay on in release builds.
// A failed check is a bug in servesim, never bad user input (that is an InputError):
// it prints file:line and the condition, then aborts.
#pragma once

#include <cstdio>
#include <cstdlib>

#define SERVESIM_CHECK(cond)                                                                \
  do {                                                                                      \
    if (!(cond)) {                                                                          \
      std::fprintf(stderr, "%s:%d: internal error: check failed: %s\n", __FILE__, __LINE__, \
                   #cond);                                                                  \
      std::abort();                                                                         \
    }                                                                                       \
  } while (0)
