"""Every operation of the Service Desk's own records: knowledge articles (write, edit, publish,
withdraw) and the service catalogue with its requests (items, logging, approval, fulfilment tasks).

Each operation is one transaction that checks the permission (fits.access) and, for moves, the
transition table; request moves write the ticket's timeline and notify after commit. Knowledge
articles' field history is kept by django-simple-history.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from fits import access, activity
from fits.models import Activity, School, User
from incidents.models import Channel, Impact, Incident, ResolutionCode, Status, TicketKind, Urgency
from servicedesk.handlers import request_handled, request_handlers
from servicedesk.models import (
    Approval,
    Approver,
    Audience,
    FieldType,
    FulfilmentTask,
    KnowledgeArticle,
    RequestType,
    ServiceRequest,
)

EDITABLE = ("title", "summary", "body", "audience")


def _clean(fields: dict) -> dict:
    cleaned = {name: value.strip() if isinstance(value, str) else value for name, value in fields.items()}
    if "title" in cleaned and not cleaned["title"]:
        raise ValidationError({"title": "Give the article a title."})
    if "body" in cleaned and not cleaned["body"]:
        raise ValidationError({"body": "Write the article: what to do, step by step."})
    if "audience" in cleaned and cleaned["audience"] not in Audience.values:
        raise ValidationError({"audience": "Choose who the article is for."})
    return cleaned


@transaction.atomic
def article_create(
    *,
    school: School,
    author: User,
    title: str,
    body: str,
    summary: str = "",
    audience: str = Audience.EVERYONE,
    publish: bool = False,
) -> KnowledgeArticle:
    """Write a knowledge article at a school (FITS Service Desk: the knowledge base). It starts as a draft."""
    access.require(access.can_write_articles, author, school, "You cannot write knowledge articles at this school.")
    fields = _clean({"title": title, "summary": summary, "body": body, "audience": audience})
    article = KnowledgeArticle.objects.create(school=school, author=author, **fields)
    if publish:
        article = article_transition(article=article, action="publish", actor=author)
    return article


def _locked(article: KnowledgeArticle) -> KnowledgeArticle:
    return KnowledgeArticle.objects.select_for_update().get(pk=article.pk)


@transaction.atomic
def article_update(*, article: KnowledgeArticle, actor: User, **fields) -> KnowledgeArticle:
    """Edit an article's words or audience; its status moves only by article_transition."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError(f"These cannot be changed here: {', '.join(sorted(unknown))}.")
    article = _locked(article)
    access.require(access.can_write_articles, actor, article, "You cannot edit this article.")
    changed = [name for name, value in _clean(fields).items() if getattr(article, name) != value]
    for name in changed:
        setattr(article, name, _clean({name: fields[name]})[name])
    if changed:
        article.save(update_fields=[*changed, "updated_at"])
    return article


@transaction.atomic
def article_transition(*, article: KnowledgeArticle, action: str, actor: User) -> KnowledgeArticle:
    """Publish an article (readers of its audience find it) or withdraw it, by KnowledgeArticle.WORKFLOW."""
    article = _locked(article)
    transition = KnowledgeArticle.WORKFLOW.check_action(article.status, action)
    access.require(transition.permission, actor, article, f"You cannot {transition.label.lower()} this article.")
    article.status = transition.target
    fields = ["status", "updated_at"]
    if action == "publish":
        article.published_at = timezone.now()
        fields.append("published_at")
    article.save(update_fields=fields)
    return article


# =============================================================================
# Service catalogue and requests
# =============================================================================
#
# A service request is a ticket (incidents.Incident of kind "request": REQ-000123, the same queues,
# lifecycle and timeline as incidents) plus its ServiceRequest: the catalogue item asked for and the
# answers to its form. Items that need approval start awaiting approval; the approver the item names
# (a school leader or the network manager, never the requester) approves (the ticket joins the queue)
# or declines (it closes as declined). Fulfilment tasks come from the item's templates; when the last
# one is done the ticket is resolved as fulfilled, and the requester confirms it or reopens it, as for
# any incident.

QUESTION_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
QUESTION_SETTINGS = {"name", "label", "type", "required", "help", "choices", "multiple", "min", "max", "not_before"}
MAX_QUESTIONS = 30
MAX_CHOICES = 50
MAX_TASKS = 20
# The longest answer each kind of text question takes.
TEXT_LIMITS = {FieldType.TEXT: 200, FieldType.TEXTAREA: 4000, FieldType.EMAIL: 254}
YES = {"yes", "y", "true", "on", "1"}
NO = {"no", "n", "false", "off", "0"}
REQUIRED = "This question needs an answer."
REQUEST_TYPE_EDITABLE = (
    "name",
    "summary",
    "category",
    "fields",
    "tasks",
    "needs_approval",
    "approver",
    "response_hours",
    "fulfil_days",
    "staff_only",
    "handler",
)


