#include "models/speculative_step_model.h"

#include <algorithm>
#include <utility>

#include "sim/core/check.h"

namespace servesim {

ModelSpec EagleHeadSpec(const ModelSpec& target) {
  ModelSpec head = target;
  head.name = target.name + "/eagle-head";
  head.num_layers = 1;
  return head;
}

SpeculativeStepModel::SpeculativeStepModel(std::unique_ptr<StepModel> target,
                                           std::unique_ptr<StepModel> drafter, DraftMethod method,
                                           int64_t num_tokens, const StepModelParams& params)
    : target_(std::move(target)),
      drafter_(std::move(drafter)),
      method_(method),
      num_tokens_(num_tokens),
      params_(params) {
  SERVESIM_CHECK(target_ != nullptr && num_tokens_ >= 1);
  SERVESIM_CHECK((drafter_ == nullptr) == (method_ == DraftMethod::kNgram));
}

namespace {

// The GPU part of a cost (everything but host time) added into `sum`, by op class.
void AddGpuTime(const StepCost& c, StepCost* sum) {
  sum->last_stage_s += c.breakdown.Total() - c.breakdown.host_s;
  sum->breakdown.gemm_s += c.breakdown.gemm_s;
  sum->breakdown.attention_s += c.breakdown.attention_s;
  sum->breakdown.communication_s += c.breakdown.communication_s;
  sum->breakdown.other_s += c.breakdown.other_s;
  sum->flops += c.flops;
  sum->bytes += c.bytes;
}

}  // namespace

// A proposer pass launched eagerly (the target's step was) waits for its kernels' launches
// where they take longer than its GPU work: that exposed launch time, which FinishStepCost put in
// the pass's host time on top of the per-step host work (counted once, by the target).
double SpeculativeStepModel::ExposedLaunch(const BatchShape& pass, const StepCost& c) const {
  if (pass.launch != StepLaunch::kEager) return 0;
  return std::max(0.0, c.breakdown.host_s - HostWork(params_, pass));
}

StepCost SpeculativeStepModel::ProposerCost(const BatchShape& batch) const {
  StepCost sum;
  if (drafter_ == nullptr) return sum;
  // Sequences that sample in this step draft for the next one, over their whole context.
  int64_t proposing = batch.decode_seqs;
  int64_t context = batch.decode_context_tokens;
  for (const PrefillChunk& c : batch.prefills) {
    if (!c.produces_logits) continue;
    ++proposing;
    context += c.context_tokens + c.tokens;
  }
  // First pass: the step's new rows. The draft model catches up on the sampled token of each
  // decode sequence and prefills the prompt chunks; the EAGLE head reads the target's hidden
  // state of every row the target computed.
  BatchShape first;
  first.decode_seqs = batch.decode_seqs;
  first.decode_context_tokens = batch.decode_context_tokens;
  if (method_ == DraftMethod::kEagle) first.decode_draft_tokens = batch.decode_draft_tokens;
  first.prefills = batch.prefills;
  // Passes launch as the target's step did: replayed from graphs, or eagerly kernel by kernel.
  const StepLaunch launch =
      batch.launch == StepLaunch::kEager ? StepLaunch::kEager : StepLaunch::kDefault;
  first.launch = launch;
  const auto add = [&](const BatchShape& pass) {
    const StepCost c = drafter_->Cost(pass);
    AddGpuTime(c, &sum);
    sum.breakdown.host_s += ExposedLaunch(pass, c);
  };
  if (!first.Empty()) add(first);
  // Further passes: one drafted token per proposing sequence each.
  BatchShape next;
  next.launch = launch;
  for (int64_t pass = 1; pass < num_tokens_ && proposing > 0; ++pass) {
    next.decode_seqs = proposing;
    next.decode_context_tokens = context + pass * proposing;
    add(next);
  }
  return sum;
}

StepCost SpeculativeStepModel::Cost(const BatchShape& batch) const {
  StepCost cost = target_->Cost(batch);
  const StepCost proposer = ProposerCost(batch);
  const double extra_s = proposer.last_stage_s;  // the passes' GPU time
  if (extra_s <= 0) return cost;
  // The proposer runs on the last stage's GPUs after the target's forward pass (speculative
  // decoding is refused with pp > 1).
  const double host_s = cost.breakdown.host_s;
  AddGpuTime(proposer, &cost);
  cost.breakdown.host_s = ReexposedHostTime(params_, batch, host_s, extra_s) +
                          proposer.breakdown.host_s;  // + eager passes' exposed launches
  cost.duration_s = cost.breakdown.Total();
  return cost;
}

}  // namespace servesim
