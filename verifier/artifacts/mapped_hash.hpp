#pragma once
// Hashing a large file through read-only mappings instead of read(): the
// hash reads the page cache in place, without the kernel's copy into a
// buffer, which was most of the time spent on a cached file.
//
// A file truncated while it is mapped raises SIGBUS on the first page past
// its new end. A process-wide SIGBUS handler, armed only on the calling
// thread and only for the window being hashed, turns that into
// MapStatus::shrank; any other SIGBUS keeps its previous disposition (for
// the default one: the process dies as it would have).
#include <cstddef>
#include <cstdint>

#include "verifier/artifacts/digest.hpp"

namespace dp::artifacts {

enum class MapStatus {
  hashed,      // all `size` bytes were fed to the hasher
  cannot_map,  // mmap failed: start over with read(), which reports any real error
  shrank,      // the file ended before `size` (SIGBUS)
};

// Bytes mapped at a time: bounds the address space and the resident set
// (mapped page-cache pages count in RSS) whatever the file's size.
inline constexpr std::size_t k_map_window = 16 << 20;

// Feeds bytes [0, size) of the regular file open on `fd` to `hasher`, one
// window of k_map_window bytes at a time. `size` is what fstat said; a
// mapping past the file's current end is how truncation shows (`shrank`).
// Unless `hashed`, the hasher holds part of the file: callers discard it.
MapStatus hash_mapped(int fd, std::uint64_t size, Hasher& hasher);

}  // namespace dp::artifacts
