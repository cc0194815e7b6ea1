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
import warnings

warnings.filterwarnings("ignore")

from ykman.pcsc import list_devices  # noqa: E402
from yubikit.core import TRANSPORT  # noqa: E402
from yubikit.core.smartcard import ApduError, SmartCardConnection  # noqa: E402
from yubikit.management import ManagementSession  # noqa: E402
from yubikit.piv import MANAGEMENT_KEY_TYPE, SLOT, PivSession  # noqa: E402


def connect(reader):
    devs = list_devices(reader)
    if len(devs) != 1:
        sys.exit(f"expected one reader matching {reader!r}, found {len(devs)}")
    return devs[0].open_connection(SmartCardConnection)


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