def question_name(label: str) -> str:
    """A question's answer key made from its label: "Laptop or projector?" -> "laptop_or_projector"."""
    name = re.sub(r"[^a-z0-9]+", "_", slugify(label).replace("-", "_")).strip("_")[:40].strip("_")
    if not name or not name[0].isalpha():
        name = f"q_{name}"[:40].strip("_")
    return name


def _question_error(number: int, label: str, message: str) -> ValidationError:
    """An error about one question, saying which (the editor shows it beside that question too)."""
    where = f"Question {number}" + (f" (“{label}”)" if label else "")
    return ValidationError(f"{where}: {message}", code="question", params={"question": number})


def _number(value: Any) -> Decimal | None:
    """A finite number from an int, float, Decimal or text ("2", "2.5"); None if it is not one."""
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _plain_number(number: Decimal) -> int | float:
    return int(number) if number == number.to_integral_value() else float(number)


def request_type_fields_clean(fields: Any) -> list[dict[str, Any]]:
    """Check the questions of a catalogue item's form and return them tidied.

    Each question is {"name", "label", "type", "required", "help"}, plus "choices" (a list) and
    "multiple" for a choice, "min"/"max" for a number, and "not_before" ("today" or the name of an
    earlier date question) for a date. A missing name is made from the label. Every problem is
    reported at once, each naming its question.
    """
    if fields in (None, ""):
        return []
    if not isinstance(fields, list | tuple):
        raise ValidationError({"fields": "The questions must be a list."})
    if len(fields) > MAX_QUESTIONS:
        raise ValidationError({"fields": f"A form can ask at most {MAX_QUESTIONS} questions."})
    errors: list[ValidationError] = []
    cleaned: list[dict[str, Any]] = []
    names: set[str] = set()
    dates: set[str] = set()
    for number, raw in enumerate(fields, start=1):
        if not isinstance(raw, dict):
            errors.append(_question_error(number, "", "each question must be an object with a label and a type."))
            continue
        label = str(raw.get("label") or "").strip()
        problems = []
        unknown = sorted(set(raw) - QUESTION_SETTINGS)
        if unknown:
            problems.append(f"unknown setting {', '.join(unknown)}.")
        if not label:
            problems.append("give it a label (the question the user reads).")
        elif len(label) > 200:
            problems.append("keep the label under 200 characters.")
        name = str(raw.get("name") or "").strip() or (question_name(label) if label else "")
        if name and not QUESTION_NAME.match(name):
            problems.append(
                f"the answer key “{name}” must start with a letter and use only lower-case letters, digits and _."
            )
        elif name in names:
            problems.append(f"the answer key “{name}” is used by another question; give each its own.")
        kind = raw.get("type")
        if kind not in FieldType.values:
            known = ", ".join(FieldType.values)
            problems.append(f"choose a type (one of {known}), not “{kind}”." if kind else f"choose a type ({known}).")
        required = raw.get("required", False)
        if not isinstance(required, bool):
            problems.append("“required” is true or false.")
        question: dict[str, Any] = {
            "name": name,
            "label": label,
            "type": kind,
            "required": required is True,
            "help": str(raw.get("help") or "").strip()[:300],
        }
        choices = raw.get("choices")
        if kind == FieldType.CHOICE:
            if isinstance(choices, str):
                choices = choices.splitlines()
            options = [str(choice).strip() for choice in choices or [] if str(choice).strip()]
            if not options:
                problems.append("a choice question needs its choices, one per line.")
            elif len(options) > MAX_CHOICES:
                problems.append(f"offer at most {MAX_CHOICES} choices.")
            elif len({option.lower() for option in options}) != len(options):
                problems.append("each choice must be different.")
            elif any(len(option) > 100 for option in options):
                problems.append("keep each choice under 100 characters.")
            question["choices"] = options
            question["multiple"] = raw.get("multiple") is True
        elif choices:
            problems.append("only a choice question has choices: clear them or make it a choice.")
        if kind == FieldType.NUMBER:
            limits = {}
            for limit in ("min", "max"):
                if raw.get(limit) not in (None, ""):
                    value = _number(raw[limit])
                    if value is None:
                        problems.append(f"its {limit}imum must be a number.")
                    else:
                        limits[limit] = _plain_number(value)
            if len(limits) == 2 and limits["min"] > limits["max"]:
                problems.append("its minimum is more than its maximum.")
            question.update(limits)
        elif any(raw.get(limit) not in (None, "") for limit in ("min", "max")):
            problems.append("only a number question has a minimum or maximum.")
        not_before = str(raw.get("not_before") or "").strip()
        if not_before and kind != FieldType.DATE:
            problems.append("only a date question has a “not before”.")
        elif not_before and not_before != "today" and not_before not in dates:
            problems.append("“not before” is “today” or the answer key of an earlier date question.")
        elif not_before:
            question["not_before"] = not_before
        if kind == FieldType.DATE and name:
            dates.add(name)
        if name:
            names.add(name)
        errors += [_question_error(number, label, problem) for problem in problems]
        cleaned.append(question)
    if errors:
        raise ValidationError({"fields": errors})
    return cleaned


