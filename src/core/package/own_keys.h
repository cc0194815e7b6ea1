// keyward's own package keys, kept in the vault's reserved environment (docs/format-package.md
// section 7): the package identity (the X25519 key packages are sealed to) and the sender
// signing key (Ed25519 seed). Both are made on first use when asked to.
#pragma once

#include <string>

#include "core/age/x25519.h"
#include "core/error.h"
#include "core/package/package.h"
#include "core/secret.h"
#include "core/vault/vault.h"

namespace keyward::package {

// The vault records that hold them (normal tier, reserved environment: package and unpack
// refuse it, list hides it).
inline constexpr const char* kIdentityCoordinate = "keyward.internal/package/IDENTITY";
inline constexpr const char* kSigningCoordinate = "keyward.internal/package/SIGNING_KEY";

// The vault's package identity (AGE-SECRET-KEY-1...); created and stored on first use if
// `create`, else not_found. `created` tells whether it was made now.
Result<age::X25519Identity> vault_identity(vault::Vault& v, bool create, bool* created = nullptr);
// The file key of a package sealed to the vault's package identity (age::Identity::unwrap over
// the envelope's stanzas: nullopt when none is addressed to it). The identity never leaves.
Result<std::optional<SecretBytes>> unwrap_with_vault_identity(vault::Vault& v,
                                                              std::span<const age::Stanza> stanzas);
// The sender signing key (Ed25519 seed), created on first use if `create`.
Result<SecretBytes> vault_signing_seed(vault::Vault& v, bool create, bool* created = nullptr);

// The public half a teammate needs, made on first use (`keyward pubkey`): the identity's
// recipient (age1...), or with `signer` the sender key (ssh-ed25519 ...).
struct OwnPublicKey {
  std::string text;
  bool created = false;
};
Result<OwnPublicKey> own_public_key(vault::Vault& v, bool signer);

// A package body signed with the sender key, made on first use (`created` then set).
Result<BodySignature> sign_package_body(vault::Vault& v, ByteView body);

}  // namespace keyward::package
