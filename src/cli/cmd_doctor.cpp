// `keyward doctor`: checks the hardware path (pcscd, readers, PIV cards and their key slots,
// FIDO2 hidraw permissions, the udev rule), the vault file as far as possible without a
// credential (present, SQLite integrity, header parses, local pin consistent with its
// revision), the pin directory's permissions and the agent socket, and prints each problem with
// the command that fixes it. `--json` for scripts. Exit 0 when nothing is wrong, else the class
// of the first problem. Warnings (factory credentials on a card, no vault yet) do not change it.
#include <dirent.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/socket.h"
#include "cli/cli.h"
#include "cli/presence.h"
#include "cli/vault_open.h"
#include "core/hex.h"
#include "core/vault/format.h"
#include "core/vault/pin.h"
#include "core/vault/slot_fido2.h"
#include "core/vault/storage.h"
#include "core/vault/vault.h"
#include "hw/inventory.h"

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

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The vault, without a credential: present, SQLite quick_check, header parses, and the local pin
// (rollback protection) agrees with the header's vault id and revision. The header MAC needs
// the master key, so it is checked by every command that unlocks, not here.
void check_vault(const Context& ctx, nlohmann::json& report, std::vector<Problem>& problems,
                 std::vector<std::string>& warnings) {
  nlohmann::json jv = nlohmann::json::object();
  auto path = vault_path(ctx);
  if (!path) {
    problems.push_back({path.error().code, path.error().message, "set KEYWARD_VAULT or HOME"});
    report["vault"] = jv;
    return;
  }
  jv["path"] = *path;
  jv["present"] = file_exists(*path);
  for (const auto& left : vault::init_leftovers(*path, false)) {
    jv["init_leftovers"].push_back(left);
    warnings.push_back("an interrupted `keyward init` left " + left +
                       " behind (the next init removes it once its process is gone; it holds no "
                       "usable vault, delete it with rm)");
  }
  if (!file_exists(*path)) {
    warnings.push_back("no vault at " + *path + " (create one: keyward init)");
    report["vault"] = jv;
    return;
  }
  // SQLite integrity, read-only.
  sqlite3* db = nullptr;
  std::string integrity = "unknown";
  if (sqlite3_open_v2(path->c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 2000);
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      const unsigned char* t = sqlite3_column_text(st, 0);
      integrity = t ? reinterpret_cast<const char*>(t) : "unknown";
    } else {
      integrity = sqlite3_errmsg(db);
    }
    sqlite3_finalize(st);
  } else {
    integrity = db ? sqlite3_errmsg(db) : "cannot open";
  }
  sqlite3_close(db);
  jv["sqlite_integrity"] = integrity;
  const std::string restore = "restore the vault from a backup (keyward vault backup makes one)";
  if (integrity != "ok") {
    problems.push_back({Errc::integrity, "the vault file " + *path +
                                             " fails SQLite's integrity check: " + integrity,
                        restore});
    report["vault"] = jv;
    return;
  }
  // Header: parse only (the MAC needs the master key).
  std::optional<vault::HeaderBody> header;
  if (auto storage = vault::Storage::open(*path); !storage) {
    problems.push_back({storage.error().code, storage.error().message, restore});
  } else if (auto b = storage->begin_read(); !b) {
    problems.push_back({b.error().code, b.error().message, "retry; another keyward holds a lock"});
  } else {
    auto raw = storage->read_header();
    auto parsed = raw ? vault::parse_header(raw->body) : Result<vault::HeaderBody>(tl::unexpected(raw.error()));
    // Slots: parsed, not yet verified (their MAC needs the master key): who enforces each one,
    // and FIDO2 slots that hold the high key without device-enforced UV (a problem, with the fix).
    if (auto rows = storage->read_slots(); rows) {
      nlohmann::json js = nlohmann::json::array();
      for (const auto& row : *rows) {
        auto slot = vault::parse_slot(row.body);
        if (!slot) continue;
        slot->number = row.number;
        const auto* sh = vault::slot_handler(slot->type);
        nlohmann::json j = {{"slot", slot->number},
                            {"type", vault::slot_type_name(slot->type)},
                            {"label", slot->label},
                            {"high_key", !slot->wrapped_high.empty()},
                            {"enforcement", sh != nullptr ? sh->enforcement(*slot) : "unknown"}};
        if (vault::fido2_legacy_high(*slot)) {
          j["problem"] = legacy_high_problem(*slot);
          problems.push_back({Errc::policy, legacy_high_problem(*slot),
                              "keyward vault repair (after `keyward slot add fido2` with UV, "
                              "if this key should keep releasing high secrets)"});
        }
        js.push_back(std::move(j));
      }
      jv["slots"] = js;
    }
    storage->rollback();
    if (!parsed) {
      problems.push_back({Errc::integrity, "the vault header of " + *path + " does not parse",
                          restore});
    } else {
      header = *parsed;
      jv["vault_id"] = encoding::hex_encode(ByteView(header->vault_id.data(), header->vault_id.size()));
      jv["revision"] = header->revision;
      jv["header"] = "parses (MAC checked at unlock)";
    }
  }
  // Local pin.
  auto dir = vault::pin_directory({});
  if (dir) {
    vault::PinStore store(*dir, vault::absolute_vault_path(*path));
    jv["pin_file"] = store.file();
    auto pin = store.load();
    if (!pin) {
      problems.push_back({pin.error().code, pin.error().message,
                          "keyward vault forget (then unlock once to pin the vault again)"});
    } else if (!*pin) {
      jv["pinned"] = false;
    } else {
      jv["pinned"] = true;
      jv["pinned_revision"] = (*pin)->revision;
      if (header && (*pin)->vault_id != header->vault_id) {
        problems.push_back({Errc::integrity, "the vault at " + *path + " is not the vault this "
                                             "machine pinned there (different vault id)",
                            "if you replaced it on purpose: keyward vault forget"});
      } else if (header && (*pin)->revision > header->revision) {
        problems.push_back(
            {Errc::integrity, "the vault at " + *path + " is older (revision " +
                                  std::to_string(header->revision) + ") than this machine has "
                                  "seen (revision " + std::to_string((*pin)->revision) +
                                  "): a rollback or a stale copy",
             "restore the newest copy of the vault; if the rollback is intended: keyward vault "
             "forget"});
      }
    }
  }
  report["vault"] = jv;
}

