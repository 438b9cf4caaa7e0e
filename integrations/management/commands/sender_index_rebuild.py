from django.core.management.base import BaseCommand

from integrations.services import sender_index_rebuild


class Command(BaseCommand):
    help = "Rebuild the e-mail sender index (after customers or contacts were written around the services)."

    def handle(self, *args, **options):
        self.stdout.write(f"{sender_index_rebuild()} addresses indexed")
