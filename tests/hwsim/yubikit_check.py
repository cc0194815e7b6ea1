#!/usr/bin/python3
# Reads what Yubico's own library (yubikit, from Debian's yubikey-manager) sees on a simulated
# card, for the things `ykman` 4.0.9 does not print: slot metadata (policies, origin), PIN/PUK/
# management-key metadata, the raw device information, and MOVE KEY (firmware 5.7, not in
# yubikit 4.0.9: sent as the APDU yubikit 5 sends).
#
#   yubikit_check.py meta READER SLOT          -> alg=ECCP256 pin=ONCE touch=ALWAYS generated=True
#   yubikit_check.py access READER             -> pin=3/3 pin_default=True puk=... mgmt=TDES ...
#   yubikit_check.py device READER             -> serial=... version=... form_factor=... usb=... nfc=...
#   yubikit_check.py move READER MGMT_ALG MGMT_HEX TO FROM   -> ok | sw=6d00
#   yubikit_check.py delete READER MGMT_ALG MGMT_HEX SLOT    -> ok | sw=...
import sys
import time
import warnings

warnings.filterwarnings("ignore")

from smartcard.Exceptions import CardConnectionException  # noqa: E402
from smartcard.scard import SCARD_LEAVE_CARD  # noqa: E402
from ykman.pcsc import ScardSmartCardConnection, list_devices  # noqa: E402
from yubikit.core import TRANSPORT  # noqa: E402
from yubikit.core.smartcard import ApduError, SmartCardConnection  # noqa: E402
from yubikit.management import ManagementSession  # noqa: E402
from yubikit.piv import MANAGEMENT_KEY_TYPE, SLOT, PivSession  # noqa: E402


def connect(reader):
    """Opens the card, retried when pcscd reports the card reset or unpowered while connecting.

    pyscard disconnects with SCARD_UNPOWER_CARD, libykpiv with SCARD_RESET_CARD: pcscd may apply
    the previous client's disposition after this process connected, and the first status call
    then fails ("Failed to get status: Card was reset", seen once in a full parallel CI run).
    Nothing has been sent to the card at that point, so a retry changes nothing on it. Retries
    are noted on stderr."""
    devs = list_devices(reader)
    if len(devs) != 1:
        sys.exit(f"expected one reader matching {reader!r}, found {len(devs)}")
    for attempt in range(1, 4):
        pcsc = devs[0].reader.createConnection()
        try:
            return ScardSmartCardConnection(pcsc)
        except CardConnectionException as e:
            if attempt == 3 or not any(w in str(e) for w in ("reset", "unpowered", "removed")):
                raise
            print(f"yubikit_check: connect: {e}; retrying", file=sys.stderr)
            # the failed handle goes away leaving the card as it is: unpowering it now would be
            # the very race this retry works around
            pcsc.disposition = SCARD_LEAVE_CARD
            pcsc.disconnect()
            time.sleep(0.3)


def main():
    cmd, reader = sys.argv[1], sys.argv[2]
    conn = connect(reader)
    try:
        if cmd == "device":
            info = ManagementSession(conn).read_device_info()
            print(
                f"serial={info.serial} version={'.'.join(map(str, info.version))} "
                f"form_factor={info.form_factor.name} fips={info.is_fips} sky={info.is_sky} "
                f"locked={info.is_locked} "
                f"usb_supported={int(info.supported_capabilities[TRANSPORT.USB]):#06x} "
                f"usb_enabled={int(info.config.enabled_capabilities[TRANSPORT.USB]):#06x} "
                f"nfc_supported={int(info.supported_capabilities[TRANSPORT.NFC]):#06x} "
                f"nfc_enabled={int(info.config.enabled_capabilities[TRANSPORT.NFC]):#06x} "
                f"chalresp={info.config.challenge_response_timeout} "
                f"auto_eject={info.config.auto_eject_timeout}"
            )
            return
        s = PivSession(conn)
        if cmd == "meta":
            m = s.get_slot_metadata(SLOT(int(sys.argv[3], 16)))
            print(
                f"alg={m.key_type.name} pin={m.pin_policy.name} touch={m.touch_policy.name} "
                f"generated={m.generated}"
            )
        elif cmd == "access":
            pin, puk = s.get_pin_metadata(), s.get_puk_metadata()
            mk = s.get_management_key_metadata()
            print(
                f"pin={pin.attempts_remaining}/{pin.total_attempts} pin_default={pin.default_value} "
                f"puk={puk.attempts_remaining}/{puk.total_attempts} puk_default={puk.default_value} "
                f"mgmt={mk.key_type.name} mgmt_default={mk.default_value} "
                f"mgmt_touch={mk.touch_policy.name}"
            )
        elif cmd in ("move", "delete"):
            s.authenticate(MANAGEMENT_KEY_TYPE[sys.argv[3]], bytes.fromhex(sys.argv[4]))
            to, frm = (int(sys.argv[5], 16), int(sys.argv[6], 16)) if cmd == "move" else (0xFF, int(sys.argv[5], 16))
            try:
                s.protocol.send_apdu(0, 0xF6, to, frm)
                print("ok")
            except ApduError as e:
                print(f"sw={e.sw:04x}")
        else:
            sys.exit(f"unknown command {cmd}")
    finally:
        conn.close()


if __name__ == "__main__":
    main()
