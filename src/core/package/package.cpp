#include "core/package/package.h"

#include <algorithm>

#include "core/aead.h"
#include "core/age/ssh_ed25519.h"
#include "core/base64.h"
#include "core/cbor.h"
#include "core/hash.h"
#include "core/hex.h"
#include "core/kdf.h"
#include "core/random.h"
#include "core/vault/format.h"

namespace keyward::package {
namespace {

constexpr std::string_view kHighAad = "keyward-package-v1/high";
constexpr std::string_view kHighKeyInfo = "keyward-package-v1/high-key";
constexpr std::string_view kTokenInfo = "keyward-package-v1/token";
constexpr std::string_view kSignatureContext = "keyward-package-v1/signature";
constexpr std::string_view kTokenBegin = "-----BEGIN KEYWARD ACCESS TOKEN-----";
constexpr std::string_view kTokenEnd = "-----END KEYWARD ACCESS TOKEN-----";

// Wipes a buffer that held plaintext values before it is released.
struct WipeOnExit {
  Bytes& b;
  ~WipeOnExit() { secure_wipe(b.data(), b.size()); }
};

cbor::Value kv_map(cbor::Map m) {
  auto v = cbor::Value::map(std::move(m));
  return v ? std::move(*v) : cbor::Value::null();  // keys are distinct integer literals
}

Bytes u64be(std::uint64_t v) {
  Bytes b(8);
  for (int i = 7; i >= 0; --i, v >>= 8) b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v);
  return b;
}

Bytes high_aad(const PackageId& id, const cbor::Value& coords) {
  Bytes aad = to_bytes(kHighAad);
  append(aad, id);
  append(aad, cbor::encode(coords));
  return aad;
}

Bytes token_aad(const PackageId& id, std::uint64_t token_expires) {
  Bytes aad = to_bytes(kTokenInfo);
  append(aad, id);
  append(aad, u64be(token_expires));
  return aad;
}

Bytes signed_message(ByteView body) {
  Bytes m = to_bytes(kSignatureContext);
  m.push_back(0);
  append(m, body);
  return m;
}

Result<SecretBytes> high_key(ByteView seed, const PackageId& id) {
  return kdf::hkdf_sha256(seed, id, as_bytes(kHighKeyInfo), aead::kKeySize);
}

Result<SecretBytes> token_key(ByteView secret, const PackageId& id) {
  return kdf::hkdf_sha256(secret, id, as_bytes(kTokenInfo), aead::kKeySize);
}

tl::unexpected<Error> malformed(const std::string& what) {
  return fail(Errc::malformed, "not a valid keyward package payload: " + what);
}

Result<const cbor::Value*> field(const cbor::Value& m, std::int64_t key, const char* name) {
  const cbor::Value* v = m.find(key);
  if (v == nullptr) return malformed(std::string("missing ") + name);
  return v;
}
Result<std::uint64_t> uint_field(const cbor::Value& m, std::int64_t key, const char* name) {
  KW_TRY(auto* v, field(m, key, name));
  if (!v->is_uint()) return malformed(std::string(name) + " is not an unsigned integer");
  return v->as_uint();
}
Result<const Bytes*> bytes_field(const cbor::Value& m, std::int64_t key, const char* name,
                                 std::size_t exact = 0) {
  KW_TRY(auto* v, field(m, key, name));
  if (!v->is_bytes()) return malformed(std::string(name) + " is not a byte string");
  if (exact != 0 && v->as_bytes().size() != exact) {
    return malformed(std::string(name) + " has the wrong length");
  }
  return &v->as_bytes();
}
Result<const cbor::Array*> array_field(const cbor::Value& m, std::int64_t key, const char* name) {
  KW_TRY(auto* v, field(m, key, name));
  if (!v->is_array()) return malformed(std::string(name) + " is not an array");
  return &v->as_array();
}

Status check_keys(const cbor::Value& m, std::int64_t max_key, const char* what) {
  for (const auto& [k, v] : m.as_map()) {
    if (!k.is_uint() || k.as_uint() < 1 || k.as_uint() > static_cast<std::uint64_t>(max_key)) {
      return malformed(std::string("unknown field in ") + what);
    }
  }
  return ok();
}

Result<vault::Kind> parse_kind(const cbor::Value& v) {
  if (!v.is_uint() || v.as_uint() > 1) return malformed("entry kind must be 0 or 1");
  return static_cast<vault::Kind>(v.as_uint());
}

Status check_coordinate(const std::string& coord, const std::string& env) {
  auto c = vault::parse_coordinate(coord);
  if (!c) return malformed("invalid coordinate");
  if (c->env != env) return malformed("an entry lies outside the package environment");
  return ok();
}

cbor::Value high_coords_value(const std::vector<HighEntryRef>& refs) {
  cbor::Array a;
  a.reserve(refs.size());
  for (const auto& r : refs) {
    a.push_back(cbor::Value::array(
        {cbor::Value::text(r.coordinate), cbor::Value::uint(static_cast<std::uint64_t>(r.kind))}));
  }
  return cbor::Value::array(std::move(a));
}

Result<std::vector<Entry>> open_high_with_seed(const Payload& p, ByteView seed) {
  KW_TRY(auto k, high_key(seed, p.package_id));
  KW_TRY(auto plain, aead::xchacha_open(k, p.high_nonce, p.high_sealed,
                                        high_aad(p.package_id, high_coords_value(p.high))));
  cbor::DecodeLimits lim;
  lim.max_items = std::max<std::size_t>(lim.max_items, 2 * p.high.size() + 2);
  auto values = cbor::decode(plain, lim);
  if (!values || !values->is_array() || values->as_array().size() != p.high.size()) {
    return malformed("the high entries do not match their coordinates");
  }
  std::vector<Entry> out;
  out.reserve(p.high.size());
  for (std::size_t i = 0; i < p.high.size(); ++i) {
    const auto& v = values->as_array()[i];
    if (!v.is_bytes() || v.as_bytes().size() > vault::kMaxValueSize) {
      return malformed("a high entry value is not a byte string of at most 1 MiB");
    }
    Entry e;
    e.coordinate = p.high[i].coordinate;
    e.tier = vault::Tier::high;
    e.kind = p.high[i].kind;
    e.value = SecretBytes::copy_of(ByteView(v.as_bytes()));
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

std::array<std::uint8_t, 32> recipients_hash(std::string_view age_header) {
  Bytes m = to_bytes(std::string_view("keyward-package-v1/recipients"));
  m.push_back(0);
  append(m, as_bytes(age_header));
  return hash::sha256(m);
}

Status check_recipients(const Payload& p, std::string_view age_header) {
  if (!p.recipients_hash) {
    return fail(Errc::integrity, "this package is not bound to its recipients (made by an older "
                                 "keyward, or assembled by hand): ask the sender for a new "
                                 "package; nothing imported");
  }
  if (!ct_equal(*p.recipients_hash, recipients_hash(age_header))) {
    return fail(Errc::integrity,
                "this package was sealed for someone else: its envelope is not the one its "
                "sender made (it was decrypted and re-encrypted, i.e. forwarded); nothing "
                "imported");
  }
  return ok();
}

Status check_replacements(const std::vector<std::string>& existing_high, const gate::Grant* grant) {
  for (const auto& c : existing_high) {
    if (grant == nullptr || !grant->covers(c)) {
      return fail(Errc::policy, c + " is a high secret in this vault: replacing it needs the "
                                    "presence gate (a touch) for it; nothing imported");
    }
  }
  return ok();
}

std::string seen_coordinate(const pubkey::Ed25519Public& signer) {
  return std::string(kReservedEnv) + "/package-seen/S" + encoding::hex_encode(ByteView(signer));
}

bool is_production_env(std::string_view env) { return env == "prod" || env == "production"; }

Status may_package(std::string_view env) {
  if (is_production_env(env)) {
    return fail(Errc::policy, "'" + std::string(env) + "' is production: production secrets are "
                              "never packaged. Share dev or staging; production access goes "
                              "through your deployment pipeline");
  }
  if (env == kReservedEnv) {
    return fail(Errc::policy, std::string(kReservedEnv) + " holds keyward's own keys and is never packaged");
  }
  return ok();
}

Result<Sealed> seal(SealInput& in) {
  if (in.recipients.empty()) return fail(Errc::invalid_argument, "a package needs a recipient");
  if (!vault::valid_env_name(in.env)) return fail(Errc::invalid_argument, "invalid environment name");
  KW_TRY_STATUS(may_package(in.env));
  if (in.expires <= in.created || in.expires - in.created > kMaxTtl) {
    return fail(Errc::invalid_argument, "the package lifetime must be between 1 s and 30 days");
  }
  if (in.token_expires <= in.created || in.token_expires > in.expires) {
    return fail(Errc::invalid_argument, "the token must expire after creation and no later than the package");
  }
  Sealed out;
  auto idb = random_bytes(kPackageIdSize);
  std::copy(idb.begin(), idb.end(), out.package_id.begin());
  const PackageId& id = out.package_id;

  cbor::Array normal;
  std::vector<HighEntryRef> high_refs;
  cbor::Array high_values;
  for (const auto& e : in.entries) {
    KW_TRY_STATUS(check_coordinate(e.coordinate, in.env).map_error([](Error err) {
      err.code = Errc::invalid_argument;
      return err;
    }));
    if (e.value.size() > vault::kMaxValueSize) return fail(Errc::invalid_argument, "value too large");
    if (e.tier == vault::Tier::high) {
      high_refs.push_back({e.coordinate, e.kind});
      high_values.push_back(cbor::Value::bytes(e.value.view()));
    } else {
      normal.push_back(cbor::Value::array({cbor::Value::text(e.coordinate),
                                           cbor::Value::uint(static_cast<std::uint64_t>(e.kind)),
                                           cbor::Value::bytes(e.value.view())}));
    }
  }
  out.normal_count = normal.size();
  out.high_count = high_refs.size();

  // High entries: sealed under K_h; the seed is wrapped to the token and to each card.
  SecretBytes seed = random_secret(kHighSeedSize);
  KW_TRY(auto k, high_key(seed, id));
  cbor::Value coords = high_coords_value(high_refs);
  Bytes high_plain = cbor::encode(cbor::Value::array(std::move(high_values)));
  WipeOnExit wipe_high{high_plain};
  Bytes high_nonce = random_bytes(aead::kXNonceSize);
  KW_TRY(auto high_sealed, aead::xchacha_seal(k, high_nonce, high_plain, high_aad(id, coords)));

  out.token.package_id = id;
  out.token.expires = in.token_expires;
  out.token.secret = random_secret(kTokenSecretSize);
  KW_TRY(auto tk, token_key(out.token.secret, id));
  Bytes token_nonce = random_bytes(aead::kXNonceSize);
  KW_TRY(auto token_wrap, aead::xchacha_seal(tk, token_nonce, seed, token_aad(id, in.token_expires)));

  cbor::Array cards;
  for (auto* r : in.card_recipients) {
    KW_TRY(auto stanzas, r->wrap(seed));
    for (auto& s : stanzas) {
      cbor::Array args;
      for (auto& a : s.args) args.push_back(cbor::Value::text(a));
      cards.push_back(cbor::Value::array({cbor::Value::array(std::move(args)),
                                          cbor::Value::bytes(std::move(s.body))}));
    }
  }

  // The payload commits to the envelope it travels in: the body carries a hash of the age header
  // (every recipient stanza), so a recipient who decrypts and re-encrypts it to a third person
  // produces a package that person's keyward refuses ("sealed for someone else").
  auto make = [&](std::string_view header) -> Result<SecretBytes> {
    cbor::Value body_v = kv_map({
        {cbor::Value::uint(1), cbor::Value::bytes(ByteView(id))},
        {cbor::Value::uint(2), cbor::Value::text(in.env)},
        {cbor::Value::uint(3), cbor::Value::uint(in.created)},
        {cbor::Value::uint(4), cbor::Value::uint(in.expires)},
        {cbor::Value::uint(5), cbor::Value::array(std::move(normal))},
        {cbor::Value::uint(6), std::move(coords)},
        {cbor::Value::uint(7), cbor::Value::uint(in.token_expires)},
        {cbor::Value::uint(8), cbor::Value::bytes(std::move(high_nonce))},
        {cbor::Value::uint(9), cbor::Value::bytes(std::move(high_sealed))},
        {cbor::Value::uint(10), cbor::Value::bytes(std::move(token_nonce))},
        {cbor::Value::uint(11), cbor::Value::bytes(std::move(token_wrap))},
        {cbor::Value::uint(12), cbor::Value::array(std::move(cards))},
        {cbor::Value::uint(13), cbor::Value::bytes(ByteView(recipients_hash(header)))},
    });
    Bytes body = cbor::encode(body_v);
    body_v = cbor::Value::null();
    WipeOnExit wipe_body{body};

    cbor::Map outer;
    outer.push_back({cbor::Value::uint(1), cbor::Value::uint(kVersion)});
    outer.push_back({cbor::Value::uint(2), cbor::Value::bytes(ByteView(body))});
    std::optional<BodySignature> sig;
    if (in.signer) {
      KW_TRY(sig, in.signer(body));
    } else if (in.signing_seed != nullptr) {
      KW_TRY(sig, sign_body(*in.signing_seed, body));
    }
    if (sig) {
      outer.push_back({cbor::Value::uint(3), cbor::Value::bytes(ByteView(sig->signer))});
      outer.push_back({cbor::Value::uint(4), cbor::Value::bytes(ByteView(sig->signature))});
    }
    Bytes payload = cbor::encode(kv_map(std::move(outer)));
    WipeOnExit wipe_payload{payload};
    return SecretBytes::copy_of(ByteView(payload));
  };

  age::EncryptOptions eo;
  eo.armor = in.armor;
  KW_TRY(out.file, age::encrypt_bytes_bound(in.recipients, make, eo));
  return out;
}

Result<BodySignature> sign_body(ByteView seed32, ByteView body) {
  KW_TRY(auto kp, pubkey::ed25519_from_seed(seed32));
  BodySignature out;
  out.signer = kp.public_key;
  KW_TRY(out.signature, pubkey::ed25519_sign(seed32, signed_message(body)));
  return out;
}

SecretBytes encode_token(const Token& t, bool armor) {
  Bytes raw = cbor::encode(kv_map({
      {cbor::Value::uint(1), cbor::Value::uint(kTokenVersion)},
      {cbor::Value::uint(2), cbor::Value::bytes(ByteView(t.package_id))},
      {cbor::Value::uint(3), cbor::Value::uint(t.expires)},
      {cbor::Value::uint(4), cbor::Value::bytes(t.secret.view())},
  }));
  WipeOnExit wipe_raw{raw};
  if (!armor) return SecretBytes::copy_of(ByteView(raw));
  std::string b64 = encoding::base64_encode(raw);
  std::string text = std::string(kTokenBegin) + "\n";
  for (std::size_t i = 0; i < b64.size(); i += 64) text += b64.substr(i, 64) + "\n";
  text += std::string(kTokenEnd) + "\n";
  auto s = SecretBytes::copy_of(std::string_view(text));
  secure_wipe(b64.data(), b64.size());
  secure_wipe(text.data(), text.size());
  return s;
}

Result<Token> parse_token(ByteView file) {
  auto bad = [] {
    return fail(Errc::malformed, "not a keyward access token (expected the file written by "
                                 "`keyward package --token-out`)");
  };
  std::optional<Bytes> decoded;
  if (file.size() > 4096) return bad();
  if (!file.empty() && file[0] == '-') {
    std::string_view text = as_chars(file);
    if (text.substr(0, kTokenBegin.size()) != kTokenBegin) return bad();
    text.remove_prefix(kTokenBegin.size());
    auto end = text.find(kTokenEnd);
    if (end == std::string_view::npos) return bad();
    std::string_view rest = text.substr(end + kTokenEnd.size());
    if (!rest.empty() && rest != "\n" && rest != "\r\n") return bad();
    std::string b64;
    for (char c : text.substr(0, end)) {
      if (c != '\n' && c != '\r') b64.push_back(c);
    }
    auto d = encoding::base64_decode(b64);
    secure_wipe(b64.data(), b64.size());
    if (!d) return bad();
    decoded = std::move(*d);
    file = *decoded;
  }
  auto v = cbor::decode(file);
  if (decoded) secure_wipe(decoded->data(), decoded->size());
  if (!v || !v->is_map()) return bad();
  if (!check_keys(*v, 4, "token")) return bad();
  auto ver = uint_field(*v, 1, "version");
  if (!ver) return bad();
  if (*ver != kTokenVersion) {
    return fail(Errc::unsupported, "access token version " + std::to_string(*ver) +
                                       " is not supported by this keyward");
  }
  auto id = bytes_field(*v, 2, "package id", kPackageIdSize);
  auto exp = uint_field(*v, 3, "expires");
  auto sec = bytes_field(*v, 4, "secret", kTokenSecretSize);
  if (!id || !exp || !sec) return bad();
  Token t;
  std::copy((*id)->begin(), (*id)->end(), t.package_id.begin());
  t.expires = *exp;
  t.secret = SecretBytes::copy_of(ByteView(**sec));
  return t;
}

Result<Payload> parse_payload(ByteView payload) {
  cbor::DecodeLimits outer_lim;
  outer_lim.max_items = 16;
  auto outer = cbor::decode(payload, outer_lim);
  if (!outer) return malformed("not deterministic CBOR");
  if (!outer->is_map()) return malformed("not a map");
  KW_TRY_STATUS(check_keys(*outer, 4, "the payload"));
  KW_TRY(auto version, uint_field(*outer, 1, "version"));
  if (version != kVersion) {
    return fail(Errc::unsupported, "package format version " + std::to_string(version) +
                                       " is not supported by this keyward; upgrade it");
  }
  KW_TRY(auto* body, bytes_field(*outer, 2, "body"));
  Payload p;
  const cbor::Value* signer = outer->find(3);
  const cbor::Value* sig = outer->find(4);
  if ((signer == nullptr) != (sig == nullptr)) return malformed("signer without signature");
  if (signer != nullptr) {
    KW_TRY(auto* pk, bytes_field(*outer, 3, "signer", 32));
    KW_TRY(auto* s, bytes_field(*outer, 4, "signature", 64));
    if (!pubkey::ed25519_verify(*pk, signed_message(*body), *s)) {
      return fail(Errc::integrity, "the package signature does not verify: it was altered or "
                                   "not signed by the key it names");
    }
    pubkey::Ed25519Public k{};
    std::copy(pk->begin(), pk->end(), k.begin());
    p.signer = k;
  }

  cbor::DecodeLimits lim;
  lim.max_depth = 6;
  lim.max_items = 1u << 24;
  auto bv = cbor::decode(*body, lim);
  if (!bv) return malformed("the body is not deterministic CBOR");
  if (!bv->is_map()) return malformed("the body is not a map");
  const cbor::Value& b = *bv;
  KW_TRY_STATUS(check_keys(b, 13, "the body"));
  KW_TRY(auto* id, bytes_field(b, 1, "package id", kPackageIdSize));
  std::copy(id->begin(), id->end(), p.package_id.begin());
  KW_TRY(auto* env, field(b, 2, "env"));
  if (!env->is_text() || !vault::valid_env_name(env->as_text())) return malformed("invalid env");
  p.env = env->as_text();
  KW_TRY(p.created, uint_field(b, 3, "created"));
  KW_TRY(p.expires, uint_field(b, 4, "expires"));
  KW_TRY(p.token_expires, uint_field(b, 7, "token expiry"));
  if (p.expires <= p.created || p.token_expires > p.expires) {
    return malformed("inconsistent lifetimes");
  }
  std::vector<std::string> seen;
  KW_TRY(auto* entries, array_field(b, 5, "entries"));
  p.entries.reserve(entries->size());
  for (const auto& e : *entries) {
    if (!e.is_array() || e.as_array().size() != 3) return malformed("an entry is not [coordinate, kind, value]");
    const auto& a = e.as_array();
    if (!a[0].is_text() || !a[2].is_bytes()) return malformed("an entry has the wrong types");
    KW_TRY_STATUS(check_coordinate(a[0].as_text(), p.env));
    KW_TRY(auto kind, parse_kind(a[1]));
    if (a[2].as_bytes().size() > vault::kMaxValueSize) return malformed("an entry value is larger than 1 MiB");
    Entry en;
    en.coordinate = a[0].as_text();
    en.kind = kind;
    en.value = SecretBytes::copy_of(ByteView(a[2].as_bytes()));
    seen.push_back(en.coordinate);
    p.entries.push_back(std::move(en));
  }
  KW_TRY(auto* high, array_field(b, 6, "high coordinates"));
  for (const auto& e : *high) {
    if (!e.is_array() || e.as_array().size() != 2 || !e.as_array()[0].is_text()) {
      return malformed("a high entry is not [coordinate, kind]");
    }
    KW_TRY_STATUS(check_coordinate(e.as_array()[0].as_text(), p.env));
    KW_TRY(auto kind, parse_kind(e.as_array()[1]));
    p.high.push_back({e.as_array()[0].as_text(), kind});
    seen.push_back(e.as_array()[0].as_text());
  }
  std::sort(seen.begin(), seen.end());
  if (std::adjacent_find(seen.begin(), seen.end()) != seen.end()) {
    return malformed("a coordinate appears twice");
  }
  KW_TRY(auto* hn, bytes_field(b, 8, "high nonce", aead::kXNonceSize));
  KW_TRY(auto* hs, bytes_field(b, 9, "high ciphertext"));
  KW_TRY(auto* tn, bytes_field(b, 10, "token nonce", aead::kXNonceSize));
  KW_TRY(auto* tw, bytes_field(b, 11, "token wrap", kHighSeedSize + aead::kTagSize));
  if (hs->size() < aead::kTagSize) return malformed("high ciphertext too short");
  p.high_nonce = *hn;
  p.high_sealed = *hs;
  p.token_nonce = *tn;
  p.token_wrap = *tw;
  KW_TRY(auto* cards, array_field(b, 12, "card wraps"));
  for (const auto& c : *cards) {
    if (!c.is_array() || c.as_array().size() != 2 || !c.as_array()[0].is_array() ||
        !c.as_array()[1].is_bytes()) {
      return malformed("a card wrap is not [args, body]");
    }
    age::Stanza s;
    s.type = std::string(age::kPivP256StanzaType);
    for (const auto& a : c.as_array()[0].as_array()) {
      if (!a.is_text()) return malformed("a card wrap argument is not text");
      s.args.push_back(a.as_text());
    }
    s.body = c.as_array()[1].as_bytes();
    p.card_wraps.push_back(std::move(s));
  }
  const cbor::Value* bound = b.find(13);
  if (bound != nullptr) {
    KW_TRY(auto* rh, bytes_field(b, 13, "recipients", 32));
    std::array<std::uint8_t, 32> h{};
    std::copy(rh->begin(), rh->end(), h.begin());
    p.recipients_hash = h;
  }
  return p;
}

Status check_policy(const Payload& p, std::uint64_t now) {
  if (is_production_env(p.env) || p.env == kReservedEnv) {
    return fail(Errc::policy, "this package carries the '" + p.env +
                                  "' environment, which keyward never unpacks");
  }
  if (p.created > now + kClockSkew) {
    return fail(Errc::expired, "the package was created in the future (check this machine's clock)");
  }
  if (now >= p.expires) {
    return fail(Errc::expired, "the package expired " + std::to_string(now - p.expires) +
                                   " s ago: ask the sender for a new one");
  }
  return ok();
}

Result<Payload> open(std::span<age::Identity* const> identities, ByteView file,
                     age::Stage* failed_stage) {
  std::string header;
  KW_TRY(auto plain, age::decrypt_bytes(identities, file, {}, failed_stage, &header));
  if (plain.size() > kMaxPayloadSize) return malformed("payload too large");
  KW_TRY(auto p, parse_payload(plain));
  KW_TRY_STATUS(check_recipients(p, header));
  return p;
}

Result<std::vector<Entry>> open_high_with_token(const Payload& p, const Token& t,
                                                std::uint64_t now) {
  if (!ct_equal(t.package_id, p.package_id) || t.expires != p.token_expires) {
    return fail(Errc::auth_failed, "this access token belongs to another package");
  }
  if (now >= p.token_expires) {
    return fail(Errc::expired, "the access token expired " + std::to_string(now - p.token_expires) +
                                   " s ago: ask the sender for a new package and token");
  }
  KW_TRY(auto tk, token_key(t.secret, p.package_id));
  KW_TRY(auto seed, aead::xchacha_open(tk, p.token_nonce, p.token_wrap,
                                       token_aad(p.package_id, p.token_expires)));
  return open_high_with_seed(p, seed);
}

Result<std::optional<std::vector<Entry>>> open_high_with_card(
    const Payload& p, std::span<age::Identity* const> card_identities) {
  for (auto* id : card_identities) {
    KW_TRY(auto seed, id->unwrap(p.card_wraps));
    if (!seed) continue;
    if (seed->size() != kHighSeedSize) return fail(Errc::decrypt_failed, std::string(kDecryptFailedMessage));
    KW_TRY(auto entries, open_high_with_seed(p, *seed));
    return std::optional<std::vector<Entry>>(std::move(entries));
  }
  return std::optional<std::vector<Entry>>();
}

std::string fingerprint(const PackageId& id, ByteView value) {
  auto h = hash::blake2b_keyed(id, value, 32);
  if (!h) return "????????";
  return encoding::hex_encode(ByteView(h->data(), 4));
}

std::string signer_to_string(const pubkey::Ed25519Public& pk) {
  auto r = age::SshEd25519Recipient::from_public_key(pk);
  return r ? r->to_string() : std::string();
}

Result<pubkey::Ed25519Public> parse_signer(std::string_view text) {
  auto bad = [] {
    return fail(Errc::malformed, "a sender key is an OpenSSH Ed25519 public key "
                                 "(\"ssh-ed25519 AAAA...\", as `keyward pubkey` prints it)");
  };
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
  constexpr std::string_view kPrefix = "ssh-ed25519 ";
  if (text.substr(0, kPrefix.size()) != kPrefix) return bad();
  text.remove_prefix(kPrefix.size());
  auto sp = text.find(' ');
  auto blob = encoding::base64_decode(text.substr(0, sp));
  if (!blob) return bad();
  // SSH wire: string "ssh-ed25519", string key(32)
  const Bytes& w = *blob;
  if (w.size() != 4 + 11 + 4 + 32) return bad();
  auto be32 = [&](std::size_t o) {
    return (std::uint32_t(w[o]) << 24) | (std::uint32_t(w[o + 1]) << 16) |
           (std::uint32_t(w[o + 2]) << 8) | std::uint32_t(w[o + 3]);
  };
  if (be32(0) != 11 || as_chars(ByteView(w.data() + 4, 11)) != "ssh-ed25519" || be32(15) != 32) {
    return bad();
  }
  pubkey::Ed25519Public k{};
  std::copy(w.begin() + 19, w.end(), k.begin());
  return k;
}

}  // namespace keyward::package
