// Core policy (src/core/vault/policy.h, docs/policy.md) and its enforcement inside Vault: the
// reserved environment, high environments, loader and credential variables, the file the path
// names. The presence-slot rules (grants for high records and high environments) are driven
// end to end on the simulator: tests/hw/fido_policy_test.sh.
#include <catch2/catch.hpp>

#include <filesystem>

#include "core/vault/policy.h"
#include "core/vault/vault.h"
#include "vault_fixture.h"

using namespace keyward;
using namespace keyward::vault;
using namespace keyward::vault::test;

namespace {
struct Fx {
  TempDir dir;
  std::string path = dir.path + "/v.db";
  VaultOptions opts{dir.path + "/pins"};
  Vault make() {
    auto v = Vault::create_with_passphrase(path, "me", SecretBytes::copy_of(std::string_view("pw")),
                                           small_kdf(), opts);
    REQUIRE(v);
    return std::move(*v);
  }
};
Status set1(Vault& v, std::string coord, std::string_view value, Tier tier = Tier::normal) {
  std::vector<SetItem> items;
  items.push_back(item(std::move(coord), value));
  items[0].tier = tier;
  return v.set(items);
}
}  // namespace

TEST_CASE("policy: loader and credential variables", "[policy]") {
  for (const char* n : {"LD_PRELOAD", "LD_LIBRARY_PATH", "BASH_ENV", "ENV", "NODE_OPTIONS",
                        "PYTHONSTARTUP", "PYTHONPATH", "PERL5OPT", "RUBYOPT", "JAVA_TOOL_OPTIONS",
                        "BASH_FUNC_x%%", "GLIBC_TUNABLES", "DYLD_INSERT_LIBRARIES", "PATH"}) {
    CHECK(policy::is_loader_variable(n));
  }
  for (const char* n : {"DATABASE_URL", "NODE_ENV", "API_KEY", "PYTHONUNBUFFERED", "HOME", "LD"}) {
    CHECK_FALSE(policy::is_loader_variable(n));
  }
  for (const char* n : {"KEYWARD_PASSPHRASE", "KEYWARD_FIDO2_PIN", "KEYWARD_PIV_PIN",
                        "KEYWARD_RECOVERY_CODE", "KEYWARD_IDENTITY", "SEALED_ENV_TOKEN",
                        "SEALED_ENV_ANYTHING", "KEYWARD_NEW_PASSPHRASE"}) {
    CHECK(policy::is_credential_variable(n));
  }
  for (const char* n : {"KEYWARD_VAULT", "KEYWARD_AGENT_TIMEOUT_MS", "KEYWARD_NO_AGENT", "PATH"}) {
    CHECK_FALSE(policy::is_credential_variable(n));
  }
  std::string a = "KEYWARD_PASSPHRASE=x", b = "HOME=/h", c = "SEALED_ENV_KEY=k";
  char* env[] = {a.data(), b.data(), c.data(), nullptr};
  auto out = policy::child_environment(env);
  REQUIRE(out.size() == 2);
  CHECK(std::string(out[0]) == "HOME=/h");
  CHECK(out[1] == nullptr);
}

TEST_CASE("policy: may_replace and may_remove", "[policy]") {
  RecordMeta high;
  high.coordinate = "dev/api/H";
  high.tier = Tier::high;
  RecordMeta normal;
  normal.coordinate = "dev/api/N";
  auto r = policy::may_replace("dev/api/H", false, high, Tier::normal);
  REQUIRE(r);
  CHECK(r->grant);  // downgrade
  r = policy::may_replace("dev/api/H", false, high, Tier::high);
  REQUIRE(r);
  CHECK(r->grant);  // overwrite
  r = policy::may_replace("dev/api/N", false, normal, Tier::normal);
  REQUIRE(r);
  CHECK_FALSE(r->grant);
  r = policy::may_replace("prod/api/N", true, std::nullopt, Tier::normal);
  REQUIRE(r);
  CHECK(r->grant);  // any change in a high environment
  r = policy::may_replace("prod/api/LD_PRELOAD", true, std::nullopt, Tier::high);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::policy);
  r = policy::may_replace("dev/api/LD_PRELOAD", false, std::nullopt, Tier::normal);
  REQUIRE(r);
  CHECK(policy::may_remove("dev/api/H", false, high).grant);
  CHECK(policy::may_remove("prod/api/N", true, normal).grant);
  CHECK_FALSE(policy::may_remove("dev/api/N", false, normal).grant);
  auto envs = policy::parse_high_envs("staging,prod,prod");
  REQUIRE(envs);
  CHECK(*envs == std::vector<std::string>{"prod", "staging"});
  CHECK_FALSE(policy::parse_high_envs("prod,,x"));
  CHECK_FALSE(policy::parse_high_envs("keyward.internal"));
}

