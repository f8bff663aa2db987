#!/usr/bin/python3
"""http-receiver.py: an HTTP server on 127.0.0.1 that records every
request and answers as a test tells it, for gm-notify's tests.

    http-receiver.py --port N --out FILE [--cert FILE --key FILE]

Listens on 127.0.0.1:N (0: any free port; HTTPS with --cert and --key),
speaks HTTP/1.1 with keep-alive, and once listening prints one line on
stdout, "http PORT" (or "https PORT"), and flushes it.

Every request outside /-/ is appended to --out as one JSON line, when
its body has been read and before it is answered:
  n          1, 2, ... in the order requests took their answers (a
             server started on a file that has lines numbers on)
  arrival    time.monotonic() when its request line came (CLOCK_MONOTONIC,
             the same clock for every process of the machine)
  client_port   the client's port: the same for the requests of one
             connection
  method, path   path with its query, as sent
  headers    an object: names in lower case, repeated ones joined by ", "
  body       the body (de-chunked), or body_base64 when not UTF-8
  answer     the answer it was given, as the line that asked for it

Answers, one a line (words; body= takes the rest of the line):
  STATUS [retry-after=VALUE] [delay=SECONDS] [body=TEXT]
             e.g. 200, 500, 429 retry-after=2, 503 retry-after=1;
             delay waits before answering; VALUE is sent as it is
  hang SECONDS   answer nothing for SECONDS, then close the connection
  close          close the connection at once, answering nothing
A request takes the first answer of its path's queue, else of the
common queue, else its path's default, else the common default, else
200. Control (over the same port; never recorded):
  POST /-/queue[?path=P]     the body's lines join the end of the queue
  POST /-/default[?path=P]   the body's one line becomes the default
  GET  /-/ready              200 once serving
A bad answer line is refused with 400 and the reason; nothing of that
request is queued.

SIGTERM or SIGINT stops the server (exit 0); so does the death of the
process that started it. Exit status 3: the port was already in use; 2:
bad arguments; 1: any other failure to start.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in tests/
from serverlib import count_lines, die_with_parent, text_or_base64  # noqa: E402 (first: it reads the parent)

import argparse  # noqa: E402
import collections
import errno
import json
import signal
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class Answer:
    """One answer line, parsed; str() gives the line back."""

    def __init__(self, line):
        self.line = line.strip()
        self.status = None
        self.retry_after = None
        self.delay = 0.0
        self.body = b""
        self.hang = None  # seconds, for hang
        self.close = False
        words = self.line.split(" ")
        if words[0] == "close" and len(words) == 1:
            self.close = True
            return
        if words[0] == "hang" and len(words) == 2:
            self.hang = self._seconds(words[1])
            self.close = True
            return
        if not (words[0].isdigit() and 100 <= int(words[0]) <= 599):
            raise ValueError(f"[{self.line}]: not STATUS [options], hang SECONDS or close")
        self.status = int(words[0])
        rest = self.line[len(words[0]):].lstrip(" ")
        while rest:
            if rest.startswith("body="):
                self.body = rest[5:].encode("utf-8")
                break
            word, _, rest = rest.partition(" ")
            rest = rest.lstrip(" ")
            key, eq, value = word.partition("=")
            if key == "retry-after" and eq and value:
                self.retry_after = value
            elif key == "delay" and eq:
                self.delay = self._seconds(value)
            else:
                raise ValueError(f"[{self.line}]: unknown option [{word}]")

    def _seconds(self, s):
        try:
            v = float(s)
        except ValueError:
            v = -1
        if not 0 <= v <= 3600:
            raise ValueError(f"[{self.line}]: [{s}] is not seconds (0 to 3600)")
        return v

    def __str__(self):
        return self.line


class Book:
    """The queues, the defaults and the record file, behind one lock so
    that the order of n is the order answers were taken."""

    def __init__(self, path):
        self.lock = threading.Lock()
        # A server restarted on the same file numbers on.
        self.n = count_lines(path)
        self.out = open(path, "a", encoding="utf-8")
        self.queues = collections.defaultdict(collections.deque)  # path or None
        self.defaults = {}  # path or None -> Answer

    def queue(self, path, answers):
        with self.lock:
            self.queues[path].extend(answers)

    def set_default(self, path, answer):
        with self.lock:
            self.defaults[path] = answer

    def take(self, record, path):
        """Gives the request its answer, numbers and writes its record."""
        with self.lock:
            for q in (self.queues.get(path), self.queues.get(None)):
                if q:
                    answer = q.popleft()
                    break
            else:
                answer = self.defaults.get(path) or self.defaults.get(None) or Answer("200")
            self.n += 1
            record = {"n": self.n, **record, "answer": str(answer)}
            self.out.write(json.dumps(record, ensure_ascii=False) + "\n")
            self.out.flush()
        return answer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "http-receiver.py"
    sys_version = ""

    def parse_request(self):
        self.arrival = time.monotonic()
        return super().parse_request()

    def log_message(self, format, *args):
        pass  # the record file says it all

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def reply(self, status, body=b"", retry_after=None):
        self.send_response(status)
        if retry_after is not None:
            self.send_header("Retry-After", retry_after)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def control(self, url, body):
        book = self.server.book
        path = parse_qs(url.query).get("path", [None])[0]
        try:
            if url.path == "/-/ready" and self.command == "GET":
                return self.reply(200, b"ready\n")
            if url.path == "/-/queue" and self.command == "POST":
                answers = [Answer(line) for line in body.decode("utf-8").splitlines() if line.strip()]
                book.queue(path, answers)
                return self.reply(200, f"queued {len(answers)}\n".encode())
            if url.path == "/-/default" and self.command == "POST":
                lines = [line for line in body.decode("utf-8").splitlines() if line.strip()]
                if len(lines) != 1:
                    raise ValueError("a default is one answer line")
                book.set_default(path, Answer(lines[0]))
                return self.reply(200, b"default set\n")
        except (ValueError, UnicodeDecodeError) as e:
            return self.reply(400, f"{e}\n".encode("utf-8"))
        self.reply(404, f"no control {self.command} {url.path}\n".encode())

    def serve(self):
        body = self.read_body()
        url = urlsplit(self.path)
        if url.path.startswith("/-/"):
            return self.control(url, body)
        headers = {}
        for name, value in self.headers.items():
            name = name.lower()
            headers[name] = headers[name] + ", " + value if name in headers else value
        record = {"arrival": self.arrival, "client_port": self.client_address[1],
                  "method": self.command, "path": self.path, "headers": headers}
        text_or_base64(record, "body", body)
        answer = self.server.book.take(record, url.path)
        if answer.close:
            if answer.hang:
                time.sleep(answer.hang)
            self.close_connection = True
            return
        if answer.delay:
            time.sleep(answer.delay)
        self.reply(answer.status, answer.body, answer.retry_after)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = serve


class Server(ThreadingHTTPServer):
    daemon_threads = True  # a hanging answer does not hold the exit

    def __init__(self, port, book, tls):
        self.book = book
        self.tls = tls
        super().__init__(("127.0.0.1", port), Handler)

    def get_request(self):
        sock, addr = super().get_request()
        if self.tls:
            # The handshake is done in the request's thread, on its first
            # read, so that a client that never speaks holds no one else.
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request, client_address):
        # A client that went away (a timeout, a test's curl --max-time)
        # is part of the tests, not an error to print.
        if not isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError, socket.timeout)):
            super().handle_error(request, client_address)


def main():
    p = argparse.ArgumentParser(description="An HTTP receiver on 127.0.0.1 for tests.")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--cert")
    p.add_argument("--key")
    args = p.parse_args()
    if bool(args.cert) != bool(args.key):
        p.error("--cert and --key go together")
    die_with_parent()

    tls = None
    try:
        if args.cert:
            tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            tls.load_cert_chain(args.cert, args.key)
        server = Server(args.port, Book(args.out), tls)
    except OSError as e:
        print(f"http-receiver.py: {e.strerror or e}", file=sys.stderr)
        return 3 if e.errno == errno.EADDRINUSE else 1

    def stop(signum, frame):
        # shutdown() waits for serve_forever(), which runs in this thread.
        threading.Thread(target=server.shutdown).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"{'https' if tls else 'http'} {server.server_address[1]}", flush=True)
    server.serve_forever()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
