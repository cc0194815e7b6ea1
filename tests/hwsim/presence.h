// Presence model shared by the virtual PIV card and the virtual FIDO2 authenticator.
//
// A device thread that needs a touch calls wait(). It blocks until the control interface
// resolves the pending request (touch / refuse / timeout / remove), until --auto-touch fires,
// or until the touch timeout expires. The control side can wait for a request to become
// pending first, so a test can start a client in the background and then press.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace hwsim {

enum class Outcome { touched, refused, timed_out, removed, cancelled };
const char* outcome_name(Outcome o);

// Fault-injection switches set through the control interface.
enum class Misbehaviour { none, wrong_sw, truncate, slow };

class Presence {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Presence(std::chrono::milliseconds timeout) : timeout_(timeout) {}

  // Device side. `tick` runs about every 100 ms without the lock held; returning true cancels.
  Outcome wait(const std::function<bool()>& tick = {});

  // Control side: wait up to `max_wait` for a pending request, then resolve it with `o`.
  // Returns false when no request became pending in time, or when `abandoned` (checked about
  // every 100 ms) says the controller that asked has gone: a killed `ctl ... refuse` must not
  // leave a refusal armed for whatever asks for a touch next.
  bool resolve(Outcome o, std::chrono::milliseconds max_wait,
               const std::function<bool()>& abandoned = {});
  void set_auto_touch(std::optional<std::chrono::milliseconds> delay);
  std::optional<std::chrono::milliseconds> auto_touch() const;
  void set_timeout(std::chrono::milliseconds t);

  // Device removal: resolves a pending wait with `removed`; present() turns false until insert().
  void remove();
  void insert();
  bool present() const;
  // Blocks until present or `max_wait` passes; returns present().
  bool wait_present(std::chrono::milliseconds max_wait);

  void set_misbehaviour(Misbehaviour m, std::chrono::milliseconds slow_delay);
  Misbehaviour misbehaviour() const;
  std::chrono::milliseconds slow_delay() const;

  // Simulator shutdown: wakes every control-side waiter (resolve / wait_present return).
  void shutdown();

  // Request trace for benchmarks (`ctl DEVICE trace` / `trace-reset`): every APDU / CTAPHID
  // message the device answered, by name, and the time the device spent on it (request fully
  // received -> reply ready, touch waits included).
  void trace_add(std::string name, std::chrono::nanoseconds device_time);
  std::string trace() const;  // "requests=N device_us=M commands=A,B,..."
  void trace_reset();

  bool pending() const;
  std::uint64_t requests() const;
  std::string status() const;  // "touch_pending=0 touch_requests=3 present=1 auto_touch=off ..."

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::chrono::milliseconds timeout_;
  std::optional<std::chrono::milliseconds> auto_touch_;
  bool pending_ = false;
  std::optional<Outcome> resolution_;
  std::uint64_t requests_ = 0;
  std::uint64_t generation_ = 0;
  bool present_ = true;
  bool shutdown_ = false;
  Misbehaviour misbehaviour_ = Misbehaviour::none;
  std::chrono::milliseconds slow_delay_{2000};
  std::vector<std::string> trace_names_;
  std::chrono::nanoseconds trace_time_{0};
};

}  // namespace hwsim
