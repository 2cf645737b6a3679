// The report page: words and numbers (SLOs as text, labels with units), sweep grids and
// heatmaps, the sweep table's best points, the key below every plot, and the output directory
// (refused when it exists, --force only over a previous report, nothing half-written, the
// gnuplot scripts re-run from their own folder). Drawing needs gnuplot; those tests skip
// without it.
#include <gtest/gtest.h>

#include "sim/studies/gnuplot.h"
#include "sim/studies/report_inputs.h"
#include "sim/studies/report_plots.h"
#include "sim/studies/report_sweep_plots.h"
#include "sim/studies/report_tables.h"
#include "sim/studies/report_text.h"
#include "tests/sim/studies/study_test_util.h"

namespace servesim {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

// A 2 x 3 grid (max_num_seqs x rate) under one SLO, written as a sweep would.
constexpr const char* kGridCsv =
    "point,slo.ttft_ms,engine.max_num_seqs,workload.arrival.rate,request_throughput,goodput,"
    "slo_attainment,p99_ttft_ms,p99_tpot_ms,slo_ttft_ms,slo_tpot_ms\n"
    "0,1000,64,4,4,4,1,150,10,1000,50\n"
    "1,1000,64,8,7.9,7.9,1,180,12,1000,50\n"
    "2,1000,64,16,14.6,4.2,0.28,5400,30,1000,50\n"
    "3,1000,256,4,4,4,1,150,10,1000,50\n"
    "4,1000,256,8,7.9,7.9,1,185,13,1000,50\n"
    "5,1000,256,16,15.3,15.2,0.99,380,35,1000,50\n";

// Two token budgets times a zip group of two request shapes, no rate: one point per series.
constexpr const char* kZipCsv =
    "point,engine.max_num_batched_tokens,workload.input_tokens,workload.output_tokens,"
    "request_throughput,p99_ttft_ms,p99_tpot_ms\n"
    "0,2048,4096,64,7.8,1853,60\n"
    "1,2048,256,1024,6.0,26,8\n"
    "2,8192,4096,64,7.9,1480,58\n"
    "3,8192,256,1024,6.0,26,8\n";

class ReportPageTest : public testing::ScratchDirTest {
 protected:
  SweepResults LoadSweep(const std::string& name, const std::string& csv) {
    ReportInputs in;
    LoadReportInput(Write(name, csv).string(), &in);
    return in.sweeps.at(0);
  }
  CapacityCurve Capacity(const Json& slo) {
    Json doc = {{"max_rate", 12.0}, {"goodput", 11.0}, {"slo", slo}, {"curve", Json::array()}};
    return {"cap.json", doc};
  }
};

TEST(ReportTextTest, SlosAndLabelsReadAsWords) {
  EXPECT_EQ(SloText(Json{{"ttft_p99_ms", 1000}, {"tpot_p99_ms", 50}}),
            "p99 TTFT ≤ 1000 ms and p99 TPOT ≤ 50 ms");
  EXPECT_EQ(SloText(Json{{"ttft_p99_ms", 2000}, {"tpot_p99_ms", 100}, {"attainment", 0.99}}),
            "at least 99% of requests with TTFT ≤ 2000 ms and TPOT ≤ 100 ms");
  EXPECT_EQ(SloText(Json()), "none");
  EXPECT_EQ(MetricLabel("p99_ttft_ms"), "p99 TTFT (ms)");
  EXPECT_EQ(MetricLabel("mean_e2el_ms"), "mean end-to-end latency (ms)");
  EXPECT_EQ(MetricLabel("request_throughput"), "request throughput (req/s)");
  EXPECT_EQ(MetricLabel("engine.max_num_seqs"), "engine.max_num_seqs");
  EXPECT_EQ(Number(18.375), "18.38");
  EXPECT_EQ(Number(370022.4), "370022");
  EXPECT_EQ(Number(0.775), "0.775");
  EXPECT_EQ(Number(std::nan("")), "–");
  EXPECT_EQ(Dollars(14.08), "$14.08");
  EXPECT_EQ(Html("<a&\"b\">"), "&lt;a&amp;&quot;b&quot;&gt;");
}

TEST(LoadOverTimeTest, WindowRatesAndP99FollowTheArrivals) {
  // 2 req/s for 100 s, then 6 req/s for 100 s; TTFT 10 ms in the first half, 100 ms after.
  RequestLatencies f;
  f.path = "r.csv";
  for (int i = 0; i < 200; ++i) f.arrival_s.push_back(0.5 * i);
  for (int i = 0; i < 600; ++i) f.arrival_s.push_back(100 + i / 6.0);
  for (double a : f.arrival_s) f.ttft_by_arrival.emplace_back(a, a < 100 ? 10.0 : 100.0);
  const std::vector<NamedPlot> plots = LoadOverTimePlots({f});
  ASSERT_EQ(plots.size(), 2u);
  EXPECT_EQ(plots[0].file, "load_rate.svg");
  // span 199.8 s -> 5 s windows (about 60 over the run); the last, cut short, is left out.
  const std::vector<std::pair<double, double>>& rate = plots[0].plot.series.at(0).points;
  ASSERT_EQ(rate.size(), 39u);
  EXPECT_EQ(rate.front(), std::make_pair(2.5, 2.0));
  EXPECT_EQ(rate[19], std::make_pair(97.5, 2.0));
  EXPECT_EQ(rate[20], std::make_pair(102.5, 6.0));
  const std::vector<std::pair<double, double>>& ttft = plots[1].plot.series.at(0).points;
  EXPECT_EQ(ttft[19].second, 10.0);
  EXPECT_EQ(ttft[20].second, 100.0);
  EXPECT_NE(plots[0].caption.find("windows of 5 s"), std::string::npos) << plots[0].caption;
  // Too few requests for windows to mean anything: no plot.
  RequestLatencies small;
  small.arrival_s = {0, 1, 2};
  EXPECT_TRUE(LoadOverTimePlots({small}).empty());
}

TEST_F(ReportPageTest, GridAndZipSweepsAreTwoDimensional) {
  const SweepResults grid = LoadSweep("grid.csv", kGridCsv);
  const std::optional<SweepGrid> g = FindSweepGrid(grid);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->x_values, (std::vector<std::string>{"4", "8", "16"}));  // the rate across
  EXPECT_EQ(g->y_values, (std::vector<std::string>{"64", "256"}));
  EXPECT_EQ(g->row[1][2], 5u);
  // The zip group is one dimension: its two keys vary together.
  const SweepResults zip = LoadSweep("zip.csv", kZipCsv);
  const std::optional<SweepGrid> z = FindSweepGrid(zip);
  ASSERT_TRUE(z);
  // Two values each: the fastest varying (the zip group) goes across.
  EXPECT_EQ(z->x_values, (std::vector<std::string>{"4096, 64", "256, 1024"}));
  EXPECT_EQ(z->y_values, (std::vector<std::string>{"2048", "8192"}));
  // A missing combination is not a grid.
  EXPECT_FALSE(FindSweepGrid(LoadSweep("part.csv", std::string(kGridCsv).substr(
                                                       0, std::string(kGridCsv).rfind("5,"))))
                   .has_value());
}

