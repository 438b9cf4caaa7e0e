"""POST /api/v1/imports/{entity}/ — CSV/XLSX import with dry run and a row-by-row report."""
from __future__ import annotations

import json

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import CanEditCustomersOrReadOnly
from crm import importing

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class ImportView(APIView):
    permission_classes = [IsAuthenticated, CanEditCustomersOrReadOnly]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        parameters=[OpenApiParameter("entity", str, OpenApiParameter.PATH, enum=list(importing.ENTITIES))],
        request={"multipart/form-data": inline_serializer("ImportUpload", {
            "file": serializers.FileField(),
            "mapping": serializers.CharField(required=False, help_text='JSON {"column header": "field"}'),
            "dry_run": serializers.BooleanField(required=False, default=True),
        })},
        responses={200: inline_serializer("ImportReport", {"written": serializers.BooleanField(),
                                                           "summary": serializers.DictField(),
                                                           "rows": serializers.ListField()})},
    )
    def post(self, request, entity: str):
        """Dry run by default (``dry_run=false`` writes). All-or-nothing: any row error writes nothing."""
        upload = request.FILES.get("file")
        if upload is None:
            return Response({"file": ["Upload a CSV or XLSX file."]}, status=400)
        if upload.size > MAX_UPLOAD_BYTES:
            return Response({"file": ["The file is larger than 20 MB."]}, status=400)
        mapping = None
        if request.data.get("mapping"):
            try:
                mapping = json.loads(request.data["mapping"])
                assert isinstance(mapping, dict)
            except (ValueError, AssertionError):
                return Response({"mapping": ['Send a JSON object {"column header": "field"}.']}, status=400)
        dry_run = str(request.data.get("dry_run", "true")).lower() not in {"false", "0", "no"}
        try:
            rows = importing.read_table(content=upload.read(), filename=upload.name)
        except Exception:  # noqa: BLE001 - any unreadable file is the user's error, reported plainly
            return Response({"file": ["The file could not be read as CSV or XLSX."]}, status=400)
        report = importing.import_run(actor=request.user, entity=entity, rows=rows, mapping=mapping,
                                      dry_run=dry_run, now=timezone.now())
        return Response(report.as_dict(), status=200 if report.ok else 400)
