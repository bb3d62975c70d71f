"""`python manage.py sandboxes ...`: learners' sandboxes on the lab shards.

  sandboxes list                      where each learner is placed, and when last active
  sandboxes evict [--idle-minutes M]  evict sandboxes idle longer than M (default
                                      LAB_SANDBOX_IDLE_MINUTES); --every S repeats every S s
  sandboxes memory [--count N]        measure one idle sandbox's memory with rest-api deployed
"""

import threading

from django.core.management.base import BaseCommand, CommandError

from sandboxes.eviction import sandboxes_evict
from sandboxes.models import Placement


class Command(BaseCommand):
    help = "Learners' sandboxes: placements, idle eviction, the memory of one idle sandbox."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True)
        commands.add_parser("list", help="each learner's shard and last activity")
        evict = commands.add_parser("evict", help="evict idle sandboxes (reset, forgotten)")
        evict.add_argument("--idle-minutes", type=float,
                           help="default: LAB_SANDBOX_IDLE_MINUTES (60)")
        evict.add_argument("--every", type=float, metavar="SECONDS",
                           help="keep running, one pass every SECONDS (for a supervisor)")
        memory = commands.add_parser("memory", help="RSS of a lab process per idle sandbox")
        memory.add_argument("--count", type=int, default=20)
        memory.add_argument("--pattern", default="rest-api")

    def handle(self, *args, command, **options):
        return getattr(self, command)(options)

    def list(self, options):
        for p in Placement.objects.order_by("shard_url", "learner"):
            self.stdout.write(f"{p.learner:<40} {p.shard_url:<28} "
                              f"{p.boot_id or '-':<16} {p.last_active:%Y-%m-%d %H:%M}")

    def evict(self, options):
        if options["every"] is not None and options["every"] <= 0:
            raise CommandError("--every is a number of seconds, more than 0")
        stop = threading.Event()
        while True:
            result = sandboxes_evict(idle_minutes=options["idle_minutes"])
            self.stdout.write(f"Evicted {len(result.evicted)} idle sandbox(es)"
                              + "".join(f"\n  {learner}" for learner in result.evicted))
            for learner, why in result.failed.items():
                self.stderr.write(f"  not evicted {learner}: {why}")
            if options["every"] is None or stop.wait(options["every"]):
                return

    def memory(self, options):
        from sandboxes.memory import idle_sandbox_memory

        if options["count"] < 1:
            raise CommandError("--count is 1 or more")
        figures = idle_sandbox_memory(count=options["count"], slug=options["pattern"],
                                      write=self.stdout.write)
        self.stdout.write("\n".join(f"{k:<32} {v}" for k, v in figures.items()))
