"""The node's HTTP endpoints: /health, /health?ready=1, /_status/vars, /_status/critical_nodes.

A secure node serves them over TLS with its node certificate; a plain HTTP/1 connection to the same port gets
/health only and a 307 to https for anything else (cmux in pkg/server/server_http.go). Over TLS, the status API
asks for a DB Console session cookie (`auth-session login`, websessions.py); /health and /_status/vars do not.
"""
import base64
import json
import os
import socket
import ssl
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlparse

from ..common.httpserver import QuietHTTPServer
from . import cluster as model
from . import websessions

HEALTHY_BODY = "{\n\n}"
UNAVAILABLE_CODE = 14
TLS_HANDSHAKE = b"\x16"  # the first byte of a TLS ClientHello: what cmux.Any() gets instead of cmux.HTTP1()
FIRST_BYTE_SECONDS = 10
NO_SESSION = "a valid authentication cookie is required"  # authenticationMux.ServeHTTP, via http.Error


def unhealthy_body(message):
    """The grpc-gateway error body of /health?ready=1 (docs monitoring-and-alerting.md)."""
    return ('{\n  "error": "%s",\n  "code": %d,\n  "message": "%s",\n  "details": [\n  ]\n}'
            % (message, UNAVAILABLE_CODE, message))


def readiness_problem(node, st, now):
    """checkReadinessForHealthCheck: the first reason the node is not ready, or None.

    The order is the real one: serve mode (initializing / draining), liveness record, liveness expiry,
    liveness draining, then SQL readiness. KWDB (CockroachDB v20.1) has no SQL-readiness branch: its serve
    mode stays `initializing` until the server has started completely.
    """
    waiting = "node is waiting for cluster initialization"
    if not node.initialized() or (node.profile.kwdb and not node.sql_ready):
        return waiting
    if node.unready:
        return "node is shutting down"
    record = model.node(st, node.node_id)
    if record is None:
        return "liveness record not found"
    if not model.is_live(record, now):
        return "node is not healthy"
    if record.get("draining"):
        return "node is shutting down"
    if not node.sql_ready:
        return "node is not accepting SQL clients"
    return None


def prometheus_vars(node, st, now):
    metrics = model.fresh_metrics(st, node.node_id, now) if node.node_id else {}
    store = node.node_id or 0
    live = sum(1 for n in model.active_nodes(st) if model.is_live(n, now))
    lines = []
    for name, key, help_text in (
            ("ranges_underreplicated", "ranges.underreplicated",
             "Number of ranges with fewer live replicas than the replication target"),
            ("ranges_unavailable", "ranges.unavailable", "Number of ranges with fewer live replicas than needed for quorum"),
            ("replicas", "replicas", "Number of replicas"),
            ("replicas_leaseholders", "replicas.leaseholders", "Number of lease holders"),
            ("livebytes", "livebytes", "Number of bytes of live data (keys plus values)")):
        lines += ["# HELP %s %s" % (name, help_text), "# TYPE %s gauge" % name,
                  '%s{store="%d"} %d' % (name, store, metrics.get(key, 0))]
    lines += ["# HELP liveness_livenodes Number of live nodes in the cluster (will be 0 if this node is not itself live)",
              "# TYPE liveness_livenodes gauge", "liveness_livenodes %d" % live,
              "# HELP build_timestamp Build information", "# TYPE build_timestamp gauge",
              'build_timestamp{tag="%s",go_version="%s"} 1' % (node.profile.tag, node.profile.buildinfo["go_version"])]
    return "\n".join(lines) + "\n"


