// The failover dependency graph: levels, order, cycles, dependents.
#include "verifier/core/service_graph.hpp"

#include <gtest/gtest.h>

namespace dp {
namespace {

using Levels = std::vector<std::vector<std::size_t>>;

// 0 dns, 1 lb, 2 api, 3 db, 4 queue: lb->api->{db,queue}, dns->lb
const DependencyLists k_web = {{1}, {2}, {3, 4}, {}, {}};

TEST(ServiceGraphTest, LevelsPutDependenciesFirst) {
  EXPECT_EQ(dependency_levels(k_web), (Levels{{3, 4}, {2}, {1}, {0}}));
  EXPECT_EQ(topological_order(k_web), (std::vector<std::size_t>{3, 4, 2, 1, 0}));
}

TEST(ServiceGraphTest, LevelIsTheLongestPathNotTheFirstFound) {
  // 2 depends on 0 (level 0) and 1 (level 1, since 1 depends on 0).
  DependencyLists deps = {{}, {0}, {0, 1}};
  EXPECT_EQ(dependency_levels(deps), (Levels{{0}, {1}, {2}}));
}

TEST(ServiceGraphTest, IndependentServicesShareLevelZero) {
  EXPECT_EQ(dependency_levels({{}, {}, {}}), (Levels{{0, 1, 2}}));
  EXPECT_TRUE(dependency_levels({}).empty());
}

TEST(ServiceGraphTest, AcyclicGraphHasNoCycle) { EXPECT_TRUE(find_cycles(k_web).empty()); }

TEST(ServiceGraphTest, TwoServiceCycleIsNamedFromTheLowestIndex) {
  DependencyLists deps = {{1}, {0}, {}};
  auto cycles = find_cycles(deps);
  ASSERT_EQ(cycles.size(), 1u);
  EXPECT_EQ(describe_cycle(cycles[0], {"db", "api", "lb"}), "db -> api -> db");
}

TEST(ServiceGraphTest, SelfDependencyIsACycle) {
  auto cycles = find_cycles({{}, {1}});
  ASSERT_EQ(cycles.size(), 1u);
  EXPECT_EQ(describe_cycle(cycles[0], {"a", "b"}), "b -> b");
}

TEST(ServiceGraphTest, SeparateCyclesAreEachReported) {
  // 0->1->2->0 and 3->4->3, 5 depends on the first cycle but is not in it.
  DependencyLists deps = {{1}, {2}, {0}, {4}, {3}, {0}};
  auto cycles = find_cycles(deps);
  ASSERT_EQ(cycles.size(), 2u);
  EXPECT_EQ(cycles[0], (std::vector<std::size_t>{0, 1, 2, 0}));
  EXPECT_EQ(cycles[1], (std::vector<std::size_t>{3, 4, 3}));
}

TEST(ServiceGraphTest, ShortestLoopThroughTheLowestIndex) {
  // 0->1->2->3->0 and a shortcut 0->3: the cycle named is 0 -> 3 -> 0.
  DependencyLists deps = {{1, 3}, {2}, {3}, {0}};
  auto cycles = find_cycles(deps);
  ASSERT_EQ(cycles.size(), 1u);
  EXPECT_EQ(cycles[0], (std::vector<std::size_t>{0, 3, 0}));
}

TEST(ServiceGraphTest, TransitiveDependents) {
  EXPECT_EQ(transitive_dependents(k_web, 3), (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_EQ(transitive_dependents(k_web, 1), (std::vector<std::size_t>{0}));
  EXPECT_TRUE(transitive_dependents(k_web, 0).empty());
}

}  // namespace
}  // namespace dp
