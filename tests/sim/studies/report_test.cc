// Reports: every kind of result file is recognised, the plots exist and are well-formed SVG.
// Drawing needs gnuplot (scripts/setup.sh installs gnuplot-nox); without it those tests skip.
#include "sim/studies/report.h"

#include <gtest/gtest.h>

#include "sim/config/input_error.h"
#include "sim/studies/gnuplot.h"
#include "sim/studies/report_autoscaling_plots.h"
#include "sim/studies/report_inputs.h"
#include "sim/studies/report_plots.h"
#include "sim/studies/report_sweep_plots.h"
#include "tests/sim/studies/study_test_util.h"

namespace servesim {
namespace {

namespace fs = std::filesystem;

using testing::Slurp;

class ReportTest : public testing::ScratchDirTest {
 protected:
  // A sweep over the arrival rate, a capacity result, a requests CSV and a trace of one run.
  std::vector<std::string> MakeResults() {
    const fs::path scenario = Write("base.yaml", testing::kSmallScenario);
    const fs::path sweep = Write("sw.yaml",
                                 "base: base.yaml\n"
                                 "grid:\n"
                                 "  engine.max_num_seqs: [8, 64]\n"
                                 "  workload.arrival.rate: [2, 6, 12]\n");
    const std::string d = dir_.string();
    EXPECT_EQ(Servesim("sweep " + sweep.string() + " --quiet --out " + d + "/sweep").code, 0);
    EXPECT_EQ(Servesim("capacity " + scenario.string() +
                       " --slo ttft_p99_ms=500,tpot_p99_ms=30 --quiet --json " + d + "/cap.json")
                  .code,
              0);
    EXPECT_EQ(Servesim("run " + scenario.string() + " --quiet --requests-csv " + d +
                       "/req.csv --chrome-trace " + d + "/trace.json")
                  .code,
              0);
    return {d + "/sweep", d + "/cap.json", d + "/req.csv", d + "/trace.json"};
  }
};

TEST_F(ReportTest, RecognisesEveryKindOfResult) {
  ReportInputs in;
  for (const std::string& p : MakeResults()) LoadReportInput(p, &in);
  ASSERT_EQ(in.sweeps.size(), 1u);
  EXPECT_EQ(in.sweeps[0].input_keys,
            (std::vector<std::string>{"engine.max_num_seqs", "workload.arrival.rate"}));
  EXPECT_EQ(in.sweeps[0].rows.size(), 6u);
  EXPECT_EQ(in.capacities.size(), 1u);
  ASSERT_EQ(in.requests.size(), 1u);
  EXPECT_EQ(in.requests[0].ttft_ms.size(), 80u);
  ASSERT_EQ(in.timelines.size(), 1u);
  EXPECT_FALSE(in.timelines[0].steps.empty());
  // Latency vs load: one line per max_num_seqs, the SLO limit and the knee from the capacity.
  const std::vector<NamedPlot> sweep = SweepPlots(in.sweeps[0], &in.capacities[0], 1);
  ASSERT_GE(sweep.size(), 2u);
  EXPECT_EQ(sweep[0].file, "sweep1_ttft_p99_ms.svg");
  EXPECT_EQ(sweep[0].plot.series.size(), 2u);
  EXPECT_EQ(sweep[0].plot.series[0].title, "engine.max_num_seqs=8");
  EXPECT_EQ(sweep[0].plot.series[0].points.size(), 3u);
  ASSERT_EQ(sweep[0].plot.hlines.size(), 1u);
  EXPECT_EQ(sweep[0].plot.hlines[0].value, 500);
  EXPECT_EQ(sweep[0].plot.vlines.size(), 1u);
}

TEST_F(ReportTest, UnknownFilesAreRefused) {
  const fs::path other = Write("x.json", "{\"a\": 1}");
  ReportInputs in;
  try {
    LoadReportInput(other.string(), &in);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              other.string() +
                  ": not a capacity result (\"max_rate\", \"curve\"), a trace (\"traceEvents\"), "
                  "a scaling result (\"points\", \"usl\"), a plan (\"options\", \"target\") or "
                  "an autoscaled run (\"autoscaling\")");
  }
  EXPECT_THROW(LoadReportInput(Write("x.txt", "").string(), &in), InputError);
  EXPECT_THROW(LoadReportInput(Write("x.csv", "a,b\n1,2\n").string(), &in), InputError);
}

TEST(ReportPlotTest, ScriptHasTheDataAndReferenceLines) {
  Plot p;
  p.title = "t";
  p.series.push_back({"s", {{1, 2}, {3, 4}}, "lines"});
  p.hlines.push_back({5, "SLO 5"});
  p.vlines.push_back({2, "knee"});
  const std::string gp = GnuplotScript(p, "out.svg");
  EXPECT_NE(gp.find("set terminal svg"), std::string::npos);
  EXPECT_NE(gp.find("set output 'out.svg'"), std::string::npos);
  EXPECT_NE(gp.find("$d0 << EOD\n1 2\n3 4\nEOD\n"), std::string::npos) << gp;
  EXPECT_NE(gp.find("5 with lines dashtype 2 lw 2 title 'SLO 5'"), std::string::npos) << gp;
  EXPECT_NE(gp.find("set arrow 1 from 2, graph 0 to 2, graph 1"), std::string::npos) << gp;
  EXPECT_EQ(SummaryKeyOfSlo("ttft_p99_ms"), "p99_ttft_ms");
  EXPECT_EQ(SummaryKeyOfSlo("e2el_mean_ms"), "mean_e2el_ms");
}

TEST_F(ReportTest, HtmlAndSvgPlotsAreWritten) {
  if (!GnuplotAvailable()) {
    GTEST_SKIP() << "gnuplot is not installed (scripts/setup.sh installs gnuplot-nox)";
  }
  const std::vector<std::string> results = MakeResults();
  std::string args;
  for (const std::string& r : results) args += r + " ";
  const auto o = Servesim("report " + args + "--html " + (dir_ / "html").string());
  ASSERT_EQ(o.code, 0) << o.err;
  const std::string html = Slurp(dir_ / "html/index.html");
  EXPECT_NE(html.find("<h2>Capacity: "), std::string::npos);
  // The capacity table shows the lowest failing rate too (from the search when the curve around
  // the knee lacks it), so the reader sees which statistic broke the SLO.
  EXPECT_NE(html.find(">fails<"), std::string::npos);
  int svgs = 0;
  for (const auto& e : fs::directory_iterator(dir_ / "html")) {
    if (e.path().extension() != ".svg") continue;
    ++svgs;
    const std::string svg = Slurp(e.path());
    EXPECT_NE(svg.find("<svg"), std::string::npos) << e.path();
    EXPECT_EQ(testing::XmlProblem(svg), "") << e.path();
    EXPECT_NE(html.find(e.path().filename().string()), std::string::npos) << e.path();
  }
  // capacity: ttft, tpot, goodput; sweep (the scenario has no SLO, so no goodput or
  // attainment): ttft, tpot, throughput and the p99 TTFT heatmap; CDFs: 3; timeline: batch, kv.
  EXPECT_EQ(svgs, 12);
  for (const char* f : {"sweep1_throughput.svg", "sweep1_heatmap_p99_ttft_ms.svg"}) {
    EXPECT_TRUE(fs::exists(dir_ / "html" / f)) << f;
  }
}

// A run summary of an autoscaled scenario: its replica timeline and per-window SLO attainment.
TEST_F(ReportTest, AutoscaledRunGetsReplicaAndWindowPlots) {
  const fs::path scenario = Write("as.yaml",
                                  "model: llama-3.1-8b\n"
                                  "hardware: {gpu: h100-sxm-80gb, num_gpus: 2}\n"
                                  "autoscaler:\n"
                                  "  policy: schedule\n"
                                  "  cold_start_s: 1\n"
                                  "  report_window_s: 5\n"
                                  "  schedule: [{at_s: 0, replicas: 1}, {at_s: 5, replicas: 2}]\n"
                                  "workload:\n"
                                  "  arrival: {process: poisson, rate: 10}\n"
                                  "  duration_s: 20\n"
                                  "  input_tokens: 64\n"
                                  "  output_tokens: 8\n"
                                  "slo: {ttft_ms: 100}\n");
  const std::string json = (dir_ / "as.json").string();
  ASSERT_EQ(Servesim("run " + scenario.string() + " --quiet --json " + json).code, 0);
  ReportInputs in;
  LoadReportInput(json, &in);
  ASSERT_EQ(in.autoscaled_runs.size(), 1u);
  const std::vector<NamedPlot> plots = AutoscalingPlots(in.autoscaled_runs[0], 1);
  ASSERT_EQ(plots.size(), 2u);
  EXPECT_EQ(plots[0].file, "autoscaling1_replicas.svg");
  ASSERT_EQ(plots[0].plot.series.size(), 2u);  // booked, active
  const auto& booked = plots[0].plot.series[0].points;
  ASSERT_GE(booked.size(), 3u);
  EXPECT_EQ(booked[0], std::make_pair(0.0, 1.0));
  EXPECT_EQ(booked[1], std::make_pair(5.0, 2.0));
  EXPECT_EQ(plots[1].file, "autoscaling1_windows.svg");
  EXPECT_EQ(plots[1].plot.series[0].points.size(), 4u);  // 20 s of arrivals in 5 s windows
  if (!GnuplotAvailable()) return;
  const auto o = Servesim("report " + json + " --html " + (dir_ / "html").string());
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(Slurp(dir_ / "html/index.html").find("<h2>Autoscaling: "), std::string::npos);
  EXPECT_EQ(testing::XmlProblem(Slurp(dir_ / "html/autoscaling1_replicas.svg")), "");
}

TEST(ReportXmlCheckTest, CatchesMalformedXml) {
  EXPECT_EQ(testing::XmlProblem("<?xml version=\"1.0\"?>\n<svg a='>'><g/><!-- x --></svg>\n"), "");
  EXPECT_NE(testing::XmlProblem("<svg><g></svg>"), "");
  EXPECT_NE(testing::XmlProblem("<svg></svg><svg></svg>"), "");
  EXPECT_NE(testing::XmlProblem("<svg><!-- x </svg>"), "");
}

}  // namespace
}  // namespace servesim