def jsonpb(value, indent=0):
    """protoutil.JSONPb{EnumsAsInts: true, EmitDefaults: true, Indent: "  "} layout: every field on its own line,
    lists as `[` one element per line `]` (an empty list is `[` newline `]`), the closer at the parent's indent.
    Values are built already typed the way jsonpb writes them (int64 as strings, int32 as numbers)."""
    pad, inner = "  " * indent, "  " * (indent + 1)
    if isinstance(value, dict):
        if not value:
            return "{\n%s}" % pad
        fields = ['%s%s: %s' % (inner, json.dumps(key), jsonpb(item, indent + 1)) for key, item in value.items()]
        return "{\n" + ",\n".join(fields) + "\n" + pad + "}"
    if isinstance(value, list):
        if not value:
            return "[\n%s]" % pad
        return "[\n" + ",\n".join(inner + jsonpb(item, indent + 1) for item in value) + "\n" + pad + "]"
    return json.dumps(value)


def _address(text):
    return {"networkField": "tcp", "addressField": text}


def _locality(text):
    tiers = []
    for part in (text or "").split(","):
        key, sep, val = part.partition("=")
        if sep:
            tiers.append({"key": key.strip(), "value": val.strip()})
    return {"tiers": tiers}


def node_descriptor(record, cluster_name=""):
    """roachpb.NodeDescriptor as the docs sample prints it (field order EXACT)."""
    major, minor = (int(part) for part in record["binary_version"].split("-")[0].split(".")[:2])
    return {
        "nodeId": record["node_id"],
        "address": _address(record["address"]),
        "attrs": {"attrs": []},
        "locality": _locality(record.get("locality")),
        "ServerVersion": {"majorVal": major, "minorVal": minor, "patch": 0, "internal": 0},
        "buildTag": record["build_tag"],
        "startedAt": str(int(record["started_at"] * 1e9)),
        "localityAddress": [],
        "clusterName": cluster_name,
        "sqlAddress": _address(record.get("sql_address") or record["address"]),
        "httpAddress": _address(record.get("http_address") or record["address"].rsplit(":", 1)[0] + ":8080"),
    }


def _range_key(index):
    """A table-data key of the range's start (base64 bytes, as jsonpb writes a `bytes` field)."""
    return base64.b64encode(b"\xf0\x89" + struct.pack(">H", index * 64) + b"\x88").decode() if index else ""


def range_entry(index, replicas, num_ranges, replication_factor):
    """ConformanceReportedRange: the range descriptor and the default span config of a table range."""
    return {
        "rangeDescriptor": {
            "rangeId": str(index + 1),
            "startKey": _range_key(index),
            "endKey": _range_key(index + 1) if index + 1 < num_ranges else "//8=",
            "internalReplicas": [{"nodeId": r, "storeId": r, "replicaId": position + 1, "type": 0}
                                 for position, r in enumerate(replicas)],
            "nextReplicaId": len(replicas) + 1,
            "generation": str(len(replicas)),
            "stickyBit": {"wallTime": "0", "logical": 0, "synthetic": False},
        },
        "config": {
            "rangeMinBytes": "134217728",
            "rangeMaxBytes": "536870912",
            "gcPolicy": {"ttlSeconds": 14400, "protectionPolicies": [], "ignoreStrictEnforcement": False},
            "globalReads": False,
            "numReplicas": replication_factor,
            "numVoters": 0,
            "constraints": [],
            "voterConstraints": [],
            "leasePreferences": [],
            "rangefeedEnabled": False,
            "excludeDataFromBackup": False,
        },
    }


def critical_nodes(st, now):
    """CriticalNodesResponse: nodes whose loss would leave a range without quorum, and the conformance report.

    A replica counts towards quorum when its node is live and it is not still catching up; when only a bare
    majority of a range's replicas is healthy, each healthy one is critical.
    """
    health = model.range_health(st, now)
    records = {n["node_id"]: n for n in model.all_nodes(st)}
    behind = {nid: model.behind_ranges(st, nid, now) for nid in records}
    factor = st.get("replication_factor", 3)
    critical, under, unavailable = set(), [], []
    for index, entry in enumerate(health):
        replicas = entry["replicas"]
        described = range_entry(index, replicas, len(health), factor)
        if not entry["available"]:
            unavailable.append(described)
            continue
        if entry["underreplicated"]:
            under.append(described)
        healthy = [r for r in entry["live"] if index not in behind.get(r, ())]
        if 2 * (len(healthy) - 1) <= len(replicas):
            critical.update(healthy)
    dead = [n["node_id"] for n in model.active_nodes(st) if not model.is_live(n, now)]
    return {
        "criticalNodes": [node_descriptor(records[nid]) for nid in sorted(critical)],
        "report": {"underReplicated": under, "overReplicated": [], "violatingConstraints": [],
                   "unavailable": unavailable, "unavailableNodeIds": dead},
    }


