// fingerprint: see fingerprint_check.hpp. Finding texts are documented in
// docs/snapshot.md ("Verification").
#include "checks/fingerprint_check.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "checks/fingerprint.hpp"
#include "checks/snapshot.hpp"

namespace dp::checks {
namespace {

constexpr std::int64_t k_default_max_keys = 10;

std::vector<std::string> table_list(const CheckSpec& spec) {
  std::vector<std::string> out;
  const ParamValue* v = spec.find("tables");
  if (!v || !v->as_array()) return out;
  for (const auto& item : *v->as_array())
    if (item.as_string()) out.push_back(*item.as_string());
  return out;
}

// "100000 rows, snapshot has 100000; hash differs".
std::string segment_message(const TableFingerprint& fp, const SegmentDiff& d) {
  std::string text = fmt::format("{}: {} rows, snapshot has {}", describe_segment(fp, d.index),
                                 d.observed.rows, d.expected.rows);
  if (d.observed.hash != d.expected.hash) text += "; hash differs";
  return text;
}

ObjectOutcome check_table(const CheckContext& ctx, const std::string& check_name,
                          const TableSnapshot& table, std::size_t max_keys) {
  const std::string name = table.schema.name.qualified();
  ObjectOutcome obj;
  obj.object = name;
  if (table.fingerprint.mode.empty()) {
    obj.message = "the snapshot has no fingerprint for this table";
    return obj;
  }
  auto verified = verify_table(ctx.engine, ctx.connect, ctx.jobs, table.schema, table.fingerprint,
                               ctx.connect_source, max_keys);
  if (!verified) {
    obj.outcome = Outcome::error;
    obj.message = verified.error().message;
    return obj;
  }
  auto finding = [&](std::string message, std::string evidence) {
    obj.findings.push_back(
        {check_name, name, Severity::error, std::move(message), std::move(evidence)});
  };
  std::size_t segments = 0;
  for (const auto& d : verified->differing) {
    if (d.index != k_outside_segments) {
      ++segments;
      finding(segment_message(table.fingerprint, d),
              fmt::format("expected hash {}, observed {}", d.expected.hash, d.observed.hash));
    }
    for (std::size_t k = 0; k < d.keys.size(); ++k)
      finding(fmt::format("{} key {}", d.key_kinds[k], d.keys[k]),
              describe_segment(table.fingerprint, d.index));
  }
  if (verified->rows_outside > 0)
    finding(fmt::format("{} rows outside the snapshot's key ranges", verified->rows_outside),
            "rows before the first, between or after the snapshot's segments");
  if (obj.findings.empty()) {
    obj.message = fmt::format("{} segments match", table.fingerprint.segments.size());
    return obj;
  }
  obj.outcome = Outcome::failed;
  obj.message =
      fmt::format("{} of {} segments differ", segments, table.fingerprint.segments.size());
  if (verified->rows_outside > 0)
    obj.message +=
        fmt::format("; {} rows outside the snapshot's key ranges", verified->rows_outside);
  return obj;
}

}  // namespace

CheckKindInfo FingerprintCheck::kind_info() {
  CheckKindInfo info;
  info.type = "fingerprint";
  info.summary =
      "recomputes the snapshot's content fingerprints (XXH3-128 per key segment); with a source, "
      "names the differing keys";
  info.params = {
      {"max_keys", ParamType::integer, false, "differing keys to name per table (default 10)"},
      {"tables", ParamType::string_list, false,
       "only these tables (default: every snapshot table)"},
  };
  info.validate = [](const CheckSpec& spec) {
    std::vector<SpecProblem> problems;
    const ParamValue* v = spec.find("max_keys");
    if (v && v->as_int() && *v->as_int() < 0)
      problems.push_back({"max_keys", "'max_keys' must not be negative"});
    return problems;
  };
  info.default_name = [](const CheckSpec&) { return std::string("fingerprint"); };
  info.needs_snapshot = true;
  return info;
}

std::unique_ptr<Check> FingerprintCheck::make(const CheckSpec& spec) {
  return std::make_unique<FingerprintCheck>(spec);
}

FingerprintCheck::FingerprintCheck(CheckSpec spec)
    : m_spec(std::move(spec)), m_tables(table_list(m_spec)) {
  const ParamValue* v = m_spec.find("max_keys");
  m_max_keys = static_cast<std::size_t>(
      std::max<std::int64_t>(0, v && v->as_int() ? *v->as_int() : k_default_max_keys));
}

CheckOutcome FingerprintCheck::run(const CheckContext& ctx) const {
  CheckOutcome out;
  if (!ctx.snapshot) {
    out.outcome = Outcome::error;
    out.message = "fingerprint needs the backup's snapshot";
    return out;
  }
  auto present = ctx.engine.list_tables();
  if (!present) {
    out.outcome = Outcome::error;
    out.message = "list tables: " + present.error().message;
    return out;
  }
  for (const auto& table : ctx.snapshot->tables) {
    const std::string name = table.schema.name.qualified();
    if (!m_tables.empty() && std::find(m_tables.begin(), m_tables.end(), name) == m_tables.end() &&
        std::find(m_tables.begin(), m_tables.end(), table.schema.name.name) == m_tables.end())
      continue;
    const bool exists = std::any_of(present->begin(), present->end(),
                                    [&](const auto& t) { return t.qualified() == name; });
    if (!exists) {
      ObjectOutcome obj{name, Outcome::failed, "table is missing", {}};
      obj.findings.push_back({m_spec.name, name, Severity::error, "table is missing",
                              "not in the restored database's table list"});
      out.objects.push_back(std::move(obj));
      continue;
    }
    out.objects.push_back(check_table(ctx, m_spec.name, table, m_max_keys));
  }
  out.outcome = worst_of(out.objects);
  std::size_t failed = 0;
  for (const auto& obj : out.objects) {
    if (obj.outcome == Outcome::failed) ++failed;
    for (const auto& f : obj.findings) out.findings.push_back(f);
  }
  out.expected = fmt::format("{} tables as in the snapshot", out.objects.size());
  out.observed = fmt::format("{} differ", failed);
  if (out.outcome == Outcome::failed)
    out.message =
        fmt::format("{} of {} tables differ from the snapshot", failed, out.objects.size());
  else if (out.outcome == Outcome::error)
    out.message = "some tables could not be fingerprinted";
  return out;
}

}  // namespace dp::checks
