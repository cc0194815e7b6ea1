// The unlock agent without sockets (src/agent/server.h, proto.h): requests handled by an Agent
// that was given only a master key. Normal records are opened and sealed by the agent; high
// records come back sealed (never a value, never the high key), and opening them needs the
// presence gate; TTLs and lock wipe; the wire format is strict and round-trips.
#include <type_traits>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>

#include <unistd.h>

#include "agent/proto.h"
#include "agent/server.h"
#include "core/gate/gate.h"
#include "core/hash.h"
#include "core/p256.h"
#include "core/random.h"
#include "core/vault/slot_fido2.h"
#include "../vault/vault_fixture.h"

using namespace keyward;
using namespace keyward::vault;
using namespace keyward::vault::test;
using agent::Op;
using agent::Request;
using agent::Response;

namespace {

class SoftAuthenticator final : public Fido2Agent {
 public:
  SoftAuthenticator() : key(p256::generate()), hmac(random_secret(32)) {}
  Result<Fido2Assertion> get_assertion(const Fido2CredInfo& cred, std::string_view,
                                       ByteView cdh) override {
    Fido2Assertion a;
    auto h = hash::sha256(as_bytes(cred.rp_id));
    a.auth_data.assign(h.begin(), h.end());
    a.auth_data.push_back(0x05);  // UP | UV
    for (std::uint8_t b : {0, 0, 0, 7}) a.auth_data.push_back(b);
    Bytes msg = a.auth_data;
    append(msg, cdh);
    KW_TRY(a.signature, p256::ecdsa_sign_der(key.private_scalar, msg));
    a.hmac_output = hmac.clone();
    return a;
  }
  p256::KeyPair key;
  SecretBytes hmac;
};

// The soft authenticator as the device adapters a command passes to core.
struct Guard {
  explicit Guard(Fido2Agent* a) : devices{nullptr, a} {}
  Devices devices;
};

struct Fixture {
  TempDir dir;
  std::string path = dir.path + "/v.db";
  VaultOptions opts{dir.path + "/pins"};
  agent::Agent make_agent(std::uint64_t idle = 900, std::uint64_t max = 28800) {
    agent::AgentOptions o;
    o.idle_ttl_s = idle;
    o.max_ttl_s = max;
    o.vault_options = opts;
    return agent::Agent(o);
  }
  Vault make() {
    auto v = Vault::create_with_passphrase(path, "me", SecretBytes::copy_of(std::string_view("pw")),
                                           small_kdf(), opts);
    REQUIRE(v);
    return std::move(*v);
  }
};

Request req(Op op, const std::string& vault = "") {
  Request r;
  r.op = op;
  r.vault = vault;
  return r;
}

Response add(agent::Agent& a, const Vault& v, std::uint64_t now) {
  Request r = req(Op::add, v.path());
  r.secret = v.master_key().clone();
  return a.handle(r, now);
}

// Round trip through the wire encoding, as a client would see it.
Response wire(const Response& r) {
  Bytes c = agent::encode_response(r);
  auto d = agent::decode_response(c, r.secret.clone());
  REQUIRE(d);
  return std::move(*d);
}

std::string value_of(const Response& r, std::size_t i) {
  return std::string(as_chars(r.secret.view().subspan(r.records.at(i).offset, r.records.at(i).len)));
}

bool contains(ByteView hay, std::string_view needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

}  // namespace

TEST_CASE("agent: a master key handed over serves get, env, list, set, rm", "[agent]") {
  Fixture f;
  auto v = f.make();
  std::vector<SetItem> items;
  items.push_back(item("dev/api/A", "alpha"));
  items.push_back(item("dev/api/B", "beta"));
  items.push_back(item("prod/api/C", "gamma"));
  items[2].tier = Tier::normal;
  REQUIRE(v.set(items));
  auto a = f.make_agent();

  Request g = req(Op::get, v.path());
  g.coordinate = "dev/api/A";
  CHECK(a.handle(g, 1000).locked);  // not handed over yet: the client unlocks directly
  REQUIRE(add(a, v, 1000).ok);
  CHECK(a.held() == 1);
  auto got = wire(a.handle(g, 1001));
  REQUIRE(got.ok);
  REQUIRE(got.records.size() == 1);
  CHECK(got.records[0].meta.coordinate == "dev/api/A");
  CHECK(value_of(got, 0) == "alpha");
  CHECK(!got.high);

  Request e = req(Op::env, v.path());
  e.env = "dev";
  auto env = wire(a.handle(e, 1002));
  REQUIRE(env.records.size() == 2);
  CHECK(value_of(env, 0) == "alpha");
  CHECK(value_of(env, 1) == "beta");

  Request s = req(Op::set, v.path());
  s.items.push_back(agent::ItemWire{"dev/api/D", Tier::normal, Kind::value, 5});
  s.secret = SecretBytes::copy_of(std::string_view("delta"));
  REQUIRE(a.handle(s, 1003).ok);
  REQUIRE(v.get("dev/api/D")->value.reveal_string() == "delta");  // written to the file

  Request rm = req(Op::rm, v.path());
  rm.coordinate = "dev/api/B";
  REQUIRE(a.handle(rm, 1004).ok);
  Request list = req(Op::list, v.path());
  auto l = wire(a.handle(list, 1005));
  std::vector<std::string> coords;
  for (const auto& m : l.metas) coords.push_back(m.coordinate);
  CHECK(coords == std::vector<std::string>{"dev/api/A", "dev/api/D", "prod/api/C"});

  Request missing = req(Op::get, v.path());
  missing.coordinate = "dev/api/ZZZ";
  auto m = wire(a.handle(missing, 1006));
  CHECK(!m.ok);
  CHECK(!m.locked);
  CHECK(m.code == Errc::not_found);
}

TEST_CASE("agent: a key of another vault is refused, lock and lock --all wipe", "[agent]") {
  Fixture f, other;
  auto v = f.make();
  auto w = other.make();
  auto a = f.make_agent();
  Request bad = req(Op::add, v.path());
  bad.secret = w.master_key().clone();
  auto r = a.handle(bad, 0);
  CHECK(!r.ok);
  CHECK(r.code == Errc::auth_failed);
  CHECK(a.held() == 0);

  REQUIRE(add(a, v, 0).ok);
  REQUIRE(add(a, w, 0).ok);
  CHECK(a.held() == 2);
  Request lock = req(Op::lock, v.path());
  REQUIRE(a.handle(lock, 1).ok);
  CHECK(a.held() == 1);
  Request l = req(Op::list, v.path());
  CHECK(a.handle(l, 2).locked);
  Request all = req(Op::lock);
  all.all = true;
  REQUIRE(a.handle(all, 3).ok);
  CHECK(a.held() == 0);
}

TEST_CASE("agent: the slot the client unlocked with is kept, only a slot of the vault", "[agent]") {
  Fixture f;
  auto v = f.make();
  REQUIRE(v.unlocked_slot() == 1);
  auto a = f.make_agent();
  auto slots_used = [&](std::uint64_t now) {
    Request sl = req(Op::slots, v.path());
    auto r = wire(a.handle(sl, now));
    REQUIRE(r.ok);
    REQUIRE(r.slot_list);
    return r.slot_list->unlocked;
  };
  REQUIRE(add(a, v, 1000).ok);
  CHECK(slots_used(1001) == 0);  // not named: not known
  Request named = req(Op::add, v.path());
  named.secret = v.master_key().clone();
  named.slot = v.unlocked_slot();
  REQUIRE(a.handle(named, 1002).ok);
  CHECK(slots_used(1003) == 1);
  Request bogus = req(Op::add, v.path());
  bogus.secret = v.master_key().clone();
  bogus.slot = 7;  // no slot 7 in this vault: ignored
  REQUIRE(a.handle(bogus, 1004).ok);
  CHECK(slots_used(1005) == 0);
}

TEST_CASE("agent: idle TTL slides with use, the absolute limit does not", "[agent]") {
  Fixture f;
  auto v = f.make();
  auto a = f.make_agent(10, 25);  // seconds
  REQUIRE(add(a, v, 0).ok);
  CHECK(a.next_expiry() == 10000);
  Request l = req(Op::list, v.path());
  REQUIRE(a.handle(l, 9000).ok);  // used: idle limit moves to 19 s
  a.expire(18999);
  CHECK(a.held() == 1);
  a.expire(19000);
  CHECK(a.held() == 0);
  CHECK(a.handle(l, 19001).locked);

  REQUIRE(add(a, v, 100000).ok);
  for (std::uint64_t t = 100000; t < 125000; t += 5000) REQUIRE(a.handle(l, t).ok);
  a.expire(125000);  // used every 5 s, but 25 s after the hand-over it goes
  CHECK(a.held() == 0);
  Request status = req(Op::status);
  auto st = a.handle(status, 125001);
  CHECK(st.vaults.empty());
  CHECK(st.idle_ttl_s == 10);
}

TEST_CASE("agent: high records come back sealed, never opened, the gate is required", "[agent]") {
  Fixture f;
  SoftAuthenticator auth;
  Guard guard(&auth);
  {
    auto v = f.make();
    Fido2CredInfo c;
    c.uv = Fido2Uv::required;  // only UV-required FIDO2 slots hold the high key (issue 12)
    c.cred_protect = 3;
    c.rp_id = "keyward.vault";
    c.credential_id = random_bytes(48);
    c.salt = random_bytes(32);
    c.public_key = auth.key.public_uncompressed;
    auto slot = new_fido2_slot("fk", c, auth.hmac, v.header().vault_id);
    REQUIRE(slot);
    REQUIRE(v.add_slot(std::move(*slot)));
  }
  // Unlocked with the FIDO2 slot (touch); writing the high record passes the presence gate.
  auto hv = Vault::open(f.path, Credential{SlotType::fido2, {}, guard.devices}, f.opts);
  REQUIRE(hv);
  std::vector<SetItem> items;
  items.push_back(item("prod/api/HIGH", "top-secret-high-value"));
  items[0].tier = Tier::high;
  items.push_back(item("prod/api/LOW", "normal-value"));
  gate::Request gr;
  gr.vault_label = hv->path();
  gr.vault_id = hv->header().vault_id;
  gr.purpose = "set";
  gr.coordinates = {"prod/api/HIGH"};
  {
    // prod is a high environment: the normal record there needs the grant as well (core policy).
    auto partial = gate::pass(gr, hv->header(), hv->slots(), guard.devices, f.dir.path + "/gate-partial");
    REQUIRE(partial);
    auto refused = hv->set(items, &*partial);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::policy);
    CHECK(refused.error().message.find("prod/api/LOW") != std::string::npos);
  }
  gr.coordinates = {"prod/api/HIGH", "prod/api/LOW"};
  auto needed = hv->grant_needed(items);
  REQUIRE(needed);
  CHECK(*needed == gr.coordinates);
  auto grant = gate::pass(gr, hv->header(), hv->slots(), guard.devices, f.dir.path + "/gate");
  REQUIRE(grant);
  REQUIRE(hv->set(items, &*grant));

