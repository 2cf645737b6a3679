// Replica: one model instance (tp x pp GPUs) that runs steps while it has work.
// With pipeline parallelism (pp stages) it keeps up to pp micro-batches in flight, one per
// virtual engine, as vLLM does: each virtual engine has its own scheduler and 1/pp of the KV
// blocks, a request stays on the virtual engine it was given, and a micro-batch passes through
// the stages in order, each stage serving one micro-batch at a time. With pp == 1 this is a
// single engine running steps back to back.
// Fast-forward (on by default): plain decode steps (see Scheduler::PlanPlainDecode) skip the
// general Plan/Commit, and (pp == 1) while a step's completion would be the very next event of
// the whole simulation, the replica completes it and launches the next one inline instead of
// queueing an event. Every observer (metrics, step trace) sees the same calls in the same
// order, so results are identical to one event per step.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "models/batch.h"
#include "models/step_model.h"
#include "sim/core/simulation.h"
#include "sim/serving/load_index.h"
#include "sim/serving/metrics.h"
#include "sim/serving/scheduler.h"
#include "sim/serving/step_trace.h"

namespace servesim {

class Replica : public EventHandler {
 public:
  // `config.num_blocks` is the replica's whole KV cache; it is split evenly over pp engines.
  Replica(int index, Simulation* sim, const SchedulerConfig& config, int64_t pp,
          RequestTable* table, const StepModel* step_model, Metrics* metrics);

  // Hands a request to the virtual engine with the fewest unfinished requests.
  void Submit(RequestId id);
  // Disaggregation: a request whose prompt was prefilled elsewhere and whose KV has arrived.
  void SubmitPrefilled(RequestId id);
  void OnEvent(SimTime now, uint64_t payload) override;

  int index() const { return index_; }
  int64_t Outstanding() const;  // requests submitted and not finished
  double KvUsage() const;       // used / total KV blocks
  int64_t KvBlocksUsed() const;
  int64_t KvBlocksTotal() const;
  // KV offload: the engines' host tiers' counters, summed.
  HostTierCounts HostTier() const;
  bool Idle() const;
  // Reports every launched step to `sink` (null, the default: nothing is reported).
  void SetStepTrace(StepTraceSink* sink) { step_trace_ = sink; }
  void SetFastForward(bool on) { fast_forward_ = on; }
  // The pool's LoadIndex (least-outstanding routing), where this replica is entry `position`:
  // marked dirty on entering and leaving every call that may change Outstanding().
  void SetLoadIndex(LoadIndex* index, size_t position) {
    load_index_ = index;
    load_position_ = position;
  }
  // Autoscaling (sim/serving/autoscaler.h): whether routers may send this replica new requests
  // (always true without an autoscaler), and a callback for each completion that leaves the
  // replica with nothing to run.
  bool Routable() const { return routable_; }
  void SetRoutable(bool on) {
    const LoadMark mark(this);
    routable_ = on;
  }
  void SetOnIdle(std::function<void(SimTime)> fn) { on_idle_ = std::move(fn); }

 private:
  struct Engine {
    explicit Engine(const SchedulerConfig& c, RequestTable* t) : scheduler(c, t) {}
    Scheduler scheduler;
    BatchShape batch;
    bool in_flight = false;
  };
  enum Payload : uint64_t { kWake = 0, kFirstEngineDone = 1 };  // done events: 1 + engine index
  // Marks the replica dirty in its LoadIndex when made and again when destroyed, around a call
  // that may change its queues (a nested route may ask for its count in between).
  class LoadMark {
   public:
    explicit LoadMark(Replica* r) : r_(r) { r_->MarkLoad(); }
    ~LoadMark() { r_->MarkLoad(); }
    LoadMark(const LoadMark&) = delete;
    LoadMark& operator=(const LoadMark&) = delete;

   private:
    Replica* r_;
  };
  void MarkLoad() {
    if (load_index_ != nullptr) load_index_->MarkDirty(load_position_);
  }

  Scheduler& LeastLoadedEngine();
  void TryLaunch(SimTime now);
  // Plans engine `e`'s next micro-batch; false if it has nothing to run.
  bool Launch(SimTime now, size_t e);
  // Prices and books engine `v`'s planned micro-batch launched at `now`; returns its end.
  SimTime Start(SimTime now, size_t v);
  // Engine `v`'s micro-batch completed at `now` (plain: by CommitPlainDecode).
  void Complete(SimTime now, size_t v, bool plain);
  // Fast-forward from engine `v`'s step ending at `done`: completes and relaunches inline while
  // that is the next event. Returns the end of the step left in flight, or -1 if none.
  SimTime RunAhead(SimTime done, size_t v);
  void ScheduleWake(SimTime at);
  // Books the pipeline stages for a micro-batch launched now; returns when it completes.
  SimTime Schedule(SimTime now, const StepCost& cost);
  void ReportKv(SimTime now);

  int index_;
  Simulation* sim_;
  const StepModel* step_model_;
  Metrics* metrics_;
  StepTraceSink* step_trace_ = nullptr;
  bool fast_forward_ = true;
  std::vector<std::unique_ptr<Engine>> engines_;
  std::vector<SimTime> stage_free_;  // when each pipeline stage finishes its current work
  size_t next_engine_ = 0;           // round-robin start for launches
  int64_t in_flight_ = 0;
  SimTime busy_since_ = 0;
  SimTime wake_at_ = -1;  // time of the pending kWake event, -1 if none
  LoadIndex* load_index_ = nullptr;
  size_t load_position_ = 0;
  bool routable_ = true;
  std::function<void(SimTime)> on_idle_;
};

}  // namespace servesim