// The pin directory must belong to this user and not be writable by others (a writable pin
// directory lets another user reset the rollback protection).
void check_state_dir(nlohmann::json& report, std::vector<Problem>& problems) {
  auto dir = vault::pin_directory({});
  if (!dir) return;
  nlohmann::json js = {{"path", *dir}};
  struct stat st{};
  if (::stat(dir->c_str(), &st) != 0) {
    js["present"] = false;
  } else {
    js["present"] = true;
    char mode[8];
    std::snprintf(mode, sizeof mode, "%03o", static_cast<unsigned>(st.st_mode & 0777));
    js["mode"] = mode;
    if (st.st_uid != ::getuid()) {
      problems.push_back({Errc::policy, "the pin directory " + *dir + " belongs to another user",
                          "sudo chown -R \"$USER\" " + shell_quote(*dir)});
    } else if ((st.st_mode & 0077) != 0) {
      problems.push_back({Errc::policy, "the pin directory " + *dir + " is accessible by other "
                                        "users (mode " + std::string(mode) + ")",
                          "chmod 700 " + shell_quote(*dir)});
    }
  }
  report["pin_dir"] = js;
}

// The agent's socket: present and answering a connect (the agent itself is optional).
void check_agent(nlohmann::json& report, std::vector<Problem>& problems) {
  nlohmann::json ja = nlohmann::json::object();
  // The socket every command uses (KEYWARD_AGENT_SOCKET, else $XDG_RUNTIME_DIR/keyward/).
  auto where = agent::socket_location();
  if (!where) {
    ja["socket"] = nullptr;
    ja["running"] = false;
    report["agent"] = ja;
    problems.push_back({where.error().code, "the agent socket cannot be used: " + where.error().message,
                        "set KEYWARD_AGENT_SOCKET to an absolute, short socket path"});
    return;
  }
  const std::string sock = *where;
  ja["socket"] = sock;
  const std::string dir = sock.substr(0, std::max<std::size_t>(sock.rfind('/'), 1));
  if (file_exists(dir)) {
    if (auto d = agent::check_private_dir(dir); !d) {
      problems.push_back({d.error().code, d.error().message,
                          "chmod 700 " + shell_quote(dir) + " (every keyward command refuses it as it is)"});
    }
  }
  bool present = file_exists(sock), answers = false;
  if (present) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (sock.size() < sizeof addr.sun_path) {
      std::memcpy(addr.sun_path, sock.c_str(), sock.size() + 1);
      int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd >= 0) {
        answers = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
        ::close(fd);
      }
    }
    if (!answers) {
      problems.push_back({Errc::unavailable, "the agent socket " + sock +
                                                 " exists but nobody answers (a crashed agent)",
                          "rm " + shell_quote(sock) + " and start the agent again"});
    }
  }
  ja["running"] = answers;
  report["agent"] = ja;
}

