// libFuzzer target: a validation table (CSV of published measurements) through
// ParseValidationTable, and single lines through ParseCsvRecord.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_util.h"
#include "sim/config/input_error.h"
#include "sim/validation/validation_table.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace servesim;
  const std::string text = fuzz::Text(data, size);
  (void)ParseCsvRecord(text);
  try {
    (void)ParseValidationTable(text, "fuzz/validation.csv");
  } catch (const InputError&) {
  }
  return 0;
}
