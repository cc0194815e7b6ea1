// The vault side of every Access operation: the functions both access::Direct and the unlock
// agent's server call on a vault they hold unlocked, so that the two paths cannot differ. Each
// checks the rules (most live inside vault::Vault's transactions, core/vault/policy.h), writes
// the operation's audit entry (docs/format-audit.md) naming `who` as the requester, and releases
// nothing whose entry cannot be written.
//
// A release is split in two halves, because the holder of a vault may not hold its high key
// (the agent never does):
//   1. serve_get / serve_env release the normal records and return the high ones sealed;
//   2. open_sealed runs the presence gate for the sealed rows, has its outcome recorded
//      (record_gate, by whoever holds the audit key), and opens them with the grant.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/access/access.h"
#include "core/audit/entry.h"

namespace keyward::access {

// The slot listing of an unlocked vault (Access::slots): for both the direct path and the agent.
SlotListing listing_of(const vault::Vault& v);
// The same after re-reading the header and slots (Vault::refresh): what Access::slots returns.
Result<SlotListing> serve_slots(vault::Vault& v);

// Who asked: the audit entry's requester (a process id, described from /proc), whether the
// agent served it, and whether the entry is made durable at once (the agent syncs it right
// after its answer is sent, vault::Vault::settle_audit).
struct Caller {
  int pid = 0;
  bool agent = false;
  bool durable = true;
};

// An audit entry for `op` with `result`'s outcome; the status to continue with. The operation
// failed: its error, unchanged (`unrecorded`, if given, is told why even the failure is not in
// the log). It succeeded but the entry cannot be written: for a release (nothing handed out
// yet) a refusal; for a committed change Errc::followup_failed ("done but not recorded").
Status record(vault::Vault& v, std::string_view op, std::vector<audit::Item> items,
              const Status& result, std::string detail, const Caller& who,
              Error* unrecorded = nullptr);

audit::Item item(std::string_view coordinate);  // tier unknown
audit::Item item(std::string_view coordinate, vault::Tier tier);
std::vector<audit::Item> items_of(const std::vector<vault::Record>& records);
std::vector<audit::Item> items_of(const std::vector<vault::SetItem>& items);

// Access::review_audit on a held vault: verify, record the read (only on a log that verifies),
// keep the entries asked for.
Result<AuditReview> serve_audit(vault::Vault& v, std::uint64_t since, bool summary_only,
                                const Caller& who);

// The gate request for `purpose` over `coordinates`, with the requesting process filled in and
// the prompt text: what a pass authorises ("release 2 high secret(s) for `keyward run ...`
// (parent: ..., terminal: ...)", the list, then `also`, the normal records that come with it).
gate::Request gate_request(const std::string& vault_label, const vault::VaultId& vault_id,
                           const std::string& purpose, const std::vector<std::string>& coordinates,
                           gate::Level level, const std::vector<std::string>& also = {});

// What a gate pass produced, for its audit entry (op "presence").
struct GateOutcome {
  std::string purpose;
  std::vector<std::string> coordinates;  // sorted, distinct
  gate::Level level = gate::Level::touch;
  bool passed = false;
  std::uint32_t slot = 0;   // passed: the slot that answered
  std::string device;       // passed: the device the grant names
  Error error{};            // refused or failed
};
GateOutcome outcome_of(const gate::Request& req, const Result<gate::Grant>& grant);
// Whether `g` can be recorded for this vault at all: a passed gate must name a
// presence-capable slot of the vault (Errc::malformed otherwise).
Status check_gate(const vault::Vault& v, const GateOutcome& g, const Caller& who);
// Writes the entry (after check_gate).
Status record_gate(vault::Vault& v, const GateOutcome& g, const Caller& who);

// The gate of a vault held with its unlock credential (the direct path): after a recovery-code
// unlock the code itself is the grant (what it releases is shown through presence.notice);
// otherwise presence.pass over the vault's slots, the unlocking slot first.
Result<gate::Grant> pass_gate(vault::Vault& v, Presence& presence, const gate::Request& req);
// One pass of pass_gate for `coordinates`, recorded; a pass that cannot be recorded is not used
// (and a failure that cannot be recorded is returned as it is).
Result<gate::Grant> recorded_gate(vault::Vault& v, Presence& presence, const std::string& purpose,
                                  const std::vector<std::string>& coordinates, gate::Level level,
                                  const std::vector<std::string>& also, const Caller& who);

// A selection of records by environment and component (empty: any) that matches nothing in
// `metas` (a vault's public index): Errc::not_found naming the known environments, or the
// environment's components, and the closest one ("did you mean"); `hint` is appended (what to
// pass to accept an empty selection). ok() when something matches.
Status selection_exists(const std::vector<vault::RecordMeta>& metas, std::string_view env,
                        std::string_view component, std::string_view hint);

// Half 1 of a release.
struct Served {
  std::vector<vault::Record> records;       // released (normal records)
  std::vector<vault::SealedHigh> sealed;    // high records, for the gate
  std::vector<std::string> withheld;        // run: loader variables not passed
};
Result<Served> serve_get(vault::Vault& v, std::string_view coordinate, const Caller& who);
Result<Served> serve_env(vault::Vault& v, const EnvQuery& query, const Caller& who);
Result<std::vector<vault::RecordMeta>> serve_list(vault::Vault& v);

// Half 2: one pass of the gate (through `gate`) for every sealed row, its outcome handed to
// `report` (which records it; a pass that cannot be recorded releases nothing), then the rows
// opened with the grant. `also`: the normal records the command receives as well.
using GateRunner = std::function<Result<gate::Grant>(const gate::Request&)>;
using GateReporter = std::function<Status(const GateOutcome&)>;
Result<std::vector<vault::Record>> open_sealed(const std::string& vault_label,
                                               const vault::VaultId& vault_id,
                                               const std::string& purpose,
                                               const std::vector<vault::SealedHigh>& sealed,
                                               const std::vector<std::string>& also,
                                               const GateRunner& gate, const GateReporter& report);

// Changes. `needs_*` say which coordinates need a grant (empty: none) after checking what no
// grant lifts (a high record without a presence-capable slot to release it later, loader
// variables in a high environment, the reserved environment); a refusal is recorded.
// `apply_*` make the change with the grant (nullptr: none) and record it.
Result<std::vector<std::string>> needs_for_set(vault::Vault& v, std::vector<vault::SetItem>& items,
                                               std::string_view op, const Caller& who);
Status apply_set(vault::Vault& v, std::vector<vault::SetItem>& items, std::string_view op,
                 const gate::Grant* grant, const Caller& who);
Result<std::vector<std::string>> needs_for_remove(vault::Vault& v, std::string_view coordinate,
                                                  const Caller& who);
Status apply_remove(vault::Vault& v, std::string_view coordinate, const gate::Grant* grant,
                    const Caller& who);

// unpack: newest_seen reads the sender's bookkeeping record; needs_for_unpack checks what no
// grant lifts (reserved environment, replay, high entries without a presence-capable slot) and
// says what needs a grant; apply_unpack writes the entries and the bookkeeping together.
Result<std::optional<std::uint64_t>> newest_seen(vault::Vault& v, const pubkey::Ed25519Public& signer);
Result<std::vector<std::string>> needs_for_unpack(vault::Vault& v, UnpackImport& in, const Caller& who);
Status apply_unpack(vault::Vault& v, UnpackImport& in, const gate::Grant* grant, const Caller& who);

// The refusal of a change that needs the presence gate, for a holder that cannot run it (the
// agent): Errc::policy, naming the first coordinate. Nothing was applied.
Error needs_gate_error(const std::vector<std::string>& coordinates);

}  // namespace keyward::access
