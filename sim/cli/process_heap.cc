#include "sim/cli/process_heap.h"

#include <cstdint>
#include <cstdlib>

#if defined(__linux__) && defined(__GLIBC__)
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace servesim {

#if defined(__linux__) && defined(__GLIBC__)
void TuneProcessHeap() {
  if (std::getenv("SERVESIM_PLAIN_HEAP") != nullptr) return;
  constexpr size_t kHugePage = size_t{2} << 20;
  constexpr size_t kHeapStep = size_t{64} << 20;
#ifdef MADV_COLLAPSE
  constexpr int kCollapse = MADV_COLLAPSE;
#else
  constexpr int kCollapse = 25;                                  // MADV_COLLAPSE, older headers
#endif
  // glibc's largest mmap threshold (32 MiB on 64-bit): blocks below it come from the heap and
  // are reused after free; above it they are mapped and unmapped as before.
  if (mallopt(M_MMAP_THRESHOLD, 32 << 20) == 0) return;
  mallopt(M_TRIM_THRESHOLD, 1 << 30);  // keep freed heap memory for the next table
  mallopt(M_TOP_PAD, static_cast<int>(kHeapStep));
  // Move the break to a huge-page boundary first, so that the next blocks (the heap's old top
  // chunk is left to small ones) start on one: a huge page is only given to a fully advised,
  // untouched 2 MiB range. glibc treats the moved break as a foreign sbrk and starts its new top
  // chunk there. Then grow the heap by one step and advise the whole grown range.
  const uintptr_t current = reinterpret_cast<uintptr_t>(sbrk(0));
  const uintptr_t aligned = (current + kHugePage - 1) & ~(kHugePage - 1);
  if (aligned > current &&
      sbrk(static_cast<intptr_t>(aligned - current)) == reinterpret_cast<void*>(-1)) {
    return;
  }
  const uintptr_t before = reinterpret_cast<uintptr_t>(sbrk(0));
  // Larger than the old top chunk's room (keepcost): glibc grows the heap by this plus the
  // step, starting at `before`.
#if __GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33)
  const size_t room = mallinfo2().keepcost;
#else
  const size_t room = static_cast<size_t>(mallinfo().keepcost);  // glibc < 2.33
#endif
  void* volatile block = std::malloc(room + (size_t{256} << 10));  // volatile: not optimised out
  std::free(block);
  const uintptr_t top = reinterpret_cast<uintptr_t>(sbrk(0));
  const uintptr_t end = top & ~(kHugePage - 1);
  if (before != aligned || end <= before + 2 * kHugePage) return;
  // glibc's headers have touched the first huge page, which can no longer become one. A block
  // that fills it exactly (kept, never written) moves the heap's top to the second: a chunk of
  // 2 MiB - 16 bytes at `before` (16-byte header) leaves the top chunk's header in the first
  // page and its memory from the second on. Where glibc lays chunks out otherwise, the first
  // page is collapsed into a huge one instead (MADV_COLLAPSE, Linux 6.1; measured 0.5 ms).
  void* const spacer = std::malloc(kHugePage - 24);
  const bool fills = reinterpret_cast<uintptr_t>(spacer) == before + 16;
  if (!fills) std::free(spacer);
  madvise(reinterpret_cast<void*>(before), end - before, MADV_HUGEPAGE);
  if (!fills) madvise(reinterpret_cast<void*>(before), kHugePage, kCollapse);
}
#else
void TuneProcessHeap() {}
#endif

}  // namespace servesim
