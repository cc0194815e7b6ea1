// keyward-hwsim: virtual PIV cards (plugged into pcscd through vpcd) and virtual FIDO2
// authenticators (CTAPHID over Unix sockets), with a control interface for presence and faults.
//
//   keyward-hwsim serve --state-dir DIR [--piv SLOT]... [--fido2 SOCKET]... [options]
//   keyward-hwsim ctl [--socket PATH] DEVICE COMMAND [ARG]
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "control.h"
#include "fido_device.h"
#include "piv_card.h"
#include "vpcd_link.h"

namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) { g_stop = true; }

constexpr const char* kUsage = R"(usage:
  keyward-hwsim serve --state-dir DIR [--piv SLOT]... [--fido2 SOCKET]... [options]
      --piv SLOT            serve a virtual PIV card on vpcd slot SLOT (0 -> "Virtual PCD 00 00",
                            1 -> "Virtual PCD 00 01"); repeat for two cards
      --fido2 SOCKET        serve a virtual FIDO2 authenticator on Unix socket SOCKET; repeatable
      --ctl PATH            control socket (default DIR/ctl.sock)
      --auto-touch MS       press every touch request after MS milliseconds
      --touch-timeout MS    PIV touch timeout (default 15000; a YubiKey gives up after ~15 s)
      --fido-touch-timeout MS  FIDO2 user-presence timeout (default 30000)
      --vpcd-host HOST      vpcd address (default 127.0.0.1)
      --vpcd-port PORT      vpcd base port (default 35963; slot N uses PORT+N)
      --serial-base N       serial of the first card on a fresh state (default 20000001)
      --piv-firmware 5.4|5.7  PIV profile of fresh cards and of `factory-reset`: 5.4 (default:
                            firmware 5.4.3, 3DES management key) or 5.7 (firmware 5.7.1, AES-192
                            management key, as YubiKeys with firmware 5.7 and later ship)
      --pin-protocols LIST  FIDO2 PIN/UV protocols to advertise: "2,1" (default) or "1"
      --lock-wait SECONDS   wait this long for another simulator to free a vpcd slot (default 300)
      --piv-keep-on-power-off  keep PIN/management-key state across pcscd's idle power-off
                            (for clients that disconnect with SCARD_LEAVE_CARD; default: clear)
  keyward-hwsim ctl [--socket PATH] DEVICE COMMAND [ARG]
      DEVICE: piv0 piv1 fido0 fido1 ... or "all"
      COMMAND: status | ready | touch [WAIT_MS] | refuse [WAIT_MS] | timeout [WAIT_MS] |
               wait-touch [WAIT_MS] | auto-touch MS|off | touch-timeout MS | remove | insert |
               block-pin | factory-reset [5.4|5.7] | set-mgmt-key ALG:HEX |
               misbehave wrong-sw|truncate|slow[:MS]|off | attest-lie key|serial|touch|off (PIV) |
               trace | trace-reset | quit
      The socket defaults to $KEYWARD_HWSIM_CTL, else /tmp/keyward-hwsim/ctl.sock.
)";

int usage_error(const std::string& msg) {
  std::cerr << "keyward-hwsim: " << msg << "\n" << kUsage;
  return 2;
}

std::optional<long> to_long(const std::string& s) {
  char* end = nullptr;
  long v = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0') return std::nullopt;
  return v;
}

// Serialises simulators that want the same vpcd slot (e.g. two test runs at once).
int lock_slot(std::uint16_t port, long wait_s) {
  // KEYWARD_HWSIM_LOCK_DIR: a test run in its own network namespace (scripts/test.sh) has its own
  // vpcd ports, so its own lock directory too.
  const char* dir = std::getenv("KEYWARD_HWSIM_LOCK_DIR");
  const std::string path = std::string(dir != nullptr && dir[0] != '\0' ? dir : "/tmp") +
                           "/keyward-hwsim-vpcd-" + std::to_string(port) + ".lock";
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) return -1;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_s);
  bool told = false;
  while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (!told) {
      std::cerr << "keyward-hwsim: vpcd port " << port << " is used by another simulator; waiting\n";
      told = true;
    }
    if (std::chrono::steady_clock::now() > deadline || g_stop) {
      close(fd);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return fd;
}

