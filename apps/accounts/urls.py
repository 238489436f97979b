from django.contrib.auth import views as auth_views
from django.urls import path

from apps.accounts import views
from apps.accounts.login_throttle import ThrottledLoginView

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", ThrottledLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
