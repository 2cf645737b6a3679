#include "calibrate/calibrate_cli.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <boost/program_options.hpp>

#include "calibrate/cpu_backend.h"
#include "calibrate/harness.h"
#include "calibrate/profile_io.h"
#include "calibrate/profile_summary.h"
#include "calibrate/projection.h"
#include "sim/config/input_error.h"
#include "sim/config/zoo.h"
#include "sim/report/build_info.h"

namespace servesim {
namespace po = boost::program_options;

namespace {

bool LooksLikePath(const std::string& s) {
  return s.find('/') != std::string::npos ||
         (s.size() > 5 && s.compare(s.size() - 5, 5, ".yaml") == 0);
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// Profiles measure dense models with gated (SwiGLU) FFNs; `flag` names where the model came from.
void CheckCalibratable(const ModelSpec& m, const std::string& flag) {
  if (m.IsMoe()) {
    throw InputError(fmt::format(
        "{}: {} is a mixture-of-experts model; servesim-calibrate measures dense models only", flag,
        m.name));
  }
  if (!m.gated_mlp) {
    throw InputError(fmt::format(
        "{}: {} has a plain (GELU) MLP; servesim-calibrate measures gated (SwiGLU) MLPs only", flag,
        m.name));
  }
}

// A zoo name or a YAML path, for --model (kind "models") and --gpu/--to (kind "hardware").
std::string ZooFile(const std::string& flag, const std::string& kind, const std::string& ref) {
  if (LooksLikePath(ref)) return ref;
  const std::vector<std::string> names = ListZoo(kind);
  if (std::find(names.begin(), names.end(), ref) == names.end()) {
    throw InputError(fmt::format("--{}: unknown {} '{}'; known: {}{}", flag,
                                 kind == "models" ? "model" : "GPU", ref, JoinNames(names),
                                 DidYouMean(ref, names)));
  }
  return ConfigRoot() + "/" + kind + "/" + ref + ".yaml";
}

po::variables_map Parse(const std::vector<std::string>& args, const po::options_description& desc,
                        const po::positional_options_description& positional) {
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(desc).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw InputError(fmt::format("servesim-calibrate: {}\n{}", e.what(), CalibrateUsage()));
  }
  return vm;
}

std::string Required(const po::variables_map& vm, const std::string& key) {
  if (!vm.count(key)) {
    throw InputError(fmt::format("servesim-calibrate: missing --{}\n{}", key, CalibrateUsage()));
  }
  return vm[key].as<std::string>();
}

std::string CommandLine(const std::vector<std::string>& args) {
  std::string s = "servesim-calibrate";
  for (const std::string& a : args) s += " " + a;
  return s;
}

int Project(const std::vector<std::string>& args, std::ostream& out) {
  po::options_description desc("project options");
  desc.add_options()("profile", po::value<std::string>(), "measured profile")(
      "to", po::value<std::string>(), "target GPU (zoo name or YAML)")(
      "out", po::value<std::string>(), "projected profile to write")(
      "model", po::value<std::string>(), "the profile's model, if not in the zoo (YAML)");
  po::positional_options_description positional;
  positional.add("profile", 1);
  const po::variables_map vm = Parse(args, desc, positional);
  const std::string path = Required(vm, "profile");
  const std::string to = Required(vm, "to");
  const std::string out_path = Required(vm, "out");
  const CalibrationProfile source = LoadProfile(path);
  const HardwareSpec target = LoadHardwareFile(ZooFile("to", "hardware", to));
  const std::string model_ref = vm.count("model") ? vm["model"].as<std::string>() : source.model;
  const ModelSpec model = LoadModelFile(ZooFile("model", "models", model_ref));
  if (model.name != source.model) {
    throw InputError(fmt::format("--model: {} is model '{}', but {} was measured for '{}'",
                                 model_ref, model.name, path, source.model));
  }
  CheckCalibratable(model, "--model");
  CalibrationProfile p = ProjectProfile(source, path, model, target);
  p.provenance.command_line = CommandLine(args);
  p.provenance.date = UtcNow();
  SaveProfile(out_path, p);
  fmt::print(out, "servesim-calibrate: projected {} ({}) onto {}: {}\n", path,
             source.provenance.device, target.name, out_path);
  if (source.hardware.empty()) {
    fmt::print(out,
               "note: the source profile's peaks were measured, not datasheet figures ({}); the "
               "projection assumes the target reaches its datasheet peaks as closely as the "
               "source reached its best measured rates\n",
               source.peaks_source);
  }
  return 0;
}

int Summary(const std::vector<std::string>& args, std::ostream& out) {
  po::options_description desc("summary options");
  desc.add_options()("profile", po::value<std::string>(), "profile to summarise");
  po::positional_options_description positional;
  positional.add("profile", 1);
  const std::string path = Required(Parse(args, desc, positional), "profile");
  PrintProfileSummary(LoadProfile(path), path, out);
  return 0;
}

po::options_description MeasureOptions() {
  po::options_description desc("options");
  const auto str = [] { return po::value<std::string>(); };
  desc.add_options()("help,h", "show this text")(
      "model", str(), "zoo model name or model YAML file (dense models)")(
      "tp", po::value<int64_t>()->default_value(1), "tensor-parallel degree (per-GPU shapes)")(
      "precision", str()->default_value("bf16"), "weights: bf16 | fp16 | fp8")(
      "kv-cache-precision", str()->default_value("auto"), "auto (= precision) | bf16 | fp16 | fp8")(
      "backend", str(), "cpu | cuda")("out", str(), "profile to write (JSON)")(
      "gpu", str(), "zoo GPU whose datasheet peaks the profile records (default: measured peaks)")(
      "grid", str()->default_value("default"), "default | tiny (a few points per op)")(
      "tokens", str(), "GEMM/elementwise token counts, e.g. 1,2,4,...")(
      "prefill-chunks", str(), "prefill attention chunk sizes")(
      "prefill-contexts", str(), "prefill attention context lengths (0 allowed)")(
      "decode-seqs", str(), "decode attention batch sizes")("decode-kv", str(),
                                                            "decode attention KV lengths")(
      "copy-bytes", str(), "bandwidth copy sizes")("comm-bytes", str(), "collective sizes")(
      "step-prefill", str(), "whole-step prefill tokens (0 allowed)")(
      "step-decode", str(), "whole-step decode sequences (0 allowed)")(
      "step-kv", str(), "whole-step decode KV lengths")("step-layers", po::value<int64_t>(),
                                                        "layers in the whole-step stack")(
      "warmup", po::value<int>(), "warm-up runs per point (cpu 1, cuda 5)")(
      "repeats", po::value<int>(), "timed runs per point, median kept (cpu 5, cuda 20)")(
      "block-size", po::value<int64_t>()->default_value(16), "paged KV block size (tokens)")(
      "seed", po::value<uint64_t>()->default_value(1), "random inputs")(
      "device", po::value<int>()->default_value(0), "CUDA device")("quiet", po::bool_switch(),
                                                                   "print nothing but errors");
  return desc;
}

// One grid list: the flag's value (validated), or the default with values beyond `hi` dropped.
void GridList(const po::variables_map& vm, const std::string& flag, int64_t lo, int64_t hi,
              std::vector<int64_t>* list) {
  if (vm.count(flag)) {
    *list = ParseGridList(flag, vm[flag].as<std::string>(), lo, hi);
    return;
  }
  list->erase(std::remove_if(list->begin(), list->end(), [&](int64_t v) { return v > hi; }),
              list->end());
}

CalibrationGrid MakeGrid(const po::variables_map& vm, const std::string& backend,
                         const ModelSpec& m) {
  const std::string kind = vm["grid"].as<std::string>();
  if (kind != "default" && kind != "tiny") {
    throw InputError(fmt::format("--grid: must be default or tiny, got '{}'", kind));
  }
  CalibrationGrid g = kind == "tiny"     ? CalibrationGrid::Tiny()
                      : backend == "cpu" ? CalibrationGrid::CpuDefault(LastLevelCacheBytes())
                                         : CalibrationGrid::CudaDefault();
  const int64_t max_pos = m.max_position_embeddings, big = int64_t{1} << 40;
  GridList(vm, "tokens", 1, 1 << 20, &g.tokens);
  GridList(vm, "prefill-chunks", 1, max_pos, &g.prefill_chunks);
  const int64_t longest_chunk = g.prefill_chunks.empty() ? 0 : g.prefill_chunks.back();
  GridList(vm, "prefill-contexts", 0, max_pos - longest_chunk, &g.prefill_contexts);
  GridList(vm, "decode-seqs", 1, 1 << 16, &g.decode_seqs);
  GridList(vm, "decode-kv", 1, max_pos, &g.decode_kv);
  GridList(vm, "copy-bytes", 4096, big, &g.copy_bytes);
  GridList(vm, "comm-bytes", 4, big, &g.comm_bytes);
  GridList(vm, "step-prefill", 0, max_pos, &g.step_prefill);
  GridList(vm, "step-decode", 0, 1 << 16, &g.step_decode);
  GridList(vm, "step-kv", 1, max_pos, &g.step_kv);
  if (vm.count("step-layers")) g.step_layers = vm["step-layers"].as<int64_t>();
  if (g.step_layers < 1) throw InputError("--step-layers: must be >= 1");
  for (const auto* list : {&g.tokens, &g.prefill_chunks, &g.prefill_contexts, &g.decode_seqs,
                           &g.decode_kv, &g.step_prefill, &g.step_decode, &g.step_kv}) {
    if (list->empty()) {
      throw InputError(
          fmt::format("the grid has an empty list for model '{}' (max_position_"
                      "embeddings {}); give it explicitly",
                      m.name, max_pos));
    }
  }
  return g;
}

}  // namespace

std::string CalibrateUsage() {
  return "usage: servesim-calibrate --model NAME|FILE --tp N --precision bf16|fp16|fp8\n"
         "           --backend cpu|cuda --out FILE [grid and timing options]\n"
         "       servesim-calibrate project PROFILE --to GPU --out FILE [--model NAME|FILE]\n"
         "       servesim-calibrate summary PROFILE  (achieved rates vs peaks, fit errors)\n"
         "       servesim-calibrate --help      (all options)\n"
         "       servesim-calibrate --version\n";
}

namespace {

Timing MakeTiming(const po::variables_map& vm, const std::string& backend) {
  Timing t = backend == "cpu" ? Timing{1, 5} : Timing{5, 20};
  if (vm.count("warmup")) t.warmup = vm["warmup"].as<int>();
  if (vm.count("repeats")) t.repeats = vm["repeats"].as<int>();
  if (t.warmup < 0 || t.warmup > 1000) {
    throw InputError(fmt::format("--warmup: must be in [0, 1000], got {}", t.warmup));
  }
  if (t.repeats < 1 || t.repeats > 10000) {
    throw InputError(fmt::format("--repeats: must be in [1, 10000], got {}", t.repeats));
  }
  return t;
}

Precision PrecisionFlag(const std::string& flag, const std::string& value) {
  const std::vector<std::string>& names = PrecisionNames();
  if (std::find(names.begin(), names.end(), value) == names.end()) {
    throw InputError(fmt::format("--{}: must be one of {}, got '{}'{}", flag, JoinNames(names),
                                 value, DidYouMean(value, names)));
  }
  return ParsePrecision(value);
}

// Model, tp and precisions from the flags, validated.
CalibrationRequest MakeRequest(const po::variables_map& vm, const std::string& backend) {
  CalibrationRequest r;
  const std::string model_ref = Required(vm, "model");
  r.model = LoadModelFile(ZooFile("model", "models", model_ref));
  CheckCalibratable(r.model, "--model");
  r.shape.tp = vm["tp"].as<int64_t>();
  // The same rules as a scenario's parallel.tp (sim/config/scenario.cc).
  if (r.shape.tp < 1 || r.shape.tp > 1024) {
    throw InputError(fmt::format("--tp: must be in [1, 1024], got {}", r.shape.tp));
  }
  const std::string tp_rule = r.model.TensorParallelViolation(r.shape.tp);
  if (!tp_rule.empty()) throw InputError(fmt::format("--tp: {}", tp_rule));
  r.shape.weight_precision = PrecisionFlag("precision", vm["precision"].as<std::string>());
  r.shape.activation_precision =
      r.shape.weight_precision == Precision::kFp16 ? Precision::kFp16 : Precision::kBf16;
  const std::string kv = vm["kv-cache-precision"].as<std::string>();
  r.shape.kv_precision =
      kv == "auto" ? r.shape.weight_precision : PrecisionFlag("kv-cache-precision", kv);
  if (backend == "cpu" &&
      (r.shape.weight_precision == Precision::kFp8 || r.shape.kv_precision == Precision::kFp8)) {
    throw InputError(
        "--precision: the cpu backend measures bf16 and fp16 only (it computes in "
        "fp32)");
  }
  if (vm.count("gpu")) {
    r.gpu = LoadHardwareFile(ZooFile("gpu", "hardware", vm["gpu"].as<std::string>()));
    if (r.gpu->PeakFlops(r.shape.weight_precision) <= 0) {
      throw InputError(fmt::format("--gpu: GPU '{}' has no {} tensor cores", r.gpu->name,
                                   PrecisionName(r.shape.weight_precision)));
    }
  }
  r.block_size = vm["block-size"].as<int64_t>();
  if (r.block_size < 1 || r.block_size > 1024) {
    throw InputError(fmt::format("--block-size: must be in [1, 1024], got {}", r.block_size));
  }
  r.grid = MakeGrid(vm, backend, r.model);
  return r;
}

std::unique_ptr<Backend> MakeBackend(const std::string& name, const BackendOptions& options,
                                     const std::map<std::string, BackendFactory>& extra) {
  if (name == "cpu")
    return std::make_unique<CpuBackend>(options.dims, options.timing, options.seed);
  const auto it = extra.find(name);
  if (it != extra.end()) return it->second(options);
  if (name == "cuda") {
    throw InputError(
        "--backend: this build has no CUDA backend (configure with "
        "-DSERVESIM_WITH_CUDA=ON on a machine with the CUDA toolkit)");
  }
  std::vector<std::string> names = {"cpu"};
  for (const auto& [n, f] : extra) names.push_back(n);
  throw InputError(fmt::format("--backend: unknown backend '{}'; this build has: {}{}", name,
                               JoinNames(names), DidYouMean(name, names)));
}

}  // namespace

int RunCalibrateCli(const std::vector<std::string>& args, std::ostream& out,
                    const std::map<std::string, BackendFactory>& extra_backends) {
  if (args.size() == 1 && args[0] == "--version") {
    out << "servesim-calibrate " << SERVESIM_VERSION << " (git " << GitCommit() << ")\n";
    return 0;
  }
  if (!args.empty() && (args[0] == "project" || args[0] == "summary")) {
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    return args[0] == "project" ? Project(rest, out) : Summary(rest, out);
  }
  const po::options_description desc = MeasureOptions();
  const po::variables_map vm = Parse(args, desc, {});
  if (vm.count("help")) {
    out << CalibrateUsage() << desc;
    return 0;
  }
  const std::string backend_name = Required(vm, "backend");
  const std::string out_path = Required(vm, "out");
  CalibrationRequest request = MakeRequest(vm, backend_name);
  request.command_line = CommandLine(args);
  BackendOptions options{KernelDimsOf(request.model, request.shape, request.block_size),
                         MakeTiming(vm, backend_name), vm["seed"].as<uint64_t>(),
                         vm["device"].as<int>()};
  const std::unique_ptr<Backend> backend = MakeBackend(backend_name, options, extra_backends);
  const bool quiet = vm["quiet"].as<bool>();
  const CalibrationProfile profile = RunCalibration(request, *backend, quiet ? nullptr : &out);
  SaveProfile(out_path, profile);
  if (!quiet) fmt::print(out, "servesim-calibrate: wrote {}\n", out_path);
  return 0;
}

}  // namespace servesim
