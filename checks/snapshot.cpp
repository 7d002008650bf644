// Snapshot capture and the JSON format "drillproof-snapshot" v1
// (docs/snapshot.md). nlohmann/json throws, so every call into it stays in
// this file behind a try/catch and comes out as a Result.
#include "checks/snapshot.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "checks/fingerprint.hpp"

namespace dp::checks {
namespace {

using Json = nlohmann::ordered_json;

// --- writing -----------------------------------------------------------

Json to_json(const std::optional<std::string>& v) { return v ? Json(*v) : Json(nullptr); }

Json columns_json(const std::vector<engine::Column>& columns) {
  Json out = Json::array();
  for (const auto& c : columns)
    out.push_back(Json{{"name", c.name},
                       {"type", c.type},
                       {"nullable", c.nullable},
                       {"default", to_json(c.default_expr)}});
  return out;
}

Json constraints_json(const std::vector<engine::Constraint>& constraints) {
  Json out = Json::array();
  for (const auto& c : constraints) {
    Json j{
        {"name", c.name}, {"kind", c.kind}, {"columns", c.columns}, {"definition", c.definition}};
    j["ref_table"] = c.ref_table.name.empty() ? Json(nullptr) : Json(c.ref_table.qualified());
    j["ref_columns"] = c.ref_columns;
    out.push_back(std::move(j));
  }
  return out;
}

Json fingerprint_json(const TableFingerprint& fp) {
  Json segments = Json::array();
  for (const auto& s : fp.segments)
    segments.push_back(Json{
        {"first_key", s.first_key}, {"last_key", s.last_key}, {"rows", s.rows}, {"hash", s.hash}});
  return Json{{"mode", fp.mode},
              {"key_columns", fp.key_columns},
              {"segment_rows", fp.segment_rows},
              {"segments", std::move(segments)}};
}

Json table_json(const TableSnapshot& t) {
  Json indexes = Json::array();
  for (const auto& i : t.schema.indexes)
    indexes.push_back(Json{{"name", i.name}, {"definition", i.definition}, {"unique", i.unique}});
  Json j{{"name", t.schema.name.qualified()},
         {"row_count", t.row_count},
         {"columns", columns_json(t.schema.columns)},
         {"primary_key", t.schema.primary_key},
         {"constraints", constraints_json(t.schema.constraints)},
         {"indexes", std::move(indexes)}};
  j["fingerprint"] = t.fingerprint.mode.empty() ? Json(nullptr) : fingerprint_json(t.fingerprint);
  return j;
}

// --- reading -----------------------------------------------------------

engine::TableName table_name(const std::string& qualified) {
  auto dot = qualified.find('.');
  if (dot == std::string::npos) return {"", qualified};
  return {qualified.substr(0, dot), qualified.substr(dot + 1)};
}

// Reads the JSON tree without throwing: the first problem is kept (with the
// JSON path of the offending field) and later reads return empty values.
class Reader {
 public:
  const std::optional<std::string>& error() const { return m_error; }

  Snapshot snapshot(const Json& j) {
    Snapshot s;
    if (!j.is_object()) return fail_with(s, "expected a JSON object");
    const std::string format = str(j, "format", "$");
    if (m_error) return s;
    if (format != "drillproof-snapshot")
      return fail_with(s, fmt::format("not a drillproof snapshot (format is \"{}\")", format));
    const Json* version = field(j, "format_version", "$");
    if (!version) return s;
    if (!version->is_number_integer() || version->get<std::int64_t>() != k_snapshot_format_version)
      return fail_with(s, fmt::format("unsupported format_version {} (this drillproof reads {})",
                                      version->dump(), k_snapshot_format_version));
    s.engine = str(j, "engine", "$");
    s.server_version = str(j, "server_version", "$");
    s.taken_at = str(j, "taken_at", "$");
    s.source = str(j, "source", "$");
    static_cast<void>(count(j, "segment_rows", "$"));
    const Json& tables = array(j, "tables", "$");
    for (std::size_t i = 0; i < tables.size() && !m_error; ++i)
      s.tables.push_back(table(tables[i], fmt::format("$.tables[{}]", i)));
    const Json& views = array(j, "views", "$");
    for (std::size_t i = 0; i < views.size(); ++i) {
      const std::string p = fmt::format("$.views[{}]", i);
      s.views.push_back({table_name(str(views[i], "name", p)), str(views[i], "definition", p)});
    }
    const Json& sequences = array(j, "sequences", "$");
    for (std::size_t i = 0; i < sequences.size(); ++i) {
      const std::string p = fmt::format("$.sequences[{}]", i);
      s.sequences.push_back(
          {table_name(str(sequences[i], "name", p)), str(sequences[i], "last_value", p)});
    }
    return s;
  }

 private:
  template <class T>
  T fail_with(T value, std::string message) {
    if (!m_error) m_error = std::move(message);
    return value;
  }

