"""Sign-up, sign-in and sign-out pages for teachers."""

from __future__ import annotations

from django.contrib import auth
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from accounts import services
from accounts.sign_in import teacher_sign_in
from todaysmeet.errors import RateLimited, ServiceError


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return "/"


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    error = None
    email = ""
    if request.method == "POST":
        email = request.POST.get("email", "")
        try:
            teacher = services.teacher_create(email=email, password=request.POST.get("password", ""))
        except ServiceError as exception:
            error = exception.message
        else:
            auth.login(request, teacher, backend="django.contrib.auth.backends.ModelBackend")
            return redirect(_next_url(request))
    context = {"email": email, "error": error, "next": _next_url(request)}
    return render(request, "accounts/signup.html", context, status=400 if error else 200)


@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _login_page(request)
    email = request.POST.get("email", "")
    try:
        teacher = teacher_sign_in(request, email=email, password=request.POST.get("password", ""))
    except RateLimited as refused:
        response = _login_page(request, email=email, error=refused.message, status=429)
        response["Retry-After"] = str(refused.retry_after)
        return response
    if teacher is None:
        return _login_page(request, email=email, error="Wrong email or password.", status=400)
    auth.login(request, teacher)
    return redirect(_next_url(request))


def _login_page(request: HttpRequest, *, email: str = "", error: str | None = None, status: int = 200) -> HttpResponse:
    context = {"email": email, "error": error, "next": _next_url(request)}
    return render(request, "accounts/login.html", context, status=status)


@require_http_methods(["GET", "POST"])
def logout(request: HttpRequest) -> HttpResponse:
    # GET shows a confirmation; only a POST (with its CSRF token) signs out.
    if request.method == "POST":
        auth.logout(request)
        return redirect("/")
    return render(request, "accounts/logout.html")
