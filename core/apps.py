from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self):
        from django.db import models
        from rest_framework import serializers

        from core.api_fields import DateTimeField

        # Every model serializer of every app renders and parses date-times the one safe way.
        serializers.ModelSerializer.serializer_field_mapping[models.DateTimeField] = DateTimeField
