// libFuzzer target for the agent wire protocol (src/agent/proto.cpp): frames, requests and
// responses from untrusted bytes. Invariants: never crash; an accepted request or response
// re-encodes to exactly the CBOR it came from (one encoding per message); the secret part of an
// accepted message is fully described by the CBOR part (lengths add up).
#include <cstdint>

#include "agent/proto.h"

using namespace keyward;

namespace {
void check(bool ok) {
  if (!ok) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView in(data, size);
  auto frame = agent::parse_frame(in);
  // The same bytes without a frame: the CBOR part alone, with an empty secret part.
  auto req0 = agent::decode_request(in, SecretBytes{});
  if (req0) check(agent::encode_request(*req0) == Bytes(in.begin(), in.end()));
  auto resp0 = agent::decode_response(in, SecretBytes{});
  if (resp0) check(agent::encode_response(*resp0) == Bytes(in.begin(), in.end()));
  if (!frame) return 0;
  check(frame->cbor.size() + frame->secret.size() + agent::kFrameHeaderSize == size);
  auto req = agent::decode_request(frame->cbor, frame->secret.clone());
  if (req) {
    check(agent::encode_request(*req) == frame->cbor);
    std::size_t total = req->op == agent::Op::add ? 32 : 0;
    for (const auto& i : req->items) total += i.len;
    check(total == req->secret.size());
  }
  auto resp = agent::decode_response(frame->cbor, frame->secret.clone());
  if (resp) {
    check(agent::encode_response(*resp) == frame->cbor);
    std::size_t total = 0;
    for (const auto& r : resp->records) {
      check(r.offset == total);
      total += r.len;
    }
    check(total == resp->secret.size());
  }
  return 0;
}
