#include "cli/hw_piv.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>

#include "cli/prompt.h"
#include "cli/slot_usage.h"
#include "core/hex.h"
#include "core/p256.h"
#include "core/piv_attestation.h"
#include "core/random.h"
#include "hw/piv_card.h"

namespace keyward::cli {
namespace {

std::string hex2(std::uint8_t v) {
  static const char* d = "0123456789abcdef";
  return std::string{d[v >> 4], d[v & 15]};
}


// Checks the retry counter, then verifies the PIN. Refuses to spend the last try unless allowed.
Status verify_pin_checked(const PivUnlockOptions& o, hw::PivCard& card) {
  KW_TRY(int tries, card.pin_retries());
  if (tries == 0) {
    return fail(Errc::pin_blocked, "the PIV PIN of " + card.name() +
                                       " is blocked; unblock it with the PUK "
                                       "(`yubico-piv-tool -a unblock-pin`)");
  }
  if (tries == 1 && !o.allow_last_try) {
    return fail(Errc::policy, "only one PIV PIN try is left on " + card.name() +
                                  "; a wrong PIN now blocks it. Pass --allow-last-pin-try to "
                                  "use it anyway");
  }
  KW_TRY(auto pin, piv_pin(o, card));
  return card.verify_pin(pin);
}

class CliPivAgent final : public vault::PivKeyAgent {
 public:
  CliPivAgent(PivUnlockOptions o, std::string vault_name)
      : opts_(std::move(o)), vault_(std::move(vault_name)) {}

  Result<SecretBytes> ecdh(const vault::PivKeyInfo& key, std::string_view label,
                           ByteView peer) override {
    // After a decisive failure (wrong PIN, touch refused...), stop: no more prompts or touches.
    if (stop_) return fail(Errc::auth_failed, "credential rejected");
    wanted_.push_back(std::to_string(key.serial) + " (slot '" + std::string(label) + "')");
    auto r = attempt(key, peer);
    if (r) return r;
    if (r.error().code == Errc::not_found) {  // card absent: let the next slot try
      return fail(Errc::auth_failed, "credential rejected");
    }
    decisive_ = r.error();
    stop_ = true;
    return fail(Errc::auth_failed, "credential rejected");
  }

  // The presence gate: the real error (Errc::device when the card is absent), and a prompt that
  // says what the touch releases.
  Result<SecretBytes> gate_ecdh(const vault::PivKeyInfo& key, std::string_view label,
                                ByteView peer, const vault::PivAsk& ask) override {
    auto card = find(key.serial);
    if (!card) {
      if (card.error().code == Errc::not_found) {
        return fail(Errc::device, "YubiKey " + std::to_string(key.serial) + " (slot '" +
                                      std::string(label) + "') is not connected");
      }
      return tl::unexpected(card.error());
    }
    KW_TRY(auto md, (*card)->key_metadata(key.key_ref));
    if (!md || md->public_key != key.card_public) {
      return fail(Errc::device, (*card)->name() + " no longer holds this slot's key in PIV slot " +
                                    hex2(key.key_ref));
    }
    // The card's own policy, not only the enrolled one, must make it ask for the touch/PIN.
    if (md->touch_policy != static_cast<std::uint8_t>(vault::PivTouchPolicy::always)) {
      return fail(Errc::policy, "the key in PIV slot " + hex2(key.key_ref) + " of " +
                                    (*card)->name() + " does not require a touch for every use");
    }
    if (ask.verify && md->pin_policy != static_cast<std::uint8_t>(vault::PivPinPolicy::always)) {
      return fail(Errc::policy, "the key in PIV slot " + hex2(key.key_ref) + " of " +
                                    (*card)->name() + " does not have PIN policy always");
    }
    if (md->pin_policy != static_cast<std::uint8_t>(vault::PivPinPolicy::never)) {
      KW_TRY_STATUS(verify_pin_checked(opts_, **card));
    }
    std::fprintf(stderr, "keyward: touch your %s to %s\n", (*card)->name().c_str(),
                 ask.purpose.c_str());
    std::fflush(stderr);
    return (*card)->ecdh(key.key_ref, peer);
  }

