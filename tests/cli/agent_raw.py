#!/usr/bin/python3
"""A raw client of the unlock agent (docs/agent.md, wire format), as a same-user process that
does not go through the keyward CLI would talk to it: no client-side checks at all.

  agent_raw.py SOCKET JSON_REQUEST [SECRET_HEX] [--slow SECONDS_PER_BYTE]

JSON_REQUEST is the CBOR map as JSON (e.g. {"op": "get", "vault": "/abs", "coord": "a/b/C"});
"v": 1 is added. Prints the decoded answer as JSON (bytes as hex) on stdout, the secret part as
hex under "secret". --slow sends the frame one byte at a time, sleeping between bytes.
Uses python3-fido2's CBOR codec (canonical ordering = RFC 8949 deterministic for short keys).
"""
import json
import socket
import struct
import sys
import time

from fido2 import cbor


def to_json(v):
    if isinstance(v, bytes):
        return v.hex()
    if isinstance(v, dict):
        return {str(k): to_json(x) for k, x in v.items()}
    if isinstance(v, list):
        return [to_json(x) for x in v]
    return v


def main():
    args = sys.argv[1:]
    slow = None
    if "--slow" in args:
        i = args.index("--slow")
        slow = float(args[i + 1])
        del args[i:i + 2]
    sock_path, req = args[0], json.loads(args[1])
    secret = bytes.fromhex(args[2]) if len(args) > 2 else b""
    req["v"] = 1
    body = cbor.encode(req)
    frame = struct.pack(">II", len(body), len(secret)) + body + secret
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock_path)
    s.settimeout(120)
    if slow is None:
        s.sendall(frame)
    else:
        try:
            for b in frame:
                s.sendall(bytes([b]))
                time.sleep(slow)
        except (BrokenPipeError, ConnectionResetError):
            print(json.dumps({"dropped": True}))
            return
    head = b""
    while len(head) < 8:
        chunk = s.recv(8 - len(head))
        if not chunk:
            print(json.dumps({"dropped": True}))
            return
        head += chunk
    n, m = struct.unpack(">II", head)
    data = b""
    while len(data) < n + m:
        chunk = s.recv(n + m - len(data))
        if not chunk:
            break
        data += chunk
    answer = cbor.decode(data[:n])
    out = to_json(answer)
    out["secret"] = data[n:].hex()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
