// Entry points, the top level of the document and [plan]. toml++ throws on a
// syntax error; that is the one exception config/ lets toml++ raise, and it is
// caught here and becomes the only diagnostic (the rest of the document cannot
// be trusted once the parser gave up).
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "verifier/config/config.hpp"
#include "verifier/config/reader.hpp"
#include "verifier/core/fd.hpp"
#include "verifier/core/sha256.hpp"

namespace dp::config {
namespace {

namespace fs = std::filesystem;
using detail::Need;
using detail::Reader;

constexpr std::string_view k_plan_where = "[plan]";
constexpr std::string_view k_plan_keys[] = {
    "name",          "owner",           "rto",           "rpo",     "pg_bindir",    "run_as",
    "start_timeout", "restore_timeout", "check_timeout", "history", "expect_every", "mysql_bindir"};
constexpr std::size_t k_max_plan_bytes = std::size_t{16} << 20;

PlanSettings read_plan(Reader& reader, const toml::table& root, const fs::path& base_dir) {
  PlanSettings out;
  out.pos = reader.start_of_file();
  const toml::node* node = root.get("plan");
  if (!node) {
    reader.report(reader.start_of_file(),
                  "missing [plan] table; a plan starts with [plan] and "
                  "name = \"...\"");
    return out;
  }
  const auto* table = node->as_table();
  if (!table) {
    reader.report(reader.pos(*node),
                  fmt::format("'plan' must be a table ([plan]), got {}", detail::type_name(*node)));
    return out;
  }
  out.pos = reader.pos(*table);
  reader.reject_unknown_keys(*table, k_plan_where, k_plan_keys);

  if (auto name = reader.string(*table, "name", k_plan_where, Need::required)) {
    if (name->empty()) reader.report(reader.pos(*table->get("name")), "'name' must not be empty");
    out.name = *name;
  }
  out.owner = reader.string(*table, "owner", k_plan_where, Need::optional).value_or("");
  out.objectives.rto = reader.duration(*table, "rto", k_plan_where, Need::optional);
  out.objectives.rpo = reader.duration(*table, "rpo", k_plan_where, Need::optional);
  out.pg_bindir = reader.string(*table, "pg_bindir", k_plan_where, Need::optional).value_or("");
  out.mysql_bindir =
      reader.string(*table, "mysql_bindir", k_plan_where, Need::optional).value_or("");
  out.run_as = reader.string(*table, "run_as", k_plan_where, Need::optional).value_or("");
  if (auto d = reader.duration(*table, "start_timeout", k_plan_where, Need::optional))
    out.start_timeout = *d;
  if (auto d = reader.duration(*table, "restore_timeout", k_plan_where, Need::optional))
    out.restore_timeout = *d;
  if (auto d = reader.duration(*table, "check_timeout", k_plan_where, Need::optional))
    out.check_timeout = *d;
  if (auto text = reader.string(*table, "history", k_plan_where, Need::optional)) {
    if (text->empty())
      reader.report(reader.pos(*table->get("history")), "'history' must not be empty");
    else
      out.history = (base_dir / fs::path(*text)).lexically_normal();
  }
  if (auto d = reader.duration(*table, "expect_every", k_plan_where, Need::optional)) {
    if (d->count() <= 0)
      reader.report(reader.pos(*table->get("expect_every")), "'expect_every' must be positive");
    else
      out.expect_every = *d;
  }
  return out;
}

constexpr std::string_view k_nothing_to_drill =
    "no [[backup]] or [[service]] entries; a plan needs at least one [[backup]] or [[service]] "
    "table";

std::vector<BackupConfig> read_backups(Reader& reader, const toml::table& root,
                                       const fs::path& base_dir,
                                       std::span<const CheckKindInfo> kinds) {
  std::vector<BackupConfig> out;
  const toml::node* node = root.get("backup");
  if (!node && root.get("catalog")) return out;  // a plan of catalogs only
  if (!node) {
    // A failover-only plan has services and no backups.
    if (!root.get("service"))
      reader.report(reader.start_of_file(), std::string(k_nothing_to_drill));
    return out;
  }
  const auto* array = node->as_array();
  if (!array || (!array->empty() && !array->is_array_of_tables())) {
    reader.report(reader.pos(*node),
                  fmt::format("'backup' must be an array of tables: write [[backup]], got {}",
                              node->is_table() ? "[backup]" : detail::type_name(*node)));
    return out;
  }
  if (array->empty()) {
    reader.report(reader.pos(*node), std::string(k_nothing_to_drill));
    return out;
  }
  detail::SeenNames seen;
  for (const auto& element : *array)
    out.push_back(detail::read_backup(reader, *element.as_table(), base_dir, kinds, seen));
  return out;
}

void reject_unknown_top_level(Reader& reader, const toml::table& root) {
  static constexpr std::string_view k_expected =
      "expected [plan], [[backup]], [[catalog]], [[blob_store]], [failover] or [[service]]";
  for (auto&& [key, node] : root) {
    if (key == "plan" || key == "backup" || key == "catalog" || key == "blob_store" ||
        key == "failover" || key == "service")
      continue;
    SourcePos at = reader.pos(key.source());
    if (node.is_table())
      reader.report(at, fmt::format("unknown table [{}]; {}", key.str(), k_expected));
    else if (node.is_array_of_tables())
      reader.report(at, fmt::format("unknown table [[{}]]; {}", key.str(), k_expected));
    else
      reader.report(at, fmt::format("unknown key '{}' at top level; {}", key.str(), k_expected));
  }
}

// toml++ starts its descriptions with "Error while parsing ..."; our messages
// start in lowercase (CONVENTIONS §3).
std::string lowercase_first(std::string_view text) {
  std::string out(text);
  if (out.size() > 1 && out[0] >= 'A' && out[0] <= 'Z' && out[1] >= 'a' && out[1] <= 'z')
    out[0] = static_cast<char>(out[0] - 'A' + 'a');
  return out;
}

fs::path base_dir_of(const fs::path& file) {
  std::error_code ec;
  fs::path absolute = fs::absolute(file, ec);
  return (ec ? file : absolute).parent_path();
}

// The whole file, or the reason it could not be read.
Result<std::string, std::string> read_text(const fs::path& file) {
  auto reason = [](int err) {
    return Unexpected<std::string>(std::generic_category().message(err));
  };
  Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return reason(errno);
  std::string text;
  char buffer[65536];
  while (true) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return reason(errno);
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
    if (text.size() > k_max_plan_bytes)
      return Unexpected<std::string>(
          fmt::format("larger than {} MiB; is this a plan file?", k_max_plan_bytes >> 20));
  }
  return text;
}

}  // namespace

