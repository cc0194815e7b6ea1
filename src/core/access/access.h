// One vault-access interface for every front end (docs/architecture.md, "Vault access").
//
// The secret commands (list, get, set, import, rm, run, export) speak only to `Access`. It has
// two implementations:
//   * access::Direct (core/access/direct.h) over a vault file this process unlocked;
//   * agent::AgentAccess (agent/access_client.h), which carries exactly these calls to the
//     unlock agent; the agent server answers them with the same core functions Direct uses
//     (core/access/serve.h).
// So every rule is checked once, below both: the reserved environment, tiers and high
// environments, loader variables, grants of the presence gate, audit entries, and the vault
// file's identity, rollback and swap checks (core/vault). A front end holds no rule of its own;
// it provides the part only it can do, the presence gate's conversation with the user and the
// devices (Presence).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/audit/log.h"
#include "core/error.h"
#include "core/gate/gate.h"
#include "core/package/own_keys.h"
#include "core/vault/format.h"
#include "core/vault/records.h"
#include "core/vault/slot.h"
#include "core/vault/vault.h"

namespace keyward::access {

// The front end's part of the presence gate. `req` is complete (purpose, the explicit list of
// coordinates, the requesting process, and the prompt text that says what a pass authorises);
// the implementation reaches the devices (gate::pass with its vault::Devices) and returns the
// grant. `header`/`slots` come from a verified source (an unlocked vault, or the agent that
// holds it).
class Presence {
 public:
  virtual ~Presence() = default;
  virtual Result<gate::Grant> pass(const gate::Request& req, const vault::HeaderBody& header,
                                   const std::vector<vault::Slot>& slots,
                                   std::uint32_t prefer_slot) = 0;
  // What the user must see when a grant is made without a device: after a recovery-code
  // unlock the code itself releases the high key (the text lists what it releases).
  virtual void notice(const std::string& text) = 0;
};

// A read of a whole environment (run, export).
struct EnvQuery {
  std::string env;
  std::vector<std::string> components;   // empty: every component; else these (distinct)
  // run, exporting (high environments refused) or packaging (high and production environments
  // refused): also the audit entry's operation and the gate's purpose (purpose_name).
  vault::ReadPurpose purpose = vault::ReadPurpose::run;
  // run: loader variables (vault::policy::is_loader_variable) passed anyway, by name. Every
  // other loader variable of the selection is withheld: neither released nor gated nor audited.
  std::vector<std::string> allow_vars;
  // An environment (or component) without any record is refused as a probable typo, naming the
  // known ones (issue 18); true accepts it and releases nothing (scripts: --allow-empty).
  bool allow_empty = false;
};

// EnvQuery::components for one optional --component.
inline std::vector<std::string> components_of(const std::string& component) {
  if (component.empty()) return {};
  return {component};
}

struct SlotListing {
  vault::VaultId vault_id{};
  vault::HeaderBody header;  // the verified header (base fields; `vault info`)
  std::vector<vault::Slot> slots;
  std::uint32_t unlocked_slot = 0;  // 0: unknown
};

// `keyward audit`: the vault's log on this machine as its holder verified it.
struct AuditReview {
  audit::Report report;    // entries: those at or after `since`; none for a summary
  std::size_t total = 0;   // entries in the log
  std::string file;        // the log file
};

// `keyward unpack`: a package's entries to store (tiers chosen: normal, or high for the entries
// the token or the card opened) and what the replay rule and the audit entry need.
struct UnpackImport {
  std::vector<vault::SetItem> items;
  package::PackageId package_id{};
  std::optional<pubkey::Ed25519Public> signer;  // a signed package: its (verified) sender key
  bool trusted = false;                         // the signer is the one --from named
  std::uint64_t created = 0;                    // the package's creation time (Unix seconds)
  bool allow_older = false;                     // --allow-older: the replay rule is waived
};

// Whether a listing has a slot that can pass the presence gate (and so give the high key).
bool has_presence_slot(const SlotListing& listing);

struct EnvRelease {
  std::vector<vault::Record> records;  // sorted by coordinate
  std::vector<std::string> withheld;   // run: coordinates of loader variables not passed
};

class Access {
 public:
  virtual ~Access() = default;
  // Shown in prompts and messages: the vault's absolute path.
  virtual const std::string& label() const = 0;
  // Every public record's index entry (never a value), sorted; the reserved environment hidden.
  virtual Result<std::vector<vault::RecordMeta>> list() = 0;
  // One record; a high one only through the presence gate, which lists exactly it.
  virtual Result<vault::Record> get(std::string_view coordinate) = 0;
  // The records of an environment; its high ones through ONE pass of the gate whose prompt lists
  // them and every normal record released with them. Exporting refuses high environments.
  virtual Result<EnvRelease> read_env(const EnvQuery& query) = 0;
  // Stores items in one transaction (all or nothing). `op` is "set" or "import": the audit
  // entry's operation and the gate's purpose. Items without a chosen tier (default_tier) take
  // the vault's policy; on return every item's `tier` says what was stored.
  virtual Status set(std::vector<vault::SetItem>& items, std::string_view op) = 0;
  virtual Status remove(std::string_view coordinate) = 0;
  // The vault's slots as its verified header lists them (public parts only: the wrapped keys are
  // sealed), and the slot this session unlocked with. No record is read, nothing is audited.
  virtual Result<SlotListing> slots() = 0;
  // keyward's own public package key (core/package/own_keys.h), made on first use: the package
  // identity's recipient, or with `signer` the sender key. Only the public half leaves.
  virtual Result<package::OwnPublicKey> own_public_key(bool signer) = 0;
  // A package body signed with the sender key (made on first use). The signature is over the
  // package format's signed message (its context string, then `body`), built by core: nothing
  // else can be signed this way.
  virtual Result<package::BodySignature> sign_package(ByteView body) = 0;
  // The audit log of this vault on this machine, verified (chain, MACs, head, the header's
  // anchor). A log that verifies first gets this read's own entry ("audit"), and nothing is
  // returned whose entry cannot be written; a log that does not verify comes back with its
  // problems and nothing is appended to it.
  virtual Result<AuditReview> review_audit(std::uint64_t since, bool summary_only) = 0;
  // The file key of a package sealed to the vault's package identity (nullopt: not addressed
  // to it); the identity never leaves the holder.
  virtual Result<std::optional<SecretBytes>> unwrap_package_key(std::span<const age::Stanza> stanzas) = 0;
  // The creation time of the newest package imported from `signer` (nullopt: none yet).
  virtual Result<std::optional<std::uint64_t>> newest_seen(const pubkey::Ed25519Public& signer) = 0;
  // Stores a package's entries and the sender's newest-seen time in one transaction, with the
  // presence gate where set's rules need it (high entries, replaced high records). Refuses a
  // package older than the newest seen from its sender (unless allow_older) and the reserved
  // environment; recorded as "unpack".
  virtual Status unpack(UnpackImport& in) = 0;
};

// "run", "export" or "package".
std::string_view purpose_name(vault::ReadPurpose purpose);

}  // namespace keyward::access