  // The CLI hands over only the master key, even from a vault that holds the high key.
  auto a = f.make_agent();
  REQUIRE(add(a, *hv, 0).ok);

  Request g = req(Op::get, hv->path());
  g.coordinate = "prod/api/HIGH";
  auto got = wire(a.handle(g, 1));
  REQUIRE(got.ok);
  CHECK(got.records.empty());
  CHECK(got.secret.empty());
  REQUIRE(got.high);
  REQUIRE(got.high->rows.size() == 1);
  CHECK(got.high->rows[0].meta.coordinate == "prod/api/HIGH");
  CHECK(got.high->rows[0].meta.tier == Tier::high);
  CHECK(!contains(got.high->rows[0].row.body, "top-secret-high-value"));
  // Header and slots are the verified ones (the client runs the gate over them).
  auto header = parse_header(got.high->header);
  REQUIRE(header);
  CHECK(header->vault_id == hv->header().vault_id);
  CHECK(got.high->slots.size() == hv->slots().size());
  // The whole answer never carries the value.
  Bytes encoded = agent::encode_response(got);
  CHECK(!contains(encoded, "top-secret-high-value"));

  Request e = req(Op::env, hv->path());
  e.env = "prod";
  auto env = wire(a.handle(e, 2));
  REQUIRE(env.records.size() == 1);
  CHECK(value_of(env, 0) == "normal-value");
  REQUIRE(env.high);
  REQUIRE(env.high->rows.size() == 1);
  CHECK(!contains(env.secret.view(), "top-secret-high-value"));

