"""Small network servers: JSON-over-HTTP admin APIs, the line-JSON stand-in for gRPC, idle listeners."""
import http.server
import json
import socket
import socketserver
import threading
import urllib.parse

from ..common.httpserver import QuietHTTPServer

RPC_TIMEOUT = 3.0


def split_address(address, default_port=None):
    host, _colon, port = address.rpartition(":")
    if not host:
        return address, default_port
    return host, int(port)


def _make_handler(routes):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args):
            pass

        def _dispatch(self, method):
            parsed = urllib.parse.urlsplit(self.path)
            route = routes.get((method, parsed.path)) or routes.get(("*", parsed.path))
            body = b""
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                body = self.rfile.read(length)
            if route is None:
                status, content_type, payload = 404, "text/plain", "Not Found"
            else:
                query = dict(urllib.parse.parse_qsl(parsed.query))
                status, content_type, payload = route(query, body)
            if not isinstance(payload, (bytes, str)):
                payload = json.dumps(payload, separators=(",", ":"))
            data = payload.encode() if isinstance(payload, str) else payload
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802 (http.server naming)
            self._dispatch("GET")

        def do_POST(self):  # noqa: N802
            self._dispatch("POST")

    return Handler


def serve_http(address, routes):
    """Serve ``routes`` {(method, path): fn(query, body) -> (status, content_type, payload)} in a thread."""
    server = QuietHTTPServer(split_address(address), _make_handler(routes))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def json_route(fn):
    """Wrap fn(query, body) -> (status, obj) as a JSON route."""
    def route(query, body):
        status, obj = fn(query, body)
        return status, "application/json", obj
    return route


class _RPCServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve_rpc(address, handle_request):
    """One JSON request line in, one JSON response line out, per connection."""
    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            line = self.rfile.readline()
            try:
                response = handle_request(json.loads(line))
            except ValueError:
                response = {"ok": False, "code": "InvalidArgument", "message": "malformed request"}
            self.wfile.write((json.dumps(response) + "\n").encode())

    server = _RPCServer(split_address(address), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def rpc_call(address, request, timeout=RPC_TIMEOUT):
    """Send one request to a simulated gRPC endpoint; raises OSError when unreachable."""
    host, port = split_address(address)
    with socket.create_connection((host, port), timeout=timeout) as conn:
        conn.sendall((json.dumps(request) + "\n").encode())
        reader = conn.makefile("r")
        line = reader.readline()
    if not line:
        raise ConnectionError("connection closed by %s" % address)
    return json.loads(line)


class _IdleServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class _CloseHandler(socketserver.BaseRequestHandler):
    def handle(self):
        pass


def serve_idle(address):
    """A listener that accepts and closes: ports whose protocol the simulator does not speak."""
    server = _IdleServer(split_address(address), _CloseHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
