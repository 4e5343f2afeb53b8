// Context::user_measurements: the /users table of the users' own devices (context.hpp).
#include <limits>
#include <string>
#include <utility>
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
    for (auto* v : {&user, &requests, &generations, &refused}) v->reserve(all.size());
    for (auto* v : {&busy, &queue, &gen_j, &other_j, &radio_j, &idle_j, &total_j, &cap, &soc_start, &soc_end, &soc_min,
                    &floor_s, &throttle, &min_rate, &heat_end, &promo, &active, &tail})
      v->reserve(all.size());
    device.reserve(all.size());
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
    // Moved into the table (a braced list would copy every column).
    std::vector<TableColumn> out;
    out.reserve(23);
    out.push_back({"device", "", std::move(device)});
    out.push_back({"user_id", "", std::move(user)});
    out.push_back({"requests", "requests", std::move(requests)});
    out.push_back({"generations", "generations", std::move(generations)});
    out.push_back({"refused_battery", "generations", std::move(refused)});
    out.push_back({"busy_s", "s", std::move(busy)});
    out.push_back({"queue_s", "s", std::move(queue)});
    out.push_back({"generation_energy_j", "J", std::move(gen_j)});
    out.push_back({"other_energy_j", "J", std::move(other_j)});
    out.push_back({"radio_energy_j", "J", std::move(radio_j)});
    out.push_back({"idle_energy_j", "J", std::move(idle_j)});
    out.push_back({"energy_j", "J", std::move(total_j)});
    out.push_back({"battery_capacity_j", "J", std::move(cap)});
    out.push_back({"soc_start", "1", std::move(soc_start)});
    out.push_back({"soc_end", "1", std::move(soc_end)});
    out.push_back({"soc_min", "1", std::move(soc_min)});
    out.push_back({"below_floor_at_s", "s", std::move(floor_s)});
    out.push_back({"throttled_s", "s", std::move(throttle)});
    out.push_back({"min_rate_factor", "1", std::move(min_rate)});
    out.push_back({"heat_end", "1", std::move(heat_end)});
    out.push_back({"radio_promotion_s", "s", std::move(promo)});
    out.push_back({"radio_active_s", "s", std::move(active)});
    out.push_back({"radio_tail_s", "s", std::move(tail)});
    return out;
  };
  return src;
}

}  // namespace collabsim
