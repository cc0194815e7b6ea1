// A FIDO2 authenticator driven with libfido2: real devices by hidraw path, the simulator by
// "sim:/path/to/socket" (custom I/O carrying 64-byte CTAPHID reports, src/hw/fido2_device.cpp).
// Vendor-header free so the CLI can use it; errors translated once into keyward Errors.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "core/secret.h"
#include "core/vault/slot_fido2.h"

namespace keyward::hw {

// Loads libfido2 (dlopen, on first use; hw/dynlib.h): ok, or an error that says it is missing.
Status fido2_library();
// hidraw paths of the FIDO2 devices libfido2 finds (none if libfido2 cannot be loaded).
std::vector<std::string> fido2_hid_devices();

struct Fido2NewCredential {
  Bytes credential_id;
  Bytes public_key;  // SEC1 uncompressed
};

class Fido2Device {
 public:
  ~Fido2Device();
  Fido2Device(const Fido2Device&) = delete;
  Fido2Device& operator=(const Fido2Device&) = delete;
  static Result<std::unique_ptr<Fido2Device>> open(const std::string& path);
  const std::string& path() const { return path_; }
  bool simulated() const { return path_.rfind("sim:", 0) == 0; }
  std::string name() const;

  // makeCredential (ES256, non-discoverable, hmac-secret, credProtect). pin may be empty.
  Result<Fido2NewCredential> make_credential(const std::string& rp_id, ByteView user_id,
                                             ByteView client_data_hash, vault::Fido2Uv uv,
                                             int cred_protect, const SecretBytes& pin);
  // getAssertion with UP and hmac-secret for one salt.
  Result<vault::Fido2Assertion> get_assertion(const vault::Fido2CredInfo& cred,
                                              ByteView client_data_hash, const SecretBytes& pin);
  // From getInfo at open: a FIDO2 PIN is set (clientPin true); built-in user verification
  // (fingerprint) is configured (uv true).
  bool pin_set() const;
  bool builtin_uv() const;
  // Silent probe (up=false, no touch): does this device hold the credential?
  Result<bool> has_credential(const vault::Fido2CredInfo& cred);

 private:
  Fido2Device() = default;
  Error translate(int rc, const std::string& what) const;
  void* dev_ = nullptr;  // fido_dev_t*
  std::string path_;
};

}  // namespace keyward::hw
