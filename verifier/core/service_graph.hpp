#pragma once
// The dependency graph of a failover plan's services, as indices. Pure: no
// I/O, no names beyond what the caller passes in. config/ uses it to reject
// cycles, plan/ and validate to print levels, drills/ to run levels in order.
//
// deps[i] lists the indices service i depends on (each < deps.size()).
#include <cstddef>
#include <string>
#include <vector>

namespace dp {

using DependencyLists = std::vector<std::vector<std::size_t>>;

// Every dependency cycle, one per strongly connected component that has one
// (a self-dependency included). Each cycle starts and ends at the component's
// lowest index and follows dependency edges: {0, 2, 0} means 0 depends on 2,
// which depends on 0. Cycles are ordered by their first index.
std::vector<std::vector<std::size_t>> find_cycles(const DependencyLists& deps);

// Services grouped by level: level 0 has no dependencies, level n depends on
// something in level n-1 and nothing later. Within a level, indices ascend.
// Precondition: the graph is acyclic (find_cycles returned nothing).
std::vector<std::vector<std::size_t>> dependency_levels(const DependencyLists& deps);

// The levels flattened: a topological order, dependencies first.
std::vector<std::size_t> topological_order(const DependencyLists& deps);

// Every index that depends on `root`, directly or through others (root
// excluded), ascending.
std::vector<std::size_t> transitive_dependents(const DependencyLists& deps, std::size_t root);

// "db -> api -> db" for a cycle from find_cycles.
std::string describe_cycle(const std::vector<std::size_t>& cycle,
                           const std::vector<std::string>& names);

}  // namespace dp
