#include "core/vault/records.h"

#include <sodium.h>

#include "core/aead.h"
#include "core/hash.h"
#include "core/random.h"
#include "core/vault/codec.h"

namespace keyward::vault {
namespace {

constexpr std::uint8_t kBodyBlob = 1, kIndexBlob = 2;

Bytes record_aad(std::uint8_t blob, const VaultId& vid, const Digest& id, Tier tier) {
  Writer w;
  w.raw(label::kRecord);
  w.u8(blob);
  w.raw(vid);
  w.raw(id);
  w.u8(static_cast<std::uint8_t>(tier));
  return w.take();
}

Result<Bytes> seal(const SecretBytes& key, ByteView plaintext, ByteView aad) {
  Bytes nonce = random_bytes(aead::kXNonceSize);
  KW_TRY(auto ct, aead::xchacha_seal(key, nonce, plaintext, aad));
  Bytes out = nonce;
  append(out, ct);
  return out;
}

Result<SecretBytes> open(const SecretBytes& key, ByteView sealed, ByteView aad) {
  if (sealed.size() < aead::kXNonceSize + aead::kTagSize) return opaque();
  auto p = aead::xchacha_open(key, sealed.subspan(0, aead::kXNonceSize),
                              sealed.subspan(aead::kXNonceSize), aad);
  if (!p) return opaque();
  return std::move(*p);
}

void write_meta_head(Writer& w, const RecordMeta& m) {
  w.u8(1);
  w.u8(static_cast<std::uint8_t>(m.tier));
  w.u8(static_cast<std::uint8_t>(m.kind));
  w.u64(m.created);
  w.u64(m.updated);
}

bool read_meta_head(Reader& r, RecordMeta& m, Tier row_tier) {
  std::uint8_t version = 0, tier = 0, kind = 0;
  if (!r.u8(version) || version != 1 || !r.u8(tier) || tier > 1 || !r.u8(kind) || kind > 1 ||
      !r.u64(m.created) || !r.u64(m.updated)) {
    return false;
  }
  m.tier = static_cast<Tier>(tier);
  m.kind = static_cast<Kind>(kind);
  return m.tier == row_tier;
}

bool read_coordinate(Reader& r, RecordMeta& m) {
  std::uint16_t n = 0;
  ByteView c;
  if (!r.u16(n) || !r.raw(n, c)) return false;
  m.coordinate.assign(as_chars(c));
  return true;
}

}  // namespace

std::string_view tier_name(Tier t) noexcept { return t == Tier::high ? "high" : "normal"; }
std::string_view kind_name(Kind k) noexcept { return k == Kind::cloud_ref ? "cloud-ref" : "value"; }

std::array<std::uint8_t, 4> value_fingerprint(const SecretBytes& fingerprint_key, ByteView value) {
  auto d = hash::blake2b_keyed(fingerprint_key.view(), value, 32);
  return d ? to_array<4>(*d) : std::array<std::uint8_t, 4>{};
}

Result<RecordRow> seal_record(const Digest& id, const VaultId& vid, const SecretBytes& index_key,
                              const SecretBytes& fingerprint_key, const SecretBytes& tier_key,
                              const RecordMeta& meta, ByteView value) {
  if (value.size() > kMaxValueSize) {
    return fail(Errc::invalid_argument, "a secret value may be at most 1 MiB");
  }
  RecordRow row;
  row.id = id;
  row.tier = meta.tier;

  Writer idx;
  write_meta_head(idx, meta);
  idx.raw(value_fingerprint(fingerprint_key, value));
  idx.u16(static_cast<std::uint16_t>(meta.coordinate.size()));
  idx.raw(meta.coordinate);
  KW_TRY(row.idx, seal(index_key, idx.bytes(), record_aad(kIndexBlob, vid, id, meta.tier)));

  // The body plaintext holds the value: build it in locked memory.
  Writer head;
  write_meta_head(head, meta);
  head.u16(static_cast<std::uint16_t>(meta.coordinate.size()));
  head.raw(meta.coordinate);
  head.u32(static_cast<std::uint32_t>(value.size()));
  SecretBytes plain(head.bytes().size() + value.size());
  std::copy(head.bytes().begin(), head.bytes().end(), plain.data());
  std::copy(value.begin(), value.end(), plain.data() + head.bytes().size());
  KW_TRY(row.body, seal(tier_key, plain, record_aad(kBodyBlob, vid, id, meta.tier)));
  return row;
}

Result<RecordMeta> open_index(const RecordRow& row, const VaultId& vid,
                              const SecretBytes& index_key) {
  // Index entries hold no value, only metadata, and `list` opens one per record: decrypt into
  // ordinary memory (wiped below) instead of a locked allocation per record.
  if (row.idx.size() < aead::kXNonceSize + aead::kTagSize || index_key.size() != 32) {
    return opaque();
  }
  Bytes aad = record_aad(kIndexBlob, vid, row.id, row.tier);
  Bytes plain(row.idx.size() - aead::kXNonceSize - aead::kTagSize);
  unsigned long long plain_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          plain.data(), &plain_len, nullptr, row.idx.data() + aead::kXNonceSize,
          row.idx.size() - aead::kXNonceSize, aad.data(), aad.size(), row.idx.data(),
          index_key.data()) != 0) {
    return opaque();
  }
  struct Wipe {
    Bytes& b;
    ~Wipe() { sodium_memzero(b.data(), b.size()); }
  } wipe{plain};
  Reader r(plain);
  RecordMeta m;
  ByteView fp;
  if (!read_meta_head(r, m, row.tier) || !r.raw(4, fp) || !read_coordinate(r, m) || !r.done()) {
    return opaque();
  }
  m.fingerprint = to_array<4>(fp);
  return m;
}

