"""A Redis of the test's own (never the machine's shared one), to stop and start,
and the Celery app pointed at it."""
from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest


class OwnRedis:
    def __init__(self, workdir):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.workdir = workdir
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # waits for the server socket, not on a rule's clock
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture
def own_redis(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.stop()


def _point_app_at(app, url: str | None, options: dict | None) -> None:
    # Celery's pools are kombu's global ones, keyed by broker URL: only drop the
    # app's references here (closing them would close them for every later test).
    app._pool = None
    app.amqp._producer_pool = None
    app.conf.broker_url = url
    app.conf.broker_transport_options = options


def _forget_pools_of(url: str) -> None:
    from kombu import Connection, pools
    from kombu.utils.collections import eqhash

    key = eqhash(Connection(url))
    for group in (pools.producers, pools.connections):
        pool = dict.pop(group, key, None)
        if pool is not None:
            pool.force_close_all()


@pytest.fixture
def app_on_own_redis(own_redis):
    """The project's Celery app publishing to (and a test worker consuming from) ``own_redis``."""
    from config.celery_app import app

    before = (app.conf.broker_url, app.conf.broker_transport_options)
    _point_app_at(app, own_redis.url, {"visibility_timeout": 3600})
    yield app
    _point_app_at(app, *before)
    # The port may come round again in a later test: no closed pool may wait under its URL.
    _forget_pools_of(own_redis.url)
