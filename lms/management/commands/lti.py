"""Register an LMS (LTI 1.3 platform) with the lab, its deployments, and the tool's URLs.

  manage.py lti urls --site https://lab.example.edu
  manage.py lti register --name Moodle --issuer ISS --client-id ID --auth-url URL
        --token-url URL --keyset-url URL [--deployment ID ...] [--site URL]
  manage.py lti deployment ISSUER CLIENT_ID DEPLOYMENT_ID [--remove]
  manage.py rotate_keys [--deactivate-after DAYS]   (django-lti's: a new signing key)
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import URLValidator
from django.db import transaction
from django.urls import reverse
from lti_tool.models import Key, LtiDeployment, LtiRegistration


def tool_urls(site: str) -> dict[str, str]:
    site = site.rstrip("/")
    return {"Login initiation URL": site + reverse("lms:login"),
            "Redirect (launch) URL": site + reverse("lms:launch"),
            "Deep linking URL": site + reverse("lms:launch"),
            "Public keyset (JWKS) URL": site + reverse("lms:jwks")}


class Command(BaseCommand):
    help = "Register an LMS with the lab (LTI 1.3) and print the URLs its admin needs."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        urls = sub.add_parser("urls", help="The URLs to give the LMS.")
        urls.add_argument("--site", default="http://localhost:8000")
        reg = sub.add_parser("register", help="Add or update an LMS registration.")
        reg.add_argument("--name", required=True)
        reg.add_argument("--issuer", required=True)
        reg.add_argument("--client-id", required=True)
        reg.add_argument("--auth-url", required=True, help="The platform's OIDC auth URL.")
        reg.add_argument("--token-url", required=True, help="The platform's access token URL.")
        reg.add_argument("--keyset-url", required=True, help="The platform's JWKS URL.")
        reg.add_argument("--audience", default="", help="Token audience, if not the token URL.")
        reg.add_argument("--deployment", action="append", default=[], metavar="ID")
        reg.add_argument("--site", default="http://localhost:8000")
        dep = sub.add_parser("deployment", help="Activate (or --remove) a deployment id.")
        dep.add_argument("issuer")
        dep.add_argument("client_id")
        dep.add_argument("deployment_id")
        dep.add_argument("--remove", action="store_true")

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _urls(self, *, site, **_):
        for label, url in tool_urls(site).items():
            self.stdout.write(f"{label}: {url}")

    @transaction.atomic
    def _register(self, *, name, issuer, client_id, auth_url, token_url, keyset_url, audience,
                  deployment, site, **_):
        for url in (auth_url, token_url, keyset_url):
            try:
                URLValidator()(url)
            except ValidationError:
                raise CommandError(f"Not a URL: {url!r}") from None
        registration, created = LtiRegistration.objects.update_or_create(
            issuer=issuer, client_id=client_id, defaults={
                "name": name, "auth_url": auth_url, "token_url": token_url,
                "keyset_url": keyset_url, "audience": audience, "is_active": True})
        for deployment_id in deployment:
            LtiDeployment.objects.update_or_create(
                registration=registration, deployment_id=deployment_id,
                defaults={"is_active": True})
        if not Key.objects.active().exists():
            Key.objects.generate()
        active = registration.deployments.filter(is_active=True).values_list(
            "deployment_id", flat=True)
        self.stdout.write(f"{'Registered' if created else 'Updated'} {name} "
                          f"(issuer {issuer}, client id {client_id}); deployments: "
                          f"{', '.join(active) or 'none yet'}.")
        self._urls(site=site)

    def _deployment(self, *, issuer, client_id, deployment_id, remove, **_):
        registration = LtiRegistration.objects.filter(issuer=issuer, client_id=client_id).first()
        if registration is None:
            raise CommandError(f"No registration for issuer {issuer!r}, client id "
                               f"{client_id!r}: run `lti register` first.")
        LtiDeployment.objects.update_or_create(registration=registration,
                                               deployment_id=deployment_id,
                                               defaults={"is_active": not remove})
        self.stdout.write(f"Deployment {deployment_id} {'removed' if remove else 'active'}.")
