// APDU processing of the virtual PIV card. Status words and encodings follow
// ../shared/docs/hw-protocols.md section 2 (what libykpiv 2.2 sends and expects).
#include "piv_card.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "tlv.h"

namespace hwsim {
namespace {

const Bytes kPivAid = {0xA0, 0x00, 0x00, 0x03, 0x08};
const Bytes kMgmtAid = {0xA0, 0x00, 0x00, 0x05, 0x27, 0x47, 0x11, 0x17};
const Bytes kOtpAid = {0xA0, 0x00, 0x00, 0x05, 0x27, 0x20, 0x01};
const Bytes kDefaultMgmtKey = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8};
const Bytes kDefaultPin = {'1', '2', '3', '4', '5', '6'};
const Bytes kDefaultPuk = {'1', '2', '3', '4', '5', '6', '7', '8'};
constexpr std::size_t kMaxObject = 3072;

bool starts_with(const Bytes& data, const Bytes& prefix) {
  return data.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), data.begin());
}

// PIN/PUK fields are 8 bytes padded with FF.
Bytes unpad(const Bytes& field) {
  Bytes out = field;
  while (!out.empty() && out.back() == 0xFF) out.pop_back();
  return out;
}

// 61 xx: xx = bytes still waiting for GET RESPONSE, 00 when 256 or more.
std::uint16_t more_data_sw(std::size_t remaining) {
  return static_cast<std::uint16_t>(0x6100 | (remaining > 0xFF ? 0 : remaining));
}

std::uint16_t retries_sw(int left) {
  return left <= 0 ? 0x6983 : static_cast<std::uint16_t>(0x63C0 | std::min(left, 15));
}

// A factory-new (or RESET) card's management-key algorithm: AES-192 from firmware 5.7 on.
std::uint8_t default_mgmt_alg(const Bytes& fw) {
  const bool v57 = fw.size() == 3 && (fw[0] > 5 || (fw[0] == 5 && fw[1] >= 7));
  return v57 ? kMgmtAes192 : kMgmtTdes;
}

std::string hex_byte(std::uint8_t v) {
  char b[4];
  std::snprintf(b, sizeof b, "%02x", v);
  return b;
}

}  // namespace

std::size_t mgmt_key_length(std::uint8_t alg) {
  switch (alg) {
    case kMgmtTdes: return 24;
    case kMgmtAes128: return 16;
    case kMgmtAes192: return 24;
    case kMgmtAes256: return 32;
    default: return 0;
  }
}

std::optional<PivProfile> PivProfile::named(const std::string& name) {
  if (name == "5.4") return PivProfile{"5.4", {5, 4, 3}, kMgmtTdes};
  if (name == "5.7") return PivProfile{"5.7", {5, 7, 1}, kMgmtAes192};
  return std::nullopt;
}

std::uint8_t default_pin_policy(std::uint8_t slot) {
  if (slot == 0x9C) return 3;
  if (slot == 0x9E) return 1;
  return 2;
}

std::uint32_t slot_object(std::uint8_t slot) {
  switch (slot) {
    case 0x9A: return 0x5FC105;
    case 0x9C: return 0x5FC10A;
    case 0x9D: return 0x5FC10B;
    case 0x9E: return 0x5FC101;
    case 0xF9: return 0x5FFF01;
    default: break;
  }
  if (slot >= 0x82 && slot <= 0x95) return 0x5FC10D + (slot - 0x82);
  return 0;
}

const Bytes& PivCard::atr() {
  static const Bytes a = {0x3B, 0xFD, 0x13, 0x00, 0x00, 0x81, 0x31, 0xFE, 0x15, 0x80, 0x73, 0xC0,
                          0x21, 0xC0, 0x57, 0x59, 0x75, 0x62, 0x69, 0x4B, 0x65, 0x79, 0x40};
  return a;
}

PivCard::PivCard(std::string state_path, std::uint32_t serial, Presence& presence, const AttestationCa& ca,
                 PivProfile profile)
    : state_path_(std::move(state_path)), profile_(std::move(profile)), presence_(presence), ca_(ca) {
  if (!load()) {
    st_.serial = serial;
    st_.firmware = profile_.firmware;
    init_defaults();
    create_attestation_key(st_, ca_);
    save();
  }
}

