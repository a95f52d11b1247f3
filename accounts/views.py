"""Teachers' pages: sign-up (and its emailed link), sign-in and sign-out, the account, verification, passwords."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.password_validation import password_validators_help_texts
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_str
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.utils.translation import gettext
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import services
from accounts.forms import TeacherPasswordResetForm
from accounts.models import Teacher
from accounts.sign_in import sign_up_password_checked, teacher_sign_in
from accounts.verification import email_verification_tokens, sign_up_tokens
from billing.views import allows_stripe_js, plan_section_context
from rooms import selectors as room_selectors
from rooms import services as room_services
from rooms.access import session_room_ids
from todaysmeet.errors import RateLimited, ServiceError


def _next_url(request: HttpRequest, *, default: str = "/") -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


# What a browser that signed up remembers in its session: the address, where
# it was going, and a digest of the password hash it set, so that opening the
# emailed link in this browser finishes without typing the password again.
SIGNED_UP_KEY = "signed_up"


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    error = None
    email = ""
    if request.method == "POST":
        email = request.POST.get("email", "")
        try:
            sign_up = services.teacher_sign_up(email=email, password=request.POST.get("password", ""))
        except ServiceError as exception:
            error = exception.message
        else:
            request.session[SIGNED_UP_KEY] = {
                "email": sign_up.email,
                "proof": _password_proof(sign_up.password_hash),
                "next": _next_url(request, default=""),
            }
            return redirect("accounts:signup-sent")
    # No default: a sign-up that was going nowhere in particular goes on to create a room.
    context = {
        "email": email,
        "error": error,
        "next": _next_url(request, default=""),
        # Shown before the first try, not only in the error after it.
        "password_rules": password_validators_help_texts(),
    }
    return render(request, "accounts/signup.html", context, status=400 if error else 200)


def _password_proof(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()


@require_GET
def signup_sent(request: HttpRequest) -> HttpResponse:
    """The same page for a new address and a known one: both got an email."""
    signed_up = request.session.get(SIGNED_UP_KEY)
    if not signed_up:
        return redirect("accounts:signup")
    return render(request, "accounts/signup_sent.html", {"email": signed_up["email"]})


@require_http_methods(["GET", "POST"])
def signup_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The welcome email's link: a button (mail scanners open links, and must not sign anyone in).

    Asks for the password chosen at sign-up unless this browser signed up
    with it: whoever opens the link holds the address, but someone else may
    have signed it up, and must not then know the password of the account
    its owner starts using.
    """
    teacher = _teacher_from_uid(uidb64, active=None)
    if teacher is None or not sign_up_tokens.check_token(teacher, token):
        return render(request, "accounts/signup_confirm_failed.html", status=400)
    if not services.is_pending(teacher):
        # Opened again once the account works: it only needs signing in to.
        if request.user == teacher:
            return redirect(_after_sign_up(request, teacher))
        return redirect(f"{reverse('accounts:login')}?next={reverse('rooms:new')}")
    signed_up_here = _signed_up_here(request, teacher)
    error = None
    status = 200
    if request.method == "POST":
        try:
            confirmed = signed_up_here or sign_up_password_checked(
                request, teacher=teacher, password=request.POST.get("password", "")
            )
        except RateLimited as refused:
            error, status = refused.message, 429
        else:
            if confirmed:
                destination = _after_sign_up(request, teacher)
                teacher = services.teacher_sign_up_confirm(teacher=teacher)
                auth.login(request, teacher, backend="django.contrib.auth.backends.ModelBackend")
                return redirect(destination)
            error, status = gettext("That is not the password chosen when signing up."), 400
    context = {"teacher": teacher, "needs_password": not signed_up_here, "error": error}
    return render(request, "accounts/signup_confirm.html", context, status=status)


def _signed_up_here(request: HttpRequest, teacher: Teacher) -> bool:
    signed_up = request.session.get(SIGNED_UP_KEY) or {}
    return signed_up.get("email") == teacher.email and constant_time_compare(
        signed_up.get("proof", ""), _password_proof(teacher.password)
    )


