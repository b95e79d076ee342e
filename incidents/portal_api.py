"""The caller's side of the incidents API: confirm with a rating, and attachments (multipart upload, download).

`PortalActions` is mixed into incidents.api.IncidentViewSet, so these are actions on
/api/incidents/{id}/: `confirm/`, `attachments/` (GET the list, POST files as multipart/form-data
under the name `files`) and `attachments/{attachment_id}/` (the file, as a download).
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.reverse import reverse

from fits import access
from fits.api import UserBriefSerializer
from fits.attachments import MAX_FILES, as_download, attachments_of
from fits.models import Attachment
from incidents import services
from incidents.models import Satisfaction


class AttachmentSerializer(serializers.ModelSerializer):
    uploaded_by = UserBriefSerializer(read_only=True)
    download = serializers.SerializerMethodField(help_text="The file, served as a download.")

    class Meta:
        model = Attachment
        fields = ("id", "name", "media_type", "size", "public", "uploaded_by", "created_at", "download")
        read_only_fields = fields

    def get_download(self, attachment: Attachment) -> str:
        return reverse(
            "api:incident-attachment",
            kwargs={"pk": attachment.object_id, "attachment_id": attachment.pk},
            request=self.context.get("request"),
        )


class AttachmentUploadSerializer(serializers.Serializer):
    files = serializers.ListField(
        child=serializers.FileField(), min_length=1, max_length=MAX_FILES, help_text="Send as multipart/form-data."
    )
    public = serializers.BooleanField(default=True, help_text="False: an internal file only support staff see.")


class ConfirmSerializer(serializers.Serializer):
    satisfaction = serializers.ChoiceField(
        choices=Satisfaction.choices,
        required=False,
        allow_null=True,
        default=None,
        help_text="The caller's rating: 1 (very poor) to 5 (excellent); optional.",
    )
    comment = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)


class PortalActions:
    """Actions of IncidentViewSet for the caller's side (mixed in; see the module docstring)."""

    @extend_schema(request=ConfirmSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None, format=None):
        """The caller confirms the resolution with a rating: the incident closes."""
        incident = self.get_object()  # another school's answers 404 before anything is validated
        payload = ConfirmSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        incident = services.incident_confirm(incident=incident, actor=request.user, **payload.validated_data)
        return Response(self.get_serializer(incident).data)

    @extend_schema(methods=["GET"], responses=AttachmentSerializer(many=True))
    @extend_schema(
        methods=["POST"], request=AttachmentUploadSerializer, responses={201: AttachmentSerializer(many=True)}
    )
    @action(detail=True, methods=["get", "post"], parser_classes=[MultiPartParser, FormParser, JSONParser])
    def attachments(self, request, pk=None, format=None):
        """The incident's files (GET), or attach up to five (POST, multipart: `files`, each checked by content)."""
        incident = self.get_object()
        staff = access.can_see_internal_notes.test(request.user, incident)
        if request.method == "GET":
            files = attachments_of(incident, include_internal=staff)
            return Response(AttachmentSerializer(files, many=True, context=self.get_serializer_context()).data)
        payload = AttachmentUploadSerializer(data={"files": request.FILES.getlist("files"), **_flags(request)})
        payload.is_valid(raise_exception=True)
        added = services.incident_attach(
            incident=incident,
            actor=request.user,
            uploads=payload.validated_data["files"],
            public=payload.validated_data["public"] or not staff,
        )
        data = AttachmentSerializer(added, many=True, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path=r"attachments/(?P<attachment_id>\d+)", url_name="attachment")
    def attachment(self, request, pk=None, attachment_id=None, format=None):
        """One of the incident's files, as a download (never inline)."""
        incident = self.get_object()
        staff = access.can_see_internal_notes.test(request.user, incident)
        found = attachments_of(incident, include_internal=staff).filter(pk=attachment_id).first()
        if found is None:
            raise NotFound("No such attachment.")
        try:
            return as_download(found)
        except FileNotFoundError:
            raise NotFound("The file is missing from storage.") from None


def _flags(request) -> dict:
    return {"public": request.data["public"]} if "public" in request.data else {}
