#!/usr/bin/env python3
"""Independent generator of keyward's own SEALED-ENV-V1 vectors (test-vectors/sealed-env-own/).

Written from the spec text with Python's hashlib/hmac, the `cryptography` package (AES-GCM,
HKDF) and libargon2 through ctypes, so that the C++ implementation is checked against code that
shares nothing with it but the spec. Conventions the spec leaves open are the ones recorded in
docs/sealed-env-conformance.md (AAD joined by LF as node-basic.json shows; HMAC message = the
AAD bytes exactly -- magic and metadata without AAD-DIGEST and HMAC, LF-joined, no trailing LF --
followed directly by the raw ciphertext-with-tag, as the Node implementation computes it).

  /usr/bin/python3 gen_own_vectors.py OUTDIR            write the vectors
  /usr/bin/python3 gen_own_vectors.py verify FILE TOKEN  open FILE (written by anyone) with the
      Tier A token TOKEN (sealed_env_{b,t,e}_...): checks the HMAC (Node rule only), the epoch
      commitment, the AAD digest and the GCM tag; prints the plaintext; exit 1 on any failure.
"""
import base64, ctypes, ctypes.util, hashlib, hmac, json, os, sys
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives import hashes

lib = ctypes.CDLL(ctypes.util.find_library("argon2") or "libargon2.so.1")
lib.argon2id_hash_raw.argtypes = [ctypes.c_uint32, ctypes.c_uint32, ctypes.c_uint32, ctypes.c_char_p,
                                  ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_void_p,
                                  ctypes.c_size_t]

def argon2id(pw, salt, t, m, p):
    out = ctypes.create_string_buffer(32)
    rc = lib.argon2id_hash_raw(t, m, p, pw, len(pw), salt, len(salt), out, 32)
    assert rc == 0, rc
    return out.raw

def kdf(kind, params, mk, salt):
    if kind == "argon2id":
        return argon2id(mk, salt, params["t"], params["m"], params["p"])
    return hashlib.scrypt(mk, salt=salt, n=params["N"], r=params["r"], p=params["p"], maxmem=2**30, dklen=32)

def hkdf(ikm, salt, info):
    return HKDF(hashes.SHA256(), 32, salt, info).derive(ikm)

def hm(k, m):
    return hmac.new(k, m, "sha256").digest()

def b64(b):
    return base64.b64encode(b).decode()

def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

def seal(mode, kind, params, mk, sk, totp, salt, nonce, created, pt, challenge=False, rotated=None,
         legacy_hmac=False):
    dk = kdf(kind, params, mk, salt)
    ptext = ",".join(f"{k}={v}" for k, v in params.items())
    meta = [f"KDF={kind}", f"KDF-PARAMS={ptext}", f"SALT={b64(salt)}", f"NONCE={b64(nonce)}"]
    if mode == "enterprise":
        epoch = hm(totp, salt + b"epoch-v1")
        meta.append(f"EPOCH-COMMIT={b64(hm(dk, epoch + b'epoch-commit-v1'))}")
        meta.append("CHALLENGE-BIND=" + ("enabled" if challenge else "disabled"))
    tail = [f"CREATED={created}"] + ([f"ROTATED={rotated}"] if rotated else [])
    magic = f"SEALED-ENV-V1 MODE={mode}"
    aad = "\n".join([magic] + meta + tail).encode()
    ct = AESGCM(hkdf(dk, salt, b"sealed-env:v1:enc")).encrypt(nonce, pt, aad)
    meta_all = meta + [f"AAD-DIGEST={b64(hashlib.sha256(aad).digest())}"]
    if mode != "basic":
        # Node rule: exactly the AAD bytes, then the ciphertext. keyward 0.1 (legacy_hmac) also
        # covered the AAD-DIGEST line; kept only to test that keyward still reads such files.
        covered = "\n".join([magic] + meta_all + tail).encode() if legacy_hmac else aad
        mac = hm(hkdf(sk, salt, b"sealed-env:v1:mac"), covered + ct)
        meta_all.append(f"HMAC={b64(mac)}")
    return "\n".join([magic] + meta_all + tail) + "\n\n" + b64(ct), dk

