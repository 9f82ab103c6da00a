"""The node's HTTP endpoints: /health, /health?ready=1, /_status/vars, /_status/critical_nodes."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlparse

from ..common.httpserver import QuietHTTPServer
from . import cluster as model

HEALTHY_BODY = "{\n\n}"
UNAVAILABLE_CODE = 14


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


def critical_nodes(st, now):
    health = model.range_health(st, now)
    critical, under, unavailable = set(), [], []
    for index, entry in enumerate(health):
        descriptor = {"rangeId": index + 1, "replicas": [{"nodeId": r, "storeId": r} for r in entry["replicas"]]}
        if not entry["available"]:
            unavailable.append(descriptor)
            continue
        if entry["underreplicated"]:
            under.append(descriptor)
        if len(entry["live"]) - 1 <= len(entry["replicas"]) // 2:
            critical.update(entry["live"])
    records = {n["node_id"]: n for n in model.all_nodes(st)}
    dead = [n["node_id"] for n in model.active_nodes(st) if not model.is_live(n, now)]
    return {
        "criticalNodes": [{"nodeId": nid, "address": {"networkField": "tcp", "addressField": records[nid]["address"]},
                           "buildTag": records[nid]["build_tag"]} for nid in sorted(critical)],
        "report": {"underReplicated": under, "overReplicated": [], "violatingConstraints": [],
                   "unavailable": unavailable, "unavailableNodeIds": dead},
    }


def start(node, address):
    """Serve the node's HTTP API on ``address`` in a background thread; return the server."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args):
            return None

        def _send(self, status, body, content_type="application/json"):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            url = urlparse(self.path)
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
            else:
                self._send(404, "404 page not found\n", "text/plain; charset=utf-8")

        def do_POST(self):
            url = urlparse(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            if url.path == "/_status/critical_nodes":
                self._send(200, json.dumps(critical_nodes(node.store.read(), time.time()), indent=2))
            else:
                self._send(404, "404 page not found\n", "text/plain; charset=utf-8")

    server = QuietHTTPServer(address, Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
