// The error model: every fallible function returns Result<T>. No exceptions cross module
// boundaries and core never prints; the CLI turns an Error into a message and an exit code.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace keyward {

// Closed set of error classes. Each has one exit code (docs/exit-codes.md); add a value only
// together with its exit code and its documentation.
enum class Errc : int {
  invalid_argument = 1,  // the caller asked for something that makes no sense (usage)
  malformed,             // input failed to parse (file, token, encoding)
  unsupported,           // well-formed but not supported (format too new, unknown algorithm)
  decrypt_failed,        // opaque: wrong key, tampered or corrupted ciphertext
  auth_failed,           // wrong passphrase, identity, recovery code or PIN
  not_found,             // no such vault, record, slot, device, file
  already_exists,        // refusing to overwrite
  integrity,             // rollback, vault swap, manifest mismatch
  policy,                // refused by policy (prod export/package, last slot, high tier rules)
  device,                // device missing/removed, no reader, pcscd not running, transport error
  pin_blocked,           // PIN or PUK blocked; needs a reset/unblock
  presence,              // touch/verification refused or timed out
  expired,               // token or package past its lifetime
  replay,                // token or nonce already used
  unavailable,           // a required service is unreachable (agent, Redis)
  io,                    // file system or OS failure
  crypto,                // a crypto library call failed unexpectedly
  cancelled,             // the user cancelled at a prompt
  followup_failed,       // the change WAS committed, but a step after it (pin, audit) failed
  internal,              // a bug: invariant broken
};

struct Error {
  Errc code = Errc::internal;
  std::string message;  // never contains secret material
};

// Result<T> is tl::expected<T, Error> that must not be dropped: the class is [[nodiscard]], so
// calling a fallible function and ignoring its outcome is a compile error (-Werror), with g++
// and clang alike (tl::expected 1.0.0 itself carries no [[nodiscard]]). Where ignoring is the
// intent, say so: `(void)f();  // why`. It converts both ways with tl::expected<T, Error>, so
// the monadic members (map, and_then, map_error, ...) and tl::unexpected keep working;
// tests/build/nodiscard_test.sh checks that discarding one fails to compile.
template <class T>
class [[nodiscard]] Result : public tl::expected<T, Error> {
 public:
  using Base = tl::expected<T, Error>;
  using Base::Base;  // assignment from a value, an error or a tl::expected goes through these

  constexpr Result() = default;
  // Not inherited (a constructor from the base class never is): a Result from a plain
  // tl::expected, e.g. what map / and_then return.
  constexpr Result(const Base& other) : Base(other) {}        // NOLINT(google-explicit-constructor)
  constexpr Result(Base&& other) : Base(std::move(other)) {}  // NOLINT(google-explicit-constructor)
};
using Status = Result<void>;

// `return fail(Errc::malformed, "header line 2: expected ...");`
inline tl::unexpected<Error> fail(Errc code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}

inline Status ok() { return {}; }

// Stable lower-case name of an error class (e.g. "decrypt_failed"), for logs and --json.
std::string_view errc_name(Errc code) noexcept;

// Process exit code for an error class; 0 is success, 2 is also used by CLI11 for usage errors.
int exit_code(Errc code) noexcept;

// The single message for every decryption failure: never says which of key, tag or data was wrong.
inline constexpr std::string_view kDecryptFailedMessage =
    "decryption failed: wrong key, or the data was corrupted or tampered with";

}  // namespace keyward

// Propagate an error: `KW_TRY(auto x, parse(...));` or `KW_TRY_STATUS(check(...));`
#define KW_CONCAT_INNER(a, b) a##b
#define KW_CONCAT(a, b) KW_CONCAT_INNER(a, b)
#define KW_TRY_STATUS(expr)                                        \
  do {                                                             \
    auto kw_status_ = (expr);                                      \
    if (!kw_status_) return tl::unexpected(kw_status_.error());    \
  } while (0)
#define KW_TRY_IMPL(tmp, decl, expr)                         \
  auto tmp = (expr);                                         \
  if (!tmp) return tl::unexpected(std::move(tmp).error());   \
  decl = std::move(*tmp)
#define KW_TRY(decl, expr) KW_TRY_IMPL(KW_CONCAT(kw_try_, __LINE__), decl, expr)
