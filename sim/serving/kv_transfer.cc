#include "sim/serving/kv_transfer.h"

#include <algorithm>

#include "sim/core/check.h"

namespace servesim {

KvTransfer::KvTransfer(Simulation* sim, double bandwidth_per_gpu_bytes_per_s, double latency_s,
                       int64_t prefill_replicas, int64_t prefill_gpus_per_replica,
                       int64_t decode_replicas, int64_t decode_gpus_per_replica)
    : sim_(sim),
      latency_s_(latency_s),
      send_bw_(bandwidth_per_gpu_bytes_per_s * static_cast<double>(prefill_gpus_per_replica)),
      receive_bw_(bandwidth_per_gpu_bytes_per_s * static_cast<double>(decode_gpus_per_replica)),
      send_free_(static_cast<size_t>(prefill_replicas), 0),
      receive_free_(static_cast<size_t>(decode_replicas), 0) {
  SERVESIM_CHECK(send_bw_ > 0 && receive_bw_ > 0 && latency_s_ >= 0);
}

void KvTransfer::Start(RequestId id, int64_t from, int64_t to, double bytes) {
  const SimTime now = sim_->Now();
  SimTime& send = send_free_[static_cast<size_t>(from)];
  SimTime& receive = receive_free_[static_cast<size_t>(to)];
  const SimTime start = std::max({now, send, receive});
  const double seconds = latency_s_ + bytes / std::min(send_bw_, receive_bw_);
  const SimTime done = start + std::max<SimTime>(1, SecondsToSimTime(seconds));
  send = receive = done;
  ++stats_.count;
  stats_.total_bytes += bytes;
  stats_.sum_time_s += SimTimeToSeconds(done - now);
  stats_.sum_queue_s += SimTimeToSeconds(start - now);
  stats_.times.push_back(done - now);
  in_flight_.emplace_back(id, to);
  sim_->ScheduleAt(done, this, in_flight_.size() - 1);
}

void KvTransfer::OnEvent(SimTime, uint64_t payload) {
  const auto [id, to] = in_flight_[payload];
  deliver_(id, to);
}

}  // namespace servesim
