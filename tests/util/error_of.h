// The message of the InputError a callable throws, or "no error" when it throws none.
#pragma once

#include <functional>
#include <string>

#include "sim/config/input_error.h"

namespace servesim::test_util {

inline std::string InputErrorOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace servesim::test_util
