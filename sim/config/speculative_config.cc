#include "sim/config/speculative_config.h"

#include <fmt/format.h>

#include "sim/config/zoo.h"

namespace servesim {

double SpeculativeConfig::ExpectedTokensPerStep() const {
  double tokens = 1, reach = 1;
  for (double a : acceptance) {
    reach *= a;
    tokens += reach;
  }
  return tokens;
}

namespace {

std::vector<double> ParseAcceptance(const ConfigNode& node, int64_t num_tokens) {
  const ConfigNode rate = node.Require("acceptance_rate");
  if (!rate.IsSequence()) {
    return std::vector<double>(static_cast<size_t>(num_tokens), rate.AsDouble(Between(0, 1)));
  }
  const std::vector<ConfigNode> elements = rate.Elements();
  if (static_cast<int64_t>(elements.size()) != num_tokens) {
    rate.Fail(fmt::format("a list needs one rate per draft position, num_tokens = {}, got {}",
                          num_tokens, elements.size()));
  }
  std::vector<double> rates;
  for (const ConfigNode& e : elements) rates.push_back(e.AsDouble(Between(0, 1)));
  return rates;
}

ModelSpec LoadDraftModel(const ConfigNode& node, const ModelSpec& target) {
  const ConfigNode ref = node.Require("draft_model");
  ModelSpec draft = LoadModel(ref);
  if (draft.vocab_size != target.vocab_size) {
    ref.Fail(
        fmt::format("the draft model's vocabulary ({} tokens) must be the target's ({} "
                    "tokens of '{}'): the target verifies the draft's token ids",
                    draft.vocab_size, target.vocab_size, target.name));
  }
  if (draft.IsMoe()) ref.Fail("a draft model must be dense");
  return draft;
}

}  // namespace

SpeculativeConfig ParseSpeculative(const ConfigNode& node, const ModelSpec& target) {
  SpeculativeConfig spec;
  if (!node.Defined()) return spec;
  node.ExpectMap();
  node.CheckKeys({"method", "num_tokens", "acceptance_rate", "draft_model"});
  spec.enabled = true;
  spec.method = node.Require("method").AsEnum({"draft", "eagle", "ngram"});
  spec.num_tokens = node.Require("num_tokens").AsInt(Between(1, 16));
  spec.acceptance = ParseAcceptance(node, spec.num_tokens);
  if (spec.method == "draft") {
    spec.draft_method = DraftMethod::kDraftModel;
    spec.drafter = LoadDraftModel(node, target);
  } else if (node.Has("draft_model")) {
    node.Child("draft_model")
        .Fail(fmt::format("only used by method draft (method {} has no separate draft model)",
                          spec.method));
  }
  if (spec.method == "eagle") {
    spec.draft_method = DraftMethod::kEagle;
    spec.drafter = EagleHeadSpec(target);
  }
  return spec;
}

void CheckSpeculative(const ConfigNode& node, const SpeculativeConfig& spec,
                      const std::string& scheduler, int64_t max_num_seqs,
                      int64_t max_num_batched_tokens, int64_t tp, int64_t pp) {
  if (!spec.enabled) return;
  if (scheduler != "vllm" && scheduler != "sarathi" && scheduler != "trtllm") {
    node.Child("method").Fail(fmt::format(
        "speculative decoding is modelled for schedulers vllm, sarathi and trtllm, not {}",
        scheduler));
  }
  if (pp > 1) {  // a shape without stages can run it: studies skip this shape
    node.Child("method").FailDeployment(fmt::format(
        "not with pipeline parallelism (pp = {}): the proposer would wait for the last stage", pp));
  }
  const int64_t rows = max_num_seqs * (spec.num_tokens + 1);
  if (rows > max_num_batched_tokens) {
    node.Child("num_tokens")
        .Fail(fmt::format("max_num_seqs x (num_tokens + 1) = {} x {} = {} query rows exceed the "
                          "token budget ({}): every running sequence verifies its drafts in each "
                          "step; lower num_tokens or max_num_seqs, or raise the budget",
                          max_num_seqs, spec.num_tokens + 1, rows, max_num_batched_tokens));
  }
  if (spec.draft_method == DraftMethod::kDraftModel) {
    const std::string violation = spec.drafter->TensorParallelViolation(tp);
    if (!violation.empty()) {
      node.Child("draft_model")
          .Fail(fmt::format("the draft model runs on the target's tp = {} GPUs: tp {}", tp,
                            violation));
    }
  }
}

}  // namespace servesim