def request_type_tasks_clean(tasks: Any, *, school: School) -> list[dict[str, Any]]:
    """Check the fulfilment task templates of a catalogue item: each {"title", "group" (a support group id)}."""
    from incidents.models import SupportGroup

    if tasks in (None, ""):
        return []
    if not isinstance(tasks, list | tuple):
        raise ValidationError({"tasks": "The tasks must be a list."})
    if len(tasks) > MAX_TASKS:
        raise ValidationError({"tasks": f"A request can start with at most {MAX_TASKS} tasks."})
    errors, cleaned = [], []
    for number, raw in enumerate(tasks, start=1):
        raw = {"title": raw} if isinstance(raw, str) else raw
        if not isinstance(raw, dict):
            errors.append(f"Task {number}: give it a title.")
            continue
        title = str(raw.get("title") or "").strip()
        if not title:
            errors.append(f"Task {number}: give it a title, e.g. Create the account.")
        elif len(title) > 200:
            errors.append(f"Task {number}: keep the title under 200 characters.")
        unknown = sorted(set(raw) - {"title", "group"})
        if unknown:
            errors.append(f"Task {number}: unknown setting {', '.join(unknown)}.")
        group_id = raw.get("group")
        if group_id in (None, ""):
            group_id = None
        else:
            group = SupportGroup.objects.filter(pk=_number(group_id) or 0, is_active=True).first()
            if group is None or not group.applies_at(school):
                errors.append(f"Task {number}: the support group must be one that works at {school}.")
            else:
                group_id = group.pk
        cleaned.append({"title": title, "group": group_id})
    if errors:
        raise ValidationError({"tasks": errors})
    return cleaned


def _request_type_clean(values: dict[str, Any], *, school: School, exclude_pk: int | None = None) -> dict[str, Any]:
    """Check a catalogue item's settings together (approval needs an approver; the name is unique)."""
    errors: dict[str, Any] = {}
    values = {name: value.strip() if isinstance(value, str) else value for name, value in values.items()}
    name = values["name"]
    if not name:
        errors["name"] = "Give the item a name, e.g. Borrow a laptop."
    elif len(name) > 100:
        errors["name"] = "Keep the name under 100 characters."
    elif RequestType.objects.filter(school=school, name__iexact=name).exclude(pk=exclude_pk).exists():
        errors["name"] = f"{school} already has a catalogue item called “{name}”."
    if not values["summary"]:
        errors["summary"] = "Say in one sentence what the user gets."
    elif len(values["summary"]) > 300:
        errors["summary"] = "Keep the summary under 300 characters."
    category = values.get("category")
    if category is not None and (not category.applies_at(school) or category.applies_to not in ("", "request")):
        errors["category"] = f"{category} is not a category for requests at {school}."
    if values["needs_approval"]:
        if values["approver"] not in Approver.values:
            errors["approver"] = "Say who approves it: a school leader or the network manager."
    else:
        values["approver"] = ""
    for field, most, unit in (("response_hours", 500, "hours"), ("fulfil_days", 365, "days")):
        target = values.get(field)
        if target in ("", None):
            values[field] = None
        elif isinstance(target, bool) or _number(target) is None or not 1 <= _number(target) <= most:
            errors[field] = f"A target between 1 and {most} {unit}, or none."
        else:
            values[field] = int(_number(target))
    values["handler"] = values.get("handler") or ""
    if values["handler"] and values["handler"] not in request_handlers():
        errors["handler"] = f"“{values['handler']}” is not something an operations function here carries out."
    for field, cleaner in (
        ("fields", request_type_fields_clean),
        ("tasks", lambda tasks: request_type_tasks_clean(tasks, school=school)),
    ):
        try:
            values[field] = cleaner(values[field])
        except ValidationError as error:
            errors.update(error.error_dict)
    if errors:
        raise ValidationError(errors)
    return values


