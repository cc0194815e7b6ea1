#include "presence.h"

#include <algorithm>
#include <sstream>

namespace hwsim {

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::touched: return "touched";
    case Outcome::refused: return "refused";
    case Outcome::timed_out: return "timed-out";
    case Outcome::removed: return "removed";
    case Outcome::cancelled: return "cancelled";
  }
  return "?";
}

Outcome Presence::wait(const std::function<bool()>& tick) {
  std::unique_lock lock(mu_);
  if (!present_ || shutdown_) return Outcome::removed;
  pending_ = true;
  resolution_.reset();
  ++requests_;
  ++generation_;
  cv_.notify_all();
  const auto start = Clock::now();
  Outcome result = Outcome::timed_out;
  // One keepalive right away (a real key signals "touch needed" as soon as it starts waiting).
  if (tick) {
    lock.unlock();
    bool cancel = tick();
    lock.lock();
    if (cancel) {
      pending_ = false;
      resolution_.reset();
      cv_.notify_all();
      return Outcome::cancelled;
    }
  }
  for (;;) {
    if (resolution_) {
      result = *resolution_;
      break;
    }
    const auto elapsed = Clock::now() - start;
    if (auto_touch_ && elapsed >= *auto_touch_) {
      result = Outcome::touched;
      break;
    }
    if (elapsed >= timeout_) {
      result = Outcome::timed_out;
      break;
    }
    // Keepalive tick every 100 ms, but wake exactly when the auto-touch or the timeout is due
    // (a 100 ms granularity would add up to 100 ms to every auto-touched operation).
    Clock::duration step = std::chrono::milliseconds(100);
    if (auto_touch_) step = std::min<Clock::duration>(step, *auto_touch_ - elapsed);
    step = std::min<Clock::duration>(step, timeout_ - elapsed);
    cv_.wait_for(lock, step);
    if (tick && !resolution_ && Clock::now() - start < timeout_ &&
        !(auto_touch_ && Clock::now() - start >= *auto_touch_)) {
      lock.unlock();
      bool cancel = tick();
      lock.lock();
      if (cancel) {
        result = Outcome::cancelled;
        break;
      }
    }
  }
  pending_ = false;
  resolution_.reset();
  cv_.notify_all();
  return result;
}

bool Presence::resolve(Outcome o, std::chrono::milliseconds max_wait,
                       const std::function<bool()>& abandoned) {
  std::unique_lock lock(mu_);
  const auto deadline = std::chrono::steady_clock::now() + max_wait;
  auto ready = [&] { return shutdown_ || (pending_ && !resolution_); };
  while (!ready()) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    auto slice = std::min<std::chrono::steady_clock::duration>(deadline - now, std::chrono::milliseconds(100));
    if (cv_.wait_for(lock, slice, ready)) break;
    if (abandoned && abandoned()) return false;
  }
  if (shutdown_) return false;
  if (abandoned && abandoned()) return false;  // the request came after the controller left
  resolution_ = o;
  cv_.notify_all();
  return true;
}

void Presence::set_auto_touch(std::optional<std::chrono::milliseconds> delay) {
  std::lock_guard lock(mu_);
  auto_touch_ = delay;
  cv_.notify_all();
}

std::optional<std::chrono::milliseconds> Presence::auto_touch() const {
  std::lock_guard lock(mu_);
  return auto_touch_;
}

void Presence::set_timeout(std::chrono::milliseconds t) {
  std::lock_guard lock(mu_);
  timeout_ = t;
}

void Presence::remove() {
  std::lock_guard lock(mu_);
  present_ = false;
  if (pending_) resolution_ = Outcome::removed;
  cv_.notify_all();
}

void Presence::insert() {
  std::lock_guard lock(mu_);
  present_ = true;
  cv_.notify_all();
}

bool Presence::present() const {
  std::lock_guard lock(mu_);
  return present_;
}

bool Presence::wait_present(std::chrono::milliseconds max_wait) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, max_wait, [&] { return present_ || shutdown_; }) && present_;
}

void Presence::shutdown() {
  std::lock_guard lock(mu_);
  shutdown_ = true;
  if (pending_ && !resolution_) resolution_ = Outcome::removed;
  cv_.notify_all();
}

void Presence::set_misbehaviour(Misbehaviour m, std::chrono::milliseconds slow_delay) {
  std::lock_guard lock(mu_);
  misbehaviour_ = m;
  slow_delay_ = slow_delay;
}

Misbehaviour Presence::misbehaviour() const {
  std::lock_guard lock(mu_);
  return misbehaviour_;
}

std::chrono::milliseconds Presence::slow_delay() const {
  std::lock_guard lock(mu_);
  return slow_delay_;
}

bool Presence::pending() const {
  std::lock_guard lock(mu_);
  return pending_;
}

std::uint64_t Presence::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

void Presence::trace_add(std::string name, std::chrono::nanoseconds device_time) {
  std::lock_guard lock(mu_);
  if (trace_names_.size() < 10000) trace_names_.push_back(std::move(name));
  trace_time_ += device_time;
}

std::string Presence::trace() const {
  std::lock_guard lock(mu_);
  std::ostringstream os;
  os << "requests=" << trace_names_.size()
     << " device_us=" << std::chrono::duration_cast<std::chrono::microseconds>(trace_time_).count()
     << " commands=";
  for (std::size_t i = 0; i < trace_names_.size(); ++i) os << (i ? "," : "") << trace_names_[i];
  return os.str();
}

void Presence::trace_reset() {
  std::lock_guard lock(mu_);
  trace_names_.clear();
  trace_time_ = std::chrono::nanoseconds{0};
}

std::string Presence::status() const {
  std::lock_guard lock(mu_);
  std::ostringstream os;
  static const char* names[] = {"none", "wrong-sw", "truncate", "slow"};
  os << "present=" << (present_ ? 1 : 0) << " touch_pending=" << (pending_ ? 1 : 0)
     << " touch_requests=" << requests_ << " auto_touch=";
  if (auto_touch_) {
    os << auto_touch_->count() << "ms";
  } else {
    os << "off";
  }
  os << " touch_timeout=" << timeout_.count() << "ms misbehave="
     << names[static_cast<int>(misbehaviour_)];
  return os.str();
}

}  // namespace hwsim
