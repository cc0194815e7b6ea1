#include "cli/devices.h"

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "cli/hw_fido2.h"
#include "cli/prompt.h"
#include "hw/fido2_agent.h"
#include "hw/piv_agent.h"
#include "hw/piv_session.h"

namespace keyward::cli {
namespace {

Result<SecretBytes> from_env(const char* name) {
  if (const char* p = std::getenv(name); p != nullptr && p[0] != '\0') {
    return SecretBytes::copy_of(std::string_view(p));
  }
  return fail(Errc::not_found, name);
}

class TerminalInteraction final : public Interaction {
 public:
  bool quiet = false;
  PivUnlockOptions piv;
  std::string new_pin_file, new_puk_file;

  void notice(std::string_view line) override {
    std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
    std::fflush(stderr);
  }
  void info(std::string_view line) override {
    if (!quiet) notice(line);
  }
  bool confirm(std::string_view question) override { return prompt_yes_no(question); }
  bool interactive() const override { return have_tty(); }

  Result<SecretBytes> secret(Asked what, std::string_view device) override {
    const std::string dev(device);
    switch (what) {
      case Asked::piv_pin:
        if (!piv.pin_file.empty()) return read_secret_file(piv.pin_file);
        if (auto e = from_env("KEYWARD_PIV_PIN")) return e;
        if (!have_tty()) {
          return fail(Errc::invalid_argument, "the PIV PIN of " + dev +
                                                  " is needed: no terminal to ask on; use "
                                                  "--pin-file or KEYWARD_PIV_PIN");
        }
        return prompt_secret("PIV PIN for " + dev + " (not the FIDO2 PIN): ");
      case Asked::fido2_pin:
        if (!fido2_pin_file().empty()) return read_secret_file(fido2_pin_file());
        if (auto e = from_env("KEYWARD_FIDO2_PIN")) return e;
        if (!have_tty()) {
          return fail(Errc::invalid_argument, "this FIDO2 slot requires user verification: give "
                                              "the FIDO2 PIN of " + dev + " with "
                                              "--fido2-pin-file or KEYWARD_FIDO2_PIN");
        }
        return prompt_secret("FIDO2 PIN for " + dev + " (not the PIV PIN): ");
      case Asked::piv_new_pin:
        if (!new_pin_file.empty()) return read_secret_file(new_pin_file);
        return prompt_new_secret("PIV PIN (6-8 characters)");
      case Asked::piv_new_puk:
        if (!new_puk_file.empty()) return read_secret_file(new_puk_file);
        return prompt_new_secret("PIV PUK (6-8 characters)");
    }
    return fail(Errc::internal, "unknown secret asked for");
  }
};

struct Hub {
  TerminalInteraction ui;
  std::unique_ptr<hw::PivSession> session;
  std::unique_ptr<hw::PivAgent> piv;
  std::unique_ptr<hw::Fido2Agent> fido2;
};

Hub& hub() {
  static Hub h;
  return h;
}

}  // namespace

void configure_devices(const Context& ctx, const PivUnlockOptions& piv) {
  hub().ui.quiet = ctx.quiet;
  hub().ui.piv = piv;
}

void set_new_piv_secret_files(const std::string& pin_file, const std::string& puk_file) {
  hub().ui.new_pin_file = pin_file;
  hub().ui.new_puk_file = puk_file;
}

Interaction& terminal() { return hub().ui; }

hw::PivSession& piv_session() {
  Hub& h = hub();
  if (!h.session) h.session = std::make_unique<hw::PivSession>(h.ui, h.ui.piv.allow_last_try);
  return *h.session;
}

vault::Devices command_devices(const std::string& vault_label) {
  Hub& h = hub();
  if (!h.piv) h.piv = std::make_unique<hw::PivAgent>(piv_session(), vault_label);
  if (!h.fido2) h.fido2 = std::make_unique<hw::Fido2Agent>(h.ui, vault_label);
  return vault::Devices{h.piv.get(), h.fido2.get()};
}

Error device_unlock_error(vault::SlotType type, const Error& original) {
  Hub& h = hub();
  if (type == vault::SlotType::piv && h.piv) return h.piv->explain(original);
  if (type == vault::SlotType::fido2 && h.fido2) return h.fido2->explain(original);
  return original;
}

std::string device_answered(vault::SlotType type) {
  Hub& h = hub();
  if (type == vault::SlotType::piv && h.piv) return h.piv->answered_by();
  if (type == vault::SlotType::fido2 && h.fido2) return h.fido2->answered_by();
  return {};
}

}  // namespace keyward::cli
