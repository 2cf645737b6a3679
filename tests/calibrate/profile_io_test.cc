// Profiles round-trip through JSON exactly; malformed and mismatched profiles are rejected with
// messages that name the file, the key and the rule.
#include "calibrate/profile_io.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "sim/config/input_error.h"
#include "sim/config/scenario.h"
#include "sim/step_model_factory.h"
#include "tests/calibrate/synthetic_profile.h"

namespace servesim {
namespace {

using test_profiles::SyntheticProfile;
using test_profiles::TinyModel;

std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string Json() { return ProfileToJson(SyntheticProfile(TinyModel(), {})); }

// The profile's JSON with one edit applied.
std::string Edited(const std::function<void(nlohmann::json&)>& edit) {
  nlohmann::json j = nlohmann::json::parse(Json());
  edit(j);
  return j.dump();
}

std::string LoadError(const std::string& text) {
  return ErrorOf([&] { ProfileFromJson(text, "p.json"); });
}

TEST(ProfileTest, RoundTripIsExact) {
  CalibrationProfile p = SyntheticProfile(TinyModel(), {});
  p.provenance.device = "test cpu";
  p.provenance.date = "2026-01-02T03:04:05Z";
  p.projected = Projection{"a.json", "dev", "h100-sxm-80gb", {1, 2, 3, 4}};
  p.steps = {{64, 4, 128, 1.5e-3, 1.4e-3}};
  p.step_layers = 4;
  p.ops.back().extra_points.push_back({{4, 300}, 1e-5, 1, 2, 0, {16, 100, 84, 1000}});
  const std::string a = ProfileToJson(p);
  const CalibrationProfile q = ProfileFromJson(a, "p.json");
  EXPECT_EQ(ProfileToJson(q), a);
  EXPECT_EQ(q.ops.size(), p.ops.size());
  EXPECT_EQ(q.Find(CalOp::kDecodeAttention)->extra_points.at(0).kv_lengths,
            (std::vector<int64_t>{16, 100, 84, 1000}));
  EXPECT_EQ(q.projected->source_hardware, "h100-sxm-80gb");
}

TEST(ProfileTest, SaveAndLoadAFile) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("servesim_profile_test_" + std::to_string(getpid()) + ".json"))
                               .string();
  SaveProfile(path, SyntheticProfile(TinyModel(), {}));
  EXPECT_EQ(ProfileToJson(LoadProfile(path)), Json());
  std::filesystem::remove(path);
  EXPECT_EQ(ErrorOf([&] { LoadProfile(path); }), path + ": cannot open calibration profile");
}

TEST(ProfileTest, RejectsMalformedProfiles) {
  EXPECT_EQ(LoadError("{\"format\": "), "p.json: not valid JSON (parse error at byte 12)");
  EXPECT_EQ(LoadError("[1]"),
            "p.json: not a servesim calibration profile (expected a JSON object)");
  EXPECT_EQ(LoadError(Edited([](auto& j) { j["format"] = "other"; })),
            "p.json: not a servesim calibration profile (format must be "
            "'servesim-calibration-profile')");
  EXPECT_EQ(LoadError(Edited([](auto& j) { j["version"] = 7; })),
            "p.json: version: profile version 7 is not supported (this servesim reads version 1)");
  EXPECT_EQ(LoadError(Edited([](auto& j) { j.erase("tp"); })), "p.json: missing key 'tp'");
  EXPECT_EQ(LoadError(Edited([](auto& j) { j["precision"] = "bf61"; })),
            "p.json: precision: must be one of bf16, fp16, fp8, got 'bf61' (did you mean 'bf16'?)");
  EXPECT_EQ(LoadError(Edited([](auto& j) { j["ops"]["gemm.qkv"]["points"][3]["time_s"] = -1; })),
            "p.json: ops.gemm.qkv.points[3].time_s: must be > 0, got -1");
  EXPECT_EQ(LoadError(Edited([](auto& j) { j["ops"]["gemm.qvk"] = j["ops"]["gemm.qkv"]; })),
            "p.json: ops: unknown key 'gemm.qvk' (did you mean 'gemm.qkv'?)");
  EXPECT_EQ(LoadError(Edited([](auto& j) { j["ops"]["gemm.o"]["points"].erase(2); })),
            "p.json: ops.gemm.o.points: must hold one point per grid value (10), got 9");
  EXPECT_EQ(LoadError(Edited([](auto& j) { j["ops"]["gemm.o"]["grid"]["tokens"][1] = 1; })),
            "p.json: ops.gemm.o.grid.tokens[1]: grid values must increase strictly");
  EXPECT_EQ(LoadError(Edited([](auto& j) { j["ops"]["gemm.o"]["axes"] = {"rows"}; })),
            "p.json: ops.gemm.o.axes: must be [\"tokens\"] for gemm.o");
  EXPECT_EQ(LoadError(Edited([](auto& j) { j["ops"]["gemm.o"]["fit"]["form"] = "memory"; })),
            "p.json: ops.gemm.o.fit.form: must be 'roofline' for gemm.o");
  EXPECT_EQ(
      LoadError(Edited([](auto& j) { j["ops"]["gemm.o"]["fit"]["pieces"][0]["coef"] = {1}; })),
      "p.json: ops.gemm.o.fit.pieces[0].coef: must have 2 coefficients, got 1");
}

