// [failover] and [[service]] tables -> FailoverSettings and ServiceConfig,
// then the dependency graph: every unknown dependency is reported at the
// name that is wrong, and every cycle once, at the [[service]] table of its
// first member in the file ("dependency cycle: db -> api -> db").
#include <fmt/format.h>

#include <algorithm>

#include "verifier/config/read_service_parts.hpp"
#include "verifier/core/service_graph.hpp"

namespace dp::config {

const char* probe_kind_name(ProbeKind k) {
  switch (k) {
    case ProbeKind::tcp:
      return "tcp";
    case ProbeKind::http:
      return "http";
    case ProbeKind::sql:
      return "sql";
    case ProbeKind::cmd:
      return "cmd";
  }
  return "cmd";
}

}  // namespace dp::config

namespace dp::config::detail {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view k_where = "[[service]]";
constexpr std::string_view k_keys[] = {"name",     "depends_on", "disaster", "failover",
                                       "failback", "drain",      "timeout",  "rto",
                                       "rpo",      "health",     "marker"};
constexpr std::string_view k_action_keys[] = {"command", "env", "cwd", "shell"};

bool is_service_name(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

std::optional<std::vector<std::string>> read_argv(Reader& reader, const toml::node& node,
                                                  std::string_view key) {
  const auto* array = node.as_array();
  if (!array) return std::nullopt;
  std::vector<std::string> argv;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    const auto* s = element.as_string();
    if (!s) {
      reader.report(reader.pos(element),
                    fmt::format("'{}' must be an array of strings; element {} is {}", key, i + 1,
                                type_name(element)));
      return std::nullopt;
    }
    argv.push_back(s->get());
  }
  if (argv.empty() || argv.front().empty()) {
    reader.report(reader.pos(node), fmt::format("'{}' must name a program: [\"program\", "
                                                "\"arg\", ...]",
                                                key));
    return std::nullopt;
  }
  return argv;
}

void read_action_table(Reader& reader, const toml::table& table, std::string_view key,
                       const fs::path& base_dir, ActionConfig& out) {
  const std::string where = fmt::format("'{}' action", key);
  reader.reject_unknown_keys(table, where, k_action_keys);
  if (const toml::node* shell = table.get("shell")) {
    if (const auto* b = shell->as_boolean())
      out.shell = b->get();
    else
      reader.report(reader.pos(*shell),
                    fmt::format("'shell' must be true or false, got {}", type_name(*shell)));
  }
  if (const toml::node* command = reader.find(table, "command", where, Need::required)) {
    if (out.shell) {
      if (const auto* s = command->as_string(); s && !s->get().empty())
        out.argv = {"/bin/sh", "-c", s->get()};
      else
        reader.report(
            reader.pos(*command),
            "with shell = true, 'command' must be one non-empty string run by /bin/sh -c");
    } else if (command->is_string()) {
      reader.report(reader.pos(*command),
                    "'command' must be an argv array such as [\"/opt/dr/failover.sh\", \"--now\"]"
                    "\nhint: set shell = true to run one string through /bin/sh -c");
    } else if (!command->is_array()) {
      reader.report(
          reader.pos(*command),
          fmt::format("'command' must be an array of strings, got {}", type_name(*command)));
    } else if (auto argv = read_argv(reader, *command, "command")) {
      out.argv = std::move(*argv);
    }
  }
  if (const toml::node* env = table.get("env")) {
    if (const auto* vars = env->as_table()) {
      for (auto&& [name, value] : *vars) {
        if (const auto* s = value.as_string())
          out.env.emplace_back(std::string(name.str()), s->get());
        else
          reader.report(reader.pos(value), fmt::format("env '{}' must be a string, got {}",
                                                       name.str(), type_name(value)));
      }
    } else {
      reader.report(reader.pos(*env),
                    fmt::format("'env' must be a table such as {{ PGHOST = \"/tmp\" }}, got {}",
                                type_name(*env)));
    }
  }
  if (auto cwd = reader.string(table, "cwd", where, Need::optional)) {
    if (cwd->empty())
      reader.report(reader.pos(*table.get("cwd")), "'cwd' must not be empty");
    else
      out.cwd = (base_dir / fs::path(*cwd)).lexically_normal();
  }
}

std::optional<ActionConfig> read_action(Reader& reader, const toml::table& table,
                                        std::string_view key, const fs::path& base_dir, Need need) {
  const toml::node* node = reader.find(table, key, k_where, need);
  if (!node) return std::nullopt;
  ActionConfig out;
  out.pos = reader.pos(*node);
  if (node->is_array()) {
    auto argv = read_argv(reader, *node, key);
    if (!argv) return std::nullopt;
    out.argv = std::move(*argv);
  } else if (const auto* t = node->as_table()) {
    read_action_table(reader, *t, key, base_dir, out);
  } else {
    reader.report(reader.pos(*node),
                  fmt::format("'{}' must be an argv array such as [\"/opt/dr/{}.sh\"] or a table "
                              "{{ command = [...], env = {{...}}, cwd = \"...\", shell = false }}, "
                              "got {}",
                              key, key, type_name(*node)));
    return std::nullopt;
  }
  return out;
}

ServiceConfig read_service(Reader& reader, const toml::table& table, const fs::path& base_dir,
                           const FailoverSettings& settings, SeenNames& seen) {
  ServiceConfig out;
  out.pos = reader.pos(table);
  reader.reject_unknown_keys(table, k_where, k_keys);
  if (auto name = reader.string(table, "name", k_where, Need::required)) {
    SourcePos at = reader.pos(*table.get("name"));
    out.name = *name;
    if (!is_service_name(*name)) {
      reader.report(at, fmt::format("service name '{}' may only contain letters, digits, '_', '.' "
                                    "and '-'",
                                    *name));
    } else if (auto [it, inserted] = seen.emplace(*name, at.line); !inserted) {
      reader.report(
          at, fmt::format("duplicate service name '{}' (first at line {})", *name, it->second));
    }
  }
  if (auto deps = reader.string_list(table, "depends_on", k_where, Need::optional))
    out.depends_on = *deps;
  out.disaster = read_action(reader, table, "disaster", base_dir, Need::optional);
  if (auto a = read_action(reader, table, "failover", base_dir, Need::required))
    out.failover = std::move(*a);
  out.failback = read_action(reader, table, "failback", base_dir, Need::optional);
  if (settings.failback && !table.get("failback"))
    reader.report(out.pos,
                  fmt::format("service '{}' has no failback action; add failback = [...] or run "
                              "only the failover phase with [failover] phases = [\"failover\"]",
                              out.name));
  out.drain = read_action(reader, table, "drain", base_dir, Need::optional);
  if (auto d = reader.duration(table, "timeout", k_where, Need::optional)) out.timeout = *d;
  out.rto = reader.duration(table, "rto", k_where, Need::optional);
  out.rpo = reader.duration(table, "rpo", k_where, Need::optional);
  if (const toml::node* health = reader.find(table, "health", k_where, Need::required))
    out.health = read_health(reader, *health, out.name);
  if (const toml::node* marker = table.get("marker"))
    out.marker = read_marker(reader, *marker, out.name);
  // Only a marker writer measures a service's RPO: an objective nothing
  // can judge would let the drill pass without it (queues, object stores).
  if (out.rpo && !table.get("marker"))
    reader.report(reader.key_pos(table, "rpo"),
                  fmt::format("service '{}' sets rpo but has no [service.marker] to measure it; "
                              "add a marker writer or remove rpo",
                              out.name));
  return out;
}

// Unknown names are reported at the array element; cycles once each.
void check_graph(Reader& reader, const toml::array& tables,
                 const std::vector<ServiceConfig>& services) {
  std::vector<std::string> names;
  for (const auto& s : services) names.push_back(s.name);
  DependencyLists deps(services.size());
  for (std::size_t i = 0; i < services.size(); ++i) {
    const auto& table = *tables.get(i)->as_table();
    const auto* array = table.get("depends_on") ? table.get("depends_on")->as_array() : nullptr;
    for (std::size_t k = 0; k < services[i].depends_on.size(); ++k) {
      const std::string& dep = services[i].depends_on[k];
      auto it = std::find(names.begin(), names.end(), dep);
      if (it != names.end()) {
        deps[i].push_back(static_cast<std::size_t>(it - names.begin()));
        continue;
      }
      SourcePos at = array ? reader.pos(*array->get(k)) : services[i].pos;
      reader.report(at,
                    fmt::format("service '{}' depends on unknown service '{}'; services: {}",
                                services[i].name, dep, join(std::span<const std::string>(names))));
    }
  }
  for (const auto& cycle : find_cycles(deps))
    reader.report(services[cycle.front()].pos,
                  fmt::format("dependency cycle: {}", describe_cycle(cycle, names)));
}

}  // namespace

