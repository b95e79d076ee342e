"""The inbound mail API: /api/inbound-messages/, read-only (support staff of the school).

The desk's decisions (accept, discard, retry) are on the pages; the API reads what arrived and
what became of it, filtered like the page (`?outcome=held&outcome=failed`, `?q=`, `?school=`).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from fits.api import BriefSerializer, ScopedReadOnlyViewSet
from servicedesk import mail
from servicedesk.mail_filters import InboundMessageFilterSet
from servicedesk.models import InboundMessage


class MessageTicketSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    url = serializers.HyperlinkedIdentityField(view_name="api:incident-detail", read_only=True)
    reference = serializers.CharField(read_only=True)
    display = serializers.CharField(source="__str__", read_only=True)


class AttachmentInfoSerializer(serializers.Serializer):
    name = serializers.CharField()
    media_type = serializers.CharField()
    size = serializers.IntegerField()


class InboundMessageSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:inbound-message-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    outcome_display = serializers.CharField(source="get_outcome_display", read_only=True)
    source_display = serializers.CharField(source="get_source_display", read_only=True)
    ticket = MessageTicketSerializer(read_only=True, allow_null=True)
    error = serializers.CharField(read_only=True, help_text="Why it failed, or why it was ignored, held or rejected.")

    class Meta:
        model = InboundMessage
        fields = (
            "id",
            "url",
            "display",
            "school",
            "source",
            "source_display",
            "received_at",
            "message_id",
            "sender",
            "subject",
            "outcome",
            "outcome_display",
            "error",
            "ticket",
        )
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "outcome")


class InboundMessageDetailSerializer(InboundMessageSerializer):
    """One message, with its text and the files it carried (read from the raw message kept)."""

    text = serializers.SerializerMethodField(help_text="The message's text (HTML converted to text).")
    attachments = serializers.SerializerMethodField()
    size = serializers.SerializerMethodField(help_text="Bytes of the raw message.")

    class Meta(InboundMessageSerializer.Meta):
        fields = (*InboundMessageSerializer.Meta.fields, "size", "text", "attachments")
        read_only_fields = fields

    def _parsed(self, message: InboundMessage) -> mail.ParsedMessage | None:
        if not hasattr(message, "_parsed"):
            try:
                message._parsed = mail.parse_message(bytes(message.raw))
            except mail.UnreadableMessage:
                message._parsed = None
        return message._parsed

    def get_text(self, message: InboundMessage) -> str:
        parsed = self._parsed(message)
        return parsed.text if parsed else ""

    @extend_schema_field(AttachmentInfoSerializer(many=True))
    def get_attachments(self, message: InboundMessage) -> list[dict]:
        parsed = self._parsed(message)
        items = parsed.attachments if parsed else []
        return [{"name": item.name, "media_type": item.media_type, "size": item.size} for item in items]

    def get_size(self, message: InboundMessage) -> int:
        return len(bytes(message.raw))


class InboundMessageViewSet(ScopedReadOnlyViewSet):
    """E-mail received at your schools' support addresses (support staff): held and failed first, then
    the newest. Never the mail of a ticket you may not see."""

    queryset = InboundMessage.objects.none()
    serializer_class = InboundMessageSerializer
    filterset_class = InboundMessageFilterSet

    def get_queryset(self):
        messages = mail.inbound_for(super().get_queryset(), self.request.user).select_related("school", "ticket")
        if self.action == "list":
            messages = mail.inbound_order(messages.defer("raw"))
        return messages

    def get_serializer_class(self):
        return InboundMessageDetailSerializer if self.action == "retrieve" else InboundMessageSerializer


routes = [("inbound-messages", InboundMessageViewSet, "inbound-message")]
