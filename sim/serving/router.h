// Router: picks the replica each arriving request goes to.
//   round_robin        replicas in turn
//   least_outstanding  fewest unfinished requests (join the shortest queue); ties: lowest index.
//                      Kept in a LoadIndex: O(log replicas) per changed replica, not a scan
//   least_kv_usage     lowest KV-cache use; ties: fewest unfinished, then lowest index
//   random             uniform, from the run's "router" random stream
//   session_affinity   a session's requests stick to the replica its first request went to
//                      (chosen least_outstanding); requests without a session: least_outstanding
// Every policy picks among the routable replicas only (Replica::Routable: all of them without
// an autoscaler); a session whose replica stopped being routable is placed again.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sim/core/rng.h"
#include "sim/serving/load_index.h"
#include "sim/serving/replica.h"
#include "sim/serving/request.h"

namespace servesim {

enum class RouterPolicy {
  kRoundRobin,
  kLeastOutstanding,
  kLeastKvUsage,
  kRandom,
  kSessionAffinity
};

const std::vector<std::string>& RouterPolicyNames();
// REQUIRES: name is one of RouterPolicyNames().
RouterPolicy ParseRouterPolicy(const std::string& name);

class Router {
 public:
  // `replicas`: the size of the pool it routes for (every Route passes that pool). The random
  // policy draws from the run seed's stream `stream` (one name per pool, so that pools never
  // share a stream and no pool's stream equals another seed's).
  Router(RouterPolicy policy, uint64_t seed, std::string_view stream, size_t replicas);
  size_t Route(const Request& request, const std::vector<std::unique_ptr<Replica>>& replicas);
  // The index the pool's replicas must mark (Replica::SetLoadIndex); null when the policy never
  // routes to the least outstanding replica.
  LoadIndex* load_index() { return load_.get(); }
  // Tests: every least-outstanding choice is checked against a scan of all replicas (a
  // replica that changed without marking its LoadIndex would fail the check).
  static void VerifyAgainstScanForTesting(bool on) { verify_against_scan_ = on; }
  // An autoscaler drives the pool: some replicas may not be routable. Without one, every replica
  // is, and the random policy draws in O(1) instead of counting them.
  void SetAutoscaled(bool on) { autoscaled_ = on; }

 private:
  size_t LeastOutstanding(const std::vector<std::unique_ptr<Replica>>& replicas);
  size_t LeastKvUsage(const std::vector<std::unique_ptr<Replica>>& replicas) const;
  size_t RoundRobin(const std::vector<std::unique_ptr<Replica>>& replicas);
  size_t Random(const std::vector<std::unique_ptr<Replica>>& replicas);

  RouterPolicy policy_;
  Rng rng_;
  size_t next_ = 0;
  std::unordered_map<int64_t, size_t> session_replica_;
  std::unique_ptr<LoadIndex> load_;
  bool autoscaled_ = false;
  static inline bool verify_against_scan_ = false;
};

}  // namespace servesim
