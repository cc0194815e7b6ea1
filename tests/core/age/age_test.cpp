// age v1 round trips and rejections for every recipient type, the header grammar and armor.
// Conformance against the CCTV suite is in age_cctv_test.cpp, against the age CLI in
// age_interop_test.cpp.
#include <catch2/catch.hpp>
#include <algorithm>
#include <memory>
#include <string>

#include "core/age/age.h"
#include "core/age/armor.h"
#include "core/age/header.h"
#include "core/age/keys.h"
#include "core/age/piv_p256.h"
#include "core/age/scrypt.h"
#include "core/age/ssh_ed25519.h"
#include "core/age/stream.h"
#include "core/age/x25519.h"
#include "core/base64.h"
#include "core/p256.h"
#include "core/random.h"

using namespace keyward;

namespace {

Bytes pattern(std::size_t n) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i * 31 + (i >> 8));
  return b;
}

Bytes seal(age::Recipient& r, ByteView plain, bool armor = false) {
  age::Recipient* rs[] = {&r};
  auto ct = age::encrypt_bytes(rs, plain, age::EncryptOptions{armor});
  REQUIRE(ct);
  return *ct;
}

Result<SecretBytes> open(age::Identity& id, ByteView file, age::Stage* stage = nullptr) {
  age::Identity* ids[] = {&id};
  return age::decrypt_bytes(ids, file, {}, stage);
}

// Hands out input one byte at a time, to exercise every buffering boundary.
class TrickleReader final : public age::ByteReader {
 public:
  explicit TrickleReader(ByteView d) : d_(d) {}
  Result<std::size_t> read(MutableByteView out) override {
    if (pos_ == d_.size() || out.empty()) return std::size_t{0};
    out[0] = d_[pos_++];
    return std::size_t{1};
  }

 private:
  ByteView d_;
  std::size_t pos_ = 0;
};

// A P-256 "card" in software.
class SoftCard final : public age::P256Decapsulator {
 public:
  SoftCard() : key_(p256::generate()) {}
  Bytes public_point() const override { return *p256::to_compressed(key_.public_uncompressed); }
  Result<SecretBytes> ecdh(ByteView peer) override {
    ++calls;
    return p256::ecdh(key_.private_scalar, peer);
  }
  int calls = 0;

 private:
  p256::KeyPair key_;
};

}  // namespace

TEST_CASE("age X25519: the spec's example identity gives the spec's example recipient", "[age]") {
  // c2sp.org/age, "The X25519 recipient type".
  auto id = age::X25519Identity::parse(
      "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX");
  REQUIRE(id);
  CHECK(id->recipient().to_string() ==
        "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj");
  auto text = id->to_string();
  REQUIRE(text);
  CHECK(text->reveal_string() ==
        "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX");
  CHECK_FALSE(age::X25519Recipient::parse("age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwq"));
  CHECK_FALSE(age::X25519Identity::parse("age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj"));
}

TEST_CASE("age X25519 round trip across chunk boundaries, binary and armored", "[age]") {
  auto id = age::X25519Identity::generate();
  auto rcpt = id.recipient();
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, age::kChunkSize - 1, age::kChunkSize,
                        age::kChunkSize + 1, 3 * age::kChunkSize, 3 * age::kChunkSize + 17}) {
    for (bool armor : {false, true}) {
      INFO("size " << n << " armor " << armor);
      const Bytes plain = pattern(n);
      const Bytes file = seal(rcpt, plain, armor);
      const std::size_t chunks = n == 0 ? 1 : (n + age::kChunkSize - 1) / age::kChunkSize;
      if (!armor) {
        const std::string_view text = as_chars(file);
        const std::size_t header_end = text.find("\n---") + 4 + 44 + 1;
        CHECK(file.size() == header_end + age::kPayloadNonceSize + n + 16 * chunks);
      } else {
        CHECK(as_chars(file).starts_with("-----BEGIN AGE ENCRYPTED FILE-----\n"));
      }
      age::Stage stage = age::Stage::io;
      auto back = open(id, file, &stage);
      REQUIRE(back);
      CHECK(stage == age::Stage::none);
      CHECK(back->equals(plain));
    }
  }
}

