"""REST API of the job mechanism: read a job, cancel it. Parse, call, render."""
from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core import jobs, selectors
from core.models import Job


class JobProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField(source="progress_done")
    total = serializers.IntegerField(source="progress_total", allow_null=True)


class JobSerializer(serializers.ModelSerializer):
    progress = JobProgressSerializer(source="*")
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    summary = serializers.DictField()

    class Meta:
        model = Job
        fields = ["id", "kind", "status", "params", "progress", "summary", "error", "created_by", "created_at",
                  "started_at", "heartbeat_at", "finished_at", "attempts"]
        read_only_fields = fields


class JobDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: JobSerializer, 404: OpenApiResponse(description="Not in the caller's scope.")})
    def get(self, request, pk: int):
        """A background job (recompute, import …): status, progress ``{done, total}``, summary and error.

        Readable by its creator, the team lead of the creator's team and admins."""
        return Response(JobSerializer(selectors.job_get_for_user(user=request.user, pk=pk)).data)


class JobCancelView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={
        200: JobSerializer, 404: OpenApiResponse(description="Not in the caller's scope."),
        409: OpenApiResponse(description="The job already ended.")})
    def post(self, request, pk: int):
        """Cancel a queued or running job: a queued one never starts; a running one stops
        at its next progress step and writes nothing."""
        job = selectors.job_get_for_user(user=request.user, pk=pk)
        try:
            job = jobs.job_cancel(job=job, actor=request.user, now=timezone.now())
        except jobs.JobNotCancellable:
            return Response({"detail": "The job already ended.", "status": job.status},
                            status=status.HTTP_409_CONFLICT)
        return Response(JobSerializer(job).data)
