// RFC 6238 TOTP over RFC 4226 HOTP; the HMAC comes from core/hash (OpenSSL EVP_MAC).
#include "core/totp.h"

#include <array>

#include "core/hash.h"
#include "core/random.h"

namespace keyward::totp {
namespace {

Status check_params(const Params& p) {
  if (p.digits != 6 && p.digits != 8)
    return fail(Errc::invalid_argument,
                "TOTP digits must be 6 or 8, got " + std::to_string(p.digits));
  if (p.step_seconds == 0) return fail(Errc::invalid_argument, "TOTP time step must be > 0");
  switch (p.algorithm) {
    case Algorithm::sha1:
    case Algorithm::sha256:
    case Algorithm::sha512:
      return ok();
  }
  return fail(Errc::invalid_argument, "unknown TOTP algorithm");
}

Status check_key(ByteView key) {
  if (key.size() < kMinKeySize)
    return fail(Errc::invalid_argument, "TOTP secret must be at least 16 bytes, got " +
                                            std::to_string(key.size()));
  return ok();
}

hash::HmacAlg hmac_alg(Algorithm a) {
  switch (a) {
    case Algorithm::sha256: return hash::HmacAlg::sha256;
    case Algorithm::sha512: return hash::HmacAlg::sha512;
    case Algorithm::sha1: break;
  }
  return hash::HmacAlg::sha1;
}

// Parameters already checked.
std::string hotp_unchecked(ByteView key, std::uint64_t c, const Params& p) {
  std::array<std::uint8_t, 8> msg{};
  for (int i = 7; i >= 0; --i) {
    msg[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(c & 0xff);
    c >>= 8;
  }
  Bytes mac = hash::hmac(hmac_alg(p.algorithm), key, msg);
  const std::size_t offset = mac.back() & 0x0f;  // RFC 4226 §5.3 dynamic truncation
  const std::uint32_t bin = (static_cast<std::uint32_t>(mac[offset] & 0x7f) << 24) |
                            (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
                            (static_cast<std::uint32_t>(mac[offset + 2]) << 8) |
                            static_cast<std::uint32_t>(mac[offset + 3]);
  secure_wipe(mac.data(), mac.size());
  std::uint32_t modulus = 1;
  for (unsigned i = 0; i < p.digits; ++i) modulus *= 10;
  std::uint32_t value = bin % modulus;
  std::string out(p.digits, '0');
  for (std::size_t i = p.digits; i-- > 0;) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return out;
}

}  // namespace

Result<std::uint64_t> counter(std::int64_t unix_time, const Params& params) {
  KW_TRY_STATUS(check_params(params));
  if (unix_time < params.t0)
    return fail(Errc::invalid_argument, "TOTP time is before the start time T0");
  const auto elapsed = static_cast<std::uint64_t>(unix_time) - static_cast<std::uint64_t>(params.t0);
  return elapsed / params.step_seconds;
}

Result<std::string> hotp(ByteView key, std::uint64_t counter_value, const Params& params) {
  KW_TRY_STATUS(check_params(params));
  KW_TRY_STATUS(check_key(key));
  return hotp_unchecked(key, counter_value, params);
}

Result<std::string> generate(ByteView key, std::int64_t unix_time, const Params& params) {
  KW_TRY_STATUS(check_key(key));
  KW_TRY(const std::uint64_t t, counter(unix_time, params));
  return hotp_unchecked(key, t, params);
}

Result<std::optional<std::uint64_t>> verify_step(ByteView key, std::string_view code,
                                                 std::int64_t unix_time, const Params& params,
                                                 unsigned skew_steps) {
  KW_TRY_STATUS(check_key(key));
  if (skew_steps > kMaxSkewSteps)
    return fail(Errc::invalid_argument, "TOTP skew must be at most " +
                                            std::to_string(kMaxSkewSteps) + " steps");
  KW_TRY(const std::uint64_t t, counter(unix_time, params));
  // The code's length is public (it is fixed by the parameters); its digits are not.
  bool well_formed = code.size() == params.digits;
  for (char ch : code) well_formed &= (ch >= '0' && ch <= '9');
  const std::uint64_t first = t >= skew_steps ? t - skew_steps : 0;
  const std::uint64_t last = t + skew_steps;
  std::optional<std::uint64_t> match;
  for (std::uint64_t c = first; c <= last; ++c) {
    std::string candidate = hotp_unchecked(key, c, params);
    const bool equal = well_formed && ct_equal(std::string_view(candidate), code);
    secure_wipe(candidate.data(), candidate.size());
    if (equal && !match) match = c;  // keep scanning: the time taken does not depend on `code`
  }
  return match;
}

Result<bool> verify(ByteView key, std::string_view code, std::int64_t unix_time,
                    const Params& params, unsigned skew_steps) {
  KW_TRY(const auto step, verify_step(key, code, unix_time, params, skew_steps));
  return step.has_value();
}

}  // namespace keyward::totp