  // The agent cannot write high records (no high key).
  Request s = req(Op::set, hv->path());
  s.items.push_back(agent::ItemWire{"prod/api/NEW", Tier::high, Kind::value, 1});
  s.secret = SecretBytes::copy_of(std::string_view("x"));
  auto sr = a.handle(s, 3);
  CHECK(!sr.ok);
  CHECK(sr.code == Errc::policy);
  CHECK(sr.needs_grant);

  // Issue 13: no write around the rules through the agent (no touch, warm agent). Overwriting
  // and downgrading a high record, removing it, adding a normal record to a high environment:
  // each refused with needs_grant, nothing applied.
  auto refused = [&](Request r, std::uint64_t now) {
    auto resp = wire(a.handle(r, now));
    CHECK(!resp.ok);
    CHECK(!resp.locked);
    CHECK(resp.code == Errc::policy);
    CHECK(resp.needs_grant);
  };
  REQUIRE(hv->list());  // re-reads the header
  const auto revision = hv->header().revision;
  {
    Request w = req(Op::set, hv->path());
    w.items.push_back(agent::ItemWire{"prod/api/HIGH", Tier::normal, Kind::value, 1});
    w.secret = SecretBytes::copy_of(std::string_view("x"));
    refused(std::move(w), 4);
  }
  {
    Request w = req(Op::set, hv->path());
    w.items.push_back(agent::ItemWire{"prod/api/OTHER", Tier::normal, Kind::value, 1});
    w.secret = SecretBytes::copy_of(std::string_view("x"));
    refused(std::move(w), 5);
  }
  {
    Request w = req(Op::rm, hv->path());
    w.coordinate = "prod/api/HIGH";
    refused(std::move(w), 6);
    Request w2 = req(Op::rm, hv->path());
    w2.coordinate = "prod/api/LOW";
    refused(std::move(w2), 7);
  }
  {
    // A loader variable in a high environment: refused outright (no grant lifts it).
    Request w = req(Op::set, hv->path());
    w.items.push_back(agent::ItemWire{"prod/api/LD_PRELOAD", Tier::normal, Kind::value, 1});
    w.secret = SecretBytes::copy_of(std::string_view("x"));
    auto resp = wire(a.handle(w, 8));
    CHECK(!resp.ok);
    CHECK(resp.code == Errc::policy);
  }
  {
    // The reserved environment, whatever the client: refused.
    Request w = req(Op::get, hv->path());
    w.coordinate = "keyward.internal/package/IDENTITY";
    auto resp = wire(a.handle(w, 9));
    CHECK(!resp.ok);
    CHECK(resp.code == Errc::policy);
  }
  {
    // A request whose deadline has passed is not applied.
    Request w = req(Op::set, hv->path());
    w.items.push_back(agent::ItemWire{"dev/api/LATE", Tier::normal, Kind::value, 1});
    w.secret = SecretBytes::copy_of(std::string_view("x"));
    w.deadline_ms = 1;
    auto resp = wire(a.handle(w, 10));
    CHECK(!resp.ok);
    CHECK(resp.code == Errc::unavailable);
    CHECK(hv->get("dev/api/LATE").error().code == Errc::not_found);
  }
  auto still = hv->tier_of("prod/api/HIGH");
  REQUIRE(still);
  CHECK(*still == Tier::high);
  REQUIRE(hv->tier_of("prod/api/LOW"));
  CHECK(hv->get("prod/api/OTHER").error().code == Errc::not_found);
  CHECK(hv->header().revision == revision);
  {
    // Normal records outside high environments still go through.
    Request w = req(Op::set, hv->path());
    w.items.push_back(agent::ItemWire{"dev/api/OK", Tier::normal, Kind::value, 1});
    w.secret = SecretBytes::copy_of(std::string_view("x"));
    CHECK(a.handle(w, 11).ok);
  }

