#include "cli/slot_usage.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/hex.h"
#include "core/file_io.h"
#include "core/locked_file.h"
#include "core/xdg.h"

namespace keyward::cli {
namespace {

std::string state_root() {
  auto dir = xdg_state_dir();
  return dir ? *dir : std::string();
}

bool mkdir_p(const std::string& dir) { return make_private_dirs(dir).has_value(); }

nlohmann::json load(const std::string& file) {
  std::ifstream in(file);
  if (!in) return nlohmann::json::object();
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return nlohmann::json::object();
  return j;
}

std::string& current_device() {
  static std::string d;
  return d;
}

std::string now_utc() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

std::string slot_usage_file(const vault::VaultId& vid) {
  std::string root = state_root();
  if (root.empty()) return {};
  return root + "/slots/" + encoding::hex_encode(ByteView(vid.data(), vid.size())) + ".json";
}

void note_slot_device(std::string device) { current_device() = std::move(device); }

namespace {
void record(const vault::VaultId& vid, std::uint32_t slot, bool used) {
  std::string file = slot_usage_file(vid);
  if (file.empty()) return;
  std::string dir = file.substr(0, file.rfind('/'));
  if (!mkdir_p(dir)) return;
  // Two commands finishing at once each read, change and replace the file: serialised, so
  // neither loses the other's note.
  auto lock = LockedFile::lock_file(file + ".lock");
  if (!lock) return;
  nlohmann::json j = load(file);
  if (!j.contains("slots") || !j["slots"].is_object()) j["slots"] = nlohmann::json::object();
  auto& entry = j["slots"][std::to_string(slot)];
  if (!entry.is_object()) entry = nlohmann::json::object();
  if (used) entry["last_used"] = now_utc();
  if (!current_device().empty()) entry["device"] = current_device();
  std::string text = j.dump(2) + "\n";
  // Best effort: a usage note that cannot be written is not worth failing the command for.
  (void)write_file_atomic(file, as_bytes(text), 0600);
}
}  // namespace

void note_slot_used(const vault::Vault& v) { record(v.header().vault_id, v.unlocked_slot(), true); }

void note_slot_enrolled(const vault::VaultId& vid, std::uint32_t slot) {
  if (!current_device().empty()) record(vid, slot, false);
}

std::map<std::uint32_t, SlotUsage> slot_usage(const vault::VaultId& vid) {
  std::map<std::uint32_t, SlotUsage> out;
  std::string file = slot_usage_file(vid);
  if (file.empty()) return out;
  auto j = load(file);
  if (!j.contains("slots") || !j["slots"].is_object()) return out;
  for (const auto& [k, val] : j["slots"].items()) {
    if (!val.is_object()) continue;
    std::uint32_t n = 0;
    try {
      std::size_t used = 0;
      unsigned long v = std::stoul(k, &used);
      if (used != k.size() || v > 0xffffffffUL) continue;
      n = static_cast<std::uint32_t>(v);
    } catch (...) {
      continue;
    }
    SlotUsage u;
    if (val.contains("last_used") && val["last_used"].is_string()) u.last_used = val["last_used"];
    if (val.contains("device") && val["device"].is_string()) u.device = val["device"];
    out[n] = std::move(u);
  }
  return out;
}

}  // namespace keyward::cli
