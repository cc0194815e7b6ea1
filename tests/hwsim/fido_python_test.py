#!/usr/bin/python3
"""python-fido2 0.9.1 (Debian python3-fido2, an independent client) against keyward-hwsim's
virtual FIDO2 authenticators, over a custom CTAPHID connection to the simulator's Unix socket.

usage: fido_python_test.py HWSIM_BIN CTL_SOCKET FIDO0_SOCKET FIDO1_SOCKET
Run with /usr/bin/python3 (Debian's), not a pyenv python that cannot see dist-packages.
"""
import hashlib
import os
import subprocess
import sys
import threading

from fido2.ctap import CtapError, STATUS
from fido2.hid import CTAPHID
from fido2.ctap2.extensions import HmacSecretExtension
from fido2.ctap2.pin import ClientPin, PinProtocolV1, PinProtocolV2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fido_common import open_ctap  # noqa: E402

HWSIM, CTL, SOCK0, SOCK1 = sys.argv[1:5]
RP = {"id": "example.org", "name": "Example"}
PIN = "4321hwsim"


def ctl(*args):
    subprocess.run([HWSIM, "ctl", "--socket", CTL] + list(args), check=True, stdout=subprocess.DEVNULL)


def in_background(*args):
    t = threading.Thread(target=ctl, args=args)
    t.start()
    return t


def expect_ctap_error(code, fn, *a, **kw):
    try:
        fn(*a, **kw)
    except CtapError as e:
        assert e.code == code, "expected CTAP error 0x%02x, got %s" % (code, e)
        return
    raise AssertionError("expected CTAP error 0x%02x, call succeeded" % code)


def make_cred(ctap, user_id, rk=False, pin=None, prot=None, cdh=None):
    cdh = cdh or os.urandom(32)
    ext = {"hmac-secret": True}
    if prot:
        ext["credProtect"] = prot
    kw = {}
    if pin:
        cp = ClientPin(ctap)
        token = cp.get_pin_token(pin, ClientPin.PERMISSION.MAKE_CREDENTIAL, RP["id"])
        kw = {"pin_uv_param": cp.protocol.authenticate(token, cdh), "pin_uv_protocol": cp.protocol.VERSION}
    att = ctap.make_credential(
        cdh, RP, {"id": user_id, "name": "alice", "displayName": "Alice"},
        [{"type": "public-key", "alg": -7}], extensions=ext, options={"rk": rk} if rk else None, **kw)
    ad = att.auth_data
    assert ad.flags & 0x01 and ad.flags & 0x40, "UP and AT flags must be set"
    assert ad.rp_id_hash == hashlib.sha256(RP["id"].encode()).digest()
    assert ad.extensions.get("hmac-secret") is True
    if prot:
        assert ad.extensions.get("credProtect") == prot
    assert att.fmt == "packed"
    # packed self attestation: signature by the credential key over authData || clientDataHash
    key = ad.credential_data.public_key
    key.verify(bytes(ad) + cdh, att.att_statement["sig"])
    assert att.att_statement["alg"] == -7
    return ad.credential_data.credential_id, key


def assertion(ctap, cred_id, key, salt=None, pin=None, protocol=None, up=None, **kw):
    cdh = os.urandom(32)
    ext, hmac = None, None
    if salt is not None:
        hmac = HmacSecretExtension(ctap, protocol)
        ext = {"hmac-secret": hmac.process_get_input({"hmacGetSecret": {"salt1": salt}})}
    pin_kw = {}
    if pin:
        cp = ClientPin(ctap, protocol)
        token = cp.get_pin_token(pin, ClientPin.PERMISSION.GET_ASSERTION, RP["id"])
        pin_kw = {"pin_uv_param": cp.protocol.authenticate(token, cdh), "pin_uv_protocol": cp.protocol.VERSION}
    allow = [{"type": "public-key", "id": cred_id}] if cred_id else None
    options = {"up": up} if up is not None else None
    resp = ctap.get_assertion(RP["id"], cdh, allow, ext, options, **pin_kw, **kw)
    ad = resp.auth_data
    key.verify(bytes(ad) + cdh, resp.signature)  # ES256 over authData || clientDataHash
    try:
        key.verify(bytes(ad) + os.urandom(32), resp.signature)
        raise AssertionError("signature verified over the wrong data")
    except AssertionError:
        raise
    except Exception:
        pass
    assert bool(ad.flags & 0x04) == bool(pin), "UV flag must reflect PIN use"
    out = None
    if hmac:
        out = hmac.process_get_output(ad)["hmacGetSecret"]["output1"]
        assert len(out) == 32
    return resp, out


