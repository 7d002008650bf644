// Tarjan's algorithm finds the components; a breadth-first search inside a
// component gives the shortest cycle through its lowest index, so the
// message names a short, stable loop rather than a whole tangle.
#include "verifier/core/service_graph.hpp"

#include <algorithm>
#include <cassert>
#include <deque>
#include <functional>

namespace dp {
namespace {

std::vector<std::vector<std::size_t>> strongly_connected(const DependencyLists& deps) {
  const std::size_t n = deps.size();
  constexpr std::size_t k_unset = static_cast<std::size_t>(-1);
  std::vector<std::size_t> index(n, k_unset), low(n, 0);
  std::vector<bool> on_stack(n, false);
  std::vector<std::size_t> stack;
  std::vector<std::vector<std::size_t>> out;
  std::size_t counter = 0;
  std::function<void(std::size_t)> visit = [&](std::size_t v) {
    index[v] = low[v] = counter++;
    stack.push_back(v);
    on_stack[v] = true;
    for (std::size_t w : deps[v]) {
      assert(w < n);
      if (index[w] == k_unset) {
        visit(w);
        low[v] = std::min(low[v], low[w]);
      } else if (on_stack[w]) {
        low[v] = std::min(low[v], index[w]);
      }
    }
    if (low[v] != index[v]) return;
    std::vector<std::size_t> component;
    std::size_t w = 0;
    do {
      w = stack.back();
      stack.pop_back();
      on_stack[w] = false;
      component.push_back(w);
    } while (w != v);
    std::sort(component.begin(), component.end());
    out.push_back(std::move(component));
  };
  for (std::size_t v = 0; v < n; ++v)
    if (index[v] == k_unset) visit(v);
  return out;
}

// Shortest path start -> ... -> start along dependency edges inside `members`.
std::vector<std::size_t> cycle_through(const DependencyLists& deps,
                                       const std::vector<std::size_t>& members, std::size_t start) {
  auto inside = [&](std::size_t v) {
    return std::binary_search(members.begin(), members.end(), v);
  };
  std::vector<std::size_t> parent(deps.size(), static_cast<std::size_t>(-1));
  std::deque<std::size_t> queue{start};
  std::vector<bool> seen(deps.size(), false);
  seen[start] = true;
  while (!queue.empty()) {
    std::size_t v = queue.front();
    queue.pop_front();
    for (std::size_t w : deps[v]) {
      if (w == start) {
        std::vector<std::size_t> path{start};
        for (std::size_t u = v; u != start; u = parent[u]) path.push_back(u);
        std::reverse(path.begin() + 1, path.end());
        path.push_back(start);
        return path;
      }
      if (!inside(w) || seen[w]) continue;
      seen[w] = true;
      parent[w] = v;
      queue.push_back(w);
    }
  }
  return {};
}

}  // namespace

std::vector<std::vector<std::size_t>> find_cycles(const DependencyLists& deps) {
  std::vector<std::vector<std::size_t>> out;
  for (const auto& component : strongly_connected(deps)) {
    const std::size_t first = component.front();
    const bool self_loop =
        std::find(deps[first].begin(), deps[first].end(), first) != deps[first].end();
    if (component.size() == 1 && !self_loop) continue;
    auto cycle = cycle_through(deps, component, first);
    assert(!cycle.empty());
    out.push_back(std::move(cycle));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a[0] < b[0]; });
  return out;
}

std::vector<std::vector<std::size_t>> dependency_levels(const DependencyLists& deps) {
  const std::size_t n = deps.size();
  constexpr std::size_t k_unset = static_cast<std::size_t>(-1);
  std::vector<std::size_t> level(n, k_unset);
  std::function<std::size_t(std::size_t, std::size_t)> level_of = [&](std::size_t v,
                                                                      std::size_t depth) {
    assert(depth <= n && "dependency_levels needs an acyclic graph");
    if (level[v] != k_unset) return level[v];
    std::size_t l = 0;
    for (std::size_t w : deps[v]) l = std::max(l, level_of(w, depth + 1) + 1);
    return level[v] = l;
  };
  std::vector<std::vector<std::size_t>> out;
  for (std::size_t v = 0; v < n; ++v) {
    std::size_t l = level_of(v, 0);
    if (out.size() <= l) out.resize(l + 1);
    out[l].push_back(v);
  }
  return out;
}

std::vector<std::size_t> topological_order(const DependencyLists& deps) {
  std::vector<std::size_t> out;
  for (const auto& level : dependency_levels(deps))
    out.insert(out.end(), level.begin(), level.end());
  return out;
}

std::vector<std::size_t> transitive_dependents(const DependencyLists& deps, std::size_t root) {
  std::vector<bool> marked(deps.size(), false);
  marked[root] = true;
  bool changed = true;
  while (changed) {
    changed = false;
    for (std::size_t v = 0; v < deps.size(); ++v) {
      if (marked[v]) continue;
      for (std::size_t w : deps[v])
        if (marked[w]) {
          marked[v] = true;
          changed = true;
          break;
        }
    }
  }
  std::vector<std::size_t> out;
  for (std::size_t v = 0; v < deps.size(); ++v)
    if (marked[v] && v != root) out.push_back(v);
  return out;
}

std::string describe_cycle(const std::vector<std::size_t>& cycle,
                           const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < cycle.size(); ++i) {
    if (i) out += " -> ";
    out += names[cycle[i]];
  }
  return out;
}

}  // namespace dp
