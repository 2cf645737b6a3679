#include "sim/workload/trace_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "sim/config/input_error.h"
#include "tests/util/missing_data.h"

namespace servesim {
namespace {

constexpr char kAzureHeader[] = "TIMESTAMP,ContextTokens,GeneratedTokens\n";
constexpr char kCsvHeader[] = "arrival_s,input_tokens,output_tokens\n";

// A temporary file that is removed again; the name is unique per test and process.
class TempFile {
 public:
  explicit TempFile(const std::string& contents) {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = (std::filesystem::temp_directory_path() /
             ("servesim_" + std::string(test->name()) + "_" + std::to_string(getpid()) + ".csv"))
                .string();
    std::ofstream(path_, std::ios::binary) << contents;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::vector<TraceRow> ReadAll(const std::string& path, const std::string& format = "") {
  TraceReader reader(path, format);
  std::vector<TraceRow> rows;
  while (std::optional<TraceRow> row = reader.Next()) rows.push_back(*row);
  return rows;
}

// The InputError message of reading `contents` whole, with the temp path replaced by "T".
std::string ErrorOf(const std::string& contents, const std::string& format = "") {
  TempFile file(contents);
  try {
    ReadAll(file.path(), format);
  } catch (const InputError& e) {
    const std::string message = e.what();
    return "T" + message.substr(file.path().size());
  }
  return "no error";
}

std::string SharedTrace(const std::string& name) {
  return std::string(SERVESIM_SOURCE_DIR) + "/../shared/traces/" + name;
}

TEST(TraceTimestampTest, ExactToTheNanosecond) {
  EXPECT_EQ(ParseAzureTimestamp("1970-01-01 00:00:00"), 0);
  EXPECT_EQ(ParseAzureTimestamp("1970-01-01 00:00:00.0000001"), 100);
  EXPECT_EQ(ParseAzureTimestamp("1970-01-01 00:00:00.123456789"), 123456789);
  EXPECT_EQ(ParseAzureTimestamp("1970-01-02 00:00:01.5"), 86401500000000LL);
  // date -u -d '2023-11-16 18:15:46' +%s == 1700158546
  EXPECT_EQ(ParseAzureTimestamp("2023-11-16 18:15:46.6805900"), 1700158546680590000LL);
  EXPECT_EQ(ParseAzureTimestamp("2024-02-29 12:00:00"), 1709208000LL * 1'000'000'000);
  EXPECT_EQ(ParseAzureTimestamp("2200-12-31 23:59:59.9999999"), 7289654399999999900LL);
}

TEST(TraceTimestampTest, DaysFromCivil) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
}

TEST(TraceTimestampTest, RejectsMalformed) {
  for (const char* bad : {"", "2023-11-16", "2023-11-16T18:15:46", "2023-11-16 18:15:46.",
                          "2023-11-16 18:15:46.1234567890", "2023-13-01 00:00:00",
                          "2023-02-29 00:00:00", "2023-11-16 24:00:00", "2023-11-16 18:60:00",
                          "2023-11-16 18:15:60", "1969-12-31 23:59:59", "2201-01-01 00:00:00",
                          "2023-1a-16 18:15:46", "2023-11-16 18:15:46x", "+023-11-16 18:15:46"}) {
    EXPECT_FALSE(ParseAzureTimestamp(bad).has_value()) << bad;
  }
}

TEST(TraceReaderTest, ReadsAzureRowsWithLineNumbers) {
  TempFile file(std::string(kAzureHeader) +
                "2023-11-16 18:15:46.6805900,374,44\n2023-11-16 18:15:50.9951690,396,109\n");
  TraceReader reader(file.path(), "");
  EXPECT_EQ(reader.format(), "azure");
  const std::optional<TraceRow> first = reader.Next();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->line, 2);
  EXPECT_EQ(first->time_ns, 1700158546680590000LL);
  EXPECT_EQ(first->input_tokens, 374);
  EXPECT_EQ(first->output_tokens, 44);
  const std::optional<TraceRow> second = reader.Next();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->line, 3);
  EXPECT_EQ(second->time_ns - first->time_ns, 4314579000LL);
  EXPECT_FALSE(reader.Next());
  EXPECT_FALSE(reader.Next());
}

TEST(TraceReaderTest, CrlfNoFinalNewlineAndBlankLines) {
  TempFile file(
      "\xEF\xBB\xBF"
      "arrival_s,input_tokens,output_tokens\r\n0.5,10,20\r\n\r\n 1.25 , 11 ,21\r\n\r\n\n");
  const std::vector<TraceRow> rows = ReadAll(file.path());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].time_ns, 500'000'000);
  EXPECT_EQ(rows[1].line, 4);
  EXPECT_EQ(rows[1].time_ns, 1'250'000'000);
  EXPECT_EQ(rows[1].output_tokens, 21);
  TempFile unterminated(std::string(kCsvHeader) + "0,1,1\n3,4,5");
  EXPECT_EQ(ReadAll(unterminated.path(), "csv").size(), 2u);
}

TEST(TraceReaderTest, HeaderOnlyIsAnEmptyTrace) {
  TempFile file(kCsvHeader);
  EXPECT_TRUE(ReadAll(file.path()).empty());
}

TEST(TraceReaderTest, HeaderErrors) {
  EXPECT_EQ(
      ErrorOf(""),
      "T:1: empty trace; expected the header 'TIMESTAMP,ContextTokens,GeneratedTokens' (azure) "
      "or 'arrival_s,input_tokens,output_tokens' (csv)");
  EXPECT_EQ(ErrorOf("time,in,out\n1,2,3\n"),
            "T:1: unrecognised trace header 'time,in,out'; expected "
            "'TIMESTAMP,ContextTokens,GeneratedTokens' (azure) or "
            "'arrival_s,input_tokens,output_tokens' (csv, optionally followed by session_id, "
            "prefix_tokens, prefix_id in this order)");
  EXPECT_EQ(ErrorOf(kAzureHeader, "csv"),
            "T:1: format 'csv' expects the header 'arrival_s,input_tokens,output_tokens', got "
            "'TIMESTAMP,ContextTokens,GeneratedTokens'");
  EXPECT_THROW(TraceReader("/nonexistent/servesim.csv", ""), InputError);
}

TEST(TraceReaderTest, RowErrorsNameTheLineAndColumn) {
  const std::string azure = kAzureHeader;
  const std::string row = "2023-11-16 18:15:46.6805900,374,44\n";
  EXPECT_EQ(ErrorOf(azure + row + "2023-11-16 18:15:47,374,abc\n"),
            "T:3: column 'GeneratedTokens': expected an integer >= 1, got 'abc'");
  EXPECT_EQ(ErrorOf(azure + row + "2023-11-16 18:15:47,374,0\n"),
            "T:3: column 'GeneratedTokens': expected an integer >= 1, got '0'");
  EXPECT_EQ(ErrorOf(azure + row + "2023-11-16 18:15:47,-5,3\n"),
            "T:3: column 'ContextTokens': expected an integer >= 1, got '-5'");
  EXPECT_EQ(ErrorOf(azure + row + "2023-11-16 18:15:47,12.0,3\n"),
            "T:3: column 'ContextTokens': expected an integer >= 1, got '12.0'");
  EXPECT_EQ(ErrorOf(azure + row + "2023-11-16 18:15:47,99999999999999999999,3\n"),
            "T:3: column 'ContextTokens': expected an integer <= 1000000000, got "
            "'99999999999999999999'");
  EXPECT_EQ(ErrorOf(azure + row + "2023-11-16 18:15:47,5\n"),
            "T:3: expected 3 columns (TIMESTAMP,ContextTokens,GeneratedTokens), got 2");
  EXPECT_EQ(ErrorOf(azure + row + "16/11/2023 18:15,5,5\n"),
            "T:3: column 'TIMESTAMP': expected a time like '2023-11-16 18:15:46.6805900' (years "
            "1970-2200), got '16/11/2023 18:15'");
  EXPECT_EQ(ErrorOf(std::string(kCsvHeader) + "1,2,3\nnan,2,3\n"),
            "T:3: column 'arrival_s': expected a number of seconds in [0, 1000000000], got 'nan'");
  EXPECT_EQ(ErrorOf(std::string(kCsvHeader) + "-1,2,3\n"),
            "T:2: column 'arrival_s': expected a number of seconds in [0, 1000000000], got '-1'");
}

TEST(TraceReaderTest, CsvOptionalSessionAndPrefixColumns) {
  TempFile file(
      "arrival_s,input_tokens,output_tokens,session_id,prefix_tokens,prefix_id\n"
      "0,100,5,3,64,2\n1,50,5,,0,0\n");
  TraceReader reader(file.path(), "csv");
  EXPECT_TRUE(reader.HasSessions());
  EXPECT_TRUE(reader.HasPrefixes());
  const std::optional<TraceRow> a = reader.Next(), b = reader.Next();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->session, 3);
  EXPECT_EQ(a->prefix_tokens, 64);
  EXPECT_EQ(a->prefix_id, 2);
  EXPECT_EQ(b->session, -1);  // empty: no session
  const std::string h4 = "arrival_s,input_tokens,output_tokens,session_id\n";
  EXPECT_EQ(ErrorOf(h4 + "0,1,1,7\n"), "no error");
  EXPECT_EQ(ErrorOf(h4 + "0,1,1\n"),
            "T:2: expected 4 columns (arrival_s,input_tokens,output_tokens,session_id), got 3");
  EXPECT_EQ(ErrorOf(h4 + "0,1,1,-2\n"),
            "T:2: column 'session_id': expected an integer in [0, 1000000000], got '-2'");
  const std::string h5 = "arrival_s,input_tokens,output_tokens,session_id,prefix_tokens\n";
  EXPECT_EQ(ErrorOf(h5 + "0,10,1,,11\n"),
            "T:2: column 'prefix_tokens': must be <= input_tokens (10), got 11");
  EXPECT_EQ(ErrorOf("arrival_s,input_tokens,output_tokens,sid\n0,1,1,1\n"),
            "T:1: unrecognised trace header 'arrival_s,input_tokens,output_tokens,sid'; "
            "expected 'TIMESTAMP,ContextTokens,GeneratedTokens' (azure) or "
            "'arrival_s,input_tokens,output_tokens' (csv, optionally followed by session_id, "
            "prefix_tokens, prefix_id in this order)");
}

