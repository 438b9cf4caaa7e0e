"""Search by phone over encrypted numbers: the whole number or its last four digits."""
from __future__ import annotations

import pytest
from django.urls import reverse

from crm import phone_index, selectors, services
from crm.models import Contact, Customer, PhoneIndex

pytestmark = pytest.mark.django_db


@pytest.fixture
def phoned(alice, charlie, now):
    mine = services.customer_create(actor=alice, data={"name": "Phone Co", "phone": "+86 138-0013-8000"}, now=now)
    other = services.customer_create(actor=alice, data={"name": "Other Co", "phone": "13900001111"}, now=now)
    south = services.customer_create(actor=charlie, data={"name": "South Co", "phone": "13700008000"}, now=now)
    return mine, other, south


def _names(user, q):
    return sorted(c.name for c in selectors.customer_search(Customer.objects.for_user(user), q))


def test_the_last_four_digits_or_the_whole_number_find_the_customer_in_scope(phoned, alice, charlie):
    assert _names(alice, "8000") == ["Phone Co"]  # South Co's number ends in 8000 too, outside alice's scope
    assert _names(charlie, "8000") == ["South Co"]
    assert _names(alice, "138 0013 8000") == ["Phone Co"] == _names(alice, "13800138000")
    assert _names(alice, "1111") == ["Other Co"] and _names(alice, "0013") == []
    # The numbers stay encrypted: the index holds keyed hashes only.
    assert not PhoneIndex.objects.filter(digest__contains="8000").exists()


def test_a_contacts_number_finds_its_customer_and_a_changed_number_moves(phoned, alice):
    mine, other, _south = phoned
    contact = Contact(customer=other)
    services.contact_save(contact=contact, data={"name": "Li Lei", "phone": "13655556666"})
    assert _names(alice, "6666") == ["Other Co"]
    services.customer_update(actor=alice, customer=mine, data={"phone": "13722223333"})
    assert _names(alice, "8000") == [] and _names(alice, "3333") == ["Phone Co"]


def test_the_rebuild_indexes_rows_written_around_the_services(alice, make_customer):
    make_customer(owner=alice, name="Copied Co", phone="13812345678")  # ORM create: no event
    assert _names(alice, "5678") == []
    assert phone_index.phone_index_rebuild() == 2
    assert _names(alice, "5678") == ["Copied Co"]


def test_the_list_page_finds_a_customer_by_phone_tail(phoned, alice, client):
    client.force_login(alice)
    html = client.get(reverse("customer-list"), {"q": "8000"}).content.decode()
    assert "Phone Co" in html and "South Co" not in html
