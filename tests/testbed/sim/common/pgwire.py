"""A small PostgreSQL wire protocol (v3) server and client, enough for a CLI, psycopg 3 and psql.

Server: startup (SSL/GSS requests refused with 'N' unless TLS is configured), simple query, and the
extended protocol (Parse/Bind/Describe/Execute/Sync/Close/Flush) with text or binary parameters.
A backend object decides what statements mean:

    backend.admit(session)                 raise PgError to refuse the connection (sent as FATAL)
    backend.execute(session, sql, params)  -> Result, or raise PgError
    backend.describe(session, sql)         -> list of (name, oid) or None, without side effects

Sessions can be asked to end gracefully (``session.request_termination(error)``): the error is sent
once the session is idle outside a transaction, then the connection is closed; ``force=True`` ends it
at the next message boundary even inside a transaction. Clients that send the startup parameter
``RPC_PARAM`` (the simulator's stand-in for the real binaries' gRPC admin connections) are marked
``session.rpc``. A statement's response messages leave in one write (on Sync, Flush or the end of a
simple query) on a TCP_NODELAY socket, so no Nagle / delayed-ACK stall adds to each round trip.
"""
import datetime
import decimal
import json
import math
import re
import select
import socket
import ssl
import struct
import threading
import time

OID_BOOL = 16
OID_INT8 = 20
OID_INT2 = 21
OID_INT2VECTOR = 22
OID_INT4 = 23
OID_TEXT = 25
OID_FLOAT8 = 701
OID_TIMESTAMP = 1114
OID_TIMESTAMPTZ = 1184
OID_INTERVAL = 1186
OID_NUMERIC = 1700
OID_JSONB = 3802
OID_TEXT_ARRAY = 1009

TYPE_NAMES = {
    OID_BOOL: "BOOL", OID_INT8: "INT8", OID_INT2: "INT2", OID_INT4: "INT4", OID_TEXT: "STRING",
    OID_FLOAT8: "FLOAT8", OID_TIMESTAMP: "TIMESTAMP", OID_TIMESTAMPTZ: "TIMESTAMPTZ",
    OID_INTERVAL: "INTERVAL", OID_NUMERIC: "DECIMAL", OID_JSONB: "JSONB", OID_TEXT_ARRAY: "STRING[]",
    OID_INT2VECTOR: "INT2VECTOR",
}

SSL_REQUEST = 80877103
GSS_REQUEST = 80877104
CANCEL_REQUEST = 80877102
PROTOCOL_3 = 196608
RPC_PARAM = "testbed_rpc"
POLL = 0.05  # seconds between checks for a requested termination while a session waits
IDLE_GRACE = 0.1  # seconds a session must have been idle before a termination is sent unasked


