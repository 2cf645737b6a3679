// SpeculativeStepModel: prices an engine step with speculative decoding. The target model verifies
// each decode sequence's draft tokens in the step (BatchShape::decode_draft_tokens: extra query
// rows through every layer and the LM head), then the proposer drafts the next step's tokens:
//   draft model: num_tokens forward passes of a small model over the proposing sequences (the
//                first also prefills the step's prompt chunks, which the draft model must see);
//   eagle:       num_tokens passes of the EAGLE head (one decoder layer of the target's shape plus
//                the shared LM head; the first pass reads the target's hidden states of every
//                row of the step);
//   ngram:       proposed on the host by prompt lookup; no GPU work.
// Proposer passes add GPU time (and, launched eagerly, the launch time their kernels expose); the
// step's host work is counted once, by the target's price.
// docs/design.md, "Speculative decoding", says what is modelled and what is not.
#pragma once

#include <cstdint>
#include <memory>

#include "models/model_spec.h"
#include "models/step_model.h"

namespace servesim {

enum class DraftMethod { kDraftModel, kEagle, kNgram };

// The EAGLE head as a model: one decoder layer of `target`'s shape, with the target's vocabulary
// (EAGLE-1/2 reuse the target's embedding and LM head).
ModelSpec EagleHeadSpec(const ModelSpec& target);

class SpeculativeStepModel : public StepModel {
 public:
  // `drafter` prices the proposer's passes (the draft model or the EAGLE head); null for ngram.
  // `params` are the engine's (the target's host work, to re-expose it over the longer GPU time).
  // REQUIRES: num_tokens >= 1; drafter non-null unless method is kNgram.
  SpeculativeStepModel(std::unique_ptr<StepModel> target, std::unique_ptr<StepModel> drafter,
                       DraftMethod method, int64_t num_tokens, const StepModelParams& params);
  StepCost Cost(const BatchShape& batch) const override;
  const CoverageLedger* Coverage() const override { return target_->Coverage(); }

 private:
  // The proposer's passes after the target's step `batch`: their GPU time by op class (and in
  // last_stage_s), work, and in breakdown.host_s the launch time eager passes expose.
  StepCost ProposerCost(const BatchShape& batch) const;
  double ExposedLaunch(const BatchShape& pass, const StepCost& c) const;

  std::unique_ptr<StepModel> target_;
  std::unique_ptr<StepModel> drafter_;
  DraftMethod method_;
  int64_t num_tokens_;
  StepModelParams params_;
};

}  // namespace servesim