int serve(const std::vector<std::string>& args) {
  std::string state_dir, ctl_path, vpcd_host = "127.0.0.1";
  std::vector<int> piv_slots;
  std::vector<std::string> fido_sockets;
  std::optional<long> auto_touch;
  long touch_timeout = 15000, fido_timeout = 30000, vpcd_port = 35963, serial_base = 20000001, lock_wait = 300;
  std::vector<int> pin_protocols = {2, 1};
  bool keep_on_power_off = false;
  hwsim::PivProfile piv_profile = *hwsim::PivProfile::named("5.4");
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto next = [&]() -> std::optional<std::string> {
      if (i + 1 >= args.size()) return std::nullopt;
      return args[++i];
    };
    auto num = [&]() -> std::optional<long> {
      auto v = next();
      return v ? to_long(*v) : std::nullopt;
    };
    std::optional<long> n;
    std::optional<std::string> s;
    if (a == "--state-dir" && (s = next())) {
      state_dir = *s;
    } else if (a == "--ctl" && (s = next())) {
      ctl_path = *s;
    } else if (a == "--piv" && (n = num()) && *n >= 0 && *n <= 1) {
      piv_slots.push_back(static_cast<int>(*n));
    } else if (a == "--fido2" && (s = next())) {
      fido_sockets.push_back(*s);
    } else if (a == "--auto-touch" && (n = num()) && *n >= 0) {
      auto_touch = n;
    } else if (a == "--touch-timeout" && (n = num()) && *n > 0) {
      touch_timeout = *n;
    } else if (a == "--fido-touch-timeout" && (n = num()) && *n > 0) {
      fido_timeout = *n;
    } else if (a == "--vpcd-host" && (s = next())) {
      vpcd_host = *s;
    } else if (a == "--vpcd-port" && (n = num()) && *n > 0 && *n < 65535) {
      vpcd_port = *n;
    } else if (a == "--serial-base" && (n = num()) && *n > 0) {
      serial_base = *n;
    } else if (a == "--piv-firmware" && (s = next())) {
      auto p = hwsim::PivProfile::named(*s);
      if (!p) return usage_error("--piv-firmware must be 5.4 or 5.7");
      piv_profile = *p;
    } else if (a == "--piv-keep-on-power-off") {
      keep_on_power_off = true;
    } else if (a == "--lock-wait" && (n = num()) && *n >= 0) {
      lock_wait = *n;
    } else if (a == "--pin-protocols" && (s = next())) {
      if (*s == "2,1") {
        pin_protocols = {2, 1};
      } else if (*s == "1") {
        pin_protocols = {1};
      } else if (*s == "2") {
        pin_protocols = {2};
      } else {
        return usage_error("--pin-protocols must be 2,1 or 1 or 2");
      }
    } else {
      return usage_error("bad or incomplete option: " + a);
    }
  }
  if (state_dir.empty()) return usage_error("--state-dir is required");
  if (piv_slots.empty() && fido_sockets.empty()) return usage_error("nothing to serve: give --piv and/or --fido2");
  std::filesystem::create_directories(state_dir);
  chmod(state_dir.c_str(), 0700);
  if (ctl_path.empty()) ctl_path = state_dir + "/ctl.sock";

  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  std::signal(SIGPIPE, SIG_IGN);

  std::vector<std::unique_ptr<hwsim::Presence>> presences;
  std::vector<hwsim::ControlDevice> devices;
  std::vector<std::thread> threads;

  std::optional<hwsim::AttestationCa> ca;
  std::vector<std::unique_ptr<hwsim::PivCard>> cards;
  std::vector<std::unique_ptr<hwsim::VpcdLink>> links;
  std::vector<int> lock_fds;
  if (!piv_slots.empty()) ca = hwsim::AttestationCa::load_or_create(state_dir);
  for (int slot : piv_slots) {
    const auto port = static_cast<std::uint16_t>(vpcd_port + slot);
    int lfd = lock_slot(port, lock_wait);
    if (lfd < 0) {
      std::cerr << "keyward-hwsim: vpcd port " << port << " stayed busy; giving up\n";
      return 1;
    }
    lock_fds.push_back(lfd);
    auto& pr = presences.emplace_back(std::make_unique<hwsim::Presence>(std::chrono::milliseconds(touch_timeout)));
    if (auto_touch) pr->set_auto_touch(std::chrono::milliseconds(*auto_touch));
    auto& card = cards.emplace_back(std::make_unique<hwsim::PivCard>(
        state_dir + "/piv" + std::to_string(slot) + ".json", static_cast<std::uint32_t>(serial_base + slot), *pr, *ca,
        piv_profile));
    auto& link = links.emplace_back(std::make_unique<hwsim::VpcdLink>(*card, *pr, vpcd_host, port, keep_on_power_off));
    hwsim::PivCard* c = card.get();
    hwsim::VpcdLink* l = link.get();
    devices.push_back({"piv" + std::to_string(slot), pr.get(), [l] { return l->ready(); },
                       [c, l] {
                         return c->status() + " port=" + std::to_string(l->port()) +
                                " connected=" + (l->connected() ? "1" : "0");
                       },
                       [c] { c->block_pin(); },
                       [c](const std::string& arg) {
                         if (arg.empty()) {
                           c->factory_reset();
                           return true;
                         }
                         auto p = hwsim::PivProfile::named(arg);
                         if (p) c->factory_reset(*p);
                         return p.has_value();
                       },
                       [c](const std::string& arg) -> std::string {
                         // ALG:HEX, ALG = 3des | aes128 | aes192 | aes256
                         const auto colon = arg.find(':');
                         const std::string name = arg.substr(0, colon);
                         const std::uint8_t alg = name == "3des"     ? hwsim::kMgmtTdes
                                                  : name == "aes128" ? hwsim::kMgmtAes128
                                                  : name == "aes192" ? hwsim::kMgmtAes192
                                                  : name == "aes256" ? hwsim::kMgmtAes256
                                                                     : 0;
                         auto key = colon == std::string::npos ? std::nullopt
                                                               : hwsim::from_hex(arg.substr(colon + 1));
                         if (alg == 0 || !key || !c->set_management_key(alg, *key)) {
                           return "set-mgmt-key needs 3des|aes128|aes192|aes256:HEX with the "
                                  "algorithm's key length";
                         }
                         return "";
                       },
                       [c](const std::string& cmd, const std::string& arg) -> std::string {
                         if (cmd != "attest-lie") return "";
                         using Lie = hwsim::PivCard::AttestLie;
                         const std::optional<Lie> lie = arg == "key"      ? std::optional(Lie::key)
                                                        : arg == "serial" ? std::optional(Lie::serial)
                                                        : arg == "touch"  ? std::optional(Lie::touch)
                                                        : arg == "off"    ? std::optional(Lie::none)
                                                                          : std::nullopt;
                         if (!lie) return "error attest-lie needs key | serial | touch | off";
                         c->set_attest_lie(*lie);
                         return "ok attest-lie " + arg;
                       }});
  }

  std::vector<std::unique_ptr<hwsim::FidoDevice>> fidos;
  for (std::size_t k = 0; k < fido_sockets.size(); ++k) {
    auto& pr = presences.emplace_back(std::make_unique<hwsim::Presence>(std::chrono::milliseconds(fido_timeout)));
    if (auto_touch) pr->set_auto_touch(std::chrono::milliseconds(*auto_touch));
    hwsim::FidoOptions opts;
    opts.pin_protocols = pin_protocols;
    opts.index = static_cast<int>(k);
    auto& dev = fidos.emplace_back(std::make_unique<hwsim::FidoDevice>(
        fido_sockets[k], state_dir + "/fido" + std::to_string(k) + ".json", *pr, opts));
    if (!dev->bind_socket()) {
      std::perror(("keyward-hwsim: cannot listen on " + fido_sockets[k]).c_str());
      return 1;
    }
    hwsim::FidoDevice* d = dev.get();
    devices.push_back({"fido" + std::to_string(k), pr.get(), [d] { return d->ready(); },
                       [d] { return d->status(); }, [d] { d->block_pin(); },
                       [d](const std::string& arg) {
                         if (!arg.empty()) return false;
                         d->factory_reset();
                         return true;
                       },
                       {},
                       [d](const std::string& cmd, const std::string& arg) { return d->command(cmd, arg); }});
  }

  hwsim::ControlServer control(ctl_path, devices, g_stop);
  if (!control.bind_socket()) {
    std::perror(("keyward-hwsim: cannot listen on " + ctl_path).c_str());
    return 1;
  }
  for (auto& l : links) threads.emplace_back([&l] { l->run(g_stop); });
  for (auto& f : fidos) threads.emplace_back([&f] { f->run(g_stop); });
  std::cerr << "keyward-hwsim: serving " << devices.size() << " device(s); control socket " << ctl_path << "\n";
  control.run();
  g_stop = true;
  for (auto& t : threads) t.join();
  for (int fd : lock_fds) close(fd);
  std::cerr << "keyward-hwsim: stopped\n";
  return 0;
}

