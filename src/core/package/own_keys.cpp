#include "core/package/own_keys.h"

#include "core/package/package.h"
#include "core/pubkey.h"

namespace keyward::package {

Result<age::X25519Identity> vault_identity(vault::Vault& v, bool create, bool* created) {
  if (created) *created = false;
  KW_TRY(auto stored, v.get_internal(kIdentityCoordinate));
  if (stored) return age::X25519Identity::parse(stored->reveal_string());
  if (!create) {
    return fail(Errc::not_found, "this vault has no package identity yet: run `keyward pubkey` "
                                 "to create it and give the printed age1... string to the sender");
  }
  auto id = age::X25519Identity::generate();
  KW_TRY(auto text, id.to_string());
  KW_TRY_STATUS(v.set_internal(kIdentityCoordinate, std::move(text)));
  if (created) *created = true;
  return id;
}

Result<std::optional<SecretBytes>> unwrap_with_vault_identity(vault::Vault& v,
                                                              std::span<const age::Stanza> stanzas) {
  KW_TRY(auto id, vault_identity(v, false));
  return id.unwrap(stanzas);
}

Result<SecretBytes> vault_signing_seed(vault::Vault& v, bool create, bool* created) {
  if (created) *created = false;
  KW_TRY(auto stored, v.get_internal(kSigningCoordinate));
  if (stored) {
    if (stored->size() != 32) return fail(Errc::integrity, "the vault's package signing key is damaged");
    return std::move(*stored);
  }
  if (!create) return fail(Errc::not_found, "this vault has no package signing key yet");
  auto kp = pubkey::ed25519_generate();
  KW_TRY_STATUS(v.set_internal(kSigningCoordinate, kp.seed.clone()));
  if (created) *created = true;
  return std::move(kp.seed);
}

Result<OwnPublicKey> own_public_key(vault::Vault& v, bool signer) {
  OwnPublicKey out;
  if (signer) {
    KW_TRY(auto seed, vault_signing_seed(v, true, &out.created));
    KW_TRY(auto kp, pubkey::ed25519_from_seed(seed));
    out.text = signer_to_string(kp.public_key);
    return out;
  }
  KW_TRY(auto id, vault_identity(v, true, &out.created));
  out.text = id.recipient().to_string();
  return out;
}

Result<BodySignature> sign_package_body(vault::Vault& v, ByteView body) {
  bool created = false;
  KW_TRY(auto seed, vault_signing_seed(v, true, &created));
  KW_TRY(auto sig, sign_body(seed, body));
  sig.created = created;
  return sig;
}

}  // namespace keyward::package
