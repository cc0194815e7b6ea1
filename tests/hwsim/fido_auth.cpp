// CTAP2 commands of the virtual authenticator (see fido_pin.cpp for clientPIN).
#include "fido_auth.h"

#include <sstream>
#include <stdexcept>

namespace hwsim {
namespace {

constexpr std::uint8_t kOk = 0x00, kInvalidCommand = 0x01, kInvalidParameter = 0x02, kInvalidLength = 0x03,
                       kInvalidCbor = 0x12, kMissingParameter = 0x14, kCredentialExcluded = 0x19,
                       kUnsupportedAlgorithm = 0x26, kOperationDenied = 0x27, kKeepaliveCancel = 0x2D,
                       kInvalidOption = 0x2C, kNoCredentials = 0x2E, kNotAllowed = 0x30, kPinInvalid = 0x31,
                       kPinAuthInvalid = 0x33, kPinNotSet = 0x35, kPuatRequired = 0x36, kActionTimeout = 0x3A,
                       kOther = 0x7F;
constexpr std::uint8_t kPermMakeCredential = 0x01, kPermGetAssertion = 0x02;
constexpr std::uint8_t kFlagUp = 0x01, kFlagUv = 0x04, kFlagAt = 0x40, kFlagEd = 0x80;

void put_u32(Bytes& out, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
}

Cbor cose_es256(const Bytes& point) {
  return Cbor::map({{Cbor::integer(1), Cbor::integer(2)},
                    {Cbor::integer(3), Cbor::integer(-7)},
                    {Cbor::integer(-1), Cbor::integer(1)},
                    {Cbor::integer(-2), Cbor::byte_string(Bytes(point.begin() + 1, point.begin() + 33))},
                    {Cbor::integer(-3), Cbor::byte_string(Bytes(point.begin() + 33, point.end()))}});
}

Cbor text(const char* s) { return Cbor::text_string(s); }

bool option(const Cbor& req, int key, const char* name, bool dflt, bool& present) {
  present = false;
  const Cbor* opts = req.get(key);
  if (!opts || opts->type != Cbor::Type::map) return dflt;
  const Cbor* v = opts->get(name);
  if (!v || v->type != Cbor::Type::boolean) return dflt;
  present = true;
  return v->flag;
}

}  // namespace

Authenticator::Authenticator(std::string state_path, Presence& presence, FidoOptions opts)
    : state_path_(std::move(state_path)), presence_(presence), opts_(std::move(opts)) {
  if (!load()) {
    new_state();
    save();
  }
  power_cycle();
}

void Authenticator::new_state() {
  st_ = FidoState{};
  st_.aaguid = sha256(std::string("keyward-hwsim virtual authenticator"));
  st_.aaguid.resize(16);
  st_.aaguid[15] = static_cast<std::uint8_t>(opts_.index);
  st_.master_key = random_bytes(32);
}

void Authenticator::power_cycle() {
  std::lock_guard lock(mu_);
  key_agreement_ = EcKey::generate(EcKey::Curve::p256);
  pin_token_ = random_bytes(32);
  token_valid_ = false;
  token_permissions_ = 0;
  token_rp_id_.reset();
  consecutive_pin_mismatches_ = 0;
  pending_ = Pending{};
}

void Authenticator::factory_reset() {
  {
    std::lock_guard lock(mu_);
    const Bytes aaguid = st_.aaguid;
    // Also the volatile test profiles: honest answers, no biometric profile.
    lie_ = Lie::none;
    last_reply_.reset();
    bio_ = false;
    fingers_.clear();
    finger_match_ = true;
    uv_retries_ = kMaxUvRetries;
    new_state();
    st_.aaguid = aaguid;
    save();
  }
  power_cycle();
}

void Authenticator::block_pin() {
  std::lock_guard lock(mu_);
  st_.pin_retries = 0;
  token_valid_ = false;
  save();
}

std::string Authenticator::status() const {
  std::unique_lock lock(mu_, std::try_to_lock);
  if (!lock.owns_lock()) return "authenticator=busy";
  std::ostringstream os;
  os << "pin_set=" << (st_.pin_hash ? 1 : 0) << " pin_retries=" << st_.pin_retries
     << " resident_credentials=" << st_.resident.size() << " counter=" << st_.counter;
  if (bio_) os << " bio=1 fingers=" << fingers_.size() << " uv_retries=" << uv_retries_;
  return os.str();
}

std::uint8_t Authenticator::user_presence(const Tick& tick, bool& removed) {
  switch (presence_.wait(tick)) {
    case Outcome::touched: return kOk;
    case Outcome::refused: return kOperationDenied;
    case Outcome::timed_out: return kActionTimeout;
    case Outcome::cancelled: return kKeepaliveCancel;
    case Outcome::removed:
      removed = true;
      return kOther;
  }
  return kOther;
}

std::optional<Bytes> Authenticator::handle(const Bytes& request, const Tick& tick) {
  std::lock_guard lock(mu_);
  if (request.empty()) return Bytes{kInvalidLength};
  const std::uint8_t cmd = request[0];
  Cbor req = Cbor::map({});
  if (request.size() > 1) {
    auto parsed = cbor_decode(Bytes(request.begin() + 1, request.end()));
    if (!parsed) return Bytes{kInvalidCbor};
    if (parsed->type != Cbor::Type::map) return Bytes{0x11};  // CBOR_UNEXPECTED_TYPE
    req = std::move(*parsed);
  }
  bool removed = false;
  Reply r;
  try {
    switch (cmd) {
      case 0x01: r = make_credential(req, tick, removed); break;
      case 0x02: r = get_assertion(req, tick, removed); break;
      case 0x04: r = get_info(); break;
      case 0x06: r = client_pin(req, tick, removed); break;
      case 0x07: r = reset(tick, removed); break;
      case 0x08: r = get_next_assertion(); break;
      case 0x0B: r = selection(tick, removed); break;
      default: r = err(kInvalidCommand); break;
    }
  } catch (const std::exception&) {
    r = err(kOther);
  }
  if (removed) return std::nullopt;
  Bytes out = {r.status};
  if (r.status == kOk && r.body) {
    Bytes body = cbor_encode(*r.body);
    out.insert(out.end(), body.begin(), body.end());
  }
  return out;
}

Authenticator::Reply Authenticator::get_info() const {
  const bool v21 = protocol_supported(2);
  std::vector<Cbor> versions = {text("FIDO_2_0"), text(v21 ? "FIDO_2_1" : "FIDO_2_1_PRE")};
  std::vector<std::pair<Cbor, Cbor>> options = {{text("rk"), Cbor::boolean(true)},
                                                {text("up"), Cbor::boolean(true)},
                                                {text("plat"), Cbor::boolean(false)},
                                                {text("clientPin"), Cbor::boolean(st_.pin_hash.has_value())}};
  if (bio_) {  // biometric profile: built-in UV, configured once a fingerprint is enrolled
    options.push_back({text("uv"), Cbor::boolean(!fingers_.empty())});
    options.push_back({text("bioEnroll"), Cbor::boolean(!fingers_.empty())});
  }
  if (v21) {
    options.push_back({text("pinUvAuthToken"), Cbor::boolean(true)});
    options.push_back({text("makeCredUvNotRqd"), Cbor::boolean(true)});
  }
  std::vector<Cbor> protocols;
  for (int p : opts_.pin_protocols) protocols.push_back(Cbor::integer(p));
  Cbor info = Cbor::map({
      {Cbor::integer(1), Cbor::array(versions)},
      {Cbor::integer(2), Cbor::array({text("credProtect"), text("hmac-secret")})},
      {Cbor::integer(3), Cbor::byte_string(st_.aaguid)},
      {Cbor::integer(4), Cbor::map(options)},
      {Cbor::integer(5), Cbor::integer(1200)},
      {Cbor::integer(6), Cbor::array(protocols)},
      {Cbor::integer(7), Cbor::integer(8)},
      {Cbor::integer(8), Cbor::integer(128)},
      {Cbor::integer(9), Cbor::array({text("usb")})},
      {Cbor::integer(10), Cbor::array({Cbor::map({{text("alg"), Cbor::integer(-7)}, {text("type"), text("public-key")}})})},
      {Cbor::integer(13), Cbor::integer(4)},
      {Cbor::integer(14), Cbor::integer(0x050403)},
  });
  return Reply{kOk, info};
}

Authenticator::Reply Authenticator::make_credential(const Cbor& req, const Tick& tick, bool& removed) {
  const Cbor* cdh = req.get(1);
  const Cbor* rp = req.get(2);
  const Cbor* user = req.get(3);
  const Cbor* params = req.get(4);
  if (!cdh || !rp || !user || !params) return err(kMissingParameter);
  if (cdh->type != Cbor::Type::bytes || rp->type != Cbor::Type::map || user->type != Cbor::Type::map ||
      params->type != Cbor::Type::array) {
    return err(0x11);
  }
  const Cbor* rp_id = rp->get("id");
  const Cbor* user_id = user->get("id");
  if (!rp_id || rp_id->type != Cbor::Type::text || !user_id || user_id->type != Cbor::Type::bytes) {
    return err(kMissingParameter);
  }
  if (user_id->bytes.size() > 64) return err(kInvalidLength);
  bool es256 = false;
  for (const auto& p : params->items) {
    const Cbor* alg = p.get("alg");
    const Cbor* type = p.get("type");
    if (alg && alg->is_int() && alg->as_int() == -7 && type && type->type == Cbor::Type::text &&
        type->text == "public-key") {
      es256 = true;
    }
  }
  if (!es256) return err(kUnsupportedAlgorithm);

  bool present = false;
  const bool rk = option(req, 7, "rk", false, present);
  const bool uv_opt = option(req, 7, "uv", false, present);
  const bool up_opt = option(req, 7, "up", true, present);
  if ((uv_opt && !bio_) || (present && !up_opt)) return err(kInvalidOption);  // up:false invalid

  const Bytes rp_hash = sha256(rp_id->text);
  bool uv = false;
  if (uv_opt && !req.get(8)) {  // CTAP 2.0 style: built-in UV inside the command
    if (auto e = builtin_uv(tick, removed)) return err(e);
    uv = true;
  } else if (const Cbor* param = req.get(8)) {
    if (param->type == Cbor::Type::bytes && param->bytes.empty()) {  // "touch to select" probe
      if (auto e = user_presence(tick, removed)) return err(e);
      return err(st_.pin_hash ? kPinInvalid : kPinNotSet);
    }
    if (!st_.pin_hash) return err(kPinNotSet);
    if (auto e = check_pin_uv_auth(req, 8, 9, cdh->bytes, kPermMakeCredential, rp_id->text)) return err(e);
    uv = true;
  } else if (st_.pin_hash && (rk || !protocol_supported(2))) {
    return err(kPuatRequired);  // PIN set: discoverable credentials (and all, pre-2.1) need the PIN
  }

  if (const Cbor* exclude = req.get(5); exclude && exclude->type == Cbor::Type::array) {
    for (const auto& d : exclude->items) {
      const Cbor* id = d.get("id");
      if (id && id->type == Cbor::Type::bytes && unwrap_credential(id->bytes, rp_hash)) {
        if (auto e = user_presence(tick, removed)) return err(e);
        return err(kCredentialExcluded);
      }
    }
  }

  Credential c;
  c.rp_id = rp_id->text;
  c.rp_id_hash = rp_hash;
  c.user_id = user_id->bytes;
  if (const Cbor* n = user->get("name"); n && n->type == Cbor::Type::text) c.user_name = n->text;
  if (const Cbor* n = user->get("displayName"); n && n->type == Cbor::Type::text) c.display_name = n->text;
  c.resident = rk;
  bool want_prot = false;
  if (const Cbor* ext = req.get(6); ext && ext->type == Cbor::Type::map) {
    if (const Cbor* h = ext->get("hmac-secret"); h && h->type == Cbor::Type::boolean && h->flag) c.hmac_secret = true;
    if (const Cbor* p = ext->get("credProtect"); p && p->is_int()) {
      if (p->as_int() < 1 || p->as_int() > 3) return err(kInvalidParameter);
      c.cred_protect = static_cast<int>(p->as_int());
      want_prot = true;
    }
  }

  if (uv && token_user_present_) {
    token_user_present_ = false;  // the finger on the sensor was the presence
  } else if (auto e = user_presence(tick, removed)) {
    return err(e);
  }

  EcKey key = EcKey::generate(EcKey::Curve::p256);
  c.scalar = key.private_scalar();
  c.cred_random_uv = random_bytes(32);
  c.cred_random_no_uv = random_bytes(32);
  c.id = wrap_credential(c);
  if (rk) {
    // one discoverable credential per (rp, user)
    std::erase_if(st_.resident, [&](const Credential& r) { return r.rp_id == c.rp_id && r.user_id == c.user_id; });
    st_.resident.push_back(c);
  }
  ++st_.counter;
  save();

  std::vector<std::pair<Cbor, Cbor>> ext_out;
  if (want_prot) ext_out.push_back({text("credProtect"), Cbor::integer(c.cred_protect)});
  if (c.hmac_secret) ext_out.push_back({text("hmac-secret"), Cbor::boolean(true)});

  Bytes auth_data = rp_hash;
  auth_data.push_back(static_cast<std::uint8_t>(kFlagUp | (uv ? kFlagUv : 0) | kFlagAt | (ext_out.empty() ? 0 : kFlagEd)));
  put_u32(auth_data, st_.counter);
  auth_data.insert(auth_data.end(), st_.aaguid.begin(), st_.aaguid.end());
  auth_data.push_back(static_cast<std::uint8_t>(c.id.size() >> 8));
  auth_data.push_back(static_cast<std::uint8_t>(c.id.size()));
  auth_data.insert(auth_data.end(), c.id.begin(), c.id.end());
  Bytes cose = cbor_encode(cose_es256(key.public_point()));
  auth_data.insert(auth_data.end(), cose.begin(), cose.end());
  if (!ext_out.empty()) {
    Bytes e = cbor_encode(Cbor::map(ext_out));
    auth_data.insert(auth_data.end(), e.begin(), e.end());
  }
  // "packed" self attestation: signed by the credential key itself
  Bytes signed_data = auth_data;
  signed_data.insert(signed_data.end(), cdh->bytes.begin(), cdh->bytes.end());
  Bytes sig = key.sign_message(signed_data);
  return Reply{kOk, Cbor::map({{Cbor::integer(1), text("packed")},
                               {Cbor::integer(2), Cbor::byte_string(auth_data)},
                               {Cbor::integer(3), Cbor::map({{text("alg"), Cbor::integer(-7)},
                                                             {text("sig"), Cbor::byte_string(sig)}})}})};
}

Authenticator::Reply Authenticator::assertion_for(const Credential& c, const Bytes& cdh, bool up, bool uv,
                                                  const Cbor* hmac_ext, bool include_user, std::optional<int> count) {
  std::optional<Bytes> hmac_out;
  if (hmac_ext && c.hmac_secret) {
    if (hmac_ext->type != Cbor::Type::map) return err(kInvalidParameter);
    const Cbor* proto_v = hmac_ext->get(4);
    const int proto = proto_v && proto_v->is_int() ? static_cast<int>(proto_v->as_int()) : 1;
    const Cbor* salt_enc = hmac_ext->get(2);
    const Cbor* salt_auth = hmac_ext->get(3);
    if (!hmac_ext->get(1) || !salt_enc || !salt_auth || salt_enc->type != Cbor::Type::bytes ||
        salt_auth->type != Cbor::Type::bytes) {
      return err(kMissingParameter);
    }
    auto shared = decapsulate(hmac_ext->get(1), proto);
    if (!shared) return err(kInvalidParameter);
    const Bytes& key = shared->first;
    const PinProtocol& p = shared->second;
    if (!p.verify(key, salt_enc->bytes, salt_auth->bytes)) return err(kPinAuthInvalid);
    auto salts = p.decrypt(key, salt_enc->bytes);
    if (!salts || (salts->size() != 32 && salts->size() != 64)) return err(kInvalidLength);
    const Bytes& cred_random = uv ? c.cred_random_uv : c.cred_random_no_uv;
    Bytes out = hmac_sha256(cred_random, Bytes(salts->begin(), salts->begin() + 32));
    if (salts->size() == 64) {
      Bytes out2 = hmac_sha256(cred_random, Bytes(salts->begin() + 32, salts->end()));
      out.insert(out.end(), out2.begin(), out2.end());
    }
    hmac_out = p.encrypt(key, out);
    if (!hmac_out) return err(kOther);
  }
  ++st_.counter;
  save();
  // Hostile answers (control `lie`): the flags, the counter or the signing key are not what an
  // honest authenticator would give for this request.
  if (lie_ == Lie::up0) up = false;
  if (lie_ == Lie::uv0) uv = false;
  Bytes auth_data = c.rp_id_hash;
  auth_data.push_back(static_cast<std::uint8_t>((up ? kFlagUp : 0) | (uv ? kFlagUv : 0) | (hmac_out ? kFlagEd : 0)));
  put_u32(auth_data, lie_ == Lie::counter_back ? 1 : st_.counter);
  if (hmac_out) {
    Bytes e = cbor_encode(Cbor::map({{text("hmac-secret"), Cbor::byte_string(*hmac_out)}}));
    auth_data.insert(auth_data.end(), e.begin(), e.end());
  }
  auto key = lie_ == Lie::other_cred ? std::optional<EcKey>(EcKey::generate(EcKey::Curve::p256))
                                     : EcKey::from_private(EcKey::Curve::p256, c.scalar);
  if (!key) return err(kOther);
  Bytes signed_data = auth_data;
  signed_data.insert(signed_data.end(), cdh.begin(), cdh.end());
  std::vector<std::pair<Cbor, Cbor>> body = {
      {Cbor::integer(1), Cbor::map({{text("id"), Cbor::byte_string(c.id)}, {text("type"), text("public-key")}})},
      {Cbor::integer(2), Cbor::byte_string(auth_data)},
      {Cbor::integer(3), Cbor::byte_string(key->sign_message(signed_data))}};
  if (include_user && c.resident) {
    std::vector<std::pair<Cbor, Cbor>> u = {{text("id"), Cbor::byte_string(c.user_id)}};
    if (uv && !c.user_name.empty()) u.push_back({text("name"), Cbor::text_string(c.user_name)});
    if (uv && !c.display_name.empty()) u.push_back({text("displayName"), Cbor::text_string(c.display_name)});
    body.push_back({Cbor::integer(4), Cbor::map(u)});
  }
  if (count) body.push_back({Cbor::integer(5), Cbor::integer(*count)});
  return Reply{kOk, Cbor::map(body)};
}

Authenticator::Reply Authenticator::get_assertion(const Cbor& req, const Tick& tick, bool& removed) {
  pending_ = Pending{};
  const Cbor* rp_id = req.get(1);
  const Cbor* cdh = req.get(2);
  if (!rp_id || !cdh) return err(kMissingParameter);
  if (rp_id->type != Cbor::Type::text || cdh->type != Cbor::Type::bytes) return err(0x11);
  bool present = false;
  const bool uv_opt = option(req, 5, "uv", false, present);
  const bool up = option(req, 5, "up", true, present);
  if (uv_opt && !bio_) return err(kInvalidOption);  // no built-in user verification
  const Bytes rp_hash = sha256(rp_id->text);

  bool uv = false;
  if (uv_opt && !req.get(6)) {  // CTAP 2.0 style: built-in UV inside the command
    if (auto e = builtin_uv(tick, removed)) return err(e);
    uv = true;
  } else if (const Cbor* param = req.get(6)) {
    if (param->type == Cbor::Type::bytes && param->bytes.empty()) {
      if (auto e = user_presence(tick, removed)) return err(e);
      return err(st_.pin_hash ? kPinInvalid : kPinNotSet);
    }
    if (!st_.pin_hash) return err(kPinNotSet);
    if (auto e = check_pin_uv_auth(req, 6, 7, cdh->bytes, kPermGetAssertion, rp_id->text)) return err(e);
    uv = true;
  }

  std::vector<Credential> found;
  const Cbor* allow = req.get(3);
  const bool have_allow = allow && allow->type == Cbor::Type::array && !allow->items.empty();
  if (have_allow) {
    for (const auto& d : allow->items) {
      const Cbor* id = d.get("id");
      if (!id || id->type != Cbor::Type::bytes) continue;
      if (auto c = unwrap_credential(id->bytes, rp_hash)) {
        if (c->cred_protect == 3 && !uv) continue;
        found.push_back(*c);
        break;
      }
    }
  } else {
    for (auto it = st_.resident.rbegin(); it != st_.resident.rend(); ++it) {
      if (it->rp_id != rp_id->text) continue;
      auto c = unwrap_credential(it->id, rp_hash);
      if (!c || (c->cred_protect >= 2 && !uv)) continue;
      found.push_back(*c);
    }
  }
  if (found.empty()) return err(kNoCredentials);
  if (up && uv && token_user_present_) {
    token_user_present_ = false;  // the finger on the sensor was the presence
  } else if (up) {
    if (auto e = user_presence(tick, removed)) return err(e);
  }
  if (lie_ == Lie::replay && last_reply_) {  // a stale answer, given again
    Reply old;
    old.status = (*last_reply_)[0];
    old.body = cbor_decode(Bytes(last_reply_->begin() + 1, last_reply_->end()));
    return old;
  }
  const Cbor* ext = req.get(4);
  const Cbor* hmac = ext && ext->type == Cbor::Type::map ? ext->get("hmac-secret") : nullptr;
  std::optional<int> count;
  if (!have_allow && found.size() > 1) count = static_cast<int>(found.size());
  Reply r = assertion_for(found[0], cdh->bytes, up, uv, hmac, !have_allow, count);
  if (r.status == kOk && r.body) {
    Bytes saved = {r.status};
    Bytes body = cbor_encode(*r.body);
    saved.insert(saved.end(), body.begin(), body.end());
    last_reply_ = saved;
  }
  if (r.status == kOk && count) {
    pending_.creds = found;
    pending_.next = 1;
    pending_.cdh = cdh->bytes;
    pending_.up = up;
    pending_.uv = uv;
  }
  return r;
}

std::uint8_t Authenticator::builtin_uv(const Tick& tick, bool& removed) {
  constexpr std::uint8_t kUvBlocked = 0x3C, kUvInvalid = 0x3F;
  if (!bio_ || fingers_.empty()) return kNotAllowed;
  if (uv_retries_ <= 0) return kUvBlocked;
  if (auto e = user_presence(tick, removed)) return e;  // the finger on the sensor (or none)
  if (!finger_match_) {
    --uv_retries_;
    return uv_retries_ <= 0 ? kUvBlocked : kUvInvalid;
  }
  uv_retries_ = kMaxUvRetries;
  return kOk;
}

std::string Authenticator::command(const std::string& cmd, const std::string& arg) {
  if (cmd == "finger") {  // without the lock: may be said while a UV request waits for a finger
    if (arg != "match" && arg != "nomatch") return "error finger needs match | nomatch";
    finger_match_ = arg == "match";
    return "ok finger " + arg;
  }
  std::lock_guard lock(mu_);
  if (cmd == "lie") {
    static const std::pair<const char*, Lie> modes[] = {
        {"off", Lie::none}, {"up0", Lie::up0}, {"uv0", Lie::uv0}, {"counter-back", Lie::counter_back},
        {"replay", Lie::replay}, {"other-cred", Lie::other_cred}};
    for (const auto& [name, mode] : modes) {
      if (arg == name) {
        lie_ = mode;
        return "ok lie " + arg;
      }
    }
    return "error lie needs up0 | uv0 | counter-back | replay | other-cred | off";
  }
  if (cmd == "bio") {
    if (arg != "on" && arg != "off") return "error bio needs on | off";
    bio_ = arg == "on";
    if (!bio_) fingers_.clear();
    uv_retries_ = kMaxUvRetries;
    return "ok bio " + arg;
  }
  if (cmd == "bio-enroll") {
    if (!bio_) return "error bio-enroll needs the biometric profile (bio on)";
    if (!st_.pin_hash) return "error bio-enroll: set a FIDO2 PIN first (as real bio keys require)";
    if (arg.empty()) return "error bio-enroll needs a name";
    fingers_.push_back(arg);
    return "ok enrolled " + arg;
  }
  if (cmd == "uv-retries") {
    return "ok uv_retries=" + std::to_string(uv_retries_);
  }
  return "";
}

Authenticator::Reply Authenticator::get_next_assertion() {
  if (pending_.next == 0 || pending_.next >= pending_.creds.size()) return err(kNotAllowed);
  const Credential c = pending_.creds[pending_.next++];
  return assertion_for(c, pending_.cdh, pending_.up, pending_.uv, nullptr, true, std::nullopt);
}

Authenticator::Reply Authenticator::reset(const Tick& tick, bool& removed) {
  if (auto e = user_presence(tick, removed)) return err(e);
  const Bytes aaguid = st_.aaguid;
  new_state();
  st_.aaguid = aaguid;
  save();
  fingers_.clear();  // authenticatorReset wipes the enrolled fingerprints too
  key_agreement_ = EcKey::generate(EcKey::Curve::p256);
  token_valid_ = false;
  return Reply{kOk, std::nullopt};
}

Authenticator::Reply Authenticator::selection(const Tick& tick, bool& removed) {
  if (auto e = user_presence(tick, removed)) return err(e);
  return Reply{kOk, std::nullopt};
}

}  // namespace hwsim
