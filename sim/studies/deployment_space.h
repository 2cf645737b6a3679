// DeploymentSpace: the ways to deploy a scenario's model on N GPUs of its hardware, for the
// scaling and plan studies. A deployment is tp x pp (x ep for MoE) GPUs per replica times a
// number of replicas. Candidates are enumerated from the parallelism strategies the study may
// use; each is built as the base scenario plus overrides of parallel.* and validated by the
// ordinary scenario validation (heads, layers, nodes, memory plan, KV capacity), so an invalid
// one is kept with the reason it was skipped rather than simulated.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/config/config_node.h"
#include "sim/config/scenario.h"

namespace servesim {

struct Deployment {
  int64_t tp = 1;
  int64_t pp = 1;
  int64_t ep = 1;
  int64_t replicas = 1;

  int64_t GpusPerReplica() const { return tp * pp; }
  int64_t NumGpus() const { return tp * pp * replicas; }
  // "tp2-pp1-dp4" (with "-ep2" when ep > 1).
  std::string Name() const;
};

// Which dimensions a study may vary. A dimension not allowed keeps the base scenario's value
// (tp, pp, ep), or one replica (dp).
struct Strategies {
  bool tp = true, pp = true, dp = true, ep = true;
};

// Parses "--strategies tp,pp,dp,ep" (any non-empty subset). Throws InputError
// "--strategies X: unknown strategy 'y' (did you mean ...)" or for an empty/duplicate item.
Strategies ParseStrategies(const std::string& text);
std::string DescribeStrategies(const Strategies& s);  // "tp,pp,dp"

// The base of a study: the scenario file's document and the user's --set overrides, kept apart
// so that each candidate is parsed from the file once more with its own overrides (errors in the
// file still point at its lines).
struct StudyBase {
  ConfigNode doc;
  std::vector<Override> sets;  // --set (origin "") and study-level overrides
  Scenario scenario;           // the base document parsed as is
};

// Loads and validates `path` with `sets`. Refuses disaggregated scenarios and closed loops
// (InputError located at the key).
StudyBase LoadStudyBase(const std::string& path, const std::vector<std::string>& sets,
                        std::optional<uint64_t> seed);

struct DeploymentCandidate {
  Deployment deployment;
  std::optional<Scenario> scenario;  // set when valid
  std::string skipped;               // why not, when invalid
};

// The deployments of `base` on `num_gpus` GPUs allowed by `strategies`, in a fixed order (tp,
// then pp, then ep ascending): tp and pp powers of two with tp x pp dividing num_gpus, tp at most
// the GPUs of a node (tensor parallelism stays inside a node), pp dividing the model's layers,
// ep (MoE only) a power of two dividing tp. `extra` overrides go to every candidate (e.g. a scaled
// request count). Shapes that the rules above exclude and shapes the scenario validation rejects
// are returned with `skipped` set.
std::vector<DeploymentCandidate> EnumerateDeployments(const StudyBase& base, int64_t num_gpus,
                                                      const Strategies& strategies,
                                                      const std::vector<Override>& extra = {});

// The base scenario deployed as `d` (plus `extra`). Throws InputError when invalid.
Scenario DeploymentScenario(const StudyBase& base, const Deployment& d,
                            const std::vector<Override>& extra = {});

}  // namespace servesim