TEST_CASE("age decrypt reads its input in any fragmentation", "[age]") {
  auto id = age::X25519Identity::generate();
  auto rcpt = id.recipient();
  const Bytes plain = pattern(2 * age::kChunkSize + 5);
  for (bool armor : {false, true}) {
    const Bytes file = seal(rcpt, plain, armor);
    TrickleReader in(file);
    Bytes out;
    age::VectorWriter w(out);
    age::Identity* ids[] = {&id};
    auto r = age::decrypt(ids, in, w);
    REQUIRE(r);
    CHECK(r->armored == armor);
    CHECK(r->plaintext_size == plain.size());
    CHECK(out == plain);
  }
}

TEST_CASE("age STREAM in batches: multi-batch payloads round trip, also at batch boundaries",
          "[age]") {
  auto id = age::X25519Identity::generate();
  auto rcpt = id.recipient();
  // Batches of 1, 2, 4, 8, then kBatchChunks (16) chunks: batch boundaries after chunks 1, 3, 7,
  // 15, 31, 47, ...
  static_assert(age::kBatchChunks == 16);
  constexpr std::size_t chunk = age::kChunkSize;
  constexpr std::size_t batch = age::kBatchChunks * chunk;
  for (std::size_t n : {2 * chunk, 3 * chunk, 3 * chunk + 1, 15 * chunk - 1, 15 * chunk,
                        31 * chunk, 31 * chunk + 1, 47 * chunk, 3 * batch + 12345}) {
    INFO("size " << n);
    const Bytes plain = pattern(n);
    const Bytes file = seal(rcpt, plain);
    const std::size_t chunks = (n + age::kChunkSize - 1) / age::kChunkSize;
    const std::size_t header_end = as_chars(file).find("\n---") + 4 + 44 + 1;
    CHECK(file.size() == header_end + age::kPayloadNonceSize + n + 16 * chunks);
    auto back = open(id, file);
    REQUIRE(back);
    CHECK(back->equals(plain));
  }
  // Encrypting from a reader that hands out one byte at a time gives a file that decrypts too.
  const Bytes plain = pattern(batch + 3);
  TrickleReader in(plain);
  Bytes file;
  age::VectorWriter w(file);
  age::Recipient* rs[] = {&rcpt};
  REQUIRE(age::encrypt(rs, in, w));
  auto back = open(id, file);
  REQUIRE(back);
  CHECK(back->equals(plain));
}

TEST_CASE("age STREAM in batches: a bad chunk releases only the chunks before it", "[age]") {
  auto id = age::X25519Identity::generate();
  auto rcpt = id.recipient();
  constexpr std::size_t batch_chunks = age::kBatchChunks;
  const std::size_t total_chunks = 3 * batch_chunks + 2;  // the last one is short
  const Bytes plain = pattern((total_chunks - 1) * age::kChunkSize + 777);
  const Bytes file = seal(rcpt, plain);
  const std::size_t payload = as_chars(file).find("\n---") + 4 + 44 + 1 + age::kPayloadNonceSize;
  // Offset of sealed chunk i in the file; the first `chunks` chunks of plaintext.
  auto at = [&](std::size_t i) {
    return static_cast<std::ptrdiff_t>(payload + i * age::kSealedChunkSize);
  };
  auto plain_prefix = [&](std::size_t chunks) {
    return Bytes(plain.begin(),
                 plain.begin() + static_cast<std::ptrdiff_t>(chunks * age::kChunkSize));
  };

  auto decrypt_released = [&](const Bytes& bad, Bytes& released) {
    released.clear();
    age::MemoryReader in(bad);
    age::VectorWriter w(released);
    age::Identity* ids[] = {&id};
    age::Stage stage{};
    auto r = age::decrypt(ids, in, w, {}, &stage);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::decrypt_failed);
    CHECK(r.error().message == kDecryptFailedMessage);
    CHECK(stage == age::Stage::payload);
  };

  // Batches of 1, 2, 4, 8, then 16 chunks: chunks 15..30 and 31..46 are full batches.
  static_assert(age::kBatchChunks == 16);
  // A flipped byte in a middle chunk of a full batch, in the first chunk of a batch, in the last
  // chunk of a batch, in the final (short) chunk and in the first chunk.
  for (std::size_t bad_chunk : {std::size_t{38}, std::size_t{31}, std::size_t{30}, std::size_t{5},
                                total_chunks - 1, std::size_t{0}}) {
    INFO("bad chunk " << bad_chunk);
    Bytes bad = file;
    bad[static_cast<std::size_t>(at(bad_chunk)) + 100] ^= 0x01;
    Bytes released;
    decrypt_released(bad, released);
    // Exactly the chunks before the bad one: none of its plaintext, nothing after it.
    CHECK(released.size() == bad_chunk * age::kChunkSize);
    CHECK(released == plain_prefix(bad_chunk));
  }

  // Cut exactly at a batch boundary, or inside a batch at a chunk boundary: every chunk present
  // is authentic but none is final.
  for (std::size_t cut_at : {std::size_t{31}, std::size_t{47}, std::size_t{40}}) {
    INFO("cut after " << cut_at << " chunks");
    Bytes cut(file.begin(), file.begin() + at(cut_at));
    Bytes released;
    decrypt_released(cut, released);
    CHECK(released == plain_prefix(cut_at));
  }

  // A middle chunk moved to another position (reordering) fails at that position.
  {
    Bytes swapped = file;
    const std::size_t a = 33, b = 34;
    std::swap_ranges(swapped.begin() + at(a), swapped.begin() + at(b), swapped.begin() + at(b));
    Bytes released;
    decrypt_released(swapped, released);
    CHECK(released == plain_prefix(a));
  }
}

