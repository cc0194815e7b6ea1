#!/usr/bin/python3
"""Persistence and the PIN/UV-protocol-1-only profile (YubiKey 5.2-5.4 style), with python-fido2.

usage: fido_persist_test.py create|check SOCKET DATAFILE
`create` sets a PIN and makes credentials; after a simulator restart `check` must find the same
PIN, credentials and hmac-secret outputs.
"""
import json
import os
import sys

from fido2 import cbor
from fido2.cose import CoseKey
from fido2.ctap import CtapError
from fido2.ctap2.extensions import HmacSecretExtension
from fido2.ctap2.pin import ClientPin, PinProtocolV1

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fido_common import open_ctap  # noqa: E402

RP = {"id": "io.systemd.cryptsetup", "name": "Encrypted Volume"}
PIN = "123456"


def hmac_out(ctap, cred_id, salt, pin):
    cdh = bytes(32)  # systemd-cryptenroll uses an all-zero clientDataHash
    ext = HmacSecretExtension(ctap)
    inp = {"hmac-secret": ext.process_get_input({"hmacGetSecret": {"salt1": salt}})}
    kw = {}
    if pin:
        cp = ClientPin(ctap)
        assert isinstance(cp.protocol, PinProtocolV1)
        token = cp.get_pin_token(pin)  # legacy subcommand 05: no pinUvAuthToken option
        kw = {"pin_uv_param": cp.protocol.authenticate(token, cdh), "pin_uv_protocol": 1}
    resp = ctap.get_assertion(RP["id"], cdh, [{"type": "public-key", "id": cred_id}], inp, **kw)
    return resp, ext.process_get_output(resp.auth_data)["hmacGetSecret"]["output1"]


def main():
    step, sock, datafile = sys.argv[1:4]
    ctap, conn = open_ctap(sock)
    info = ctap.info
    assert info.pin_uv_protocols == [1], info.pin_uv_protocols
    assert "FIDO_2_1_PRE" in info.versions and not info.options.get("pinUvAuthToken")
    if step == "create":
        assert info.options["clientPin"] is False
        ClientPin(ctap).set_pin(PIN)
        cdh = bytes(32)
        cp = ClientPin(ctap)
        token = cp.get_pin_token(PIN)
        att = ctap.make_credential(
            cdh, RP, {"id": b"luks-uuid", "name": "luks-uuid"}, [{"type": "public-key", "alg": -7}],
            extensions={"hmac-secret": True}, options={"rk": False},
            pin_uv_param=cp.protocol.authenticate(token, cdh), pin_uv_protocol=1)
        cred = att.auth_data.credential_data
        salt = os.urandom(32)
        _, uv = hmac_out(ctap, cred.credential_id, salt, PIN)
        _, no_uv = hmac_out(ctap, cred.credential_id, salt, None)
        assert uv != no_uv
        # CTAP 2.0 rule: with a PIN set, makeCredential without the PIN is refused
        try:
            ctap.make_credential(cdh, RP, {"id": b"x"}, [{"type": "public-key", "alg": -7}])
            raise AssertionError("makeCredential without PIN accepted")
        except CtapError as e:
            assert e.code == CtapError.ERR.PIN_REQUIRED, e
        with open(datafile, "w") as f:
            json.dump({"id": cred.credential_id.hex(), "key": cbor.encode(dict(cred.public_key)).hex(),
                       "salt": salt.hex(), "uv": uv.hex(), "no_uv": no_uv.hex()}, f)
    else:
        with open(datafile) as f:
            d = json.load(f)
        assert info.options["clientPin"] is True, "PIN lost across restart"
        key = CoseKey.parse(cbor.decode(bytes.fromhex(d["key"])))
        resp, uv = hmac_out(ctap, bytes.fromhex(d["id"]), bytes.fromhex(d["salt"]), PIN)
        key.verify(bytes(resp.auth_data) + bytes(32), resp.signature)
        _, no_uv = hmac_out(ctap, bytes.fromhex(d["id"]), bytes.fromhex(d["salt"]), None)
        assert uv.hex() == d["uv"] and no_uv.hex() == d["no_uv"], "hmac-secret changed across restart"
    conn.close()
    print("fido_persist_test %s: ok" % step)


if __name__ == "__main__":
    main()