TEST(TraceReaderTest, UnsortedRowsAreRejected) {
  EXPECT_EQ(ErrorOf(std::string(kCsvHeader) + "1.0,2,3\n2.0,2,3\n\n1.5,2,3\n"),
            "T:5: column 'arrival_s': arrival times must be non-decreasing; '1.5' is earlier than "
            "line 3");
  EXPECT_EQ(ErrorOf(std::string(kCsvHeader) + "1.0,2,3\n1.0,2,3\n"), "no error");  // ties are fine
}

TEST(TraceReaderTest, LongFieldsAreShortenedInMessages) {
  const std::string error =
      ErrorOf(std::string(kCsvHeader) + "1," + std::string(100, 'x') + ",3\n");
  EXPECT_EQ(error, "T:2: column 'input_tokens': expected an integer >= 1, got '" +
                       std::string(40, 'x') + "...'");
}

void ExpectSharedTraceParses(const std::string& name, size_t expected_rows) {
  const std::string path = SharedTrace(name);
  if (!std::filesystem::exists(path)) {
    SERVESIM_SKIP_OR_FAIL_IN_CI("trace " + path + " is missing; run scripts/download_traces.sh");
  }
  const std::vector<TraceRow> rows = ReadAll(path, "azure");
  ASSERT_EQ(rows.size(), expected_rows);
  EXPECT_EQ(rows.back().line, static_cast<int64_t>(expected_rows) + 1);
  const double span_s = static_cast<double>(rows.back().time_ns - rows.front().time_ns) * 1e-9;
  EXPECT_GT(span_s, 3000.0);  // about an hour
  EXPECT_LT(span_s, 4000.0);
}

TEST(TraceReaderTest, SharedAzureConversationTraceParsesFully) {
  ExpectSharedTraceParses("azure_llm_2023_conv.csv", 19366);
}

TEST(TraceReaderTest, SharedAzureCodeTraceParsesFully) {
  ExpectSharedTraceParses("azure_llm_2023_code.csv", 8819);
}

}  // namespace
}  // namespace servesim
