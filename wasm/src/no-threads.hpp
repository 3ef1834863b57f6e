// Single-threaded stand-ins for the few threading types usearch names. Debian's wasm32 libc++ is built
// without threads, so <mutex>, <shared_mutex> and <thread> declare none of them. A wasm instance runs on
// one thread and every call into it finishes before the next starts, so a lock that does nothing is exact.
#pragma once
#include <mutex>
#include <shared_mutex>
#include <thread>

namespace std {

struct mutex {
    constexpr mutex() noexcept = default;
    mutex(mutex const&) = delete;
    mutex& operator=(mutex const&) = delete;
    void lock() noexcept {}
    bool try_lock() noexcept { return true; }
    void unlock() noexcept {}
};

struct shared_mutex : mutex {
    void lock_shared() noexcept {}
    bool try_lock_shared() noexcept { return true; }
    void unlock_shared() noexcept {}
};

template <typename mutex_at> class unique_lock {
  public:
    explicit unique_lock(mutex_at& m) noexcept : mutex_(&m) { mutex_->lock(); }
    ~unique_lock() noexcept { mutex_->unlock(); }
    unique_lock(unique_lock const&) = delete;
    unique_lock& operator=(unique_lock const&) = delete;
    void lock() noexcept {}
    void unlock() noexcept {}

  private:
    mutex_at* mutex_;
};

// Runs its function at once, on the only thread there is; usearch names it but engram never starts one.
class thread {
  public:
    thread() noexcept = default;
    template <typename function_at> explicit thread(function_at&& function) { function(); }
    bool joinable() const noexcept { return false; }
    void join() noexcept {}
    static unsigned hardware_concurrency() noexcept { return 1; }
};

namespace this_thread {
inline void yield() noexcept {}
} // namespace this_thread

} // namespace std
