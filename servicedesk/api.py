"""The knowledge API: /api/knowledge/, searchable with ?q=; writes and moves go through the services."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from fits.api import BriefSerializer, ScopedInputSerializer, ScopedViewSet, UserBriefSerializer
from fits.models import School
from servicedesk import services
from servicedesk.catalogue_api import routes as catalogue_routes
from servicedesk.mail_api import routes as mail_routes
from servicedesk.models import Audience, KnowledgeArticle
from servicedesk.workbench_api import routes as workbench_routes


class KnowledgeArticleSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:knowledge-article-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    author = UserBriefSerializer(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    actions = serializers.SerializerMethodField(help_text="The workflow actions you may take now.")

    class Meta:
        model = KnowledgeArticle
        fields = (
            "id",
            "url",
            "display",
            "school",
            "title",
            "summary",
            "body",
            "audience",
            "status",
            "status_display",
            "author",
            "created_at",
            "updated_at",
            "published_at",
            "actions",
        )
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "title", "status")

    def get_actions(self, article: KnowledgeArticle) -> list[str]:
        request = self.context.get("request")
        return [t.name for t in KnowledgeArticle.WORKFLOW.available(request.user, article)] if request else []


class ArticleWriteSerializer(ScopedInputSerializer):
    """What it takes to write an article. `school` is a slug."""

    school = serializers.SlugRelatedField(slug_field="slug", queryset=School.objects.all())
    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)
    body = serializers.CharField()
    audience = serializers.ChoiceField(choices=Audience.choices, default=Audience.EVERYONE)


class ArticleUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    summary = serializers.CharField(max_length=300, required=False, allow_blank=True)
    body = serializers.CharField(required=False)
    audience = serializers.ChoiceField(choices=Audience.choices, required=False)


class ArticleTransitionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=sorted(KnowledgeArticle.WORKFLOW.actions))


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("q", str, description="Full-text search, best match first.")])
)
class KnowledgeArticleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Knowledge articles you may read: ICT users the published ones for everyone, support staff all.

    Write one with POST (it starts as a draft), edit it with PUT/PATCH, and `transition` it to publish
    or withdraw. Status is never written directly.
    """

    queryset = KnowledgeArticle.objects.none()
    serializer_class = KnowledgeArticleSerializer

    def get_queryset(self):
        articles = super().get_queryset().for_list()
        query = self.request.query_params.get("q", "").strip() if self.request else ""
        return articles.search(query) if query else articles.order_by("title")

    @extend_schema(request=ArticleWriteSerializer, responses={201: KnowledgeArticleSerializer})
    def create(self, request, *args, **kwargs):
        payload = ArticleWriteSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        article = services.article_create(author=request.user, **payload.validated_data)
        return Response(self.get_serializer(article).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ArticleUpdateSerializer, responses=KnowledgeArticleSerializer)
    def update(self, request, *args, **kwargs):
        article = self.get_object()
        payload = ArticleUpdateSerializer(data=request.data, partial=kwargs.get("partial", False))
        payload.is_valid(raise_exception=True)
        article = services.article_update(article=article, actor=request.user, **payload.validated_data)
        return Response(self.get_serializer(article).data)

    @extend_schema(request=ArticleUpdateSerializer, responses=KnowledgeArticleSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(request=ArticleTransitionSerializer, responses=KnowledgeArticleSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None, format=None):
        payload = ArticleTransitionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        article = services.article_transition(article=self.get_object(), actor=request.user, **payload.validated_data)
        return Response(self.get_serializer(article).data)


routes = [("knowledge", KnowledgeArticleViewSet, "knowledge-article")]
# The workbench: saved filters and queue counts (servicedesk/workbench_api.py).
routes += workbench_routes
# E-mail intake: inbound mail, read-only (servicedesk/mail_api.py).
routes += mail_routes
# The service catalogue and requests (servicedesk/catalogue_api.py).
routes += catalogue_routes
