#include "sim/serving/cluster.h"

#include "sim/core/check.h"

namespace servesim {

int Cluster::NumReplicas(const Scenario& s) {
  if (!s.disaggregation) return static_cast<int>(s.replicas);
  return static_cast<int>(s.disaggregation->prefill.replicas + s.disaggregation->decode.replicas);
}

Cluster::Cluster(const Scenario& s, const std::vector<const StepModel*>& models, Simulation* sim,
                 RequestTable* table, Metrics* metrics, StepTraceSink* step_trace)
    : sim_(sim), table_(table), metrics_(metrics), step_trace_(step_trace) {
  if (!s.disaggregation) {
    SERVESIM_CHECK(models.size() == 1);
    SchedulerConfig batching = s.engine.batching;
    batching.speculative.seed = s.seed;  // streams named per engine by the replicas
    AddPool("all", s.replicas, batching, s.pp, models[0], s.seed, s.router);
    if (s.autoscaler) {
      std::vector<Replica*> replicas;
      for (auto& r : pools_[0].replicas) replicas.push_back(r.get());
      autoscaler_ = std::make_unique<Autoscaler>(*s.autoscaler, sim, std::move(replicas));
      pools_[0].router->SetAutoscaled(true);
    }
    return;
  }
  SERVESIM_CHECK(models.size() == 2 && !s.autoscaler);
  const DisaggregationConfig& d = *s.disaggregation;
  SchedulerConfig prefill = s.engine.batching, decode = s.engine.batching;
  prefill.prefill_only = true;
  prefill.num_blocks = d.prefill.memory.num_kv_blocks;
  decode.num_blocks = d.decode.memory.num_kv_blocks;
  AddPool("prefill", d.prefill.replicas, prefill, d.prefill.pp, models[0], s.seed, s.router);
  AddPool("decode", d.decode.replicas, decode, d.decode.pp, models[1], s.seed, s.router);
  transfer_ = std::make_unique<KvTransfer>(
      sim, d.transfer_bandwidth_bytes_per_s, d.transfer_latency_s, d.prefill.replicas,
      d.prefill.tp * d.prefill.pp, d.decode.replicas, d.decode.tp * d.decode.pp);
  transfer_->SetDeliver([this](RequestId id, int64_t to) {
    pools_[1].replicas[static_cast<size_t>(to)]->SubmitPrefilled(id);
  });
  kv_bytes_per_token_ = d.kv_bytes_per_token;
}

void Cluster::AddPool(const std::string& role, int64_t replicas, const SchedulerConfig& batching,
                      int64_t pp, const StepModel* model, uint64_t seed,
                      const std::string& router) {
  Pool pool;
  pool.role = role;
  pool.first_index =
      pools_.empty() ? 0
                     : pools_.back().first_index + static_cast<int>(pools_.back().replicas.size());
  for (int64_t i = 0; i < replicas; ++i) {
    pool.replicas.push_back(std::make_unique<Replica>(pool.first_index + static_cast<int>(i), sim_,
                                                      batching, pp, table_, model, metrics_));
    pool.replicas.back()->SetStepTrace(step_trace_);
  }
  // The first pool (the only one, or the prefill pool) keeps the stream "router"; the decode
  // pool draws from "router/decode" of the same seed. (It used to draw "router" of seed + 1,
  // which is replication k + 1's prefill stream: the replications' routes were correlated.)
  const std::string stream = pools_.empty() ? "router" : "router/" + role;
  pool.router = std::make_unique<Router>(ParseRouterPolicy(router), seed, stream,
                                         static_cast<size_t>(replicas));
  if (LoadIndex* index = pool.router->load_index()) {
    for (size_t i = 0; i < pool.replicas.size(); ++i) pool.replicas[i]->SetLoadIndex(index, i);
  }
  pools_.push_back(std::move(pool));
}

void Cluster::Start() {
  if (autoscaler_) autoscaler_->Start();
}

void Cluster::OnRequestDone(SimTime now) {
  if (autoscaler_) autoscaler_->OnLeave(now);
}

void Cluster::Submit(RequestId id) {
  if (autoscaler_) autoscaler_->OnArrive(sim_->Now());
  Pool& pool = pools_.front();
  Request& r = (*table_)[id];
  const size_t target = pool.router->Route(r, pool.replicas);
  r.replica = pool.first_index + static_cast<int32_t>(target);
  pool.replicas[target]->Submit(id);
}

void Cluster::OnPrefillDone(RequestId id) {
  SERVESIM_CHECK(transfer_ != nullptr);
  Request& r = (*table_)[id];
  r.finish = -1;  // the prefill replica's finish is a hand-off, not the request's end
  const int64_t from = r.replica - pools_[0].first_index;
  Pool& decode = pools_[1];
  const size_t to = decode.router->Route(r, decode.replicas);
  r.replica = decode.first_index + static_cast<int32_t>(to);
  transfer_->Start(id, from, static_cast<int64_t>(to),
                   static_cast<double>(r.input_tokens) * kv_bytes_per_token_);
}

void Cluster::SetFastForward(bool on) {
  for (Pool& pool : pools_) {
    for (auto& r : pool.replicas) r->SetFastForward(on);
  }
}

bool Cluster::Idle() const {
  for (const Pool& pool : pools_) {
    for (const auto& r : pool.replicas) {
      if (!r->Idle() || r->KvBlocksUsed() != 0) return false;
    }
  }
  return true;
}

}  // namespace servesim