def cbor_head(mt, v):
    if v < 24: return bytes([mt << 5 | v])
    for n, ai in ((1, 24), (2, 25), (4, 26), (8, 27)):
        if v < 1 << (8 * n): return bytes([mt << 5 | ai]) + v.to_bytes(n, "big")

def cbor(x):
    if x is None: return b"\xf6"
    if isinstance(x, int): return cbor_head(0, x)
    if isinstance(x, bytes): return cbor_head(2, len(x)) + x
    if isinstance(x, str): return cbor_head(3, len(x.encode())) + x.encode()
    items = sorted((cbor(k), cbor(v)) for k, v in x.items())
    return cbor_head(5, len(items)) + b"".join(k + v for k, v in items)

def token(mode, payload):
    text = b64u(cbor(payload))
    ck = hm(b"sealed-env:token-checksum:v1", text.encode())[:2].hex()
    return f"sealed_env_{mode}_{ck}_{text}"

def main(out):
    mk, sk, totp = b"\x5a" * 32, b"\xa5" * 32, bytes(range(1, 21))
    pt = b"API_KEY=own-vector\nQUOTED=\"two words\"\nEMPTY=\n"
    created = "2026-01-02T03:04:05.678Z"
    cases = [
        ("basic-argon2id", "basic", "argon2id", {"t": 2, "m": 16384, "p": 2}, False, None),
        ("basic-scrypt", "basic", "scrypt", {"N": 32768, "r": 8, "p": 1}, False, None),
        ("team-argon2id", "team", "argon2id", {"t": 2, "m": 16384, "p": 1}, False, "2026-02-03T04:05:06.789Z"),
        ("enterprise-argon2id", "enterprise", "argon2id", {"t": 2, "m": 16384, "p": 1}, True, None),
        ("team-scrypt", "team", "scrypt", {"N": 32768, "r": 8, "p": 1}, False, None),
        ("enterprise-scrypt", "enterprise", "scrypt", {"N": 32768, "r": 8, "p": 1}, False, "2026-03-04T05:06:07.890Z"),
        # The HMAC form keyward 0.1 wrote: keyward must read it with the legacy-hmac warning.
        ("keyward01-team-scrypt", "team", "scrypt", {"N": 32768, "r": 8, "p": 1}, False, None),
    ]
    for i, (name, mode, kind, params, chal, rotated) in enumerate(cases):
        salt = bytes([0x10 + i]) * 16
        nonce = bytes([0x20 + i]) * 12
        legacy = name.startswith("keyward01-")
        text, dk = seal(mode, kind, params, mk, sk, totp, salt, nonce, created, pt, chal, rotated, legacy)
        v = {"name": name, "mode": mode, "kdf": kind, "kdf_params": params,
             "master_key_hex": mk.hex(), "signing_key_hex": sk.hex(), "totp_secret_hex": totp.hex(),
             "salt_hex": salt.hex(), "nonce_hex": nonce.hex(), "created": created, "rotated": rotated,
             "challenge_bind": chal, "plaintext_hex": pt.hex(), "derived_key_hex": dk.hex(),
             "hmac_rule": "keyward-0.1" if legacy else ("node" if mode != "basic" else None),
             "serialized": text}
        if mode == "enterprise":
            epoch = hm(totp, salt + b"epoch-v1")
            header = json.dumps({"alg": "HS256", "typ": "sealed-env-unseal/v1"}, separators=(",", ":"))
            claims = {"iss": "sealed-env-cli", "iat": 4102444500, "exp": 4102444800,
                      "epoch": b64(epoch), "deploy_id": "ab" * 32, "ops_id": "8f14e45f-ceea-467a-9af0-6f6c3b0e8a11"}
            payload = json.dumps(claims, separators=(",", ":"))
            signing_input = b64u(header.encode()) + "." + b64u(payload.encode())
            sig = hm(dk, signing_input.encode())
            v["unseal_jws"] = "usl_" + signing_input + "." + b64u(sig)
            v["unseal_token"] = token("u", dict(claims, sig=sig))
            v["unseal_claims"] = claims
            v["tier_a_token"] = token("e", {"m": mk, "s": sk, "t": totp})
        elif mode == "team":
            v["tier_a_token"] = token("t", {"m": mk, "s": sk})
        else:
            v["tier_a_token"] = token("b", {"m": mk})
        nonce16 = bytes([0x30 + i]) * 16
        vid = hashlib.sha256(b"sealed-env:vault-id:v1" + salt).digest()
        signed = {"ek": dk, "exp": 4102444800, "nonce": nonce16, "vault_id": vid}
        dsig = hm(hkdf(mk, salt, b"sealed-env:deploy-sig:v1"), cbor(signed))
        v["deploy_token"] = token("d", dict(signed, sig=dsig))
        # keyward's deploy token: the same four signed fields plus, outside the signature (§11.8
        # unknown keys), the file's HMAC key (team, enterprise) and the salt-bound epoch
        # (enterprise), so a deploy holding only this token still verifies both.
        ext = {}
        if mode != "basic":
            ext["x-kw-mac"] = hkdf(sk, salt, b"sealed-env:v1:mac")
        if mode == "enterprise":
            ext["x-kw-epoch"] = hm(totp, salt + b"epoch-v1")
        v["deploy_token_keyward"] = token("d", dict(signed, sig=dsig, **ext))
        v["deploy_nonce_hex"] = nonce16.hex()
        v["deploy_exp"] = 4102444800
        v["vault_id_hex"] = vid.hex()
        with open(os.path.join(out, name + ".json"), "w") as f:
            json.dump(v, f, indent=2)
            f.write("\n")