TEST_CASE("policy: the reserved environment is refused by every public call", "[policy]") {
  Fx f;
  auto v = f.make();
  REQUIRE(v.set_internal("keyward.internal/package/IDENTITY", SecretBytes::copy_of(std::string_view("id"))));
  REQUIRE(set1(v, "dev/api/A", "a"));
  CHECK(v.get("keyward.internal/package/IDENTITY").error().code == Errc::policy);
  CHECK(v.get_split("keyward.internal/package/IDENTITY").error().code == Errc::policy);
  CHECK(v.tier_of("keyward.internal/package/IDENTITY").error().code == Errc::policy);
  CHECK(v.read_env("keyward.internal", "").error().code == Errc::policy);
  CHECK(v.read_env_packed("keyward.internal", "").error().code == Errc::policy);
  CHECK(v.remove("keyward.internal/package/IDENTITY").error().code == Errc::policy);
  CHECK(set1(v, "keyward.internal/package/IDENTITY", "evil").error().code == Errc::policy);
  CHECK(set1(v, "keyward.internal/policy/HIGH_ENVS", "dev").error().code == Errc::policy);
  auto l = v.list();
  REQUIRE(l);
  REQUIRE(l->size() == 1);
  CHECK((*l)[0].coordinate == "dev/api/A");
  auto id = v.get_internal("keyward.internal/package/IDENTITY");
  REQUIRE(id);
  REQUIRE(id->has_value());
  CHECK((*id)->reveal_string() == "id");
  CHECK(v.get_internal("dev/api/A").error().code == Errc::internal);
}

TEST_CASE("policy: high environments from one place", "[policy]") {
  Fx f;
  auto v = f.make();
  CHECK(*v.high_envs() == policy::default_high_envs());
  CHECK(*v.is_high_env("production"));
  CHECK_FALSE(*v.is_high_env("staging"));
  // Loader variables are refused in every high environment, whatever the tier.
  CHECK(set1(v, "production/api/BASH_ENV", "/tmp/x").error().code == Errc::policy);
  CHECK(set1(v, "prod/api/NODE_OPTIONS", "--require=x").error().code == Errc::policy);
  REQUIRE(set1(v, "dev/api/NODE_OPTIONS", "--require=x"));
  // Export refuses them (direct read and the agent's packed read).
  CHECK(v.read_env("production", "", nullptr, ReadPurpose::exporting).error().code == Errc::policy);
  CHECK(v.read_env_packed("prod", "", ReadPurpose::exporting).error().code == Errc::policy);
  CHECK(v.may_export("production").error().code == Errc::policy);
  REQUIRE(v.may_export("staging"));
  // The vault's own list (no presence slot here: no gate to ask), kept under the manifest.
  REQUIRE(v.set_high_envs({"staging", "prod"}));
  CHECK(*v.is_high_env("staging"));
  CHECK_FALSE(*v.is_high_env("production"));
  CHECK(set1(v, "staging/api/LD_PRELOAD", "x").error().code == Errc::policy);
  auto reopened = Vault::open(f.path, passphrase("pw"), f.opts);
  REQUIRE(reopened);
  CHECK(*reopened->is_high_env("staging"));
  // Removing the list's row behind keyward's back is tampering, not "back to the default".
  REQUIRE(raw_sql(f.path, "DELETE FROM records") == SQLITE_OK);
  CHECK_FALSE(reopened->high_envs());
}

TEST_CASE("policy: default tier is decided by the vault", "[policy]") {
  Fx f;
  auto v = f.make();
  std::vector<SetItem> items;
  items.push_back(item("dev/api/A", "a"));
  items[0].default_tier = true;
  REQUIRE(v.set(items));
  CHECK(items[0].tier == Tier::normal);
  items.clear();
  items.push_back(item("prod/api/A", "a"));
  items[0].default_tier = true;
  // prod is high by default; high needs a presence-capable slot this vault lacks.
  CHECK(v.set(items).error().code == Errc::policy);
}

TEST_CASE("policy: a vault file replaced while open is checked like a fresh open", "[policy]") {
  Fx f;
  auto v = f.make();
  REQUIRE(set1(v, "dev/api/A", "a"));
  REQUIRE(raw_sql(f.path, "PRAGMA wal_checkpoint(TRUNCATE)") == SQLITE_OK);
  std::filesystem::copy_file(f.path, f.dir.path + "/old.db");
  REQUIRE(set1(v, "dev/api/B", "b"));  // revision up, pinned
  // An older copy moved over the path: the same object now refuses it (rollback), and is stale.
  std::filesystem::copy_file(f.dir.path + "/old.db", f.dir.path + "/swap.db");
  std::filesystem::rename(f.dir.path + "/swap.db", f.path);
  std::filesystem::remove(f.path + "-wal");
  std::filesystem::remove(f.path + "-shm");
  auto r = v.get("dev/api/A");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::integrity);
  CHECK(r.error().message.find("rollback detected") != std::string::npos);
  CHECK(set1(v, "dev/api/C", "c").error().code == Errc::integrity);
}
