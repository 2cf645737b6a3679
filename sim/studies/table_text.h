// Text helpers shared by the studies' result files: RFC 4180 CSV fields, flattening a JSON object
// into dotted columns, and typed JSON values for YAML override text. Pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace servesim {

// The field quoted when it holds a comma, quote, CR or LF (quotes doubled); as is otherwise.
std::string CsvField(std::string_view text);
// Splits one CSV line (no trailing newline) into unquoted fields.
std::vector<std::string> SplitCsvLine(std::string_view line);

using FlatJson = std::vector<std::pair<std::string, nlohmann::ordered_json>>;
// The scalar leaves of an object in document order, nested objects joined with '.'
// ("step_time_s.gemm"); arrays are skipped.
FlatJson FlattenJson(const nlohmann::ordered_json& object);

// A YAML value (override text) as JSON: integers, finite numbers, booleans and null keep their
// type, quoted scalars and anything else are strings; maps and lists recurse.
nlohmann::ordered_json YamlTextToJson(const std::string& yaml_text);

// Splits `text` into complete lines (without their '\n'); `*tail` gets what follows the last
// newline (a torn line after a kill, or "").
std::vector<std::string> CompleteLines(const std::string& text, std::string* tail);

// Reads a whole file; InputError "PATH: cannot open file" when it cannot.
std::string ReadWholeFile(const std::string& path);

}  // namespace servesim
