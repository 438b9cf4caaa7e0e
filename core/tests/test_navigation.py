from core.navigation import nav_for


def test_customer_page_highlights_customers_in_the_menu(alice):
    items = nav_for(alice, path="/customers/12/")
    assert [i["name"] for i in items if i["current"]] == ["customer-list"]


def test_support_does_not_see_follow_ups_in_the_menu(sam):
    assert "segmentation:follow-ups" not in [i["name"] for i in nav_for(sam)]