  // Opening needs a grant, and only the gate makes grants: none can be built by hand.
  static_assert(!std::is_default_constructible_v<gate::Grant>);
  static_assert(!std::is_copy_constructible_v<gate::Grant>);
}

TEST_CASE("agent: the client's gate outcome is recorded, for rows just served to it only", "[agent]") {
  Fixture f;
  SoftAuthenticator auth;
  Guard guard(&auth);
  std::uint32_t fido_slot = 0;
  {
    auto v = f.make();
    Fido2CredInfo c;
    c.uv = Fido2Uv::required;  // only UV-required FIDO2 slots hold the high key (issue 12)
    c.cred_protect = 3;
    c.rp_id = "keyward.vault";
    c.credential_id = random_bytes(48);
    c.salt = random_bytes(32);
    c.public_key = auth.key.public_uncompressed;
    auto slot = new_fido2_slot("fk", c, auth.hmac, v.header().vault_id);
    REQUIRE(slot);
    REQUIRE(v.add_slot(std::move(*slot)));
    fido_slot = v.slots().back().number;
  }
  auto hv = Vault::open(f.path, Credential{SlotType::fido2, {}, guard.devices}, f.opts);
  REQUIRE(hv);
  std::vector<SetItem> items;
  items.push_back(item("prod/api/HIGH", "top-secret-high-value"));
  items[0].tier = Tier::high;
  gate::Request gr;
  gr.vault_label = hv->path();
  gr.vault_id = hv->header().vault_id;
  gr.purpose = "set";
  gr.coordinates = {"prod/api/HIGH"};
  auto grant = gate::pass(gr, hv->header(), hv->slots(), guard.devices, f.dir.path + "/gate");
  REQUIRE(grant);
  REQUIRE(hv->set(items, &*grant));

  auto a = f.make_agent();
  REQUIRE(add(a, *hv, 0).ok);
  a.set_peer(::getpid());
  auto report = [&](bool passed, std::vector<std::string> coords, std::string purpose = "get") {
    Request p = req(Op::presence, hv->path());
    agent::GateReport g;
    g.purpose = std::move(purpose);
    g.coordinates = std::move(coords);
    g.passed = passed;
    if (passed) {
      g.slot = fido_slot;
      g.device = "FIDO2 soft";
    } else {
      g.code = Errc::presence;
      g.message = "the touch was refused";
    }
    p.gate = std::move(g);
    // Through the wire encoding, as the agent receives it.
    auto d = agent::decode_request(agent::encode_request(p), SecretBytes{});
    REQUIRE(d);
    return a.handle(*d, 5);
  };

  // Nothing served yet: no report is accepted.
  CHECK(report(true, {"prod/api/HIGH"}).code == Errc::policy);
  Request g = req(Op::get, hv->path());
  g.coordinate = "prod/api/HIGH";
  REQUIRE(a.handle(g, 1).high);
  a.settle();
  // Another process, another list or another operation: refused.
  a.set_peer(1);
  CHECK(report(true, {"prod/api/HIGH"}).code == Errc::policy);
  a.set_peer(::getpid());
  CHECK(report(true, {"prod/api/OTHER"}).code == Errc::policy);
  CHECK(report(true, {"prod/api/HIGH"}, "run").code == Errc::policy);
  // The pass is recorded once; the same report again is refused.
  auto passed = report(true, {"prod/api/HIGH"});
  CHECK(passed.ok);
  a.settle();
  CHECK(report(true, {"prod/api/HIGH"}).code == Errc::policy);
  // A refusal after `env`.
  Request e = req(Op::env, hv->path());
  e.env = "prod";
  REQUIRE(a.handle(e, 6).high);
  // A claimed pass by a slot that cannot gate (the passphrase slot) is refused, and consumes
  // nothing.
  {
    Request p = req(Op::presence, hv->path());
    agent::GateReport gb;
    gb.purpose = "run";
    gb.coordinates = {"prod/api/HIGH"};
    gb.passed = true;
    gb.slot = hv->slots().front().number;
    gb.device = "x";
    p.gate = std::move(gb);
    CHECK(a.handle(p, 7).code == Errc::malformed);
  }
  CHECK(report(false, {"prod/api/HIGH"}, "run").ok);
  a.settle();

  auto log = hv->verify_audit();
  REQUIRE(log);
  CHECK(log->ok());
  std::vector<const audit::Entry*> presence;
  for (const auto& en : log->entries) {
    if (en.event.op == "presence") presence.push_back(&en);
  }
  REQUIRE(presence.size() == 2);
  CHECK(presence[0]->event.outcome == audit::Outcome::ok);
  CHECK(presence[0]->event.slot == fido_slot);
  CHECK(presence[0]->event.slot_type == "fido2");
  CHECK(presence[0]->event.requester.pid == static_cast<std::uint64_t>(::getpid()));
  CHECK(presence[0]->event.items == std::vector<audit::Item>{{"prod/api/HIGH", "high"}});
  CHECK(presence[0]->event.detail.find("get (touch) by FIDO2 soft") == 0);
  CHECK(presence[1]->event.outcome == audit::Outcome::denied);
  CHECK(presence[1]->event.detail.find("the touch was refused") != std::string::npos);
  // Issue 13: serving the high row sealed is itself recorded (get and run name it), so a
  // client that never reports its gate still leaves a trace.
  bool sealed_get = false, sealed_env = false;
  for (const auto& en : log->entries) {
    bool names = std::find(en.event.items.begin(), en.event.items.end(),
                           audit::Item{"prod/api/HIGH", "high"}) != en.event.items.end();
    if (en.event.op == "get" && names) sealed_get = true;
    if (en.event.op == "run" && names) sealed_env = true;
  }
  CHECK(sealed_get);
  CHECK(sealed_env);
  // settle() moved the head to the last entry (written before each answer, synced after).
  CHECK(log->head_seq == log->entries.back().seq);
  CHECK(log->notes.empty());
}

