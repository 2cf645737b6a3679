// The model and hardware zoo: configs/models/NAME.yaml and configs/hardware/NAME.yaml.
// A scenario's `model` / `hardware.gpu` is either a zoo name or a path to a YAML file (relative
// to the scenario's directory). Every field is validated; errors name file:line:col and key.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "models/hardware_spec.h"
#include "models/model_spec.h"
#include "sim/config/config_node.h"

namespace servesim {

// The zoo's directory (models/, hardware/, ...), the first of:
//   0. the directory set by SetConfigRootOverride (`servesim --config-root DIR`);
//   1. $SERVESIM_CONFIG_DIR when set (InputError when it is not a directory);
//   2. <prefix>/share/servesim/configs beside an installed <prefix>/bin/servesim (`cmake
//   --install`,
//      a container image, a sweep's frozen Slurm job directory);
//   3. the configs/ directory of the source tree this binary was built from.
std::string ConfigRoot();
// Sets (for the whole process) the directory ConfigRoot returns. InputError when `dir` is not a
// directory with a models/ subdirectory.
void SetConfigRootOverride(const std::string& dir);

// Sorted zoo names of one kind ("models" or "hardware").
std::vector<std::string> ListZoo(std::string_view kind);

// `ref` is the scenario node holding a name or a path. Unknown names fail with the list of known
// names and "did you mean".
ModelSpec LoadModel(const ConfigNode& ref);
HardwareSpec LoadHardware(const ConfigNode& ref);

// Load and validate one file.
ModelSpec LoadModelFile(const std::string& path);
HardwareSpec LoadHardwareFile(const std::string& path);

// Applies a scenario's interconnect overrides to `hw` (loaded from its hardware file):
// `gpus_per_node`, `interconnect.scale_up.{bandwidth_gb_s,latency_us}`, the same for
// `interconnect.scale_out`, and `interconnect.nvls`, all under `hardware_node` (the scenario's
// `hardware` map). Absent keys keep the hardware file's values. Throws InputError on bad values
// or unknown keys below `interconnect`.
void ApplyInterconnectOverrides(const ConfigNode& hardware_node, HardwareSpec* hw);

// Resolves a path written in a config: absolute stays; relative is taken against the directory of
// the file the node came from (or the working directory for a --set override).
std::string ResolvePath(const ConfigNode& at, const std::string& path);

}  // namespace servesim
