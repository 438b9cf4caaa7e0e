"""The beat's work through a real Celery worker."""
import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from conftest import wait_until
from surveys.models import SurveyDailySnapshot, SurveyInvitation
from surveys.tests.factories import default_survey
from surveys.tasks import survey_invitations_dispatch, survey_snapshots_rebuild

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def test_dispatch_creates_and_mails_a_due_invitation_through_a_real_worker(celery_worker_real, make_customer, alice):
    default_survey()  # the seed template (another transactional test may have flushed it)
    today = timezone.localdate()
    make_customer(owner=alice, name="Newbie", email="newbie@example.com",
                  first_deal_date=today - dt.timedelta(days=7))
    survey_invitations_dispatch.delay()
    assert wait_until(lambda: SurveyInvitation.objects.filter(sent_at__isnull=False).exists())
    inv = SurveyInvitation.objects.get()
    assert inv.trigger_key == "new_customer" and inv.token_hash
    assert wait_until(lambda: any("/s/" in m.body for m in mail.outbox))
    # A second beat finds nothing new and sends nothing twice.
    survey_invitations_dispatch.delay()
    survey_snapshots_rebuild.delay()
    assert wait_until(lambda: SurveyDailySnapshot.objects.filter(invitations_sent=1).exists())
    assert SurveyInvitation.objects.count() == 1
    assert sum("/s/" in m.body for m in mail.outbox) == 1
