#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <thread>

#include "checks/registry.hpp"
#include "drills/backup_format.hpp"
#include "verifier/cli/commands.hpp"

namespace dp::cli {

std::optional<plan::Plan> load_plan(const std::string& file, const plan::Options& options) {
  auto kinds = checks::kind_infos();
  auto config = config::load(file, kinds);
  if (!config) {
    for (const auto& d : config.error()) fmt::print(stderr, "{}\n", d.format());
    fmt::print(stderr, "{}: {} problem{}; nothing was started\n", file, config.error().size(),
               config.error().size() == 1 ? "" : "s");
    return std::nullopt;
  }
  // Formats are recognised now so that a wrong file is a plan error (exit 2)
  // before any server starts.
  config::Diagnostics problems;
  for (const auto& b : config->backups) {
    auto format = drills::detect_format(b.engine, b.path, b.format);
    if (!format)
      problems.push_back({b.pos, fmt::format("backup '{}': {}", b.name, format.error().message)});
  }
  if (!problems.empty()) {
    for (const auto& d : problems) fmt::print(stderr, "{}\n", d.format());
    return std::nullopt;
  }
  int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  auto plan = plan::build(*config, options, cores);
  if (!plan) {
    fmt::print(stderr, "{}\n", plan.error().message);
    return std::nullopt;
  }
  return std::move(*plan);
}

}  // namespace dp::cli