FailoverSettings read_failover_settings(Reader& reader, const toml::table& root) {
  FailoverSettings out;
  out.pos = reader.start_of_file();
  const toml::node* node = root.get("failover");
  if (!node) return out;
  const auto* table = node->as_table();
  if (!table) {
    reader.report(reader.pos(*node),
                  fmt::format("'failover' must be a table ([failover]), got {}", type_name(*node)));
    return out;
  }
  out.pos = reader.pos(*table);
  static constexpr std::string_view k_settings[] = {"deadline", "phases"};
  reader.reject_unknown_keys(*table, "[failover]", k_settings);
  out.deadline = reader.duration(*table, "deadline", "[failover]", Need::optional);
  if (auto phases = reader.string_list(*table, "phases", "[failover]", Need::optional)) {
    SourcePos at = reader.pos(*table->get("phases"));
    bool failover = false, failback = false, ok = true;
    for (const auto& p : *phases) {
      if (p == "failover" && !failover)
        failover = true;
      else if (p == "failback" && !failback)
        failback = true;
      else
        ok = false;
    }
    // A bad list gives one message, not one per service missing failback.
    if (!ok || !failover)
      reader.report(at, "'phases' must be [\"failover\"] or [\"failover\", \"failback\"]");
    out.failback = failback && ok && failover;
  }
  return out;
}

std::vector<ServiceConfig> read_services(Reader& reader, const toml::table& root,
                                         const fs::path& base_dir,
                                         const FailoverSettings& settings) {
  std::vector<ServiceConfig> out;
  const toml::node* node = root.get("service");
  if (!node) return out;
  const auto* array = node->as_array();
  if (!array || !array->is_array_of_tables() || array->empty()) {
    reader.report(reader.pos(*node),
                  fmt::format("'service' must be an array of tables: write [[service]], got {}",
                              node->is_table() ? "[service]" : type_name(*node)));
    return out;
  }
  SeenNames seen;
  for (const auto& element : *array)
    out.push_back(read_service(reader, *element.as_table(), base_dir, settings, seen));
  check_graph(reader, *array, out);
  return out;
}

}  // namespace dp::config::detail