def cbor_decode(b, i=0):
    ib = b[i]; mt, ai = ib >> 5, ib & 31; i += 1
    if ai < 24: n = ai
    else:
        ln = {24: 1, 25: 2, 26: 4, 27: 8}[ai]; n = int.from_bytes(b[i:i + ln], "big"); i += ln
    if mt == 0: return n, i
    if mt in (2, 3):
        v = b[i:i + n]; return (v if mt == 2 else v.decode()), i + n
    if mt == 5:
        d = {}
        for _ in range(n):
            k, i = cbor_decode(b, i); v, i = cbor_decode(b, i); d[k] = v
        return d, i
    if mt == 7 and ai == 22: return None, i
    raise ValueError("unsupported CBOR")

def verify(path, tok):
    """Opens a file written by anyone (keyward in the tests) with a Tier A token."""
    mode_c, ck, payload = tok[len("sealed_env_"):].split("_", 2)
    assert hm(b"sealed-env:token-checksum:v1", payload.encode())[:2].hex() == ck, "token checksum"
    keys, _ = cbor_decode(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    text = open(path).read()
    head, body = text.split("\n\n", 1)
    lines = head.split("\n")
    magic, meta = lines[0], [l.split("=", 1) for l in lines[1:]]
    mode = magic.split("MODE=")[1]
    fields = dict(meta)
    salt, nonce = base64.b64decode(fields["SALT"]), base64.b64decode(fields["NONCE"])
    ct = base64.b64decode(body.strip())
    aad = "\n".join([magic] + [f"{k}={v}" for k, v in meta if k not in ("AAD-DIGEST", "HMAC")]).encode()
    if mode != "basic":
        want = hm(hkdf(keys["s"], salt, b"sealed-env:v1:mac"), aad + ct)
        assert hmac.compare_digest(want, base64.b64decode(fields["HMAC"])), "HMAC (Node rule)"
    params = {k: int(v) for k, v in (p.split("=") for p in fields["KDF-PARAMS"].split(","))}
    dk = kdf(fields["KDF"], params, keys["m"], salt)
    if mode == "enterprise":
        epoch = hm(keys["t"], salt + b"epoch-v1")
        assert hmac.compare_digest(hm(dk, epoch + b"epoch-commit-v1"),
                                   base64.b64decode(fields["EPOCH-COMMIT"])), "EPOCH-COMMIT"
    assert hashlib.sha256(aad).digest() == base64.b64decode(fields["AAD-DIGEST"]), "AAD-DIGEST"
    pt = AESGCM(hkdf(dk, salt, b"sealed-env:v1:enc")).decrypt(nonce, ct, aad)
    sys.stdout.write(pt.decode())

if __name__ == "__main__":
    if sys.argv[1] == "verify":
        try:
            verify(sys.argv[2], sys.argv[3])
        except Exception as e:  # any failure: exit 1, say which check
            print(f"verify failed: {type(e).__name__}: {e}", file=sys.stderr)
            sys.exit(1)
    else:
        main(sys.argv[1])
