// The YubiKey's other CCID applications as far as Yubico's tools need them next to PIV:
//
//  * Management (AID A000000527471117): SELECT answers the firmware version as text; READ
//    CONFIG (INS 1D, P1 = page) returns the device information TLVs of a YubiKey 5 NFC;
//    WRITE CONFIG (INS 1C) changes enabled applications per transport, timeouts, device flags and
//    the configuration lock code, the way `ykman config usb/nfc/set-lock-code` send it; SET MODE
//    (INS 16) as `ykman config mode` sends it on firmware 5 (translated by ykman into WRITE CONFIG,
//    the legacy INS is refused).
//  * OTP (AID A0000005272001): SELECT answers the 6-byte status (version, programming sequence,
//    touch level) and INS 01 P1 10 reads the serial; the OTP slots themselves are not modelled.
//
// Tag numbers follow yubikit's management.py (ykman 4.0.9 on Debian, and the 5.x tags 0x13-0x19
// for firmware 5.7).
#include "piv_card.h"
#include "tlv.h"

namespace hwsim {
namespace {

constexpr std::uint8_t kTagUsbSupported = 0x01, kTagSerial = 0x02, kTagUsbEnabled = 0x03,
                       kTagFormFactor = 0x04, kTagVersion = 0x05, kTagAutoEject = 0x06,
                       kTagChalresp = 0x07, kTagDeviceFlags = 0x08, kTagConfigLock = 0x0A,
                       kTagUnlock = 0x0B, kTagReboot = 0x0C, kTagNfcSupported = 0x0D,
                       kTagNfcEnabled = 0x0E, kTagFipsCapable = 0x14, kTagFipsApproved = 0x15,
                       kTagPinComplexity = 0x16, kTagNfcRestricted = 0x17, kTagResetBlocked = 0x18;
constexpr std::uint8_t kFormFactorUsbAKeychain = 0x01;  // YubiKey 5 NFC; no FIPS (0x80) / SKY (0x40) bit
constexpr std::uint8_t kDeviceFlagsKnown = 0xC0;         // REMOTE_WAKEUP 40, EJECT 80

Bytes be16(std::uint16_t v) { return {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)}; }
std::uint16_t get16(const Bytes& b) { return static_cast<std::uint16_t>((b[0] << 8) | b[1]); }

}  // namespace

bool PivCard::fw_at_least(int major, int minor) const {
  return st_.firmware[0] > major || (st_.firmware[0] == major && st_.firmware[1] >= minor);
}

Bytes PivCard::device_info() const {
  Bytes t;
  append(t, tlv(kTagUsbSupported, be16(kCapsYubiKey5Nfc)));
  append(t, tlv(kTagSerial, {static_cast<std::uint8_t>(st_.serial >> 24), static_cast<std::uint8_t>(st_.serial >> 16),
                             static_cast<std::uint8_t>(st_.serial >> 8), static_cast<std::uint8_t>(st_.serial)}));
  append(t, tlv(kTagUsbEnabled, be16(st_.device.usb_enabled)));
  append(t, tlv(kTagFormFactor, {kFormFactorUsbAKeychain}));
  append(t, tlv(kTagVersion, st_.firmware));
  append(t, tlv(kTagAutoEject, be16(st_.device.auto_eject_timeout)));
  append(t, tlv(kTagChalresp, {st_.device.chalresp_timeout}));
  append(t, tlv(kTagDeviceFlags, {st_.device.device_flags}));
  append(t, tlv(kTagConfigLock, {static_cast<std::uint8_t>(st_.device.lock_code.empty() ? 0 : 1)}));
  append(t, tlv(kTagNfcSupported, be16(kCapsYubiKey5Nfc)));
  append(t, tlv(kTagNfcEnabled, be16(st_.device.nfc_enabled)));
  if (fw_at_least(5, 7)) {
    // 5.7 firmware reports its FIPS state, PIN complexity, NFC restriction and reset blocking:
    // a non-FIPS YubiKey 5 NFC has none of them.
    append(t, tlv(kTagFipsCapable, be16(0)));
    append(t, tlv(kTagFipsApproved, be16(0)));
    append(t, tlv(kTagPinComplexity, {0x00}));
    append(t, tlv(kTagNfcRestricted, {0x00}));
    append(t, tlv(kTagResetBlocked, be16(0)));
  }
  Bytes out{static_cast<std::uint8_t>(t.size())};
  append(out, t);
  return out;
}

Bytes PivCard::otp_status() const {
  // version (3), programming sequence, touch level (little endian): slot 1 holds the factory
  // Yubico OTP credential (CONFIG1_VALID 01 | CONFIG1_TOUCH 04), slot 2 is empty.
  return {st_.firmware[0], st_.firmware[1], st_.firmware[2], 0x01, 0x05, 0x00};
}

