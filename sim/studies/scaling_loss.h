// Loss attribution of the scaling study: why N GPUs deliver less (or more) than N times the
// per-GPU capacity of the smallest deployment. Pure arithmetic on two runs' summaries.
//
// GPU time accounting. A run of a deployment of N GPUs at its capacity c (req/s) spends, per
// completed request, GPU-seconds on
//   communication   tp x the summed communication time of every step (collectives, stage sends)
//   bubbles         pipeline stages idle while their replica had work in flight (pp > 1)
//   work            the rest of the busy time: GEMMs, attention, other kernels, host overhead
//   imbalance       idle time of the other replicas while the busiest replica was busy:
//                   sum over replicas of (max busy fraction - busy fraction) x its GPU time
// At capacity the deployment has G = N / c GPU-seconds per request; queueing is what the others
// leave of G: the idle headroom the SLO needs at that load (queueing delay grows with utilisation,
// so the SLO caps it). Hence sum_k g_k = G exactly.
// Work per request is split further by steps: g_work = a x b with b = steps per request and
// a = work GPU-seconds per step; a smaller batch means more steps per request.
//
// Attribution. With the baseline (smallest count N0, capacity c0, G0 = N0 / c0), linear(N) = N c0
// / N0 = N / G0 and lost = linear - c = N / G0 - N / G = N (G - G0) / (G G0). Since
// G - G0 = sum_k (g_k - g0_k), the causes
//   loss_k = N (g_k - g0_k) / (G G0)
// sum exactly to the lost throughput. The work term is split by the symmetric (Shapley) rule
//   a b - a0 b0 = (a - a0)(b + b0)/2 + (b - b0)(a + a0)/2
// into compute_saturation (GPU time per step) and kv_limited_batch (steps per request). A negative
// share is a gain: that cause costs less GPU time per request than at the baseline.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "sim/report/summary.h"

namespace servesim {

// The causes, in report order.
const std::vector<std::string>& LossCauses();

// A run's GPU time per request at capacity, by category (GPU-seconds per request).
struct GpuTimePerRequest {
  double communication = 0, bubbles = 0, work = 0, imbalance = 0, queueing = 0;
  double steps_per_request = 0;
  double Total() const { return communication + bubbles + work + imbalance + queueing; }
};

// `run` is the simulation at `capacity` req/s of a deployment of run.num_gpus GPUs.
// REQUIRES: capacity > 0, run.completed > 0, run.duration_s > 0.
GpuTimePerRequest GpuTimeAtCapacity(const Summary& run, double capacity);

// Lost req/s by cause (keys LossCauses()) of `run` (capacity `capacity`) against the baseline;
// the values sum to linear - capacity (checked).
std::map<std::string, double> AttributeLoss(const Summary& baseline, double baseline_capacity,
                                            const Summary& run, double capacity);

}  // namespace servesim
