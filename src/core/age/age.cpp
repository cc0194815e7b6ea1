// age::encrypt / age::decrypt: header, stanzas, HMAC, STREAM and armor put together.
#include "core/age/age.h"

#include <istream>
#include <optional>
#include <ostream>

#include "core/age/armor.h"
#include "core/age/header.h"
#include "core/age/stream.h"
#include "core/random.h"

namespace keyward::age {
namespace {

constexpr std::string_view kScryptType = "scrypt";

bool starts_armor(int c) { return c == '-' || c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

Result<DecryptInfo> decrypt_impl(std::span<Identity* const> identities, ByteReader& in,
                                 ByteWriter& out, const DecryptOptions& options, Stage& stage) {
  BufferedReader raw(in);
  DecryptInfo info;
  stage = Stage::io;
  switch (options.armor) {
    case ArmorMode::armored: info.armored = true; break;
    case ArmorMode::binary: info.armored = false; break;
    case ArmorMode::detect: {
      KW_TRY(const int c, raw.peek());
      info.armored = starts_armor(c);
      break;
    }
  }
  std::optional<ArmorReader> armor;
  std::optional<BufferedReader> decoded;
  BufferedReader* src = &raw;
  if (info.armored) {
    armor.emplace(raw);
    decoded.emplace(*armor);
    src = &*decoded;
  }
  auto failed = [&](Error e, Stage at) -> tl::unexpected<Error> {
    if (armor && armor->failed()) stage = Stage::armor;
    else if (e.code == Errc::io) stage = Stage::io;
    else stage = at;
    return tl::unexpected(std::move(e));
  };

  auto header = parse_header(*src);
  if (!header) return failed(header.error(), Stage::header);
  for (const Stanza& s : header->stanzas) {
    if (s.type == kScryptType && header->stanzas.size() != 1)
      return failed(Error{Errc::malformed,
                          "invalid age header: an scrypt stanza must be the only stanza"},
                    Stage::header);
  }

  std::optional<SecretBytes> file_key;
  for (Identity* id : identities) {
    auto r = id->unwrap(header->stanzas);
    if (!r) return failed(r.error(), Stage::unwrap);
    if (*r) {
      file_key = std::move(**r);
      break;
    }
  }
  if (!file_key)
    return failed(Error{Errc::auth_failed,
                        "no identity matches any recipient of this age file"},
                  Stage::no_match);
  if (file_key->size() != kFileKeySize)
    return failed(Error{Errc::internal, "an identity returned a file key of the wrong size"},
                  Stage::unwrap);

  KW_TRY(const auto mac, header_mac(*file_key, header->mac_input));
  info.header = header->mac_input;
  if (!ct_equal(mac, header->mac))
    return failed(Error{Errc::decrypt_failed, std::string(kDecryptFailedMessage)}, Stage::hmac);

  std::uint8_t nonce[kPayloadNonceSize];
  auto got = src->read_full(MutableByteView(nonce, sizeof nonce));
  if (!got) return failed(got.error(), Stage::header);
  if (*got != sizeof nonce)
    return failed(Error{Errc::malformed, "age file truncated: the payload nonce is missing"},
                  Stage::header);

  std::uint64_t written = 0;
  auto st = stream_decrypt(*file_key, ByteView(nonce, sizeof nonce), *src, out, written);
  info.plaintext_size = written;
  if (!st) return failed(st.error(), Stage::payload);
  auto fin = out.finish();
  if (!fin) return failed(fin.error(), Stage::io);
  stage = Stage::none;
  return info;
}

// The recipients' stanzas for `file_key`, after checking the recipient list (not empty, no null,
// a passphrase recipient alone).
Result<std::vector<Stanza>> wrap_file_key(std::span<Recipient* const> recipients,
                                          const SecretBytes& file_key) {
  if (recipients.empty()) return fail(Errc::invalid_argument, "age: no recipients");
  for (Recipient* r : recipients) {
    if (r == nullptr) return fail(Errc::invalid_argument, "age: null recipient");
    if (r->must_be_alone() && recipients.size() != 1)
      return fail(Errc::invalid_argument,
                  "a passphrase (scrypt) recipient cannot be combined with other recipients");
  }
  std::vector<Stanza> stanzas;
  for (Recipient* r : recipients) {
    KW_TRY(auto more, r->wrap(file_key));
    for (auto& s : more) stanzas.push_back(std::move(s));
  }
  return stanzas;
}

}  // namespace

Status encrypt(std::span<Recipient* const> recipients, ByteReader& in, ByteWriter& out,
               const EncryptOptions& options) {
  const SecretBytes file_key = random_secret(kFileKeySize);
  KW_TRY(const std::vector<Stanza> stanzas, wrap_file_key(recipients, file_key));
  KW_TRY(const std::string header, encode_header(stanzas, file_key));

  std::optional<ArmorWriter> armor;
  ByteWriter* dst = &out;
  if (options.armor) {
    armor.emplace(out);
    dst = &*armor;
  }
  KW_TRY_STATUS(dst->write(as_bytes(header)));
  KW_TRY_STATUS(stream_encrypt(file_key, in, *dst));
  return dst->finish();
}

Result<DecryptInfo> decrypt(std::span<Identity* const> identities, ByteReader& in, ByteWriter& out,
                            const DecryptOptions& options, Stage* failed_stage) {
  Stage stage = Stage::none;
  auto result = decrypt_impl(identities, in, out, options, stage);
  if (failed_stage != nullptr) *failed_stage = result ? Stage::none : stage;
  return result;
}

Status encrypt(std::span<Recipient* const> recipients, std::istream& in, std::ostream& out,
               const EncryptOptions& options) {
  IstreamReader reader(in);
  OstreamWriter writer(out);
  return encrypt(recipients, reader, writer, options);
}

Result<DecryptInfo> decrypt(std::span<Identity* const> identities, std::istream& in,
                            std::ostream& out, const DecryptOptions& options, Stage* failed_stage) {
  IstreamReader reader(in);
  OstreamWriter writer(out);
  return decrypt(identities, reader, writer, options, failed_stage);
}

Result<Bytes> encrypt_bytes(std::span<Recipient* const> recipients, ByteView plaintext,
                            const EncryptOptions& options) {
  MemoryReader reader(plaintext);
  Bytes out;
  VectorWriter writer(out);
  KW_TRY_STATUS(encrypt(recipients, reader, writer, options));
  return out;
}

namespace {
// Collects plaintext in locked memory, growing by doubling.
class SecretWriter final : public ByteWriter {
 public:
  Status write(ByteView data) override {
    if (size_ + data.size() > buf_.size()) {
      std::size_t cap = buf_.empty() ? 256 : buf_.size();
      while (cap < size_ + data.size()) cap *= 2;
      SecretBytes bigger(cap);
      if (size_ > 0) std::copy(buf_.data(), buf_.data() + size_, bigger.data());
      buf_ = std::move(bigger);
    }
    if (!data.empty()) std::copy(data.begin(), data.end(), buf_.data() + size_);
    size_ += data.size();
    return ok();
  }
  SecretBytes take() { return buf_.prefix(size_); }

