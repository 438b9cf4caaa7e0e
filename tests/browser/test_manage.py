import pytest

from crm.models import User

pytestmark = pytest.mark.django_db(transaction=True)


def test_admin_adds_a_support_user_in_chinese(ada, north, login_as, live_server, screenshot):
    page = login_as(ada, lang="zh-hans")
    page.click("text=管理")
    assert page.url.endswith("/manage/users/")
    page.click("text=新建用户")
    page.fill("#id_username", "zoe")
    page.select_option("#id_role", "support")
    page.fill("#id_password", "123")
    page.click("main button[type=submit]")
    assert page.locator("#field-password .errorlist").is_visible()
    screenshot("manage-user-error-zh")
    page.fill("#id_password", "a-long-pass-123")
    page.click("main button[type=submit]")
    assert page.url.endswith("/manage/users/")
    assert page.locator("table.data", has_text="zoe").is_visible()
    screenshot("manage-users-zh")
    assert User.objects.get(username="zoe").role == "support"


def test_a_team_lead_gets_the_404_page_for_user_management(lena, login_as, live_server):
    page = login_as(lena)
    response = page.goto(f"{live_server.url}/manage/users/")
    assert response.status == 404
