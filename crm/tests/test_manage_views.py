import pytest

from core.models import AuditLog
from crm.models import Team, User

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/manage/users/", "/manage/users/new/", "/manage/teams/"])
def test_only_admins_reach_the_users_and_teams_pages(lena, sam, alice, client, path):
    for user in (lena, sam, alice):
        client.force_login(user)
        assert client.get(path).status_code == 404


def test_admin_creates_a_user_in_a_team(ada, north, client):
    client.force_login(ada)
    r = client.post("/manage/users/new/", {"username": "zoe", "role": "support", "team": north.pk,
                                           "password": "a-long-pass-123", "is_active": "on"})
    assert r.status_code == 302
    zoe = User.objects.get(username="zoe")
    assert (zoe.role, zoe.team, zoe.check_password("a-long-pass-123")) == ("support", north, True)


def test_a_weak_password_is_refused_beside_the_field_and_nothing_is_written(ada, client):
    client.force_login(ada)
    r = client.post("/manage/users/new/", {"username": "zoe", "role": "support", "password": "123"})
    assert r.status_code == 200
    assert r.context["form"].errors["password"]
    assert not User.objects.filter(username="zoe").exists()


def test_editing_without_a_password_keeps_the_old_one(ada, alice, south, client):
    client.force_login(ada)
    r = client.post(f"/manage/users/{alice.pk}/", {"username": "alice", "role": "team_lead", "team": south.pk,
                                                   "is_active": "on"})
    assert r.status_code == 302
    alice.refresh_from_db()
    assert (alice.role, alice.team, alice.check_password("pw-alice-123")) == ("team_lead", south, True)


def test_an_admin_cannot_lock_themselves_out(ada, client):
    client.force_login(ada)
    r = client.post(f"/manage/users/{ada.pk}/", {"username": "ada", "role": "support"})
    assert r.status_code == 200 and r.context["form"].errors["role"]
    ada.refresh_from_db()
    assert ada.role == "admin"


def test_admin_creates_and_renames_a_team_and_duplicates_are_refused(ada, north, client):
    client.force_login(ada)
    assert client.post("/manage/teams/", {"name": "West"}).status_code == 302
    r = client.post("/manage/teams/", {"name": "north"})
    assert r.status_code == 200 and r.context["form"].errors["name"]
    west = Team.objects.get(name="West")
    assert client.post(f"/manage/teams/{west.pk}/", {"name": "西部"}).status_code == 302
    assert Team.objects.filter(name="西部").exists()


def test_user_list_does_not_query_per_row(ada, north, client, django_assert_max_num_queries):
    for i in range(20):
        User.objects.create(username=f"u{i}", team=north)
    client.force_login(ada)
    with django_assert_max_num_queries(8):
        assert client.get("/manage/users/").status_code == 200


def test_opening_a_customer_in_django_admin_is_audited(ada, alice, make_customer, client):
    acme = make_customer(owner=alice, phone="13812345678")
    client.force_login(ada)
    assert client.get(f"/admin/crm/customer/{acme.pk}/change/").status_code == 200
    assert AuditLog.objects.filter(user=ada, object_id=str(acme.pk), channel="admin").count() == 1
