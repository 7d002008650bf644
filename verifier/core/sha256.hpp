#pragma once
// SHA-256 through OpenSSL's EVP interface: the digest every report bundle,
// history line and plan fingerprint uses. Lowercase hex, as sha256sum prints.
#include <filesystem>
#include <string>
#include <string_view>

#include "verifier/core/result.hpp"

namespace dp {

std::string sha256_hex(std::string_view bytes);

// Streams the file in large blocks; Errc::io naming the file when it cannot
// be opened or read.
Result<std::string> sha256_file_hex(const std::filesystem::path& file);

}  // namespace dp
