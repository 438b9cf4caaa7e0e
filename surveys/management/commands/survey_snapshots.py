"""``manage.py survey_snapshots [--days N]``: rebuild the daily survey snapshots of
the last N days (default: a link's lifetime + 1, as the nightly beat does).
Idempotent: each day is deleted and inserted again in one transaction. Run it
after loading demo data, once segmentation has tiered the customers."""
from django.core.management.base import BaseCommand
from django.utils import timezone

from surveys import services


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None)

    def handle(self, *args, days=None, **options):
        rows = services.snapshots_rebuild_recent(now=timezone.now(), days=days)
        self.stdout.write(f"survey snapshots rebuilt: {rows} rows")
