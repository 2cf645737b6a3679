// Cluster: the replicas of a run and the routers in front of them. Colocated: one pool of
// identical replicas. Disaggregated: a prefill pool whose replicas stop each request after its
// first token, and a decode pool that continues it once its KV cache has been moved over
// (KvTransfer). Replicas have one index across pools (prefill first) for metrics.
// With an autoscaler (colocated only) the pool holds max_replicas replicas, of which the
// Autoscaler decides which serve.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/step_model.h"
#include "sim/config/scenario.h"
#include "sim/core/simulation.h"
#include "sim/serving/autoscaler.h"
#include "sim/serving/kv_transfer.h"
#include "sim/serving/metrics.h"
#include "sim/serving/replica.h"
#include "sim/serving/router.h"

namespace servesim {

class StepTraceSink;

struct Pool {
  std::string role;  // "all", "prefill" or "decode"
  std::vector<std::unique_ptr<Replica>> replicas;
  std::unique_ptr<Router> router;
  int first_index = 0;  // global index of replicas[0]
};

class Cluster {
 public:
  // `models` holds one step model per pool (colocated: one; disaggregated: prefill, decode).
  Cluster(const Scenario& scenario, const std::vector<const StepModel*>& models, Simulation* sim,
          RequestTable* table, Metrics* metrics, StepTraceSink* step_trace);

  static int NumReplicas(const Scenario& scenario);

  // Before the first arrival: starts the autoscaler, if any.
  void Start();
  // A request enters: routed to the first pool.
  void Submit(RequestId id);
  // A request finished (completions, not hand-offs).
  void OnRequestDone(SimTime now);
  // A prefill-pool replica emitted the first token of request `id` (disaggregated runs only).
  void OnPrefillDone(RequestId id);

  // Fast-forward of pure runs of steps (see Replica); on by default.
  void SetFastForward(bool on);

  bool Idle() const;
  const std::vector<Pool>& pools() const { return pools_; }
  const KvTransfer* transfer() const { return transfer_.get(); }
  const Autoscaler* autoscaler() const { return autoscaler_.get(); }

 private:
  void AddPool(const std::string& role, int64_t replicas, const SchedulerConfig& batching,
               int64_t pp, const StepModel* model, uint64_t seed, const std::string& router);

  Simulation* sim_;
  RequestTable* table_;
  Metrics* metrics_;
  StepTraceSink* step_trace_;
  std::vector<Pool> pools_;
  std::unique_ptr<KvTransfer> transfer_;
  std::unique_ptr<Autoscaler> autoscaler_;
  double kv_bytes_per_token_ = 0;
};

}  // namespace servesim