@transaction.atomic
def request_type_create(
    *,
    school: School,
    actor: User,
    name: str,
    summary: str,
    fields: Any = (),
    tasks: Any = (),
    category: Any = None,
    needs_approval: bool = False,
    approver: str = "",
    response_hours: int | None = None,
    fulfil_days: int | None = None,
    staff_only: bool = False,
    handler: str = "",
) -> RequestType:
    """Add an item to the school's service catalogue (FITS Service Level: what users can ask for,
    with its own form, approval, fulfilment tasks and targets)."""
    access.require(access.can_manage_catalogue, actor, school, "You cannot change the service catalogue here.")
    values = _request_type_clean(
        {
            "name": name,
            "summary": summary,
            "category": category,
            "fields": fields,
            "tasks": tasks,
            "needs_approval": bool(needs_approval),
            "approver": approver,
            "response_hours": response_hours,
            "fulfil_days": fulfil_days,
            "staff_only": bool(staff_only),
            "handler": handler,
        },
        school=school,
    )
    return RequestType.objects.create(school=school, **values)


def _locked_type(request_type: RequestType) -> RequestType:
    return RequestType.objects.select_for_update().get(pk=request_type.pk)


@transaction.atomic
def request_type_update(*, request_type: RequestType, actor: User, **changes: Any) -> RequestType:
    """Change a catalogue item. Requests already made keep the answers they were given."""
    unknown = set(changes) - set(REQUEST_TYPE_EDITABLE)
    if unknown:
        raise ValidationError(f"These cannot be changed here: {', '.join(sorted(unknown))}.")
    request_type = _locked_type(request_type)
    access.require(access.can_manage_catalogue, actor, request_type, "You cannot change the service catalogue here.")
    values = {name: getattr(request_type, name) for name in REQUEST_TYPE_EDITABLE}
    values.update(changes)
    values = _request_type_clean(values, school=request_type.school, exclude_pk=request_type.pk)
    changed = [name for name in REQUEST_TYPE_EDITABLE if getattr(request_type, name) != values[name]]
    for name in changed:
        setattr(request_type, name, values[name])
    if changed:
        request_type.save(update_fields=changed)
    return request_type


@transaction.atomic
def request_type_retire(*, request_type: RequestType, actor: User) -> RequestType:
    """Take an item out of the catalogue: nobody can request it any more; requests made carry on."""
    request_type = _locked_type(request_type)
    access.require(access.can_manage_catalogue, actor, request_type, "You cannot change the service catalogue here.")
    if request_type.is_active:
        request_type.is_active = False
        request_type.save(update_fields=["is_active"])
    return request_type


@transaction.atomic
def request_type_reinstate(*, request_type: RequestType, actor: User) -> RequestType:
    """Offer a retired item again."""
    request_type = _locked_type(request_type)
    access.require(access.can_manage_catalogue, actor, request_type, "You cannot change the service catalogue here.")
    if not request_type.is_active:
        request_type.is_active = True
        request_type.save(update_fields=["is_active"])
    return request_type


# --- Answers ---------------------------------------------------------------------


def _parse_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, pattern).date()  # noqa: DTZ007  (a calendar date, no time)
        except ValueError:
            continue
    return None


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value in ([], ())


def _answer(question: dict[str, Any], value: Any) -> Any:
    """One answer checked against its question and tidied for storing (JSON): raises ValidationError."""
    kind = question["type"]
    if kind in TEXT_LIMITS:
        if isinstance(value, dict | list | bool):
            raise ValidationError("Write the answer as text.")
        text = str(value).strip()
        limit = TEXT_LIMITS[kind]
        if len(text) > limit:
            raise ValidationError(f"Keep it under {limit} characters (this is {len(text)}).")
        if kind == FieldType.EMAIL:
            try:
                validate_email(text)
            except ValidationError:
                raise ValidationError("Enter an e-mail address, e.g. name@school.sch.uk.") from None
        return text
    if kind == FieldType.CHOICE:
        canonical = {choice.lower(): choice for choice in question["choices"]}
        listed = ", ".join(question["choices"])
        if question.get("multiple"):
            values = value if isinstance(value, list | tuple) else [value]
            picked = set()
            for item in values:
                if _is_blank(item):
                    continue
                choice = canonical.get(str(item).strip().lower())
                if choice is None:
                    raise ValidationError(f"“{item}” is not one of the choices: {listed}.")
                picked.add(choice)
            if not picked:
                raise ValidationError(REQUIRED)
            return [choice for choice in question["choices"] if choice in picked]
        choice = canonical.get(str(value).strip().lower()) if not isinstance(value, list | dict) else None
        if choice is None:
            raise ValidationError(f"Choose one of: {listed}.")
        return choice
    if kind == FieldType.DATE:
        day = _parse_date(value)
        if day is None:
            raise ValidationError("Enter a date, e.g. 24/11/2026.")
        return day
    if kind == FieldType.NUMBER:
        number = _number(value)
        if number is None:
            raise ValidationError("Enter a number, e.g. 3.")
        if "min" in question and number < Decimal(str(question["min"])):
            raise ValidationError(f"Enter a number of at least {question['min']}.")
        if "max" in question and number > Decimal(str(question["max"])):
            raise ValidationError(f"Enter a number of at most {question['max']}.")
        return _plain_number(number)
    if kind == FieldType.YES_NO:
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in YES:
            return True
        if word in NO:
            return False
        raise ValidationError("Answer yes or no.")
    raise ValidationError(f"This question has an unknown type ({kind}).")


