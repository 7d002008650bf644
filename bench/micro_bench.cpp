// Micro benchmarks of hot pure functions: plan duration parsing and the XML
// escaping every JUnit report goes through.
//
//   cmake -S . -B build-bench -DDP_BUILD_BENCH=ON -DDP_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=Release
//   cmake --build build-bench -j2 --target dp_micro_bench
//   build-bench/bench/dp_micro_bench
#include <benchmark/benchmark.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "reports/report_writers.hpp"
#include "verifier/core/duration.hpp"

namespace {

constexpr std::size_t k_64kib = 64 * 1024;

void BM_parse_duration(benchmark::State& state, std::string_view text) {
  for (auto _ : state) {
    auto d = dp::parse_duration(text);
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK_CAPTURE(BM_parse_duration, simple, std::string_view("30m"));
BENCHMARK_CAPTURE(BM_parse_duration, compound, std::string_view("1w2d3h4m5s600ms"));
BENCHMARK_CAPTURE(BM_parse_duration, fraction, std::string_view("1.5h"));
BENCHMARK_CAPTURE(BM_parse_duration, invalid, std::string_view("5x"));

// 64 KiB built by repeating `unit`.
std::string repeat_to_64kib(std::string_view unit) {
  std::string s;
  s.reserve(k_64kib + unit.size());
  while (s.size() < k_64kib) s.append(unit);
  s.resize(k_64kib);
  return s;
}

void BM_xml_escape(benchmark::State& state, std::string_view unit) {
  const std::string input = repeat_to_64kib(unit);
  for (auto _ : state) {
    auto out = dp::reports::xml_escape(input);
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(input.size()));
}
// Typical check output: plain ASCII, nothing to escape.
BENCHMARK_CAPTURE(BM_xml_escape, ascii_64KiB,
                  std::string_view("ERROR:  relation \"public.orders\" does not exist\n"));
// Markup-heavy: every few bytes is an entity.
BENCHMARK_CAPTURE(BM_xml_escape, markup_64KiB, std::string_view("<a href=\"x\">'b' & c</a>\n"));
// Multi-byte UTF-8 (valid) mixed with ASCII.
BENCHMARK_CAPTURE(BM_xml_escape, utf8_64KiB,
                  std::string_view("Gr\xc3\xbc\xc3\x9f"
                                   "e \xe2\x82\xac 5 \xf0\x9f\x98\x80 ok\t"));
// Control characters and invalid UTF-8 bytes (the repair paths).
BENCHMARK_CAPTURE(BM_xml_escape, invalid_64KiB,
                  std::string_view("ab\x01\x1b[0m\xff\xfe\xc3(cd\r\n"));

}  // namespace
