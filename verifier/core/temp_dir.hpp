#pragma once
// A private temporary directory (mode 0700), removed with everything in it
// when the owner is destroyed, unless keep() was called.
#include <filesystem>
#include <string>

#include "verifier/core/result.hpp"
#include "verifier/core/user.hpp"

namespace dp {

class TempDir {
 public:
  // Created under $TMPDIR (or /tmp) as "<prefix>XXXXXX".
  static Result<TempDir> create(const std::string& prefix);

  TempDir(TempDir&& o) noexcept;
  TempDir& operator=(TempDir&& o) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::filesystem::path& path() const { return m_path; }
  void keep() { m_keep = true; }
  bool kept() const { return m_keep; }
  // Hands the directory to another account (servers that must not run as root).
  Result<void> chown_to(const Credentials& user) const;

 private:
  TempDir(std::filesystem::path p) : m_path(std::move(p)) {}
  void remove();
  std::filesystem::path m_path;
  bool m_keep = false;
};

// The directory temp dirs go in: $TMPDIR when set, else /tmp.
std::filesystem::path temp_root();

}  // namespace dp