TEST_CASE("agent protocol: a gate report has one encoding", "[agent]") {
  auto make = [] {
    Request r;
    r.op = Op::presence;
    r.vault = "/v.db";
    agent::GateReport g;
    g.purpose = "run";
    g.coordinates = {"dev/api/A", "dev/api/B"};
    g.passed = true;
    g.slot = 2;
    g.device = "FIDO2 /dev/hidraw0";
    r.gate = std::move(g);
    return r;
  };
  Request r = make();
  Bytes c = agent::encode_request(r);
  auto d = agent::decode_request(c, SecretBytes{});
  REQUIRE(d);
  REQUIRE(d->gate);
  CHECK(d->gate->coordinates == r.gate->coordinates);
  CHECK(d->gate->slot == 2);
  CHECK(d->gate->device == "FIDO2 /dev/hidraw0");
  CHECK(agent::encode_request(*d) == c);
  auto refused = [&](auto change) {
    Request x = make();
    change(x);
    return !agent::decode_request(agent::encode_request(x), SecretBytes{});
  };
  CHECK(refused([](Request& x) { x.gate->coordinates = {"dev/api/B", "dev/api/A"}; }));  // unsorted
  CHECK(refused([](Request& x) { x.gate->coordinates = {"dev/api/A", "dev/api/A"}; }));  // repeated
  CHECK(refused([](Request& x) { x.gate->coordinates.clear(); }));
  CHECK(refused([](Request& x) { x.gate->purpose = "set"; }));
  CHECK(refused([](Request& x) { x.gate->slot = 0; }));
  CHECK(refused([](Request& x) { x.gate.reset(); }));
  CHECK(refused([](Request& x) { x.op = Op::get; x.coordinate = "dev/api/A"; }));  // gate on get
  Request f = make();
  f.gate->passed = false;
  f.gate->code = Errc::presence;
  f.gate->message = "timed out";
  Bytes fc = agent::encode_request(f);
  auto fd = agent::decode_request(fc, SecretBytes{});
  REQUIRE(fd);
  CHECK(!fd->gate->passed);
  CHECK(fd->gate->code == Errc::presence);
  CHECK(fd->gate->message == "timed out");
  CHECK(agent::encode_request(*fd) == fc);
}

