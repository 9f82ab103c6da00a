"""A threading HTTP server for the simulators that stays quiet when a client goes away early.

A load balancer's health check (or curl with a short timeout) may close or reset its connection before
the answer is written; the real servers log nothing for that, so neither do the simulated ones.
"""
import sys
from http.server import ThreadingHTTPServer

CLIENT_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


class QuietHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        """socketserver prints a traceback for any error; a client that went away is not one."""
        error = sys.exc_info()[1]
        if isinstance(error, CLIENT_GONE):
            return
        super().handle_error(request, client_address)
