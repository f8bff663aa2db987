#!/usr/bin/python3
"""smtp-server.py: an SMTP server on 127.0.0.1 for gm-notify's tests.

    smtp-server.py --port N [--tls-port N] [--cert FILE --key FILE]
                   --out FILE [--refusals FILE] [--tls-optional]
                   [--refuse STAGE:CODE:COUNT]...

Runs with Debian's python3-aiosmtpd (/usr/bin/python3). Listens on
127.0.0.1 only: on --port for SMTP with STARTTLS (required, unless
--tls-optional, when a certificate is given), and on --tls-port, when
given, for SMTP inside TLS from the first byte (port 465 style). Port 0
takes any free port. Once listening it prints one line on stdout,
"smtp PORT" or "smtp PORT smtps PORT", and flushes it.

Authentication: when SMTP_SERVER_USER is set and not empty, every mail
needs AUTH PLAIN or AUTH LOGIN with that user and SMTP_SERVER_PASSWORD
(the environment, never argv); AUTH is offered only inside TLS.

Each mail accepted is appended to --out as one JSON line:
  n             1, 2, ... over accepted mails (a server started on a
                file that has lines numbers on)
  arrival       time.monotonic() when its data ended (CLOCK_MONOTONIC)
  port, tls     the port it came in on; "starttls", "implicit" or "none"
  helo          the name the client gave in EHLO/HELO
  auth_mechanism, auth_user   null without AUTH
  mail_from, mail_options, rcpt_tos, rcpt_options   the envelope
  data          the message as received: CRLF line ends, dot-stuffing
                undone, the final "." line not included ("data_base64"
                in its place when the bytes are not UTF-8)

--refuse STAGE:CODE:COUNT answers CODE, COUNT times (a number, or
"always"), at STAGE: connect (in place of the greeting), mail (MAIL
FROM), rcpt (each RCPT TO) or data (the end of the data: the mail is not
accepted). A 421 closes the connection after the reply, as RFC 5321
says. Several --refuse of one stage apply one after the other, in the
order given. Each refusal is appended to --refusals, when given, as one
JSON line: n (over refusals), arrival, port, stage, reply, and the
envelope so far (mail_from, rcpt_tos, and data at the data stage).

SIGTERM or SIGINT stops the server (exit 0); so does the death of the
process that started it. Exit status 3: a port was already in use; 2:
bad arguments; 1: any other failure to start.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in tests/
from serverlib import count_lines, die_with_parent, text_or_base64  # noqa: E402 (first: it reads the parent)

import argparse  # noqa: E402
import asyncio
import errno
import json
import logging
import os
import signal
import ssl
import time
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

STAGES = ("connect", "mail", "rcpt", "data")
HOSTNAME = "smtp-server.test"


class Refusal:
    """One --refuse: a reply given at a stage, so many times."""

    def __init__(self, spec):
        try:
            stage, code, count = spec.split(":")
            self.stage = stage
            self.code = int(code)
            self.left = None if count == "always" else int(count)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{spec}: not STAGE:CODE:COUNT")
        if stage not in STAGES:
            raise argparse.ArgumentTypeError(f"{spec}: stage is one of {', '.join(STAGES)}")
        if not 400 <= self.code <= 599:
            raise argparse.ArgumentTypeError(f"{spec}: a refusal's code is 4xx or 5xx")
        if self.left is not None and self.left < 1:
            raise argparse.ArgumentTypeError(f"{spec}: COUNT is at least 1, or always")
        self.given = 0

    def reply(self):
        self.given += 1
        if self.left is not None:
            self.left -= 1
        klass = self.code // 100
        total = "always" if self.left is None else str(self.given + self.left)
        return f"{self.code} {klass}.0.0 refused by smtp-server.py ({self.given} of {total})"


class Recorder:
    """The SMTP handler: refuses as told, writes what it accepts."""

    def __init__(self, out, refusals_out, refusals, user, password):
        self.out = out
        self.refusals_out = refusals_out
        self.refusals = refusals
        self.user = user.encode() if user else None
        self.password = (password or "").encode()
        # A server restarted on the same files numbers on.
        self.accepted = count_lines(out.name)
        self.refused = count_lines(refusals_out.name) if refusals_out else 0

    def _line(self, f, record):
        f.write(json.dumps(record, ensure_ascii=False) + "\n")
        f.flush()

    def refuse(self, server, stage, envelope=None):
        """The reply of the next refusal due at stage, or None."""
        for r in self.refusals:
            if r.stage == stage and (r.left is None or r.left > 0):
                reply = r.reply()
                break
        else:
            return None
        self.refused += 1
        if self.refusals_out:
            record = {"n": self.refused, "arrival": time.monotonic(),
                      "port": server.port, "stage": stage, "reply": reply}
            if envelope is not None:
                record["mail_from"] = envelope.mail_from
                record["rcpt_tos"] = list(envelope.rcpt_tos)
                if stage == "data":
                    text_or_base64(record, "data", envelope.original_content)
            self._line(self.refusals_out, record)
        return reply

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = (self.user is not None and isinstance(auth_data, LoginPassword)
              and auth_data.login == self.user and auth_data.password == self.password)
        if not ok:
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data=(mechanism, auth_data.login.decode()))

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        reply = self.refuse(server, "mail", envelope)
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.refuse(server, "rcpt", envelope)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        reply = self.refuse(server, "data", envelope)
        if reply:
            return reply
        self.accepted += 1
        mechanism, user = session.auth_data if session.authenticated else (None, None)
        record = {
            "n": self.accepted, "arrival": time.monotonic(), "port": server.port,
            "tls": server.tls_mode(), "helo": session.host_name,
            "auth_mechanism": mechanism, "auth_user": user,
            "mail_from": envelope.mail_from, "mail_options": envelope.mail_options,
            "rcpt_tos": envelope.rcpt_tos, "rcpt_options": envelope.rcpt_options,
        }
        text_or_base64(record, "data", envelope.original_content)
        self._line(self.out, record)
        return f"250 2.0.0 OK: queued as {self.accepted}"


class TestSMTP(SMTP):
    """aiosmtpd's SMTP, with a refusal in place of the greeting and a
    connection closed after any 421."""

    def __init__(self, handler, port, implicit_tls, **kw):
        super().__init__(handler, **kw)
        self.port = port
        self.implicit_tls = implicit_tls

    def tls_mode(self):
        if self.implicit_tls:
            return "implicit"
        return "starttls" if self._tls_protocol else "none"

    async def _handle_client(self):
        reply = self.event_handler.refuse(self, "connect")
        if reply:
            await self.push(reply)
            self.transport.close()
            return
        await super()._handle_client()

    async def push(self, status):
        await super().push(status)
        if str(status).startswith("421") and self._handler_coroutine:
            # As smtp_QUIT does: the loop reading commands ends.
            self._handler_coroutine.cancel()
            self.transport.close()


async def serve(args, handler):
    loop = asyncio.get_running_loop()
    tls = None
    if args.cert:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(args.cert, args.key)
    auth = handler.user is not None

    def factory(port, implicit):
        def make():
            return TestSMTP(
                handler, port, implicit, hostname=HOSTNAME, ident="smtp-server.py",
                tls_context=None if implicit else tls,
                require_starttls=tls is not None and not implicit and not args.tls_optional,
                auth_required=auth,
                # Inside implicit TLS aiosmtpd sees no STARTTLS; the
                # connection is encrypted all the same.
                auth_require_tls=not implicit,
                authenticator=handler.authenticate)
        return make

    servers = []
    ports = []
    for port, implicit in ((args.port, False), (args.tls_port, True)):
        if port is None:
            continue
        # The port a server took is known only once it listens: the
        # factory reads it from this cell.
        cell = {"port": port}
        server = await loop.create_server(
            lambda c=cell, i=implicit: factory(c["port"], i)(),
            "127.0.0.1", port, ssl=tls if implicit else None, reuse_address=True)
        cell["port"] = server.sockets[0].getsockname()[1]
        servers.append(server)
        ports.append(("smtps" if implicit else "smtp", cell["port"]))
    print(" ".join(f"{name} {port}" for name, port in ports), flush=True)

    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    await stop
    for server in servers:
        server.close()


def main():
    p = argparse.ArgumentParser(description="An SMTP server on 127.0.0.1 for tests.")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--tls-port", type=int)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--tls-optional", action="store_true",
                   help="offer STARTTLS without requiring it")
    p.add_argument("--out", required=True)
    p.add_argument("--refusals")
    p.add_argument("--refuse", type=Refusal, action="append", default=[])
    args = p.parse_args()
    if bool(args.cert) != bool(args.key):
        p.error("--cert and --key go together")
    if args.tls_port is not None and not args.cert:
        p.error("--tls-port needs --cert and --key")

    # aiosmtpd warns, on stderr, about auth without STARTTLS on the
    # implicit TLS port, and logs every command: the tests' logs want
    # neither.
    warnings.simplefilter("ignore")
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    die_with_parent()

    user = os.environ.get("SMTP_SERVER_USER") or None
    out = open(args.out, "a", encoding="utf-8")
    refusals_out = open(args.refusals, "a", encoding="utf-8") if args.refusals else None
    handler = Recorder(out, refusals_out, args.refuse, user,
                       os.environ.get("SMTP_SERVER_PASSWORD"))
    try:
        asyncio.run(serve(args, handler))
    except OSError as e:
        print(f"smtp-server.py: {e.strerror or e}", file=sys.stderr)
        return 3 if e.errno == errno.EADDRINUSE else 1
    except ssl.SSLError as e:
        print(f"smtp-server.py: {args.cert}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