TEST_F(ReportPageTest, SweepPlotsAgainstLoadAndHeatmaps) {
  const std::vector<NamedPlot> plots = SweepPlots(LoadSweep("grid.csv", kGridCsv), nullptr, 1);
  std::vector<std::string> files;
  for (const NamedPlot& p : plots) {
    files.push_back(p.file);
    EXPECT_FALSE(p.caption.empty()) << p.file;
  }
  EXPECT_EQ(files, (std::vector<std::string>{"sweep1_ttft_p99_ms.svg", "sweep1_tpot_p99_ms.svg",
                                             "sweep1_throughput.svg", "sweep1_goodput.svg",
                                             "sweep1_attainment.svg", "sweep1_heatmap_goodput.svg",
                                             "sweep1_heatmap_p99_ttft_ms.svg"}));
  EXPECT_EQ(plots[0].plot.ylabel, "p99 TTFT (ms)");
  EXPECT_EQ(plots[0].plot.xlabel, "arrival rate (req/s)");
  EXPECT_NE(plots[3].caption.find("TTFT ≤ 1000 ms and TPOT ≤ 50 ms per request"), std::string::npos)
      << plots[3].caption;
  const Plot& heat = plots[5].plot;
  ASSERT_TRUE(heat.heatmap);
  EXPECT_EQ(heat.heatmap->z[0], (std::vector<double>{4, 7.9, 4.2}));
  const std::string gp = GnuplotScript(heat, "h.svg");
  EXPECT_NE(gp.find("set xtics ('4' 0, '8' 1, '16' 2)"), std::string::npos) << gp;
  EXPECT_NE(gp.find("with boxxyerror fillcolor palette"), std::string::npos) << gp;
  // The zip sweep: one point per series, drawn as markers, and the key below the plot.
  const std::vector<NamedPlot> zip = SweepPlots(LoadSweep("zip.csv", kZipCsv), nullptr, 2);
  ASSERT_FALSE(zip.empty());
  EXPECT_EQ(zip[0].plot.xlabel, "request throughput (req/s)");
  ASSERT_EQ(zip[0].plot.series.size(), 4u);
  EXPECT_EQ(zip[0].plot.series[0].style, "points ps 1.8");
  EXPECT_NE(zip[0].caption.find("Each marker is one sweep point"), std::string::npos);
  EXPECT_NE(GnuplotScript(zip[0].plot, "z.svg").find("set key outside below"), std::string::npos);
}

