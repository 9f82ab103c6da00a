"""DB Console sessions: what `auth-session login` writes to system.web_sessions and what the HTTP API checks.

The cookie is the real one (pkg/cli/auth.go, EncodeSessionCookie with forHTTPSOnly=false): `session=` and the
standard base64 of a serverpb.SessionCookie proto (field 1 `id` varint, field 2 `secret` bytes), then
`; Path=/; HttpOnly`. The server keeps only the secret's SHA-256, with the session's expiry and revocation.
"""
import base64
import binascii
import hashlib
import os
import time

COOKIE_NAME = "session"
SECRET_BYTES = 16


def _varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _read_varint(data, offset):
    value, shift = 0, 0
    while offset < len(data):
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, offset
        shift += 7
    raise ValueError("truncated varint")


def encode_cookie(session_id, secret):
    """The Set-Cookie text `cockroach auth-session login --only-cookie` prints."""
    proto = b"\x08" + _varint(session_id) + b"\x12" + _varint(len(secret)) + secret
    return "%s=%s; Path=/; HttpOnly" % (COOKIE_NAME, base64.b64encode(proto).decode())


def decode_cookie(value):
    """(session id, secret) of a cookie value; ValueError when it is not a SessionCookie."""
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not base64") from None
    fields, offset = {}, 0
    while offset < len(data):
        tag, offset = _read_varint(data, offset)
        if tag == 0x08:
            fields["id"], offset = _read_varint(data, offset)
        elif tag == 0x12:
            length, offset = _read_varint(data, offset)
            fields["secret"], offset = data[offset:offset + length], offset + length
        else:
            raise ValueError("unknown field")
    if "id" not in fields or "secret" not in fields:
        raise ValueError("incomplete session cookie")
    return fields["id"], fields["secret"]


def new_session_id(node_id, now):
    """unique_rowid(): the timestamp in 10 microsecond units, shifted, with the node id in the low bits."""
    return (int(now * 100000) << 15) | (node_id or 0)


def create(st, username, expires_in, node_id, now=None):
    """Add a session to the cluster state; return (id, secret)."""
    now = time.time() if now is None else now
    session_id, secret = new_session_id(node_id, now), os.urandom(SECRET_BYTES)
    st.setdefault("web_sessions", {})[str(session_id)] = {
        "username": username, "hashed_secret": hashlib.sha256(secret).hexdigest(),
        "created_at": now, "expires_at": now + expires_in, "revoked_at": None}
    return session_id, secret


def _cookie_value(header):
    for part in (header or "").split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name == COOKIE_NAME:
            return value.strip('"')
    return None


def valid_cookie(st, header, now):
    """Does the request's Cookie header carry a live session (known, secret matching, not expired, not revoked)?"""
    value = _cookie_value(header)
    if value is None:
        return False
    try:
        session_id, secret = decode_cookie(value)
    except ValueError:
        return False
    record = st.get("web_sessions", {}).get(str(session_id))
    return bool(record and record["hashed_secret"] == hashlib.sha256(secret).hexdigest()
                and record["expires_at"] > now and not record["revoked_at"])