  Error explain(const Error& original) const {
    if (decisive_) return *decisive_;
    if (wanted_.empty()) return original;
    std::string need;
    for (std::size_t i = 0; i < wanted_.size(); ++i) need += (i ? " or " : "") + wanted_[i];
    std::string seen;
    std::string unreadable;  // readers holding a card that did not answer as a PIV card
    for (const auto& [reader, what] : seen_) {
      std::string state;
      if (what.serial) {
        state = "card " + std::to_string(*what.serial);
      } else if (what.present) {
        state = "a card that does not answer as a YubiKey's PIV application: " + what.error;
        unreadable += (unreadable.empty() ? "'" : ", '") + reader + "'";
      } else {
        state = "empty";
      }
      seen += (seen.empty() ? "" : ", ") + std::string("'") + reader + "' (" + state + ")";
    }
    if (!unreadable.empty()) {
      return Error{Errc::device, "the YubiKey with serial " + need + " was not found, and the card "
                                 "in " + unreadable + " could not be read: remove and re-insert "
                                 "it (`ykman piv info` shows whether it works); readers seen: " +
                                     seen};
    }
    return Error{Errc::device, "no YubiKey of this vault is connected: insert the one with "
                               "serial " + need + "; readers seen: " +
                                   (seen.empty() ? "none" : seen)};
  }

 private:
  // Connects to readers lazily, in order, until the card with `serial` answers: with several
  // cards plugged in, the ones after it are never talked to.
  Result<hw::PivCard*> find(std::uint32_t serial) {
    for (auto& c : cards_) {
      if (c->serial() == serial) return c.get();
    }
    if (!listed_) {
      listed_ = true;
      KW_TRY(readers_, hw::pcsc_readers());
      if (readers_.empty()) {
        return fail(Errc::device, "no smart-card reader found: plug in your YubiKey (if it is plugged in, "
                               "check `lsusb` and `journalctl -u pcscd`)");
      }
    }
    while (next_reader_ < readers_.size()) {
      const std::string& r = readers_[next_reader_++];
      auto c = hw::PivCard::connect(r);
      Seen& what = seen_[r];
      if (!c) {
        auto present = hw::pcsc_card_present(r);
        what.present = present && *present;
        what.error = c.error().message;
        continue;
      }
      what.serial = (*c)->serial();
      cards_.push_back(std::move(*c));
      if (cards_.back()->serial() == serial) return cards_.back().get();
    }
    return fail(Errc::not_found, "card " + std::to_string(serial) + " not present");
  }

  Result<SecretBytes> attempt(const vault::PivKeyInfo& key, ByteView peer) {
    KW_TRY(auto* card, find(key.serial));
    KW_TRY(auto md, card->key_metadata(key.key_ref));
    if (!md || md->public_key != key.card_public) {
      return fail(Errc::device, card->name() + " no longer holds this slot's key in PIV slot " +
                                    hex2(key.key_ref) +
                                    " (wrong card, or the key was replaced or the card reset)");
    }
    if (md->pin_policy != static_cast<std::uint8_t>(vault::PivPinPolicy::never)) {
      KW_TRY_STATUS(verify_pin_checked(opts_, *card));
    }
    if (md->touch_policy == static_cast<std::uint8_t>(vault::PivTouchPolicy::always)) {
      std::fprintf(stderr, "Touch your %s to unlock vault %s\n", card->name().c_str(),
                   vault_.c_str());
    } else if (md->touch_policy == static_cast<std::uint8_t>(vault::PivTouchPolicy::cached)) {
      std::fprintf(stderr, "Touch your %s if it blinks, to unlock vault %s\n",
                   card->name().c_str(), vault_.c_str());
    }
    std::fflush(stderr);
    auto shared = card->ecdh(key.key_ref, peer);
    if (shared) note_slot_device(card->name());
    return shared;
  }

