"""`lab bench` measures every figure issue 3 names (the figures themselves are not asserted:
speed goals are checked by running the benchmark, not by timed tests)."""

import json

from django.core.management import call_command

FIGURES = {"fresh_interpreter_p50_ms", "cold_start_p50_ms", "warm_invoke_p50_ms",
           "bare_inprocess_p50_ms", "rest_run_p50_ms", "warm_invokes_per_s",
           "idle_env_unique_mb"}


def test_bench_reports_every_figure_and_its_goal(capsys):
    call_command("lab", "bench", "--samples", "3", "--json")
    figures = json.loads(capsys.readouterr().out)
    assert FIGURES <= set(figures)
    assert all(isinstance(figures[name], int | float) and figures[name] > 0 for name in FIGURES)
    assert set(figures["goals"]) == {"cold_start_vs_fresh", "rest_run_vs_bare",
                                     "warm_invokes_per_s", "idle_env_unique_mb"}
