#pragma once
/// \file dispatch_policy.hpp
/// The registry of replica-choice policies of a batching pool (`deployments.<name>.dispatch`):
/// one DispatchInfo row per policy (dispatch_policies(), dispatch.cpp), the single source of
/// the key's allowed values, its help in `collabsim list` and the Dispatch it builds. The
/// loader reads the name into a pointer to its row once (BatchingSpec::dispatch).

#include <memory>
#include <span>
#include <string>

namespace collabsim {

class Dispatch;

struct DispatchInfo {
  const char* name;
  const char* help;
  std::unique_ptr<Dispatch> (*make)();  ///< a fresh policy object for one pool
};

/// Every policy, the default ("least_loaded") first.
std::span<const DispatchInfo> dispatch_policies();
/// The row named `name`; throws std::invalid_argument (listing the names) otherwise.
const DispatchInfo& dispatch_named(const std::string& name);

}  // namespace collabsim
