"""Placement: new learners spread over the shards, a learner stays put; the shard list read
from the environment."""

import pytest

from sandboxes.client import placement_for
from sandboxes.models import Placement
from sandboxes.shards import BAD_SHARDS, shard_urls_from_env

A, B, C = "http://10.0.0.1:4566", "http://10.0.0.2:4566", "http://10.0.0.3:4566"


@pytest.mark.django_db
def test_new_learners_go_to_the_shard_with_the_fewest():
    placed = [placement_for(learner=f"l{i}", shard_urls=[A, B]).shard_url for i in range(5)]
    assert placed == [A, B, A, B, A]
    # A third shard joins: the next ones fill it first.
    placed = [placement_for(learner=f"m{i}", shard_urls=[A, B, C]).shard_url for i in range(3)]
    assert placed == [C, C, B]


@pytest.mark.django_db
def test_a_learner_stays_put():
    first = placement_for(learner="ada", shard_urls=[A, B])
    for _ in range(3):
        placement_for(learner=f"other{_}", shard_urls=[A, B])
    again = placement_for(learner="ada", shard_urls=[C, B, A])
    assert (again.pk, again.shard_url) == (first.pk, A)
    assert Placement.objects.filter(learner="ada").count() == 1


@pytest.mark.django_db
def test_a_learner_on_a_shard_no_longer_listed_moves_and_is_rebuilt_there():
    placement_for(learner="ada", shard_urls=[A])
    moved = placement_for(learner="ada", shard_urls=[B, C])
    assert moved.shard_url == B and moved.boot_id == "moved"


@pytest.mark.parametrize("environ, urls", [
    ({}, []),
    ({"LAB_SHARDS": "3"}, ["http://127.0.0.1:4566", "http://127.0.0.1:4567",
                           "http://127.0.0.1:4568"]),
    ({"LAB_CLOUD_URLS": "http://h1:4566/, http://h2:4566", "LAB_SHARDS": "5"},
     ["http://h1:4566", "http://h2:4566"]),
])
def test_shard_urls_from_the_environment(environ, urls):
    assert shard_urls_from_env(environ, cloud_url="http://127.0.0.1:4566") == urls


@pytest.mark.parametrize("environ, message", [
    ({"LAB_SHARDS": "two"}, BAD_SHARDS.format(value="two")),
    ({"LAB_SHARDS": "0"}, BAD_SHARDS.format(value="0")),
    ({"LAB_CLOUD_URLS": "h1:4566"}, "LAB_CLOUD_URLS lists http(s) URLs"),
])
def test_bad_shard_settings_are_clear_errors(environ, message):
    with pytest.raises(ValueError) as raised:
        shard_urls_from_env(environ, cloud_url="http://127.0.0.1:4566")
    assert str(raised.value).startswith(message)
