"""The pages across patterns: the services glossary, the comparison table with serverless
versus traditional, and the security layers. Content lives in content/*.yaml (read by
patterns/reference.py); the patterns come from the catalog as it is at render time."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from .catalog import catalog
from .reference import (
    comparison_rows,
    glossary_groups,
    security_layers,
    security_page,
    serverless_vs_traditional,
)


@require_GET
def glossary(request):
    return render(request, "patterns/glossary.html",
                  {"groups": glossary_groups(patterns=catalog())})


@require_GET
def compare(request):
    intro, topics = serverless_vs_traditional()
    return render(request, "patterns/compare.html", {
        "rows": comparison_rows(patterns=catalog()), "intro": intro, "topics": topics})


@require_GET
def security(request):
    intro, _ = security_layers()
    return render(request, "patterns/security.html",
                  {"intro": intro, "layers": security_page(patterns=catalog())})