TEST_CASE("age decrypt failure classes: wrong key, header MAC, payload, truncation", "[age]") {
  auto id = age::X25519Identity::generate();
  auto other = age::X25519Identity::generate();
  auto rcpt = id.recipient();
  const Bytes plain = pattern(age::kChunkSize + 100);
  const Bytes file = seal(rcpt, plain);
  age::Stage stage{};

  auto r = open(other, file, &stage);
  REQUIRE_FALSE(r);
  CHECK(stage == age::Stage::no_match);
  CHECK(r.error().code == Errc::auth_failed);

  // A flipped bit in the stanza's argument line changes the MAC input (and the share).
  const std::size_t header_end = as_chars(file).find("\n---") + 1;
  Bytes mac_flip = file;
  mac_flip[header_end + 5] ^= 0x01;  // inside the base64 MAC
  r = open(id, mac_flip, &stage);
  REQUIRE_FALSE(r);
  CHECK((stage == age::Stage::hmac || stage == age::Stage::header));

  Bytes tail_flip = file;
  tail_flip.back() ^= 0x80;
  Bytes released;
  {
    age::MemoryReader in(tail_flip);
    age::VectorWriter w(released);
    age::Identity* ids[] = {&id};
    auto rr = age::decrypt(ids, in, w, {}, &stage);
    REQUIRE_FALSE(rr);
    CHECK(rr.error().code == Errc::decrypt_failed);
    CHECK(rr.error().message == kDecryptFailedMessage);
    CHECK(stage == age::Stage::payload);
    // The first (authentic) chunk was released before the last one failed.
    CHECK(released == Bytes(plain.begin(), plain.begin() + age::kChunkSize));
  }

  Bytes truncated(file.begin(), file.end() - 1);
  r = open(id, truncated, &stage);
  REQUIRE_FALSE(r);
  CHECK(stage == age::Stage::payload);

  Bytes extended = file;
  extended.push_back(0);
  r = open(id, extended, &stage);
  REQUIRE_FALSE(r);
  CHECK(stage == age::Stage::payload);
}

TEST_CASE("age header: body lines wrap at 64 columns with a final short (maybe empty) line", "[age]") {
  age::Stanza s;
  s.type = "test";
  s.args = {"a", "b"};
  s.body = pattern(48);  // exactly one full line: an empty final line follows
  age::Stanza s2{"other", {}, pattern(49)};
  const age::Stanza both[] = {s, s2};
  auto text = age::encode_header_without_mac(both);
  REQUIRE(text);
  CHECK(*text == std::string("age-encryption.org/v1\n-> test a b\n") +
                     encoding::base64_raw_encode(s.body) + "\n\n-> other\n" +
                     encoding::base64_raw_encode(s2.body).substr(0, 64) + "\n" +
                     encoding::base64_raw_encode(s2.body).substr(64) + "\n---");
  const SecretBytes key = random_secret(16);
  auto full = age::encode_header(both, key);
  REQUIRE(full);
  age::MemoryReader mr(as_bytes(*full));
  age::BufferedReader br(mr);
  auto parsed = age::parse_header(br);
  REQUIRE(parsed);
  REQUIRE(parsed->stanzas.size() == 2);
  CHECK(parsed->stanzas[0].args == s.args);
  CHECK(parsed->stanzas[0].body == s.body);
  CHECK(parsed->stanzas[1].body == s2.body);
  CHECK(parsed->mac_input == *text);
  auto mac = age::header_mac(key, parsed->mac_input);
  REQUIRE(mac);
  CHECK(*mac == parsed->mac);

  age::Stanza bad{"has space", {}, {}};
  const age::Stanza bads[] = {bad};
  CHECK_FALSE(age::encode_header_without_mac(bads));
}

