#include "sim/studies/ordered_parallel.h"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace servesim {
namespace {

class OrderedPool {
 public:
  OrderedPool(int64_t n, const std::function<void(int64_t)>& compute)
      : compute_(compute),
        ready_(static_cast<size_t>(n), false),
        errors_(static_cast<size_t>(n)),
        n_(n) {}

  void Start(int threads) {
    threads_ = threads;
    for (int t = 0; t < threads; ++t) pool_.emplace_back([this] { Work(); });
  }

  // Waits for item i. Returns false when it will never be ready (a later item failed first).
  // Rethrows item i's exception.
  bool Wait(int64_t i) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return ready_[static_cast<size_t>(i)] || exited_ == threads_; });
    if (!ready_[static_cast<size_t>(i)]) return false;
    if (errors_[static_cast<size_t>(i)]) std::rethrow_exception(errors_[static_cast<size_t>(i)]);
    return true;
  }

  void Stop() {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }

  // Joins the workers; rethrows the first failed item's exception, if any.
  void Join() {
    Stop();
    for (std::thread& t : pool_) t.join();
    pool_.clear();
    for (const std::exception_ptr& e : errors_) {
      if (e) std::rethrow_exception(e);
    }
  }

 private:
  void Work() {
    for (;;) {
      int64_t i;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stop_ || next_ >= n_) break;
        i = next_++;
      }
      std::exception_ptr error;
      try {
        compute_(i);
      } catch (...) {
        error = std::current_exception();
      }
      std::lock_guard<std::mutex> lock(mu_);
      ready_[static_cast<size_t>(i)] = true;
      errors_[static_cast<size_t>(i)] = error;
      stop_ = stop_ || error != nullptr;
      cv_.notify_all();
    }
    std::lock_guard<std::mutex> lock(mu_);
    ++exited_;
    cv_.notify_all();
  }

  const std::function<void(int64_t)>& compute_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<bool> ready_;
  std::vector<std::exception_ptr> errors_;
  std::vector<std::thread> pool_;
  int64_t n_;
  int64_t next_ = 0;
  int threads_ = 0;
  int exited_ = 0;
  bool stop_ = false;
};

}  // namespace

void RunOrdered(int64_t n, int jobs, const std::function<void(int64_t)>& compute,
                const std::function<void(int64_t)>& consume) {
  if (n <= 0) return;
  OrderedPool pool(n, compute);
  pool.Start(static_cast<int>(std::clamp<int64_t>(jobs, 1, n)));
  try {
    for (int64_t i = 0; i < n && pool.Wait(i); ++i) consume(i);
  } catch (...) {
    pool.Stop();
    try {
      pool.Join();
    } catch (...) {
      // The consumer's or the earliest item's exception wins; later failures are dropped.
    }
    throw;
  }
  pool.Join();
}

}  // namespace servesim
