// A report as a person sees it: headless Chromium (Debian package `chromium`) opens index.html,
// the page's script sorts a table and counts the plots that loaded (--dump-dom shows the DOM
// after it ran), and a screenshot is taken and checked to be a full-size, non-blank PNG.
// Chromium is installed when missing and the test runs as root (apt-get, waiting for a lock
// held by another install); otherwise, or without gnuplot, the test skips and says why.
#include <gtest/gtest.h>
#include <unistd.h>

#include "sim/studies/gnuplot.h"
#include "tests/sim/studies/study_test_util.h"

namespace servesim {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSweepCsv =
    "point,engine.max_num_seqs,workload.arrival.rate,request_throughput,goodput,"
    "slo_attainment,p99_ttft_ms,p99_tpot_ms,slo_ttft_ms,slo_tpot_ms\n"
    "0,64,4,4,4,1,150,10,1000,50\n"
    "1,64,8,7.9,7.9,1,180,12,1000,50\n"
    "2,64,16,14.6,4.2,0.28,5400,30,1000,50\n"
    "3,256,4,4,4,1,150,10,1000,50\n"
    "4,256,8,7.9,7.9,1,185,13,1000,50\n"
    "5,256,16,15.3,15.2,0.99,380,35,1000,50\n";

bool OnPath(const std::string& program) {
  return std::system(("command -v " + program + " >/dev/null 2>&1").c_str()) == 0;
}

// The Chromium program, installed if missing and possible; "" with `why` set otherwise.
std::string FindChromium(const fs::path& log, std::string* why) {
  for (const char* name : {"chromium", "chromium-browser"}) {
    if (OnPath(name)) return name;
  }
  if (geteuid() != 0) {
    *why = "chromium is not installed and this test is not root (apt-get install chromium)";
    return "";
  }
  const std::string install =
      "DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -o "
      "DPkg::Lock::Timeout=600 chromium >>" +
      log.string() + " 2>&1";
  if (std::system(install.c_str()) != 0) {
    std::system(("apt-get update -o DPkg::Lock::Timeout=600 >>" + log.string() + " 2>&1").c_str());
    std::system(install.c_str());
  }
  if (OnPath("chromium")) return "chromium";
  *why = "chromium is not installed and apt-get could not install it (" + log.string() + ")";
  return "";
}

class ReportBrowserTest : public testing::ScratchDirTest {};

TEST_F(ReportBrowserTest, PageRendersSortsAndShowsItsPlots) {
  if (!GnuplotAvailable()) {
    GTEST_SKIP() << "gnuplot is not installed (scripts/setup.sh installs gnuplot-nox)";
  }
  std::string why;
  const std::string chromium = FindChromium(dir_ / "apt.log", &why);
  if (chromium.empty()) GTEST_SKIP() << why;
  const fs::path scenario = Write("base.yaml", testing::kSmallScenario);
  const std::string d = dir_.string();
  ASSERT_EQ(Servesim("capacity " + scenario.string() +
                     " --slo ttft_p99_ms=500,tpot_p99_ms=30 --quiet --json " + d + "/cap.json")
                .code,
            0);
  const fs::path sweep = Write("results.csv", kSweepCsv);
  const auto o =
      Servesim("report " + sweep.string() + " " + d + "/cap.json --quiet --html " + d + "/html");
  ASSERT_EQ(o.code, 0) << o.err;
  const std::string url = "file://" + (dir_ / "html/index.html").string();
  const std::string browser = "timeout 60 " + chromium +
                              " --headless --no-sandbox --disable-gpu --hide-scrollbars "
                              "--user-data-dir=" +
                              d + "/profile --window-size=1280,2000 ";
  // The DOM after the script: sweep1 sorted by its 4th column (request throughput), descending.
  const std::string dump = d + "/dom.html";
  ASSERT_EQ(std::system((browser + "--dump-dom '" + url + "#sort=sweep1:3:desc' >" + dump + " 2>" +
                         d + "/dom.log")
                            .c_str()),
            0)
      << testing::Slurp(d + "/dom.log");
  const std::string dom = testing::Slurp(dump);
  EXPECT_NE(dom.find("data-sortable-tables=\"3\""), std::string::npos) << dom.substr(0, 400);
  const size_t body = dom.find("<tr", dom.find("<tbody>", dom.find("id=\"sweep1\"")));
  ASSERT_NE(body, std::string::npos);
  EXPECT_EQ(dom.substr(body, 42), "<tr class=\"best\"><td data-v=\"5\">5</td><td ")
      << dom.substr(body, 300);
  EXPECT_NE(dom.find("aria-sort=\"descending\">request throughput (req/s)</th>"),
            std::string::npos);
  // Every plot on the page loaded (the script counts images with a size once they have): the
  // capacity's 3 and the sweep's 7 (p99 TTFT and TPOT, throughput, goodput, attainment, two
  // heatmaps).
  EXPECT_NE(dom.find("data-plots-loaded=\"10 of 10\""), std::string::npos) << dom.substr(0, 400);
  // The screenshot: a PNG of the window's size, not a blank page (a white 1280x2000 PNG is a few
  // KB; text, tables and plots make it far larger).
  const std::string png = d + "/page.png";
  ASSERT_EQ(
      std::system(
          (browser + "--screenshot=" + png + " '" + url + "' >" + d + "/shot.log 2>&1").c_str()),
      0)
      << testing::Slurp(d + "/shot.log");
  const std::string image = testing::Slurp(png);
  ASSERT_GT(image.size(), 24u);
  EXPECT_EQ(image.substr(1, 3), "PNG");
  const auto be32 = [&](size_t at) {
    return (static_cast<uint32_t>(static_cast<unsigned char>(image[at])) << 24) |
           (static_cast<uint32_t>(static_cast<unsigned char>(image[at + 1])) << 16) |
           (static_cast<uint32_t>(static_cast<unsigned char>(image[at + 2])) << 8) |
           static_cast<uint32_t>(static_cast<unsigned char>(image[at + 3]));
  };
  EXPECT_EQ(be32(16), 1280u);  // IHDR width and height
  EXPECT_EQ(be32(20), 2000u);
  EXPECT_GT(image.size(), 100u * 1024) << "the screenshot looks blank";
}

}  // namespace
}  // namespace servesim
