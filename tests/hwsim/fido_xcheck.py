#!/usr/bin/python3
"""Prints the hmac-secret output1 (hex) python-fido2 gets for a credential and salt.
usage: fido_xcheck.py SOCKET RP_ID CRED_ID_HEX SALT_HEX [PIN]"""
import os
import sys

from fido2.ctap2.extensions import HmacSecretExtension
from fido2.ctap2.pin import ClientPin

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fido_common import open_ctap  # noqa: E402

sock, rp_id, cred_hex, salt_hex = sys.argv[1:5]
pin = sys.argv[5] if len(sys.argv) > 5 else None
ctap, conn = open_ctap(sock)
cdh = os.urandom(32)
ext = HmacSecretExtension(ctap)
inp = {"hmac-secret": ext.process_get_input({"hmacGetSecret": {"salt1": bytes.fromhex(salt_hex)}})}
kw = {}
if pin:
    cp = ClientPin(ctap)
    token = cp.get_pin_token(pin, ClientPin.PERMISSION.GET_ASSERTION, rp_id)
    kw = {"pin_uv_param": cp.protocol.authenticate(token, cdh), "pin_uv_protocol": cp.protocol.VERSION}
resp = ctap.get_assertion(rp_id, cdh, [{"type": "public-key", "id": bytes.fromhex(cred_hex)}], inp, **kw)
print(ext.process_get_output(resp.auth_data)["hmacGetSecret"]["output1"].hex())
conn.close()
