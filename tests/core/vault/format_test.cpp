#include <catch2/catch.hpp>

#include "core/vault/format.h"
#include "core/vault/slot.h"
#include "vault_fixture.h"

using namespace keyward;
using namespace keyward::vault;

TEST_CASE("vault header body round-trips: a 154-byte base and the extension", "[vault]") {
  HeaderBody h;
  h.vault_id[0] = 7;
  h.revision = 42;
  h.record_count = 3;
  h.manifest[5] = 9;
  h.key_id[31] = 1;
  h.has_high = true;
  h.high_check[0] = 0xAA;
  h.slot_count = 2;
  h.created = 1700000000;
  h.next_slot = 3;
  Bytes body = encode_header(h);
  REQUIRE(body.size() == kHeaderBodySize + 4 + 1 + 4);  // extension without anchors or keyring
  REQUIRE(encode_header_base(h).size() == kHeaderBodySize);
  REQUIRE(std::string(body.begin(), body.begin() + 4) == "KWVH");
  REQUIRE(std::string(body.begin() + kHeaderBodySize, body.begin() + kHeaderBodySize + 4) == "KWVA");
  auto back = parse_header(body);
  REQUIRE(back);
  REQUIRE(back->revision == 42);
  REQUIRE(back->vault_id == h.vault_id);
  REQUIRE(back->high_check == h.high_check);
  REQUIRE(back->next_slot == 3);
  // A body from before the extension (the base alone) is still read.
  REQUIRE(parse_header(encode_header_base(h)));
  // Anchors and the sealed keyring round-trip; the parser is strict about them.
  AuditAnchor a;
  a.machine[0] = 1;
  a.seq = 17;
  a.hash[3] = 4;
  AuditAnchor b;
  b.machine[0] = 2;
  h.audit_anchors = {a, b};
  h.audit_keyring = Bytes(24 + 64 + 16, 0x5a);
  body = encode_header(h);
  REQUIRE(body.size() == kHeaderBodySize + 4 + 1 + 2 * kAuditAnchorSize + 4 + 104);
  back = parse_header(body);
  REQUIRE(back);
  REQUIRE(back->audit_anchors == h.audit_anchors);
  REQUIRE(back->audit_keyring == h.audit_keyring);
  h.audit_anchors = {a, a};  // one anchor per machine
  REQUIRE_FALSE(parse_header(encode_header(h)));
  b.seq = 0;
  b.hash[0] = 1;  // seq 0 has no hash
  h.audit_anchors = {a, b};
  REQUIRE_FALSE(parse_header(encode_header(h)));
}

TEST_CASE("vault header parser rejects bad magic, version, size and revision 0", "[vault]") {
  HeaderBody h;
  h.revision = 1;
  Bytes body = encode_header(h);
  Bytes bad = body;
  bad[0] = 'X';
  REQUIRE(parse_header(bad).error().code == Errc::decrypt_failed);
  bad = body;
  bad[4] = 2;
  REQUIRE(!parse_header(bad));
  bad = body;
  bad.push_back(0);
  REQUIRE(!parse_header(bad));
  bad = body;
  bad.pop_back();
  REQUIRE(!parse_header(bad));
  h.revision = 0;
  REQUIRE(!parse_header(encode_header(h)));
}

TEST_CASE("coordinates are env/component/KEY with restricted characters", "[vault]") {
  REQUIRE(parse_coordinate("dev/api/STRIPE_KEY"));
  REQUIRE(parse_coordinate("prod/web-1/_X9"));
  for (const char* bad : {"dev/api", "dev/api/KEY/x", "Dev/api/KEY", "dev//KEY", "dev/api/9KEY",
                          "dev/api/KEY-1", "/api/KEY", "dev/a pi/KEY"}) {
    INFO(bad);
    auto c = parse_coordinate(bad);
    REQUIRE(!c);
    REQUIRE(c.error().code == Errc::invalid_argument);
  }
}

TEST_CASE("slot encoding round-trips, truncation and trailing bytes are rejected", "[vault]") {
  Slot s;
  s.type = SlotType::recipient;
  s.label = "ci";
  s.public_key[0] = 1;
  s.wrapped_master = Bytes(kWrappedSize, 0x11);
  Bytes body = encode_slot(s);
  auto back = parse_slot(body);
  REQUIRE(back);
  REQUIRE(back->label == "ci");
  REQUIRE(back->type == SlotType::recipient);
  REQUIRE(encode_slot(*back) == body);
  for (std::size_t n = 0; n < body.size(); ++n) {
    REQUIRE(!parse_slot(ByteView(body).subspan(0, n)));
  }
  Bytes longer = body;
  longer.push_back(0);
  REQUIRE(!parse_slot(longer));
}

TEST_CASE("piv and fido2 slots have handlers that validate their parameters", "[vault]") {
  Slot s;
  s.flags = kSlotFlagPresence;
  s.wrapped_master = Bytes(kWrappedSize, 0);
  for (auto t : {SlotType::piv, SlotType::fido2}) {
    REQUIRE(slot_handler(t) != nullptr);
    s.type = t;
    REQUIRE_FALSE(parse_slot(encode_slot(s)));  // empty parameters
  }
  REQUIRE(slot_handler(SlotType::passphrase) != nullptr);
  REQUIRE(slot_type_from_name("fido2") == SlotType::fido2);
}

TEST_CASE("passphrase KDF parameters have a floor", "[vault]") {
  REQUIRE(check_passphrase_params(PassphraseParams{}));
  REQUIRE(check_passphrase_params(PassphraseParams{1, 8192, 1}));
  REQUIRE(!check_passphrase_params(PassphraseParams{1, 8191, 1}));
  REQUIRE(!check_passphrase_params(PassphraseParams{0, 65536, 1}));
  REQUIRE(!check_passphrase_params(PassphraseParams{3, 65536, 0}));
}

TEST_CASE("recovery codes: 8 groups of 5, typos caught by the checksum", "[vault]") {
  VaultId vid{};
  auto rec = new_recovery_slot("recovery", vid);
  REQUIRE(rec);
  const std::string& code = rec->code;
  REQUIRE(code.size() == 47);
  for (std::size_t i = 5; i < code.size(); i += 6) REQUIRE(code[i] == '-');
  REQUIRE(recovery_credential(code));
  // Lower case, spaces instead of dashes are accepted.
  std::string relaxed = code;
  for (auto& c : relaxed) c = c == '-' ? ' ' : static_cast<char>(std::tolower(c));
  auto cred = recovery_credential(relaxed);
  REQUIRE(cred);
  REQUIRE(cred->secret.size() == 35);
  // Every single-character substitution is caught.
  std::string alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  int caught = 0, tried = 0;
  for (std::size_t pos : {0u, 7u, 20u, 33u, 46u}) {
    std::string typo = code;
    typo[pos] = typo[pos] == 'A' ? 'B' : 'A';
    ++tried;
    auto r = recovery_credential(typo);
    if (!r && r.error().code == Errc::malformed) ++caught;
  }
  REQUIRE(caught == tried);
  REQUIRE(!recovery_credential(code.substr(0, 40)));
  REQUIRE(!recovery_credential(code + "!"));
}
