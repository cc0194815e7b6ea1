#include "core/vault/format.h"

#include <algorithm>

#include "core/hash.h"
#include "core/kdf.h"
#include "core/pubkey.h"
#include "core/vault/codec.h"

namespace keyward::vault {
namespace {

constexpr std::string_view kHeaderMagic = "KWVH";

Result<SecretBytes> subkey(const SecretBytes& ikm, const VaultId& vid, std::string_view info) {
  return kdf::hkdf_sha256(ikm, vid, as_bytes(info), kKeySize);
}

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

}  // namespace

constexpr std::string_view kExtMagic = "KWVA";

Bytes encode_header_base(const HeaderBody& h) {
  Writer w;
  w.raw(kHeaderMagic);
  w.u8(kFormatVersion);
  w.raw(h.vault_id);
  w.u64(h.revision);
  w.u64(h.record_count);
  w.raw(h.manifest);
  w.raw(h.key_id);
  w.u8(h.has_high ? 1 : 0);
  Digest zero{};
  w.raw(h.has_high ? h.high_check : zero);
  w.u32(h.slot_count);
  w.u64(h.created);
  w.u64(h.next_slot);
  return w.take();
}

Bytes encode_header(const HeaderBody& h) {
  Writer w;
  w.raw(encode_header_base(h));
  w.raw(kExtMagic);
  std::size_t n = std::min(h.audit_anchors.size(), kMaxAuditAnchors);
  w.u8(static_cast<std::uint8_t>(n));
  for (std::size_t i = 0; i < n; ++i) {
    const auto& a = h.audit_anchors[i];
    w.raw(a.machine);
    w.u64(a.seq);
    w.raw(a.hash);
  }
  w.u32(static_cast<std::uint32_t>(h.audit_keyring.size()));
  w.raw(h.audit_keyring);
  return w.take();
}

Result<HeaderBody> parse_header(ByteView body) {
  if (body.size() < kHeaderBodySize) return opaque();
  Reader r(body.subspan(0, kHeaderBodySize));
  ByteView magic, vid, man, kid, hc;
  std::uint8_t version = 0, has_high = 0;
  HeaderBody h;
  if (!r.raw(4, magic) || as_chars(magic) != kHeaderMagic) return opaque();
  if (!r.u8(version) || version != kFormatVersion) return opaque();
  if (!r.raw(kVaultIdSize, vid) || !r.u64(h.revision) || !r.u64(h.record_count) ||
      !r.raw(32, man) || !r.raw(32, kid) || !r.u8(has_high) || !r.raw(32, hc) ||
      !r.u32(h.slot_count) || !r.u64(h.created) || !r.u64(h.next_slot) || !r.done()) {
    return opaque();
  }
  if (has_high > 1 || h.revision == 0) return opaque();
  h.vault_id = to_array<kVaultIdSize>(vid);
  h.manifest = to_array<32>(man);
  h.key_id = to_array<32>(kid);
  h.has_high = has_high == 1;
  h.high_check = to_array<32>(hc);
  if (!h.has_high && h.high_check != Digest{}) return opaque();
  if (body.size() == kHeaderBodySize) return h;  // written before the extension existed
  Reader x(body.subspan(kHeaderBodySize));
  ByteView ext_magic;
  std::uint8_t n = 0;
  if (!x.raw(4, ext_magic) || as_chars(ext_magic) != kExtMagic || !x.u8(n) ||
      n > kMaxAuditAnchors) {
    return opaque();
  }
  for (std::uint8_t i = 0; i < n; ++i) {
    AuditAnchor a;
    ByteView m, hash;
    if (!x.raw(16, m) || !x.u64(a.seq) || !x.raw(32, hash)) return opaque();
    a.machine = to_array<16>(m);
    a.hash = to_array<32>(hash);
    if (a.seq == 0 && a.hash != Digest{}) return opaque();
    for (const auto& b : h.audit_anchors) {
      if (b.machine == a.machine) return opaque();  // one anchor per machine
    }
    h.audit_anchors.push_back(a);
  }
  std::uint32_t klen = 0;
  if (!x.u32(klen) || klen > kMaxAuditKeyring || !x.raw(klen, h.audit_keyring) || !x.done()) {
    return opaque();
  }
  return h;
}

Result<MasterKeys> derive_master_keys(const SecretBytes& master, const VaultId& vid) {
  if (master.size() != kKeySize) return fail(Errc::internal, "master key has the wrong size");
  MasterKeys k;
  KW_TRY(k.record, subkey(master, vid, label::kRecord));
  KW_TRY(k.name, subkey(master, vid, label::kName));
  KW_TRY(k.mac, subkey(master, vid, label::kHeaderMacKey));
  KW_TRY(k.manifest, subkey(master, vid, label::kManifest));
  KW_TRY(k.sign_seed, subkey(master, vid, label::kTransitionSign));
  KW_TRY(k.fingerprint, subkey(master, vid, label::kFingerprint));
  KW_TRY(k.audit, subkey(master, vid, label::kAudit));
  KW_TRY(k.audit_keyring, subkey(master, vid, label::kAuditKeyring));
  KW_TRY(auto kp, pubkey::ed25519_from_seed(k.sign_seed));
  k.key_id = kp.public_key;
  return k;
}

Result<HighKeys> derive_high_keys(const SecretBytes& high, const VaultId& vid) {
  if (high.size() != kKeySize) return fail(Errc::internal, "high key has the wrong size");
  HighKeys k;
  KW_TRY(k.record, subkey(high, vid, label::kRecordHigh));
  KW_TRY(auto check, subkey(high, vid, label::kHighCheck));
  k.check = to_array<32>(check);
  return k;
}

Digest header_mac(const MasterKeys& keys, ByteView body, const std::vector<SlotRow>& slots) {
  Writer w;
  w.raw(label::kHeaderMac);
  w.u32(static_cast<std::uint32_t>(body.size()));
  w.raw(body);
  for (const auto& s : slots) {
    w.u32(s.number);
    w.u32(static_cast<std::uint32_t>(s.body.size()));
    w.raw(s.body);
  }
  return to_array<32>(hash::hmac_sha256(keys.mac, w.bytes()));
}

bool valid_env_name(std::string_view s) {
  if (s.empty() || s.size() > 64 || !is_lower_alnum(s[0])) return false;
  for (char c : s) {
    if (!is_lower_alnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

bool valid_key_name(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!alpha(s[0])) return false;
  for (char c : s) {
    if (!alpha(c) && !(c >= '0' && c <= '9')) return false;
  }
  return true;
}

Result<Coordinate> parse_coordinate(std::string_view text) {
  auto a = text.find('/');
  auto b = a == std::string_view::npos ? a : text.find('/', a + 1);
  if (b == std::string_view::npos || text.find('/', b + 1) != std::string_view::npos) {
    return fail(Errc::invalid_argument, "coordinate '" + std::string(text) +
                                            "' must be env/component/KEY, e.g. dev/api/STRIPE_KEY");
  }
  Coordinate c{std::string(text.substr(0, a)), std::string(text.substr(a + 1, b - a - 1)),
               std::string(text.substr(b + 1))};
  if (!valid_env_name(c.env) || !valid_env_name(c.component)) {
    return fail(Errc::invalid_argument,
                "coordinate '" + std::string(text) +
                    "': env and component must be lower-case letters, digits, '.', '_' or '-' "
                    "(up to 64, starting with a letter or digit)");
  }
  if (!valid_key_name(c.key)) {
    return fail(Errc::invalid_argument,
                "coordinate '" + std::string(text) +
                    "': KEY must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*, up to 128)");
  }
  return c;
}

Result<Digest> record_id(const MasterKeys& keys, std::string_view coordinate) {
  KW_TRY(auto id, hash::blake2b_keyed(keys.name, as_bytes(coordinate), 32));
  return to_array<32>(id);
}

}  // namespace keyward::vault
