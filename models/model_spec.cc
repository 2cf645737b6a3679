#include "models/model_spec.h"

#include <fmt/format.h>

namespace servesim {

namespace {
double AttentionParams(const ModelSpec& m) {
  const double h = static_cast<double>(m.hidden_size);
  // Q, K, V projections and the output projection (no biases for the Llama family).
  return h * (m.QDim() + 2.0 * m.KvDim()) + static_cast<double>(m.QDim()) * h;
}
}  // namespace

double ModelSpec::LayerParams() const {
  const double h = static_cast<double>(hidden_size);
  const double norms = 2.0 * h;
  if (!IsMoe()) {
    const double matrices = static_cast<double>(FfnUpFactor() + 1);
    return AttentionParams(*this) + matrices * h * static_cast<double>(intermediate_size) + norms;
  }
  const double experts = static_cast<double>(moe_num_experts + moe_shared_experts);
  return AttentionParams(*this) + experts * 3.0 * h * moe_intermediate_size +
         h * moe_num_experts /* router */ + norms;
}

double ModelSpec::ActiveLayerParams() const {
  if (!IsMoe()) return LayerParams();
  const double h = static_cast<double>(hidden_size);
  const double experts = static_cast<double>(moe_top_k + moe_shared_experts);
  return AttentionParams(*this) + experts * 3.0 * h * moe_intermediate_size + h * moe_num_experts +
         2.0 * h;
}

double ModelSpec::EmbeddingParams() const {
  const double table = static_cast<double>(vocab_size) * hidden_size;
  return (tie_word_embeddings ? table : 2.0 * table) + hidden_size;
}

std::string ModelSpec::TensorParallelViolation(int64_t tp) const {
  if (num_attention_heads % tp != 0) {
    return fmt::format("must divide the model's {} attention heads, got {}", num_attention_heads,
                       tp);
  }
  if (tp % num_kv_heads != 0 && num_kv_heads % tp != 0) {
    return fmt::format("must divide the model's {} KV heads or be a multiple of them, got {}",
                       num_kv_heads, tp);
  }
  return "";
}

}  // namespace servesim
