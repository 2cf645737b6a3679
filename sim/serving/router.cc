#include "sim/serving/router.h"

#include "sim/core/check.h"

namespace servesim {

const std::vector<std::string>& RouterPolicyNames() {
  static const std::vector<std::string> names = {"round_robin", "least_outstanding",
                                                 "least_kv_usage", "random", "session_affinity"};
  return names;
}

RouterPolicy ParseRouterPolicy(const std::string& name) {
  const auto& names = RouterPolicyNames();
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<RouterPolicy>(i);
  }
  SERVESIM_CHECK(false && "unknown router policy");
  return RouterPolicy::kRoundRobin;
}

Router::Router(RouterPolicy policy, uint64_t seed, std::string_view stream, size_t replicas)
    : policy_(policy), rng_(seed, stream) {
  if (replicas > 1 &&
      (policy == RouterPolicy::kLeastOutstanding || policy == RouterPolicy::kSessionAffinity)) {
    load_ = std::make_unique<LoadIndex>(replicas);
  }
}

size_t Router::LeastOutstanding(const std::vector<std::unique_ptr<Replica>>& replicas) {
  SERVESIM_CHECK(load_ != nullptr);
  const size_t best = load_->Min([&replicas](size_t i) { return replicas[i]->Outstanding(); });
  if (verify_against_scan_) {
    size_t scan = 0;
    for (size_t i = 1; i < replicas.size(); ++i) {
      if (replicas[i]->Outstanding() < replicas[scan]->Outstanding()) scan = i;
    }
    SERVESIM_CHECK(best == scan);
  }
  return best;
}

size_t Router::LeastKvUsage(const std::vector<std::unique_ptr<Replica>>& replicas) const {
  size_t best = 0;
  for (size_t i = 1; i < replicas.size(); ++i) {
    const double a = replicas[i]->KvUsage(), b = replicas[best]->KvUsage();
    if (a < b || (a == b && replicas[i]->Outstanding() < replicas[best]->Outstanding())) best = i;
  }
  return best;
}

size_t Router::Route(const Request& request,
                     const std::vector<std::unique_ptr<Replica>>& replicas) {
  SERVESIM_CHECK(!replicas.empty());
  if (replicas.size() == 1) return 0;
  switch (policy_) {
    case RouterPolicy::kRoundRobin: {
      const size_t i = next_;
      next_ = (next_ + 1) % replicas.size();
      return i;
    }
    case RouterPolicy::kLeastOutstanding:
      return LeastOutstanding(replicas);
    case RouterPolicy::kLeastKvUsage:
      return LeastKvUsage(replicas);
    case RouterPolicy::kRandom:
      return static_cast<size_t>(rng_.UniformInt(0, static_cast<int64_t>(replicas.size()) - 1));
    case RouterPolicy::kSessionAffinity: {
      if (request.session < 0) return LeastOutstanding(replicas);
      auto [it, inserted] = session_replica_.try_emplace(request.session, 0);
      if (inserted) it->second = LeastOutstanding(replicas);
      return it->second;
    }
  }
  return 0;
}

}  // namespace servesim