int ctl(const std::vector<std::string>& args) {
  std::string socket_path;
  if (const char* env = std::getenv("KEYWARD_HWSIM_CTL")) socket_path = env;
  if (socket_path.empty()) socket_path = "/tmp/keyward-hwsim/ctl.sock";
  std::vector<std::string> rest;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--socket" && i + 1 < args.size()) {
      socket_path = args[++i];
    } else {
      rest.push_back(args[i]);
    }
  }
  if (rest.size() == 1 && (rest[0] == "quit" || rest[0] == "ready" || rest[0] == "status")) {
    rest.insert(rest.begin(), "all");
  }
  if (rest.size() < 2 || rest.size() > 3) return usage_error("ctl needs DEVICE COMMAND [ARG]");
  std::string line = rest[0] + " " + rest[1] + (rest.size() == 3 ? " " + rest[2] : "");
  std::string error;
  std::string reply = hwsim::control_request(socket_path, line, error);
  if (reply.empty()) {
    std::cerr << "keyward-hwsim ctl: " << error << "\n";
    return 1;
  }
  if (reply.rfind("ok", 0) == 0) {
    std::cout << reply << "\n";
    return 0;
  }
  std::cerr << "keyward-hwsim ctl: " << reply << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  const std::string cmd = args[0];
  args.erase(args.begin());
  try {
    if (cmd == "serve") return serve(args);
    if (cmd == "ctl") return ctl(args);
  } catch (const std::exception& e) {
    std::cerr << "keyward-hwsim: " << e.what() << "\n";
    return 1;
  }
  return usage_error("unknown command " + cmd);
}
