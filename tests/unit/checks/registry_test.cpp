#include "checks/registry.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "tests/fixtures/fake_engine.hpp"
#include "tests/unit/checks/spec_helpers.hpp"

namespace dp::checks {
namespace {

using namespace spec_helpers;

// One valid spec per kind. A new kind must add one here, or
// EveryKindHasAValidSampleSpec fails.
const std::map<std::string, CheckSpec>& sample_specs() {
  static const std::map<std::string, CheckSpec> specs = {
      {"row_count", spec("row_count", "orders rows",
                         {{"table", str("public.orders")}, {"expect", integer(100)}})},
      {"query", spec("query", "no orphan items",
                     {{"sql", str("SELECT count(*) FROM order_items WHERE order_id IS NULL")},
                      {"expect", integer(0)}})},
      {"schema", spec("schema", "schema", {})},
      {"row_counts", spec("row_counts", "row counts", {})},
      {"fingerprint", spec("fingerprint", "content", {})},
      {"integrity", spec("integrity", "engine integrity", {})},
      {"foreign_keys", spec("foreign_keys", "no orphans", {})},
      {"freshness",
       spec("freshness", "fresh", {{"query", str("SELECT max(placed_at) FROM orders")}})},
      {"blob_refs", spec("blob_refs", "attachments",
                         {{"store", str("media")}, {"query", str("SELECT key FROM attachments")}})},
  };
  return specs;
}

TEST(Registry, ListsTheKnownKindsOnce) {
  std::set<std::string> types;
  for (const auto& kind : registry()) {
    EXPECT_TRUE(types.insert(kind.info.type).second) << "duplicate kind " << kind.info.type;
  }
  EXPECT_EQ(types,
            (std::set<std::string>{"blob_refs", "fingerprint", "foreign_keys", "freshness",
                                   "integrity", "query", "row_count", "row_counts", "schema"}));
}

TEST(Registry, EveryKindIsComplete) {
  ASSERT_FALSE(registry().empty());
  for (const auto& kind : registry()) {
    SCOPED_TRACE(kind.info.type);
    EXPECT_FALSE(kind.info.type.empty());
    EXPECT_FALSE(kind.info.summary.empty());
    EXPECT_FALSE(kind.info.params.empty());
    EXPECT_TRUE(static_cast<bool>(kind.info.validate));
    EXPECT_TRUE(static_cast<bool>(kind.info.default_name));
    EXPECT_NE(kind.make, nullptr);
    std::set<std::string> keys;
    for (const auto& p : kind.info.params) {
      EXPECT_FALSE(p.key.empty());
      EXPECT_FALSE(p.help.empty()) << p.key;
      EXPECT_NE(p.key, "type") << "implicit key declared";
      EXPECT_NE(p.key, "name") << "implicit key declared";
      EXPECT_TRUE(keys.insert(p.key).second) << "duplicate param " << p.key;
    }
  }
}

TEST(Registry, KindInfosMirrorTheRegistry) {
  auto infos = kind_infos();
  ASSERT_EQ(infos.size(), registry().size());
  for (std::size_t i = 0; i < infos.size(); ++i) {
    EXPECT_EQ(infos[i].type, registry()[i].info.type);
    EXPECT_EQ(infos[i].params.size(), registry()[i].info.params.size());
    EXPECT_TRUE(static_cast<bool>(infos[i].validate));
    EXPECT_TRUE(static_cast<bool>(infos[i].default_name));
  }
}

TEST(Registry, EveryKindHasAValidSampleSpec) {
  for (const auto& kind : registry()) {
    SCOPED_TRACE(kind.info.type);
    auto it = sample_specs().find(kind.info.type);
    ASSERT_NE(it, sample_specs().end()) << "add a sample spec for this kind";
    EXPECT_TRUE(kind.info.validate(it->second).empty());
    // Kinds with cross-key rules reject an empty spec; the others need no keys.
    const std::set<std::string> needs_keys = {"row_count", "query", "freshness"};
    EXPECT_EQ(kind.info.validate(spec(kind.info.type, "", {})).empty(),
              !needs_keys.count(kind.info.type));
    std::string name = kind.info.default_name(it->second);
    EXPECT_TRUE(name == kind.info.type || name.rfind(kind.info.type + " ", 0) == 0) << name;
  }
}

TEST(Registry, MakeCheckBuildsEachKind) {
  for (const auto& kind : registry()) {
    SCOPED_TRACE(kind.info.type);
    const CheckSpec& s = sample_specs().at(kind.info.type);
    auto check = make_check(s);
    ASSERT_TRUE(check) << check.error().message;
    ASSERT_NE(*check, nullptr);
    EXPECT_EQ((*check)->id(), s.type);
    EXPECT_EQ((*check)->describe(), s.name);
  }
}

TEST(Registry, MadeChecksRunAgainstAnEngine) {
  fake::FakeEngine db;
  db.on_value("SELECT count(*) FROM \"public\".\"orders\"", "100", "count");
  db.on_value("SELECT count(*) FROM order_items WHERE order_id IS NULL", "0", "count");
  // The two kinds that need nothing but a session; the others have their own tests.
  for (const char* type : {"row_count", "query"}) {
    const CheckSpec& s = sample_specs().at(type);
    auto check = make_check(s);
    ASSERT_TRUE(check) << type;
    CheckOutcome out = (*check)->run(CheckContext{db, "shop"});
    EXPECT_EQ(out.outcome, Outcome::passed) << type << ": " << out.message;
  }
  EXPECT_EQ(db.query_count(), 2u);
}

TEST(Registry, MakeCheckRejectsAnUnknownType) {
  auto check = make_check(spec("checksum", "c", {{"table", str("t")}}));
  ASSERT_FALSE(check);
  EXPECT_EQ(check.error().code, Errc::invalid_input);
  EXPECT_EQ(check.error().message, "unknown check type 'checksum'");

  auto empty = make_check(spec("", "c", {}));
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, Errc::invalid_input);
  EXPECT_EQ(empty.error().message, "unknown check type ''");
}

TEST(Registry, TypesAreCaseSensitive) {
  auto check = make_check(spec("ROW_COUNT", "c", {{"table", str("t")}, {"expect", integer(1)}}));
  ASSERT_FALSE(check);
  EXPECT_EQ(check.error().code, Errc::invalid_input);
}

}  // namespace
}  // namespace dp::checks