TEST_F(ReportPageTest, SweepTableHighlightsTheBestPointPerSlo) {
  const SweepResults s = LoadSweep("grid.csv", kGridCsv);
  // Highest goodput under the sweep's SLO: point 5 (15.2 req/s). Within p99 TTFT <= 200 ms:
  // the highest throughput among points 0, 1, 3, 4 is 7.9 (point 1 first).
  const CapacityCurve cap = Capacity(Json{{"ttft_p99_ms", 200}});
  const HtmlTable t = SweepTable(s, &cap, 1);
  EXPECT_EQ(t.headers.front(), "point");
  EXPECT_EQ(t.headers[1], "engine.max_num_seqs");  // slo.ttft_ms is set, not varied
  EXPECT_EQ(t.headers.back(), "best");
  ASSERT_EQ(t.rows.size(), 6u);
  EXPECT_EQ(t.row_class, (std::vector<std::string>{"", "best", "", "", "", "best"}));
  EXPECT_EQ(t.rows[5].back().text, "★ best goodput");
  EXPECT_EQ(t.rows[1].back().text, "◆ best at the SLO");
  EXPECT_NE(t.caption.find("Set in every point: slo.ttft_ms=1000."), std::string::npos)
      << t.caption;
  EXPECT_NE(t.caption.find("the point with the highest goodput"), std::string::npos);
  EXPECT_NE(t.caption.find("p99 TTFT ≤ 200 ms"), std::string::npos);
  const std::string html = RenderTable(t);
  EXPECT_NE(html.find("<table class=\"sortable\" id=\"sweep1\">"), std::string::npos);
  EXPECT_NE(html.find("<th title=\"click to sort\">p99 TTFT (ms)</th>"), std::string::npos);
  EXPECT_NE(html.find("<td data-v=\"15.3\">15.3</td>"), std::string::npos) << html;
  EXPECT_NE(html.find("<tr class=\"best\">"), std::string::npos);
}

class ReportDirTest : public testing::ScratchDirTest {
 protected:
  void SetUp() override {
    ScratchDirTest::SetUp();
    if (!GnuplotAvailable()) {
      GTEST_SKIP() << "gnuplot is not installed (scripts/setup.sh installs gnuplot-nox)";
    }
    sweep_ = Write("grid.csv", kGridCsv).string();
  }
  Outcome Report(const std::string& dir, const std::string& extra = "") {
    return Servesim("report " + sweep_ + " --quiet --html " + dir + extra);
  }
  std::string sweep_;
};

TEST_F(ReportDirTest, AnExistingDirectoryNeedsForceAndForceNeedsAReport) {
  const fs::path out = dir_ / "out";
  ASSERT_EQ(Report(out.string()).code, 0);
  testing::Spit(out / "stale.svg", "old");
  const Outcome again = Report(out.string());
  EXPECT_EQ(again.code, 2);
  EXPECT_EQ(again.err, "servesim: error: " + out.string() +
                           ": already exists and is not empty; pass --force to replace the "
                           "report in it, or choose another --html directory\n");
  const Outcome forced = Report(out.string(), " --force");
  ASSERT_EQ(forced.code, 0) << forced.err;
  EXPECT_FALSE(fs::exists(out / "stale.svg"));  // the old files are gone
  EXPECT_TRUE(fs::exists(out / "sweep1_heatmap_goodput.svg"));
  // Not a report: --force refuses and leaves it alone.
  const fs::path home = dir_ / "home";
  fs::create_directories(home / "docs");
  testing::Spit(home / "notes.txt", "mine");
  const Outcome refused = Report(home.string(), " --force");
  EXPECT_EQ(refused.code, 2);
  EXPECT_EQ(refused.err,
            "servesim: error: " + home.string() +
                ": --force replaces only a previous report, and this directory does not hold "
                "one (no index.html written by servesim report, or subdirectories); remove it "
                "yourself or choose another --html directory\n");
  EXPECT_EQ(testing::Slurp(home / "notes.txt"), "mine");
  // No staging directories are left beside the output.
  for (const auto& e : fs::directory_iterator(dir_)) {
    EXPECT_EQ(e.path().filename().string().find(".servesim-"), std::string::npos) << e.path();
  }
}

TEST_F(ReportDirTest, BadInputWritesNothing) {
  const fs::path bad = Write("bad.csv", "point,engine.max_num_seqs,p99_ttft_ms\n0,64\n");
  const Outcome o =
      Servesim("report " + sweep_ + " " + bad.string() + " --html " + (dir_ / "out").string());
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(o.err, "servesim: error: " + bad.string() + ":2: 2 fields, the header has 3\n");
  EXPECT_FALSE(fs::exists(dir_ / "out"));
}

TEST_F(ReportDirTest, GnuplotScriptsRerunFromTheirOwnFolder) {
  const fs::path out = dir_ / "out";
  ASSERT_EQ(Report(out.string()).code, 0);
  const fs::path moved = dir_ / "moved";
  fs::rename(out, moved);
  int scripts = 0;
  for (const auto& e : fs::directory_iterator(moved)) {
    if (e.path().extension() != ".gp") continue;
    ++scripts;
    const fs::path svg = moved / e.path().stem();  // "x.svg.gp" -> "x.svg"
    const std::string before = testing::Slurp(svg);
    fs::remove(svg);
    const std::string cmd =
        "cd '" + moved.string() + "' && gnuplot '" + e.path().filename().string() + "' 2>/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << e.path();
    EXPECT_EQ(testing::Slurp(svg), before) << svg;
  }
  EXPECT_EQ(scripts, 7);
}

}  // namespace
}  // namespace servesim
