// Run size estimates: how many requests a workload issues, and roughly how much memory and time
// a run of them takes, so that a run that cannot fit in this machine's memory is refused up front
// (an input error naming the key) instead of failing hours in, and a long one shows an ETA.
// The per-request and per-replica figures are measured (docs/performance.md, "Compact records").
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sim/workload/workload.h"

namespace servesim {

// Peak memory per request of a run: its record and latency samples (the token gaps are folded
// into a table of distinct samples). docs/performance.md: the 1,000,000-request Azure replays
// peak at 218-245 MiB, the 10,000,000-request fleet run at 1.82 GiB; rounded up.
inline constexpr double kRunBytesPerRequest = 256;
// Per replica (engines, scheduler, KV pool, metrics): 100,000 one-GPU replicas of llama-3.1-8b
// with 10 requests peak at 234 MiB against 6 MiB for one (measured on this code, 2026-12).
inline constexpr double kRunBytesPerReplica = 2560;
// Rough wall time per request on one core: docs/performance.md (1 M Azure requests on 8
// replicas in about 4 s; 10,000 on one replica in about 0.1 s).
inline constexpr double kRunSecondsPerRequest = 5e-6;
// Setting up a replica: 100,000 replicas take about 0.8 s (measured as above).
inline constexpr double kRunSecondsPerReplica = 8e-6;

// Requests the workload issues, when known before running: num_requests, or rate x duration_s
// for an open loop, or the sessions' expected turns; nullopt for a trace without num_requests
// and a closed loop bounded by duration_s alone.
std::optional<double> ExpectedRequests(const WorkloadConfig& w);

// Peak memory of a run of `requests` requests on `replicas` replicas.
double EstimatedRunBytes(double requests, int64_t replicas);

// This machine's physical memory.
double MachineMemoryBytes();

// "47.7 GiB", "512 MiB".
std::string FormatBytes(double bytes);

// The text of a refusal: "a run of R requests on N replicas needs about X of memory (...), more
// than this machine's Y", or "" when the estimate fits.
std::string MemoryRefusal(double requests, int64_t replicas);

}  // namespace servesim
