from __future__ import annotations

from pathlib import Path

import pytest

from integrations.tests.servers import DOVECOT, WebhookReceiver, start_dovecot


@pytest.fixture
def dovecot():
    if not Path(DOVECOT).exists():
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd; .ci/run does)")
    server = start_dovecot()
    yield server
    server.stop()


@pytest.fixture
def webhook_receiver():
    receiver = WebhookReceiver(secret="whsec-test-0123456789").start()
    yield receiver
    receiver.stop()

