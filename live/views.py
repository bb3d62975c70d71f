"""The live quiz's pages: starting one (staff), the projector with its controls (staff),
joining and the phone screen (participants), and the event stream (both)."""

import segno
from asgiref.sync import sync_to_async
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.handlers.asgi import ASGIRequest
from django.db import transaction
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from classrooms.quiz import ALL_CLASS_QUESTIONS, quiz_question_ids
from classrooms.services import classroom_for_staff

from . import sessions
from .forms import JoinForm, PaceForm, StartForm
from .models import LiveSession, Participant
from .screens import screen_for, stage_for
from .stream import session_events

SESSION_KEY = "live_participants"  # {session id: participant id} for anonymous players


@require_http_methods(["GET", "POST"])
@login_required
def start(request, classroom_id):
    classroom = classroom_for_staff(user=request.user, classroom_id=classroom_id)
    form = StartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        ids = quiz_question_ids(
            ids=data["id_list"], pattern=data["pattern"], domain=data["domain"],
            limit=data["limit"], classroom=classroom,
            class_pick=ALL_CLASS_QUESTIONS if data["class_questions"] else "")
        try:
            session = sessions.live_start(classroom=classroom, host=request.user,
                                          title=data["title"], question_ids=ids)
        except ValidationError as e:
            form.add_error(None, e)
        else:
            return redirect("live:host", session_id=session.pk)
    running = classroom.live_sessions.exclude(phase=LiveSession.ENDED)
    return render(request, "live/start.html", {"form": form, "classroom": classroom,
                                               "running": running},
                  status=400 if form.errors else 200)


def _unchanged(request, session: LiveSession, answered: int | None = None) -> bool:
    """A poll (`?v=`) from a screen that already shows this version (and answer count)."""
    seen = request.GET.get("v")
    if seen != str(session.version):
        return False
    return answered is None or request.GET.get("n") == str(answered)


def _uses_sse(request) -> bool:
    # Under WSGI a stream never starts (Django buffers it whole): those pages poll instead.
    return isinstance(request, ASGIRequest)


@require_GET
@login_required
def host(request, session_id):
    session = sessions.session_for_staff(user=request.user, session_id=session_id)
    stage = stage_for(session=session)
    if request.htmx and _unchanged(request, session, stage.answered):
        return HttpResponse(status=204)
    join_url = request.build_absolute_uri(reverse("live:join_pin", args=[session.pin]))
    qr = segno.make(join_url, error="m").svg_inline(
        scale=6, border=2, title=f"QR code of the join link, {join_url}")
    template = "live/host.html#stage" if request.htmx else "live/host.html"
    return render(request, template, {"stage": stage, "session": session, "qr": qr,
                                      "join_url": join_url, "sse": _uses_sse(request)})


@require_POST
@login_required
def pace(request, session_id):
    session = sessions.session_for_staff(user=request.user, session_id=session_id)
    form = PaceForm(request.POST)
    error = ""
    if not form.is_valid():
        error = "That is not a step of the quiz: " + " ".join(
            m for messages in form.errors.values() for m in messages)
    elif form.cleaned_data["index"] != session.index:
        error = sessions.OUT_OF_STEP
    else:
        action, countdown = form.cleaned_data["action"], form.cleaned_data["countdown"]
        try:
            if action == "show":
                sessions.live_show(session=session, countdown=countdown)
            elif action == "close":
                sessions.live_close(session=session)
            elif action == "reveal":
                sessions.live_reveal(session=session)
            else:
                sessions.live_end(session=session)
        except ValidationError as e:
            error = " ".join(e.messages)
    if not request.htmx and not error:
        return redirect("live:host", session_id=session.pk)
    session.refresh_from_db()
    template = "live/host.html#stage" if request.htmx else "live/host.html"
    return render(request, template, {"stage": stage_for(session=session), "session": session,
                                      "error": error, "sse": _uses_sse(request)},
                  status=400 if error and not request.htmx else 200)


def participant_for(*, request, session: LiveSession) -> Participant | None:
    if request.user.is_authenticated:
        return session.participants.filter(user=request.user).first()
    participant_id = request.session.get(SESSION_KEY, {}).get(str(session.pk))
    return session.participants.filter(pk=participant_id, user=None).first() \
        if participant_id else None


@require_http_methods(["GET", "POST"])
def join(request, pin=""):
    """The join form (/live/) and the QR code's link (/live/join/<pin>/, the PIN filled in)."""
    form = JoinForm(request.POST or None, initial={"pin": pin})
    if request.method == "POST" and form.is_valid():
        try:
            session = sessions.session_by_pin(pin=form.cleaned_data["pin"])
            participant = sessions.live_join(session=session, user=request.user,
                                             name=form.cleaned_data["name"])
        except ValidationError as e:
            form.add_error(None, e)
        else:
            if participant.user_id is None:
                joined = request.session.get(SESSION_KEY, {})
                request.session[SESSION_KEY] = {**joined, str(session.pk): participant.pk}
            return redirect("live:play", session_id=session.pk)
    return render(request, "live/join.html", {"form": form}, status=400 if form.errors else 200)


def _player(request, session_id) -> tuple[LiveSession, Participant | None]:
    session = LiveSession.objects.filter(pk=session_id).first()
    if session is None:
        raise Http404("No such live quiz")
    return session, participant_for(request=request, session=session)


@require_GET
def play(request, session_id):
    session, participant = _player(request, session_id)
    if participant is None:  # not joined: the join form, PIN filled in while it runs
        if session.phase == LiveSession.ENDED:
            raise Http404("No such live quiz")
        return redirect("live:join_pin", pin=session.pin)
    if request.htmx and _unchanged(request, session):
        return HttpResponse(status=204)
    template = "live/play.html#screen" if request.htmx else "live/play.html"
    return render(request, template, {"screen": screen_for(session=session,
                                                           participant=participant),
                                      "sse": _uses_sse(request)})


@require_POST
def answer(request, session_id):
    session, participant = _player(request, session_id)
    if participant is None:
        raise Http404("You have not joined this live quiz")
    error = ""
    try:
        sessions.answer_take(session=session, participant=participant,
                             index=int(request.POST.get("index", -2)),
                             letters=request.POST.getlist("answer"))
    except (ValidationError, ValueError) as e:
        error = " ".join(e.messages) if isinstance(e, ValidationError) else sessions.NOT_ANSWERING
    if not request.htmx and not error:
        return redirect("live:play", session_id=session.pk)
    session.refresh_from_db()
    template = "live/play.html#screen" if request.htmx else "live/play.html"
    return render(request, template, {"screen": screen_for(session=session,
                                                           participant=participant, error=error),
                                      "sse": _uses_sse(request)},
                  status=400 if error and not request.htmx else 200)


def _stream_role(request, session_id) -> tuple[LiveSession, bool]:
    """(the session, whether the asker is staff); 404 unless staff or a participant."""
    session, participant = _player(request, session_id)
    if participant is not None:
        return session, False
    if request.user.is_authenticated:
        return sessions.session_for_staff(user=request.user, session_id=session_id), True
    raise Http404("No such live quiz")


@transaction.non_atomic_requests  # a stream is no transaction (and async views may not be)
@require_GET
async def events(request, session_id):
    session, staff = await sync_to_async(_stream_role)(request, session_id)
    if not _uses_sse(request) or session.phase == LiveSession.ENDED:
        return HttpResponse(status=204)  # EventSource stops; the page polls
    response = StreamingHttpResponse(session_events(session.pk, staff=staff),
                                     content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response