Result<Record> open_record(const RecordRow& row, const VaultId& vid, const SecretBytes& tier_key,
                           const SecretBytes& fingerprint_key) {
  KW_TRY(auto plain, open(tier_key, row.body, record_aad(kBodyBlob, vid, row.id, row.tier)));
  Reader r(plain);
  Record rec;
  std::uint32_t n = 0;
  ByteView value;
  if (!read_meta_head(r, rec.meta, row.tier) || !read_coordinate(r, rec.meta) || !r.u32(n) ||
      !r.raw(n, value) || !r.done()) {
    return opaque();
  }
  rec.value = SecretBytes::copy_of(value);
  rec.meta.fingerprint = value_fingerprint(fingerprint_key, value);
  return rec;
}

std::size_t body_plain_size(const RecordRow& row) noexcept {
  return row.body.size() < aead::kXNonceSize + aead::kTagSize
             ? 0
             : row.body.size() - aead::kXNonceSize - aead::kTagSize;
}

Result<RecordMeta> open_record_into(const RecordRow& row, const VaultId& vid,
                                    const SecretBytes& tier_key, const SecretBytes& fingerprint_key,
                                    SecretBytes& scratch, ByteView& value) {
  if (row.body.size() < aead::kXNonceSize + aead::kTagSize || tier_key.size() != 32 ||
      scratch.size() < body_plain_size(row)) {
    return opaque();
  }
  Bytes aad = record_aad(kBodyBlob, vid, row.id, row.tier);
  unsigned long long plain_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          scratch.data(), &plain_len, nullptr, row.body.data() + aead::kXNonceSize,
          row.body.size() - aead::kXNonceSize, aad.data(), aad.size(), row.body.data(),
          tier_key.data()) != 0) {
    return opaque();
  }
  Reader r(ByteView(scratch.data(), static_cast<std::size_t>(plain_len)));
  RecordMeta meta;
  std::uint32_t n = 0;
  if (!read_meta_head(r, meta, row.tier) || !read_coordinate(r, meta) || !r.u32(n) ||
      !r.raw(n, value) || !r.done()) {
    return opaque();
  }
  meta.fingerprint = value_fingerprint(fingerprint_key, value);
  return meta;
}

Digest manifest_entry(const SecretBytes& manifest_key, const RecordRow& row) {
  Writer w;
  w.raw(label::kManifestEntry);
  w.raw(row.id);
  w.u8(static_cast<std::uint8_t>(row.tier));
  w.raw(hash::sha256(row.idx));
  w.raw(hash::sha256(row.body));
  return to_array<32>(hash::hmac_sha256(manifest_key, w.bytes()));
}

void xor_into(Digest& acc, const Digest& entry) {
  for (std::size_t i = 0; i < acc.size(); ++i) acc[i] ^= entry[i];
}

}  // namespace keyward::vault