class PgError(Exception):
    """An ErrorResponse: SQLSTATE ``code`` and ``message`` (plus optional detail/hint)."""

    def __init__(self, code, message, severity="ERROR", detail=None, hint=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.severity = severity
        self.detail = detail
        self.hint = hint


class Result:
    """Outcome of one statement: ``columns`` is a list of (name, oid), or None for no row description."""

    def __init__(self, tag, columns=None, rows=()):
        self.tag = tag
        self.columns = columns
        self.rows = list(rows)


def format_timestamp(value):
    """TIMESTAMP text the way CockroachDB prints it: microseconds with trailing zeros dropped.

    A timezone-aware value (TIMESTAMPTZ, always UTC here) gets the offset as `-07` formats it: `+00`.
    """
    text = value.strftime("%Y-%m-%d %H:%M:%S")
    fraction = ("%06d" % value.microsecond).rstrip("0")
    text += "." + fraction if fraction else ""
    if value.tzinfo is not None:
        offset = int(value.utcoffset().total_seconds()) // 60
        sign = "-" if offset < 0 else "+"
        hours, minutes = divmod(abs(offset), 60)
        text += "%s%02d" % (sign, hours) + (":%02d" % minutes if minutes else "")
    return text


def format_float(value):
    """strconv.FormatFloat(v, 'g', -1, 64): shortest digits; %e when the exponent is < -4 or >= 6 (1, 0.5, 1e+06)."""
    if math.isnan(value):
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if str(value).startswith("-") else "0"
    sign, digits, exponent = decimal.Decimal(repr(float(value))).as_tuple()
    digits = "".join(str(d) for d in digits)
    stripped = digits.rstrip("0")
    exponent += len(digits) - len(stripped)
    digits = stripped or "0"
    point = len(digits) + exponent  # digs.dp
    exp = point - 1
    prefix = "-" if sign else ""
    if exp < -4 or exp >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return "%s%se%s%02d" % (prefix, mantissa, "-" if exp < 0 else "+", abs(exp))
    if point <= 0:
        return prefix + "0." + "0" * -point + digits
    if point >= len(digits):
        return prefix + digits + "0" * (point - len(digits))
    return prefix + digits[:point] + "." + digits[point:]


def encode_text(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return b"t" if value else b"f"
    if isinstance(value, float):
        return format_float(value).encode()
    if isinstance(value, datetime.datetime):
        return format_timestamp(value).encode()
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(", ", ": ")).encode()
    return str(value).encode()


def _encode_binary(value, oid):
    if value is None:
        return None
    if oid == OID_INT8 and isinstance(value, int):
        return struct.pack("!q", value)
    if oid == OID_BOOL:
        return b"\x01" if value else b"\x00"
    return encode_text(value)


def _decode_param(raw, fmt, oid):
    if raw is None:
        return None
    if fmt == 1:
        if oid in (OID_INT2, OID_INT4, OID_INT8) or (oid == 0 and len(raw) in (2, 4, 8)):
            return int.from_bytes(raw, "big", signed=True)
        if oid == OID_BOOL:
            return raw != b"\x00"
        if oid == OID_FLOAT8:
            return struct.unpack("!d", raw)[0]
        if oid == OID_NUMERIC:
            return _decode_binary_numeric(raw)
    text = raw.decode()
    if oid in (OID_INT2, OID_INT4, OID_INT8):
        return int(text)
    return text


def _decode_binary_numeric(raw):
    ndigits, weight, sign, _dscale = struct.unpack("!hhHH", raw[:8])
    digits = struct.unpack("!%dH" % ndigits, raw[8:8 + 2 * ndigits])
    value = 0
    for index, digit in enumerate(digits):
        value += digit * 10000 ** (weight - index)
    return -value if sign == 0x4000 else value


def split_statements(sql):
    """Split a query string on semicolons outside quotes; drop empty statements."""
    statements, current, quote = [], [], None
    for char in sql:
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == ";":
            statements.append("".join(current))
            current = []
            continue
        current.append(char)
    statements.append("".join(current))
    return [s.strip() for s in statements if s.strip()]


def _message(kind, payload=b""):
    return kind + struct.pack("!i", len(payload) + 4) + payload


def _cstr(text):
    return text.encode() + b"\0"


def error_payload(error):
    fields = [(b"S", error.severity), (b"V", error.severity), (b"C", error.code), (b"M", error.message)]
    if error.detail:
        fields.append((b"D", error.detail))
    if error.hint:
        fields.append((b"H", error.hint))
    return b"".join(key + _cstr(value) for key, value in fields) + b"\0"


def parse_error_payload(payload):
    fields = {}
    for part in payload.split(b"\0"):
        if part:
            fields[part[:1].decode()] = part[1:].decode(errors="replace")
    return PgError(fields.get("C", "XX000"), fields.get("M", ""), fields.get("S", "ERROR"),
                   fields.get("D"), fields.get("H"))


class _Reader:
    def __init__(self, sock):
        self.sock = sock

    def exactly(self, count):
        chunks = []
        while count:
            chunk = self.sock.recv(count)
            if not chunk:
                raise ConnectionError("connection closed")
            chunks.append(chunk)
            count -= len(chunk)
        return b"".join(chunks)

    def message(self):
        kind = self.exactly(1)
        (length,) = struct.unpack("!i", self.exactly(4))
        return kind, self.exactly(length - 4)


class _Body:
    """Cursor over a message body."""

    def __init__(self, data):
        self.data, self.pos = data, 0

    def int16(self):
        (value,) = struct.unpack_from("!h", self.data, self.pos)
        self.pos += 2
        return value

    def int32(self):
        (value,) = struct.unpack_from("!i", self.data, self.pos)
        self.pos += 4
        return value

    def cstr(self):
        end = self.data.index(b"\0", self.pos)
        text = self.data[self.pos:end].decode()
        self.pos = end + 1
        return text

    def raw(self, count):
        chunk = self.data[self.pos:self.pos + count]
        self.pos += count
        return chunk

    def byte(self):
        return self.raw(1)


class Session:
    """One client connection on the server side."""

    _next_pid = [1000]

    def __init__(self, server, sock, peer):
        self.server, self.sock, self.peer = server, sock, peer
        self.params = {}
        self.exempt_from_drain = False
        self.tx_status = b"I"
        self._termination = None
        self._forced = False
        self._lock = threading.Lock()
        Session._next_pid[0] += 1
        self.pid = Session._next_pid[0]

    @property
    def rpc(self):
        return self.params.get(RPC_PARAM) == "1"

    def request_termination(self, error, force=False):
        """Send ``error`` (usually FATAL 57P01) once idle outside a transaction (or at once: force), then close."""
        with self._lock:
            self._termination = error
            self._forced = self._forced or force

    @property
    def forced(self):
        with self._lock:
            return self._forced

    def termination(self, in_batch=False):
        """The error to end the session with now, or None: a graceful end waits until the client awaits a new
        command (not inside an extended-protocol batch) outside a transaction."""
        with self._lock:
            if self.exempt_from_drain or self._termination is None:
                return None
            if self._forced or (self.tx_status == b"I" and not in_batch):
                return self._termination
            return None

    def send(self, data):
        self.sock.sendall(data)

    def linger(self, seconds=1.0):
        """Half-close after a final error and discard what the client still sends until it closes (or
        ``seconds``): closing with unread input would reset the connection, and a reset makes the client
        drop the error it has not read yet."""
        try:
            self.sock.shutdown(socket.SHUT_WR)
            self.sock.settimeout(seconds)
            while self.sock.recv(4096):
                pass
        except OSError:
            pass

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


class PgServer:
    """Threaded pgwire server on one or more (host, port) addresses."""

    def __init__(self, addresses, backend, parameters=None, ssl_context=None):
        self.backend = backend
        self.parameters = parameters or {}
        self.ssl_context = ssl_context
        self.sessions = set()
        self._lock = threading.Lock()
        self._listeners = []
        self._stopping = False
        for address in addresses:
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(address)
            listener.listen(64)
            self._listeners.append(listener)

    def start(self):
        for listener in self._listeners:
            threading.Thread(target=self._accept_loop, args=(listener,), daemon=True).start()

    def _accept_loop(self, listener):
        while not self._stopping:
            try:
                sock, peer = listener.accept()
            except OSError:
                return
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._serve, args=(sock, peer), daemon=True).start()

    def stop_listening(self):
        self._stopping = True
        for listener in self._listeners:
            try:
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()

    def close_all_sessions(self):
        """Abrupt close: clients see a broken connection."""
        with self._lock:
            sessions = list(self.sessions)
        for session in sessions:
            session.close()

    def terminate_sessions(self, error, force=False):
        """Ask every client session (not the admin RPC ones) to end with ``error``."""
        for session in self.client_sessions():
            session.request_termination(error, force)

    def client_sessions(self):
        with self._lock:
            return [session for session in self.sessions if not session.exempt_from_drain]

    def _serve(self, sock, peer):
        session = Session(self, sock, peer)
        try:
            if self._startup(session) and self._wait_admitted(session):
                with self._lock:
                    self.sessions.add(session)
                _Protocol(self, session).run()
        except (ConnectionError, OSError, ssl.SSLError):
            pass
        finally:
            with self._lock:
                self.sessions.discard(session)
            session.close()

    def _startup(self, session):
        reader = _Reader(session.sock)
        while True:
            (length,) = struct.unpack("!i", reader.exactly(4))
            body = _Body(reader.exactly(length - 4))
            code = body.int32()
            if code == SSL_REQUEST and self.ssl_context is not None:
                session.send(b"S")
                session.sock = self.ssl_context.wrap_socket(session.sock, server_side=True)
                reader = _Reader(session.sock)
            elif code in (SSL_REQUEST, GSS_REQUEST):
                session.send(b"N")
            elif code == CANCEL_REQUEST:
                return False
            elif code == PROTOCOL_3:
                break
            else:
                raise ConnectionError("unsupported protocol %d" % code)
        while body.pos < len(body.data) - 1:
            key = body.cstr()
            session.params[key] = body.cstr()
        session.exempt_from_drain = session.rpc
        return True

    def _wait_admitted(self, session):
        """Hold the client without an answer while the backend does not serve SQL yet (a real node has not
        started accepting on its SQL listener then); refuse it (FATAL) or greet it."""
        while not session.rpc and not self.backend.serving_sql():
            if self._stopping or select.select([session.sock], [], [], 0.2)[0]:
                return False  # the client gave up (or sent something it should not have) or the server stops
        try:
            self.backend.admit(session)
        except PgError as error:
            error.severity = "FATAL"
            session.send(_message(b"E", error_payload(error)))
            return False
        out = [_message(b"R", struct.pack("!i", 0))]
        for key, value in sorted(self.parameters.items()):
            out.append(_message(b"S", _cstr(key) + _cstr(value)))
        out.append(_message(b"K", struct.pack("!ii", session.pid, 0)))
        out.append(_message(b"Z", b"I"))
        session.send(b"".join(out))
        return True


