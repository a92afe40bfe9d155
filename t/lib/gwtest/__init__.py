"""Test harness: start the real gateway on free ports in a temporary state
directory and talk to it over real sockets (raw HTTP and a small RFC 6455
client).  Output is TAP for prove.  t/README describes the API.

    tap    ok/is_/like/diag, done_testing, skip_all
    proc   Gateway, ports, start-up runs, /proc readings
    cli    run_cli, cli_env
    http   raw HTTP
    ws     the WebSocket client and the gateway's connect handshake
    check  the teardown checks: sanitizer reports, unexpected error lines

Tests do `from gwtest import *`: every public name of the modules (and,
as before the split, the standard modules below) is re-exported here."""

import base64
import hashlib
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

from .tap import *
from .check import *
from .http import *
from .ws import *
from .proc import *
from .cli import *

# not the submodules themselves: a test's `http` or `ws` stays its own
__all__ = [n for n in dir() if not n.startswith("_") and
           n not in ("tap", "check", "http", "ws", "proc", "cli")]
