// Attestation for the virtual PIV card: a simulator root CA signs each card's F9 attestation
// certificate; ATTEST (INS F9) issues a certificate for a generated key, signed by the F9 key,
// carrying the Yubico extensions (firmware .3.3, serial .3.7, PIN/touch policy .3.8,
// form factor .3.9) the way a YubiKey does.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "piv_card.h"
#include "tlv.h"

namespace hwsim {
namespace {


struct Ext {
  std::string oid;
  Bytes raw;  // content of the extnValue OCTET STRING
};

void set_random_serial(X509* cert) {
  Bytes s = random_bytes(16);
  s[0] &= 0x7F;
  s[0] |= 0x01;
  BIGNUM* bn = BN_bin2bn(s.data(), static_cast<int>(s.size()), nullptr);
  ASN1_INTEGER* ai = BN_to_ASN1_INTEGER(bn, nullptr);
  X509_set_serialNumber(cert, ai);
  ASN1_INTEGER_free(ai);
  BN_free(bn);
}

X509_NAME* name_cn(const std::string& cn) {
  X509_NAME* n = X509_NAME_new();
  X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()),
                             -1, -1, 0);
  return n;
}

X509Ptr make_cert(const std::string& subject_cn, X509* issuer_cert, EVP_PKEY* subject_key,
                  EVP_PKEY* signer, bool ca, long days, const std::vector<Ext>& exts) {
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  set_random_serial(cert.get());
  X509_NAME* subject = name_cn(subject_cn);
  X509_set_subject_name(cert.get(), subject);
  X509_set_issuer_name(cert.get(), issuer_cert ? X509_get_subject_name(issuer_cert) : subject);
  X509_NAME_free(subject);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -24L * 3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), days * 24L * 3600);
  X509_set_pubkey(cert.get(), subject_key);
  if (ca) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer_cert ? issuer_cert : cert.get(), cert.get(), nullptr, nullptr, 0);
    for (auto [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:TRUE"},
                              std::pair{NID_key_usage, "critical,keyCertSign,cRLSign"}}) {
      X509_EXTENSION* ex = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
      if (!ex) throw std::runtime_error("openssl: extension");
      X509_add_ext(cert.get(), ex, -1);
      X509_EXTENSION_free(ex);
    }
  }
  for (const auto& e : exts) {
    ASN1_OBJECT* obj = OBJ_txt2obj(e.oid.c_str(), 1);
    ASN1_OCTET_STRING* os = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING_set(os, e.raw.data(), static_cast<int>(e.raw.size()));
    X509_EXTENSION* ex = X509_EXTENSION_create_by_OBJ(nullptr, obj, 0, os);
    X509_add_ext(cert.get(), ex, -1);
    X509_EXTENSION_free(ex);
    ASN1_OCTET_STRING_free(os);
    ASN1_OBJECT_free(obj);
  }
  if (X509_sign(cert.get(), signer, EVP_sha256()) <= 0) throw std::runtime_error("openssl: X509_sign");
  return cert;
}

Bytes der_integer(std::uint32_t v) {
  ASN1_INTEGER* ai = ASN1_INTEGER_new();
  ASN1_INTEGER_set_uint64(ai, v);
  unsigned char* der = nullptr;
  int len = i2d_ASN1_INTEGER(ai, &der);
  Bytes out(der, der + len);
  OPENSSL_free(der);
  ASN1_INTEGER_free(ai);
  return out;
}

}  // namespace

AttestationCa AttestationCa::load_or_create(const std::string& dir) {
  namespace fs = std::filesystem;
  AttestationCa ca;
  const fs::path json_path = fs::path(dir) / "attestation-ca.json";
  if (fs::exists(json_path)) {
    std::ifstream in(json_path);
    auto j = nlohmann::json::parse(in);
    auto scalar = from_hex(j.at("key").get<std::string>());
    if (scalar) ca.key = EcKey::from_private(EcKey::Curve::p256, *scalar);
    ca.cert = x509_from_pem(j.at("cert").get<std::string>());
    if (!ca.key || !ca.cert) throw std::runtime_error("corrupt " + json_path.string());
  } else {
    ca.key = EcKey::generate(EcKey::Curve::p256);
    ca.cert = make_cert("keyward-hwsim PIV Root CA (simulated, not Yubico)", nullptr, ca.key->get(),
                        ca.key->get(), true, 20 * 365, {});
    nlohmann::json j = {{"key", to_hex(ca.key->private_scalar())}, {"cert", x509_to_pem(ca.cert.get())}};
    const fs::path tmp = json_path.string() + ".tmp";
    {
      std::ofstream out(tmp);
      out << j.dump(2) << "\n";
    }
    fs::permissions(tmp, fs::perms::owner_read | fs::perms::owner_write);
    fs::rename(tmp, json_path);
  }
  std::ofstream pem(fs::path(dir) / "attestation-ca.pem");
  pem << x509_to_pem(ca.cert.get());
  return ca;
}

void create_attestation_key(PivState& st, const AttestationCa& ca) {
  EcKey key = EcKey::generate(EcKey::Curve::p256);
  std::vector<Ext> exts = {{"1.3.6.1.4.1.41482.3.3", st.firmware},
                           {"1.3.6.1.4.1.41482.3.7", der_integer(st.serial)}};
  X509Ptr cert = make_cert("keyward-hwsim PIV Attestation " + std::to_string(st.serial), ca.cert.get(),
                           key.get(), ca.key->get(), true, 20 * 365, exts);
  PivKey k;
  k.alg = 0x11;
  k.scalar = key.private_scalar();
  k.pin_policy = 1;
  k.touch_policy = 1;
  k.origin = 1;
  st.keys[0xF9] = k;
  // Object 5FFF01 holds the F9 certificate in the usual PIV certificate container.
  Bytes content = tlv(0x70, x509_to_der(cert.get()));
  append(content, {0x71, 0x01, 0x00, 0xFE, 0x00});
  st.objects[0x5FFF01] = content;
}

Bytes make_attestation_cert(const PivState& st, std::uint8_t slot, const PivKey& key) {
  const PivKey& f9 = st.keys.at(0xF9);
  auto f9_key = EcKey::from_private(EcKey::Curve::p256, f9.scalar);
  auto subject_key = EcKey::from_private(curve_of(key.alg), key.scalar);
  const Bytes& obj = st.objects.at(0x5FFF01);
  auto tlvs = parse_tlvs(obj);
  if (!f9_key || !subject_key || !tlvs || !tlvs->count(0x70)) throw std::runtime_error("attestation state");
  const Bytes& f9_der = tlvs->at(0x70);
  const unsigned char* p = f9_der.data();
  X509Ptr f9_cert(d2i_X509(nullptr, &p, static_cast<long>(f9_der.size())));
  if (!f9_cert) throw std::runtime_error("attestation certificate");
  char slot_hex[3];
  std::snprintf(slot_hex, sizeof slot_hex, "%02x", slot);
  std::vector<Ext> exts = {{"1.3.6.1.4.1.41482.3.3", st.firmware},
                           {"1.3.6.1.4.1.41482.3.7", der_integer(st.serial)},
                           {"1.3.6.1.4.1.41482.3.8", {key.pin_policy, key.touch_policy}},
                           {"1.3.6.1.4.1.41482.3.9", {0x01}}};
  X509Ptr cert = make_cert(std::string("YubiKey PIV Attestation ") + slot_hex, f9_cert.get(),
                           subject_key->get(), f9_key->get(), false, 20 * 365, exts);
  return x509_to_der(cert.get());
}

}  // namespace hwsim