 private:
  SecretBytes buf_;
  std::size_t size_ = 0;
};
}  // namespace

Result<SecretBytes> decrypt_bytes(std::span<Identity* const> identities, ByteView file,
                                  const DecryptOptions& options, Stage* failed_stage,
                                  std::string* header) {
  MemoryReader reader(file);
  SecretWriter writer;
  KW_TRY(auto info, decrypt(identities, reader, writer, options, failed_stage));
  if (header != nullptr) *header = std::move(info.header);
  return writer.take();
}

Result<Bytes> encrypt_bytes_bound(
    std::span<Recipient* const> recipients,
    const std::function<Result<SecretBytes>(std::string_view header)>& make,
    const EncryptOptions& options) {
  const SecretBytes file_key = random_secret(kFileKeySize);
  KW_TRY(const std::vector<Stanza> stanzas, wrap_file_key(recipients, file_key));
  KW_TRY(const std::string without_mac, encode_header_without_mac(stanzas));
  KW_TRY(const std::string header, encode_header(stanzas, file_key));
  KW_TRY(auto plaintext, make(without_mac));
  Bytes out;
  VectorWriter vw(out);
  std::optional<ArmorWriter> armor;
  ByteWriter* dst = &vw;
  if (options.armor) {
    armor.emplace(vw);
    dst = &*armor;
  }
  MemoryReader in(plaintext.view());
  KW_TRY_STATUS(dst->write(as_bytes(header)));
  KW_TRY_STATUS(stream_encrypt(file_key, in, *dst));
  KW_TRY_STATUS(dst->finish());
  return out;
}

}  // namespace keyward::age
