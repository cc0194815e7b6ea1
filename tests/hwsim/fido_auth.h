// CTAP 2.1 authenticator core of the virtual FIDO2 device (transport-independent):
// getInfo, makeCredential, getAssertion/getNextAssertion, clientPIN (protocols 2 and 1),
// hmac-secret, credProtect, reset, selection. ES256 only. State persists in a JSON file.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ctap_cbor.h"
#include "fido_device.h"
#include "presence.h"

namespace hwsim {

// PIN/UV auth protocol primitives (CTAP 2.1 section 6.5.6 / 6.5.7).
struct PinProtocol {
  int version = 2;
  Bytes kdf(const Bytes& z) const;
  std::optional<Bytes> encrypt(const Bytes& key, const Bytes& plain) const;
  std::optional<Bytes> decrypt(const Bytes& key, const Bytes& cipher) const;
  Bytes authenticate(const Bytes& key, const Bytes& msg) const;
  bool verify(const Bytes& key, const Bytes& msg, const Bytes& param) const;
};

struct Credential {
  Bytes id;
  std::string rp_id;
  Bytes rp_id_hash;
  Bytes user_id;
  std::string user_name, display_name;
  Bytes scalar;
  Bytes cred_random_uv, cred_random_no_uv;
  bool hmac_secret = false;
  int cred_protect = 1;
  bool resident = false;
};

struct FidoState {
  Bytes aaguid;
  Bytes master_key;  // wraps credential ids
  std::uint32_t counter = 0;
  std::optional<Bytes> pin_hash;  // LEFT(SHA-256(PIN), 16)
  int pin_retries = 8;
  std::vector<Credential> resident;
};

class Authenticator {
 public:
  // Answer of handle(): the CTAP status byte || CBOR, or nothing when the device was pulled out.
  using Tick = std::function<bool()>;

  Authenticator(std::string state_path, Presence& presence, FidoOptions opts);
  std::optional<Bytes> handle(const Bytes& request, const Tick& tick);
  void power_cycle();
  void block_pin();
  void factory_reset();  // control interface: like authenticatorReset, without the touch
  std::string status() const;
  // Device-specific control commands (docs/hwsim.md): `lie MODE` (answers a hostile or broken
  // authenticator would give: up0, uv0, counter-back, replay, other-cred, off), `bio on|off`
  // (built-in user verification profile), `bio-enroll NAME`, `finger match|nomatch`,
  // `uv-retries N`. Returns "" for a command that is not one of these.
  std::string command(const std::string& cmd, const std::string& arg);

 private:
  struct Reply {
    std::uint8_t status = 0;
    std::optional<Cbor> body;
  };
  static Reply err(std::uint8_t s) { return Reply{s, std::nullopt}; }

  Reply get_info() const;
  Reply make_credential(const Cbor& req, const Tick& tick, bool& removed);
  Reply get_assertion(const Cbor& req, const Tick& tick, bool& removed);
  Reply get_next_assertion();
  Reply client_pin(const Cbor& req, const Tick& tick, bool& removed);
  // Built-in UV (biometric profile): waits for a finger on the sensor (the presence wait),
  // then matches it or not; retry counter, lock-out to PIN. 0 or the CTAP error.
  std::uint8_t builtin_uv(const Tick& tick, bool& removed);
  Reply reset(const Tick& tick, bool& removed);
  Reply selection(const Tick& tick, bool& removed);

  // Waits for user presence; returns 0 when touched, else the CTAP error (removed flagged).
  std::uint8_t user_presence(const Tick& tick, bool& removed);
  // Verifies pinUvAuthParam over clientDataHash with the current token: 0 or CTAP error.
  std::uint8_t check_pin_uv_auth(const Cbor& req, int param_key, int proto_key, const Bytes& cdh,
                                 std::uint8_t permission, const std::string& rp_id);
  std::optional<std::pair<Bytes, PinProtocol>> decapsulate(const Cbor* platform_key, int proto) const;
  bool protocol_supported(int p) const;
  Cbor key_agreement_cose() const;

  Bytes wrap_credential(const Credential& c) const;
  std::optional<Credential> unwrap_credential(const Bytes& id, const Bytes& rp_id_hash) const;
  Reply assertion_for(const Credential& c, const Bytes& cdh, bool up, bool uv, const Cbor* hmac_ext,
                      bool include_user, std::optional<int> count);

  void new_state();
  bool load();
  void save() const;

  std::string state_path_;
  Presence& presence_;
  FidoOptions opts_;
  mutable std::mutex mu_;
  FidoState st_;

  // Volatile (per power cycle)
  std::optional<EcKey> key_agreement_;
  Bytes pin_token_;
  std::uint8_t token_permissions_ = 0;
  std::optional<std::string> token_rp_id_;
  bool token_valid_ = false;
  int consecutive_pin_mismatches_ = 0;
  // Hostile answers (control `lie`), for the attack tests of the gate.
  enum class Lie { none, up0, uv0, counter_back, replay, other_cred };
  Lie lie_ = Lie::none;
  std::optional<Bytes> last_reply_;  // last getAssertion answer (status || CBOR), for `replay`
  // Biometric profile (volatile: set by the control interface after each start).
  bool bio_ = false;
  std::vector<std::string> fingers_;
  std::atomic<bool> finger_match_{true};
  static constexpr int kMaxUvRetries = 5;
  int uv_retries_ = kMaxUvRetries;
  bool token_user_present_ = false;  // UV by fingerprint implies presence, once (CTAP 2.1 6.5.5.7)
  struct Pending {
    std::vector<Credential> creds;
    std::size_t next = 0;
    Bytes cdh;
    bool up = false, uv = false;
  } pending_;
};

}  // namespace hwsim