TEST(ProfileTest, MismatchesNameTheProfileAndTheDifference) {
  const CalibrationProfile p = SyntheticProfile(TinyModel(), {});
  ModelSpec other = TinyModel();
  other.name = "llama-3.1-8b";
  EXPECT_EQ(ProfileMismatch(p, "p.json", TinyModel(), {}, "h100-sxm-80gb"), "");
  EXPECT_EQ(ProfileMismatch(p, "p.json", other, {}, "h100-sxm-80gb"),
            "profile 'p.json' is for model 'tiny-llama-test', but the scenario runs model "
            "'llama-3.1-8b'");
  DeploymentShape shape;
  shape.tp = 2;
  EXPECT_EQ(ProfileMismatch(p, "p.json", TinyModel(), shape, ""),
            "profile 'p.json' is for tp 1, but the scenario runs tp 2");
  shape = {};
  shape.weight_precision = Precision::kFp8;
  EXPECT_EQ(ProfileMismatch(p, "p.json", TinyModel(), shape, ""),
            "profile 'p.json' is for precision bf16, but the scenario runs precision fp8");
  shape = {};
  shape.kv_precision = Precision::kFp8;
  EXPECT_EQ(ProfileMismatch(p, "p.json", TinyModel(), shape, ""),
            "profile 'p.json' is for kv_cache_precision bf16, but the scenario runs "
            "kv_cache_precision fp8");
  CalibrationProfile on_gpu = p;
  on_gpu.hardware = "h200-sxm-141gb";
  EXPECT_EQ(ProfileMismatch(on_gpu, "p.json", TinyModel(), {}, "h100-sxm-80gb"),
            "profile 'p.json' is for GPU 'h200-sxm-141gb', but the scenario runs GPU "
            "'h100-sxm-80gb'");
}

TEST(ProfileTest, ScenarioWithAMismatchedProfileFailsToBuildItsStepModel) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("servesim_mismatch_profile_" + std::to_string(getpid()) + ".json"))
                               .string();
  SaveProfile(path, SyntheticProfile(TinyModel(), {}));
  const Scenario s = ParseScenario(
      ConfigNode::LoadString(
          "model: llama-3.1-8b\nhardware: {gpu: h100-sxm-80gb}\n"
          "workload: {arrival: {rate: 1}, num_requests: 1, input_tokens: 10, output_tokens: 10}\n"
          "calibration: " +
              path + "\n",
          "s.yaml"),
      std::nullopt);
  EXPECT_EQ(ErrorOf([&] { MakeStepModel(s); }),
            "s.yaml: calibration: profile '" + path +
                "' is for model 'tiny-llama-test', but the scenario runs model 'llama-3.1-8b'");
  std::filesystem::remove(path);
}

// Profiles measure gated (SwiGLU) FFNs; a plain-MLP model is refused before the profile is read.
TEST(ProfileTest, PlainMlpModelCannotUseAProfile) {
  EXPECT_EQ(ErrorOf([] {
              ParseScenario(ConfigNode::LoadString(
                                "model: gpt-j-6b\nhardware: {gpu: h100-sxm-80gb}\n"
                                "workload: {arrival: {rate: 1}, num_requests: 1, input_tokens: 10, "
                                "output_tokens: 10}\n"
                                "calibration: /nonexistent/profile.json\n",
                                "s.yaml"),
                            std::nullopt);
            }),
            "s.yaml:4:14: calibration: profiles price gated (SwiGLU) MLPs only; model 'gpt-j-6b' "
            "has a plain MLP");
}

}  // namespace
}  // namespace servesim
