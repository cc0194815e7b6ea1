"""Shared python-fido2 plumbing for the hwsim tests: a CtapHidConnection over the simulator's
Unix socket (64-byte CTAPHID reports, no HID report id)."""
import socket

from fido2.ctap2 import Ctap2
from fido2.hid import CtapHidDevice
from fido2.hid.base import CtapHidConnection, HidDescriptor


class SocketConnection(CtapHidConnection):
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(60)
        self.sock.connect(path)

    def read_packet(self):
        buf = b""
        while len(buf) < 64:
            chunk = self.sock.recv(64 - len(buf))
            if not chunk:
                raise OSError("simulator closed the connection")
            buf += chunk
        return buf

    def write_packet(self, data):
        assert len(data) == 64
        self.sock.sendall(data)

    def close(self):
        self.sock.close()


def open_ctap(path):
    """CtapHidDevice performs CTAPHID INIT; Ctap2 (strict_cbor=True) rejects non-canonical CBOR."""
    conn = SocketConnection(path)
    dev = CtapHidDevice(HidDescriptor(path, 0x1050, 0x0407, 64, 64), conn)
    return Ctap2(dev), conn
