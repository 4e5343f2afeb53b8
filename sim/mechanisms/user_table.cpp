// Context::user_measurements: the /users table of the users' own devices (context.hpp).
#include <limits>
#include <string>
#include <vector>

#include "sim/mechanisms/context.hpp"

namespace collabsim {

MeasurementSource Context::user_measurements() const {
  MeasurementSource src;
  src.path = "users";
  src.table = [this]() -> std::vector<TableColumn> {
    const std::vector<const UserDevice*> all = users_.all();
    if (all.empty()) return {};
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    std::vector<std::string> device;
    std::vector<std::int64_t> user, requests, generations, refused;
    std::vector<double> busy, queue, gen_j, other_j, radio_j, idle_j, total_j, cap, soc_start, soc_end, soc_min,
        floor_s, throttle, min_rate, heat_end, promo, active, tail;
    for (const UserDevice* u : all) {
      const DeviceSpec& d = sc_.devices[u->device];
      const bool bat = u->capacity_j > 0;
      device.push_back(d.name);
      user.push_back(u->user);
      requests.push_back(u->requests);
      generations.push_back(u->generations);
      refused.push_back(u->refused_battery);
      busy.push_back(u->busy_s);
      queue.push_back(u->queue_s);
      gen_j.push_back(u->energy_j);
      other_j.push_back(u->other_j);
      radio_j.push_back(u->radio_j);
      idle_j.push_back(u->idle_j);
      total_j.push_back(u->energy_j + u->other_j + u->radio_j + u->idle_j);
      cap.push_back(u->capacity_j);
      soc_start.push_back(bat ? d.battery_initial : nan);
      soc_end.push_back(bat ? u->soc() : nan);
      soc_min.push_back(bat ? u->min_charge_j / u->capacity_j : nan);
      floor_s.push_back(bat && u->below_floor_at >= 0 ? to_seconds(u->below_floor_at) : nan);
      throttle.push_back(u->throttle_s);
      min_rate.push_back(u->min_rate);
      heat_end.push_back(u->thermal.heat(u->idle_since));
      const RrcRadio::Times t = net_.radio_times(user_radio_session(u->user));
      promo.push_back(t.promotion_s);
      active.push_back(t.active_s);
      tail.push_back(t.tail_s);
    }
    return {{"device", "", device},
            {"user_id", "", user},
            {"requests", "requests", requests},
            {"generations", "generations", generations},
            {"refused_battery", "generations", refused},
            {"busy_s", "s", busy},
            {"queue_s", "s", queue},
            {"generation_energy_j", "J", gen_j},
            {"other_energy_j", "J", other_j},
            {"radio_energy_j", "J", radio_j},
            {"idle_energy_j", "J", idle_j},
            {"energy_j", "J", total_j},
            {"battery_capacity_j", "J", cap},
            {"soc_start", "1", soc_start},
            {"soc_end", "1", soc_end},
            {"soc_min", "1", soc_min},
            {"below_floor_at_s", "s", floor_s},
            {"throttled_s", "s", throttle},
            {"min_rate_factor", "1", min_rate},
            {"heat_end", "1", heat_end},
            {"radio_promotion_s", "s", promo},
            {"radio_active_s", "s", active},
            {"radio_tail_s", "s", tail}};
  };
  return src;
}

}  // namespace collabsim
