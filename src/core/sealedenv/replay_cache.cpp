#include "core/sealedenv/replay_cache.h"

namespace keyward::sealedenv {

std::string deploy_nonce_key(std::string_view vault_id_hex, std::string_view nonce_hex) {
  return "sealed-env:v1:deploy-nonce:" + std::string(vault_id_hex) + ":" + std::string(nonce_hex);
}

std::string unseal_ops_key(std::string_view vault_id_hex, std::string_view ops_id) {
  return "sealed-env:v1:unseal-ops:" + std::string(vault_id_hex) + ":" + std::string(ops_id);
}

}  // namespace keyward::sealedenv
