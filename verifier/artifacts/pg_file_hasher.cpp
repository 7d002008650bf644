#include "verifier/artifacts/pg_file_hasher.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <numeric>
#include <thread>

#include "verifier/artifacts/crc32c.hpp"
#include "verifier/artifacts/hash_pipeline.hpp"
#include "verifier/core/fd.hpp"
#include "verifier/core/signals.hpp"

namespace dp::artifacts {
namespace {

// 128 KiB reads: the block is checksummed while it is still in L2, as
// HashPipeline does (and as pg_verifybackup reads).
constexpr std::size_t k_block = 128 << 10;

struct Piece {
  std::size_t task = 0;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;  // ignored when last: read to EOF
  bool last = true;
};

struct PieceResult {
  std::optional<Error> error;
  std::uint64_t bytes = 0;
  std::uint32_t crc = 0;               // CRC32C pieces
  std::vector<std::uint8_t> checksum;  // whole-file SHA-2 / NONE
};

Error read_error(const std::filesystem::path& file, const char* what, int err) {
  return Error{Errc::io, fmt::format("{}: cannot {}: {}", file.string(), what, std::strerror(err))};
}

PieceResult run_piece(const PgHashTask& task, const Piece& piece,
                      std::vector<unsigned char>& buffer) {
  PieceResult out;
  Fd fd(::open(task.file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    out.error = read_error(task.file, "open", errno);
    return out;
  }
  if (piece.offset == 0 && piece.last) (void)::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  std::optional<PgChecksum> sha;
  if (task.type != PgChecksumType::crc32c) sha.emplace(task.type);
  std::uint32_t crc = 0;
  std::uint64_t pos = piece.offset;
  for (;;) {
    if (interrupted()) {
      out.error = Error{Errc::interrupted, fmt::format("{}: interrupted", task.file.string())};
      return out;
    }
    std::size_t want = k_block;
    if (!piece.last) {
      std::uint64_t left = piece.offset + piece.length - pos;
      if (left == 0) break;
      want = static_cast<std::size_t>(std::min<std::uint64_t>(left, k_block));
    }
    ssize_t n = ::pread(fd.get(), buffer.data(), want, static_cast<off_t>(pos));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      out.error = read_error(task.file, "read", errno);
      return out;
    }
    if (n == 0) break;
    auto got = static_cast<std::size_t>(n);
    if (sha)
      sha->update(buffer.data(), got);
    else
      crc = crc32c_extend(crc, buffer.data(), got);
    pos += got;
  }
  out.bytes = pos - piece.offset;
  if (sha)
    out.checksum = sha->finish();
  else
    out.crc = crc;
  return out;
}

}  // namespace

std::vector<PgHashResult> hash_pg_files(const std::vector<PgHashTask>& tasks, unsigned threads,
                                        const Progress& progress) {
  // Largest files first, so the last pieces handed out are small ones and
  // the threads finish together.
  std::vector<std::size_t> order(tasks.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return tasks[a].size > tasks[b].size; });
  std::vector<Piece> pieces;
  std::vector<std::size_t> first_piece(tasks.size());
  std::vector<std::size_t> piece_count(tasks.size());
  for (std::size_t t : order) {
    first_piece[t] = pieces.size();
    const auto& task = tasks[t];
    if (task.type == PgChecksumType::crc32c && task.size > k_piece) {
      for (std::uint64_t off = 0; off < task.size; off += k_piece) {
        bool last = off + k_piece >= task.size;
        pieces.push_back(Piece{t, off, last ? 0 : k_piece, last});
      }
    } else {
      pieces.push_back(Piece{t, 0, 0, true});
    }
    piece_count[t] = pieces.size() - first_piece[t];
  }

  std::vector<PieceResult> done(pieces.size());
  std::vector<std::atomic<std::size_t>> remaining(tasks.size());
  for (std::size_t t = 0; t < tasks.size(); ++t) remaining[t].store(piece_count[t]);
  std::atomic<std::size_t> next{0};
  std::atomic<std::uint64_t> files_done{0};
  std::atomic<std::uint64_t> bytes_done{0};
  auto work = [&](bool report) {
    std::vector<unsigned char> buffer(k_block);
    for (;;) {
      // SIGINT/SIGTERM: stop handing out pieces; the caller sees
      // interrupted() and discards the results.
      if (interrupted()) return;
      std::size_t i = next.fetch_add(1, std::memory_order_relaxed);
      if (i >= pieces.size()) return;
      done[i] = run_piece(tasks[pieces[i].task], pieces[i], buffer);
      bytes_done.fetch_add(done[i].bytes, std::memory_order_relaxed);
      if (remaining[pieces[i].task].fetch_sub(1, std::memory_order_acq_rel) == 1)
        files_done.fetch_add(1, std::memory_order_relaxed);
      if (report && progress) progress(files_done.load(), bytes_done.load());
    }
  };
  {
    unsigned n = std::max(1u, threads ? threads : default_threads());
    std::vector<std::jthread> helpers;
    for (unsigned k = 1; k < n && k < pieces.size(); ++k) helpers.emplace_back(work, false);
    work(true);
  }  // joined: every piece is done

  std::vector<PgHashResult> results(tasks.size());
  for (std::size_t t = 0; t < tasks.size(); ++t) {
    auto& r = results[t];
    std::uint32_t crc = 0;
    for (std::size_t k = 0; k < piece_count[t]; ++k) {
      auto& p = done[first_piece[t] + k];
      if (p.error && !r.error) r.error = std::move(p.error);
      const Piece& piece = pieces[first_piece[t] + k];
      // A piece that read short means the file shrank: later pieces read
      // nothing more, and the total says so.
      crc = k == 0 ? p.crc : crc32c_combine(crc, p.crc, p.bytes);
      r.bytes_read += p.bytes;
      if (!piece.last && p.bytes != piece.length) {
        r.bytes_read = p.bytes + piece.offset;
        break;
      }
    }
    if (r.error) continue;
    if (tasks[t].type == PgChecksumType::crc32c)
      r.checksum = crc32c_bytes(crc);
    else
      r.checksum = std::move(done[first_piece[t]].checksum);
  }
  return results;
}

}  // namespace dp::artifacts
