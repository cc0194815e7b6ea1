// Interop with the real age CLI (Debian package `age`, plus ssh-keygen): files keyward writes
// decrypt with `age -d`, files `age -e` writes decrypt with keyward; X25519, ssh-ed25519 and
// scrypt; binary and armored; payloads of 0, 1, 64 KiB, 64 KiB + 1 and ~1 MiB bytes.
// age reads passphrases only from a terminal, so the scrypt cases run age under `script`
// (util-linux), which gives it a pty fed from a pipe. Skipped (with a warning) without `age`.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/age/age.h"
#include "core/age/keys.h"
#include "core/age/scrypt.h"
#include "core/age/ssh_ed25519.h"
#include "core/age/x25519.h"
#include "test_util.h"

using namespace keyward;
namespace fs = std::filesystem;

namespace {

bool have(const char* tool) {
  return std::system((std::string("command -v ") + tool + " >/dev/null 2>&1").c_str()) == 0;
}

int run(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()); }

void write_file(const fs::path& p, ByteView data) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  REQUIRE(out.good());
}

Bytes read_bytes(const fs::path& p) { return to_bytes(test::read_file(p.string())); }
// age creates its -o file only when it has output to write.
Bytes read_output(const fs::path& p) { return fs::exists(p) ? read_bytes(p) : Bytes(); }

Bytes payload(std::size_t n) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>((i * 7919) >> 3);
  return b;
}

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("keyward-age-interop-" + std::to_string(::getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

}  // namespace

TEST_CASE("age interop with the age CLI: X25519 and ssh-ed25519, both directions", "[age][interop]") {
  KW_SKIP_UNLESS(have("age") && have("age-keygen") && have("ssh-keygen"),
                 "age, age-keygen or ssh-keygen not installed");
  TempDir tmp;
  const fs::path key = tmp.path / "key.txt", ssh = tmp.path / "id_ed25519";
  REQUIRE(run("age-keygen -o " + q(key)) == 0);
  REQUIRE(run("ssh-keygen -q -t ed25519 -N '' -C interop -f " + q(ssh)) == 0);

  const std::string key_text = test::read_file(key.string());
  const std::string recipient_line = key_text.substr(key_text.find("age1"));
  const std::string age_recipient = recipient_line.substr(0, recipient_line.find('\n'));
  auto x_ids = age::parse_identities(key_text);
  REQUIRE(x_ids);
  auto x_rcpt = age::parse_recipient(age_recipient);
  REQUIRE(x_rcpt);
  auto ssh_ids = age::parse_identities(test::read_file(ssh.string()));
  REQUIRE(ssh_ids);
  auto ssh_rcpt = age::parse_recipient(test::read_file(ssh.string() + ".pub"));
  REQUIRE(ssh_rcpt);

  struct Kind {
    const char* name;
    age::Recipient* recipient;
    std::vector<std::unique_ptr<age::Identity>>* ids;
    std::string age_identity_arg;  // for age -d
    std::string age_recipient_arg; // for age -e
  };
  Kind kinds[] = {
      {"X25519", x_rcpt->get(), &*x_ids, "-i " + q(key), "-r " + age_recipient},
      {"ssh-ed25519", ssh_rcpt->get(), &*ssh_ids, "-i " + q(ssh), "-R " + q(ssh.string() + ".pub")},
  };
  const fs::path plain = tmp.path / "plain", ct = tmp.path / "ct", out = tmp.path / "out";
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{65536}, std::size_t{65537},
                           std::size_t{(1u << 20) + 3}}) {
    const Bytes data = payload(size);
    write_file(plain, data);
    for (const Kind& k : kinds) {
      for (bool armor : {false, true}) {
        INFO(k.name << " size " << size << (armor ? " armored" : " binary"));
        // keyward -> age -d
        age::Recipient* rs[] = {k.recipient};
        auto file = age::encrypt_bytes(rs, data, age::EncryptOptions{armor});
        REQUIRE(file);
        write_file(ct, *file);
        fs::remove(out);
        CHECK(run("age -d " + k.age_identity_arg + " -o " + q(out) + " " + q(ct)) == 0);
        CHECK(read_output(out) == data);

        // age -e -> keyward
        CHECK(run("age -e " + std::string(armor ? "-a " : "") + k.age_recipient_arg + " -o " +
                  q(ct) + " " + q(plain)) == 0);
        const Bytes theirs = read_bytes(ct);
        age::Stage stage{};
        auto back = age::decrypt_bytes(age::pointers(*k.ids), theirs, {}, &stage);
        REQUIRE(back);
        CHECK(back->equals(data));
      }
    }
  }
}

TEST_CASE("age interop with the age CLI: scrypt passphrases through a pty", "[age][interop]") {
  KW_SKIP_UNLESS(have("age") && have("script"), "age or script not installed");
  TempDir tmp;
  const fs::path plain = tmp.path / "plain", ct = tmp.path / "ct", out = tmp.path / "out",
                 pass = tmp.path / "pass";
  const std::string passphrase = "interop passphrase 1";
  write_file(pass, as_bytes(passphrase + "\n" + passphrase + "\n"));
  const Bytes data = payload(70000);
  write_file(plain, data);

  for (bool armor : {false, true}) {
    INFO((armor ? "armored" : "binary"));
    // keyward (work factor 10, fast) -> age -d
    age::ScryptRecipient r(SecretBytes::copy_of(passphrase), 10);
    age::Recipient* rs[] = {&r};
    auto file = age::encrypt_bytes(rs, data, age::EncryptOptions{armor});
    REQUIRE(file);
    write_file(ct, *file);
    fs::remove(out);
    CHECK(run("script -qec \"age -d -o " + q(out) + " " + q(ct) + "\" /dev/null < " + q(pass)) == 0);
    CHECK(read_output(out) == data);
  }

  // age -e -p (work factor 18, about a second; once, binary) -> keyward
  CHECK(run("script -qec \"age -e -p -o " + q(ct) + " " + q(plain) + "\" /dev/null < " + q(pass)) == 0);
  CHECK(as_chars(read_bytes(ct)).find("\n-> scrypt ") != std::string_view::npos);
  age::ScryptIdentity id(SecretBytes::copy_of(passphrase));
  age::Identity* ids[] = {&id};
  auto back = age::decrypt_bytes(ids, read_bytes(ct));
  REQUIRE(back);
  CHECK(back->equals(data));
}

TEST_CASE("age: passphrase-protected OpenSSH keys are refused with a clear error", "[age][interop]") {
  KW_SKIP_UNLESS(have("ssh-keygen"), "ssh-keygen not installed");
  TempDir tmp;
  const fs::path ssh = tmp.path / "id_enc";
  REQUIRE(run("ssh-keygen -q -t ed25519 -N 'not-a-secret' -f " + q(ssh)) == 0);
  auto ids = age::parse_identities(test::read_file(ssh.string()));
  REQUIRE_FALSE(ids);
  CHECK(ids.error().code == Errc::unsupported);
  CHECK(ids.error().message.find("passphrase-protected") != std::string::npos);
}
