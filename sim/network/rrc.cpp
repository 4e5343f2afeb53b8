#include "sim/network/rrc.hpp"

#include <algorithm>

namespace collabsim {

SimTime RrcRadio::begin(SimTime t) {
  t = std::max(t, last_);
  last_ = t;
  if (active_++ > 0) return std::max(t, connected_at_);  // connected, or promoting for another transfer
  double delay = 0;
  if (used_) {
    const double gap = to_seconds(t - tail_start_);
    const double in_tail = std::min(gap, p_.tail_time);
    energy_ += p_.tail_power * in_tail;
    tail_ += p_.tail_power * in_tail;
    tail_s_ += in_tail;
    if (gap <= p_.tail_time) {  // still connected: the tail is reset, no promotion
      connected_at_ = t;
      return t;
    }
    if (p_.model == RadioModel::nr && gap <= p_.tail_time + p_.inactive_time) {
      energy_ += p_.resume_power * p_.resume_delay;
      ++resumes_;
      delay = p_.resume_delay;
      connected_at_ = t + from_seconds(delay);
      return connected_at_;
    }
  }
  used_ = true;
  energy_ += p_.promotion_power * p_.promotion_delay;
  ++promotions_;
  delay = p_.promotion_delay;
  connected_at_ = t + from_seconds(delay);
  return connected_at_;
}

void RrcRadio::end(SimTime t) {
  t = std::max(t, last_);
  last_ = t;
  if (active_ == 0) return;
  if (--active_ > 0) return;
  const double active = to_seconds(std::max<SimTime>(0, t - connected_at_));
  energy_ += p_.active_power * active;
  active_s_ += active;
  tail_start_ = t;
}

RrcRadio::Settlement RrcRadio::settle() {
  const double pending = used_ && active_ == 0 && !closed_ ? p_.tail_power * p_.tail_time : 0.0;
  const Settlement total{energy_ + pending, tail_ + pending, promotions_, resumes_};
  const Settlement d{total.energy_j - settled_.energy_j, total.tail_j - settled_.tail_j,
                     total.promotions - settled_.promotions, total.resumes - settled_.resumes};
  settled_ = total;
  return d;
}

void RrcRadio::close() {
  if (closed_) return;
  closed_ = true;
  if (active_ > 0) {  // a transfer left open (should not happen): end it at the last event
    active_ = 1;
    end(last_);
  }
  if (!used_) return;
  energy_ += p_.tail_power * p_.tail_time;
  tail_ += p_.tail_power * p_.tail_time;
  tail_s_ += p_.tail_time;
}

RrcRadio::Times RrcRadio::times() const {
  const bool pending = used_ && active_ == 0 && !closed_;
  return {static_cast<double>(promotions_) * p_.promotion_delay + static_cast<double>(resumes_) * p_.resume_delay,
          active_s_, tail_s_ + (pending ? p_.tail_time : 0.0)};
}

}  // namespace collabsim