TEST_CASE("age unknown stanza types are ignored", "[age]") {
  // Splice a foreign stanza in front of a real one and recompute nothing: the MAC then fails,
  // which proves the stanza was parsed and skipped (not a header error).
  auto id = age::X25519Identity::generate();
  auto rcpt = id.recipient();
  const Bytes file = seal(rcpt, as_bytes("hello"));
  std::string text(as_chars(file));
  text.insert(std::string("age-encryption.org/v1\n").size(), "-> example.com/enigma x y\n\n");
  age::Stage stage{};
  auto r = open(id, as_bytes(text), &stage);
  REQUIRE_FALSE(r);
  CHECK(stage == age::Stage::hmac);
}

TEST_CASE("age scrypt: round trip, alone-only rule, work factor limit", "[age]") {
  age::ScryptRecipient rcpt(SecretBytes::copy_of("correct horse"), 10);
  const Bytes file = seal(rcpt, as_bytes("secret payload"));
  CHECK(as_chars(file).find("\n-> scrypt ") != std::string_view::npos);
  CHECK(as_chars(file).find(" 10\n") != std::string_view::npos);

  age::ScryptIdentity good(SecretBytes::copy_of("correct horse"));
  auto r = open(good, file);
  REQUIRE(r);
  CHECK(r->reveal_string() == "secret payload");

  age::ScryptIdentity wrong(SecretBytes::copy_of("battery staple"));
  age::Stage stage{};
  CHECK_FALSE(open(wrong, file, &stage));
  CHECK(stage == age::Stage::no_match);

  age::ScryptIdentity strict(SecretBytes::copy_of("correct horse"), 9);
  auto limited = open(strict, file, &stage);
  REQUIRE_FALSE(limited);
  CHECK(limited.error().code == Errc::policy);
  CHECK(stage == age::Stage::unwrap);

  auto x = age::X25519Identity::generate().recipient();
  age::Recipient* mixed[] = {&rcpt, &x};
  auto refused = age::encrypt_bytes(mixed, as_bytes("x"));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::invalid_argument);
}

TEST_CASE("age ssh-ed25519: round trip, tag matching, public key line parsing", "[age]") {
  const SecretBytes seed = random_secret(32);
  auto id = age::SshEd25519Identity::from_seed(seed);
  REQUIRE(id);
  auto rcpt = id->recipient();
  const std::string line = rcpt.to_string() + " user@host";
  auto parsed = age::SshEd25519Recipient::parse(line);
  REQUIRE(parsed);
  CHECK(parsed->to_string() == rcpt.to_string());

  const Bytes file = seal(*parsed, pattern(1000), true);
  auto r = open(*id, file);
  REQUIRE(r);
  CHECK(r->equals(pattern(1000)));

  auto other = age::SshEd25519Identity::from_seed(random_secret(32));
  REQUIRE(other);
  age::Stage stage{};
  CHECK_FALSE(open(*other, file, &stage));
  CHECK(stage == age::Stage::no_match);

  auto rsa = age::SshEd25519Recipient::parse("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ user@host");
  REQUIRE_FALSE(rsa);
  CHECK(rsa.error().code == Errc::unsupported);
  CHECK_FALSE(age::SshEd25519Recipient::parse("ssh-ed25519 not-base64!"));
}

