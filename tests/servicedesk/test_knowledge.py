"""Knowledge (FITS Service Desk): articles, who reads them, search, the self-help suggestions."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from fits.workflow import InvalidTransition
from servicedesk import services
from servicedesk.models import ArticleStatus, KnowledgeArticle

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles(highfield, riverside, tech, tech2):
    def write(school, author, title, audience="everyone", publish=True, body="Press Source on the remote."):
        return services.article_create(
            school=school, author=author, title=title, body=body, audience=audience, publish=publish
        )

    return {
        "wifi": write(highfield, tech, "Connecting to the school Wi-Fi", body="Choose SCHOOL-STAFF and sign in."),
        "projector": write(highfield, tech, "The projector shows no signal"),
        "reimage": write(highfield, tech, "Re-imaging an ICT suite PC", audience="staff", body="Boot from network."),
        "draft": write(highfield, tech, "Draft about projectors", publish=False),
        "riverside": write(riverside, tech2, "Riverside projector guide"),
    }


def titles(queryset):
    return {article.title for article in queryset}


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        ("staff", {"wifi", "projector"}),
        ("tech", {"wifi", "projector", "reimage", "draft"}),
        ("desk", {"wifi", "projector", "reimage", "draft"}),
        ("leader", {"wifi", "projector", "reimage", "draft"}),
        ("tech2", {"riverside"}),
        ("outsider", set()),
        ("consultant", {"wifi", "projector", "reimage", "draft", "riverside"}),
        ("admin", {"wifi", "projector", "reimage", "draft", "riverside"}),
    ],
)
def test_audience_rule(viewer, expected, articles, cast):
    visible = KnowledgeArticle.objects.visible_to(cast[viewer])
    assert titles(visible) == {articles[key].title for key in expected}


def test_search_ranks_and_narrows(articles, highfield):
    found = list(KnowledgeArticle.objects.of_school(highfield.pk).published().search("projector signal"))
    assert [a.title for a in found][:1] == ["The projector shows no signal"]
    assert titles(KnowledgeArticle.objects.search("wi-fi")) == {"Connecting to the school Wi-Fi"}
    assert titles(KnowledgeArticle.objects.search("SCHOOL-STAFF sign")) == {"Connecting to the school Wi-Fi"}
    assert not KnowledgeArticle.objects.search("").exists()
    assert not KnowledgeArticle.objects.search("projector kettle").exists()
    assert "The projector shows no signal" in titles(
        KnowledgeArticle.objects.search("projector kettle", every_word=False)
    )
    # Words still being typed match on PostgreSQL (prefixes) and on SQLite (contains).
    assert "The projector shows no signal" in titles(KnowledgeArticle.objects.search("projec"))
    # Punctuation never reaches the database's query syntax.
    assert not KnowledgeArticle.objects.search("':* & | ! (").exists()


def test_services_and_permissions(highfield, riverside, tech, desk, netmgr, leader, staff, tech2):
    article = services.article_create(school=highfield, author=desk, title=" Printing ", body="Use FollowMe.")
    assert article.status == ArticleStatus.DRAFT and article.title == "Printing"
    services.article_create(school=highfield, author=netmgr, title="Backups", body="Nightly.")
    for person in (leader, staff, tech2):
        with pytest.raises(PermissionDenied):
            services.article_create(school=highfield, author=person, title="No", body="No.")
        with pytest.raises(PermissionDenied):
            services.article_transition(article=article, action="publish", actor=person)
    with pytest.raises(ValidationError):
        services.article_create(school=highfield, author=tech, title=" ", body="x")
    article = services.article_transition(article=article, action="publish", actor=tech)
    assert article.status == ArticleStatus.PUBLISHED and article.published_at
    with pytest.raises(InvalidTransition):
        services.article_transition(article=article, action="publish", actor=tech)
    article = services.article_update(article=article, actor=tech, summary="Copier printing")
    assert article.summary == "Copier printing" and article.history.count() >= 3
    with pytest.raises(ValidationError):
        services.article_update(article=article, actor=tech, status="draft")
    article = services.article_transition(article=article, action="withdraw", actor=desk)
    assert article.status == ArticleStatus.WITHDRAWN


def test_pages(articles, client_for, tech, staff, highfield):
    client = client_for(tech)
    response = client.get(reverse("knowledge_list"))
    assert response.status_code == 200 and "Re-imaging" in response.content.decode()
    response = client.get(reverse("knowledge_list") + "?q=projector")
    assert "The projector shows no signal" in response.content.decode()
    assert "Wi-Fi" not in response.content.decode()
    response = client.post(
        reverse("knowledge_create"),
        {"school": highfield.pk, "title": "Interactive panel pen", "body": "Charge it.", "audience": "everyone"},
    )
    article = KnowledgeArticle.objects.get(title="Interactive panel pen")
    assert response.status_code == 302 and article.status == ArticleStatus.DRAFT
    detail = client.get(article.get_absolute_url()).content.decode()
    assert reverse("knowledge_transition", args=[article.pk, "publish"]) in detail
    client.post(reverse("knowledge_transition", args=[article.pk, "publish"]))
    client.post(reverse("knowledge_edit", args=[article.pk]), {"title": "Panel pen", "body": "Charge it overnight.",
                                                              "audience": "everyone"})  # fmt: skip
    article.refresh_from_db()
    assert article.status == ArticleStatus.PUBLISHED and article.title == "Panel pen"

    reader = client_for(staff)
    assert reader.get(reverse("knowledge_detail", args=[articles["reimage"].pk])).status_code == 404
    assert reader.get(reverse("knowledge_detail", args=[articles["draft"].pk])).status_code == 404
    page = reader.get(reverse("knowledge_detail", args=[articles["projector"].pk])).content.decode()
    assert "Press Source" in page and "knowledge_transition" not in page and "/withdraw/" not in page
    assert reader.get(reverse("knowledge_create")).status_code == 302
    assert reader.get(reverse("knowledge_edit", args=[articles["projector"].pk])).status_code == 302
    reader.post(reverse("knowledge_transition", args=[articles["projector"].pk, "withdraw"]))
    assert KnowledgeArticle.objects.get(pk=articles["projector"].pk).status == ArticleStatus.PUBLISHED


def test_suggestions_while_logging(articles, client_for, staff):
    client = client_for(staff)
    form = client.get(reverse("incidents:create")).content.decode()
    assert reverse("knowledge_suggest") in form and "knowledge-suggestions" in form
    response = client.get(
        reverse("knowledge_suggest"), {"title": "projector in room 4 says no signal"}, HTTP_HX_REQUEST="true"
    )
    content = response.content.decode()
    assert response.status_code == 200 and "The projector shows no signal" in content
    assert "Draft about" not in content and "Riverside" not in content and "<html" not in content
    assert client.get(reverse("knowledge_suggest"), {"q": "re-imaging suite"}).content.decode().strip() == ""
    assert client.get(reverse("knowledge_suggest"), {"q": "pr"}).content.decode().strip() == ""


def test_html_is_escaped(highfield, tech, client_for):
    article = services.article_create(
        school=highfield,
        author=tech,
        title="<script>alert(1)</script>",
        body="<script>alert(2)</script>\n\nok",
        publish=True,
    )
    content = client_for(tech).get(article.get_absolute_url()).content.decode()
    assert "<script>alert" not in content and "&lt;script&gt;alert(2)" in content
    content = client_for(tech).get(reverse("knowledge_list")).content.decode()
    assert "<script>alert" not in content


def test_api(articles, api_for, tech, staff, highfield):
    api = api_for(staff)
    response = api.get("/api/knowledge/")
    assert {row["title"] for row in response.json()["results"]} == {articles["wifi"].title, articles["projector"].title}
    response = api.get("/api/knowledge/?q=projector")
    assert [row["title"] for row in response.json()["results"]] == [articles["projector"].title]
    assert (
        api.post("/api/knowledge/", {"school": "highfield", "title": "x", "body": "y"}, format="json").status_code
        == 403
    )
    assert api.post(f"/api/knowledge/{articles['projector'].pk}/transition/", {"action": "withdraw"},
                    format="json").status_code == 403  # fmt: skip

    api = api_for(tech)
    response = api.post("/api/knowledge/", {"school": "highfield", "title": "Logging in", "body": "Use your badge."},
                        format="json")  # fmt: skip
    assert response.status_code == 201 and response.json()["status"] == "draft"
    pk = response.json()["id"]
    assert api.patch(f"/api/knowledge/{pk}/", {"summary": "Badges"}, format="json").json()["summary"] == "Badges"
    response = api.post(f"/api/knowledge/{pk}/transition/", {"action": "publish"}, format="json")
    assert response.json()["status"] == "published" and response.json()["actions"] == ["withdraw"]
    assert api.post(f"/api/knowledge/{pk}/transition/", {"action": "publish"}, format="json").status_code == 400
    assert (
        api.post("/api/knowledge/", {"school": "riverside", "title": "x", "body": "y"}, format="json").status_code
        == 400
    )
    assert api.get(f"/api/knowledge/{articles['riverside'].pk}/").status_code == 404
