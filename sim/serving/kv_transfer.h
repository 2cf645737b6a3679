// KvTransfer: moves a finished prefill's KV cache from a prefill replica to a decode replica
// (prefill/decode disaggregation). Each replica has one transfer link (its GPUs' network links
// together); a transfer holds the sender's and the receiver's link for its duration, FIFO, so
// transfers that share a replica queue behind each other. Deterministic: times are computed when
// a transfer starts.
#pragma once

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "sim/core/simulation.h"
#include "sim/serving/request.h"

namespace servesim {

struct KvTransferStats {
  int64_t count = 0;
  double total_bytes = 0;
  double sum_time_s = 0;       // queueing + latency + transfer
  double sum_queue_s = 0;      // waiting for a busy link
  std::vector<SimTime> times;  // per transfer, for percentiles
};

class KvTransfer : public EventHandler {
 public:
  // Link bandwidth of a replica = per-GPU bandwidth x its GPUs.
  KvTransfer(Simulation* sim, double bandwidth_per_gpu_bytes_per_s, double latency_s,
             int64_t prefill_replicas, int64_t prefill_gpus_per_replica, int64_t decode_replicas,
             int64_t decode_gpus_per_replica);

  // Called with the request id when its KV has arrived at decode replica `to`.
  void SetDeliver(std::function<void(RequestId, int64_t to)> fn) { deliver_ = std::move(fn); }

  // Starts moving `bytes` of request `id`'s KV from prefill replica `from` to decode replica `to`.
  void Start(RequestId id, int64_t from, int64_t to, double bytes);
  void OnEvent(SimTime now, uint64_t payload) override;

  const KvTransferStats& stats() const { return stats_; }

 private:
  Simulation* sim_;
  double latency_s_;
  double send_bw_;     // bytes/s of one prefill replica's link
  double receive_bw_;  // bytes/s of one decode replica's link
  std::vector<SimTime> send_free_;
  std::vector<SimTime> receive_free_;
  std::vector<std::pair<RequestId, int64_t>> in_flight_;  // indexed by payload
  std::function<void(RequestId, int64_t)> deliver_;
  KvTransferStats stats_;
};

}  // namespace servesim
