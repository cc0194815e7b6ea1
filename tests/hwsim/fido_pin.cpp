// authenticatorClientPIN and the PIN/UV auth protocols 1 and 2 of the virtual authenticator.
#include <algorithm>

#include "fido_auth.h"

namespace hwsim {
namespace {

constexpr std::uint8_t kOk = 0x00, kInvalidParameter = 0x02, kMissingParameter = 0x14,
                       kNotAllowed = 0x30, kPinInvalid = 0x31, kPinBlocked = 0x32, kPinAuthInvalid = 0x33,
                       kPinAuthBlocked = 0x34, kPinNotSet = 0x35, kPinPolicyViolation = 0x37,
                       kInvalidSubcommand = 0x3E, kUnauthorizedPermission = 0x40;

const Bytes kZero16(16, 0);

Bytes slice(const Bytes& b, std::size_t from, std::size_t len) {
  return Bytes(b.begin() + static_cast<long>(from), b.begin() + static_cast<long>(from + len));
}

// Number of Unicode code points in UTF-8 text.
std::size_t code_points(const Bytes& utf8) {
  return static_cast<std::size_t>(std::count_if(utf8.begin(), utf8.end(), [](std::uint8_t c) { return (c & 0xC0) != 0x80; }));
}

}  // namespace

Bytes PinProtocol::kdf(const Bytes& z) const {
  if (version == 1) return sha256(z);
  const Bytes salt(32, 0);
  Bytes out = hkdf_sha256(salt, z, "CTAP2 HMAC key", 32);
  Bytes aes = hkdf_sha256(salt, z, "CTAP2 AES key", 32);
  out.insert(out.end(), aes.begin(), aes.end());
  return out;
}

std::optional<Bytes> PinProtocol::encrypt(const Bytes& key, const Bytes& plain) const {
  if (version == 1) return aes256_cbc(true, key, kZero16, plain);
  if (key.size() != 64) return std::nullopt;
  Bytes iv = random_bytes(16);
  auto ct = aes256_cbc(true, slice(key, 32, 32), iv, plain);
  if (!ct) return std::nullopt;
  iv.insert(iv.end(), ct->begin(), ct->end());
  return iv;
}

std::optional<Bytes> PinProtocol::decrypt(const Bytes& key, const Bytes& cipher) const {
  if (version == 1) return aes256_cbc(false, key, kZero16, cipher);
  if (key.size() != 64 || cipher.size() < 16) return std::nullopt;
  return aes256_cbc(false, slice(key, 32, 32), slice(cipher, 0, 16), slice(cipher, 16, cipher.size() - 16));
}

Bytes PinProtocol::authenticate(const Bytes& key, const Bytes& msg) const {
  if (version == 1) {
    Bytes mac = hmac_sha256(key, msg);
    mac.resize(16);
    return mac;
  }
  return hmac_sha256(key.size() > 32 ? slice(key, 0, 32) : key, msg);
}

bool PinProtocol::verify(const Bytes& key, const Bytes& msg, const Bytes& param) const {
  return ct_equal(authenticate(key, msg), param);
}

bool Authenticator::protocol_supported(int p) const {
  return std::find(opts_.pin_protocols.begin(), opts_.pin_protocols.end(), p) != opts_.pin_protocols.end();
}

Cbor Authenticator::key_agreement_cose() const {
  Bytes point = key_agreement_->public_point();
  return Cbor::map({{Cbor::integer(1), Cbor::integer(2)},
                    {Cbor::integer(3), Cbor::integer(-25)},
                    {Cbor::integer(-1), Cbor::integer(1)},
                    {Cbor::integer(-2), Cbor::byte_string(slice(point, 1, 32))},
                    {Cbor::integer(-3), Cbor::byte_string(slice(point, 33, 32))}});
}

std::optional<std::pair<Bytes, PinProtocol>> Authenticator::decapsulate(const Cbor* platform_key, int proto) const {
  if (!platform_key || platform_key->type != Cbor::Type::map || !protocol_supported(proto)) return std::nullopt;
  const Cbor* x = platform_key->get(-2);
  const Cbor* y = platform_key->get(-3);
  const Cbor* kty = platform_key->get(1);
  if (!x || !y || x->type != Cbor::Type::bytes || y->type != Cbor::Type::bytes || x->bytes.size() != 32 ||
      y->bytes.size() != 32 || !kty || kty->as_int() != 2) {
    return std::nullopt;
  }
  Bytes point = {0x04};
  point.insert(point.end(), x->bytes.begin(), x->bytes.end());
  point.insert(point.end(), y->bytes.begin(), y->bytes.end());
  auto peer = EcKey::from_public_point(EcKey::Curve::p256, point);
  if (!peer) return std::nullopt;
  auto z = key_agreement_->ecdh(*peer);
  if (!z) return std::nullopt;
  PinProtocol p{proto};
  return std::make_pair(p.kdf(*z), p);
}

std::uint8_t Authenticator::check_pin_uv_auth(const Cbor& req, int param_key, int proto_key, const Bytes& cdh,
                                              std::uint8_t permission, const std::string& rp_id) {
  const Cbor* param = req.get(param_key);
  const Cbor* proto = req.get(proto_key);
  if (!proto || !proto->is_int()) return kMissingParameter;
  if (!protocol_supported(static_cast<int>(proto->as_int()))) return kInvalidParameter;
  if (!param || param->type != Cbor::Type::bytes) return kInvalidParameter;
  if (!token_valid_) return kPinAuthInvalid;
  PinProtocol p{static_cast<int>(proto->as_int())};
  if (!p.verify(pin_token_, cdh, param->bytes)) return kPinAuthInvalid;
  if (!(token_permissions_ & permission)) return kUnauthorizedPermission;
  if (token_rp_id_ && *token_rp_id_ != rp_id) return kUnauthorizedPermission;
  if (!token_rp_id_) token_rp_id_ = rp_id;  // first use binds the token to this rp id (CTAP 2.1)
  return kOk;
}

Authenticator::Reply Authenticator::client_pin(const Cbor& req, const Tick& tick, bool& removed) {
  const Cbor* proto_v = req.get(1);
  const Cbor* sub_v = req.get(2);
  if (!sub_v || !sub_v->is_int()) return err(kMissingParameter);
  const int sub = static_cast<int>(sub_v->as_int());
  if (sub == 0x01) {  // getPINRetries
    return Reply{kOk, Cbor::map({{Cbor::integer(3), Cbor::integer(st_.pin_retries)},
                                 {Cbor::integer(4), Cbor::boolean(false)}})};
  }
  if (!proto_v || !proto_v->is_int()) return err(kMissingParameter);
  const int proto = static_cast<int>(proto_v->as_int());
  if (!protocol_supported(proto)) return err(kInvalidParameter);
  if (sub == 0x02) {  // getKeyAgreement
    return Reply{kOk, Cbor::map({{Cbor::integer(1), key_agreement_cose()}})};
  }
  if (sub == 0x07) {  // getUVRetries
    if (!bio_) return err(kInvalidSubcommand);
    return Reply{kOk, Cbor::map({{Cbor::integer(5), Cbor::integer(uv_retries_)}})};
  }
  if (sub != 0x03 && sub != 0x04 && sub != 0x05 && sub != 0x06 && sub != 0x09) return err(kInvalidSubcommand);
  if (sub == 0x06 && !bio_) return err(kInvalidSubcommand);

  auto shared = decapsulate(req.get(3), proto);
  if (!req.get(3)) return err(kMissingParameter);
  if (!shared) return err(kInvalidParameter);
  const Bytes& key = shared->first;
  const PinProtocol& p = shared->second;

  auto set_new_pin = [&](const Bytes& new_pin_enc) -> std::uint8_t {
    auto padded = p.decrypt(key, new_pin_enc);
    if (!padded || padded->size() != 64) return kPinPolicyViolation;
    Bytes pin(padded->begin(), std::find(padded->begin(), padded->end(), 0));
    if (code_points(pin) < 4 || pin.size() > 63) return kPinPolicyViolation;
    Bytes h = sha256(pin);
    h.resize(16);
    st_.pin_hash = h;
    st_.pin_retries = 8;
    save();
    return kOk;
  };
  // Checks pinHashEnc against the stored PIN, with the retry and mismatch accounting.
  auto check_pin_hash = [&](const Bytes& pin_hash_enc) -> std::uint8_t {
    if (st_.pin_retries <= 0) return kPinBlocked;
    --st_.pin_retries;
    save();
    auto h = p.decrypt(key, pin_hash_enc);
    if (!h || !ct_equal(*h, *st_.pin_hash)) {
      key_agreement_ = EcKey::generate(EcKey::Curve::p256);
      ++consecutive_pin_mismatches_;
      if (st_.pin_retries <= 0) return kPinBlocked;
      if (consecutive_pin_mismatches_ >= 3) return kPinAuthBlocked;
      return kPinInvalid;
    }
    consecutive_pin_mismatches_ = 0;
    st_.pin_retries = 8;
    uv_retries_ = kMaxUvRetries;  // a correct PIN resets the built-in UV retries (CTAP 2.1)
    save();
    return kOk;
  };

  if (sub == 0x03) {  // setPIN
    const Cbor* auth = req.get(4);
    const Cbor* new_pin = req.get(5);
    if (!auth || !new_pin || auth->type != Cbor::Type::bytes || new_pin->type != Cbor::Type::bytes) {
      return err(kMissingParameter);
    }
    if (st_.pin_hash) return err(kNotAllowed);
    if (!p.verify(key, new_pin->bytes, auth->bytes)) return err(kPinAuthInvalid);
    return err(set_new_pin(new_pin->bytes));
  }
  if (sub == 0x04) {  // changePIN
    const Cbor* auth = req.get(4);
    const Cbor* new_pin = req.get(5);
    const Cbor* pin_hash = req.get(6);
    if (!auth || !new_pin || !pin_hash || auth->type != Cbor::Type::bytes || new_pin->type != Cbor::Type::bytes ||
        pin_hash->type != Cbor::Type::bytes) {
      return err(kMissingParameter);
    }
    if (!st_.pin_hash) return err(kPinNotSet);
    if (st_.pin_retries <= 0) return err(kPinBlocked);
    Bytes msg = new_pin->bytes;
    msg.insert(msg.end(), pin_hash->bytes.begin(), pin_hash->bytes.end());
    if (!p.verify(key, msg, auth->bytes)) return err(kPinAuthInvalid);
    if (auto e = check_pin_hash(pin_hash->bytes)) return err(e);
    token_valid_ = false;
    return err(set_new_pin(new_pin->bytes));
  }
  // getPinToken (05) / getPinUvAuthTokenUsingUvWithPermissions (06) /
  // getPinUvAuthTokenUsingPinWithPermissions (09)
  const Cbor* pin_hash = req.get(6);
  if (sub != 0x06 && (!pin_hash || pin_hash->type != Cbor::Type::bytes)) return err(kMissingParameter);
  std::uint8_t permissions = 0x01 | 0x02;  // legacy token: makeCredential + getAssertion
  std::optional<std::string> rp_id;
  if (sub == 0x09 || sub == 0x06) {
    const Cbor* perm = req.get(9);
    if (!perm || !perm->is_int()) return err(kMissingParameter);
    if (perm->as_int() == 0) return err(kInvalidParameter);
    permissions = static_cast<std::uint8_t>(perm->as_int());
    if (permissions & ~0x03) return err(kUnauthorizedPermission);  // only mc/ga are modelled
    if (const Cbor* r = req.get(10); r && r->type == Cbor::Type::text) rp_id = r->text;
  }
  if (sub == 0x06) {
    if (auto e = builtin_uv(tick, removed)) {
      token_valid_ = false;
      return err(e);
    }
    token_user_present_ = true;
  } else {
    if (!st_.pin_hash) return err(kPinNotSet);
    if (auto e = check_pin_hash(pin_hash->bytes)) return err(e);
    token_user_present_ = false;
  }
  pin_token_ = random_bytes(32);
  token_valid_ = true;
  token_permissions_ = permissions;
  token_rp_id_ = rp_id;
  auto enc = p.encrypt(key, pin_token_);
  if (!enc) return err(0x7F);
  return Reply{kOk, Cbor::map({{Cbor::integer(2), Cbor::byte_string(*enc)}})};
}

}  // namespace hwsim
