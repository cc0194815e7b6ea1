// `keyward doctor`: checks the hardware path (pcscd, readers, PIV cards and their key slots,
// FIDO2 hidraw permissions, the udev rule) and prints each problem with the command that fixes
// it. `--json` for scripts. Exit 0 when nothing is wrong, else the class of the first problem.
#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/vault_open.h"
#include "hw/fido2_device.h"
#include "hw/piv_card.h"

namespace keyward::cli {
namespace {

struct Problem {
  Errc code;
  std::string what;
  std::string fix;
};

std::string hex2(unsigned v) {
  char b[3];
  std::snprintf(b, sizeof b, "%02x", v & 0xffu);
  return b;
}

bool file_exists(const std::string& p) { return ::access(p.c_str(), F_OK) == 0; }

Status run_doctor(Context& ctx) {
  nlohmann::json report = {{"pcscd", false}, {"readers", nlohmann::json::array()},
                           {"fido2_hidraw", nlohmann::json::array()}};
  std::vector<Problem> problems;

  auto readers = hw::pcsc_readers();
  if (!readers) {
    problems.push_back({readers.error().code, readers.error().message,
                        "sudo systemctl enable --now pcscd.socket"});
  } else {
    report["pcscd"] = true;
    if (readers->empty()) {
      problems.push_back({Errc::device, "pcscd sees no smart-card reader",
                          "plug in the YubiKey; check `lsusb` and `journalctl -u pcscd`"});
    }
    for (const auto& r : *readers) {
      nlohmann::json jr = {{"name", r}};
      auto card = hw::PivCard::connect(r);
      if (card) {
        auto& c = **card;
        nlohmann::json keys = nlohmann::json::array();
        std::vector<unsigned> refs = {0x9a, 0x9c, 0x9d, 0x9e};
        for (unsigned k = 0x82; k <= 0x95; ++k) refs.push_back(k);
        for (unsigned k : refs) {
          auto md = c.key_metadata(static_cast<std::uint8_t>(k));
          if (md && *md) {
            keys.push_back({{"slot", hex2(k)}, {"algorithm", (*md)->algorithm},
                            {"touch_policy", (*md)->touch_policy},
                            {"pin_policy", (*md)->pin_policy}, {"generated", (*md)->generated}});
          }
        }
        auto tries = c.pin_retries();
        jr["card"] = {{"serial", c.serial()}, {"firmware", c.firmware()},
                      {"simulated", c.simulated()}, {"keys", keys},
                      {"pin_tries", tries ? *tries : -1}};
        if (tries && *tries == 0) {
          problems.push_back({Errc::pin_blocked, "the PIV PIN of " + c.name() + " is blocked",
                              "yubico-piv-tool -r '" + r + "' -a unblock-pin"});
        }
      }
      report["readers"].push_back(jr);
    }
  }

  // FIDO2 authenticators: hidraw nodes the current user can open (uaccess from the udev rule).
  if (DIR* d = ::opendir("/dev")) {
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n.rfind("hidraw", 0) != 0) continue;
      std::string path = "/dev/" + n;
      bool rw = ::access(path.c_str(), R_OK | W_OK) == 0;
      report["fido2_hidraw"].push_back({{"path", path}, {"accessible", rw}});
      if (!rw) {
        problems.push_back({Errc::io, path + " is not readable and writable by this user",
                            "install udev/70-keyward.rules (cmake --install), then `sudo "
                            "udevadm control --reload && sudo udevadm trigger` and re-plug"});
      }
    }
    ::closedir(d);
  }
  // FIDO2 authenticators libfido2 finds (plus KEYWARD_FIDO2_DEVICES, e.g. the simulator).
  std::vector<std::string> fido = hw::fido2_hid_devices();
  if (const char* e = std::getenv("KEYWARD_FIDO2_DEVICES"); e != nullptr && e[0] != '\0') {
    std::string list(e);
    for (std::size_t pos = 0; pos <= list.size();) {
      auto comma = list.find(',', pos);
      std::string item = list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      if (!item.empty()) fido.push_back(item);
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
  }
  report["fido2_devices"] = nlohmann::json::array();
  for (const auto& path : fido) {
    auto dev = hw::Fido2Device::open(path);
    report["fido2_devices"].push_back({{"path", path}, {"opened", dev.has_value()}});
    if (!dev) {
      problems.push_back({Errc::device, dev.error().message,
                          "check the udev rule (uaccess) and re-plug the key"});
    }
  }

  bool rule = file_exists("/usr/lib/udev/rules.d/70-keyward.rules") ||
              file_exists("/lib/udev/rules.d/70-keyward.rules") ||
              file_exists("/usr/local/lib/udev/rules.d/70-keyward.rules") ||
              file_exists("/etc/udev/rules.d/70-keyward.rules");
  report["udev_rule"] = rule;
  if (!rule) {
    problems.push_back({Errc::not_found, "the keyward udev rule is not installed",
                        "sudo cmake --install build (installs lib/udev/rules.d/70-keyward.rules)"});
  }

  nlohmann::json jp = nlohmann::json::array();
  for (const auto& p : problems) jp.push_back({{"problem", p.what}, {"fix", p.fix}});
  report["problems"] = jp;
  if (ctx.json) {
    std::printf("%s\n", report.dump(2).c_str());
  } else {
    std::printf("pcscd: %s\n", report["pcscd"].get<bool>() ? "reachable" : "NOT reachable");
    for (const auto& r : report["readers"]) {
      std::printf("reader '%s': ", r["name"].get<std::string>().c_str());
      if (!r.contains("card")) {
        std::printf("no card\n");
        continue;
      }
      const auto& c = r["card"];
      std::printf("YubiKey %u%s firmware %s, PIN tries %d, keys:", c["serial"].get<unsigned>(),
                  c["simulated"].get<bool>() ? " (simulated)" : "",
                  c["firmware"].get<std::string>().c_str(), c["pin_tries"].get<int>());
      if (c["keys"].empty()) std::printf(" none");
      for (const auto& k : c["keys"]) std::printf(" %s", k["slot"].get<std::string>().c_str());
      std::printf("\n");
    }
    for (const auto& h : report["fido2_hidraw"]) {
      std::printf("%s: %s\n", h["path"].get<std::string>().c_str(),
                  h["accessible"].get<bool>() ? "accessible" : "NOT accessible");
    }
    for (const auto& f : report["fido2_devices"]) {
      std::printf("FIDO2 key %s: %s\n", f["path"].get<std::string>().c_str(),
                  f["opened"].get<bool>() ? "ok" : "cannot open");
    }
    std::printf("udev rule: %s\n", rule ? "installed" : "not installed");
    for (const auto& p : problems) {
      std::printf("problem: %s\n  fix: %s\n", p.what.c_str(), p.fix.c_str());
    }
    if (problems.empty()) std::printf("no problems found\n");
  }
  std::fflush(stdout);
  if (!problems.empty()) ctx.exit_code = exit_code(problems.front().code);
  return ok();
}

void add_doctor_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("doctor", "Check pcscd, readers, YubiKeys, FIDO2 permissions, udev");
  cmd->add_flag("--json", ctx.json, "JSON output");
  cmd->callback([&ctx] {
    if (auto r = run_doctor(ctx); !r) fail_command(ctx, r.error());
  });
}

}  // namespace

KEYWARD_COMMAND(130, add_doctor_command);

}  // namespace keyward::cli
