// engine.speculative: speculative decoding of a scenario (method, drafts per step, acceptance, the
// draft model), parsed with located errors; the rules that relate it to the rest of the scenario
// are checked by CheckSpeculative once the deployment is known (docs/config.md, "speculative").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/model_spec.h"
#include "models/speculative_step_model.h"
#include "sim/config/config_node.h"

namespace servesim {

struct SpeculativeConfig {
  bool enabled = false;
  std::string method;  // "draft", "eagle" or "ngram"
  DraftMethod draft_method = DraftMethod::kNgram;
  int64_t num_tokens = 0;          // drafts proposed per sequence per step
  std::vector<double> acceptance;  // per draft position, conditional on the earlier ones
  // What runs the proposer's passes: the draft model, or the EAGLE head built from the target.
  std::optional<ModelSpec> drafter;
  // Expected tokens per sequence per step with every draft verified: sum over j = 0..num_tokens
  // of the product of the first j rates ((1 - a^(k+1)) / (1 - a) for a constant a).
  double ExpectedTokensPerStep() const;
};

// Parses `engine.speculative` (undefined: disabled) for target model `target`.
SpeculativeConfig ParseSpeculative(const ConfigNode& node, const ModelSpec& target);

// The rules between engine.speculative and the deployment: scheduler, pipeline stages, token
// budget, and the draft model's split over tp. `node` is engine.speculative.
void CheckSpeculative(const ConfigNode& node, const SpeculativeConfig& spec,
                      const std::string& scheduler, int64_t max_num_seqs,
                      int64_t max_num_batched_tokens, int64_t tp, int64_t pp);

}  // namespace servesim
