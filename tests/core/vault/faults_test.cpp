// Side effects around a vault transaction (issue 15): a writer follows a concurrent re-key, the
// held keys change only when a re-key commits, a pin that cannot be read fails closed.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/vault/vault.h"
#include "vault_fixture.h"

using namespace keyward;
using namespace keyward::vault;
using namespace keyward::vault::test;

namespace {

struct Fixture {
  TempDir dir;
  std::string path = dir.path + "/v.db";
  VaultOptions opts{dir.path + "/pins"};

  Vault make() {
    auto v = Vault::create_with_passphrase(path, "me", SecretBytes::copy_of("correct horse"),
                                           small_kdf(), opts);
    REQUIRE(v);
    return std::move(*v);
  }
  Vault open() {
    auto v = Vault::open(path, passphrase("correct horse"), opts);
    REQUIRE(v);
    return std::move(*v);
  }
};

}  // namespace

TEST_CASE("vault faults: a writer follows a re-key made by another process meanwhile",
          "[vault][faults]") {
  Fixture f;
  {
    auto v = f.make();
    std::vector<SetItem> items;
    items.push_back(item("dev/api/A", "one"));
    REQUIRE(v.set(items));
  }
  auto writer = f.open();  // unlocked before the rotation
  {
    auto rotator = f.open();
    REQUIRE(rotator.rotate_master());
  }
  std::vector<SetItem> items;
  items.push_back(item("dev/api/B", "two"));
  auto r = writer.set(items);
  REQUIRE(r);  // not "re-keyed meanwhile, run it again"
  REQUIRE(writer.get("dev/api/A")->value.reveal_string() == "one");
  auto fresh = f.open();
  REQUIRE(fresh.get("dev/api/B")->value.reveal_string() == "two");
  REQUIRE(fresh.header().key_id == writer.header().key_id);
  // The audit log follows too: the writer's entries verify under the new key.
  audit::Event ev;
  ev.op = "set";
  REQUIRE(writer.audit(ev));
  REQUIRE(fresh.verify_audit());
}

TEST_CASE("vault faults: an agent-held vault (master key only) still reports the re-key",
          "[vault][faults]") {
  Fixture f;
  auto v = f.make();
  auto held = Vault::open_with_master(f.path, v.master_key().clone(), f.opts);
  REQUIRE(held);
  REQUIRE(v.rotate_master());
  std::vector<SetItem> items;
  items.push_back(item("dev/api/B", "two"));
  auto r = held->set(items);
  REQUIRE_FALSE(r);
  REQUIRE(r.error().code == Errc::unavailable);
}

TEST_CASE("vault faults: an unreadable pin is an integrity error, a missing one is not",
          "[vault][faults]") {
  Fixture f;
  { auto v = f.make(); }
  PinStore store(f.dir.path + "/pins", absolute_vault_path(f.path));
  REQUIRE(store.load());
  REQUIRE(store.load()->has_value());
  std::filesystem::rename(store.file(), store.file() + ".saved");
  REQUIRE(::mkdir(store.file().c_str(), 0700) == 0);  // exists, cannot be read as a pin
  auto bad = store.load();
  REQUIRE_FALSE(bad);
  REQUIRE(bad.error().code == Errc::integrity);
  REQUIRE(bad.error().message.find("vault forget") != std::string::npos);
  auto opened = Vault::open(f.path, passphrase("correct horse"), f.opts);
  REQUIRE_FALSE(opened);
  REQUIRE(opened.error().code == Errc::integrity);
  REQUIRE(::rmdir(store.file().c_str()) == 0);
  auto none = store.load();
  REQUIRE(none);
  REQUIRE_FALSE(none->has_value());  // no pin yet: trust on first use
}

TEST_CASE("vault faults: init builds the vault under a temporary name", "[vault][faults]") {
  Fixture f;
  // A leftover of an init whose process is gone (pid 1 is never ours to clean; use a pid that
  // cannot exist).
  std::string stale = f.path + ".init-999999999";
  { std::ofstream(stale) << "half a vault"; }
  std::string live = f.path + ".init-1";
  { std::ofstream(live) << "someone else's init"; }
  auto all = init_leftovers(f.path, false);
  REQUIRE(all.size() == 2);
  auto v = f.make();
  REQUIRE_FALSE(std::filesystem::exists(stale));  // its process is gone: removed
  REQUIRE(std::filesystem::exists(live));         // pid 1 runs: left alone
  REQUIRE(init_leftovers(f.path, false) == std::vector<std::string>{live});
  REQUIRE_FALSE(std::filesystem::exists(f.path + ".init-" + std::to_string(::getpid())));
  struct stat st {};
  REQUIRE(::stat(f.path.c_str(), &st) == 0);
  REQUIRE((st.st_mode & 0777) == 0600);
  // And it refuses to replace a vault.
  auto again = Vault::create_with_passphrase(f.path, "me", SecretBytes::copy_of("x y z w"),
                                             small_kdf(), f.opts);
  REQUIRE_FALSE(again);
  REQUIRE(again.error().code == Errc::already_exists);
}
