// The process heap tuned for a simulation's allocation pattern: a few large tables that grow
// (request records, token-gap samples, the requests CSV) written once. On a virtual machine a
// first touch of a 4 KiB page costs 10-15 us (docs/performance.md, "Page faults"), more than
// writing it, so a 10,000-request run spent half its time in page faults. TuneProcessHeap keeps
// allocations up to 32 MiB in the heap (reused after free instead of unmapped), grows the heap in
// 64 MiB steps and asks the kernel for transparent huge pages there (one fault per 2 MiB where
// the system allows them: /sys/kernel/mm/transparent_hugepage/enabled "always" or "madvise").
// Results never depend on it. Linux with glibc only; elsewhere it does nothing. Setting the
// environment variable SERVESIM_PLAIN_HEAP (to anything) turns it off.
#pragma once

namespace servesim {

// Call once, first thing in main, before any thread starts.
void TuneProcessHeap();

}  // namespace servesim
