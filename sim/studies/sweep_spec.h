// SweepSpec: a sweep file parsed and expanded into points. A point is the base scenario document
// plus overrides located in the sweep file, so an error in a swept value reads
// "configs/sweeps/x.yaml:9:25: engine.max_num_seqs: must be > 0, got -3".
// Expansion order (the point index): the grid keys in document order, the first varying slowest,
// then the zip group (all zip keys together) varying fastest.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/config/config_node.h"

namespace servesim {

// One dimension of the sweep: a grid key, or the whole zip group (several keys, one value each).
struct SweepAxis {
  std::vector<std::string> keys;
  std::vector<std::vector<Override>> values;  // values[i] sets every key of the axis
};

struct SweepSpec {
  std::string file;       // the sweep file, as given
  std::string base_path;  // the base scenario, resolved against the sweep file's directory
  std::string base_text;  // its contents when the sweep was loaded
  std::vector<Override> set;
  std::vector<SweepAxis> axes;

  int64_t NumPoints() const;
  // Every overridden key: set keys, grid keys, zip keys (the input columns of the results).
  std::vector<std::string> InputKeys() const;
};

struct SweepPoint {
  int64_t index = 0;
  std::vector<Override> overrides;  // set first, then one value per axis
};

// Reads and validates the sweep file (keys, list shapes, zip lengths, duplicate keys, the base
// file). Scenario-level validation of every point is ValidateSweepPoints' job.
// Throws InputError with file:line:col and key.
SweepSpec LoadSweepSpec(const std::string& path);
// Same from a parsed document (tests); `root.Source().file` names the sweep file.
SweepSpec ParseSweepSpec(const ConfigNode& root);

// Point `index` of the expansion. REQUIRES: 0 <= index < spec.NumPoints().
SweepPoint PointAt(const SweepSpec& spec, int64_t index);

// The base document with the point's overrides applied (parse with ParseScenario).
ConfigNode PointDocument(const SweepSpec& spec, const SweepPoint& point);

// Parses the scenario of every listed point so that no simulation starts before every input
// error is reported. Throws the first InputError.
void ValidateSweepPoints(const SweepSpec& spec, const std::vector<int64_t>& indices);

// YAML text of a node on one line (flow style): what an override holds and a CSV cell shows.
std::string FlowYaml(const YAML::Node& node);

}  // namespace servesim