def _row_description(columns, formats=()):
    payload = struct.pack("!h", len(columns))
    for index, (name, oid) in enumerate(columns):
        fmt = formats[index] if len(formats) > 1 else (formats[0] if formats else 0)
        payload += _cstr(name) + struct.pack("!ihihih", 0, 0, oid, -1, -1, fmt)
    return _message(b"T", payload)


def _data_row(values, columns, formats=()):
    payload = struct.pack("!h", len(values))
    for index, value in enumerate(values):
        fmt = formats[index] if len(formats) > 1 else (formats[0] if formats else 0)
        raw = _encode_binary(value, columns[index][1]) if fmt == 1 else encode_text(value)
        payload += struct.pack("!i", -1) if raw is None else struct.pack("!i", len(raw)) + raw
    return _message(b"D", payload)


class _Protocol:
    """The message loop of one established session."""

    def __init__(self, server, session):
        self.server, self.session = server, session
        self.backend = server.backend
        self.statements = {}
        self.portals = {}
        self.skip_until_sync = False
        self.in_batch = False
        self.pending = []
        self.last_output = time.monotonic()

    def _queue(self, data):
        self.pending.append(data)

    def _flush(self):
        if self.pending:
            data, self.pending = b"".join(self.pending), []
            self.session.send(data)
            self.last_output = time.monotonic()

    def run(self):
        reader = _Reader(self.session.sock)
        while True:
            if not self._wait_readable():
                return
            kind, payload = reader.message()
            if kind == b"X":
                return
            handler = self.HANDLERS.get(kind)
            if handler is None:
                continue
            self.in_batch = kind not in (b"S", b"Q")
            if self.skip_until_sync and kind != b"S":
                continue
            try:
                handler(self, _Body(payload))
            except PgError as error:
                self._send_error(error)
                if kind != b"Q":
                    self.skip_until_sync = True
                else:
                    self._ready()
                    self._flush()

    def _wait_readable(self):
        """Wait for the next message; pending output leaves before the wait blocks. A requested termination is
        sent in answer to the client's next message, or once the client has been idle for IDLE_GRACE: sent
        right behind a ReadyForQuery the client is still reading, libpq would take it for a notice."""
        sock = self.session.sock
        if not select.select([sock], [], [], 0)[0]:
            self._flush()
        while True:
            readable = (isinstance(sock, ssl.SSLSocket) and sock.pending()) or select.select([sock], [], [], POLL)[0]
            if self._terminate_if_requested(bool(readable)):
                return False
            if readable:
                return True

    def _terminate_if_requested(self, client_waiting):
        error = self.session.termination(self.in_batch)
        if error is None:
            return False
        if not (client_waiting or self.session.forced or time.monotonic() - self.last_output >= IDLE_GRACE):
            return False
        self._queue(_message(b"E", error_payload(error)))
        self._flush()
        self.session.linger()
        return True

    def _send_error(self, error):
        if self.session.tx_status == b"T":
            self.session.tx_status = b"E"
        self._queue(_message(b"E", error_payload(error)))

    def _ready(self):
        self._queue(_message(b"Z", self.session.tx_status))

    def _track_transaction(self, sql):
        word = sql.strip().split(None, 1)[0].upper() if sql.strip() else ""
        if word in ("BEGIN", "START"):
            self.session.tx_status = b"T"
        elif word in ("COMMIT", "ROLLBACK", "END", "ABORT"):
            self.session.tx_status = b"I"

    def _execute(self, sql, params):
        if self.session.tx_status == b"E" and not sql.strip().upper().startswith(("ROLLBACK", "COMMIT")):
            raise PgError("25P02", "current transaction is aborted, commands ignored until end of transaction block")
        result = self.backend.execute(self.session, sql, params)
        self._track_transaction(sql)
        return result

    def on_query(self, body):
        sql = body.cstr()
        statements = split_statements(sql)
        if not statements:
            self._queue(_message(b"I"))
        for statement in statements:
            result = self._execute(statement, [])
            out = []
            if result.columns is not None:
                out.append(_row_description(result.columns))
                out.extend(_data_row(row, result.columns) for row in result.rows)
            out.append(_message(b"C", _cstr(result.tag)))
            self._queue(b"".join(out))
        self._ready()
        self._flush()

    def on_parse(self, body):
        name, sql = body.cstr(), body.cstr()
        oids = [body.int32() for _param in range(body.int16())]
        self.statements[name] = (sql, oids)
        self._queue(_message(b"1"))

    def on_bind(self, body):
        portal, name = body.cstr(), body.cstr()
        formats = [body.int16() for _param in range(body.int16())]
        raws = []
        for _param in range(body.int16()):
            length = body.int32()
            raws.append(None if length < 0 else body.raw(length))
        result_formats = [body.int16() for _column in range(body.int16())]
        sql, oids = self.statements[name]
        params = []
        for index, raw in enumerate(raws):
            fmt = formats[index] if len(formats) > 1 else (formats[0] if formats else 0)
            oid = oids[index] if index < len(oids) else 0
            params.append(_decode_param(raw, fmt, oid))
        self.portals[portal] = {"sql": sql, "params": params, "formats": result_formats, "result": None}
        self._queue(_message(b"2"))

    def _portal_result(self, portal):
        if portal["result"] is None:
            portal["result"] = self._execute(portal["sql"], portal["params"])
        return portal["result"]

    def on_describe(self, body):
        kind, name = body.byte(), body.cstr()
        if kind == b"S":
            sql, oids = self.statements[name]
            count = max(len(oids), _placeholder_count(sql))
            oids = oids + [0] * (count - len(oids))
            self._queue(_message(b"t", struct.pack("!h", count) + b"".join(
                struct.pack("!i", oid or OID_TEXT) for oid in oids)))
            columns = self.backend.describe(self.session, sql)
            self._queue(_row_description(columns) if columns else _message(b"n"))
            return
        portal = self.portals[name]
        result = self._portal_result(portal)
        if result.columns is None:
            self._queue(_message(b"n"))
        else:
            self._queue(_row_description(result.columns, portal["formats"]))

    def on_execute(self, body):
        name = body.cstr()
        body.int32()
        portal = self.portals[name]
        result = self._portal_result(portal)
        out = []
        if result.columns is not None:
            out.extend(_data_row(row, result.columns, portal["formats"]) for row in result.rows)
        out.append(_message(b"C", _cstr(result.tag)))
        self._queue(b"".join(out))

    def on_sync(self, _body):
        self.skip_until_sync = False
        self._ready()
        self._flush()

    def on_close(self, body):
        kind, name = body.byte(), body.cstr()
        (self.statements if kind == b"S" else self.portals).pop(name, None)
        self._queue(_message(b"3"))

    def on_flush(self, _body):
        self._flush()

    HANDLERS = {b"Q": on_query, b"P": on_parse, b"B": on_bind, b"D": on_describe,
                b"E": on_execute, b"S": on_sync, b"C": on_close, b"H": on_flush}


