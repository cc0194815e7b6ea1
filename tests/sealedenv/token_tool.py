#!/usr/bin/env python3
"""Test helper: builds attack variants of deploy tokens with the independent code of
gen_own_vectors.py (CBOR, checksum, HKDF), so the CLI tests can present forged tokens.

  token_tool.py forge-sig TOKEN              same fields, random sig (re-checksummed)
  token_tool.py strip-ext TOKEN              drop keyward's x-kw-* fields (as another minter)
  token_tool.py resign TOKEN TIER_A FILE EXP exp := EXP, correctly signed with the master key
  token_tool.py field TOKEN NAME             hex of one field
Run with /usr/bin/python3 (needs python3-cryptography).
"""
import base64, os, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_own_vectors as g

def decode(tok):
    mode, ck, payload = tok[len("sealed_env_"):].split("_", 2)
    d, _ = g.cbor_decode(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return mode, d

def main(argv):
    cmd, tok = argv[1], argv[2]
    mode, d = decode(tok)
    if cmd == "forge-sig":
        d["sig"] = os.urandom(32)
    elif cmd == "strip-ext":
        d = {k: v for k, v in d.items() if not k.startswith("x-kw-")}
    elif cmd == "resign":
        _, keys = decode(argv[3])
        text = open(argv[4]).read()
        salt = base64.b64decode([l for l in text.split("\n") if l.startswith("SALT=")][0][5:])
        exp = int(argv[5]) if argv[5][0] != "+" else int(time.time()) + int(argv[5][1:])
        d["exp"] = exp
        signed = {k: d[k] for k in ("ek", "exp", "nonce", "vault_id")}
        d["sig"] = g.hm(g.hkdf(keys["m"], salt, b"sealed-env:deploy-sig:v1"), g.cbor(signed))
    elif cmd == "field":
        v = d[argv[3]]
        print(v.hex() if isinstance(v, bytes) else v)
        return
    print(g.token(mode, d))

if __name__ == "__main__":
    main(sys.argv)
