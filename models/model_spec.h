// ModelSpec: the architecture constants of a decoder-only transformer (dense or MoE) that the
// cost and memory models need. Loaded from configs/models/*.yaml by sim/config/zoo.
#pragma once

#include <cstdint>
#include <string>

namespace servesim {

struct ModelSpec {
  std::string name;    // zoo name, e.g. "llama-3.1-8b"
  std::string hf_id;   // e.g. "meta-llama/Llama-3.1-8B"
  std::string source;  // where the numbers come from
  int64_t num_layers = 0;
  int64_t hidden_size = 0;
  int64_t num_attention_heads = 0;
  int64_t num_kv_heads = 0;
  int64_t head_dim = 0;
  int64_t intermediate_size = 0;  // dense FFN width (gate/up/down)
  // Dense FFN kind. Gated (SwiGLU, the Llama family): gate and up projections, their product,
  // down projection (3 matrices). Plain (GPT-J, Falcon): one up projection, GELU, down (2).
  bool gated_mlp = true;
  int64_t vocab_size = 0;
  int64_t max_position_embeddings = 0;
  bool tie_word_embeddings = false;
  // Mixture of experts; moe_num_experts == 0 means a dense model.
  int64_t moe_num_experts = 0;
  int64_t moe_top_k = 0;
  int64_t moe_intermediate_size = 0;  // per-expert FFN width
  int64_t moe_shared_experts = 0;

  bool IsMoe() const { return moe_num_experts > 0; }
  // Output columns of the dense FFN's first projection per intermediate unit: 2 gated, 1 plain.
  int64_t FfnUpFactor() const { return gated_mlp ? 2 : 1; }
  int64_t QDim() const { return num_attention_heads * head_dim; }
  int64_t KvDim() const { return num_kv_heads * head_dim; }

  // Parameters of one transformer layer (attention + FFN or all experts + router + norms).
  double LayerParams() const;
  // Parameters touched per token in one layer (top_k experts instead of all).
  double ActiveLayerParams() const;
  // Embedding plus (untied) LM head plus final norm.
  double EmbeddingParams() const;
  double TotalParams() const { return num_layers * LayerParams() + EmbeddingParams(); }
  double ActiveParams() const { return num_layers * ActiveLayerParams() + EmbeddingParams(); }

  // Why the model cannot be split over `tp` tensor-parallel GPUs ("must divide the model's 32
  // attention heads, got 3"), or "" when it can: tp divides the attention heads and divides or is
  // a multiple of the KV heads (replicated beyond them). REQUIRES: tp >= 1.
  std::string TensorParallelViolation(int64_t tp) const;
};

}  // namespace servesim
