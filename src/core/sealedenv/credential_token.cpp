#include "core/sealedenv/credential_token.h"

#include "core/base64.h"
#include "core/hash.h"
#include "core/hex.h"
#include "core/random.h"
#include "core/sealedenv/errors.h"

namespace keyward::sealedenv {
namespace {

tl::unexpected<Error> invalid(std::string_view cause, std::string_view detail) {
  return se_fail(kTokenInvalid, cause, detail);
}

bool token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

const cbor::Value* field(const cbor::Value& map, std::string_view key) { return map.find(key); }

bool bstr_of(const cbor::Value* v, std::size_t n) {
  return v && v->is_bytes() && v->as_bytes().size() == n;
}

// Wipes a non-secret-typed buffer that held key bytes.
struct Wiper {
  Bytes& b;
  ~Wiper() { secure_wipe(b.data(), b.size()); }
};

Result<SecretBytes> encode_map(char mode, cbor::Map entries) {
  KW_TRY(cbor::Value map, cbor::Value::map(std::move(entries)));
  Bytes raw = cbor::encode(map);
  Wiper w{raw};
  return wrap_payload(mode, raw);
}

}  // namespace

std::string token_checksum(std::string_view payload_text) {
  Bytes mac = hash::hmac_sha256(as_bytes("sealed-env:token-checksum:v1"), as_bytes(payload_text));
  return encoding::hex_encode(ByteView(mac).first(2));
}

SecretBytes wrap_payload(char mode, ByteView cbor_payload) {
  std::string payload = encoding::base64url_encode(cbor_payload);
  std::string text = std::string(kTokenPrefix) + mode + "_" + token_checksum(payload) + "_" + payload;
  SecretBytes out = SecretBytes::copy_of(std::string_view(text));
  secure_wipe(payload.data(), payload.size());
  secure_wipe(text.data(), text.size());
  return out;
}

Result<CredentialToken> parse_token(std::string_view token) {
  // 1. length
  if (token.size() > kMaxTokenLength) return invalid("too-long", "token is longer than 512 bytes");
  // 2. prefix
  if (token.substr(0, kTokenPrefix.size()) != kTokenPrefix)
    return invalid("bad-prefix", "token must start with sealed_env_");
  // 3. charset
  for (char c : token)
    if (!token_char(c)) return invalid("bad-charset", "token may only contain [a-zA-Z0-9_-]");
  // 4. shape: split on '_' from the left into 5 fields; the payload is the rest.
  std::string_view rest = token.substr(kTokenPrefix.size());
  auto u1 = rest.find('_');
  if (u1 == std::string_view::npos) return invalid("bad-shape", "expected sealed_env_<mode>_<checksum>_<payload>");
  std::string_view mode = rest.substr(0, u1);
  rest.remove_prefix(u1 + 1);
  auto u2 = rest.find('_');
  if (u2 == std::string_view::npos) return invalid("bad-shape", "expected sealed_env_<mode>_<checksum>_<payload>");
  std::string_view cksum = rest.substr(0, u2);
  std::string_view payload = rest.substr(u2 + 1);
  // 5. mode
  if (mode.size() != 1 || std::string_view("bteud").find(mode[0]) == std::string_view::npos)
    return invalid("bad-mode", "unknown token mode (expected b, t, e, u or d)");
  // 6. checksum over the payload text, before any decoding
  if (cksum.size() != 4 || !ct_equal(cksum, token_checksum(payload)))
    return invalid("checksum-mismatch", "token checksum does not match (copy-paste damage?)");
  // 7. base64url
  auto raw = encoding::base64url_decode(payload);
  if (!raw) return invalid("bad-base64", "payload is not base64url without padding");
  Wiper w{*raw};
  // 8. deterministic CBOR
  auto decoded = cbor::decode(*raw, cbor::DecodeLimits{8, 256});
  if (!decoded) return invalid("bad-cbor", "payload is not deterministic CBOR");
  const cbor::Value& map = *decoded;
  // 9. schema (§11.6); unknown keys are ignored (§11.8)
  auto bad_payload = [&](std::string_view d) { return invalid("bad-payload", d); };
  if (!map.is_map()) return bad_payload("payload is not a CBOR map");
  CredentialToken t;
  t.mode = mode[0];
  switch (t.mode) {
    case 'e':
      if (!bstr_of(field(map, "t"), 20)) return bad_payload("mode e needs t: 20-byte byte string");
      t.totp = SecretBytes::copy_of(ByteView(field(map, "t")->as_bytes()));
      [[fallthrough]];
    case 't':
      if (!bstr_of(field(map, "s"), 32)) return bad_payload("needs s: 32-byte byte string");
      t.signing = SecretBytes::copy_of(ByteView(field(map, "s")->as_bytes()));
      [[fallthrough]];
    case 'b':
      if (!bstr_of(field(map, "m"), 32)) return bad_payload("needs m: 32-byte byte string");
      t.master = SecretBytes::copy_of(ByteView(field(map, "m")->as_bytes()));
      break;
    case 'u': {
      const auto *iss = field(map, "iss"), *iat = field(map, "iat"), *exp = field(map, "exp"),
                 *epoch = field(map, "epoch"), *dep = field(map, "deploy_id"),
                 *ops = field(map, "ops_id"), *sig = field(map, "sig");
      if (!iss || !iss->is_text() || !iat || !iat->is_uint() || !exp || !exp->is_uint() ||
          !epoch || !epoch->is_text() || !dep || !(dep->is_text() || dep->is_null()) || !ops ||
          !ops->is_text() || !bstr_of(sig, 32))
        return bad_payload("mode u needs iss, iat, exp, epoch, deploy_id, ops_id, sig");
      auto ep = encoding::base64_decode(epoch->as_text());
      if (!ep || ep->size() != 32) return bad_payload("epoch must be base64 of 32 bytes");
      UnsealClaims c;
      c.iss = iss->as_text();
      c.iat = iat->as_uint();
      c.exp = exp->as_uint();
      c.epoch = epoch->as_text();
      if (dep->is_text()) c.deploy_id = dep->as_text();
      c.ops_id = ops->as_text();
      t.unseal = std::move(c);
      t.unseal_sig = sig->as_bytes();
      break;
    }
    case 'd': {
      const auto *ek = field(map, "ek"), *exp = field(map, "exp"), *sig = field(map, "sig"),
                 *nonce = field(map, "nonce"), *vid = field(map, "vault_id");
      if (!bstr_of(ek, 32) || !exp || !exp->is_uint() || !bstr_of(sig, 32) || !bstr_of(nonce, 16) ||
          !bstr_of(vid, 32))
        return bad_payload("mode d needs ek, exp, sig, nonce, vault_id");
      DeployFields d;
      d.ek = SecretBytes::copy_of(ByteView(ek->as_bytes()));
      d.exp = exp->as_uint();
      d.sig = sig->as_bytes();
      d.nonce = nonce->as_bytes();
      d.vault_id = vid->as_bytes();
      if (const auto* mk = field(map, kDeployMacKeyField)) {
        if (!bstr_of(mk, 32)) return bad_payload("x-kw-mac must be a 32-byte byte string");
        d.mac_key = SecretBytes::copy_of(ByteView(mk->as_bytes()));
      }
      if (const auto* ep = field(map, kDeployEpochField)) {
        if (!bstr_of(ep, 32)) return bad_payload("x-kw-epoch must be a 32-byte byte string");
        d.epoch = SecretBytes::copy_of(ByteView(ep->as_bytes()));
      }
      t.deploy = std::move(d);
      break;
    }
    default:
      return invalid("bad-mode", "unknown token mode");
  }
  // The decoded map held key bytes in ordinary vectors; wipe them.
  for (const auto& kv : map.as_map())
    if (kv.second.is_bytes()) {
      auto& b = const_cast<Bytes&>(kv.second.as_bytes());
      secure_wipe(b.data(), b.size());
    }
  return t;
}

Result<SecretBytes> encode_tier_a(char mode, ByteView master, std::optional<ByteView> signing,
                                  std::optional<ByteView> totp) {
  if (master.size() != 32) return fail(Errc::invalid_argument, "sealed-env: master key must be 32 bytes");
  cbor::Map m;
  m.emplace_back(cbor::Value::text("m"), cbor::Value::bytes(master));
  if (mode == 't' || mode == 'e') {
    if (!signing || signing->size() != 32)
      return fail(Errc::invalid_argument, "sealed-env: signing key must be 32 bytes");
    m.emplace_back(cbor::Value::text("s"), cbor::Value::bytes(*signing));
  }
  if (mode == 'e') {
    if (!totp || totp->size() != 20)
      return fail(Errc::invalid_argument, "sealed-env: TOTP secret must be 20 bytes");
    m.emplace_back(cbor::Value::text("t"), cbor::Value::bytes(*totp));
  }
  if (mode != 'b' && mode != 't' && mode != 'e')
    return fail(Errc::invalid_argument, "sealed-env: Tier A modes are b, t and e");
  auto out = encode_map(mode, std::move(m));
  return out;
}

Result<SecretBytes> encode_unseal(const UnsealClaims& c, ByteView sig) {
  if (sig.size() != 32) return fail(Errc::invalid_argument, "sealed-env: sig must be 32 bytes");
  cbor::Map m;
  m.emplace_back(cbor::Value::text("iss"), cbor::Value::text(c.iss));
  m.emplace_back(cbor::Value::text("iat"), cbor::Value::uint(c.iat));
  m.emplace_back(cbor::Value::text("exp"), cbor::Value::uint(c.exp));
  m.emplace_back(cbor::Value::text("epoch"), cbor::Value::text(c.epoch));
  m.emplace_back(cbor::Value::text("deploy_id"),
                 c.deploy_id ? cbor::Value::text(*c.deploy_id) : cbor::Value::null());
  m.emplace_back(cbor::Value::text("ops_id"), cbor::Value::text(c.ops_id));
  m.emplace_back(cbor::Value::text("sig"), cbor::Value::bytes(sig));
  return encode_map('u', std::move(m));
}

Bytes deploy_signed_payload(ByteView ek, std::uint64_t exp, ByteView nonce, ByteView vault_id) {
  cbor::Map m;
  m.emplace_back(cbor::Value::text("ek"), cbor::Value::bytes(ek));
  m.emplace_back(cbor::Value::text("exp"), cbor::Value::uint(exp));
  m.emplace_back(cbor::Value::text("nonce"), cbor::Value::bytes(nonce));
  m.emplace_back(cbor::Value::text("vault_id"), cbor::Value::bytes(vault_id));
  return cbor::encode(*cbor::Value::map(std::move(m)));  // distinct literal keys: cannot fail
}

Result<SecretBytes> encode_deploy(const DeployFields& d) {
  if (d.ek.size() != 32 || d.sig.size() != 32 || d.nonce.size() != 16 || d.vault_id.size() != 32 ||
      (d.mac_key && d.mac_key->size() != 32) || (d.epoch && d.epoch->size() != 32))
    return fail(Errc::invalid_argument, "sealed-env: bad deploy token field sizes");
  cbor::Map m;
  m.emplace_back(cbor::Value::text("ek"), cbor::Value::bytes(d.ek.view()));
  m.emplace_back(cbor::Value::text("exp"), cbor::Value::uint(d.exp));
  m.emplace_back(cbor::Value::text("sig"), cbor::Value::bytes(d.sig));
  m.emplace_back(cbor::Value::text("nonce"), cbor::Value::bytes(d.nonce));
  m.emplace_back(cbor::Value::text("vault_id"), cbor::Value::bytes(d.vault_id));
  if (d.mac_key) m.emplace_back(cbor::Value::text(kDeployMacKeyField), cbor::Value::bytes(d.mac_key->view()));
  if (d.epoch) m.emplace_back(cbor::Value::text(kDeployEpochField), cbor::Value::bytes(d.epoch->view()));
  return encode_map('d', std::move(m));
}

}  // namespace keyward::sealedenv
