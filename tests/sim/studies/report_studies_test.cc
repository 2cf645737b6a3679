// Reports of scaling and plan results: recognised by content, plotted (capacity vs linear with
// the USL and its extrapolation, losses as stacked bars, costs per candidate) and rendered to
// well-formed SVG by gnuplot (skipped without it).
#include <gtest/gtest.h>

#include "sim/studies/gnuplot.h"
#include "sim/studies/report.h"
#include "sim/studies/report_inputs.h"
#include "sim/studies/report_study_plots.h"
#include "tests/sim/studies/study_test_util.h"

namespace servesim {
namespace {

namespace fs = std::filesystem;

class ReportStudiesTest : public testing::ScratchDirTest {
 protected:
  std::vector<std::string> MakeResults() {
    const std::string src = std::string(SERVESIM_SOURCE_DIR) + "/configs/";
    const std::string d = dir_.string();
    EXPECT_EQ(Servesim("scaling " + src +
                       "studies/scaling-chat.yaml --gpus 1,2,4 --strategies "
                       "tp --slo ttft_p99_ms=1000,tpot_p99_ms=50 --tolerance 0.05 -j 2 "
                       "--quiet --json " +
                       d + "/scaling.json")
                  .code,
              0);
    EXPECT_EQ(
        Servesim("plan " + src + "plans/chat-8b.yaml -j 2 --quiet --json " + d + "/plan.json").code,
        0);
    return {d + "/scaling.json", d + "/plan.json"};
  }
};

TEST_F(ReportStudiesTest, ScalingAndPlanPlots) {
  ReportInputs in;
  for (const std::string& p : MakeResults()) LoadReportInput(p, &in);
  ASSERT_EQ(in.scalings.size(), 1u);
  ASSERT_EQ(in.plans.size(), 1u);
  const std::vector<NamedPlot> s = ScalingPlots(in.scalings[0], 1);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].file, "scaling1_capacity.svg");
  // measured, linear, USL fit, USL extrapolation (dashed), extrapolated points.
  ASSERT_EQ(s[0].plot.series.size(), 5u);
  EXPECT_EQ(s[0].plot.series[0].points.size(), 3u);
  EXPECT_NE(s[0].plot.series[3].style.find("dashtype"), std::string::npos);
  EXPECT_EQ(s[0].plot.series[4].points.size(), 2u);  // 8 and 16 GPUs
  // Losses: 6 causes up, 6 down, the total; one bar per GPU count.
  EXPECT_EQ(s[1].plot.series.size(), 13u);
  EXPECT_EQ(s[1].plot.xtics.size(), 3u);
  EXPECT_EQ(s[1].plot.xtics[2].second, "4");
  const auto& total = s[1].plot.series.back().points;
  const auto& tallest_up = s[1].plot.series[0].points;  // the top of the positive stack
  const auto& lowest_down = s[1].plot.series[6].points;
  for (size_t i = 0; i < total.size(); ++i) {
    EXPECT_NEAR(tallest_up[i].second + lowest_down[i].second, total[i].second,
                1e-9 * std::max(1.0, std::fabs(total[i].second)));
  }
  const std::vector<NamedPlot> p = PlanPlots(in.plans[0], 1);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].plot.series[0].points.size(), 3u);  // three candidates
  EXPECT_EQ(p[0].plot.xtics.size(), 3u);
  EXPECT_EQ(p[0].plot.series.size(), 3u);  // bars + two sensitivity factors
}

TEST_F(ReportStudiesTest, SvgsAreWrittenAndWellFormed) {
  if (!GnuplotAvailable()) {
    GTEST_SKIP() << "gnuplot is not installed (scripts/setup.sh installs gnuplot-nox)";
  }
  std::string args;
  for (const std::string& r : MakeResults()) args += r + " ";
  const auto o = Servesim("report " + args + "--html " + (dir_ / "html").string());
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "report: " + (dir_ / "html/index.html").string() + " (4 plots)\n");
  const std::string html = testing::Slurp(dir_ / "html/index.html");
  EXPECT_NE(html.find("<h2>Scaling: "), std::string::npos);
  EXPECT_NE(html.find("<h2>Purchase plan: "), std::string::npos);
  for (const char* f : {"scaling1_capacity.svg", "scaling1_loss.svg", "plan1_cost_per_hour.svg",
                        "plan1_cost_per_million_tokens.svg"}) {
    const fs::path svg = dir_ / "html" / f;
    ASSERT_TRUE(fs::exists(svg)) << f;
    const std::string text = testing::Slurp(svg);
    EXPECT_NE(text.find("<svg"), std::string::npos) << f;
    EXPECT_EQ(testing::XmlProblem(text), "") << f;
    EXPECT_NE(html.find(f), std::string::npos) << f;
  }
}

}  // namespace
}  // namespace servesim
