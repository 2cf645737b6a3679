// Checks of PlanMemory against hand arithmetic for real models on an H100, and of its messages.
#include "models/memory_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

#include "models/hardware_spec.h"
#include "models/model_spec.h"
#include "tests/models/test_specs.h"

namespace servesim {
namespace {

using namespace ::servesim::test_specs;  // NOLINT: test specs

MemoryRequest Request(int64_t tp = 1) {
  MemoryRequest r;
  r.shape.tp = tp;
  return r;
}

TEST(MemoryModelTest, Llama8BFitsOnOneH100) {
  const ModelSpec m = Llama8B();
  const MemoryPlan plan = PlanMemory(m, H100(), Request());
  ASSERT_TRUE(plan.fits) << plan.reason;
  EXPECT_DOUBLE_EQ(plan.weight_bytes, m.TotalParams() * 2);  // 16.06e9 bytes, 14.96 GiB
  EXPECT_DOUBLE_EQ(plan.kv_bytes_per_token, 131072);         // 2 x 32 x 8 x 128 x 2
  // 8192 tokens x (4h + q + 2kv + 2f) bf16 activations + 256 fp32 logits rows + 1 GiB runtime.
  const double reserve =
      8192.0 * (4 * 4096 + 4096 + 2 * 1024 + 2 * 14336) * 2 + 256.0 * 128256 * 4 + kGiB;
  EXPECT_DOUBLE_EQ(plan.activation_reserve_bytes, reserve);
  EXPECT_DOUBLE_EQ(plan.kv_cache_bytes, 0.9 * 80 * kGiB - plan.weight_bytes - reserve);
  EXPECT_NEAR(plan.kv_cache_bytes / kGiB, 72 - 14.96 - 1.91, 0.05);
  const int64_t blocks = static_cast<int64_t>(std::floor(plan.kv_cache_bytes / (16 * 131072.0)));
  EXPECT_EQ(plan.num_kv_blocks, blocks);
  EXPECT_EQ(plan.num_kv_blocks, 28231);  // 55.14 GiB / 2 MiB per 16-token block
  EXPECT_EQ(plan.kv_capacity_tokens, blocks * 16);
}

// A plain MLP holds two FFN matrices per layer and its activations keep one f-wide output.
TEST(MemoryModelTest, PlainMlpHoldsTwoFfnMatrices) {
  ModelSpec gated = Llama8B();
  ModelSpec plain = gated;
  plain.gated_mlp = false;
  const MemoryPlan g = PlanMemory(gated, H100(), Request());
  const MemoryPlan p = PlanMemory(plain, H100(), Request());
  const double hf = 4096.0 * 14336;
  EXPECT_DOUBLE_EQ(g.weight_bytes - p.weight_bytes, 32 * hf * 2);
  EXPECT_DOUBLE_EQ(p.weight_bytes, plain.TotalParams() * 2);
  EXPECT_DOUBLE_EQ(g.activation_reserve_bytes - p.activation_reserve_bytes, 8192.0 * 14336 * 2);
}

TEST(MemoryModelTest, Llama70BDoesNotFitOnOneH100) {
  const MemoryPlan plan = PlanMemory(Llama70B(), H100(), Request());
  EXPECT_FALSE(plan.fits);
  EXPECT_EQ(plan.reason,
            "weights need 131.4 GiB per GPU but only 72.0 GiB (gpu_memory_utilization 0.90 x "
            "80.0 GiB) are available; use more GPUs (parallel.tp) or a smaller precision");
  EXPECT_EQ(plan.num_kv_blocks, 0);
}

TEST(MemoryModelTest, Llama70BFitsOnFourH100s) {
  const ModelSpec m = Llama70B();
  const MemoryPlan plan = PlanMemory(m, H100(), Request(4));
  ASSERT_TRUE(plan.fits) << plan.reason;
  // Everything but the (tiny) norms is split four ways.
  EXPECT_NEAR(plan.weight_bytes, m.TotalParams() * 2 / 4, 1e-4 * plan.weight_bytes);
  EXPECT_DOUBLE_EQ(plan.kv_bytes_per_token, 2.0 * 80 * 2 * 128 * 2);
}

TEST(MemoryModelTest, KvHeadsAreReplicatedPastTheirCount) {
  MemoryRequest r = Request(16);
  const MemoryPlan plan = PlanMemory(Llama8B(), H100(), r);
  ASSERT_TRUE(plan.fits) << plan.reason;
  EXPECT_DOUBLE_EQ(plan.kv_bytes_per_token, 2.0 * 32 * 1 * 128 * 2);  // one KV head per GPU
}

TEST(MemoryModelTest, Fp8KvHalvesBytesPerToken) {
  MemoryRequest r = Request();
  r.shape.kv_precision = Precision::kFp8;
  const MemoryPlan fp8 = PlanMemory(Llama8B(), H100(), r);
  const MemoryPlan bf16 = PlanMemory(Llama8B(), H100(), Request());
  EXPECT_DOUBLE_EQ(fp8.kv_bytes_per_token, bf16.kv_bytes_per_token / 2);
  EXPECT_DOUBLE_EQ(fp8.kv_cache_bytes, bf16.kv_cache_bytes);
  EXPECT_NEAR(static_cast<double>(fp8.num_kv_blocks) / bf16.num_kv_blocks, 2.0, 1e-3);
}

TEST(MemoryModelTest, Fp8WeightsKeepEmbeddingsInBf16) {
  const ModelSpec m = Llama8B();
  MemoryRequest r = Request();
  r.shape.weight_precision = Precision::kFp8;
  const MemoryPlan plan = PlanMemory(m, H100(), r);
  const double norms = 2.0 * m.hidden_size * m.num_layers;
  const double linear = m.num_layers * m.LayerParams() - norms;
  EXPECT_DOUBLE_EQ(plan.weight_bytes, linear * 1 + (norms + m.EmbeddingParams()) * 2);
}

TEST(MemoryModelTest, MixtralHoldsEveryExpert) {
  const ModelSpec m = Mixtral8x7B();
  const MemoryPlan plan = PlanMemory(m, H100(), Request());
  EXPECT_DOUBLE_EQ(plan.weight_bytes, m.TotalParams() * 2);  // 46.7e9 params: 87 GiB
  EXPECT_FALSE(plan.fits);
  const MemoryPlan two = PlanMemory(m, H100(), Request(2));
  EXPECT_TRUE(two.fits) << two.reason;
}

TEST(MemoryModelTest, TrtModeGivesAFractionOfFreeMemory) {
  MemoryRequest r = Request();
  r.kv_free_fraction = 0.9;
  const MemoryPlan plan = PlanMemory(Llama8B(), H100(), r);
  ASSERT_TRUE(plan.fits) << plan.reason;
  EXPECT_DOUBLE_EQ(plan.kv_cache_bytes,
                   0.9 * (80 * kGiB - plan.weight_bytes - plan.activation_reserve_bytes));
  const MemoryPlan vllm = PlanMemory(Llama8B(), H100(), Request());
  EXPECT_GT(plan.kv_cache_bytes, vllm.kv_cache_bytes);
}

TEST(MemoryModelTest, TrtModeWeightsTooLargeNamesTheGpu) {
  MemoryRequest r = Request();
  r.kv_free_fraction = 0.9;
  const MemoryPlan plan = PlanMemory(Llama70B(), H100(), r);
  EXPECT_FALSE(plan.fits);
  EXPECT_EQ(plan.reason,
            "weights need 131.4 GiB per GPU but only 80.0 GiB (the GPU's 80.0 GiB) are available; "
            "use more GPUs (parallel.tp) or a smaller precision");
}

TEST(MemoryModelTest, ActivationReserveLeavingNoKvFails) {
  MemoryRequest r = Request();
  r.gpu_memory_utilization = 0.2;  // 16 GiB: the 14.96 GiB of weights fit, the reserve does not
  const MemoryPlan plan = PlanMemory(Llama8B(), H100(), r);
  EXPECT_FALSE(plan.fits);
  EXPECT_EQ(plan.reason,
            "no memory left for the KV cache: weights 15.0 GiB + activation reserve 1.9 GiB "
            "exceed the 16.0 GiB available (gpu_memory_utilization 0.20 x 80.0 GiB); raise "
            "gpu_memory_utilization, use more GPUs (parallel.tp), a smaller precision, or lower "
            "max_num_batched_tokens / max_num_seqs");
}

TEST(MemoryModelTest, TrtModeActivationReserveLeavingNoKvFails) {
  ModelSpec m = Llama8B();
  m.num_layers = 190;  // 79.1 GiB of weights: fit in 80 GiB, leave no room for the reserve
  MemoryRequest r = Request();
  r.kv_free_fraction = 0.9;
  const MemoryPlan plan = PlanMemory(m, H100(), r);
  EXPECT_FALSE(plan.fits);
  EXPECT_EQ(plan.reason,
            "no memory left for the KV cache: weights 79.1 GiB + activation reserve 2.4 GiB "
            "exceed the 80.0 GiB available (the GPU's 80.0 GiB); use more GPUs (parallel.tp), a "
            "smaller precision, or lower max_num_tokens / max_batch_size");
}

TEST(MemoryModelTest, LessThanOneBlockFails) {
  MemoryRequest r = Request();
  r.block_size_tokens = 1 << 20;  // 128 GiB per block
  const MemoryPlan plan = PlanMemory(Llama8B(), H100(), r);
  EXPECT_FALSE(plan.fits);
  EXPECT_EQ(plan.num_kv_blocks, 0);
  EXPECT_EQ(plan.reason,
            "the KV cache gets 55.139 GiB per GPU, less than one block of 1048576 tokens "
            "(128.000 GiB); use more GPUs (parallel.tp) or more memory");
}

}  // namespace
// TensorRT-LLM's decoder keeps fp32 logits and top-p sort buffers for max_batch_size slots over
// the full vocabulary on every GPU (20 bytes per slot and entry); vLLM keeps fp32 logits of the
// local vocabulary slice only.
TEST(MemoryModelTest, TrtDecoderBuffersCoverTheFullVocabularyOnEveryGpu) {
  const ModelSpec m = Llama70B();
  MemoryRequest trt = Request(4);
  trt.kv_free_fraction = 0.9;
  MemoryRequest trt8 = Request(8);
  trt8.kv_free_fraction = 0.9;
  const double vocab = static_cast<double>(m.vocab_size);
  const double trt4_reserve = PlanMemory(m, H100(), trt).activation_reserve_bytes;
  const double trt8_reserve = PlanMemory(m, H100(), trt8).activation_reserve_bytes;
  const double vllm4_reserve = PlanMemory(m, H100(), Request(4)).activation_reserve_bytes;
  const double vllm8_reserve = PlanMemory(m, H100(), Request(8)).activation_reserve_bytes;
  // The activation terms shrink with tp in both modes; the difference between the modes is the
  // sampling buffers alone.
  EXPECT_NEAR(trt4_reserve - vllm4_reserve, 256 * vocab * 20 - 256 * (vocab / 4) * 4, 1.0);
  EXPECT_NEAR(trt8_reserve - vllm8_reserve, 256 * vocab * 20 - 256 * (vocab / 8) * 4, 1.0);
}

}  // namespace servesim
