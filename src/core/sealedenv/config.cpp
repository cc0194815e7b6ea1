#include "core/sealedenv/config.h"

#include <nlohmann/json.hpp>

#include "core/sealedenv/errors.h"

namespace keyward::sealedenv {

Config default_config(Mode vault_mode) {
  Config c;
  if (vault_mode == Mode::enterprise) {
    c.deploy_mode = DeployMode::ephemeral;
    c.require_totp_on_mint = true;
  }
  return c;
}

bool tier_a_allowed(const Config& c) {
  return c.deploy_mode == DeployMode::static_ || c.allow_long_lived_for_dev;
}

Result<Config> parse_config(std::string_view json_text, Mode vault_mode) {
  auto j = nlohmann::json::parse(json_text.begin(), json_text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return se_fail(kConfigError, "bad-json", ".sealed-env.config.json is not a JSON object");
  Config c = default_config(vault_mode);
  auto bad_type = [](const char* f, const char* t) {
    return se_fail(kConfigError, "bad-type", std::string(f) + " must be " + t);
  };
  if (auto it = j.find("deploy_mode"); it != j.end()) {
    if (!it->is_string()) return bad_type("deploy_mode", "a string");
    const auto& s = it->get_ref<const std::string&>();
    if (s == "static") c.deploy_mode = DeployMode::static_;
    else if (s == "ephemeral") c.deploy_mode = DeployMode::ephemeral;
    else if (s == "workload-identity") c.deploy_mode = DeployMode::workload_identity;
    else
      return se_fail(kConfigError, "bad-deploy-mode",
                     "deploy_mode must be static, ephemeral or workload-identity");
  }
  if (auto it = j.find("deploy_ttl_max_seconds"); it != j.end()) {
    if (!it->is_number_integer()) return bad_type("deploy_ttl_max_seconds", "an integer");
    auto v = it->get<std::int64_t>();
    if (it->is_number_unsigned() && it->get<std::uint64_t>() > kMaxDeployTtl) v = 601;
    if (v < 1 || v > static_cast<std::int64_t>(kMaxDeployTtl))
      return se_fail(kConfigError, "ttl-out-of-range", "deploy_ttl_max_seconds must be in [1, 600]");
    c.deploy_ttl_max_seconds = static_cast<std::uint64_t>(v);
  }
  if (auto it = j.find("require_totp_on_mint"); it != j.end()) {
    if (!it->is_boolean()) return bad_type("require_totp_on_mint", "true or false");
    c.require_totp_on_mint = it->get<bool>();
  }
  if (auto it = j.find("allow_long_lived_for_dev"); it != j.end()) {
    if (!it->is_boolean()) return bad_type("allow_long_lived_for_dev", "true or false");
    c.allow_long_lived_for_dev = it->get<bool>();
  }
  if (auto it = j.find("nonce_state_backend"); it != j.end()) {
    if (it->is_null()) c.nonce_state_backend.reset();
    else if (it->is_string() && !it->get_ref<const std::string&>().empty())
      c.nonce_state_backend = it->get<std::string>();
    else return bad_type("nonce_state_backend", "a URI string or null");
  }
  if (vault_mode == Mode::enterprise && c.deploy_mode == DeployMode::static_)
    return se_fail(kConfigError, "enterprise-requires-ephemeral",
                   "an enterprise vault cannot use deploy_mode static");
  if (c.deploy_mode == DeployMode::workload_identity)
    return se_fail(kConfigError, "workload-identity-not-implemented",
                   "deploy_mode workload-identity is reserved (spec §12.9)");
  return c;
}

std::string write_config(const Config& c) {
  nlohmann::ordered_json j;
  j["deploy_mode"] = c.deploy_mode == DeployMode::static_     ? "static"
                     : c.deploy_mode == DeployMode::ephemeral ? "ephemeral"
                                                              : "workload-identity";
  j["deploy_ttl_max_seconds"] = c.deploy_ttl_max_seconds;
  j["require_totp_on_mint"] = c.require_totp_on_mint;
  j["allow_long_lived_for_dev"] = c.allow_long_lived_for_dev;
  if (c.nonce_state_backend) j["nonce_state_backend"] = *c.nonce_state_backend;
  else j["nonce_state_backend"] = nullptr;
  return j.dump(2) + "\n";
}

}  // namespace keyward::sealedenv
