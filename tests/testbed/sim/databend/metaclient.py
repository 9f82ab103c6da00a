"""The meta-client side of databend-query and databend-metactl: handshake, then one request.

Handshake error texts by the query's version (flow-surfaces-databend 5):
  <= 1.2.722  `failed to handshake with meta-service: {msg}, cause: {source}` (MetaHandshakeError Display, EXACT)
  >= 1.2.723  `HandshakeError with databend-meta: {msg}[; cause: {source}]` (a0992841a6, EXACT)
  >= 1.2.726 nightly / the stable 1.2.725: the server version is checked per required feature (EXACT list per tag).
"""
import email.utils
import ipaddress
import socket
import time

from . import netutil, runtime, versions


class MetaClientError(Exception):
    def __init__(self, message, kind, debug=None):
        super().__init__(message)
        self.kind = kind  # "handshake", "network", "unavailable", "request"
        self.debug = debug  # the MetaHandshakeError Debug form the query's INFO log line shows


def rust_str(text):
    """Rust `{:?}` of a str: double quotes, backslash and quote escaped."""
    return '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def tuple_debug(triple):
    """`{:?}` of the (major, minor, patch) tuple: `(1, 2, 600)`."""
    return "(%d, %d, %d)" % tuple(triple)


def tonic_status(code, message):
    """AnyError Display of a tonic::Status (type prefix + tonic 0.11/0.12 Status Display). The type prefix and the
    metadata a trailers-only gRPC error carries (content-type, date, content-length) are INFERRED."""
    date = email.utils.formatdate(usegmt=True)
    return ('tonic::status::Status: status: %s, message: %s, details: [], metadata: MetadataMap { headers: '
            '{"content-type": "application/grpc", "date": "%s", "content-length": "0"} }' % (code, rust_str(message), date))


def _any_error_debug(typ, msg):
    return "AnyError { typ: %s, msg: %s, source: None, context: [], backtrace: None }" % (
        "Some(%s)" % rust_str(typ) if typ else "None", rust_str(msg))


def refusal_error(client_version, code, message):
    """The server refused this client in the handshake RPC (tonic Status ``code``/``message``)."""
    cause = tonic_status(code, message)
    source = _any_error_debug("tonic::status::Status", cause.split(": ", 1)[1])
    if versions.parse(client_version) >= versions.HANDSHAKE_ERROR_V2_SINCE:
        return MetaClientError("HandshakeError with databend-meta: Connection Failure; cause: %s" % cause, "handshake",
                               "MetaHandshakeError { msg: %s, source: Some(%s) }" % (rust_str("Connection Failure"), source))
    return MetaClientError("failed to handshake with meta-service: handshake is refused, cause: %s" % cause, "handshake",
                           "MetaHandshakeError { msg: %s, source: %s }" % (rust_str("handshake is refused"), source))


def client_check(client_version, min_metasrv, server):
    """The client half of the check: None when ``server`` (a triple) is new enough, else the MetaClientError."""
    features = versions.required_features(client_version)
    if features is not None:
        for feature, required in features:
            if tuple(server) < required:
                msg = "Invalid: server protocol_version(%s) < client required(%s) for feature %s" % (
                    tuple_debug(server), tuple_debug(required), feature)
                return MetaClientError("HandshakeError with databend-meta: %s" % msg, "handshake",
                                       "MetaHandshakeError { msg: %s, source: None }" % rust_str(msg))
        return None
    required = versions.parse(min_metasrv)
    if tuple(server) >= required:
        return None
    if versions.parse(client_version) >= versions.HANDSHAKE_ERROR_V2_SINCE:
        # 1.2.723 .. 1.2.725-nightly: one MIN_METASRV_SEMVER check; the tuple form of the values is INFERRED
        msg = "Invalid: server protocol_version(%s) < client required(%s)" % (tuple_debug(server), tuple_debug(required))
        return MetaClientError("HandshakeError with databend-meta: %s" % msg, "handshake",
                               "MetaHandshakeError { msg: %s, source: None }" % rust_str(msg))
    cause = "metasrv protocol_version(%s) < meta-client min-compatible(%s)" % (versions.triple_str(server), min_metasrv)
    return MetaClientError("failed to handshake with meta-service: incompatible protocol version, cause: %s" % cause,
                           "handshake", "MetaHandshakeError { msg: %s, source: %s }" % (
                               rust_str("incompatible protocol version"), _any_error_debug(None, cause)))


RETRY_SECONDS = 3.0  # INFERRED: how long a retryable meta error is retried before it reaches the caller
RETRY_PAUSE = 0.1
RETRYABLE = ("network", "unavailable")


class MetaClient:
    def __init__(self, endpoints, version, min_metasrv_version):
        self.endpoints = list(endpoints)
        self.version = version
        self.min_metasrv = min_metasrv_version

    def handshake(self, endpoint):
        """Both halves of the compatibility check, with the error text of this client's era."""
        reply = netutil.rpc_call(endpoint, {"op": "handshake", "protocol_version": versions.to_digit(self.version)})
        if not reply.get("ok"):
            raise refusal_error(self.version, reply.get("code"), reply.get("message"))
        server = versions.from_digit(reply["protocol_version"])
        error = client_check(self.version, self.min_metasrv, server)
        if error is not None:
            raise error
        return server

    def local_addr(self):
        """The local IP this client reaches the first reachable endpoint from (get_local_addr of the real client:
        the local side of its meta connection), or None. On a loopback test host the host's own 127.x address
        is that side, as the interface address is on a real host."""
        source = runtime.host_name()
        for endpoint in self.endpoints:
            host, port = netutil.split_address(endpoint)
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                    if _is_loopback_ip(source):
                        probe.bind((source, 0))
                    probe.connect((host, port))  # a route lookup: no packet is sent
                    return probe.getsockname()[0]
            except OSError:
                continue
        return None

    def request(self, request, retry_seconds=RETRY_SECONDS):
        """Handshake with the first reachable endpoint and send the request there. A retryable failure of every
        endpoint (a node down, no leader to forward to: CanNotForward) is tried again for ``retry_seconds``, as the
        real client retries retryable errors, so a leader change or one meta node restarting is not an error."""
        deadline = time.monotonic() + retry_seconds
        while True:
            try:
                return self._request_once(request)
            except MetaClientError as exc:
                if exc.kind not in RETRYABLE or time.monotonic() >= deadline:
                    raise
            time.sleep(RETRY_PAUSE)

    def _request_once(self, request):
        last = None
        for endpoint in self.endpoints:
            try:
                self.handshake(endpoint)
                reply = netutil.rpc_call(endpoint, request)
            except OSError as exc:
                last = MetaClientError("MetaNetworkError: ConnectionError: failed to connect to %s: %s" % (
                    endpoint, exc), "network")
                continue
            if reply.get("ok"):
                return reply.get("result", reply)
            if reply.get("code") == "Unavailable":
                last = MetaClientError(reply["message"], "unavailable")
                continue
            raise MetaClientError(reply.get("message", "meta request failed"), "request")
        raise last or MetaClientError("meta endpoints are empty", "network")


def _is_loopback_ip(text):
    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False
