"""Small network servers: JSON-over-HTTP admin APIs, the line-JSON stand-in for gRPC, idle listeners."""
import http.server
import json
import socket
import socketserver
import threading
import time
import urllib.parse

from ..common.httpserver import QuietHTTPServer

RPC_TIMEOUT = 3.0


def split_address(address, default_port=None):
    host, _colon, port = address.rpartition(":")
    if not host:
        return address, default_port
    return host, int(port)


TEXT = "text/plain; charset=utf-8"
POLL_INTERVAL = 0.1  # serve_forever poll: a stop returns within this


def text_errors(status, message):
    """poem's answer for a routing error or `poem::Error::from_string`: the plain message (Content-Type INFERRED)."""
    return status, TEXT, message


def json_errors(status, message):
    """The query HTTP handler's `json_response` wrapper: `{"error":{"code":<status>,"message":...}}`."""
    return status, "application/json", {"error": {"code": status, "message": message}}


def _make_handler(routes, errors):
    paths = {path for _method, path in routes}

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args):
            pass

        def _dispatch(self, method):
            self.server.set_busy(self.connection, True)
            try:
                self._answer(method)
            finally:
                self.server.set_busy(self.connection, False)

        def _answer(self, method):
            parsed = urllib.parse.urlsplit(self.path)
            route = routes.get((method, parsed.path)) or routes.get(("*", parsed.path))
            body = b""
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                body = self.rfile.read(length)
            if route is None:
                # poem: NotFoundError "not found" (404); MethodNotAllowedError "method not allowed" (405)
                status, content_type, payload = (errors(405, "method not allowed") if parsed.path in paths
                                                 else errors(404, "not found"))
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


def _hang_up(sock):
    """Close a connection under its handler: the client sees the connection end, the handler's next write fails
    with EPIPE (ignored as a client that went away)."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class _Stoppable:
    """stop(grace): stop accepting (the port refuses connections from here on), close idle connections at once and
    give requests being answered ``grace`` seconds before their connections are closed (poem graceful shutdown)."""

    stopped = False

    def _track_init(self):
        self.connections = {}
        self.track_lock = threading.Lock()

    def process_request(self, request, client_address):
        with self.track_lock:
            self.connections[request] = False
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self.track_lock:
            self.connections.pop(request, None)
        super().shutdown_request(request)

    def set_busy(self, request, busy):
        with self.track_lock:
            if request in self.connections:
                self.connections[request] = busy

    def stop(self, grace=0.0):
        if self.stopped:
            return
        self.stopped = True
        self.shutdown()
        self.server_close()
        deadline = time.monotonic() + grace
        closed = set()
        while True:
            with self.track_lock:
                idle = [sock for sock, busy in self.connections.items() if not busy and sock not in closed]
                busy = [sock for sock, busy in self.connections.items() if busy]
            for sock in idle:
                _hang_up(sock)
                closed.add(sock)
            if not busy or time.monotonic() >= deadline:
                break
            time.sleep(0.02)
        for sock in busy:
            _hang_up(sock)


class _HTTPServer(_Stoppable, QuietHTTPServer):
    def __init__(self, address, handler):
        self._track_init()
        super().__init__(address, handler)


def _serve(server):
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": POLL_INTERVAL}, daemon=True).start()
    return server


def serve_http(address, routes, errors=text_errors):
    """Serve ``routes`` {(method, path): fn(query, body) -> (status, content_type, payload)} in a thread; routing
    errors are answered by ``errors(status, message)``."""
    return _serve(_HTTPServer(split_address(address), _make_handler(routes, errors)))


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

    return _serve(_RPCServer(split_address(address), Handler))


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


class _IdleServer(_Stoppable, socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, handler):
        self._track_init()
        super().__init__(address, handler)


class _CloseHandler(socketserver.BaseRequestHandler):
    def handle(self):
        pass


def serve_idle(address):
    """A listener that accepts and closes: ports whose protocol the simulator does not speak."""
    return _serve(_IdleServer(split_address(address), _CloseHandler))
