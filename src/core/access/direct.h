// access::Direct: the Access of a vault this process unlocked itself (core/access/access.h).
// It runs both halves of every operation here (core/access/serve.h): the presence gate through
// the front end's Presence, or, after a recovery-code unlock, the code itself, which is then the
// grant (the list it releases is still shown, through Presence::notice).
#pragma once

#include "core/access/access.h"
#include "core/access/serve.h"

namespace keyward::access {

class Direct final : public Access {
 public:
  // `presence` must outlive this object. Audit entries name this process as the requester.
  Direct(vault::Vault vault, Presence& presence);

  const std::string& label() const override { return vault_.path(); }
  Result<std::vector<vault::RecordMeta>> list() override;
  Result<vault::Record> get(std::string_view coordinate) override;
  Result<EnvRelease> read_env(const EnvQuery& query) override;
  Status set(std::vector<vault::SetItem>& items, std::string_view op) override;
  Status remove(std::string_view coordinate) override;
  Result<SlotListing> slots() override;
  Result<package::OwnPublicKey> own_public_key(bool signer) override;
  Result<package::BodySignature> sign_package(ByteView body) override;
  Result<AuditReview> review_audit(std::uint64_t since, bool summary_only) override;
  Result<std::optional<SecretBytes>> unwrap_package_key(std::span<const age::Stanza> stanzas) override;
  Result<std::optional<std::uint64_t>> newest_seen(const pubkey::Ed25519Public& signer) override;
  Status unpack(UnpackImport& in) override;

  vault::Vault& vault() { return vault_; }

 private:
  Result<std::vector<vault::Record>> open(const std::string& purpose,
                                          const std::vector<vault::SealedHigh>& sealed,
                                          const std::vector<std::string>& also);

  vault::Vault vault_;
  Presence& presence_;
  Caller self_;
};

}  // namespace keyward::access
