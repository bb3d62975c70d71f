"""The page's view of a sandbox being rebuilt by the task worker (rebuild.py): the run's
region polls here until the rebuild is done, then says what was not kept."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from patterns.lab import learner_for

from .models import Placement
from .rebuild import REBUILDING


def rebuilding_response(request, *, status: int = 200):
    """The run's region saying the sandbox is being rebuilt, polling until it is."""
    return render(request, "sandboxes/rebuild_status.html",
                  {"rebuilding": True, "message": REBUILDING}, status=status)


@require_GET
@never_cache
def rebuild_status(request):
    """Only the visitor's own sandbox: a visitor without one (no session yet, never placed)
    gets 404."""
    if not request.user.is_authenticated and not request.session.session_key:
        raise Http404("no sandbox")
    placement = Placement.objects.filter(learner=learner_for(request)).first()
    if placement is None:
        raise Http404("no sandbox")
    return render(request, "sandboxes/rebuild_status.html",
                  {"rebuilding": bool(placement.rebuilding), "message": REBUILDING,
                   "notice": placement.rebuild_notice})
