#pragma once
// Reads one large file with pread on the calling thread and `helpers` more,
// and hands its bytes to `consume` in file order on the calling thread (the
// streaming digest is one sequential state: the bytes must arrive in order,
// whoever read them).
//
// Blocks of `block` bytes go round a ring of `slots` buffers: block k lives
// in slot k % slots until it has been consumed. Every thread claims the
// lowest block not yet claimed whose slot is free. The caller, which also
// consumes, claims and reads a block only when the next block to consume is
// not ready: it reads less than the helpers, because the serial consume is
// its share of the work. Each block is hashed soon after the pread that
// copied it, while it is still in a cache (the caller's own blocks in its L2).
//
// For a page-cached file the kernel's copy out of the page cache, not the
// hash, is most of the time (about 12 GB/s per core here, xxh3 with AVX2
// several times that), so two cores copying make the file about twice as
// fast as one. Memory: slots * block bytes, freed on return.
#include <cstddef>
#include <cstdint>
#include <functional>

#include "verifier/core/result.hpp"

namespace dp::artifacts {

struct BlockRingOptions {
  std::size_t block = 128 << 10;
  std::size_t slots = 16;
  unsigned helpers = 1;
};

// Reads `fd` from offset 0 up to its end (the first short read), calling
// `consume` with each block in order. Returns the bytes consumed, or
// -errno of the first failed read (in file order: bytes before it were
// consumed).
std::int64_t read_in_ring(int fd, const BlockRingOptions& options,
                          const std::function<void(const unsigned char*, std::size_t)>& consume);

}  // namespace dp::artifacts
