"""serverlib.py: what tests/smtp-server.py and tests/http-receiver.py share.

Import it first: PARENT is read at import, before anything slow.
"""
import base64
import ctypes
import os
import signal
import sys

PARENT = os.getppid()


def die_with_parent():
    """Asks Linux for SIGTERM when the process that started this one ends,
    so that a test killed with -9 leaves no server behind; exits at once
    when that process has already ended."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    # The parent may have ended before the request: then no signal comes.
    if os.getppid() != PARENT:
        sys.exit(0)


def text_or_base64(record, key, raw):
    """Puts the bytes raw in record[key] as text when they are UTF-8, else
    in record[key + "_base64"], so that every record is valid JSON and
    every byte can be compared."""
    try:
        record[key] = raw.decode("utf-8")
    except UnicodeDecodeError:
        record[key + "_base64"] = base64.b64encode(raw).decode("ascii")


def count_lines(path):
    """The lines of the file at path; 0 when there is none."""
    try:
        with open(path, "rb") as f:
            return sum(1 for _ in f)
    except FileNotFoundError:
        return 0
