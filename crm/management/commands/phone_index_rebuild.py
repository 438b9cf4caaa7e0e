from django.core.management.base import BaseCommand

from crm.phone_index import phone_index_rebuild


class Command(BaseCommand):
    help = "Rebuild the phone search index (after customers or contacts were written around the services)."

    def handle(self, *args, **options):
        self.stdout.write(f"{phone_index_rebuild()} phone hashes indexed")
