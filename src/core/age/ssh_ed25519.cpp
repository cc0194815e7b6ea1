#include "core/age/ssh_ed25519.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "core/age/wrap.h"
#include "core/base64.h"
#include "core/hash.h"
#include "core/kdf.h"
#include "core/pubkey.h"
#include "core/random.h"

namespace keyward::age {
namespace {

constexpr std::string_view kLabel = "age-encryption.org/v1/ssh-ed25519";
constexpr std::string_view kKeyType = "ssh-ed25519";
constexpr std::string_view kPemBegin = "-----BEGIN OPENSSH PRIVATE KEY-----";
constexpr std::string_view kPemEnd = "-----END OPENSSH PRIVATE KEY-----";
constexpr std::string_view kMagic{"openssh-key-v1\0", 15};

void put_u32(Bytes& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}
void put_string(Bytes& out, ByteView s) {
  put_u32(out, static_cast<std::uint32_t>(s.size()));
  append(out, s);
}

Bytes wire_key(ByteView ed_pub) {
  Bytes w;
  put_string(w, as_bytes(kKeyType));
  put_string(w, ed_pub);
  return w;
}

std::string tag_of(ByteView wire) {
  const auto digest = hash::sha256(wire);
  return encoding::base64_raw_encode(ByteView(digest.data(), 4));
}

Result<SecretBytes> tweak_of(ByteView wire) {
  return kdf::hkdf_sha256({}, wire, as_bytes(kLabel), 32);
}

Result<SecretBytes> wrap_key(ByteView shared, ByteView share, ByteView mont) {
  Bytes salt(share.begin(), share.end());
  append(salt, mont);
  return kdf::hkdf_sha256(shared, salt, as_bytes(kLabel), 32);
}

// Sequential reader of the SSH wire format (RFC 4251 §5).
class WireReader {
 public:
  explicit WireReader(ByteView data) : data_(data) {}
  std::optional<std::uint32_t> u32() {
    if (data_.size() - pos_ < 4) return std::nullopt;
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | data_[pos_++];
    return v;
  }
  std::optional<ByteView> string() {
    auto len = u32();
    if (!len || data_.size() - pos_ < *len) return std::nullopt;
    ByteView s = data_.subspan(pos_, *len);
    pos_ += *len;
    return s;
  }
  std::optional<ByteView> raw(std::size_t n) {
    if (data_.size() - pos_ < n) return std::nullopt;
    ByteView s = data_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  ByteView rest() const { return data_.subspan(pos_); }

 private:
  ByteView data_;
  std::size_t pos_ = 0;
};

bool equals(ByteView a, std::string_view b) { return as_chars(a) == b; }

// The 32-byte Ed25519 public key inside an SSH wire public key blob, or an error naming the type.
Result<Bytes> ed25519_from_wire(ByteView blob) {
  WireReader r(blob);
  auto type = r.string();
  if (!type) return fail(Errc::malformed, "invalid SSH public key encoding");
  if (!equals(*type, kKeyType))
    return fail(Errc::unsupported, "SSH key type " + std::string(as_chars(*type).substr(0, 40)) +
                                       " is not supported (only ssh-ed25519)");
  auto key = r.string();
  if (!key || key->size() != 32 || !r.rest().empty())
    return fail(Errc::malformed, "invalid ssh-ed25519 public key encoding");
  return Bytes(key->begin(), key->end());
}

tl::unexpected<Error> bad_private(const std::string& what) {
  return fail(Errc::malformed, "invalid OpenSSH private key: " + what);
}

}  // namespace

Result<SshEd25519Recipient> SshEd25519Recipient::from_public_key(ByteView ed_pub) {
  if (ed_pub.size() != 32) return fail(Errc::invalid_argument, "Ed25519 public key must be 32 bytes");
  SshEd25519Recipient r;
  if (crypto_sign_ed25519_pk_to_curve25519(r.mont_.data(), ed_pub.data()) != 0)
    return fail(Errc::malformed, "the ssh-ed25519 public key is not a valid curve point");
  r.wire_ = wire_key(ed_pub);
  return r;
}

Result<SshEd25519Recipient> SshEd25519Recipient::parse(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  const std::size_t sp = line.find(' ');
  if (sp == std::string_view::npos)
    return fail(Errc::malformed, "not an OpenSSH public key line (\"ssh-ed25519 AAAA... comment\")");
  const std::string_view type = line.substr(0, sp);
  std::string_view rest = line.substr(sp + 1);
  const std::string_view b64 = rest.substr(0, rest.find(' '));
  if (type != kKeyType) {
    if (type.starts_with("ssh-") || type.starts_with("ecdsa-") || type.starts_with("sk-"))
      return fail(Errc::unsupported, "SSH key type " + std::string(type.substr(0, 40)) +
                                         " is not supported as an age recipient (only ssh-ed25519)");
    return fail(Errc::malformed, "not an OpenSSH public key line (\"ssh-ed25519 AAAA... comment\")");
  }
  auto blob = encoding::base64_decode(b64);
  if (!blob) return fail(Errc::malformed, "the ssh-ed25519 public key is not valid base64");
  KW_TRY(const Bytes pk, ed25519_from_wire(*blob));
  return from_public_key(pk);
}

std::string SshEd25519Recipient::to_string() const {
  return std::string(kKeyType) + " " + encoding::base64_encode(wire_);
}

Result<std::vector<Stanza>> SshEd25519Recipient::wrap(ByteView file_key) {
  pubkey::X25519KeyPair eph = pubkey::x25519_generate();
  KW_TRY(const SecretBytes dh, pubkey::x25519(eph.secret, mont_));
  KW_TRY(const SecretBytes tweak, tweak_of(wire_));
  KW_TRY(const SecretBytes shared, pubkey::x25519(tweak, dh));
  KW_TRY(const SecretBytes key, wrap_key(shared, eph.public_key, mont_));
  KW_TRY(Bytes body, detail::seal_file_key(key, file_key));
  Stanza s;
  s.type = std::string(kSshEd25519StanzaType);
  s.args = {tag_of(wire_), encoding::base64_raw_encode(eph.public_key)};
  s.body = std::move(body);
  std::vector<Stanza> out;
  out.push_back(std::move(s));
  return out;
}

Result<SshEd25519Identity> SshEd25519Identity::from_seed(ByteView seed32) {
  KW_TRY(const pubkey::Ed25519KeyPair kp, pubkey::ed25519_from_seed(seed32));
  SecretBytes sk64(64);
  std::memcpy(sk64.data(), seed32.data(), 32);
  std::memcpy(sk64.data() + 32, kp.public_key.data(), 32);
  SshEd25519Identity id;
  id.scalar_ = SecretBytes(32);
  if (crypto_sign_ed25519_sk_to_curve25519(id.scalar_.data(), sk64.data()) != 0)
    return fail(Errc::crypto, "Ed25519 to X25519 conversion failed");
  id.ed_pub_ = kp.public_key;
  return id;
}

Result<SshEd25519Identity> SshEd25519Identity::parse(std::string_view pem) {
  // PEM: BEGIN line, base64 lines, END line; whitespace around lines is ignored.
  const std::size_t begin = pem.find(kPemBegin);
  const std::size_t end = pem.find(kPemEnd);
  if (begin == std::string_view::npos || end == std::string_view::npos || end < begin)
    return fail(Errc::malformed, "not an OpenSSH private key (expected \"" +
                                     std::string(kPemBegin) + "\")");
  SecretBytes b64(end - begin);
  std::size_t b64_n = 0;
  for (char c : pem.substr(begin + kPemBegin.size(), end - begin - kPemBegin.size()))
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') b64.data()[b64_n++] = static_cast<std::uint8_t>(c);
  auto decoded = encoding::base64_decode(as_chars(b64.view().first(b64_n)));
  if (!decoded) return bad_private("not valid base64");
  const SecretBytes blob = SecretBytes::copy_of(*decoded);
  secure_wipe(decoded->data(), decoded->size());

  WireReader r(blob);
  auto magic = r.raw(kMagic.size());
  if (!magic || !equals(*magic, kMagic)) return bad_private("missing openssh-key-v1 magic");
  auto cipher = r.string(), kdf_name = r.string(), kdf_opts = r.string();
  auto nkeys = r.u32();
  if (!cipher || !kdf_name || !kdf_opts || !nkeys) return bad_private("truncated header");
  if (!equals(*cipher, "none") || !equals(*kdf_name, "none"))
    return fail(Errc::unsupported,
                "the OpenSSH private key is passphrase-protected; keyward reads only unencrypted "
                "OpenSSH keys. Decrypt a copy with `ssh-keygen -p -N '' -f COPY` on a trusted "
                "machine, or use an age X25519 identity");
  if (*nkeys != 1) return fail(Errc::unsupported, "OpenSSH key files with several keys are not supported");
  auto pub_blob = r.string();
  auto priv = r.string();
  if (!pub_blob || !priv || !r.rest().empty()) return bad_private("truncated key list");
  KW_TRY(const Bytes pub, ed25519_from_wire(*pub_blob));

  WireReader p(*priv);
  auto check1 = p.u32(), check2 = p.u32();
  auto type = p.string();
  auto inner_pub = p.string();
  auto secret = p.string();
  auto comment = p.string();
  if (!check1 || !check2 || !type || !inner_pub || !secret || !comment)
    return bad_private("truncated private section");
  if (*check1 != *check2) return bad_private("check integers differ (wrong key or corrupted file)");
  if (!equals(*type, kKeyType)) return bad_private("the private key is not ssh-ed25519");
  if (inner_pub->size() != 32 || !std::equal(pub.begin(), pub.end(), inner_pub->begin()) ||
      secret->size() != 64 || !std::equal(pub.begin(), pub.end(), secret->begin() + 32))
    return bad_private("the private and public keys do not match");
  const ByteView padding = p.rest();
  for (std::size_t i = 0; i < padding.size(); ++i)
    if (padding[i] != static_cast<std::uint8_t>(i + 1)) return bad_private("invalid padding");

  KW_TRY(SshEd25519Identity id, from_seed(secret->first(32)));
  if (!std::equal(pub.begin(), pub.end(), id.ed_pub_.begin()))
    return bad_private("the seed does not produce the stored public key");
  return id;
}

SshEd25519Recipient SshEd25519Identity::recipient() const {
  auto r = SshEd25519Recipient::from_public_key(ed_pub_);
  return std::move(*r);  // our own public key is always valid
}

Result<std::optional<SecretBytes>> SshEd25519Identity::unwrap(std::span<const Stanza> stanzas) {
  const Bytes wire = wire_key(ed_pub_);
  const std::string tag = tag_of(wire);
  std::array<std::uint8_t, 32> mont{};
  if (crypto_sign_ed25519_pk_to_curve25519(mont.data(), ed_pub_.data()) != 0)
    return fail(Errc::internal, "invalid own Ed25519 public key");
  for (const Stanza& s : stanzas) {
    if (s.type != kSshEd25519StanzaType) continue;
    if (s.args.size() != 2) return detail::invalid_stanza(s.type, "expected exactly two arguments");
    if (s.args[0] != tag) continue;
    KW_TRY(const Bytes share, detail::decode_arg(s.type, s.args[1], 32, "the ephemeral share"));
    KW_TRY_STATUS(detail::check_body(s));
    auto dh = pubkey::x25519(scalar_, share);
    if (!dh) return detail::invalid_stanza(s.type, "the ephemeral share is a low-order point");
    KW_TRY(const SecretBytes tweak, tweak_of(wire));
    auto shared = pubkey::x25519(tweak, *dh);
    if (!shared) return detail::invalid_stanza(s.type, "the tweaked shared secret is zero");
    KW_TRY(const SecretBytes key, wrap_key(*shared, share, mont));
    KW_TRY(auto file_key, detail::open_file_key(key, s.body));
    if (file_key) return file_key;
  }
  return std::optional<SecretBytes>{};
}

}  // namespace keyward::age