void PivCard::init_defaults() {
  st_.pin = kDefaultPin;
  st_.puk = kDefaultPuk;
  st_.pin_total = st_.pin_left = st_.puk_total = st_.puk_left = 3;
  st_.pin_default = st_.puk_default = true;
  st_.mgmt_key = kDefaultMgmtKey;
  st_.mgmt_alg = default_mgmt_alg(st_.firmware);
  st_.mgmt_touch = false;
  st_.mgmt_default = true;
}

bool PivCard::load() {
  namespace fs = std::filesystem;
  if (!fs::exists(state_path_)) return false;
  std::ifstream in(state_path_);
  auto j = nlohmann::json::parse(in);
  auto hex = [&](const char* k) { return from_hex(j.at(k).get<std::string>()).value(); };
  st_.serial = j.at("serial").get<std::uint32_t>();
  st_.pin = hex("pin");
  st_.puk = hex("puk");
  st_.pin_total = j.at("pin_total");
  st_.pin_left = j.at("pin_left");
  st_.puk_total = j.at("puk_total");
  st_.puk_left = j.at("puk_left");
  st_.pin_default = j.at("pin_default");
  st_.puk_default = j.at("puk_default");
  st_.mgmt_key = hex("mgmt_key");
  // Older state files have neither: the 5.4.3 card with a 3DES key they were written by.
  st_.firmware = j.contains("firmware") ? hex("firmware") : Bytes{5, 4, 3};
  st_.mgmt_alg = j.value("mgmt_alg", kMgmtTdes);
  if (st_.firmware.size() != 3 || mgmt_key_length(st_.mgmt_alg) != st_.mgmt_key.size()) {
    throw std::runtime_error("inconsistent firmware or management key in " + state_path_);
  }
  if (j.contains("device")) {  // older state files: factory configuration
    const auto& d = j.at("device");
    st_.device.usb_enabled = d.at("usb_enabled");
    st_.device.nfc_enabled = d.at("nfc_enabled");
    st_.device.auto_eject_timeout = d.at("auto_eject_timeout");
    st_.device.chalresp_timeout = d.at("chalresp_timeout");
    st_.device.device_flags = d.at("device_flags");
    st_.device.lock_code = from_hex(d.at("lock_code").get<std::string>()).value();
  }
  st_.mgmt_touch = j.at("mgmt_touch");
  st_.mgmt_default = j.at("mgmt_default");
  for (auto& [slot, k] : j.at("keys").items()) {
    PivKey key;
    key.alg = k.at("alg");
    key.scalar = from_hex(k.at("scalar").get<std::string>()).value();
    key.pin_policy = k.at("pin_policy");
    key.touch_policy = k.at("touch_policy");
    key.origin = k.at("origin");
    st_.keys[static_cast<std::uint8_t>(std::stoul(slot, nullptr, 16))] = key;
  }
  for (auto& [id, v] : j.at("objects").items()) {
    st_.objects[static_cast<std::uint32_t>(std::stoul(id, nullptr, 16))] =
        from_hex(v.get<std::string>()).value();
  }
  return true;
}