Status run_doctor(Context& ctx) {
  nlohmann::json report = {{"pcscd", false}, {"readers", nlohmann::json::array()},
                           {"fido2_hidraw", nlohmann::json::array()}};
  std::vector<Problem> problems;
  std::vector<std::string> warnings;

  auto readers = hw::piv_inventory();
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
      nlohmann::json jr = {{"name", r.name}};
      if (r.card) {
        const hw::PivCardFacts& c = *r.card;
        nlohmann::json keys = nlohmann::json::array();
        for (const auto& k : c.keys) {
          keys.push_back({{"slot", hex2(k.key_ref)}, {"algorithm", k.metadata.algorithm},
                          {"touch_policy", k.metadata.touch_policy},
                          {"pin_policy", k.metadata.pin_policy},
                          {"generated", k.metadata.generated}});
        }
        jr["card"] = {{"serial", c.serial}, {"firmware", c.firmware},
                      {"simulated", c.simulated}, {"keys", keys}, {"pin_tries", c.pin_tries}};
        const auto& cred = c.credentials;
        if (cred && cred->known) {
          jr["card"]["management_key_algorithm"] =
              hw::piv_mgmt_algorithm_name(cred->mgmt_algorithm);
        }
        if (cred && cred->known && (cred->pin_default || cred->puk_default || cred->mgmt_default)) {
          std::string which;
          if (cred->pin_default) which += "PIN ";
          if (cred->puk_default) which += "PUK ";
          if (cred->mgmt_default) which += "management-key ";
          jr["card"]["factory_credentials"] = which.substr(0, which.size() - 1);
          warnings.push_back(c.name + " still has its factory " + which +
                             "(keyward slot add piv replaces them)");
        } else if (cred) {
          jr["card"]["factory_credentials"] = "";
          jr["card"]["management_key_pin_protected"] = cred->mgmt_protected;
        }
        if (c.pin_tries == 0) {
          problems.push_back({Errc::pin_blocked, "the PIV PIN of " + c.name + " is blocked",
                              "yubico-piv-tool -r '" + r.name + "' -a unblock-pin"});
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
  report["fido2_devices"] = nlohmann::json::array();
  if (auto lib = hw::fido2_library(); !lib) {
    problems.push_back({lib.error().code, lib.error().message, "install libfido2"});
  }
  for (const auto& d : hw::fido2_inventory()) {
    report["fido2_devices"].push_back({{"path", d.path}, {"opened", d.opened}});
    if (!d.opened) {
      problems.push_back({Errc::device, d.error, "check the udev rule (uaccess) and re-plug the key"});
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

  check_vault(ctx, report, problems, warnings);
  check_state_dir(report, problems);
  check_agent(report, problems);

  nlohmann::json jp = nlohmann::json::array();
  for (const auto& p : problems) jp.push_back({{"problem", p.what}, {"fix", p.fix}});
  report["problems"] = jp;
  report["warnings"] = warnings;
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
    const auto& jv = report["vault"];
    if (jv.contains("present") && jv["present"].get<bool>()) {
      std::printf("vault %s: sqlite %s", jv["path"].get<std::string>().c_str(),
                  jv.value("sqlite_integrity", std::string("?")).c_str());
      if (jv.contains("revision")) {
        std::printf(", header parses, revision %llu",
                    static_cast<unsigned long long>(jv["revision"].get<std::uint64_t>()));
      }
      if (jv.contains("pinned")) {
        std::printf(", %s", jv["pinned"].get<bool>() ? "pinned on this machine" : "not pinned yet");
      }
      std::printf("\n");
      if (jv.contains("slots")) {
        for (const auto& j : jv["slots"]) {
          std::printf("  slot %u %s '%s': %s%s\n", j["slot"].get<std::uint32_t>(),
                      j["type"].get<std::string>().c_str(), j["label"].get<std::string>().c_str(),
                      j["enforcement"].get<std::string>().c_str(),
                      j["high_key"].get<bool>() ? " (holds the high key)" : "");
        }
      }
    }
    if (report.contains("pin_dir") && report["pin_dir"].value("present", false)) {
      std::printf("pin directory %s: mode %s\n",
                  report["pin_dir"]["path"].get<std::string>().c_str(),
                  report["pin_dir"]["mode"].get<std::string>().c_str());
    }
    const auto& ja = report["agent"];
    std::printf("agent: %s\n", ja["running"].get<bool>() ? "running" : "not running");
    for (const auto& w : warnings) std::printf("warning: %s\n", w.c_str());
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
  auto* cmd = app.add_subcommand(
      "doctor", "Check pcscd, readers, YubiKeys, FIDO2 permissions, udev, vault file, pins, agent");
  cmd->add_flag("--json", ctx.json, "JSON output");
  cmd->callback([&ctx] {
    if (auto r = run_doctor(ctx); !r) fail_command(ctx, r.error());
  });
}

}  // namespace

KEYWARD_COMMAND(130, add_doctor_command, "doctor");

}  // namespace keyward::cli
