"""Imports over the API, as background jobs (crm.importing).

POST /api/v1/imports/{entity}/ stores the upload (encrypted) and answers 202
{"id", "status": "queued"}; GET /api/v1/imports/{id}/ follows it;
GET /api/v1/imports/{id}/errors.csv has every row error;
POST /api/v1/imports/{id}/cancel/ stops it (nothing written)."""
from __future__ import annotations

import json

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import CanEditCustomersOrReadOnly
from core.jobs import JobNotCancellable
from crm import selectors as crm_selectors
from crm.importing import ENTITIES, services, storage

ERROR_ROWS = inline_serializer("ImportErrorRow", {"row": serializers.IntegerField(),
                                                  "field": serializers.CharField(),
                                                  "message": serializers.CharField()}, many=True)
IMPORT = inline_serializer("Import", {
    "id": serializers.IntegerField(), "entity": serializers.CharField(), "status": serializers.CharField(),
    "dry_run": serializers.BooleanField(), "filename": serializers.CharField(),
    "progress": inline_serializer("ImportProgress", {"done": serializers.IntegerField(),
                                                     "total": serializers.IntegerField(allow_null=True)}),
    "summary": inline_serializer("ImportSummary", {"created": serializers.IntegerField(),
                                                   "updated": serializers.IntegerField(),
                                                   "unchanged": serializers.IntegerField(),
                                                   "errors": serializers.IntegerField()}),
    "written": serializers.BooleanField(), "error": serializers.CharField(),
    "rows": ERROR_ROWS, "created_at": serializers.DateTimeField(),
    "finished_at": serializers.DateTimeField(allow_null=True),
})


def import_representation(job, *, rows: bool = True) -> dict:
    summary = job.summary or {}
    return {
        "id": job.pk, "entity": job.params.get("entity"), "status": job.status,
        "dry_run": bool(job.params.get("dry_run")), "filename": job.params.get("filename", ""),
        "progress": {"done": job.progress_done, "total": job.progress_total},
        "summary": {k: summary.get(k, 0) for k in ("created", "updated", "unchanged", "errors")},
        "written": bool(summary.get("written")), "error": job.error,
        "rows": storage.errors_first(job=job) if rows else [],
        "created_at": job.created_at.isoformat(), "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


def _bool(value, default: bool) -> bool:
    if value in (None, ""):
        return default
    return str(value).lower() not in {"false", "0", "no", "off"}



class ImportView(APIView):
    permission_classes = [IsAuthenticated, CanEditCustomersOrReadOnly]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        parameters=[OpenApiParameter("entity", str, OpenApiParameter.PATH, enum=list(ENTITIES))],
        request={"multipart/form-data": inline_serializer("ImportUpload", {
            "file": serializers.FileField(),
            "mapping": serializers.CharField(required=False, help_text='JSON {"column header": "field"}; '
                                             "default: the headers recognised"),
            "dry_run": serializers.BooleanField(required=False, default=True),
            "team": serializers.CharField(required=False, help_text="team id or name for new customers "
                                          "(admins; default: the importing user's team)"),
        })},
        responses={202: inline_serializer("ImportQueued", {"id": serializers.IntegerField(),
                                                           "status": serializers.CharField()})},
    )
    def post(self, request, entity: str):
        """Queue an import job. Dry run by default (``dry_run=false`` writes).
        All-or-nothing: with ``dry_run=false`` any row error writes nothing and the job ends
        ``failed`` (its error says so; its summary and ``rows`` list the errors). 400 for a file
        that cannot be imported."""
        mapping = None
        if request.data.get("mapping"):
            try:
                mapping = json.loads(request.data["mapping"])
                if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
                    raise ValueError
            except ValueError:
                return Response({"mapping": [_('Send a JSON object {"column header": "field"}.')]}, status=400)
        team = None
        if request.data.get("team"):
            value = str(request.data["team"])
            team = crm_selectors.team_find(id_or_name=value)
            if team is None:
                return Response({"team": [_("No team %(name)s.") % {"name": value}]}, status=400)
        try:
            job = services.import_start(actor=request.user, entity=entity, upload=request.FILES.get("file"),
                                        mapping=mapping, dry_run=_bool(request.data.get("dry_run"), True),
                                        team=team, now=timezone.now(),
                                        request_bytes=int(request.META.get("CONTENT_LENGTH") or 0))
        except DjangoValidationError as exc:
            return Response(exc.message_dict, status=400)
        return Response({"id": job.pk, "status": job.status}, status=202)


class ImportDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: IMPORT})
    def get(self, request, pk: int):
        """Status, progress, summary and the first 1,000 row errors of an import.

        ``succeeded``: a dry run ended (``written`` false, its errors listed) or every row was
        written (``written`` true). ``failed``: nothing was written; ``error`` says why — rows
        with errors (then ``summary.errors`` and ``rows`` list them, created/updated/unchanged are
        0), an unreadable file, an expired preview or data changed since the preview."""
        return Response(import_representation(services.import_get_for_user(user=request.user, pk=pk)))


class ImportErrorsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={(200, "text/csv"): str})
    def get(self, request, pk: int):
        """Every row error of an import as CSV: row, field, message."""
        job = services.import_get_for_user(user=request.user, pk=pk)
        return storage.errors_csv_response(job=job)


class ImportCancelView(APIView):
    permission_classes = [IsAuthenticated, CanEditCustomersOrReadOnly]

    @extend_schema(request=None, responses={200: IMPORT})
    def post(self, request, pk: int):
        """Cancel a queued or running import: nothing is written. 409 once it has ended."""
        job = services.import_get_for_user(user=request.user, pk=pk)
        try:
            job = services.import_cancel(actor=request.user, job=job, now=timezone.now())
        except JobNotCancellable:
            return Response({"detail": _("This import has already ended.")}, status=409)
        return Response(import_representation(job, rows=False))
