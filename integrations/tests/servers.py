"""Real servers for the channel tests, each on a free port on 127.0.0.1 and in a
throwaway folder: Dovecot (IMAP), aiosmtpd (SMTP) and an HTTP server that checks
webhook signatures. Nothing here is a mock: the code under test speaks the
protocols to them over sockets."""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, *, timeout: float = 15.0) -> None:
    """Bounded poll until the server accepts connections (not a sleep on a rule)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


@dataclass
class Dovecot:
    port: int
    user: str
    password: str
    folder: Path
    process: subprocess.Popen

    def deliver(self, raw: bytes, *, folder: str = "INBOX", when=None) -> None:
        """IMAP APPEND into the mailbox; ``when`` becomes the message's INTERNALDATE (its arrival)."""
        from imapclient import IMAPClient

        with IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10) as client:
            client.login(self.user, self.password)
            client.append(folder, raw, msg_time=when)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.folder, ignore_errors=True)


def start_dovecot() -> Dovecot:
    """A private Dovecot (no system service) with one passwd-file user and a
    maildir in a fresh temporary folder. As root, Dovecot's own unprivileged
    users run the login and mail processes (it refuses root for those)."""
    folder = Path(tempfile.mkdtemp(prefix="crm-dovecot-"))
    folder.chmod(0o755)
    port = free_port()
    if os.geteuid() == 0:
        internal, login = "dovecot", "dovenull"
        mail_uid, mail_gid = pwd.getpwnam("dovecot").pw_uid, pwd.getpwnam("dovecot").pw_gid
    else:
        internal = login = pwd.getpwuid(os.geteuid()).pw_name
        mail_uid, mail_gid = os.geteuid(), os.getegid()
    for sub in ("mail", "home"):
        (folder / sub).mkdir()
        os.chown(folder / sub, mail_uid, mail_gid)
    (folder / "passwd").write_text("support:{PLAIN}imap-secret-1\n")
    (folder / "dovecot.conf").write_text(f"""
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = 1
mail_location = maildir:{folder}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_uid} gid={mail_gid} home={folder}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
""")
    process = subprocess.Popen([DOVECOT, "-F", "-c", str(folder / "dovecot.conf")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port)
    except RuntimeError:
        process.kill()
        log = (folder / "dovecot.log").read_text() if (folder / "dovecot.log").exists() else ""
        raise RuntimeError(f"dovecot did not start: {log[-2000:]}") from None
    return Dovecot(port=port, user="support", password="imap-secret-1", folder=folder, process=process)


@dataclass
class Received:
    method: str
    path: str
    headers: dict
    body: bytes
    signature_ok: bool


@dataclass
class WebhookReceiver:
    """HTTP server on 127.0.0.1 checking X-CRM-Signature with ``secret``. ``answers``
    is the queue of what to do for the next requests: an HTTP status, "hang"
    (answer after ``hang_seconds``, past the sender's timeout), or "trickle" (a 200
    answer sent one byte every ``trickle_seconds``: no single read waits long, the whole
    answer takes far longer than the sender's deadline); then 200."""

    secret: str
    answers: list = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    hang_seconds: float = 7.0
    trickle_seconds: float = 0.4
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/crm"

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                expected = "sha256=" + hmac.new(receiver.secret.encode(), body, hashlib.sha256).hexdigest()
                ok = hmac.compare_digest(expected, self.headers.get("X-CRM-Signature", ""))
                receiver.received.append(Received("POST", self.path, dict(self.headers), body, ok))
                answer = receiver.answers.pop(0) if receiver.answers else 200
                if answer == "hang":
                    time.sleep(receiver.hang_seconds)
                    answer = 200
                if answer == "trickle":
                    reply = b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n" + b"o" * 20
                    try:
                        for i in range(len(reply)):
                            self.wfile.write(reply[i:i + 1])
                            self.wfile.flush()
                            time.sleep(receiver.trickle_seconds)
                    except OSError:
                        pass  # the sender gave up at its deadline
                    self.close_connection = True
                    return
                code = answer if ok else 401
                try:
                    self.send_response(code)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the sender gave up (timeout) and closed the connection

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def json(self, i: int) -> dict:
        return json.loads(self.received[i].body)
