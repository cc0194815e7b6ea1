// The Fido2Agent FIDO2 slots and the presence gate call (core/vault/slot_fido2.h), over
// libfido2: find the authenticator that holds the credential (silently, when several are
// plugged in), ask for the PIN or the fingerprint when the credential needs UV, say what the
// touch is for. Devices: an explicit path, else KEYWARD_FIDO2_DEVICES (comma-separated hidraw
// paths or sim:/socket), else every authenticator libfido2 finds.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/interaction.h"
#include "core/vault/slot_fido2.h"
#include "hw/fido2_device.h"

namespace keyward::hw {

// The paths listed in KEYWARD_FIDO2_DEVICES (empty when it is unset).
std::vector<std::string> fido2_env_devices();
// The authenticators to try, in order (see above).
std::vector<std::string> fido2_device_list(const std::string& explicit_path = {});

class Fido2Agent final : public vault::Fido2Agent {
 public:
  Fido2Agent(Interaction& ui, std::string vault_name) : ui_(ui), vault_(std::move(vault_name)) {}

  Result<vault::Fido2Assertion> get_assertion(const vault::Fido2CredInfo& cred,
                                              std::string_view slot_label, ByteView cdh) override;
  Result<vault::Fido2Assertion> gate_assertion(const vault::Fido2CredInfo& cred,
                                               std::string_view slot_label, ByteView cdh,
                                               const vault::Fido2Ask& ask) override;
  Error explain(const Error& original) const;
  const std::string& answered_by() const { return answered_by_; }

 private:
  std::string devices_seen() const;
  void scan();
  // One assertion from the first device that holds the credential; Errc::not_found if none.
  // `uv`: with PIN or built-in UV (a fingerprint lock-out falls back to the PIN).
  Result<vault::Fido2Assertion> from_devices(const vault::Fido2CredInfo& cred, ByteView cdh,
                                             bool uv, const std::string& what, bool gate);

  Interaction& ui_;
  std::string vault_;
  bool scanned_ = false, stop_ = false;
  int slots_ = 0;
  std::optional<Error> decisive_;
  std::vector<std::unique_ptr<Fido2Device>> devices_;
  std::vector<std::string> unusable_;  // "PATH (why)" of the devices that failed to open
  std::string answered_by_;
};

}  // namespace keyward::hw