def _after_sign_up(request: HttpRequest, teacher: Teacher) -> str:
    """Where a new teacher goes first: where they were going, else their invitations, else making a room."""
    signed_up = request.session.pop(SIGNED_UP_KEY, None) or {}
    # The home page is the students' join box: a sign-up that started from
    # the login page's link carries it, but a new teacher has no room to join.
    if signed_up.get("email") == teacher.email and signed_up.get("next") not in (None, "", reverse("rooms:home")):
        return signed_up["next"]
    if room_selectors.invitation_list_for_teacher(teacher=teacher).exists():
        return reverse("rooms:dashboard")
    return reverse("rooms:new")


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
        return _login_page(request, email=email, error=gettext("Wrong email or password."), status=400)
    auth.login(request, teacher)
    return redirect(_next_url(request))


def _login_page(request: HttpRequest, *, email: str = "", error: str | None = None, status: int = 200) -> HttpResponse:
    context = {"email": email, "error": error, "next": _next_url(request)}
    return render(request, "accounts/login.html", context, status=status)


@require_http_methods(["GET", "POST"])
def logout(request: HttpRequest) -> HttpResponse:
    # GET shows a confirmation; only a POST (with its CSRF token) signs out.
    if request.method == "POST":
        if request.user.is_authenticated:
            # Before the session is flushed: its key and rooms are what its sockets are known by.
            room_services.browser_signed_out(
                teacher=request.user,
                session_key=request.session.session_key,
                joined_room_ids=session_room_ids(request.session),
            )
        auth.logout(request)
        return redirect("/")
    return render(request, "accounts/logout.html")


# The one page that loads Stripe.js (the plan section's card form). Its
# script calls the JSON API, which needs the CSRF cookie.
@allows_stripe_js
@ensure_csrf_cookie
@login_required
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    teacher = request.user
    error = None
    if request.method == "POST":
        changes = {
            "display_name": request.POST.get("display_name", ""),
            "newsletter": request.POST.get("newsletter") == "on",
        }
        try:
            services.teacher_update(teacher=teacher, changes=changes)
        except ServiceError as exception:
            error = exception.message
        else:
            messages.success(request, gettext("Saved."))
            return redirect("accounts:account")
    context = {
        "teacher": teacher,
        "error": error,
        "billing_enabled": settings.BILLING_ENABLED,
        **(plan_section_context(teacher=teacher) if settings.BILLING_ENABLED else {}),
    }
    return render(request, "accounts/account.html", context, status=400 if error else 200)


def _teacher_from_uid(uidb64: str, *, active: bool | None = True) -> Teacher | None:
    """The teacher a link's uid names; `active=None` for any, pending sign-ups included."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        return None
    teachers = Teacher.objects.filter(pk=pk)
    if active is not None:
        teachers = teachers.filter(is_active=active)
    return teachers.first()


@require_GET
def verify(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    teacher = _teacher_from_uid(uidb64)
    if teacher is not None and teacher.email_verified:
        # A link used twice (or opened by a mail scanner first) still lands well.
        return render(request, "accounts/verified.html", {"teacher": teacher})
    if teacher is None or not email_verification_tokens.check_token(teacher, token):
        return render(request, "accounts/verify_failed.html", status=400)
    teacher = services.teacher_email_verify(teacher=teacher)
    return render(request, "accounts/verified.html", {"teacher": teacher})


@login_required
@require_POST
def verification_email(request: HttpRequest) -> HttpResponse:
    try:
        services.teacher_verification_email_send(teacher=request.user)
    except ServiceError as exception:
        messages.error(request, exception.message)
    else:
        messages.success(request, gettext("We sent a new link to %(email)s.") % {"email": request.user.email})
    return redirect("accounts:account")


# Django's own password views and tokens, in our templates.
password_reset = auth_views.PasswordResetView.as_view(
    form_class=TeacherPasswordResetForm,
    template_name="accounts/password_reset.html",
    success_url=reverse_lazy("accounts:password-reset-sent"),
)
password_reset_sent = auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_sent.html")
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="accounts/password_reset_confirm.html",
    success_url=reverse_lazy("accounts:password-reset-done"),
)
password_reset_done = auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_reset_done.html")
password_change = auth_views.PasswordChangeView.as_view(
    template_name="accounts/password_change.html", success_url=reverse_lazy("accounts:password-change-done")
)
password_change_done = auth_views.PasswordChangeDoneView.as_view(template_name="accounts/password_change_done.html")
