#include "hw/piv_enrol.h"

#include "core/p256.h"
#include "core/piv_attestation.h"

namespace keyward::hw {
namespace {

std::string hex2(std::uint8_t v) {
  static const char* d = "0123456789abcdef";
  return std::string{d[v >> 4], d[v & 15]};
}

constexpr std::string_view kDefaultPin = "123456";
constexpr std::string_view kDefaultPuk = "12345678";

// A new PIN or PUK (a file or asked twice, as the Interaction decides), checked for length and
// for not being the factory value again.
Result<SecretBytes> new_piv_secret(Interaction& ui, Asked asked, const PivCard& card,
                                   const char* what, std::string_view factory) {
  KW_TRY(auto v, ui.secret(asked, card.name()));
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

// Guided replacement of factory credentials: new PIN and PUK, and a random management key
// stored PIN-protected on the card. `pin` is the current PIN and becomes the new one. Refused
// (policy) unless the user agreed: the new values given as files, or "yes" on the terminal.
Status replace_defaults(PivSession& session, const PivEnrolOptions& o, PivCard& card,
                        const PivCredentialState& cred, SecretBytes& pin) {
  Interaction& ui = session.ui();
  std::string which;
  auto add = [&which](const char* w) { which += (which.empty() ? "" : ", ") + std::string(w); };
  if (cred.pin_default) add("PIN");
  if (cred.puk_default) add("PUK");
  if (cred.mgmt_default) add("management key");
  const bool given = (!cred.pin_default || o.new_pin_given) && (!cred.puk_default || o.new_puk_given);
  const std::string headline = card.name() + " still uses the factory default PIV " + which;
  if (!given) {
    if (!ui.interactive()) {
      return fail(Errc::policy,
                  headline + ": keyward replaces factory credentials before enrolling. On a "
                             "terminal it asks for the new ones; for automation pass "
                             "--new-pin-file FILE and --new-puk-file FILE (the management key "
                             "becomes a random PIN-protected one)");
    }
    ui.notice(headline + ".\nkeyward will now replace them: a new PIN and PUK that you choose "
                         "(6-8 characters; keep the PUK somewhere safe, it unblocks the PIN), and "
                         "a random management key stored on the card behind the PIN (as YubiKey "
                         "Manager does).");
    if (!ui.confirm("Replace them now?")) {
      return fail(Errc::policy, headline + "; nothing was changed and nothing enrolled");
    }
  } else {
    ui.info(headline + "; replacing them");
  }
  KW_TRY_STATUS(session.check_pin_retries(card));
  // Both new values are read and checked before the card is changed.
  std::optional<SecretBytes> next_pin, next_puk;
  if (cred.pin_default) {
    KW_TRY(next_pin, new_piv_secret(ui, Asked::piv_new_pin, card, "PIN", kDefaultPin));
  }
  if (cred.puk_default) {
    KW_TRY(next_puk, new_piv_secret(ui, Asked::piv_new_puk, card, "PUK", kDefaultPuk));
    if (next_puk->equals((next_pin ? *next_pin : pin).view())) {
      return fail(Errc::invalid_argument, "the new PIV PUK must differ from the PIN");
    }
  }
  if (next_pin) {
    KW_TRY_STATUS(card.change_pin(pin, *next_pin));
    pin = std::move(*next_pin);
    session.remember_pin(card, pin.clone());
    ui.info("PIV PIN of " + card.name() + " changed");
  }
  if (next_puk) {
    KW_TRY_STATUS(card.change_puk(SecretBytes::copy_of(kDefaultPuk), *next_puk));
    ui.info("PIV PUK of " + card.name() + " changed");
  }
  if (cred.mgmt_default) {
    KW_TRY_STATUS(card.verify_pin(pin));
    KW_TRY_STATUS(card.authenticate({}));
    KW_TRY_STATUS(card.set_random_protected_management_key());
    KW_TRY(std::uint8_t alg, card.management_key_algorithm());
    ui.info("PIV management key of " + card.name() + " replaced by a random " +
            piv_mgmt_algorithm_name(alg) + " key stored on the card, readable only with the PIN");
  }
  return ok();
}

// Adopt a P-256 key already on the card: its policies come from the card's metadata.
Status adopt_key(PivCard& card, const PivEnrolOptions& o, vault::PivKeyInfo& key) {
  if (!o.key_ref) return fail(Errc::invalid_argument, "--adopt needs --piv-slot");
  KW_TRY(auto md, card.key_metadata(*o.key_ref));
  if (!md) {
    return fail(Errc::not_found, "PIV slot " + hex2(*o.key_ref) + " of " + card.name() +
                                     " is empty: nothing to adopt");
  }
  if (md->algorithm != 0x11 || md->pin_policy < 1 || md->pin_policy > 3 || md->touch_policy < 1 ||
      md->touch_policy > 3) {
    return fail(Errc::unsupported, "only P-256 keys with explicit PIN/touch policies can be "
                                   "adopted (slot " + hex2(*o.key_ref) + ")");
  }
  if (!md->generated && !o.skip_attestation) {
    return fail(Errc::policy, "the key in PIV slot " + hex2(*o.key_ref) +
                                  " was imported, so the card cannot attest it was generated "
                                  "there; pass --skip-attestation to adopt it anyway");
  }
  key.key_ref = *o.key_ref;
  key.pin = static_cast<vault::PivPinPolicy>(md->pin_policy);
  key.touch = static_cast<vault::PivTouchPolicy>(md->touch_policy);
  KW_TRY(key.card_public, p256::to_uncompressed(md->public_key));
  return ok();
}

// Generate a P-256 key in the requested (empty) slot or the first free retired one.
Status generate_key(PivSession& session, PivCard& card, const PivEnrolOptions& o,
                    const PivCredentialState& cred, const SecretBytes& pin,
                    vault::PivKeyInfo& key) {
  KW_TRY_STATUS(session.check_pin_retries(card));
  KW_TRY_STATUS(card.verify_pin(pin));
  // Management key: the given one, else the PIN-protected one on the card, else (tests only)
  // the factory key.
  if (o.management_key) {
    KW_TRY_STATUS(card.authenticate(o.management_key->view()));
  } else if (cred.mgmt_protected) {
    KW_TRY_STATUS(card.authenticate_protected());
  } else if (cred.mgmt_default || (!cred.known && o.allow_defaults)) {
    KW_TRY_STATUS(card.authenticate({}));
  } else {
    return fail(Errc::policy, "the management key of " + card.name() +
                                  " is neither the factory key nor stored PIN-protected on the "
                                  "card: pass it with --management-key-file FILE (hex)");
  }
  if (o.key_ref) {
    KW_TRY(auto md, card.key_metadata(*o.key_ref));
    if (md) {
      return fail(Errc::already_exists, "PIV slot " + hex2(*o.key_ref) + " of " + card.name() +
                                            " already holds a key; choose another --piv-slot");
    }
    key.key_ref = *o.key_ref;
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
  return ok();
}

}  // namespace

Result<EnrolledSlot> enrol_piv_slot(PivSession& session, const PivEnrolOptions& o,
                                    const std::string& label, const vault::VaultId& vid) {
  Interaction& ui = session.ui();
  vault::PivKeyInfo key;
  key.touch = o.touch;
  key.pin = o.pin;
  if (key.touch != vault::PivTouchPolicy::always && !o.adopt) {
    // Said before the card is used: only a touch the card enforces may guard the high key.
    ui.notice("keyward: warning: touch policy " +
              std::string(vault::piv_touch_policy_name(key.touch)) +
              " makes an UNLOCK-ONLY slot: the card does not require a touch for every use, so "
              "this slot never holds the high key");
  }
  if (o.trust_ca.empty() && !o.skip_attestation) {
    return fail(Errc::invalid_argument,
                "no attestation root configured: pass --trust-ca FILE with the Yubico PIV root "
                "(https://developers.yubico.com/PKI/yubico-piv-ca-1.pem), or --skip-attestation");
  }
  KW_TRY(PivCard* found, session.only_card(o.serial));
  PivCard& card = *found;
  key.serial = card.serial();

  // Factory credentials: replaced (guided) before anything else, unless allow_defaults.
  KW_TRY(auto cred, card.credential_state());
  std::optional<SecretBytes> pin;
  if (!o.adopt || (cred.known && (cred.pin_default || cred.puk_default || cred.mgmt_default))) {
    KW_TRY(pin, session.pin(card));
  }
  if (!cred.known && pin) {
    // Older firmware without metadata: the typed PIN tells whether it is the default one.
    cred.pin_default = pin->reveal_string() == kDefaultPin;
  }
  const bool defaults = cred.pin_default || cred.puk_default || cred.mgmt_default;
  if (defaults && !o.allow_defaults) {
    KW_TRY_STATUS(replace_defaults(session, o, card, cred, *pin));
    cred.pin_default = cred.puk_default = false;
    if (cred.mgmt_default) {
      cred.mgmt_default = false;
      cred.mgmt_protected = true;
    }
  } else if (defaults) {
    ui.info("warning: " + card.name() + " keeps factory default credentials "
                                        "(--allow-default-pin); never do this with a real key");
  }

  if (o.adopt) {
    KW_TRY_STATUS(adopt_key(card, o, key));
  } else {
    KW_TRY_STATUS(generate_key(session, card, o, cred, *pin, key));
  }

  if (o.skip_attestation) {
    key.attestation = vault::PivAttestation::unverified;
    ui.info("warning: attestation not verified (--skip-attestation)");
  } else {
    KW_TRY(auto cert, card.attest(key.key_ref));
    KW_TRY(auto f9, card.attestation_certificate());
    KW_TRY(auto facts, piv::verify_attestation(cert, f9, o.trust_ca));
    if (facts.public_key != key.card_public || facts.serial != key.serial ||
        facts.pin_policy != static_cast<std::uint8_t>(key.pin) ||
        facts.touch_policy != static_cast<std::uint8_t>(key.touch)) {
      return fail(Errc::integrity, "the attestation of " + card.name() +
                                       " does not match the generated key, serial or policy");
    }
    key.attestation = o.trust_is_simulator ? vault::PivAttestation::verified_simulator
                                           : vault::PivAttestation::verified;
    ui.info(o.trust_is_simulator
                ? "Attestation verified against the SIMULATOR's CA (" + o.trust_ca +
                      ", trusted because KEYWARD_PIV_TRUST_SIM_CA is set; not a real device root)"
                : "Attestation verified against " + o.trust_ca);
  }
  ui.info(std::string(o.adopt ? "Adopted the P-256 key of " : "Generated a P-256 key on ") +
          card.name() + " in PIV slot " + hex2(key.key_ref) + " (touch " +
          std::string(vault::piv_touch_policy_name(key.touch)) + ", PIN " +
          std::string(vault::piv_pin_policy_name(key.pin)) + ")");
  KW_TRY(auto slot, vault::new_piv_slot(label, key, vid));
  return EnrolledSlot{std::move(slot), card.name()};
}

}  // namespace keyward::hw
