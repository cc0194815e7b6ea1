#!/usr/bin/python3
"""The same-user attacker against a PIV slot, without keyward code: it reads the vault file, knows
the card PIN (the strongest case: only the touch stands in its way), finds the card by serial over
PC/SC (pyscard), and sends the ECDH (GENERAL AUTHENTICATE) with the slot's ephemeral key E, then
follows docs/format-vault.md (KEK_piv, the slot secret p, the wrap of H, C_high).

usage: piv_attack.py VAULT.db PIN
Prints one JSON line per PIV slot: {"slot", "touch", "sw", "slot_secret", "high"}; "sw" is the
card's status word for the ECDH ("9000" = the card did it).
"""
import json
import os
import sqlite3
import sys

from smartcard.System import readers

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fido_attack import Reader, aead_open, hkdf, parse_slot, unwrap  # noqa: E402

import nacl.bindings as sodium  # noqa: E402

PIV_AID = [0xA0, 0x00, 0x00, 0x03, 0x08]


def parse_piv(params):
    r = Reader(params)
    assert r.u8() == 1
    p = {"serial": int.from_bytes(r.take(4), "big"), "key_ref": r.u8(), "pin": r.u8(),
         "touch": r.u8(), "attestation": r.u8(), "card_pub": r.take(65), "E": r.take(65)}
    p["prefix"] = params[:r.i]
    p["sealed"] = r.take(72)
    return p


def tx(conn, apdu):
    data, sw1, sw2 = conn.transmit(apdu)
    while sw1 == 0x61:  # more data
        more, sw1, sw2 = conn.transmit([0x00, 0xC0, 0x00, 0x00, sw2])
        data += more
    return bytes(data), "%02x%02x" % (sw1, sw2)


def card_for(serial):
    for r in readers():
        conn = r.createConnection()
        try:
            conn.connect()
        except Exception:
            continue
        _, sw = tx(conn, [0x00, 0xA4, 0x04, 0x00, len(PIV_AID)] + PIV_AID)
        if sw == "9000":
            data, sw = tx(conn, [0x00, 0xF8, 0x00, 0x00])  # YubiKey GET SERIAL
            if sw == "9000" and int.from_bytes(data[:4], "big") == serial:
                return conn
        conn.disconnect()
    return None


def main():
    vault, pin = sys.argv[1], sys.argv[2].encode()
    db = sqlite3.connect("file:%s?mode=ro" % vault, uri=True)
    header = db.execute("SELECT body FROM header WHERE id = 1").fetchone()[0]
    vid = header[5:21]
    c_high = header[102:134] if header[101] == 1 else None
    for number, body in db.execute("SELECT id, body FROM slots ORDER BY id"):
        s = parse_slot(body)
        if s["type"] != 4:
            continue
        p = parse_piv(s["params"])
        out = {"slot": number, "touch": p["touch"], "sw": "no card", "slot_secret": False, "high": False}
        conn = card_for(p["serial"])
        if conn is not None:
            _, out["verify_sw"] = tx(conn, [0x00, 0x20, 0x00, 0x80, 8] + list(pin.ljust(8, b"\xff")))
            body = bytes([0x82, 0x00, 0x85, 0x41]) + p["E"]
            data = bytes([0x7C, len(body)]) + body
            resp, out["sw"] = tx(conn, [0x00, 0x87, 0x11, p["key_ref"], len(data)] + list(data) + [0x00])
            conn.disconnect()
            if out["sw"] == "9000" and len(resp) >= 36 and resp[2] == 0x82:
                x = resp[4:4 + resp[3]]
                kek = hkdf(x, p["E"] + p["card_pub"] + vid, b"keyward/vault/v1/piv")
                aad = b"keyward/vault/v1/slot-secret" + bytes([4]) + vid + s["P"] + p["prefix"]
                secret = aead_open(kek, p["sealed"], aad)
                if secret is not None and sodium.crypto_scalarmult_base(secret) == s["P"]:
                    out["slot_secret"] = True
                    if s["wrapped_high"] and c_high is not None:
                        h = unwrap(secret, s["P"], vid, 4, b"high", 2, s["wrapped_high"])
                        out["high"] = h is not None and \
                            hkdf(h, vid, b"keyward/vault/v1/high-check") == c_high
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
