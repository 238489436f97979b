"""`make run`'s engine start: an engine that answers but cannot generate is reported at start."""

import subprocess
import sys
import textwrap

import pytest

from config.stack import check_generates, stop_process, wait_until_answers
from tests.conftest import free_port

# Answers GET like a server that loaded its model, then dies at the first generation, the
# way a llama.cpp build for the wrong CPU does.
DIES_AT_FIRST_GENERATION = textwrap.dedent("""
    import os, sys
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200); self.end_headers(); self.wfile.write(b"{}")

        def do_POST(self):
            os._exit(132)

    HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
""")


def test_an_engine_that_dies_at_its_first_generation_is_named_with_the_fix():
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", DIES_AT_FIRST_GENERATION, str(port)])
    try:
        wait_until_answers(f"http://127.0.0.1:{port}/v1/models", process, 20)
        with pytest.raises(RuntimeError, match="exited with 132 .*CMAKE_ARGS"):
            check_generates(port, process)
    finally:
        stop_process(process)
