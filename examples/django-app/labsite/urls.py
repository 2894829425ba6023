from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import include, path


@login_required
def home(request):
    """The page a signed-in user sees: who they are, and a logout button."""
    return render(request, "home.html")


urlpatterns = [
    path("", home, name="home"),
    # Django's own login and logout views (/accounts/login/, /accounts/logout/).
    path("accounts/", include("django.contrib.auth.urls")),
]