def _placeholder_count(sql):
    numbers = [int(n) for n in re.findall(r"\$(\d+)", sql)]
    return max(numbers) if numbers else 0


class PgClient:
    """Minimal blocking client used by the simulated CLI (text results)."""

    def __init__(self, host, port, user="root", database="defaultdb", timeout=5.0, ssl_context=None, rpc=False):
        """``timeout`` covers the TCP connect and the startup handshake; ``rpc`` marks an admin RPC connection."""
        self.sock = socket.create_connection((host, port), timeout=timeout)
        if ssl_context is not None:
            self.sock.sendall(struct.pack("!ii", 8, SSL_REQUEST))
            if self.sock.recv(1) == b"S":
                self.sock = ssl_context.wrap_socket(self.sock, server_hostname=host)
        self.reader = _Reader(self.sock)
        params = _cstr("user") + _cstr(user) + _cstr("database") + _cstr(database)
        if rpc:
            params += _cstr(RPC_PARAM) + _cstr("1")
        params += b"\0"
        self.sock.sendall(struct.pack("!ii", len(params) + 8, PROTOCOL_3) + params)
        self._until_ready()
        self.sock.settimeout(None)

    def _until_ready(self):
        error, results, current = None, [], None
        while True:
            kind, payload = self.reader.message()
            if kind == b"E":
                error = parse_error_payload(payload)
                if error.severity == "FATAL":
                    raise error
            elif kind == b"T":
                current = Result("", _parse_row_description(payload), [])
            elif kind == b"D":
                current.rows.append(_parse_data_row(payload))
            elif kind == b"C":
                tag = payload[:-1].decode()
                results.append(current or Result(tag))
                results[-1].tag = tag
                current = None
            elif kind == b"Z":
                if error is not None:
                    raise error
                return results

    def query(self, sql, params=None):
        """Run ``sql``; return the Result of its last statement (raise PgError on failure)."""
        if params is None:
            self.sock.sendall(_message(b"Q", _cstr(sql)))
        else:
            encoded = b"".join(struct.pack("!i", -1) if p is None else
                               struct.pack("!i", len(str(p).encode())) + str(p).encode() for p in params)
            self.sock.sendall(
                _message(b"P", _cstr("") + _cstr(sql) + struct.pack("!h", 0))
                + _message(b"B", _cstr("") + _cstr("") + struct.pack("!h", 0) + struct.pack("!h", len(params))
                           + encoded + struct.pack("!h", 0))
                + _message(b"D", b"P" + _cstr(""))
                + _message(b"E", _cstr("") + struct.pack("!i", 0))
                + _message(b"S"))
        results = self._until_ready()
        return results[-1] if results else Result("")

    def close(self):
        try:
            self.sock.sendall(_message(b"X"))
        except OSError:
            pass
        self.sock.close()


def _parse_row_description(payload):
    body = _Body(payload)
    columns = []
    for _column in range(body.int16()):
        name = body.cstr()
        body.raw(6)
        oid = body.int32()
        body.raw(8)
        columns.append((name, oid))
    return columns


def _parse_data_row(payload):
    body = _Body(payload)
    values = []
    for _column in range(body.int16()):
        length = body.int32()
        values.append(None if length < 0 else body.raw(length).decode())
    return values