void PivCard::save() const {
  nlohmann::json keys = nlohmann::json::object(), objects = nlohmann::json::object();
  char buf[16];
  for (const auto& [slot, k] : st_.keys) {
    std::snprintf(buf, sizeof buf, "%02x", slot);
    keys[buf] = {{"alg", k.alg}, {"scalar", to_hex(k.scalar)}, {"pin_policy", k.pin_policy},
                 {"touch_policy", k.touch_policy}, {"origin", k.origin}};
  }
  for (const auto& [id, v] : st_.objects) {
    std::snprintf(buf, sizeof buf, "%x", id);
    objects[buf] = to_hex(v);
  }
  nlohmann::json j = {{"serial", st_.serial},       {"pin", to_hex(st_.pin)},
                      {"puk", to_hex(st_.puk)},       {"pin_total", st_.pin_total},
                      {"pin_left", st_.pin_left},     {"puk_total", st_.puk_total},
                      {"puk_left", st_.puk_left},     {"pin_default", st_.pin_default},
                      {"puk_default", st_.puk_default}, {"mgmt_key", to_hex(st_.mgmt_key)},
                      {"firmware", to_hex(st_.firmware)}, {"mgmt_alg", st_.mgmt_alg},
                      {"mgmt_touch", st_.mgmt_touch}, {"mgmt_default", st_.mgmt_default},
                      {"keys", keys},                 {"objects", objects},
                      {"device", {{"usb_enabled", st_.device.usb_enabled},
                                  {"nfc_enabled", st_.device.nfc_enabled},
                                  {"auto_eject_timeout", st_.device.auto_eject_timeout},
                                  {"chalresp_timeout", st_.device.chalresp_timeout},
                                  {"device_flags", st_.device.device_flags},
                                  {"lock_code", to_hex(st_.device.lock_code)}}}};
  const std::string tmp = state_path_ + ".tmp";
  {
    std::ofstream out(tmp);
    out << j.dump(1) << "\n";
  }
  std::filesystem::permissions(tmp, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::filesystem::rename(tmp, state_path_);
}

void PivCard::reset_volatile() {
  std::lock_guard lock(mu_);
  app_ = App::piv;
  pin_verified_ = pin_fresh_ = mgmt_authed_ = false;
  witness_.reset();
  challenge_.reset();
  chain_ = Chain{};
  pending_response_.clear();
}

void PivCard::block_pin() {
  std::lock_guard lock(mu_);
  st_.pin_left = 0;
  pin_verified_ = pin_fresh_ = false;
  save();
}

void PivCard::factory_reset(const std::optional<PivProfile>& profile) {
  std::lock_guard lock(mu_);
  attest_lie_ = AttestLie::none;
  st_.firmware = profile ? profile->firmware : profile_.firmware;
  st_.pin_left = st_.puk_left = 0;
  st_.device = DeviceConfig{};
  reset_card();
  app_ = App::piv;
  witness_.reset();
  challenge_.reset();
  chain_ = Chain{};
  pending_response_.clear();
}

bool PivCard::set_management_key(std::uint8_t alg, const Bytes& key) {
  std::lock_guard lock(mu_);
  if (mgmt_key_length(alg) == 0 || key.size() != mgmt_key_length(alg)) return false;
  st_.mgmt_alg = alg;
  st_.mgmt_key = key;
  st_.mgmt_touch = false;
  st_.mgmt_default = ct_equal(key, kDefaultMgmtKey);
  mgmt_authed_ = false;
  save();
  return true;
}

std::uint32_t PivCard::serial() const {
  std::lock_guard lock(mu_);
  return st_.serial;
}

std::string PivCard::status() const {
  // try_lock: a touch wait holds the card lock, and status must stay responsive.
  std::unique_lock lock(mu_, std::try_to_lock);
  if (!lock.owns_lock()) return "card=busy";
  std::ostringstream os;
  os << "serial=" << st_.serial << " pin_retries=" << st_.pin_left << " puk_retries=" << st_.puk_left
     << " keys=" << (st_.keys.size() - st_.keys.count(0xF9)) << " firmware=" << int(st_.firmware[0]) << "."
     << int(st_.firmware[1]) << "." << int(st_.firmware[2]) << " mgmt_alg=" << hex_byte(st_.mgmt_alg)
     << " usb_enabled=" << hex_byte(static_cast<std::uint8_t>(st_.device.usb_enabled >> 8))
     << hex_byte(static_cast<std::uint8_t>(st_.device.usb_enabled))
     << " config_locked=" << (st_.device.lock_code.empty() ? 0 : 1);
  return os.str();
}

std::optional<Bytes> PivCard::transmit(const Bytes& apdu) {
  std::lock_guard lock(mu_);
  auto finish = [](Bytes data, std::uint16_t s) {
    data.push_back(static_cast<std::uint8_t>(s >> 8));
    data.push_back(static_cast<std::uint8_t>(s));
    return data;
  };
  if (apdu.size() < 4) return finish({}, 0x6700);
  const std::uint8_t cla = apdu[0], ins = apdu[1], p1 = apdu[2], p2 = apdu[3];
  Bytes data;
  if (apdu.size() > 5 && apdu[4] != 0) {
    // Short APDU: Lc data [Le] (libykpiv, OpenSC).
    const std::size_t lc = apdu[4];
    if (apdu.size() < 5 + lc || apdu.size() > 6 + lc) return finish({}, 0x6700);
    data.assign(apdu.begin() + 5, apdu.begin() + 5 + static_cast<long>(lc));
  } else if (apdu.size() > 5) {
    // Extended APDU (yubikit from firmware 4 on): 00 Lc(2) data [Le(2)], or 00 Le(2) alone.
    if (apdu.size() < 7) return finish({}, 0x6700);
    if (apdu.size() > 7) {
      const std::size_t lc = (std::size_t{apdu[5]} << 8) | apdu[6];
      if (lc == 0 || (apdu.size() != 7 + lc && apdu.size() != 9 + lc)) return finish({}, 0x6700);
      data.assign(apdu.begin() + 7, apdu.begin() + 7 + static_cast<long>(lc));
    }
  }
  if ((cla & ~0x10) != 0x00) return finish({}, 0x6E00);

  if (ins == 0xC0) {  // GET RESPONSE
    if (pending_response_.empty()) return finish({}, 0x6A86);
    std::size_t n = std::min<std::size_t>(256, pending_response_.size());
    Bytes chunk(pending_response_.begin(), pending_response_.begin() + static_cast<long>(n));
    pending_response_.erase(pending_response_.begin(), pending_response_.begin() + static_cast<long>(n));
    if (pending_response_.empty()) return finish(chunk, 0x9000);
    return finish(chunk, more_data_sw(pending_response_.size()));
  }
  pending_response_.clear();

  if (cla & 0x10) {  // command chaining: collect until the last block (CLA 00)
    if (!chain_.active || chain_.ins != ins || chain_.p1 != p1 || chain_.p2 != p2) {
      chain_ = Chain{true, ins, p1, p2, {}};
    }
    append(chain_.data, data);
    if (chain_.data.size() > 0xFFFF) {
      chain_ = Chain{};
      return finish({}, 0x6700);
    }
    return finish({}, 0x9000);
  }
  if (chain_.active) {
    if (chain_.ins == ins && chain_.p1 == p1 && chain_.p2 == p2) {
      Bytes all = std::move(chain_.data);
      append(all, data);
      data = std::move(all);
    }
    chain_ = Chain{};
  }

  bool removed = false;
  Response r;
  try {
    r = dispatch(ins, p1, p2, data, removed);
  } catch (const std::exception&) {
    r = sw(0x6F00);  // internal simulator error: "no precise diagnosis"
  }
  if (removed) return std::nullopt;
  if (r.data.size() > 256) {
    pending_response_.assign(r.data.begin() + 256, r.data.end());
    r.data.resize(256);
    return finish(r.data, more_data_sw(pending_response_.size()));
  }
  return finish(r.data, r.sw);
}

PivCard::Response PivCard::dispatch(std::uint8_t ins, std::uint8_t p1, std::uint8_t p2, const Bytes& data,
                                    bool& removed) {
  if (ins == 0xA4) return select(p1, data);
  if (app_ == App::mgmt) return mgmt_command(ins, p1, p2, data);
  if (app_ == App::otp) return otp_command(ins, p1, p2, data);
  if (!(st_.device.usb_enabled & kCapPiv)) return sw(0x6D00);  // PIV disabled over USB: not there
  switch (ins) {
    case 0x20: return verify(p1, p2, data);
    case 0x24: return change_reference(p2, data);
    case 0x2C: return reset_retry(p2, data);
    case 0x87: return general_authenticate(p1, p2, data, removed);
    case 0x47: return generate(p2, data);
    case 0xFE: return import_key(p1, p2, data);
    case 0xCB: return get_data(data);
    case 0xDB: return put_data(data);
    case 0xFF: return set_mgmt_key(p1, p2, data);
    case 0xFB: return reset_card();
    case 0xFA: return set_pin_retries(p1, p2);
    case 0xF9: return attest(p1);
    case 0xF7: return metadata(p2);
    case 0xF6: return move_key(p1, p2);
    case 0xFD: return Response{st_.firmware, 0x9000};
    case 0xF8:
      return Response{{static_cast<std::uint8_t>(st_.serial >> 24), static_cast<std::uint8_t>(st_.serial >> 16),
                       static_cast<std::uint8_t>(st_.serial >> 8), static_cast<std::uint8_t>(st_.serial)},
                      0x9000};
    default: return sw(0x6D00);
  }
}

PivCard::Response PivCard::select(std::uint8_t p1, const Bytes& data) {
  if (p1 != 0x04) return sw(0x6A86);
  pin_verified_ = pin_fresh_ = mgmt_authed_ = false;
  witness_.reset();
  challenge_.reset();
  if (starts_with(data, kPivAid)) {
    // An application disabled over USB (ykman config usb --disable PIV) is not selectable.
    if (!(st_.device.usb_enabled & kCapPiv)) return sw(0x6A82);
    app_ = App::piv;
    return Response{{0x61, 0x11, 0x4F, 0x06, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00, 0x79, 0x07, 0x4F, 0x05, 0xA0,
                     0x00, 0x00, 0x03, 0x08},
                    0x9000};
  }
  if (starts_with(data, kMgmtAid)) {
    // The management application answers with its version as text ("5.4.3").
    app_ = App::mgmt;
    const std::string v = std::to_string(st_.firmware[0]) + "." + std::to_string(st_.firmware[1]) + "." +
                          std::to_string(st_.firmware[2]);
    return Response{Bytes(v.begin(), v.end()), 0x9000};
  }
  if (starts_with(data, kOtpAid)) {
    if (!(st_.device.usb_enabled & 0x01)) return sw(0x6A82);
    app_ = App::otp;
    return Response{otp_status(), 0x9000};
  }
  return sw(0x6A82);
}

PivCard::Response PivCard::verify(std::uint8_t p1, std::uint8_t p2, const Bytes& data) {
  if (p2 != 0x80) return sw(0x6A88);
  if (p1 == 0xFF && data.empty()) {  // reset the verified state
    pin_verified_ = pin_fresh_ = false;
    return sw(0x9000);
  }
  if (p1 != 0x00) return sw(0x6A86);
  if (data.empty()) {
    if (pin_verified_) return sw(0x9000);
    return sw(retries_sw(st_.pin_left));
  }
  if (st_.pin_left <= 0) return sw(0x6983);
  if (data.size() != 8) return sw(0x6A80);
  // A PIN shorter than 6 (e.g. all FF) is simply wrong and costs an attempt: yubikit's
  // `ykman piv reset` blocks the PIN exactly that way (VERIFY with eight FF bytes).
  Bytes pin = unpad(data);
  if (pin.size() >= 6 && ct_equal(pin, st_.pin)) {
    st_.pin_left = st_.pin_total;
    pin_verified_ = pin_fresh_ = true;
    save();
    return sw(0x9000);
  }
  --st_.pin_left;
  pin_verified_ = pin_fresh_ = false;
  save();
  return sw(static_cast<std::uint16_t>(0x63C0 | st_.pin_left));
}

PivCard::Response PivCard::change_reference(std::uint8_t p2, const Bytes& data) {
  if (p2 != 0x80 && p2 != 0x81) return sw(0x6A88);
  if (data.size() != 16) return sw(0x6A80);
  int& left = p2 == 0x80 ? st_.pin_left : st_.puk_left;
  Bytes& secret = p2 == 0x80 ? st_.pin : st_.puk;
  if (left <= 0) return sw(0x6983);
  Bytes old_value = unpad(Bytes(data.begin(), data.begin() + 8));
  Bytes new_value = unpad(Bytes(data.begin() + 8, data.end()));
  if (!ct_equal(old_value, secret)) {
    --left;
    if (p2 == 0x80) pin_verified_ = pin_fresh_ = false;
    save();
    return sw(static_cast<std::uint16_t>(0x63C0 | left));
  }
  if (new_value.size() < 6) return sw(0x6A80);
  secret = new_value;
  left = p2 == 0x80 ? st_.pin_total : st_.puk_total;
  (p2 == 0x80 ? st_.pin_default : st_.puk_default) = false;
  save();
  return sw(0x9000);
}

PivCard::Response PivCard::reset_retry(std::uint8_t p2, const Bytes& data) {
  if (p2 != 0x80) return sw(0x6A88);
  if (data.size() != 16) return sw(0x6A80);
  if (st_.puk_left <= 0) return sw(0x6983);
  Bytes puk = unpad(Bytes(data.begin(), data.begin() + 8));
  Bytes new_pin = unpad(Bytes(data.begin() + 8, data.end()));
  if (!ct_equal(puk, st_.puk)) {
    --st_.puk_left;
    save();
    return sw(static_cast<std::uint16_t>(0x63C0 | st_.puk_left));
  }
  if (new_pin.size() < 6) return sw(0x6A80);
  st_.pin = new_pin;
  st_.pin_left = st_.pin_total;
  st_.puk_left = st_.puk_total;
  st_.pin_default = false;
  save();
  return sw(0x9000);
}

namespace {
std::optional<std::uint32_t> object_id(const Bytes& tag) {
  if (tag.empty() || tag.size() > 3) return std::nullopt;
  std::uint32_t id = 0;
  for (auto b : tag) id = (id << 8) | b;
  return id;
}
}  // namespace

PivCard::Response PivCard::get_data(const Bytes& data) {
  auto t = parse_tlvs(data);
  if (!t || !t->count(0x5C)) return sw(0x6A80);
  auto id = object_id(t->at(0x5C));
  if (!id) return sw(0x6A80);
  if (*id == 0x7E) {  // Discovery object: PIV AID + PIN usage policy
    Bytes v = tlv(0x4F, {0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00});
    append(v, tlv(0x5F2F, {0x40, 0x00}));
    return Response{tlv(0x7E, v), 0x9000};
  }
  if (*id == 0x5FC109 && !pin_verified_) return sw(0x6982);  // printed information
  auto it = st_.objects.find(*id);
  if (it == st_.objects.end()) return sw(0x6A82);
  return Response{tlv(0x53, it->second), 0x9000};
}

PivCard::Response PivCard::put_data(const Bytes& data) {
  if (!mgmt_authed_) return sw(0x6982);
  auto t = parse_tlvs(data);
  if (!t || !t->count(0x5C) || !t->count(0x53)) return sw(0x6A80);
  auto id = object_id(t->at(0x5C));
  if (!id || *id == 0x7E) return sw(0x6A80);
  const Bytes& content = t->at(0x53);
  if (content.size() > kMaxObject) return sw(0x6A84);
  if (content.empty()) {
    st_.objects.erase(*id);
  } else {
    st_.objects[*id] = content;
  }
  save();
  return sw(0x9000);
}

PivCard::Response PivCard::set_mgmt_key(std::uint8_t p1, std::uint8_t p2, const Bytes& data) {
  if (!mgmt_authed_) return sw(0x6982);
  if (p1 != 0xFF || (p2 != 0xFF && p2 != 0xFE)) return sw(0x6A86);
  // <algorithm> 9B <length> <key>: 3DES (24 bytes), AES-128/192/256 (16/24/32, firmware 5.4+).
  if (data.size() < 3 || data[1] != 0x9B) return sw(0x6A80);
  const std::size_t len = mgmt_key_length(data[0]);
  if (len == 0 || data[2] != len || data.size() != 3 + len) return sw(0x6A80);
  st_.mgmt_key.assign(data.begin() + 3, data.end());
  st_.mgmt_alg = data[0];
  st_.mgmt_touch = p2 == 0xFE;
  st_.mgmt_default = ct_equal(st_.mgmt_key, kDefaultMgmtKey);
  save();
  return sw(0x9000);
}

PivCard::Response PivCard::reset_card() {
  if (st_.pin_left > 0 || st_.puk_left > 0) return sw(0x6985);
  PivKey f9 = st_.keys.at(0xF9);
  Bytes f9_cert = st_.objects.at(0x5FFF01);
  st_.keys.clear();
  st_.objects.clear();
  st_.keys[0xF9] = f9;
  st_.objects[0x5FFF01] = f9_cert;
  init_defaults();
  pin_verified_ = pin_fresh_ = mgmt_authed_ = false;
  touch_cache_.clear();
  save();
  return sw(0x9000);
}

PivCard::Response PivCard::set_pin_retries(std::uint8_t p1, std::uint8_t p2) {
  if (!mgmt_authed_ || !pin_verified_) return sw(0x6982);
  if (p1 == 0 || p2 == 0) return sw(0x6A86);
  st_.pin_total = st_.pin_left = p1;
  st_.puk_total = st_.puk_left = p2;
  st_.pin = kDefaultPin;
  st_.puk = kDefaultPuk;
  st_.pin_default = st_.puk_default = true;
  save();
  return sw(0x9000);
}

}  // namespace hwsim
