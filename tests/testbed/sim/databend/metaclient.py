"""The meta-client side of databend-query and databend-metactl: handshake, then one request."""
import ipaddress
import socket

from . import netutil, runtime, versions


class MetaClientError(Exception):
    def __init__(self, message, kind):
        super().__init__(message)
        self.kind = kind  # "handshake", "network", "unavailable", "request"


class MetaClient:
    def __init__(self, endpoints, version, min_metasrv_version):
        self.endpoints = list(endpoints)
        self.version = version
        self.min_metasrv = min_metasrv_version

    def handshake(self, endpoint):
        """Both halves of the compatibility check, with the error text of this client's era."""
        reply = netutil.rpc_call(endpoint, {"op": "handshake", "protocol_version": versions.to_digit(self.version)})
        modern = versions.parse(self.version) >= versions.FEATURE_HANDSHAKE_SINCE
        if not reply.get("ok"):
            cause = 'status: %s, message: "%s"' % (reply.get("code"), reply.get("message"))
            if modern:
                raise MetaClientError("HandshakeError with databend-meta: Connection Failure; cause: %s" % cause, "handshake")
            raise MetaClientError("MetaHandshakeError: handshake is refused: %s" % cause, "handshake")
        server = versions.from_digit(reply["protocol_version"])
        required = versions.parse(self.min_metasrv)
        if server < required:
            if modern:
                feature = versions.REQUIRED_FEATURE.get(self.min_metasrv, "kv_api")
                raise MetaClientError(
                    "HandshakeError with databend-meta: Invalid: server protocol_version(%r) < client required(%r) "
                    "for feature %s" % (server, required, feature), "handshake")
            raise MetaClientError(
                "MetaHandshakeError: incompatible protocol version: InvalidArgument: metasrv protocol_version(%s) "
                "< meta-client min-compatible(%s)" % (versions.triple_str(server), self.min_metasrv), "handshake")
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

    def request(self, request):
        """Handshake with the first reachable endpoint and send the request there."""
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