def request_answers_clean(*, request_type: RequestType, answers: Any) -> dict[str, Any]:
    """The answers to an item's form, checked question by question, ready to store.

    Raises ValidationError keyed by each question's name (so pages show each error beside its
    question and the API under its answer key); unanswered optional questions are left out.
    """
    if answers is None:
        answers = {}
    if not isinstance(answers, dict):
        raise ValidationError({"answers": "Send the answers as an object: {question name: answer}."})
    questions = request_type_fields_clean(request_type.fields)
    errors: dict[str, str] = {}
    known = {question["name"] for question in questions}
    for name in sorted(set(answers) - known):
        errors[str(name)] = f"“{request_type}” asks no question called “{name}”."
    cleaned: dict[str, Any] = {}
    labels = {question["name"]: question["label"] for question in questions}
    for question in questions:
        name, value = question["name"], answers.get(question["name"])
        if _is_blank(value) or (question["type"] == FieldType.YES_NO and value == ""):
            if question["required"]:
                errors[name] = REQUIRED
            continue
        try:
            cleaned[name] = _answer(question, value)
        except ValidationError as error:
            errors[name] = error.messages[0]
            continue
        earliest = question.get("not_before")
        if earliest == "today" and cleaned[name] < timezone.localdate():
            errors[name] = "Choose today or a later date."
        elif earliest and isinstance(cleaned.get(earliest), date) and cleaned[name] < cleaned[earliest]:
            errors[name] = f"Choose a date on or after the answer to “{labels[earliest]}”."
    if errors:
        raise ValidationError(errors)
    return {name: value.isoformat() if isinstance(value, date) else value for name, value in cleaned.items()}


def answer_text(question: dict[str, Any] | None, value: Any) -> str:
    """An answer as a person reads it: "Yes", "24 Nov 2026", "Laptop, Projector"."""
    kind = question["type"] if question else None
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if kind == FieldType.DATE:
        day = _parse_date(value)
        return f"{day:%a} {day.day} {day:%b %Y}" if day else str(value)
    return str(value)


