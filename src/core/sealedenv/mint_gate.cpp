#include "core/sealedenv/mint_gate.h"

#include "core/random.h"
#include "core/totp.h"

namespace keyward::sealedenv {
namespace {

class OpenGate final : public MintGate {
 public:
  Status authorize(const MintRequest&) override { return ok(); }
};

class TotpGate final : public MintGate {
 public:
  TotpGate(SecretBytes secret, CodeReader reader) : secret_(std::move(secret)), reader_(std::move(reader)) {}
  Status authorize(const MintRequest& req) override {
    KW_TRY(std::string code, reader_());
    auto okay = totp::verify(secret_, code, static_cast<std::int64_t>(req.now));
    secure_wipe(code.data(), code.size());
    if (!okay) return tl::unexpected(okay.error());
    if (!*okay) return fail(Errc::auth_failed, "sealed-env: wrong TOTP code");
    return keyward::ok();
  }

 private:
  SecretBytes secret_;
  CodeReader reader_;
};

class ExternalGate final : public MintGate {
 public:
  explicit ExternalGate(GateFn fn) : fn_(std::move(fn)) {}
  Status authorize(const MintRequest& req) override {
    if (!fn_) return fail(Errc::internal, "sealed-env: mint gate without an implementation");
    return fn_(req);
  }

 private:
  GateFn fn_;
};

}  // namespace

std::unique_ptr<MintGate> external_gate(GateFn fn) {
  return std::make_unique<ExternalGate>(std::move(fn));
}

std::unique_ptr<MintGate> open_gate() { return std::make_unique<OpenGate>(); }

std::unique_ptr<MintGate> totp_gate(ByteView totp_secret, CodeReader read_code) {
  return std::make_unique<TotpGate>(SecretBytes::copy_of(totp_secret), std::move(read_code));
}

}  // namespace keyward::sealedenv
