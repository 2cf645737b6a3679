#include "sim/studies/sweep_store.h"

#include <fmt/format.h>

#include <filesystem>

#include "sim/config/input_error.h"
#include "sim/config/whole_number.h"
#include "sim/core/check.h"
#include "sim/core/rng.h"
#include "sim/report/atomic_file.h"
#include "sim/report/version.h"
#include "sim/studies/table_text.h"

namespace servesim {
namespace {

namespace fs = std::filesystem;

std::string RowsText(const std::string& header, const std::vector<ResultRow>& rows, bool csv) {
  std::string text = header;
  for (const ResultRow& r : rows) text += csv ? r.csv : r.jsonl;
  return text;
}

std::ofstream OpenAppend(const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  if (!out) throw InputError(fmt::format("{}: cannot write file", path));
  return out;
}

int64_t ParseShardPart(const std::string& text, const std::string& part) {
  const std::optional<int64_t> v = ParseWholeNumber(part);
  if (!v) throw InputError(fmt::format("--shard {}: expected i/N with integers, e.g. 0/4", text));
  return *v;
}

}  // namespace

std::string ShardSpec::ToString() const { return fmt::format("{}/{}", index, count); }

ShardSpec ParseShard(const std::string& text) {
  const size_t slash = text.find('/');
  if (slash == std::string::npos) {
    throw InputError(fmt::format("--shard {}: expected i/N, e.g. 0/4", text));
  }
  ShardSpec s;
  s.index = ParseShardPart(text, text.substr(0, slash));
  s.count = ParseShardPart(text, text.substr(slash + 1));
  if (s.count < 1 || s.index < 0 || s.index >= s.count) {
    throw InputError(fmt::format("--shard {}: need 0 <= i < N (shards are numbered from 0)", text));
  }
  return s;
}

nlohmann::ordered_json SweepManifest::ToJson() const {
  nlohmann::ordered_json j;
  j["sweep"] = sweep_file;
  j["base"] = base_path;
  j["fingerprint"] = fingerprint;
  j["num_points"] = num_points;
  j["shard"] = shard.ToString();
  j["inputs"] = input_keys;
  StampVersion(&j);
  return j;
}

SweepManifest SweepManifest::FromJson(const nlohmann::json& j, const std::string& where) {
  SweepManifest m;
  try {
    m.sweep_file = j.at("sweep").get<std::string>();
    m.base_path = j.at("base").get<std::string>();
    m.fingerprint = j.at("fingerprint").get<std::string>();
    m.num_points = j.at("num_points").get<int64_t>();
    m.input_keys = j.at("inputs").get<std::vector<std::string>>();
    m.shard = ParseShard(j.at("shard").get<std::string>());
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("{}: not a sweep manifest: {}", where, e.what()));
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: not a sweep manifest: {}", where, e.what()));
  }
  return m;
}

SweepManifest MakeManifest(const SweepSpec& spec, const ShardSpec& shard) {
  SweepManifest m;
  m.sweep_file = spec.file;
  m.base_path = spec.base_path;
  m.num_points = spec.NumPoints();
  m.shard = shard;
  m.input_keys = spec.InputKeys();
  std::string key = fmt::format("servesim {}\n{}\n", SERVESIM_VERSION, spec.base_text);
  for (const Override& o : spec.set) key += fmt::format("set {}={}\n", o.key, o.value);
  for (const SweepAxis& a : spec.axes) {
    for (const std::vector<Override>& value : a.values) {
      key += "axis";
      for (const Override& o : value) key += fmt::format(" {}={}", o.key, o.value);
      key += "\n";
    }
  }
  m.fingerprint = fmt::format("{:016x}", StableHash(key));
  return m;
}

SweepManifest ReadManifest(const std::string& dir) {
  const std::string path = ManifestPath(dir);
  const nlohmann::json j = nlohmann::json::parse(ReadWholeFile(path), nullptr, false);
  if (j.is_discarded()) throw InputError(fmt::format("{}: not valid JSON", path));
  return SweepManifest::FromJson(j, path);
}

std::string ResultsCsvPath(const std::string& dir) {
  return (fs::path(dir) / "results.csv").string();
}
std::string ResultsJsonlPath(const std::string& dir) {
  return (fs::path(dir) / "results.jsonl").string();
}
std::string ManifestPath(const std::string& dir) { return (fs::path(dir) / "sweep.json").string(); }

