// Tests that read data outside the repository (../shared: published tables, measured NCCL times,
// Azure traces) skip where it is missing, but fail when the CI environment variable is set: CI
// always has ../shared beside the checkout (.ci/run sets CI), so a skip there would hide a test
// that silently stopped running.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

// Skips the current test (or returns from the current helper) with `message`; under CI, fails.
#define SERVESIM_SKIP_OR_FAIL_IN_CI(message)                                           \
  do {                                                                                 \
    const std::string servesim_missing_data_ = (message);                              \
    if (std::getenv("CI") != nullptr) {                                                \
      FAIL() << servesim_missing_data_ << " (CI is set, and CI always has ../shared)"; \
    }                                                                                  \
    GTEST_SKIP() << servesim_missing_data_;                                            \
  } while (0)