TEST_CASE("agent protocol: strict decoding, one encoding per message", "[agent]") {
  Request r;
  r.op = Op::get;
  r.vault = "/v.db";
  r.coordinate = "dev/api/A";
  Bytes c = agent::encode_request(r);
  auto d = agent::decode_request(c, SecretBytes{});
  REQUIRE(d);
  CHECK(d->vault == "/v.db");
  CHECK(agent::encode_request(*d) == c);
  // A secret part where none belongs, a relative path, a missing coordinate: refused.
  CHECK(!agent::decode_request(c, SecretBytes(1)));
  r.vault = "v.db";
  CHECK(!agent::decode_request(agent::encode_request(r), SecretBytes{}));
  r.vault = "/v.db";
  r.coordinate.clear();
  CHECK(!agent::decode_request(agent::encode_request(r), SecretBytes{}));
  // add needs exactly a 32-byte key.
  Request ad;
  ad.op = Op::add;
  ad.vault = "/v.db";
  CHECK(!agent::decode_request(agent::encode_request(ad), SecretBytes(31)));
  CHECK(agent::decode_request(agent::encode_request(ad), SecretBytes(32)));
  // add may name the slot the client unlocked with; no other operation may.
  ad.slot = 3;
  auto ads = agent::decode_request(agent::encode_request(ad), SecretBytes(32));
  REQUIRE(ads);
  CHECK(ads->slot == 3);
  Request gs = req(Op::get, "/v.db");
  gs.coordinate = "dev/api/A";
  gs.slot = 3;
  CHECK(!agent::decode_request(agent::encode_request(gs), SecretBytes{}));
  // env for package: components sorted and distinct, never with export; sign needs a body.
  Request pk = req(Op::env, "/v.db");
  pk.env = "dev";
  pk.packaging = true;
  pk.components = {"api", "db"};
  auto pkd = agent::decode_request(agent::encode_request(pk), SecretBytes{});
  REQUIRE(pkd);
  CHECK(pkd->packaging);
  CHECK(pkd->components == std::vector<std::string>{"api", "db"});
  pk.components = {"db", "api"};
  CHECK(!agent::decode_request(agent::encode_request(pk), SecretBytes{}));
  pk.components = {"api", "api"};
  CHECK(!agent::decode_request(agent::encode_request(pk), SecretBytes{}));
  pk.components.clear();
  pk.exporting = true;
  CHECK(!agent::decode_request(agent::encode_request(pk), SecretBytes{}));
  // audit: since or sum (never both), only on audit; the answer round-trips.
  Request au = req(Op::audit, "/v.db");
  au.since = 1700000000;
  REQUIRE(agent::decode_request(agent::encode_request(au), SecretBytes{}));
  au.summary = true;
  CHECK(!agent::decode_request(agent::encode_request(au), SecretBytes{}));
  au.since = 0;
  CHECK(agent::decode_request(agent::encode_request(au), SecretBytes{}));
  Request ls = req(Op::list, "/v.db");
  ls.summary = true;
  CHECK(!agent::decode_request(agent::encode_request(ls), SecretBytes{}));
  Response ar;
  ar.audit = agent::AuditWire{"/s/a.log", true, 2, 2, 1, 2, 0, {}, {"a note"}, {"line one", "line two"}};
  auto ard = agent::decode_response(agent::encode_response(ar), SecretBytes{});
  REQUIRE(ard);
  REQUIRE(ard->audit);
  CHECK(ard->audit->lines == std::vector<std::string>{"line one", "line two"});
  CHECK(ard->audit->notes == std::vector<std::string>{"a note"});
  CHECK(ard->audit->total == 2);
  CHECK(agent::encode_response(*ard) == agent::encode_response(ar));
  ar.audit->total = 1;  // more lines than entries
  CHECK(!agent::decode_response(agent::encode_response(ar), SecretBytes{}));
  Request sg = req(Op::sign, "/v.db");
  CHECK(!agent::decode_request(agent::encode_request(sg), SecretBytes{}));
  CHECK(agent::decode_request(agent::encode_request(sg), SecretBytes(5)));
  // Unknown keys are refused (here: a map with an extra key "x").
  Bytes extra = {0xa3, 0x61, 'v', 0x01, 0x61, 'x', 0x00, 0x62, 'o', 'p', 0x66, 's', 't', 'a', 't', 'u', 's'};
  CHECK(!agent::decode_request(extra, SecretBytes{}));
  Bytes good = {0xa2, 0x61, 'v', 0x01, 0x62, 'o', 'p', 0x66, 's', 't', 'a', 't', 'u', 's'};
  CHECK(agent::decode_request(good, SecretBytes{}));
  // A response whose lengths do not add up to its secret part is refused.
  Response resp;
  resp.records.push_back(agent::RecordWire{RecordMeta{"dev/api/A", Tier::normal, Kind::value, 1, 2, {}}, 0, 3});
  Bytes rc = agent::encode_response(resp);
  CHECK(!agent::decode_response(rc, SecretBytes(2)));
  CHECK(agent::decode_response(rc, SecretBytes(3)));
  // Frames: limits are checked before anything is allocated.
  CHECK(!agent::parse_frame_header(agent::frame_header(agent::kMaxCborSize + 1, 0)));
  CHECK(!agent::parse_frame_header(agent::frame_header(0, 0)));
  CHECK(!agent::parse_frame_header(agent::frame_header(10, agent::kMaxSecretSize + 1)));
  Bytes frame = agent::frame_header(good.size(), 0);
  append(frame, good);
  CHECK(agent::parse_frame(frame));
  frame.push_back(0);
  CHECK(!agent::parse_frame(frame));
}

