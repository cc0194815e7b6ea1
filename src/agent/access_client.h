// agent::AgentAccess: core's Access (core/access/access.h) carried to the unlock agent. Each
// call is one request; the agent answers it with the same core functions the direct path uses
// (core/access/serve.h), so this file holds no rule: it only moves requests and answers, runs
// the client's half of a release (the presence gate over rows served sealed, whose outcome it
// reports to the agent, which holds the audit key), and falls back to the direct path when the
// agent cannot serve a request:
//   * the agent is not running, does not hold the vault (locked, expired, dropped it), or did
//     not answer a request it never fully received;
//   * a change needs the presence gate (the agent holds no high key and runs no gate).
// A change the agent received but did not answer is never redone another way: the agent may
// still apply it (docs/agent.md, "Deadlines"); the error says to check first.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "agent/proto.h"
#include "core/access/access.h"

namespace keyward::agent {

class AgentAccess final : public access::Access {
 public:
  // Opens the vault directly (the caller's credentials), when the agent cannot serve.
  using Opener = std::function<Result<std::unique_ptr<access::Access>>()>;
  // Progress lines ("not using the agent: ..."), never secrets.
  using Say = std::function<void(const std::string&)>;
  // `vault`: absolute path. `presence` must outlive this object.
  AgentAccess(std::string socket, std::string vault, access::Presence& presence, Opener direct,
              Say say);

  const std::string& label() const override { return vault_; }
  Result<std::vector<vault::RecordMeta>> list() override;
  Result<vault::Record> get(std::string_view coordinate) override;
  Result<access::EnvRelease> read_env(const access::EnvQuery& query) override;
  Status set(std::vector<vault::SetItem>& items, std::string_view op) override;
  Status remove(std::string_view coordinate) override;
  Result<access::SlotListing> slots() override;
  Result<package::OwnPublicKey> own_public_key(bool signer) override;
  Result<package::BodySignature> sign_package(ByteView body) override;
  Result<access::AuditReview> review_audit(std::uint64_t since, bool summary_only) override;
  Result<std::optional<SecretBytes>> unwrap_package_key(std::span<const age::Stanza> stanzas) override;
  Result<std::optional<std::uint64_t>> newest_seen(const pubkey::Ed25519Public& signer) override;
  Status unpack(access::UnpackImport& in) override;

 private:
  // The agent's answer; nullopt: use the direct path.
  Result<std::optional<Response>> ask(Request& req);
  Result<access::Access*> direct();
  // Gate over the rows of `high`, outcome reported to the agent, rows opened.
  Result<std::vector<vault::Record>> open_high(const std::string& purpose, const HighWire& high,
                                               const std::vector<std::string>& also);

  std::string socket_, vault_;
  access::Presence& presence_;
  Opener open_direct_;
  Say say_;
  std::unique_ptr<access::Access> direct_;
};

}  // namespace keyward::agent
