#pragma once
/// \file rrc.hpp
/// Cellular radio state machine (RRC) of one user's radio on one link: what a transfer
/// waits for (promotion delay) and what the radio spends besides the per-bit energy
/// (promotion, connected base power while transferring, the tail after the last transfer).
///
/// LTE (Huang et al., "A Close Examination of Performance and Power Characteristics of 4G
/// LTE Networks", MobiSys 2012, Tables 3 and 4; docs/ENERGY.md "Radio: RRC state machine"):
///
///   RRC_IDLE ──transfer──► promotion (delay D_pro at P_pro) ──► RRC_CONNECTED
///   RRC_CONNECTED, transferring: P_active + per-bit energy (α_u, α_d: the link's radio_energy_*)
///   RRC_CONNECTED, no transfer: the tail (P_tail, DRX) for T_tail, then RRC_IDLE;
///   a transfer within the tail resets it with no promotion.
///
/// 5G NR adds RRC_INACTIVE (3GPP TS 38.300 §9.2.1): after the tail the radio keeps its
/// context for T_inactive; a transfer then pays the (shorter) resume D_res at P_res instead
/// of the full promotion; after T_inactive it is idle.
///
/// Idle and inactive power (paging DRX, the baseline the phone draws whether or not it
/// asks anything) is not charged. Energy of one isolated transfer of duration s from idle:
///   E = P_pro·D_pro + P_active·s + P_tail·T_tail  (+ bits × the link's per-bit energy).
/// Two transfers with a gap g ≤ T_tail pay one promotion and P_tail·g between them.
///
/// Times passed in are clamped to be non-decreasing (concurrent transfers of one request
/// may report an activity that started before the last event seen); every call is O(1).

#include <cstdint>

#include "sim/core/time.hpp"

namespace collabsim {

/// Radio model of a link: "none" (per-bit energy only), "lte", "nr".
enum class RadioModel { none, lte, nr };

/// Parameters of an RRC state machine (SI units: s, W). Defaults: Huang et al. 2012 LTE.
struct RrcParams {
  RadioModel model = RadioModel::none;
  double promotion_delay = 0.2601;  ///< s, RRC_IDLE → RRC_CONNECTED (Huang et al. 2012, Tables 3-4: 260.1 ms)
  double promotion_power = 1.2107;  ///< W during the promotion (Huang et al. 2012: 1210.7 mW)
  double active_power = 1.28804;    ///< W base power while transferring (Huang et al. 2012: beta = 1288.04 mW)
  double tail_time = 11.576;        ///< s, connected inactivity until idle (Huang et al. 2012: 11576 ms)
  double tail_power = 1.060;        ///< W in the tail (Huang et al. 2012: tail base 1060.0 mW)
  double resume_delay = 0;          ///< s, RRC_INACTIVE → RRC_CONNECTED (NR only)
  double resume_power = 0;          ///< W during the resume (NR only)
  double inactive_time = 0;         ///< s in RRC_INACTIVE after the tail before idle (NR only)
};

/// One radio (one user, one link). Energies in J, times in ns.
class RrcRadio {
 public:
  explicit RrcRadio(const RrcParams& p) : p_(p) {}

  /// A transfer wants the radio at time t. Charges the tail elapsed since the last
  /// transfer (up to T_tail) and a promotion or resume when the radio left the connected
  /// state. Returns the time the radio is connected (≥ t): the transfer waits until then.
  SimTime begin(SimTime t);
  /// The transfer begun earlier has ended at t (its last bit sent or received). When no
  /// transfer remains, charges P_active over the connected period and starts the tail.
  void end(SimTime t);
  /// No more transfers will come (the request is over): charges the final full tail.
  /// Idempotent; the radio must not be used afterwards.
  void close();

  /// What a radio kept across requests (one user's radio) owes since the last settle():
  /// the energy if no transfer followed (charged so far + the full tail P_tail·T_tail
  /// when the radio is connected and idle) less what earlier settles returned. A transfer
  /// in the tail later replaces the full tail by the part used (P_tail·gap), so the settles
  /// of a burst add up to P_pro·D_pro + P_active·Σ connected + P_tail·(Σ gaps + T_tail).
  struct Settlement {
    double energy_j = 0, tail_j = 0;       ///< J
    std::int64_t promotions = 0, resumes = 0;
  };
  Settlement settle();

  /// Time the radio spent in each state so far (s): promoting or resuming, connected
  /// with a transfer, in the tail (the pending full tail of a connected idle radio that
  /// was not closed counts whole, as settle() charges it).
  struct Times {
    double promotion_s = 0, active_s = 0, tail_s = 0;
  };
  Times times() const;
  double energy_j() const { return energy_; }     ///< all RRC energy charged so far
  double tail_j() const { return tail_; }         ///< of which tail
  std::int64_t promotions() const { return promotions_; }
  std::int64_t resumes() const { return resumes_; }
  bool active() const { return active_ > 0; }

 private:
  RrcParams p_;
  SimTime last_ = 0;         // last event time seen (clamp)
  SimTime connected_at_ = 0; // end of the promotion/resume of the current connected period
  SimTime tail_start_ = 0;   // when the last transfer ended
  int active_ = 0;           // transfers in progress
  bool used_ = false;        // a transfer has happened (a tail is pending)
  bool closed_ = false;
  double energy_ = 0, tail_ = 0;
  double active_s_ = 0, tail_s_ = 0;  // connected-with-transfer and tail time so far, s
  std::int64_t promotions_ = 0, resumes_ = 0;
  Settlement settled_;       // totals returned by settle() so far
};

}  // namespace collabsim
