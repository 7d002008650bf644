#include "verifier/artifacts/block_ring.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace dp::artifacts {
namespace {

// Fills the block unless the file ends first: a short pread in the middle
// of a file (FUSE, NFS, CIFS) is not its end, so reading goes on until the
// block is full or pread returns 0.
ssize_t read_block(int fd, unsigned char* data, std::size_t block, std::uint64_t k) {
  std::size_t got = 0;
  while (got < block) {
    ssize_t n = ::pread(fd, data + got, block - got, static_cast<off_t>(k * block + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -errno;
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  return static_cast<ssize_t>(got);
}

// The ring's buffers in one anonymous mapping, faulted in up front
// (MAP_POPULATE) so the first pread into each slot does not fault page by page.
class RingMemory {
 public:
  explicit RingMemory(std::size_t bytes) : m_bytes(bytes) {
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (p == MAP_FAILED) {
      std::fprintf(stderr, "drillproof: cannot map %zu bytes of read buffers\n", bytes);
      std::abort();  // as operator new would
    }
    m_data = static_cast<unsigned char*>(p);
  }
  RingMemory(const RingMemory&) = delete;
  RingMemory& operator=(const RingMemory&) = delete;
  ~RingMemory() { ::munmap(m_data, m_bytes); }
  unsigned char* data() { return m_data; }

 private:
  std::size_t m_bytes;
  unsigned char* m_data;
};

class Ring {
 public:
  Ring(int fd, const BlockRingOptions& o)
      : m_fd(fd),
        m_block(o.block),
        m_slots(o.slots < 2 ? 2 : o.slots),
        m_memory(m_block * m_slots),
        m_state(m_slots) {}

  // Helper thread: claim, read, publish, until the end or stop.
  void help() {
    std::unique_lock lock(m_mutex);
    for (;;) {
      if (!can_claim()) {
        // Asleep until half the ring is free, not one slot: one wake-up per
        // slots/2 blocks instead of one per block.
        ++m_helpers_waiting;
        m_changed.wait(lock, [&] { return m_stop || (can_claim() && half_free()); });
        --m_helpers_waiting;
      }
      if (m_stop) return;
      read_claimed(lock, claim());
    }
  }

  // The caller: consume every block in order, reading when nothing is ready.
  std::int64_t consume(const std::function<void(const unsigned char*, std::size_t)>& sink) {
    std::int64_t total = 0;
    std::unique_lock lock(m_mutex);
    for (std::uint64_t next = 0;; ++next) {
      Slot& s = m_state[next % m_slots];
      for (;;) {
        if (s.full && s.block == next) break;
        if (can_claim()) {
          read_claimed(lock, claim());
          continue;
        }
        m_waiting_for = next;
        m_changed.wait(lock, [&] { return (s.full && s.block == next) || can_claim(); });
        m_waiting_for = k_nobody;
      }
      ssize_t n = s.length;
      lock.unlock();
      if (n > 0) sink(data(next), static_cast<std::size_t>(n));
      lock.lock();
      s.full = false;
      if (n < 0) return n;
      total += n;
      if (static_cast<std::size_t>(n) < m_block) return total;
      m_consumed = next + 1;
      if (m_helpers_waiting > 0 && can_claim() && half_free()) m_changed.notify_all();
    }
  }

  void stop() {
    {
      std::lock_guard lock(m_mutex);
      m_stop = true;
    }
    m_changed.notify_all();
  }

 private:
  struct Slot {
    std::uint64_t block = 0;
    ssize_t length = 0;
    bool full = false;
  };

  // Block m_next_claim's slot is free once the block `slots` before it is consumed.
  bool can_claim() const { return m_next_claim < m_end && m_next_claim < m_consumed + m_slots; }
  bool half_free() const { return m_next_claim + m_slots / 2 <= m_consumed + m_slots; }
  std::uint64_t claim() { return m_next_claim++; }
  unsigned char* data(std::uint64_t k) { return m_memory.data() + (k % m_slots) * m_block; }

  // Reads block k (claimed) unlocked, then publishes it.
  void read_claimed(std::unique_lock<std::mutex>& lock, std::uint64_t k) {
    lock.unlock();
    ssize_t n = read_block(m_fd, data(k), m_block, k);
    lock.lock();
    Slot& s = m_state[k % m_slots];
    s.block = k;
    s.length = n;
    s.full = true;
    // A short or failed read is the end: no block after it is claimed.
    if (static_cast<std::size_t>(n < 0 ? 0 : n) < m_block && k + 1 < m_end) m_end = k + 1;
    if (m_waiting_for == k || (m_waiting_for != k_nobody && k + 1 >= m_end)) m_changed.notify_all();
  }

  int m_fd;
  std::size_t m_block;
  std::size_t m_slots;
  RingMemory m_memory;
  std::vector<Slot> m_state;
  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::uint64_t m_next_claim = 0;
  std::uint64_t m_consumed = 0;             // blocks before it are consumed
  std::uint64_t m_end = ~std::uint64_t{0};  // no block at or past it is claimed
  unsigned m_helpers_waiting = 0;
  static constexpr std::uint64_t k_nobody = ~std::uint64_t{0};
  std::uint64_t m_waiting_for = k_nobody;  // the block the consumer sleeps on
  bool m_stop = false;
};

}  // namespace

std::int64_t read_in_ring(int fd, const BlockRingOptions& options,
                          const std::function<void(const unsigned char*, std::size_t)>& consume) {
  Ring ring(fd, options);
  std::vector<std::thread> helpers;
  // Stops and joins the helpers however this returns: a joinable thread
  // destroyed by an exception from consume() would call std::terminate.
  struct Joiner {
    Ring& ring;
    std::vector<std::thread>& threads;
    ~Joiner() {
      ring.stop();
      for (auto& t : threads) t.join();
    }
  } joiner{ring, helpers};
  for (unsigned i = 0; i < options.helpers; ++i) {
    try {
      helpers.emplace_back([&ring] { ring.help(); });
    } catch (const std::system_error&) {
      break;  // no thread to be had: the consumer reads every block it lacks itself
    }
  }
  return ring.consume(consume);
}

}  // namespace dp::artifacts
