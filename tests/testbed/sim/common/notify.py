"""systemd Type=notify support (sd_notify without libsystemd)."""
import os
import socket


def sd_notify(message):
    """Send ``message`` (e.g. "READY=1") to $NOTIFY_SOCKET; return False when not run by systemd."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.connect(address)
        sock.sendall(message.encode())
    return True