PivCard::Response PivCard::mgmt_command(std::uint8_t ins, std::uint8_t p1, std::uint8_t p2, const Bytes& data) {
  switch (ins) {
    case 0x1D:  // READ CONFIG; P1 = page (yubikit 5 reads pages while tag 10 says "more")
      if (p2 != 0) return sw(0x6B00);
      if (p1 != 0) return Response{{0x00}, 0x9000};
      return Response{device_info(), 0x9000};
    case 0x1C: return write_config(data);
    case 0x16:  // SET MODE: the pre-5 command; firmware 5 takes WRITE CONFIG instead
      return sw(0x6D00);
    default: return sw(0x6D00);
  }
}

PivCard::Response PivCard::write_config(const Bytes& data) {
  if (data.empty() || data[0] != data.size() - 1) return sw(0x6700);
  auto t = parse_tlvs(Bytes(data.begin() + 1, data.end()));
  if (!t) return sw(0x6A80);
  auto len_is = [&](std::uint8_t tag, std::size_t n) { return !t->count(tag) || t->at(tag).size() == n; };
  for (const auto& [tag, v] : *t) {
    switch (tag) {
      case kTagReboot: case kTagUnlock: case kTagUsbEnabled: case kTagNfcEnabled: case kTagAutoEject:
      case kTagChalresp: case kTagDeviceFlags: case kTagConfigLock: break;
      default: return sw(0x6A80);  // NFC restriction, IAP, HID delay ...: not modelled
    }
  }
  if (!len_is(kTagReboot, 0) || !len_is(kTagUnlock, 16) || !len_is(kTagUsbEnabled, 2) ||
      !len_is(kTagNfcEnabled, 2) || !len_is(kTagAutoEject, 2) || !len_is(kTagChalresp, 1) ||
      !len_is(kTagDeviceFlags, 1) || !len_is(kTagConfigLock, 16)) {
    return sw(0x6A80);
  }
  // A locked configuration changes only with the current lock code (tag 0B); on an unlocked
  // device a given 0B must be all zeros. UNCONFIRMED: the status word a YubiKey gives for a
  // wrong lock code (ykman only reports "Wrong current code?"); 69 82 here.
  const Bytes zeros(16, 0);
  if (!st_.device.lock_code.empty()) {
    if (!t->count(kTagUnlock) || !ct_equal(t->at(kTagUnlock), st_.device.lock_code)) return sw(0x6982);
  } else if (t->count(kTagUnlock) && !ct_equal(t->at(kTagUnlock), zeros)) {
    return sw(0x6982);
  }
  DeviceConfig next = st_.device;
  if (t->count(kTagUsbEnabled)) {
    const std::uint16_t v = get16(t->at(kTagUsbEnabled)) & kCapsYubiKey5Nfc;  // masked with supported
    if (v == 0) return sw(0x6A80);  // nothing left over USB: a YubiKey refuses (ykman checks first)
    next.usb_enabled = v;
  }
  if (t->count(kTagNfcEnabled)) next.nfc_enabled = get16(t->at(kTagNfcEnabled)) & kCapsYubiKey5Nfc;
  if (t->count(kTagAutoEject)) next.auto_eject_timeout = get16(t->at(kTagAutoEject));
  if (t->count(kTagChalresp)) next.chalresp_timeout = t->at(kTagChalresp)[0];
  if (t->count(kTagDeviceFlags)) {
    if (t->at(kTagDeviceFlags)[0] & ~kDeviceFlagsKnown) return sw(0x6A80);
    next.device_flags = t->at(kTagDeviceFlags)[0];
  }
  if (t->count(kTagConfigLock)) {
    const Bytes& code = t->at(kTagConfigLock);
    next.lock_code = ct_equal(code, zeros) ? Bytes{} : code;
  }
  st_.device = next;
  save();
  // Tag 0C (reboot): a YubiKey re-enumerates on USB. Modelled as a power cycle of the card
  // (volatile state cleared) without the reader seeing it leave.
  if (t->count(kTagReboot)) {
    pin_verified_ = pin_fresh_ = mgmt_authed_ = false;
    witness_.reset();
    challenge_.reset();
  }
  return sw(0x9000);
}

PivCard::Response PivCard::otp_command(std::uint8_t ins, std::uint8_t p1, std::uint8_t p2, const Bytes& data) {
  (void)p2;
  (void)data;
  if (ins == 0x01 && p1 == 0x10) {  // read serial (CONFIG_SLOT.DEVICE_SERIAL)
    return Response{{static_cast<std::uint8_t>(st_.serial >> 24), static_cast<std::uint8_t>(st_.serial >> 16),
                     static_cast<std::uint8_t>(st_.serial >> 8), static_cast<std::uint8_t>(st_.serial)},
                    0x9000};
  }
  // Slot programming, challenge-response, NDEF...: not modelled.
  return sw(0x6D00);
}

}  // namespace hwsim
