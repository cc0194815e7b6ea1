#include "core/xdg.h"

#include <cstdlib>

namespace keyward {
namespace {

// $VAR when absolute, else $HOME/<fallback> when HOME is absolute, else empty.
std::string base_dir(const char* var, const char* fallback) {
  const char* xdg = std::getenv(var);
  if (xdg != nullptr && xdg[0] == '/') return xdg;
  const char* home = std::getenv("HOME");
  if (home == nullptr || home[0] != '/') return {};
  return std::string(home) + "/" + fallback;
}

std::string under(std::string base, std::string_view sub) {
  base += "/keyward";
  if (!sub.empty()) base += "/" + std::string(sub);
  return base;
}

}  // namespace

Result<std::string> xdg_state_dir(std::string_view sub) {
  std::string base = base_dir("XDG_STATE_HOME", ".local/state");
  if (base.empty()) {
    return fail(Errc::io, "cannot find a state directory" +
                              (sub.empty() ? std::string() : " for keyward/" + std::string(sub)) +
                              ": set XDG_STATE_HOME or HOME to an absolute path");
  }
  return under(std::move(base), sub);
}

std::optional<std::string> xdg_runtime_dir() {
  const char* rt = std::getenv("XDG_RUNTIME_DIR");
  if (rt == nullptr || rt[0] != '/') return std::nullopt;
  return std::string(rt);
}

Result<std::string> xdg_data_dir(std::string_view sub) {
  std::string base = base_dir("XDG_DATA_HOME", ".local/share");
  if (base.empty()) {
    return fail(Errc::not_found, "no vault location: set --vault, KEYWARD_VAULT, XDG_DATA_HOME "
                                 "or HOME");
  }
  return under(std::move(base), sub);
}

}  // namespace keyward