std::string Diagnostic::format() const {
  if (pos.line > 0 && pos.column > 0)
    return fmt::format("{}:{}:{}: {}", pos.file, pos.line, pos.column, message);
  if (pos.line > 0) return fmt::format("{}:{}: {}", pos.file, pos.line, message);
  return fmt::format("{}: {}", pos.file, message);
}

Result<Config, Diagnostics> parse(std::string_view text, const fs::path& file,
                                  std::span<const CheckKindInfo> kinds) {
  const std::string file_name = file.string();
  Reader reader(file_name);
  toml::table root;
  try {
    root = toml::parse(text, std::string_view(file_name));
  } catch (const toml::parse_error& e) {
    return Unexpected<Diagnostics>(
        Diagnostics{Diagnostic{reader.pos(e.source()),
                               fmt::format("syntax error: {}", lowercase_first(e.description()))}});
  } catch (const std::exception& e) {
    return Unexpected<Diagnostics>(Diagnostics{
        Diagnostic{SourcePos{file_name, 0, 0}, fmt::format("cannot parse plan: {}", e.what())}});
  }

  Config config;
  config.file = file;
  reject_unknown_top_level(reader, root);
  config.plan = read_plan(reader, root, base_dir_of(file));
  config.backups = read_backups(reader, root, base_dir_of(file), kinds);
  detail::SeenNames backup_names;
  for (const auto& b : config.backups) backup_names.emplace(b.name, b.pos.line);
  config.catalogs = detail::read_catalogs(reader, root, base_dir_of(file), backup_names);
  config.blob_stores = detail::read_blob_stores(reader, root, base_dir_of(file));
  detail::resolve_blob_stores(reader, kinds, config.blob_stores, config.backups);
  config.failover = detail::read_failover_settings(reader, root);
  config.services = detail::read_services(reader, root, base_dir_of(file), config.failover);
  if (reader.error_count() > 0) return Unexpected<Diagnostics>(reader.take_sorted());
  return config;
}

Result<Config, Diagnostics> load(const fs::path& file, std::span<const CheckKindInfo> kinds) {
  auto text = read_text(file);
  if (!text)
    return Unexpected<Diagnostics>(Diagnostics{Diagnostic{
        SourcePos{file.string(), 0, 0}, fmt::format("cannot read plan: {}", text.error())}});
  auto config = parse(*text, file, kinds);
  if (config) config->digest = sha256_hex(*text);
  return config;
}

}  // namespace dp::config