  const Json* field(const Json& obj, const char* key, const std::string& path) {
    if (!obj.is_object()) return fail_with<const Json*>(nullptr, path + ": expected an object");
    auto it = obj.find(key);
    if (it == obj.end())
      return fail_with<const Json*>(nullptr, fmt::format("{}: missing field '{}'", path, key));
    return &*it;
  }

  std::string str(const Json& obj, const char* key, const std::string& path) {
    const Json* v = field(obj, key, path);
    if (!v) return {};
    if (!v->is_string())
      return fail_with(std::string(), fmt::format("{}.{}: expected a string", path, key));
    return v->get<std::string>();
  }

  std::optional<std::string> opt_str(const Json& obj, const char* key, const std::string& path) {
    if (!obj.is_object()) return std::nullopt;
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return std::nullopt;
    if (!it->is_string())
      return fail_with(std::optional<std::string>(),
                       fmt::format("{}.{}: expected a string or null", path, key));
    return it->get<std::string>();
  }

  std::uint64_t count(const Json& obj, const char* key, const std::string& path) {
    const Json* v = field(obj, key, path);
    if (!v) return 0;
    if (!v->is_number_unsigned())
      return fail_with(std::uint64_t{0},
                       fmt::format("{}.{}: expected a non-negative integer", path, key));
    return v->get<std::uint64_t>();
  }

  bool boolean(const Json& obj, const char* key, const std::string& path) {
    const Json* v = field(obj, key, path);
    if (!v) return false;
    if (!v->is_boolean())
      return fail_with(false, fmt::format("{}.{}: expected true or false", path, key));
    return v->get<bool>();
  }

  std::vector<std::string> strings(const Json& obj, const char* key, const std::string& path) {
    const Json* v = field(obj, key, path);
    if (!v) return {};
    std::vector<std::string> out;
    if (v->is_array())
      for (const auto& e : *v)
        if (e.is_string()) out.push_back(e.get<std::string>());
    if (!v->is_array() || out.size() != v->size())
      return fail_with(std::vector<std::string>(),
                       fmt::format("{}.{}: expected an array of strings", path, key));
    return out;
  }

  const Json& array(const Json& obj, const char* key, const std::string& path) {
    static const Json k_empty = Json::array();
    const Json* v = field(obj, key, path);
    if (!v) return k_empty;
    if (!v->is_array())
      return *fail_with(&k_empty, fmt::format("{}.{}: expected an array", path, key));
    return *v;
  }

  TableFingerprint fingerprint(const Json& j, const std::string& path) {
    TableFingerprint fp;
    fp.mode = str(j, "mode", path);
    if (!m_error && fp.mode != "ordered" && fp.mode != "multiset")
      return fail_with(fp, fmt::format("{}.mode: expected \"ordered\" or \"multiset\", got \"{}\"",
                                       path, fp.mode));
    fp.key_columns = strings(j, "key_columns", path);
    fp.segment_rows = count(j, "segment_rows", path);
    const Json& segments = array(j, "segments", path);
    for (std::size_t i = 0; i < segments.size() && !m_error; ++i) {
      const std::string p = fmt::format("{}.segments[{}]", path, i);
      Segment s;
      s.first_key = strings(segments[i], "first_key", p);
      s.last_key = strings(segments[i], "last_key", p);
      s.rows = count(segments[i], "rows", p);
      s.hash = str(segments[i], "hash", p);
      if (m_error) break;
      if (s.hash.size() != 32 || s.hash.find_first_not_of("0123456789abcdef") != std::string::npos)
        return fail_with(fp, fmt::format("{}.hash: expected 32 lowercase hex digits", p));
      if (fp.mode == "ordered" && (s.first_key.size() != fp.key_columns.size() ||
                                   s.last_key.size() != fp.key_columns.size()))
        return fail_with(fp, fmt::format("{}: keys must have {} values", p, fp.key_columns.size()));
      fp.segments.push_back(std::move(s));
    }
    return fp;
  }