def request_answer_rows(request_type: RequestType, answers: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(label, answer as text, question type) for each answer, in the form's order; answers to
    questions since removed from the form follow, under their answer keys."""
    questions = [q for q in request_type.fields or [] if isinstance(q, dict) and q.get("name")]
    rows = [
        (q.get("label") or q["name"], answer_text(q, answers[q["name"]]), q.get("type", ""))
        for q in questions
        if q["name"] in answers
    ]
    asked = {q["name"] for q in questions}
    rows += [(name.replace("_", " ").capitalize(), answer_text(None, value), "") for name, value in answers.items()
             if name not in asked]  # fmt: skip
    return rows


def _request_title(request_type: RequestType, answers: dict[str, Any]) -> str:
    """The ticket's summary: the item's name and its first short answer ("Borrow a laptop: Laptop")."""
    short = (FieldType.TEXT, FieldType.CHOICE, FieldType.EMAIL)
    for question in request_type.fields:
        value = answers.get(question["name"])
        if question["type"] in short and value not in (None, "", []):
            detail = answer_text(question, value)
            return f"{request_type.name}: {detail}"[:200]
    return request_type.name[:200]


def _request_description(request_type: RequestType, answers: dict[str, Any]) -> str:
    lines = [f"Requested from the service catalogue: {request_type.name}."]
    for label, text, kind in request_answer_rows(request_type, answers):
        said = label if label.endswith(("?", ":")) else f"{label}:"
        lines.append(f"\n{said}\n{text}" if kind == FieldType.TEXTAREA else f"{said} {text}")
    return "\n".join(lines)


# --- Logging, approval --------------------------------------------------------


def _notify_request(ticket: Incident, event: str, recipients: Any, *, actor: User | None, note: str = "") -> None:
    """Tell people about a request: in the app now, by e-mail after commit (fits.notifications)."""
    from fits import notifications

    notifications.notify(ticket, event, recipients, context={"note": note}, actor=actor)


def _notify_ticket(ticket: Incident, event: str, *, actor: User | None, note: str = "") -> None:
    """Tell the ticket's followers (the caller, the technician), as any move of its lifecycle does."""
    from incidents.services import incident_followers

    _notify_request(ticket, event, incident_followers(ticket, event), actor=actor, note=note)


def _approvers(ticket: Incident, request_type: RequestType) -> list[User]:
    """Who may decide: the people holding the approver role at the school, never the requester."""
    people = User.objects.with_role_at(ticket.school_id, {request_type.approver}).exclude(pk=ticket.reporter_id)
    return list(people)


@transaction.atomic
def request_log(
    *,
    school: School,
    logged_by: User,
    request_type: RequestType,
    answers: Any,
    reporter: User | None = None,
    channel: str = Channel.PORTAL,
) -> ServiceRequest:
    """Log a service request from the catalogue (FITS Service Desk: the single point of contact for
    requests as well as incidents).

    The answers are checked against the item's form; the ticket (REQ-...) is logged through
    incidents.services.incident_log with a summary and description made from them, its fulfilment
    tasks are created from the item's templates, and an item that needs approval waits for its
    approver (who is told) before it reaches the queue.
    """
    from incidents.services import incident_log

    request_type = RequestType.objects.select_related("category").get(pk=request_type.pk)  # as it is now
    if request_type.school_id != school.pk:
        raise ValidationError({"request_type": f"“{request_type}” is not in the catalogue of {school}."})
    if not request_type.is_active:
        raise ValidationError({"request_type": f"“{request_type}” is no longer offered: choose another item."})
    if request_type.staff_only:
        access.require(
            access.can_request_staff_items, logged_by, school, f"Only support staff can request “{request_type}”."
        )
    answers = request_answers_clean(request_type=request_type, answers=answers)
    category = request_type.category
    if category is not None and not (category.is_active and category.applies_at(school)):
        category = None
    ticket = incident_log(
        school=school,
        logged_by=logged_by,
        reporter=reporter,
        channel=channel,
        title=_request_title(request_type, answers),
        description=_request_description(request_type, answers),
        impact=Impact.LOW,
        urgency=Urgency.MEDIUM,
        category=category,
        kind=TicketKind.REQUEST,
        awaiting_approval=request_type.needs_approval,
    )
    service_request = ServiceRequest.objects.create(
        school=school, ticket=ticket, request_type=request_type, answers=answers
    )
    FulfilmentTask.objects.bulk_create(
        FulfilmentTask(school=school, ticket=ticket, position=position, title=task["title"], group_id=task["group"])
        for position, task in enumerate(request_type_tasks_clean(request_type.tasks, school=school), start=1)
    )
    if request_type.needs_approval:
        Approval.objects.create(school=school, ticket=ticket)
        _notify_request(ticket, "request_approval_needed", _approvers(ticket, request_type), actor=logged_by)
    else:
        request_handled(service_request, "ready")
    return service_request


def _locked_ticket(pk: int) -> Incident:
    return Incident.objects.select_for_update().get(pk=pk)


def _decide(*, service_request: ServiceRequest, actor: User, action: str, comment: str) -> ServiceRequest:
    ticket = _locked_ticket(service_request.ticket_id)
    request_type = service_request.request_type
    if ticket.status != Status.PENDING_APPROVAL:
        raise ValidationError(
            f"{ticket.reference} is not awaiting approval: it is {ticket.get_status_display().lower()}."
        )
    transition = Incident.WORKFLOW.check(ticket.status, action)
    if actor.pk == ticket.reporter_id:
        raise PermissionDenied(f"You asked for {ticket.reference}: someone else must {action} it.")
    approver = Approver(request_type.approver).label.lower() if request_type.approver else "its approver"
    access.require(
        transition.permission, actor, ticket, f"Only {approver} at {ticket.school} can {action} {ticket.reference}."
    )
    comment = comment.strip()
    if transition.note_required and not comment:
        raise ValidationError({"comment": "Say why it is declined: the requester is told."})
    now = timezone.now()
    old = ticket.status
    ticket.status = transition.target
    fields = ["status", "updated_at"]
    if action == "decline":
        ticket.resolution = f"Declined by {actor}: {comment}"
        ticket.resolution_code = ResolutionCode.DECLINED
        ticket.closed_at = now
        fields += ["resolution", "resolution_code", "closed_at"]
    ticket.save(update_fields=fields)
    decision = Approval.Decision.APPROVED if action == "approve" else Approval.Decision.DECLINED
    pending = Approval.objects.filter(ticket=ticket, decision=Approval.Decision.PENDING).order_by("pk").first()
    if pending is None:
        pending = Approval(school_id=ticket.school_id, ticket=ticket)
    pending.approver, pending.decision, pending.comment, pending.decided_at = actor, decision, comment, now
    pending.save()
    note = comment or f"Approved by {actor}."
    activity.record_status(ticket, actor=actor, old=old, new=ticket.status, note=note)
    event = "request_approved" if action == "approve" else "request_declined"
    _notify_request(ticket, event, [ticket.reporter], actor=actor, note=comment)
    service_request.ticket = ticket
    request_handled(service_request, "ready" if action == "approve" else "declined")
    return service_request


@transaction.atomic
def request_approve(*, service_request: ServiceRequest, actor: User, comment: str = "") -> ServiceRequest:
    """Approve a request awaiting approval: the ticket becomes new and joins the queue to be fulfilled.

    Only someone holding the role its catalogue item names (a school leader or the network manager)
    at the request's school may approve, and never the requester themself.
    """
    return _decide(service_request=service_request, actor=actor, action="approve", comment=comment)


@transaction.atomic
def request_decline(*, service_request: ServiceRequest, actor: User, comment: str) -> ServiceRequest:
    """Decline a request awaiting approval, saying why: it closes as declined and the requester is told."""
    return _decide(service_request=service_request, actor=actor, action="decline", comment=comment)


# --- Fulfilment tasks ---------------------------------------------------------


def _task_entry(ticket: Incident, actor: User, change: str, title: str, note: str = "") -> None:
    """A fulfilment step on the ticket's timeline, for support staff (the requester sees the checklist)."""
    text = f"{title}: {note}" if note else title
    activity.record(
        ticket, actor=actor, kind=Activity.Kind.FIELD, text=text, public=False, changes={"task": [title, change]}
    )


def _fulfilling(ticket: Incident, *, doing: str) -> None:
    if ticket.status == Status.PENDING_APPROVAL:
        raise ValidationError(f"{ticket.reference} is awaiting approval: its tasks start once it is approved.")
    if not ticket.is_open:
        state = ticket.get_status_display().lower()
        raise ValidationError(f"{ticket.reference} is {state}: reopen it to {doing}.")


def _check_task_assignee(assignee: User | None, ticket: Incident) -> None:
    if assignee is not None and not access.can_fulfil_request.test(assignee, ticket):
        raise ValidationError({"assignee": f"{assignee} does not work requests at {ticket.school}."})


def _check_task_group(group: Any, ticket: Incident) -> None:
    if group is not None and not (group.is_active and group.applies_at(ticket.school)):
        raise ValidationError({"group": f"{group} does not work at {ticket.school}."})


def _resolve_fulfilled(ticket: Incident, actor: User) -> None:
    """Every task is done: the request is resolved as fulfilled, and the requester asked to confirm."""
    transition = Incident.WORKFLOW.check(ticket.status, "resolve")
    titles = list(FulfilmentTask.objects.filter(ticket=ticket).values_list("title", flat=True))
    old = ticket.status
    ticket.status = transition.target
    ticket.resolution = "Everything asked for is done: " + "; ".join(titles) + "."
    ticket.resolution_code = ResolutionCode.FULFILLED
    ticket.resolved_at = timezone.now()
    fields = ["status", "resolution", "resolution_code", "resolved_at", "updated_at"]
    if ticket.assignee_id is None:
        ticket.assignee = actor
        fields.append("assignee")
    if ticket.first_response_at is None:  # delivering what was asked for answers the request too
        ticket.first_response_at = ticket.resolved_at
        fields.append("first_response_at")
    ticket.save(update_fields=fields)
    activity.record_status(ticket, actor=actor, old=old, new=ticket.status, note=ticket.resolution)
    _notify_ticket(ticket, "resolved", actor=actor, note=ticket.resolution)


def _locked_task(task: FulfilmentTask) -> tuple[FulfilmentTask, Incident]:
    ticket = _locked_ticket(task.ticket_id)
    return FulfilmentTask.objects.select_for_update().get(pk=task.pk), ticket


@transaction.atomic
def task_complete(*, task: FulfilmentTask, actor: User, note: str = "") -> FulfilmentTask:
    """Tick off one fulfilment task. When it was the last one, the request is resolved as fulfilled
    (the requester then confirms it, or reopens it saying what is missing)."""
    task, ticket = _locked_task(task)
    access.require(access.can_fulfil_request, actor, ticket, "Only the service desk and technicians work requests.")
    _fulfilling(ticket, doing="carry on with its tasks")
    if task.is_done:
        raise ValidationError(f"“{task}” is already done.")
    task.done_at, task.done_by, task.note = timezone.now(), actor, note.strip()[:300]
    task.save(update_fields=["done_at", "done_by", "note"])
    _task_entry(ticket, actor, "completed", task.title, task.note)
    if not FulfilmentTask.objects.filter(ticket=ticket, done_at__isnull=True).exists():
        _resolve_fulfilled(ticket, actor)
    task.ticket = ticket
    return task


@transaction.atomic
def task_reopen(*, task: FulfilmentTask, actor: User, note: str = "") -> FulfilmentTask:
    """Undo a task ticked off by mistake, or that needs doing again. A request resolved as fulfilled
    is reopened with it (the work is not finished after all); a closed one stays closed."""
    task, ticket = _locked_task(task)
    access.require(access.can_fulfil_request, actor, ticket, "Only the service desk and technicians work requests.")
    if not task.is_done:
        raise ValidationError(f"“{task}” is not done yet.")
    if ticket.status == Status.RESOLVED:
        transition = Incident.WORKFLOW.check(ticket.status, "reopen")
        old = ticket.status
        ticket.status, ticket.resolved_at, ticket.resolution_code = transition.target, None, ""
        ticket.save(update_fields=["status", "resolved_at", "resolution_code", "updated_at"])
        reason = f"“{task.title}” needs doing again" + (f": {note.strip()}" if note.strip() else ".")
        activity.record_status(ticket, actor=actor, old=old, new=ticket.status, note=reason)
        _notify_ticket(ticket, "reopened", actor=actor, note=reason)
    else:
        _fulfilling(ticket, doing="change its tasks")
    task.done_at, task.done_by, task.note = None, None, note.strip()[:300]
    task.save(update_fields=["done_at", "done_by", "note"])
    _task_entry(ticket, actor, "reopened", task.title, task.note)
    task.ticket = ticket
    return task


@transaction.atomic
def task_add(
    *,
    service_request: ServiceRequest,
    actor: User,
    title: str,
    group: Any = None,
    assignee: User | None = None,
) -> FulfilmentTask:
    """Add a fulfilment task to a request (a step its catalogue item did not foresee)."""
    ticket = _locked_ticket(service_request.ticket_id)
    access.require(access.can_fulfil_request, actor, ticket, "Only the service desk and technicians work requests.")
    if not ticket.is_open:
        _fulfilling(ticket, doing="add tasks")
    title = title.strip()
    if not title:
        raise ValidationError({"title": "Say what needs doing, e.g. Deliver the laptop to Classroom 4."})
    if len(title) > 200:
        raise ValidationError({"title": "Keep the task under 200 characters."})
    _check_task_group(group, ticket)
    _check_task_assignee(assignee, ticket)
    last = FulfilmentTask.objects.filter(ticket=ticket).aggregate(last=Max("position"))["last"] or 0
    task = FulfilmentTask.objects.create(
        school_id=ticket.school_id, ticket=ticket, position=last + 1, title=title, group=group, assignee=assignee
    )
    _task_entry(ticket, actor, "added", title)
    if assignee is not None:
        _notify_request(ticket, "task_assigned", [assignee], actor=actor, note=title)
    task.ticket = ticket
    return task


UNCHANGED: Any = object()


@transaction.atomic
def task_assign(*, task: FulfilmentTask, actor: User, assignee: User | None, group: Any = UNCHANGED) -> FulfilmentTask:
    """Give a fulfilment task to a person (and, if given, a support group), or back to nobody."""
    task, ticket = _locked_task(task)
    access.require(access.can_fulfil_request, actor, ticket, "Only the service desk and technicians work requests.")
    if not ticket.is_open:
        _fulfilling(ticket, doing="change its tasks")
    if group is UNCHANGED:
        group = task.group
    _check_task_assignee(assignee, ticket)
    _check_task_group(group, ticket)
    if (task.assignee, task.group) == (assignee, group):
        return task
    task.assignee, task.group = assignee, group
    task.save(update_fields=["assignee", "group"])
    to = ", ".join(str(who) for who in (assignee, group) if who is not None) or "nobody"
    _task_entry(ticket, actor, "assigned", task.title, f"to {to}")
    if assignee is not None and assignee != actor:
        _notify_request(ticket, "task_assigned", [assignee], actor=actor, note=task.title)
    task.ticket = ticket
    return task
