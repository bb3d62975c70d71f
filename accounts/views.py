"""Sign in, sign up, sign out. Signing in or up keeps what the visitor did anonymously
(quizzes/signals.py moves it on Django's user_logged_in signal)."""

from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from .ratelimit import client_ip, rate_hit, refused, verdict_combine

TOO_MANY_SIGN_INS = "Too many sign-in attempts. Try again in {seconds} seconds."
TOO_MANY_SIGN_UPS = ("Too many accounts were created from your network just now. "
                     "Try again in {seconds} seconds.")


def _next_url(request) -> str:
    """Where to go after signing in: `next` if it stays on this site, else the default."""
    url = request.POST.get("next") or request.GET.get("next", "")
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return url
    return ""


@require_http_methods(["GET", "POST"])
def sign_in(request):
    form = AuthenticationForm(request, data=request.POST if request.method == "POST" else None)
    context = {"form": form, "next": _next_url(request)}
    if request.method == "POST":
        username = request.POST.get("username", "").strip()
        verdict = verdict_combine(
            rate_hit(scope="sign-in-ip", key=client_ip(request),
                     rate=settings.RATE_LIMIT_LOGIN_IP),
            rate_hit(scope="sign-in-user", key=username.casefold(),
                     rate=settings.RATE_LIMIT_LOGIN))
        if not verdict.allowed:
            context |= {"form": AuthenticationForm(request, initial={"username": username}),
                        "refusal": TOO_MANY_SIGN_INS.format(seconds=verdict.retry_after)}
            return refused(render(request, "registration/login.html", context), verdict)
        if form.is_valid():
            login(request, form.get_user())
            return redirect(context["next"] or resolve_url(settings.LOGIN_REDIRECT_URL))
    return render(request, "registration/login.html", context)


@require_http_methods(["GET", "POST"])
def sign_up(request):
    form = UserCreationForm(request.POST if request.method == "POST" else None)
    context = {"form": form, "next": _next_url(request)}
    if request.method == "POST":
        verdict = rate_hit(scope="sign-up-ip", key=client_ip(request),
                           rate=settings.RATE_LIMIT_SIGNUP)
        if not verdict.allowed:
            context |= {"form": UserCreationForm(),
                        "refusal": TOO_MANY_SIGN_UPS.format(seconds=verdict.retry_after)}
            return refused(render(request, "registration/signup.html", context), verdict)
        if form.is_valid():
            login(request, form.save())
            return redirect(context["next"] or resolve_url(settings.LOGIN_REDIRECT_URL))
    return render(request, "registration/signup.html", context)


@require_POST
def sign_out(request):
    logout(request)
    return redirect(_next_url(request) or resolve_url(settings.LOGOUT_REDIRECT_URL or "/"))
