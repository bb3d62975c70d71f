"""The event stream, served as ASGI serves it (Django's AsyncClient): what a projector and a
phone hear, and that one watcher per process serves every stream of a session."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import sync_to_async
from django.db import connections
from django.test import AsyncClient
from django.urls import reverse

from live import stream
from live.models import LiveSession
from live.sessions import answer_take, live_end, live_join, live_show

pytestmark = pytest.mark.django_db(transaction=True)  # the watcher reads from its own thread


@pytest.fixture(autouse=True)
def no_kept_connections():
    """CONN_MAX_AGE 0 while these run, as Django advises under ASGI: each request's sync part
    runs in a thread of its own, and a kept connection would stay behind with it."""
    saved = connections.settings["default"].get("CONN_MAX_AGE", 0)
    connections.settings["default"]["CONN_MAX_AGE"] = 0
    yield
    connections.settings["default"]["CONN_MAX_AGE"] = saved


def in_own_loop(scenario):
    """Run `scenario()` in an event loop of its own thread: a Playwright test earlier in the
    session leaves one running in this thread, where asgiref's async_to_sync refuses to."""
    async def then_close():
        try:
            return await scenario()
        finally:  # the connection of the thread the views' sync parts ran in
            await sync_to_async(connections.close_all)()

    def run():
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, then_close()).result()
    return run


async def _next_event(chunks, *, skip_keepalive=True, timeout=10.0) -> str:
    """The next event the stream sends (the first `retry:` line skipped)."""
    while True:
        chunk = await asyncio.wait_for(anext(chunks), timeout)
        text = chunk.decode() if isinstance(chunk, bytes) else chunk
        if text.startswith("retry:") or (skip_keepalive and text.startswith(":")):
            continue
        return text


async def _open(client, session_id):
    response = await client.get(reverse("live:events", args=[session_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    return response, aiter(response.streaming_content)


def test_the_projector_hears_each_answer_and_each_phase(live, instructor, questions, letters):
    player = live_join(session=live, name="Ada")

    async def scenario():
        client = AsyncClient()
        await client.aforce_login(instructor)
        response, chunks = await _open(client, live.pk)
        version = (await LiveSession.objects.aget(pk=live.pk)).version
        assert await _next_event(chunks) == f"event: phase\ndata: {version}\n\n"
        assert await _next_event(chunks) == "event: answers\ndata: 0\n\n"
        await sync_to_async(live_show)(session=live)
        assert await _next_event(chunks) == f"event: phase\ndata: {version + 1}\n\n"
        assert await _next_event(chunks) == "event: answers\ndata: 0\n\n"  # a new question
        await sync_to_async(answer_take)(session=live, participant=player, index=0,
                                         letters=letters(questions[0], correct=True))
        assert await _next_event(chunks) == "event: answers\ndata: 1\n\n"
        await sync_to_async(live_end)(session=live)
        assert await _next_event(chunks) == f"event: phase\ndata: {version + 2}\n\n"
        with pytest.raises(StopAsyncIteration):  # the stream ends with the quiz
            await _next_event(chunks)

    in_own_loop(scenario)()
    assert stream._watches == {}  # the last stream gone, its watcher stopped


def test_a_phone_hears_phases_but_not_the_answer_count(client, live, questions, letters):
    client.post(reverse("live:join"), {"pin": live.pin, "name": "Ada"})
    other = live_join(session=live, name="Bob")
    cookie = client.cookies["sessionid"].value

    async def scenario():
        phone = AsyncClient()
        phone.cookies["sessionid"] = cookie
        _, chunks = await _open(phone, live.pk)
        events = [await _next_event(chunks)]
        await sync_to_async(live_show)(session=live)
        await sync_to_async(answer_take)(session=live, participant=other, index=0,
                                         letters=letters(questions[0], correct=True))
        await sync_to_async(live_end)(session=live)
        while True:  # until the stream ends with the quiz
            try:
                events.append(await _next_event(chunks))
            except StopAsyncIteration:
                break
        assert events and all(e.startswith("event: phase\n") for e in events)
        assert len(events) >= 2  # joined, then (at least) the end

    in_own_loop(scenario)()


def test_two_streams_in_one_process_share_one_watcher(live, instructor):
    live_join(session=live, name="Ada")

    async def scenario():
        first, second = AsyncClient(), AsyncClient()
        await first.aforce_login(instructor)
        await second.aforce_login(instructor)
        _, a = await _open(first, live.pk)
        _, b = await _open(second, live.pk)
        await _next_event(a)
        await _next_event(b)
        assert len(stream._watches) == 1
        assert next(iter(stream._watches.values())).subscribers == 2
        await sync_to_async(live_show)(session=live)
        for chunks in (a, b):
            assert await _next_event(chunks) == "event: answers\ndata: 0\n\n"
            assert (await _next_event(chunks)).startswith("event: phase")
        await a.aclose()  # the browsers go away
        await b.aclose()

    in_own_loop(scenario)()
    assert stream._watches == {}


def test_an_ended_quiz_has_no_stream(live, instructor):
    live_end(session=live)

    async def scenario():
        client = AsyncClient()
        await client.aforce_login(instructor)
        response = await client.get(reverse("live:events", args=[live.pk]))
        assert response.status_code == 204

    in_own_loop(scenario)()


def test_the_stream_is_not_found_for_a_student_who_has_not_joined(live, student):
    async def scenario():
        client = AsyncClient()
        await client.aforce_login(student)
        response = await client.get(reverse("live:events", args=[live.pk]))
        assert response.status_code == 404

    in_own_loop(scenario)()
