#include "sim/config/config_node.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/config/input_error.h"
#include "tests/util/error_of.h"

namespace servesim {
namespace {

// Runs `fn` and returns the InputError message it throws ("no error" if none).
template <typename Fn>
std::string ErrorOf(Fn fn) {
  return test_util::InputErrorOf(fn);
}

ConfigNode Doc(const std::string& text) { return ConfigNode::LoadString(text, "configs/x.yaml"); }

TEST(ConfigNodeTest, RangeErrorsNameFileLineColumnAndKey) {
  const ConfigNode root = Doc("engine:\n  max_num_seqs: -3\n  frac: 0\n  n: 10\n");
  const ConfigNode engine = root.Child("engine");
  EXPECT_EQ(ErrorOf([&] { engine.Child("max_num_seqs").AsInt(Positive()); }),
            "configs/x.yaml:2:17: engine.max_num_seqs: must be > 0, got -3");
  EXPECT_EQ(ErrorOf([&] { engine.Child("max_num_seqs").AsDouble(NonNegative()); }),
            "configs/x.yaml:2:17: engine.max_num_seqs: must be >= 0, got -3");
  EXPECT_EQ(ErrorOf([&] { engine.Child("frac").AsDouble(Fraction()); }),
            "configs/x.yaml:3:9: engine.frac: must be in (0, 1], got 0");
  EXPECT_EQ(ErrorOf([&] { engine.Child("n").AsInt(Between(1, 9)); }),
            "configs/x.yaml:4:6: engine.n: must be in [1, 9], got 10");
  EXPECT_EQ(ErrorOf([&] {
              engine.Child("n").AsInt(Range{std::nullopt, 2.5});
            }),
            "configs/x.yaml:4:6: engine.n: must be <= 2.5, got 10");
  EXPECT_EQ(engine.Child("n").AsInt(AtLeast(10)), 10);
}

TEST(ConfigNodeTest, TypeErrors) {
  const ConfigNode root = Doc("a: abc\nb: [1, 2]\nc: {x: 1}\nd: maybe\n");
  EXPECT_EQ(ErrorOf([&] { root.Child("a").AsInt(); }),
            "configs/x.yaml:1:4: a: expected an integer, got 'abc'");
  EXPECT_EQ(ErrorOf([&] { root.Child("a").AsDouble(); }),
            "configs/x.yaml:1:4: a: expected a number, got 'abc'");
  EXPECT_EQ(ErrorOf([&] { root.Child("b").AsInt(); }),
            "configs/x.yaml:2:4: b: expected a single value, got a list");
  EXPECT_EQ(ErrorOf([&] { root.Child("c").AsString(); }),
            "configs/x.yaml:3:4: c: expected a single value, got a mapping");
  EXPECT_EQ(ErrorOf([&] { root.Child("c").Elements(); }),
            "configs/x.yaml:3:4: c: expected a list, got a mapping");
  EXPECT_EQ(ErrorOf([&] { root.Child("a").ExpectMap(); }),
            "configs/x.yaml:1:4: a: expected a mapping, got 'abc'");
  EXPECT_EQ(ErrorOf([&] { root.Child("d").AsBool(); }),
            "configs/x.yaml:4:4: d: expected true or false, got 'maybe'");
}

TEST(ConfigNodeTest, MissingKeysPointAtTheParent) {
  const ConfigNode root = Doc("engine:\n  block_size: 16\n");
  EXPECT_EQ(ErrorOf([&] { root.Child("engine").Require("max_num_seqs"); }),
            "configs/x.yaml:2:3: engine.max_num_seqs: missing required key");
  EXPECT_EQ(ErrorOf([&] { root.Child("engine").Child("max_num_seqs").AsInt(); }),
            "configs/x.yaml:2:3: engine.max_num_seqs: missing required value");
  EXPECT_FALSE(root.Has("model"));
  EXPECT_EQ(root.GetInt("model", 7), 7);
  EXPECT_EQ(root.Child("engine").GetInt("block_size", 7), 16);
}

TEST(ConfigNodeTest, YamlSyntaxErrorHasLineAndColumn) {
  EXPECT_EQ(ErrorOf([] { Doc("a: 1\nb: [1, 2\nc: 3\n"); }),
            "configs/x.yaml:3:2: invalid YAML: end of sequence flow not found");
  EXPECT_EQ(ErrorOf([] { ConfigNode::LoadFile("/no/such/file.yaml"); }),
            "/no/such/file.yaml: cannot open file");
  const std::string dir = ::testing::TempDir();
  EXPECT_EQ(ErrorOf([&] { ConfigNode::LoadFile(dir); }), dir + ": is a directory, not a YAML file");
}

TEST(ConfigNodeTest, AsIntIsStrict) {
  const ConfigNode root = Doc("a: 1.5\nb: 1e6\nc: -42\nd: 1e400\n");
  EXPECT_EQ(ErrorOf([&] { root.Child("a").AsInt(); }),
            "configs/x.yaml:1:4: a: expected an integer, got '1.5'");
  EXPECT_EQ(root.Child("b").AsInt(), 1000000);
  EXPECT_EQ(root.Child("c").AsInt(), -42);
  EXPECT_EQ(ErrorOf([&] { root.Child("d").AsInt(); }),
            "configs/x.yaml:4:4: d: expected an integer, got '1e400'");
}

TEST(ConfigNodeTest, AsDoubleRejectsNanAndInfinity) {
  const ConfigNode root = Doc("a: nan\nb: inf\nc: .inf\nd: 2.5e-3\ne: 1e400\n");
  EXPECT_EQ(ErrorOf([&] { root.Child("a").AsDouble(); }),
            "configs/x.yaml:1:4: a: expected a finite number, got 'nan'");
  EXPECT_EQ(ErrorOf([&] { root.Child("b").AsDouble(); }),
            "configs/x.yaml:2:4: b: expected a finite number, got 'inf'");
  EXPECT_EQ(ErrorOf([&] { root.Child("c").AsDouble(); }),
            "configs/x.yaml:3:4: c: expected a finite number, got '.inf'");
  EXPECT_DOUBLE_EQ(root.Child("d").AsDouble(), 2.5e-3);
  EXPECT_EQ(ErrorOf([&] { root.Child("e").AsDouble(); }),
            "configs/x.yaml:5:4: e: expected a finite number, got '1e400'");
}

TEST(ConfigNodeTest, AsDoubleNamesEveryYamlSpellingOfNanAndInfinity) {
  const ConfigNode root = Doc("a: .NaN\nb: -.Inf\nc: +.INF\nd: .nan\n");
  for (const char* key : {"a", "b", "c", "d"}) {
    EXPECT_NE(ErrorOf([&] { root.Child(key).AsDouble(); }).find("expected a finite number"),
              std::string::npos)
        << key;
  }
  EXPECT_EQ(ErrorOf([&] { root.Child("b").AsDouble(); }),
            "configs/x.yaml:2:4: b: expected a finite number, got '-.Inf'");
}

TEST(ConfigNodeTest, RepeatedKeysAreErrors) {
  const ConfigNode root = Doc("a: 1\nb:\n  x: 1\n  y: 2\n  x: 3\n");
  EXPECT_EQ(ErrorOf([&] {
              root.Child("b").CheckKeys({"x", "y"});
            }),
            "configs/x.yaml:5:3: b.x: duplicate key (first given on line 3)");
  EXPECT_EQ(ErrorOf([&] { root.Child("b").Keys(); }),
            "configs/x.yaml:5:3: b.x: duplicate key (first given on line 3)");
  EXPECT_EQ(root.Keys(), (std::vector<std::string>{"a", "b"}));
}

TEST(ConfigNodeTest, AsEnumSuggestsTheNearestChoice) {
  const ConfigNode root = Doc("policy: prority\nother: fcsf\nok: priority\n");
  const std::vector<std::string> choices = {"fcfs", "priority"};
  EXPECT_EQ(ErrorOf([&] { root.Child("policy").AsEnum(choices); }),
            "configs/x.yaml:1:9: policy: must be one of fcfs, priority, got 'prority' (did you "
            "mean 'priority'?)");
  // A transposition of adjacent letters counts as one edit.
  EXPECT_EQ(ErrorOf([&] { root.Child("other").AsEnum(choices); }),
            "configs/x.yaml:2:8: other: must be one of fcfs, priority, got 'fcsf' (did you mean "
            "'fcfs'?)");
  EXPECT_EQ(root.Child("ok").AsEnum(choices), "priority");
  EXPECT_EQ(root.GetEnum("missing", "fcfs", choices), "fcfs");
}

TEST(ConfigNodeTest, CheckKeysSuggestsTheNearestKey) {
  const ConfigNode root = Doc("engine:\n  max_num_seq: 8\n  block_size: 16\n");
  const ConfigNode engine = root.Child("engine");
  EXPECT_EQ(ErrorOf([&] {
              engine.CheckKeys({"max_num_seqs", "block_size"});
            }),
            "configs/x.yaml:2:3: engine.max_num_seq: unknown key (did you mean 'max_num_seqs'?)");
  EXPECT_EQ(ErrorOf([&] { engine.CheckKeys({"block_size"}); }),
            "configs/x.yaml:2:3: engine.max_num_seq: unknown key");
  EXPECT_EQ(ErrorOf([&] { engine.CheckKeys({"max_num_seq", "block_size"}); }), "no error");
  EXPECT_EQ(engine.Keys(), (std::vector<std::string>{"max_num_seq", "block_size"}));
}

TEST(ConfigNodeTest, ElementsCarryIndexedPaths) {
  const ConfigNode root = Doc("xs:\n  - 1\n  - -2\n");
  const std::vector<ConfigNode> xs = root.Child("xs").Elements();
  ASSERT_EQ(xs.size(), 2u);
  EXPECT_EQ(xs[0].AsInt(), 1);
  EXPECT_EQ(ErrorOf([&] { xs[1].AsInt(Positive()); }),
            "configs/x.yaml:3:5: xs[1]: must be > 0, got -2");
}

TEST(ConfigNodeTest, OverridesCreateNestedKeysAndParseYamlValues) {
  const ConfigNode root = Doc("model: llama\n");
  const ConfigNode out =
      ApplyOverrides(root, {"engine.sched.max_num_seqs=128",
                            "workload.input={dist: uniform, min: 1, max: 9}", "model=other"});
  const ConfigNode max = out.Child("engine").Child("sched").Child("max_num_seqs");
  EXPECT_TRUE(max.IsScalar());
  EXPECT_EQ(max.AsInt(), 128);
  const ConfigNode input = out.Child("workload").Child("input");
  ASSERT_TRUE(input.IsMap());
  EXPECT_EQ(input.Child("dist").AsString(), "uniform");
  EXPECT_EQ(input.Child("min").AsInt(), 1);
  EXPECT_EQ(input.Child("max").AsInt(), 9);
  EXPECT_EQ(out.Child("model").AsString(), "other");
  // The original document is untouched.
  EXPECT_EQ(root.Child("model").AsString(), "llama");
  EXPECT_FALSE(root.Has("engine"));
  EXPECT_TRUE(root.Source().overrides.empty());
  EXPECT_EQ(out.Source().overrides.at("engine.sched.max_num_seqs"), "128");
}

TEST(ConfigNodeTest, OverriddenValuesAreLocatedAtTheFlag) {
  const ConfigNode root = Doc("engine:\n  max_num_seqs: 8\n");
  const ConfigNode out =
      ApplyOverrides(root, {"engine.max_num_seqs=-3", "workload.input={dist: unifrm}"});
  EXPECT_EQ(ErrorOf([&] { out.Child("engine").Child("max_num_seqs").AsInt(Positive()); }),
            "--set engine.max_num_seqs=-3: engine.max_num_seqs: must be > 0, got -3");
  EXPECT_EQ(ErrorOf([&] {
              out.Child("workload").Child("input").Child("dist").AsEnum({"uniform", "zipf"});
            }),
            "--set workload.input={dist: unifrm}: workload.input.dist: must be one of uniform, "
            "zipf, got 'unifrm' (did you mean 'uniform'?)");
  EXPECT_EQ(ErrorOf([&] { out.Child("workload").Child("input").CheckKeys({"kind"}); }),
            "--set workload.input={dist: unifrm}: workload.input.dist: unknown key");
}

TEST(ConfigNodeTest, ValuesFromTheFileKeepTheirPositionAfterOverrides) {
  const ConfigNode root = Doc("seed: 1\nengine:\n  max_num_seqs: -3\n");
  const ConfigNode out = ApplyOverrides(root, {"seed=2"});
  EXPECT_EQ(ErrorOf([&] { out.Child("engine").Child("max_num_seqs").AsInt(Positive()); }),
            "configs/x.yaml:3:17: engine.max_num_seqs: must be > 0, got -3");
  EXPECT_EQ(out.Child("seed").AsInt(), 2);
}

TEST(ConfigNodeTest, NonScalarKeysAreRejectedNotCrashed) {
  const ConfigNode root = Doc("ok: 1\n[a, b]: 2\n");
  EXPECT_EQ(ErrorOf([&] { root.CheckKeys({"ok"}); }),
            "configs/x.yaml:2:1: keys must be plain names, not lists or mappings");
  EXPECT_EQ(ErrorOf([&] { root.Keys(); }),
            "configs/x.yaml:2:1: keys must be plain names, not lists or mappings");
}

TEST(ConfigNodeTest, MalformedOverridesAreRejected) {
  const ConfigNode root = Doc("engine:\n  max_num_seqs: 8\nmodel: llama\n");
  EXPECT_EQ(ErrorOf([&] { ApplyOverrides(root, {"novalue"}); }),
            "--set novalue: expected dotted.key=value");
  EXPECT_EQ(ErrorOf([&] { ApplyOverrides(root, {"=3"}); }), "--set =3: expected dotted.key=value");
  EXPECT_EQ(ErrorOf([&] { ApplyOverrides(root, {"engine..x=3"}); }),
            "--set engine..x=3: empty key component");
  EXPECT_EQ(ErrorOf([&] { ApplyOverrides(root, {"model.name=x"}); }),
            "--set model.name=x: 'model' is a single value, not a mapping");
  EXPECT_EQ(ErrorOf([&] { ApplyOverrides(root, {"engine.x=[1, 2"}); }),
            "--set engine.x=[1, 2: invalid YAML value: end of sequence flow not found");
  EXPECT_EQ(ErrorOf([&] { ApplyOverrides(Doc("- 1\n"), {"a=1"}); }),
            "configs/x.yaml:1:1: expected a mapping at the top level");
}

TEST(ConfigNodeTest, DidYouMeanAndEditDistance) {
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(DidYouMean("num_layrs", {"num_layers", "hidden_size"}),
            " (did you mean 'num_layers'?)");
  EXPECT_EQ(DidYouMean("xyz", {"num_layers"}), "");
  EXPECT_EQ(DidYouMean("a", {}), "");
}

}  // namespace
}  // namespace servesim
