// JsonRowsToCsv: the `--csv FILE` of capacity, scaling and plan. Each row is a JSON object (one
// load point, GPU count or plan option) flattened to dotted columns ("deployment.tp",
// "summary.p99_ttft_ms"); lists of scalars become one cell joined with "; ", lists of objects
// are left out (the JSON has them). The header is the union of the rows' columns in first-seen
// order, so the file is the same for the same result. Empty cell: null or absent.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace servesim {

std::string JsonRowsToCsv(const std::vector<nlohmann::ordered_json>& rows);

}  // namespace servesim
