"""core.access rules that the apps' selectors rely on."""
import pytest
from django.http import Http404

from core import access
from core.roles import Role
from crm.models import User
from surveys.models import Survey
from surveys.selectors import survey_editable_for_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def surveys(north, south, now):
    return {team.name: Survey.objects.create(name_zh=team.name, team=team, created_at=now) for team in (north, south)}


def _led(user):
    q = access.led_team_scope_q(user)
    teams = Survey.objects.filter(team__isnull=False)  # not the shared default template of the migration
    return sorted(s.name_zh for s in (teams if q is None else teams.filter(q)))


def test_a_lead_changes_their_teams_rows_an_admin_every_row(surveys, lena, ada, north, south):
    """Rule: what a lead changes is their own team's; an admin changes everything."""
    assert _led(lena) == [north.name]
    assert _led(ada) == sorted([north.name, south.name])


def test_managers_support_and_a_lead_without_a_team_change_nothing(surveys, alice, sam):
    """Rule: only a lead *of a team* leads; account managers and support lead nothing."""
    teamless_lead = User.objects.create_user(username="tl", password="pw-tl-12345", role=Role.TEAM_LEAD)
    assert _led(alice) == _led(sam) == _led(teamless_lead) == []


def test_editable_survey_follows_the_rule(surveys, lena, south):
    """Rule: another team's template is a 404 to a lead (the selector uses the rule)."""
    with pytest.raises(Http404):
        survey_editable_for_user(user=lena, pk=surveys[south.name].pk)
