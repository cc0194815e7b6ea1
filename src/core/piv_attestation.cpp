#include "core/piv_attestation.h"

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <cstdio>
#include <memory>

namespace keyward::piv {
namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

X509Ptr parse_der(ByteView der) {
  const unsigned char* p = der.data();
  return X509Ptr(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
}

// The contents of the extension with the given OID, or nullptr.
const ASN1_OCTET_STRING* extension(X509* cert, const char* oid_text) {
  ASN1_OBJECT* oid = OBJ_txt2obj(oid_text, 1);
  if (oid == nullptr) return nullptr;
  int idx = X509_get_ext_by_OBJ(cert, oid, -1);
  ASN1_OBJECT_free(oid);
  if (idx < 0) return nullptr;
  return X509_EXTENSION_get_data(X509_get_ext(cert, idx));
}

tl::unexpected<Error> bad(const std::string& why) {
  return fail(Errc::integrity, "the card's attestation does not verify: " + why);
}

}  // namespace

Result<AttestedKey> verify_attestation(ByteView attestation_der, ByteView f9_der,
                                       const std::string& trusted_pem_path) {
  X509Ptr leaf = parse_der(attestation_der);
  X509Ptr f9 = parse_der(f9_der);
  if (!leaf || !f9) return bad("a certificate does not parse");
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(),
                                                                X509_STORE_free);
  if (!store) return fail(Errc::crypto, "X509_STORE_new failed");
  if (X509_STORE_load_file(store.get(), trusted_pem_path.c_str()) != 1) {
    return fail(Errc::not_found,
                "cannot read the attestation root certificate(s) from " + trusted_pem_path);
  }
  struct StackFree {
    void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }
  };
  std::unique_ptr<STACK_OF(X509), StackFree> chain(sk_X509_new_null());
  if (!chain || sk_X509_push(chain.get(), f9.get()) == 0) {
    return fail(Errc::crypto, "out of memory");
  }
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(),
                                                                      X509_STORE_CTX_free);
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), chain.get()) != 1) {
    return fail(Errc::crypto, "X509_STORE_CTX_init failed");
  }
  if (X509_verify_cert(ctx.get()) != 1) {
    return bad(X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get())));
  }
  // The leaf must be signed by the F9 certificate (not by some other certificate of the store).
  EVP_PKEY* f9_key = X509_get0_pubkey(f9.get());
  if (f9_key == nullptr || X509_verify(leaf.get(), f9_key) != 1) {
    return bad("not signed by the card's attestation key");
  }
  AttestedKey out;
  EVP_PKEY* key = X509_get0_pubkey(leaf.get());
  out.public_key.resize(65);
  std::size_t got = 0;
  if (key == nullptr ||
      EVP_PKEY_get_octet_string_param(key, "encoded-pub-key", out.public_key.data(),
                                      out.public_key.size(), &got) != 1 ||
      got != 65) {
    return bad("the attested key is not a P-256 key");
  }
  const ASN1_OCTET_STRING* policy = extension(leaf.get(), "1.3.6.1.4.1.41482.3.8");
  if (policy == nullptr || ASN1_STRING_length(policy) != 2) return bad("no PIN/touch policy");
  out.pin_policy = ASN1_STRING_get0_data(policy)[0];
  out.touch_policy = ASN1_STRING_get0_data(policy)[1];
  const ASN1_OCTET_STRING* serial = extension(leaf.get(), "1.3.6.1.4.1.41482.3.7");
  if (serial == nullptr) return bad("no serial number");
  const unsigned char* sp = ASN1_STRING_get0_data(serial);
  ASN1_INTEGER* n = d2i_ASN1_INTEGER(nullptr, &sp, ASN1_STRING_length(serial));
  std::uint64_t value = 0;
  bool ok_serial = n != nullptr && ASN1_INTEGER_get_uint64(&value, n) == 1 && value <= 0xffffffffu;
  ASN1_INTEGER_free(n);
  if (!ok_serial) return bad("bad serial number");
  out.serial = static_cast<std::uint32_t>(value);
  const ASN1_OCTET_STRING* fw = extension(leaf.get(), "1.3.6.1.4.1.41482.3.3");
  if (fw != nullptr && ASN1_STRING_length(fw) == 3) {
    const unsigned char* f = ASN1_STRING_get0_data(fw);
    out.firmware = std::to_string(f[0]) + "." + std::to_string(f[1]) + "." + std::to_string(f[2]);
  }
  return out;
}

}  // namespace keyward::piv