TEST_CASE("age piv-p256: software card round trip, tag routing, string forms", "[age]") {
  SoftCard card, other_card;
  auto rcpt = age::PivP256Recipient::from_point(card.public_point());
  REQUIRE(rcpt);
  const std::string text = rcpt->to_string();
  CHECK(text.starts_with("age1yubikey1"));
  CHECK(text.size() == 71);  // hw-protocols.md §7
  auto parsed = age::parse_recipient(text);
  REQUIRE(parsed);

  const Bytes file = seal(**parsed, as_bytes("to the card"));
  const std::string_view ft = as_chars(file);
  const auto tag = age::piv_p256_tag(card.public_point());
  CHECK(ft.find("\n-> piv-p256 " + encoding::base64_raw_encode(tag) + " ") != std::string_view::npos);

  age::PivP256Identity id(card);
  auto r = open(id, file);
  REQUIRE(r);
  CHECK(r->reveal_string() == "to the card");
  CHECK(card.calls == 1);

  age::PivP256Identity not_mine(other_card);
  age::Stage stage{};
  CHECK_FALSE(open(not_mine, file, &stage));
  CHECK(stage == age::Stage::no_match);
  CHECK(other_card.calls == 0);  // tags differ: the card is never asked

  age::YubikeyIdentityRef ref{12345678, 0x82, tag};
  auto ident = age::encode_yubikey_identity(ref);
  REQUIRE(ident);
  CHECK(ident->starts_with("AGE-PLUGIN-YUBIKEY-1"));
  auto back = age::parse_yubikey_identity(*ident);
  REQUIRE(back);
  CHECK(back->serial == 12345678u);
  CHECK(back->slot == 0x82);
  CHECK(back->tag == tag);
}

TEST_CASE("age recipient and identity strings", "[age]") {
  auto id = age::X25519Identity::generate();
  auto secret = id.to_string();
  REQUIRE(secret);
  const std::string file_text = "# created: today\n# public key: " + id.recipient().to_string() +
                                "\n" + std::string(secret->reveal_string()) + "\n";
  auto ids = age::parse_identities(file_text);
  REQUIRE(ids);
  CHECK(ids->size() == 1);

  auto rs = age::parse_recipients_file("# team\n" + id.recipient().to_string() + "\n\n");
  REQUIRE(rs);
  CHECK(rs->size() == 1);

  auto pq = age::parse_recipient("age1pq1x34nzsvr0rxjsgdn8zgyhfe8j7ceq5r9rdelkjuh3y235jzxs");
  REQUIRE_FALSE(pq);
  CHECK(pq.error().code == Errc::unsupported);
  auto pqid = age::parse_identities("AGE-SECRET-KEY-PQ-1XX76JRALNLXDMEW0CRK45QMCCH4X06SE84UN3VPM33W6HWDX0H3SK3ZQFR");
  REQUIRE_FALSE(pqid);
  CHECK(pqid.error().code == Errc::unsupported);
  auto bad = age::parse_identities("AGE-SECRET-KEY-1NOTVALID\n");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("NOTVALID") == std::string::npos);  // never quotes secrets
}

TEST_CASE("age armor: 64-column lines, strict decoder", "[age]") {
  Bytes out;
  age::VectorWriter vw(out);
  age::ArmorWriter aw(vw);
  const Bytes data = pattern(48 * 3);
  REQUIRE(aw.write(ByteView(data).first(10)));
  REQUIRE(aw.write(ByteView(data).subspan(10)));
  REQUIRE(aw.finish());
  const std::string text(as_chars(out));
  CHECK(text == "-----BEGIN AGE ENCRYPTED FILE-----\n" +
                    encoding::base64_encode(ByteView(data).first(48)) + "\n" +
                    encoding::base64_encode(ByteView(data).subspan(48, 48)) + "\n" +
                    encoding::base64_encode(ByteView(data).subspan(96)) + "\n" +
                    "-----END AGE ENCRYPTED FILE-----\n");

  auto decode = [](const std::string& t) -> Result<Bytes> {
    age::MemoryReader mr(as_bytes(t));
    age::BufferedReader br(mr);
    age::ArmorReader ar(br);
    Bytes got(1024);
    std::size_t n = 0;
    for (;;) {
      KW_TRY(const std::size_t k, ar.read(MutableByteView(got).subspan(n)));
      if (k == 0) break;
      n += k;
    }
    got.resize(n);
    return got;
  };
  auto back = decode(text);
  REQUIRE(back);
  CHECK(*back == data);
  std::string crlf;
  for (char c : text) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  CHECK(decode(crlf));
  std::string mixed = crlf;
  mixed.erase(mixed.find('\r'), 1);  // first line LF, the rest CRLF
  CHECK_FALSE(decode(mixed));
  CHECK(decode(crlf.substr(0, crlf.size() - 1)));  // END line + CR, no LF
  CHECK_FALSE(decode(text + "x"));
  CHECK_FALSE(decode(text.substr(0, text.find("-----END"))));  // no END line
  CHECK(decode("\n \t" + text + "\n\n"));
}