StoredResults ReadStoredResults(const std::string& dir) {
  StoredResults out;
  std::string tail;
  const std::string csv_path = ResultsCsvPath(dir), jsonl_path = ResultsJsonlPath(dir);
  std::vector<std::string> csv = CompleteLines(ReadWholeFile(csv_path), &tail);
  const std::vector<std::string> jsonl = CompleteLines(ReadWholeFile(jsonl_path), &tail);
  if (csv.empty()) return out;  // not even a complete header
  out.csv_header = csv[0] + "\n";
  for (size_t k = 0; k < jsonl.size() && k + 1 < csv.size(); ++k) {
    const std::string where = fmt::format("{}:{}", jsonl_path, k + 1);
    ResultRow row;
    row.point = JsonlRowPoint(jsonl[k], where);
    if (CsvRowPoint(csv[k + 1], fmt::format("{}:{}", csv_path, k + 2)) != row.point) break;
    row.csv = csv[k + 1] + "\n";
    row.jsonl = jsonl[k] + "\n";
    out.rows.push_back(std::move(row));
  }
  return out;
}

SweepStore::SweepStore(const std::string& dir, const SweepManifest& manifest,
                       const std::string& csv_header, const std::vector<int64_t>& points,
                       bool resume)
    : dir_(dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw InputError(fmt::format("{}: cannot create directory: {}", dir, ec.message()));
  const bool exists = fs::exists(ManifestPath(dir)) || fs::exists(ResultsCsvPath(dir)) ||
                      fs::exists(ResultsJsonlPath(dir));
  if (exists && !resume) {
    throw InputError(fmt::format(
        "{}: already holds sweep results; pass --resume to continue them, or choose another --out",
        dir));
  }
  if (exists && fs::exists(ManifestPath(dir))) {
    const SweepManifest old = ReadManifest(dir);
    if (old.fingerprint != manifest.fingerprint ||
        old.shard.ToString() != manifest.shard.ToString()) {
      throw InputError(fmt::format(
          "{}: holds results of another sweep or shard (fingerprint {}, shard {}; this is {}, {}); "
          "choose another --out",
          ManifestPath(dir), old.fingerprint, old.shard.ToString(), manifest.fingerprint,
          manifest.shard.ToString()));
    }
  }
  WriteFileAtomically(ManifestPath(dir), manifest.ToJson().dump(2) + "\n");
  Resume(csv_header, points);
  csv_ = OpenAppend(ResultsCsvPath(dir));
  jsonl_ = OpenAppend(ResultsJsonlPath(dir));
}

void SweepStore::Resume(const std::string& csv_header, const std::vector<int64_t>& points) {
  StoredResults stored;
  if (fs::exists(ResultsCsvPath(dir_)) && fs::exists(ResultsJsonlPath(dir_))) {
    stored = ReadStoredResults(dir_);
  }
  if (!stored.csv_header.empty() && stored.csv_header != csv_header) {
    throw InputError(fmt::format(
        "{}: its columns differ from this servesim's (written by another version?); choose "
        "another --out",
        ResultsCsvPath(dir_)));
  }
  std::vector<ResultRow> kept;
  for (ResultRow& row : stored.rows) {
    if (kept.size() >= points.size() || row.point != points[kept.size()]) break;
    kept.push_back(std::move(row));
  }
  num_done_ = static_cast<int64_t>(kept.size());
  // Rewrite both files to exactly the kept rows unless they already are (torn tail, extra row).
  const std::string csv = RowsText(csv_header, kept, true), jsonl = RowsText("", kept, false);
  const auto same = [](const std::string& path, const std::string& text) {
    return fs::exists(path) && fs::file_size(path) == text.size();
  };
  if (!same(ResultsCsvPath(dir_), csv)) WriteFileAtomically(ResultsCsvPath(dir_), csv);
  if (!same(ResultsJsonlPath(dir_), jsonl)) WriteFileAtomically(ResultsJsonlPath(dir_), jsonl);
}

void SweepStore::Append(const ResultRow& row) {
  jsonl_ << row.jsonl;
  jsonl_.flush();
  csv_ << row.csv;
  csv_.flush();
  if (!jsonl_ || !csv_) throw InputError(fmt::format("{}: write failed", dir_));
}

}  // namespace servesim
