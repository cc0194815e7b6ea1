// The Redis replay cache: `SET key 1 NX EX ttl` is the atomic check-and-set (§12.8). The only
// place keyward uses hiredis: core defines the ReplayCache interface and links no network client.
#include <charconv>
#include <cstring>

#include <hiredis/hiredis.h>

#include "net/redis_replay_cache.h"

#include "core/sealedenv/errors.h"

namespace keyward::net {
using sealedenv::ReplayCache;
using sealedenv::se_fail;
using sealedenv::kTokenInvalid;
namespace {

tl::unexpected<Error> unavailable(std::string detail) {
  return se_fail(kTokenInvalid, "replay-cache-unavailable", detail);
}

struct RedisTarget {
  std::string host;
  int port = 6379;
  int db = 0;
};

Result<RedisTarget> parse_uri(std::string_view uri) {
  constexpr std::string_view scheme = "redis://";
  if (uri.substr(0, scheme.size()) != scheme)
    return unavailable("unsupported nonce_state_backend (keyward supports redis://)");
  std::string_view rest = uri.substr(scheme.size());
  RedisTarget t;
  auto slash = rest.find('/');
  std::string_view hostport = rest.substr(0, slash);
  if (hostport.find('@') != std::string_view::npos)
    return unavailable("credentials in the redis URI are not supported");
  if (slash != std::string_view::npos) {
    std::string_view db = rest.substr(slash + 1);
    if (!db.empty()) {
      auto [p, ec] = std::from_chars(db.data(), db.data() + db.size(), t.db);
      if (ec != std::errc() || p != db.data() + db.size() || t.db < 0)
        return unavailable("bad database number in the redis URI");
    }
  }
  auto colon = hostport.rfind(':');
  if (colon != std::string_view::npos && hostport.find(']') == std::string_view::npos) {
    std::string_view port = hostport.substr(colon + 1);
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), t.port);
    if (ec != std::errc() || p != port.data() + port.size() || t.port <= 0 || t.port > 65535)
      return unavailable("bad port in the redis URI");
    hostport = hostport.substr(0, colon);
  }
  if (hostport.empty()) return unavailable("no host in the redis URI");
  t.host = std::string(hostport);
  return t;
}

struct ReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyFree>;

class RedisReplayCache final : public ReplayCache {
 public:
  explicit RedisReplayCache(redisContext* c) : ctx_(c) {}
  ~RedisReplayCache() override { redisFree(ctx_); }
  RedisReplayCache(const RedisReplayCache&) = delete;
  RedisReplayCache& operator=(const RedisReplayCache&) = delete;

  Result<bool> check_and_set(std::string_view key, std::uint64_t ttl_seconds) override {
    if (ttl_seconds == 0) ttl_seconds = 1;
    std::string ttl = std::to_string(ttl_seconds);
    const char* argv[] = {"SET", key.data(), "1", "NX", "EX", ttl.c_str()};
    const std::size_t lens[] = {3, key.size(), 1, 2, 2, ttl.size()};
    ReplyPtr r(static_cast<redisReply*>(redisCommandArgv(ctx_, 6, argv, lens)));
    if (!r) return unavailable("redis: " + std::string(ctx_->errstr));
    if (r->type == REDIS_REPLY_STATUS && std::strcmp(r->str, "OK") == 0) return true;
    if (r->type == REDIS_REPLY_NIL) return false;
    return unavailable("redis: unexpected reply to SET NX");
  }

 private:
  redisContext* ctx_;
};

}  // namespace

Result<std::unique_ptr<ReplayCache>> open_replay_cache(std::string_view uri) {
  KW_TRY(RedisTarget t, parse_uri(uri));
  timeval timeout{2, 0};
  redisContext* c = redisConnectWithTimeout(t.host.c_str(), t.port, timeout);
  if (!c) return unavailable("redis: out of memory");
  if (c->err) {
    std::string e = c->errstr;
    redisFree(c);
    return unavailable("redis at " + t.host + ":" + std::to_string(t.port) + ": " + e);
  }
  redisSetTimeout(c, timeout);
  auto cache = std::make_unique<RedisReplayCache>(c);
  if (t.db != 0) {
    ReplyPtr r(static_cast<redisReply*>(redisCommand(c, "SELECT %d", t.db)));
    if (!r || r->type == REDIS_REPLY_ERROR) return unavailable("redis: SELECT failed");
  }
  return std::unique_ptr<ReplayCache>(std::move(cache));
}

}  // namespace keyward::net
