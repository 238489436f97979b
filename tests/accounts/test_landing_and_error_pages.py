"""After log-in each role lands on a page it may see; errors get the site's own pages."""

import pytest
from django.test import Client, RequestFactory
from django.views.defaults import server_error

from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["student", "teacher", "annotator", "admin"])
def test_each_role_lands_on_a_page_it_may_see(role):
    make_user(f"a-{role}", role)
    client = Client()
    response = client.post("/login/", {"username": f"a-{role}", "password": f"a-{role}-pw"},
                           follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] != "/login/"


def test_an_unknown_address_gets_the_styled_404_not_the_url_list():
    client = Client()
    client.force_login(make_user("alice"))
    response = client.get("/no/such/page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in html and "topbar" in html and "URLconf" not in html


def test_the_styled_404_shows_with_debug_on_too(settings):
    settings.DEBUG = True  # as `make run` runs
    client = Client()
    client.force_login(make_user("alice"))
    html = client.get("/no/such/page/").content.decode()
    assert "Page not found" in html and "topbar" in html
    assert "Using the URLconf" not in html and "[name='problem_list']" not in html


def test_a_page_of_another_role_gets_the_styled_403():
    client = Client()
    client.force_login(make_user("ann", "annotator"))
    response = client.get("/problems/")
    assert response.status_code == 403
    assert "You cannot open this page" in response.content.decode()


def test_a_server_error_gets_the_styled_500():
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