class NodeHTTPServer(QuietHTTPServer):
    """The HTTP port; with ``tls`` (a secure node) a connection is TLS when its first byte opens a handshake."""

    def __init__(self, address, handler, tls=None):
        self.tls = tls
        super().__init__(address, handler)

    def finish_request(self, request, client_address):
        if self.tls is None:
            super().finish_request(request, client_address)
            return
        try:
            request.settimeout(FIRST_BYTE_SECONDS)
            if request.recv(1, socket.MSG_PEEK) != TLS_HANDSHAKE:
                request.settimeout(None)
                super().finish_request(request, client_address)
                return
            secured = self.tls.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            return  # a client gone before its first byte, or a failed handshake: Go logs nothing either
        try:
            secured.settimeout(None)
            super().finish_request(secured, client_address)
        finally:
            secured.close()


def tls_context(certs_dir):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(os.path.join(certs_dir, "node.crt"), os.path.join(certs_dir, "node.key"))
    return context


def start(node, address):
    """Serve the node's HTTP API on ``address`` in a background thread; return the server."""
    certs_dir = None if node.opts.get("insecure") else node.opts.get("certs_dir")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args):
            return None

        def _send(self, status, body, content_type="application/json", headers=()):
            data = body.encode()
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _plain_on_secure_port(self):
            return certs_dir is not None and not isinstance(self.connection, ssl.SSLSocket)

        def _redirect_to_https(self):
            """http.Redirect(w, r, "https://"+r.Host+r.RequestURI, 307): an HTML body for GET only."""
            target = "https://%s%s" % (self.headers.get("Host", ""), self.path)
            if self.command == "GET":
                self._send(307, '<a href="%s">Temporary Redirect</a>.\n\n' % target, "text/html; charset=utf-8",
                           [("Location", target)])
            else:
                self._send(307, "", None, [("Location", target)])

        def _has_session(self):
            return certs_dir is None or websessions.valid_cookie(node.store.read(), self.headers.get("Cookie"),
                                                                 time.time())

        def _refuse_without_session(self):
            self._send(401, NO_SESSION + "\n", "text/plain; charset=utf-8", [("X-Content-Type-Options", "nosniff")])

        def do_GET(self):
            url = urlparse(self.path)
            if self._plain_on_secure_port() and url.path != "/health":
                self._redirect_to_https()
                return
            st, now = node.store.read(), time.time()
            if url.path in ("/health", "/health/"):
                if parse_qs(url.query).get("ready", ["false"])[0].lower() in ("1", "true"):
                    problem = readiness_problem(node, st, now)
                    if problem:
                        self._send(503, unhealthy_body(problem))
                        return
                self._send(200, HEALTHY_BODY)
            elif url.path == "/_status/vars":
                self._send(200, prometheus_vars(node, st, now), "text/plain; version=0.0.4; charset=utf-8")
            elif url.path == "/_status/critical_nodes":
                # POST-only route (gorilla mux .Methods("POST")): 405 with no body (INFERRED)
                self._send(405, "", None)
            else:
                self._send(404, "404 page not found\n", "text/plain; charset=utf-8")

        def do_POST(self):
            url = urlparse(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            if self._plain_on_secure_port():
                self._redirect_to_https()
            elif url.path != "/_status/critical_nodes":
                self._send(404, "404 page not found\n", "text/plain; charset=utf-8")
            elif not self._has_session():
                self._refuse_without_session()
            else:
                self._send(200, jsonpb(critical_nodes(node.store.read(), time.time())))

    server = NodeHTTPServer(address, Handler, tls_context(certs_dir) if certs_dir else None)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