  TableSnapshot table(const Json& j, const std::string& path) {
    TableSnapshot t;
    t.schema.name = table_name(str(j, "name", path));
    t.row_count = count(j, "row_count", path);
    const Json& columns = array(j, "columns", path);
    for (std::size_t i = 0; i < columns.size(); ++i) {
      const std::string p = fmt::format("{}.columns[{}]", path, i);
      engine::Column c;
      c.name = str(columns[i], "name", p);
      c.type = str(columns[i], "type", p);
      c.nullable = boolean(columns[i], "nullable", p);
      c.default_expr = opt_str(columns[i], "default", p);
      t.schema.columns.push_back(std::move(c));
    }
    t.schema.primary_key = strings(j, "primary_key", path);
    const Json& constraints = array(j, "constraints", path);
    for (std::size_t i = 0; i < constraints.size(); ++i) {
      const std::string p = fmt::format("{}.constraints[{}]", path, i);
      engine::Constraint c;
      c.name = str(constraints[i], "name", p);
      c.kind = str(constraints[i], "kind", p);
      c.columns = strings(constraints[i], "columns", p);
      c.definition = str(constraints[i], "definition", p);
      if (auto ref = opt_str(constraints[i], "ref_table", p)) c.ref_table = table_name(*ref);
      if (constraints[i].is_object() && constraints[i].contains("ref_columns"))
        c.ref_columns = strings(constraints[i], "ref_columns", p);
      t.schema.constraints.push_back(std::move(c));
    }
    const Json& indexes = array(j, "indexes", path);
    for (std::size_t i = 0; i < indexes.size(); ++i) {
      const std::string p = fmt::format("{}.indexes[{}]", path, i);
      engine::Index x;
      x.name = str(indexes[i], "name", p);
      x.definition = str(indexes[i], "definition", p);
      x.unique = boolean(indexes[i], "unique", p);
      t.schema.indexes.push_back(std::move(x));
    }
    const Json* fp = field(j, "fingerprint", path);
    if (fp && !fp->is_null()) t.fingerprint = fingerprint(*fp, path + ".fingerprint");
    return t;
  }

  std::optional<std::string> m_error;
};

std::string utc_now() {
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

const TableSnapshot* Snapshot::find(const std::string& qualified) const {
  for (const auto& t : tables)
    if (t.schema.name.qualified() == qualified) return &t;
  return nullptr;
}

Result<Snapshot> take_snapshot(engine::Engine& engine, const SnapshotOptions& options) {
  auto schema = engine::read_schema(engine);
  if (!schema) return Unexpected<Error>(std::move(schema).error().context("snapshot"));
  Snapshot s;
  s.engine = std::string(engine_kind_name(engine.kind()));
  s.server_version = engine.server_version();
  s.taken_at = utc_now();
  s.source = options.source_label;
  s.views = schema->views;
  s.sequences = schema->sequences;
  for (const auto& table : schema->tables) {
    TableSnapshot t;
    t.schema = table;
    const std::string name = table.name.qualified();
    auto counted = engine::query_count(
        engine, fmt::format("SELECT count(*) FROM {}", engine::quote_table(engine, table.name)));
    if (!counted) return Unexpected<Error>(std::move(counted).error().context("snapshot: " + name));
    t.row_count = *counted;
    if (options.fingerprints) {
      auto fp = fingerprint_table(engine, table, options.segment_rows);
      if (!fp) return Unexpected<Error>(std::move(fp).error().context("snapshot"));
      t.fingerprint = std::move(*fp);
    }
    s.tables.push_back(std::move(t));
  }
  std::sort(s.tables.begin(), s.tables.end(), [](const TableSnapshot& a, const TableSnapshot& b) {
    return a.schema.name.qualified() < b.schema.name.qualified();
  });
  return s;
}

std::string snapshot_to_json(const Snapshot& snapshot) {
  std::uint64_t segment_rows = 0;
  for (const auto& t : snapshot.tables)
    if (t.fingerprint.mode == "ordered") segment_rows = t.fingerprint.segment_rows;
  Json tables = Json::array();
  for (const auto& t : snapshot.tables) tables.push_back(table_json(t));
  Json views = Json::array();
  for (const auto& v : snapshot.views)
    views.push_back(Json{{"name", v.name.qualified()}, {"definition", v.definition}});
  Json sequences = Json::array();
  for (const auto& q : snapshot.sequences)
    sequences.push_back(Json{{"name", q.name.qualified()}, {"last_value", q.last_value}});
  Json j{{"format", "drillproof-snapshot"}, {"format_version", k_snapshot_format_version},
         {"engine", snapshot.engine},       {"server_version", snapshot.server_version},
         {"taken_at", snapshot.taken_at},   {"source", snapshot.source},
         {"segment_rows", segment_rows},    {"tables", std::move(tables)},
         {"views", std::move(views)},       {"sequences", std::move(sequences)}};
  // Invalid UTF-8 in a value is replaced rather than thrown about.
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

Result<Snapshot> read_snapshot(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return make_error(Errc::io, fmt::format("{}: cannot read the snapshot", file.string()));
  std::stringstream text;
  text << in.rdbuf();
  try {
    Json j = Json::parse(text.str());
    Reader reader;
    Snapshot s = reader.snapshot(j);
    if (reader.error())
      return make_error(Errc::invalid_input, fmt::format("{}: {}", file.string(), *reader.error()));
    return s;
  } catch (const Json::parse_error& e) {
    return make_error(Errc::invalid_input,
                      fmt::format("{}: not JSON: {}", file.string(), e.what()));
  } catch (const Json::exception& e) {
    return make_error(Errc::invalid_input, fmt::format("{}: {}", file.string(), e.what()));
  }
}

}  // namespace dp::checks
