// Persistent state of the virtual authenticator (JSON file) and its credential ids.
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "fido_auth.h"

namespace hwsim {

bool Authenticator::load() {
  if (!std::filesystem::exists(state_path_)) return false;
  std::ifstream in(state_path_);
  auto j = nlohmann::json::parse(in);
  auto hex = [](const nlohmann::json& v) { return from_hex(v.get<std::string>()).value(); };
  st_.aaguid = hex(j.at("aaguid"));
  st_.master_key = hex(j.at("master_key"));
  st_.counter = j.at("counter");
  if (j.contains("pin_hash")) st_.pin_hash = hex(j.at("pin_hash"));
  st_.pin_retries = j.at("pin_retries");
  for (const auto& c : j.at("resident")) {
    Credential cr;
    cr.id = hex(c.at("id"));
    cr.rp_id = c.at("rp_id");
    cr.rp_id_hash = sha256(cr.rp_id);
    cr.user_id = hex(c.at("user_id"));
    cr.user_name = c.at("user_name");
    cr.display_name = c.at("display_name");
    cr.resident = true;
    st_.resident.push_back(cr);
  }
  return true;
}

void Authenticator::save() const {
  nlohmann::json resident = nlohmann::json::array();
  for (const auto& c : st_.resident) {
    resident.push_back({{"id", to_hex(c.id)}, {"rp_id", c.rp_id}, {"user_id", to_hex(c.user_id)},
                        {"user_name", c.user_name}, {"display_name", c.display_name}});
  }
  nlohmann::json j = {{"aaguid", to_hex(st_.aaguid)}, {"master_key", to_hex(st_.master_key)},
                      {"counter", st_.counter}, {"pin_retries", st_.pin_retries}, {"resident", resident}};
  if (st_.pin_hash) j["pin_hash"] = to_hex(*st_.pin_hash);
  const std::string tmp = state_path_ + ".tmp";
  {
    std::ofstream out(tmp);
    out << j.dump(1) << "\n";
  }
  std::filesystem::permissions(tmp, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::filesystem::rename(tmp, state_path_);
}

// Credential id = 01 || nonce(12) || AES-256-GCM(master key, nonce, aad = rpIdHash,
//   flags(1) || credProtect(1) || private scalar(32) || CredRandomWithUV(32) || CredRandomWithoutUV(32)).
// The authenticator recognises its own ids and nobody else can read the key inside.
Bytes Authenticator::wrap_credential(const Credential& c) const {
  Bytes plain = {static_cast<std::uint8_t>((c.hmac_secret ? 1 : 0) | (c.resident ? 2 : 0)),
                 static_cast<std::uint8_t>(c.cred_protect)};
  plain.insert(plain.end(), c.scalar.begin(), c.scalar.end());
  plain.insert(plain.end(), c.cred_random_uv.begin(), c.cred_random_uv.end());
  plain.insert(plain.end(), c.cred_random_no_uv.begin(), c.cred_random_no_uv.end());
  Bytes nonce = random_bytes(12);
  Bytes id = {0x01};
  id.insert(id.end(), nonce.begin(), nonce.end());
  Bytes sealed = aes256_gcm_seal(st_.master_key, nonce, c.rp_id_hash, plain);
  id.insert(id.end(), sealed.begin(), sealed.end());
  return id;
}

std::optional<Credential> Authenticator::unwrap_credential(const Bytes& id, const Bytes& rp_id_hash) const {
  if (id.size() != 1 + 12 + 98 + 16 || id[0] != 0x01) return std::nullopt;
  Bytes nonce(id.begin() + 1, id.begin() + 13);
  Bytes sealed(id.begin() + 13, id.end());
  auto plain = aes256_gcm_open(st_.master_key, nonce, rp_id_hash, sealed);
  if (!plain || plain->size() != 98) return std::nullopt;
  Credential c;
  c.id = id;
  c.rp_id_hash = rp_id_hash;
  c.hmac_secret = (*plain)[0] & 1;
  c.resident = (*plain)[0] & 2;
  c.cred_protect = (*plain)[1];
  c.scalar.assign(plain->begin() + 2, plain->begin() + 34);
  c.cred_random_uv.assign(plain->begin() + 34, plain->begin() + 66);
  c.cred_random_no_uv.assign(plain->begin() + 66, plain->end());
  for (const auto& r : st_.resident) {
    if (r.id == id) {
      c.rp_id = r.rp_id;
      c.user_id = r.user_id;
      c.user_name = r.user_name;
      c.display_name = r.display_name;
    }
  }
  return c;
}

}  // namespace hwsim