TEST_CASE("agent: durations", "[agent]") {
  CHECK(*agent::parse_duration("15m") == 900);
  CHECK(*agent::parse_duration("8h") == 28800);
  CHECK(*agent::parse_duration("1") == 1);
  CHECK(*agent::parse_duration("2d") == 172800);
  CHECK(!agent::parse_duration("0s"));
  CHECK(!agent::parse_duration("31d"));
  CHECK(!agent::parse_duration("m"));
  CHECK(!agent::parse_duration("-5"));
  CHECK(!agent::parse_duration("5 m"));
}

TEST_CASE("agent protocol: hand-written frames (the fuzz seeds) decode as documented", "[agent]") {
  // Built with append (GCC 12's -Warray-bounds false positive on operator+ chains).
  auto read = [](std::string_view name) {
    std::string path = KEYWARD_SOURCE_DIR;
    path.append("/tests/fuzz/corpus/fuzz_agent_proto/").append(name);
    std::ifstream in(path, std::ios::binary);
    return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  auto status = agent::parse_frame(read("status_request.frame"));
  REQUIRE(status);
  auto sreq = agent::decode_request(status->cbor, std::move(status->secret));
  REQUIRE(sreq);
  CHECK(sreq->op == Op::status);
  auto get = agent::parse_frame(read("get_request.frame"));
  REQUIRE(get);
  auto greq = agent::decode_request(get->cbor, std::move(get->secret));
  REQUIRE(greq);
  CHECK(greq->op == Op::get);
  CHECK(greq->coordinate == "dev/api/A");
  CHECK(greq->vault == "/v.db");
  for (const char* name : {"presence_pass_request.frame", "presence_refused_request.frame"}) {
    auto pf = agent::parse_frame(read(name));
    REQUIRE(pf);
    Bytes cbor = pf->cbor;
    auto preq = agent::decode_request(pf->cbor, std::move(pf->secret));
    REQUIRE(preq);
    CHECK(preq->op == Op::presence);
    REQUIRE(preq->gate);
    CHECK(preq->gate->coordinates == std::vector<std::string>{"dev/api/A", "dev/api/H"});
    CHECK(preq->gate->passed == (std::string_view(name) == "presence_pass_request.frame"));
    CHECK(agent::encode_request(*preq) == cbor);
  }
  auto env = agent::parse_frame(read("env_response.frame"));
  REQUIRE(env);
  auto resp = agent::decode_response(env->cbor, std::move(env->secret));
  REQUIRE(resp);
  REQUIRE(resp->records.size() == 1);
  CHECK(value_of(*resp, 0) == "alpha");
  CHECK(resp->records[0].meta.created == 1);
  CHECK(resp->records[0].meta.updated == 2);
}