  PivUnlockOptions opts_;
  std::string vault_;
  bool listed_ = false;
  std::vector<std::string> readers_;
  std::size_t next_reader_ = 0;
  bool stop_ = false;
  std::optional<Error> decisive_;
  std::vector<std::string> wanted_;
  struct Seen {
    std::optional<std::uint32_t> serial;  // a PIV card answered with this serial
    bool present = false;                 // else: whether pcscd sees a card at all
    std::string error;                    // and why it could not be used
  };
  std::map<std::string, Seen> seen_;
  std::vector<std::unique_ptr<hw::PivCard>> cards_;
};

std::unique_ptr<CliPivAgent>& agent_slot() {
  static std::unique_ptr<CliPivAgent> a;
  return a;
}

PivUnlockOptions& remembered() {
  static PivUnlockOptions o;
  return o;
}

Result<std::uint8_t> parse_key_ref(const std::string& text) {
  unsigned long v = 0;
  try {
    std::size_t used = 0;
    v = std::stoul(text, &used, 16);
    if (used != text.size()) v = 0;
  } catch (...) {
    v = 0;
  }
  if (v > 0xff || !vault::valid_piv_key_ref(static_cast<std::uint8_t>(v))) {
    return fail(Errc::invalid_argument, "--piv-slot must be 82..95 or 9d (hex), got '" + text + "'");
  }
  return static_cast<std::uint8_t>(v);
}

constexpr std::string_view kDefaultPin = "123456";
constexpr std::string_view kDefaultPuk = "12345678";

// A new PIN or PUK: from FILE (automation) or asked twice on the terminal. Checked for length
// and for not being the factory value again.
Result<SecretBytes> new_piv_secret(const std::string& file, const char* what,
                                   std::string_view factory) {
  SecretBytes v;
  if (!file.empty()) {
    KW_TRY(v, read_secret_file(file));
  } else {
    KW_TRY(v, prompt_new_secret(std::string("PIV ") + what + " (6-8 characters)"));
  }
  if (v.size() < 6 || v.size() > 8) {
    return fail(Errc::invalid_argument, std::string("the new PIV ") + what +
                                            " must have 6 to 8 characters");
  }
  if (v.reveal_string() == factory) {
    return fail(Errc::invalid_argument, std::string("the new PIV ") + what +
                                            " is the factory default again; choose another");
  }
  return v;
}

// Guided replacement of factory credentials at enrolment: new PIN and PUK (files or prompts),
// and a random management key stored PIN-protected on the card. `pin` is the current PIN and
// becomes the new one. Refuses (policy) unless the user agreed: --new-pin-file/--new-puk-file,
// or "yes" on the terminal.
Status replace_defaults(const Context& ctx, const PivEnrolOptions& o,
                        const PivUnlockOptions& pin_opts, hw::PivCard& card,
                        const hw::PivCredentialState& cred, SecretBytes& pin) {
  std::string which;
  auto add = [&which](const char* w) { which += (which.empty() ? "" : ", ") + std::string(w); };
  if (cred.pin_default) add("PIN");
  if (cred.puk_default) add("PUK");
  if (cred.mgmt_default) add("management key");
  const bool files = (!cred.pin_default || !o.new_pin_file.empty()) &&
                     (!cred.puk_default || !o.new_puk_file.empty());
  const std::string headline = card.name() + " still uses the factory default PIV " + which;
  if (!files) {
    if (!have_tty()) {
      return fail(Errc::policy,
                  headline + ": keyward replaces factory credentials before enrolling. On a "
                             "terminal it asks for the new ones; for automation pass "
                             "--new-pin-file FILE and --new-puk-file FILE (the management key "
                             "becomes a random PIN-protected one)");
    }
    std::fprintf(stderr,
                 "%s.\nkeyward will now replace them: a new PIN and PUK that you choose (6-8 "
                 "characters; keep the PUK somewhere safe, it unblocks the PIN), and a random "
                 "management key stored on the card behind the PIN (as YubiKey Manager does).\n",
                 headline.c_str());
    if (!prompt_yes_no("Replace them now?")) {
      return fail(Errc::policy, headline + "; nothing was changed and nothing enrolled");
    }
  } else {
    info(ctx, headline + "; replacing them");
  }
  KW_TRY(int tries, card.pin_retries());
  if (tries == 0) return fail(Errc::pin_blocked, "the PIV PIN of " + card.name() + " is blocked");
  if (tries == 1 && !pin_opts.allow_last_try) {
    return fail(Errc::policy, "only one PIV PIN try is left on " + card.name() +
                                  "; pass --allow-last-pin-try to use it");
  }
  // Both new values are read and checked before the card is changed.
  std::optional<SecretBytes> next_pin, next_puk;
  if (cred.pin_default) {
    KW_TRY(next_pin, new_piv_secret(o.new_pin_file, "PIN", kDefaultPin));
  }
  if (cred.puk_default) {
    KW_TRY(next_puk, new_piv_secret(o.new_puk_file, "PUK", kDefaultPuk));
    if (next_puk->equals((next_pin ? *next_pin : pin).view())) {
      return fail(Errc::invalid_argument, "the new PIV PUK must differ from the PIN");
    }
  }
  if (next_pin) {
    KW_TRY_STATUS(card.change_pin(pin, *next_pin));
    pin = std::move(*next_pin);
    info(ctx, "PIV PIN of " + card.name() + " changed");
  }
  if (next_puk) {
    KW_TRY_STATUS(card.change_puk(SecretBytes::copy_of(kDefaultPuk), *next_puk));
    info(ctx, "PIV PUK of " + card.name() + " changed");
  }
  if (cred.mgmt_default) {
    KW_TRY_STATUS(card.verify_pin(pin));
    KW_TRY_STATUS(card.authenticate({}));
    KW_TRY_STATUS(card.set_random_protected_management_key());
    KW_TRY(std::uint8_t alg, card.management_key_algorithm());
    info(ctx, "PIV management key of " + card.name() + " replaced by a random " +
                  hw::piv_mgmt_algorithm_name(alg) +
                  " key stored on the card, readable only with the PIN");
  }
  return ok();
}

}  // namespace

Result<SecretBytes> piv_pin(const PivUnlockOptions& o, const hw::PivCard& card) {
  if (!o.pin_file.empty()) return read_secret_file(o.pin_file);
  if (const char* p = std::getenv("KEYWARD_PIV_PIN"); p != nullptr && p[0] != '\0') {
    return SecretBytes::copy_of(std::string_view(p));
  }
  if (!have_tty()) {
    return fail(Errc::invalid_argument, "the PIV PIN of " + card.name() +
                                            " is needed: no terminal to ask on; use --pin-file "
                                            "or KEYWARD_PIV_PIN");
  }
  return prompt_secret("PIV PIN for " + card.name() + " (not the FIDO2 PIN): ");
}

void add_piv_unlock_options(CLI::App* cmd, PivUnlockOptions& o) {
  cmd->add_flag("--piv", o.piv, "Unlock with a PIV slot (YubiKey); also KEYWARD_UNLOCK=piv");
  cmd->add_option("--pin-file", o.pin_file,
                  "Read the PIV PIN from FILE (automation; also KEYWARD_PIV_PIN)");
  cmd->add_flag("--allow-last-pin-try", o.allow_last_try,
                "Allow spending the last PIV PIN try (a wrong PIN then blocks the card)");
}

bool piv_unlock_requested(const PivUnlockOptions& o) {
  if (o.piv) return true;
  const char* u = std::getenv("KEYWARD_UNLOCK");
  return u != nullptr && std::string_view(u) == "piv";
}

void remember_piv_options(const PivUnlockOptions& o) { remembered() = o; }
const PivUnlockOptions& remembered_piv_options() { return remembered(); }

void install_piv_agent(const PivUnlockOptions& o, const std::string& vault_name) {
  agent_slot() = std::make_unique<CliPivAgent>(o, vault_name);
  vault::set_piv_key_agent(agent_slot().get());
}

Error piv_unlock_error(const Error& original) {
  if (!agent_slot()) return original;
  return agent_slot()->explain(original);
}

std::string piv_slot_description(const vault::Slot& s) {
  if (s.type != vault::SlotType::piv) return {};
  auto i = vault::piv_key_info(s);
  if (!i) return "(unreadable PIV parameters)";
  return "YubiKey " + std::to_string(i->serial) + " key " + hex2(i->key_ref) +
         " touch=" + std::string(vault::piv_touch_policy_name(i->touch)) +
         " pin=" + std::string(vault::piv_pin_policy_name(i->pin)) +
         " attestation=" + std::string(vault::piv_attestation_name(i->attestation));
}

void add_piv_slot_json(const vault::Slot& s, nlohmann::json& j) {
  if (s.type != vault::SlotType::piv) return;
  auto i = vault::piv_key_info(s);
  if (!i) return;
  j["serial"] = i->serial;
  j["piv_slot"] = hex2(i->key_ref);
  j["touch_policy"] = vault::piv_touch_policy_name(i->touch);
  j["pin_policy"] = vault::piv_pin_policy_name(i->pin);
  j["attestation"] = vault::piv_attestation_name(i->attestation);
}

void add_piv_enrol_options(CLI::App* cmd, PivEnrolOptions& o) {
  cmd->add_option("--serial", o.serial, "PIV: serial of the YubiKey to enrol (default: the only one)");
  cmd->add_option("--piv-slot", o.key_ref, "PIV: key slot 82..95 or 9d (default: first free 82..95)");
  cmd->add_option("--touch", o.touch, "PIV: touch policy always|cached|never (default always)");
  cmd->add_option("--pin-policy", o.pin_policy, "PIV: PIN policy once|always|never (default once)");
  cmd->add_option("--management-key-file", o.management_key_file,
                  "PIV: file with the card's management key in hex (3DES or AES-192: 48 digits, "
                  "AES-128: 32, AES-256: 64; the algorithm is read from the card)");
  cmd->add_option("--trust-ca", o.trust_ca,
                  "PIV: PEM file of attestation root(s) to trust (also KEYWARD_PIV_TRUST_CA; "
                  "the simulator's CA only via KEYWARD_PIV_TRUST_SIM_CA)");
  cmd->add_option("--new-pin-file", o.new_pin_file,
                  "PIV: new PIN (6-8 characters) from FILE, replacing the factory PIN at "
                  "enrolment (otherwise asked on the terminal)");
  cmd->add_option("--new-puk-file", o.new_puk_file,
                  "PIV: new PUK from FILE, replacing the factory PUK at enrolment");
  cmd->add_flag("--allow-default-pin", o.allow_defaults,
                "PIV: accept a card that still uses the default PIN and management key (tests)");
  cmd->add_flag("--adopt", o.adopt,
                "PIV: use the P-256 key already in --piv-slot instead of generating one");
  cmd->add_flag("--skip-attestation", o.skip_attestation,
                "PIV: enrol without verifying the attestation (recorded as unverified)");
}

Result<vault::Slot> enrol_piv_slot(const Context& ctx, const PivEnrolOptions& o,
                                   const PivUnlockOptions& pin_opts, const std::string& label,
                                   const vault::VaultId& vid) {
  vault::PivKeyInfo key;
  if (o.touch == "always") key.touch = vault::PivTouchPolicy::always;
  else if (o.touch == "cached") key.touch = vault::PivTouchPolicy::cached;
  else if (o.touch == "never") key.touch = vault::PivTouchPolicy::never;
  else return fail(Errc::invalid_argument, "--touch must be always, cached or never");
  if (o.pin_policy == "once") key.pin = vault::PivPinPolicy::once;
  else if (o.pin_policy == "always") key.pin = vault::PivPinPolicy::always;
  else if (o.pin_policy == "never") key.pin = vault::PivPinPolicy::never;
  else return fail(Errc::invalid_argument, "--pin-policy must be once, always or never");
  if (key.touch != vault::PivTouchPolicy::always && !o.adopt) {
    // Said before the card is used: only a touch the card enforces may guard the high key.
    std::fprintf(stderr,
                 "keyward: warning: touch policy %s makes an UNLOCK-ONLY slot: the card does not "
                 "require a touch for every use, so this slot never holds the high key\n",
                 std::string(vault::piv_touch_policy_name(key.touch)).c_str());
    std::fflush(stderr);
  }
  std::optional<std::uint8_t> want_ref;
  if (!o.key_ref.empty()) {
    KW_TRY(want_ref, parse_key_ref(o.key_ref));
  }
  // Trust store for the attestation.
  std::string trust = o.trust_ca;
  bool simulator_ca = false;
  if (trust.empty()) {
    if (const char* t = std::getenv("KEYWARD_PIV_TRUST_CA"); t && t[0]) trust = t;
  }
  if (trust.empty()) {
    if (const char* t = std::getenv("KEYWARD_PIV_TRUST_SIM_CA"); t && t[0]) {
      trust = t;
      simulator_ca = true;
    }
  }
  if (trust.empty() && !o.skip_attestation) {
    return fail(Errc::invalid_argument,
                "no attestation root configured: pass --trust-ca FILE with the Yubico PIV root "
                "(https://developers.yubico.com/PKI/yubico-piv-ca-1.pem), or --skip-attestation");
  }

  // Find the card.
  KW_TRY(auto readers, hw::pcsc_readers());
  if (readers.empty()) {
    return fail(Errc::device, "no smart-card reader found: plug in your YubiKey (if it is plugged "
                              "in, check `lsusb` and `journalctl -u pcscd`)");
  }
  std::vector<std::unique_ptr<hw::PivCard>> cards;
  std::string seen;
  for (const auto& r : readers) {
    auto c = hw::PivCard::connect(r);
    if (!c) continue;
    seen += (seen.empty() ? "" : ", ") + std::to_string((*c)->serial());
    if (o.serial == 0 || (*c)->serial() == o.serial) cards.push_back(std::move(*c));
  }
  if (cards.empty()) {
    return fail(Errc::device, o.serial ? "YubiKey " + std::to_string(o.serial) +
                                             " is not connected (cards seen: " +
                                             (seen.empty() ? "none" : seen) + ")"
                                       : std::string("no PIV card found: plug in your YubiKey"));
  }
  if (cards.size() > 1) {
    return fail(Errc::invalid_argument, "several YubiKeys are connected (" + seen +
                                            "): choose one with --serial");
  }
  hw::PivCard& card = *cards.front();
  key.serial = card.serial();

  // Factory credentials: replaced (guided) before anything else, unless --allow-default-pin.
  KW_TRY(auto cred, card.credential_state());
  std::optional<SecretBytes> pin;
  if (!o.adopt || (cred.known && (cred.pin_default || cred.puk_default || cred.mgmt_default))) {
    KW_TRY(pin, piv_pin(pin_opts, card));
  }
  if (!cred.known && pin) {
    // Older firmware without metadata: the typed PIN tells whether it is the default one.
    cred.pin_default = pin->reveal_string() == kDefaultPin;
  }
  const bool defaults = cred.pin_default || cred.puk_default || cred.mgmt_default;
  if (defaults && !o.allow_defaults) {
    KW_TRY_STATUS(replace_defaults(ctx, o, pin_opts, card, cred, *pin));
    cred.pin_default = cred.puk_default = false;
    if (cred.mgmt_default) {
      cred.mgmt_default = false;
      cred.mgmt_protected = true;
    }
  } else if (defaults) {
    info(ctx, "warning: " + card.name() + " keeps factory default credentials "
                                          "(--allow-default-pin); never do this with a real key");
  }

  if (o.adopt) {
    // Adopt a P-256 key already on the card: its policies come from the card's metadata.
    if (!want_ref) return fail(Errc::invalid_argument, "--adopt needs --piv-slot");
    KW_TRY(auto md, card.key_metadata(*want_ref));
    if (!md) {
      return fail(Errc::not_found, "PIV slot " + hex2(*want_ref) + " of " + card.name() +
                                       " is empty: nothing to adopt");
    }
    if (md->algorithm != 0x11 || md->pin_policy < 1 || md->pin_policy > 3 ||
        md->touch_policy < 1 || md->touch_policy > 3) {
      return fail(Errc::unsupported, "only P-256 keys with explicit PIN/touch policies can be "
                                     "adopted (slot " + hex2(*want_ref) + ")");
    }
    if (!md->generated && !o.skip_attestation) {
      return fail(Errc::policy, "the key in PIV slot " + hex2(*want_ref) +
                                    " was imported, so the card cannot attest it was generated "
                                    "there; pass --skip-attestation to adopt it anyway");
    }
    key.key_ref = *want_ref;
    key.pin = static_cast<vault::PivPinPolicy>(md->pin_policy);
    key.touch = static_cast<vault::PivTouchPolicy>(md->touch_policy);
    KW_TRY(key.card_public, p256::to_uncompressed(md->public_key));
  } else {
    {
      KW_TRY(int tries, card.pin_retries());
      if (tries == 0) return fail(Errc::pin_blocked, "the PIV PIN of " + card.name() + " is blocked");
      if (tries == 1 && !pin_opts.allow_last_try) {
        return fail(Errc::policy, "only one PIV PIN try is left on " + card.name() +
                                      "; pass --allow-last-pin-try to use it");
      }
    }
    KW_TRY_STATUS(card.verify_pin(*pin));
    // Management key: the given one, else the PIN-protected one on the card, else (tests only)
    // the factory key.
    if (!o.management_key_file.empty()) {
      KW_TRY(auto text, read_secret_file(o.management_key_file));
      auto decoded = encoding::hex_decode(text.reveal_string());
      if (!decoded || (decoded->size() != 16 && decoded->size() != 24 && decoded->size() != 32)) {
        if (decoded) secure_wipe(decoded->data(), decoded->size());
        return fail(Errc::malformed, "the management key file must hold 32, 48 or 64 hex digits "
                                     "(AES-128; 3DES or AES-192; AES-256)");
      }
      auto mgmt = SecretBytes::copy_of(*decoded);
      secure_wipe(decoded->data(), decoded->size());
      KW_TRY_STATUS(card.authenticate(mgmt));
    } else if (cred.mgmt_protected) {
      KW_TRY_STATUS(card.authenticate_protected());
    } else if (cred.mgmt_default || (!cred.known && o.allow_defaults)) {
      KW_TRY_STATUS(card.authenticate({}));
    } else {
      return fail(Errc::policy, "the management key of " + card.name() +
                                    " is neither the factory key nor stored PIN-protected on the "
                                    "card: pass it with --management-key-file FILE (hex)");
    }

    // Key slot: the requested one (must be empty), else the first free retired slot.
    if (want_ref) {
      KW_TRY(auto md, card.key_metadata(*want_ref));
      if (md) {
        return fail(Errc::already_exists, "PIV slot " + hex2(*want_ref) + " of " + card.name() +
                                              " already holds a key; choose another --piv-slot");
      }
      key.key_ref = *want_ref;
    } else {
      std::optional<std::uint8_t> free;
      for (std::uint8_t r = 0x82; r <= 0x95 && !free; ++r) {
        KW_TRY(auto md, card.key_metadata(r));
        if (!md) free = r;
      }
      if (!free) return fail(Errc::policy, "every retired PIV slot of " + card.name() + " is in use");
      key.key_ref = *free;
    }
    KW_TRY(auto point, card.generate_p256(key.key_ref, static_cast<std::uint8_t>(key.pin),
                                          static_cast<std::uint8_t>(key.touch)));
    KW_TRY(key.card_public, p256::to_uncompressed(point));
  }

  if (o.skip_attestation) {
    key.attestation = vault::PivAttestation::unverified;
    info(ctx, "warning: attestation not verified (--skip-attestation)");
  } else {
    KW_TRY(auto cert, card.attest(key.key_ref));
    KW_TRY(auto f9, card.attestation_certificate());
    KW_TRY(auto facts, piv::verify_attestation(cert, f9, trust));
    if (facts.public_key != key.card_public || facts.serial != key.serial ||
        facts.pin_policy != static_cast<std::uint8_t>(key.pin) ||
        facts.touch_policy != static_cast<std::uint8_t>(key.touch)) {
      return fail(Errc::integrity, "the attestation of " + card.name() +
                                       " does not match the generated key, serial or policy");
    }
    key.attestation = simulator_ca ? vault::PivAttestation::verified_simulator
                                    : vault::PivAttestation::verified;
    info(ctx, simulator_ca ? "Attestation verified against the SIMULATOR's CA (" + trust +
                                 ", trusted because KEYWARD_PIV_TRUST_SIM_CA is set; not a real "
                                 "device root)"
                           : "Attestation verified against " + trust);
  }
  info(ctx, std::string(o.adopt ? "Adopted the P-256 key of " : "Generated a P-256 key on ") +
                card.name() + " in PIV slot " + hex2(key.key_ref) +
                " (touch " + std::string(vault::piv_touch_policy_name(key.touch)) + ", PIN " +
                std::string(vault::piv_pin_policy_name(key.pin)) + ")");
  note_slot_device(card.name());
  return vault::new_piv_slot(label, key, vid);
}

}  // namespace keyward::cli
