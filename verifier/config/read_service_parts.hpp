#pragma once
// Internal to verifier/config/ (exposes toml++ types): the pieces of a
// [[service]] table, shared by read_service.cpp and read_probe.cpp.
#include <string_view>

#include "verifier/config/reader.hpp"

namespace dp::config::detail {

// [service.health] or an inline table; `service` names the owner in messages.
HealthConfig read_health(Reader& reader, const toml::node& node, std::string_view service);

// [service.marker].
MarkerConfig read_marker(Reader& reader, const toml::node& node, std::string_view service);

}  // namespace dp::config::detail