def main():
    ctl("fido0", "auto-touch", "0")
    ctl("fido1", "auto-touch", "0")
    for path in (SOCK1, SOCK0):  # authenticatorReset (needs a touch): known state whatever ran before
        ctap, conn = open_ctap(path)
        ctap.reset()
        conn.close()
    ctap, conn = open_ctap(SOCK0)
    info = ctap.get_info()
    assert "FIDO_2_1" in info.versions and "FIDO_2_0" in info.versions, info.versions
    assert set(info.extensions) >= {"hmac-secret", "credProtect"}, info.extensions
    assert len(info.aaguid) == 16
    assert info.pin_uv_protocols == [2, 1], info.pin_uv_protocols
    assert info.options.get("clientPin") is False, info.options
    assert info.options.get("rk") is True

    # --- non-resident credential, hmac-secret without UV
    cred_a, key_a = make_cred(ctap, b"user-a")
    salt1, salt2 = os.urandom(32), os.urandom(32)
    _, a1 = assertion(ctap, cred_a, key_a, salt1)
    _, a1_again = assertion(ctap, cred_a, key_a, salt1)
    _, a2 = assertion(ctap, cred_a, key_a, salt2)
    assert a1 == a1_again, "hmac-secret must be stable for the same salt"
    assert a1 != a2, "different salts must give different outputs"

    # --- up:false works without a touch, flag UP clear, hmac-secret still evaluated
    ctl("fido0", "auto-touch", "off")
    resp, a1_noup = assertion(ctap, cred_a, key_a, salt1, up=False)
    assert not resp.auth_data.flags & 0x01
    assert a1_noup == a1
    ctl("fido0", "auto-touch", "0")

    # --- second credential: different output for the same salt
    cred_b, key_b = make_cred(ctap, b"user-b", prot=2)
    _, b1 = assertion(ctap, cred_b, key_b, salt1)
    assert b1 != a1, "different credentials must give different outputs"

    # --- PIN: setPIN, wrong PIN, retries, then UV assertions
    cp = ClientPin(ctap)
    assert isinstance(cp.protocol, PinProtocolV2)
    cp.set_pin(PIN)
    assert ctap.get_info().options.get("clientPin") is True
    ga = ClientPin.PERMISSION.GET_ASSERTION
    expect_ctap_error(CtapError.ERR.PIN_INVALID, ClientPin(ctap).get_pin_token, "wrong-pin", ga, RP["id"])
    assert ClientPin(ctap).get_pin_retries()[0] == 7
    _, a1_uv = assertion(ctap, cred_a, key_a, salt1, pin=PIN)
    assert ClientPin(ctap).get_pin_retries()[0] == 8
    _, a1_uv_again = assertion(ctap, cred_a, key_a, salt1, pin=PIN)
    assert a1_uv == a1_uv_again, "UV output must be stable"
    assert a1_uv != a1, "with and without UV must differ (CredRandomWithUV vs WithoutUV)"
    # without the PIN the non-UV value is still available
    _, a1_later = assertion(ctap, cred_a, key_a, salt1)
    assert a1_later == a1

    # --- PIN/UV protocol 1 gives the same hmac-secret (the CredRandom does not depend on it)
    _, a1_uv_p1 = assertion(ctap, cred_a, key_a, salt1, pin=PIN, protocol=PinProtocolV1())
    assert a1_uv_p1 == a1_uv, "protocol 1 and 2 must reach the same CredRandomWithUV"
    _, a1_p1 = assertion(ctap, cred_a, key_a, salt1, protocol=PinProtocolV1())
    assert a1_p1 == a1

    # --- with a PIN set, a discoverable credential needs the PIN; then found without allow list
    expect_ctap_error(CtapError.ERR.PIN_REQUIRED, make_cred, ctap, b"user-r", rk=True)
    cred_r, key_r = make_cred(ctap, b"user-r", rk=True, pin=PIN, prot=3)
    resp, _ = assertion(ctap, None, key_r, pin=PIN)
    assert resp.credential["id"] == cred_r and resp.user["id"] == b"user-r"
    # credProtect 3: invisible without UV
    expect_ctap_error(CtapError.ERR.NO_CREDENTIALS, assertion, ctap, cred_r, key_r)

    # --- touch by hand with keepalives, refuse, time out, cancel
    ctl("fido0", "auto-touch", "off")
    seen = []
    t = in_background("fido0", "touch", "30000")
    assertion(ctap, cred_a, key_a, on_keepalive=seen.append)
    t.join()
    assert STATUS.UPNEEDED in seen, "keepalive UPNEEDED expected while waiting for touch"
    t = in_background("fido0", "refuse", "30000")
    expect_ctap_error(CtapError.ERR.OPERATION_DENIED, assertion, ctap, cred_a, key_a)
    t.join()
    ctl("fido0", "touch-timeout", "300")
    expect_ctap_error(CtapError.ERR.ACTION_TIMEOUT, assertion, ctap, cred_a, key_a)
    ctl("fido0", "touch-timeout", "30000")
    ev = threading.Event()
    threading.Timer(0.3, ev.set).start()
    expect_ctap_error(CtapError.ERR.KEEPALIVE_CANCEL, assertion, ctap, cred_a, key_a, event=ev)
    ctl("fido0", "auto-touch", "0")

    # --- several discoverable credentials for one rp: numberOfCredentials + getNextAssertion
    cred_r2, key_r2 = make_cred(ctap, b"user-r2", rk=True, pin=PIN)
    cp = ClientPin(ctap)
    cdh = os.urandom(32)
    token = cp.get_pin_token(PIN, ClientPin.PERMISSION.GET_ASSERTION, RP["id"])
    all_resp = ctap.get_assertions(RP["id"], cdh, None, None, None, cp.protocol.authenticate(token, cdh), 2)
    assert all_resp[0].number_of_credentials == 2, all_resp[0].number_of_credentials
    by_user = {r.user["id"]: r for r in all_resp}
    assert set(by_user) == {b"user-r", b"user-r2"}
    key_r2.verify(bytes(by_user[b"user-r2"].auth_data) + cdh, by_user[b"user-r2"].signature)
    key_r.verify(bytes(by_user[b"user-r"].auth_data) + cdh, by_user[b"user-r"].signature)

    # --- changePIN: the old PIN stops working, the new one works, UV output unchanged
    ClientPin(ctap).change_pin(PIN, PIN + "2")
    expect_ctap_error(CtapError.ERR.PIN_INVALID, ClientPin(ctap).get_pin_token, PIN, ga, RP["id"])
    _, a1_uv_new = assertion(ctap, cred_a, key_a, salt1, pin=PIN + "2")
    assert a1_uv_new == a1_uv

    # --- raw CTAPHID: PING echoes a multi-packet message; U2F MSG is refused with ERROR
    data = os.urandom(200)
    assert ctap.device.call(CTAPHID.PING, data) == data
    try:
        ctap.device.call(CTAPHID.MSG, b"\x00\x01\x00\x00")
        raise AssertionError("MSG accepted")
    except CtapError as e:
        assert e.code == CtapError.ERR.INVALID_COMMAND, e

    # --- slow responses still arrive
    ctl("fido0", "misbehave", "slow:300")
    assert ctap.get_info().aaguid == info.aaguid
    ctl("fido0", "misbehave", "off")

    # --- blocked PIN via the control interface
    ctl("fido0", "block-pin")
    expect_ctap_error(CtapError.ERR.PIN_BLOCKED, ClientPin(ctap).get_pin_token, PIN, ga, RP["id"])
    conn.close()

    # --- the second authenticator is a different device
    ctap1, conn1 = open_ctap(SOCK1)
    assert ctap1.info.aaguid != info.aaguid
    assert ctap1.info.options.get("clientPin") is False
    expect_ctap_error(CtapError.ERR.NO_CREDENTIALS, assertion, ctap1, cred_a, key_a)
    cred_c, key_c = make_cred(ctap1, b"user-a")
    _, c1 = assertion(ctap1, cred_c, key_c, salt1)
    assert c1 != a1
    conn1.close()

    # --- misbehaviours surface as client-side errors
    ctap1, conn1 = open_ctap(SOCK1)
    ctl("fido1", "misbehave", "wrong-sw")
    expect_ctap_error(CtapError.ERR.OTHER, ctap1.get_info)
    ctl("fido1", "misbehave", "truncate")
    try:
        ctap1.get_info()
        raise AssertionError("truncated response accepted")
    except AssertionError:
        raise
    except Exception:
        pass
    ctl("fido1", "misbehave", "off")
    assert ctap1.get_info().aaguid == ctap1.info.aaguid
    conn1.close()
    # --- two clients on one authenticator: while one waits for a touch the other gets CHANNEL_BUSY
    ctl("fido1", "auto-touch", "off")
    ctap_a, conn_a = open_ctap(SOCK1)
    ctap_b, conn_b = open_ctap(SOCK1)
    done = []
    t = threading.Thread(target=lambda: done.append(assertion(ctap_a, cred_c, key_c, salt1)[1]))
    t.start()
    ctl("fido1", "wait-touch", "30000")
    expect_ctap_error(CtapError.ERR.CHANNEL_BUSY, ctap_b.get_info)
    ctl("fido1", "touch", "30000")
    t.join(60)
    assert done == [c1], "the waiting client must complete after the touch"
    assert ctap_b.get_info().aaguid == ctap_a.info.aaguid
    conn_a.close()
    conn_b.close()

    # --- pulled out while waiting for a touch: the connection drops; after insert it works again
    ctl("fido1", "auto-touch", "off")
    ctap1, conn1 = open_ctap(SOCK1)
    errors = []

    def pending_assertion():
        try:
            assertion(ctap1, cred_c, key_c)
            errors.append("assertion succeeded although the device was removed")
        except OSError:
            pass

    t = threading.Thread(target=pending_assertion)
    t.start()
    ctl("fido1", "wait-touch", "30000")
    ctl("fido1", "remove")
    t.join(60)
    assert not t.is_alive() and not errors, errors
    conn1.close()
    ctl("fido1", "insert")
    ctl("fido1", "auto-touch", "0")
    ctap1, conn1 = open_ctap(SOCK1)
    _, c1_again = assertion(ctap1, cred_c, key_c, salt1)
    assert c1_again == c1
    conn1.close()
    print("fido_python_test: ok")


if __name__ == "__main__":
    main()
