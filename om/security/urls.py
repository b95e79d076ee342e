"""Security Administration pages (om/security/views.py)."""

from django.urls import path

from om.security import views

app_name = "security"

urlpatterns = [
    # The breach log
    path("breaches/", views.BreachListView.as_view(), name="breach_list"),
    path("breaches/new/", views.BreachCreateView.as_view(), name="breach_create"),
    path("breaches/<int:pk>/", views.BreachDetailView.as_view(), name="breach_detail"),
    path("breaches/<int:pk>/edit/", views.BreachUpdateView.as_view(), name="breach_edit"),
    path("breaches/<int:pk>/transition/", views.BreachTransitionView.as_view(), name="breach_transition"),
    path("breaches/<int:pk>/report/", views.BreachReportView.as_view(), name="breach_report"),
    path("breaches/<int:pk>/actions/", views.BreachAddActionView.as_view(), name="breach_action_add"),
    path("breach-actions/<int:pk>/done/", views.BreachActionDoneView.as_view(), name="breach_action_done"),
    # The firewall and filtering rule register
    path("rules/", views.RuleListView.as_view(), name="rule_list"),
    path("rules/new/", views.RuleCreateView.as_view(), name="rule_create"),
    path("rules/<int:pk>/", views.RuleDetailView.as_view(), name="rule_detail"),
    path("rules/<int:pk>/edit/", views.RuleUpdateView.as_view(), name="rule_edit"),
    path("rules/<int:pk>/review/", views.RuleReviewView.as_view(), name="rule_review"),
    # Antivirus
    path("antivirus/", views.AntivirusView.as_view(), name="antivirus"),
    # Administrator accounts and access reviews
    path("accounts/", views.AccountListView.as_view(), name="account_list"),
    path("accounts/new/", views.AccountCreateView.as_view(), name="account_create"),
    path("accounts/import/", views.AccountImportView.as_view(), name="account_import"),
    path("accounts/<int:pk>/remove/", views.AccountRemoveView.as_view(), name="account_remove"),
    path("reviews/start/", views.ReviewStartView.as_view(), name="review_start"),
    path("reviews/<int:pk>/", views.ReviewDetailView.as_view(), name="review_detail"),
    path("reviews/<int:pk>/sign-off/", views.ReviewSignOffView.as_view(), name="review_sign_off"),
    path("review-items/<int:pk>/decide/", views.ReviewDecideView.as_view(), name="review_decide"),
    # Which categories hold security incidents
    path("categories/", views.CategoryListView.as_view(), name="categories"),
    path("categories/<int:pk>/security/", views.CategoryMarkView.as_view(), name="category_mark"),
]
