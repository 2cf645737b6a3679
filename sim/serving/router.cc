#include "sim/serving/router.h"

#include <limits>

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
  // A replica that is not routable (autoscaling) counts as infinitely loaded; one always is.
  const auto count = [&replicas](size_t i) {
    return replicas[i]->Routable() ? replicas[i]->Outstanding()
                                   : std::numeric_limits<int64_t>::max();
  };
  const size_t best = load_->Min(count);
  SERVESIM_CHECK(replicas[best]->Routable());
  if (verify_against_scan_) {
    size_t scan = 0;
    for (size_t i = 1; i < replicas.size(); ++i) {
      if (count(i) < count(scan)) scan = i;
    }
    SERVESIM_CHECK(best == scan);
  }
  return best;
}

size_t Router::LeastKvUsage(const std::vector<std::unique_ptr<Replica>>& replicas) const {
  size_t best = replicas.size();
  for (size_t i = 0; i < replicas.size(); ++i) {
    if (!replicas[i]->Routable()) continue;
    if (best == replicas.size()) {
      best = i;
      continue;
    }
    const double a = replicas[i]->KvUsage(), b = replicas[best]->KvUsage();
    if (a < b || (a == b && replicas[i]->Outstanding() < replicas[best]->Outstanding())) best = i;
  }
  SERVESIM_CHECK(best < replicas.size());
  return best;
}

size_t Router::RoundRobin(const std::vector<std::unique_ptr<Replica>>& replicas) {
  for (size_t tried = 0; tried < replicas.size(); ++tried) {
    const size_t i = next_;
    next_ = (next_ + 1) % replicas.size();
    if (replicas[i]->Routable()) return i;
  }
  SERVESIM_CHECK(false && "no routable replica");
  return 0;
}

size_t Router::Random(const std::vector<std::unique_ptr<Replica>>& replicas) {
  // Uniform over the routable replicas: the k-th of them (with all routable, replica k).
  if (!autoscaled_) {
    return static_cast<size_t>(rng_.UniformInt(0, static_cast<int64_t>(replicas.size()) - 1));
  }
  int64_t routable = 0;
  for (const auto& r : replicas) routable += r->Routable() ? 1 : 0;
  SERVESIM_CHECK(routable > 0);
  int64_t k = rng_.UniformInt(0, routable - 1);
  for (size_t i = 0; i < replicas.size(); ++i) {
    if (replicas[i]->Routable() && k-- == 0) return i;
  }
  return 0;
}

size_t Router::Route(const Request& request,
                     const std::vector<std::unique_ptr<Replica>>& replicas) {
  SERVESIM_CHECK(!replicas.empty());
  if (replicas.size() == 1) return 0;
  switch (policy_) {
    case RouterPolicy::kRoundRobin:
      return RoundRobin(replicas);
    case RouterPolicy::kLeastOutstanding:
      return LeastOutstanding(replicas);
    case RouterPolicy::kLeastKvUsage:
      return LeastKvUsage(replicas);
    case RouterPolicy::kRandom:
      return Random(replicas);
    case RouterPolicy::kSessionAffinity: {
      if (request.session < 0) return LeastOutstanding(replicas);
      auto [it, inserted] = session_replica_.try_emplace(request.session, 0);
      // A session whose replica was scaled down moves to another one (its prefix cache is lost).
      if (inserted || !replicas[it->second]->Routable()) it->second = LeastOutstanding(replicas);
      return it->second;
    }
  }
  return 0;
}

}  // namespace servesim
