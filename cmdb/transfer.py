"""Configuration items in and out of the CMDB: spreadsheet import with a preview, and export.

A school moving from a spreadsheet to the CMDB (FITS Configuration Management: "keep up-to-date
records of ICT hardware and software") uploads its asset register as CSV or Excel (.xlsx). The
import is all or nothing: every row is checked first, with the rules the services apply to a CI
made by hand (`validate_attributes`, an owner with a role at the school, asset tags unique at the
school and within the file), and the preview names each bad row, its column and what is wrong.
Nothing is saved until every row is good; then all rows are saved in one transaction, in bulk.

The columns, one row per configuration item (the first row names the columns; any order):

- name (required), kind (required: a kind's value such as `desktop` or its name such as
  "Desktop computer"), status (empty means live; a value such as `in_stock` or a name such as
  "In stock"), location, manufacturer, model, serial, asset_tag, uuid, management_address,
  owner (a username or e-mail address of someone with a role at the school), supplier,
  purchase_date and warranty_end (31/08/2024 as UK schools write them, or 2024-08-31; real dates
  in Excel), purchase_cost ("£1,234.50", "1234.5"), notes.
- location is a path "Site / Building / Room" (or "Site", "Site / Building"). Missing sites,
  buildings and rooms are created when the import is confirmed (the preview lists them first),
  since a school moving from a spreadsheet has not typed its rooms in yet. A path that ends an
  existing location's path ("S12", "Science block / S12") names that location when only one
  matches; a single name that matches nothing is refused rather than made into a new site.
- Kind-specific attributes are extra columns named after the attribute (`hostname`, `memory_mb`,
  `port_count`, `managed`...; see KIND_ATTRIBUTES), or after its label ("Memory (MB)"). A value in
  a column that is not an attribute of the row's kind is an error; a blank cell is no value.
- school: optional; when present it must name the school being imported into (its name or
  slug), so a file exported from another school is not loaded into this one by mistake.
- Headings are matched loosely ("Asset tag", "Serial number", "Purchase cost" all work). Columns
  we do not know are ignored, and the preview says which.

Row numbers are the spreadsheet's: the heading is row 1, the first item row 2. Each imported CI
gets its field history (django-simple-history's bulk_create_with_history, "Imported from
<file>") and the first entry of its timeline, as ci_create would write, in one bulk insert each.

The export writes the same columns (plus every attribute column), so an export can be edited
and loaded into another school, and opens in Excel with its £ signs intact (UTF-8 with a BOM).
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import partial
from pathlib import PurePath
from typing import Any

import tablib
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, transaction
from django.db.models import Func, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.db.models.sql.constants import MULTI
from import_export import instance_loaders, resources, widgets
from import_export.fields import Field
from simple_history.utils import bulk_create_with_history

from cmdb import services
from cmdb.models import KIND_ATTRIBUTES, ConfigurationItem, Kind, LifecycleStatus, Location, validate_attributes
from fits import access
from fits.models import Activity, School, User

MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # about 25,000 rows of a typical asset register
MAX_ROWS = 20_000
# Excel keeps formatted but empty rows; this many blank rows in a row end the sheet.
BLANK_ROWS_END_SHEET = 1_000
# Problems listed on the preview (all of them are counted, and summed up by column).
PROBLEMS_SHOWN = 200


class UploadError(Exception):
    """The file as a whole cannot be read: too big, not CSV or Excel, unreadable text, no heading."""


# =============================================================================
# Columns
# =============================================================================

CORE_COLUMNS = [
    "school", "name", "kind", "status", "location", "manufacturer", "model", "serial", "asset_tag", "uuid",
    "management_address", "owner", "supplier", "purchase_date", "purchase_cost", "warranty_end", "notes",
]  # fmt: skip
REQUIRED_COLUMNS = ("name", "kind")


def _attribute_columns() -> list[str]:
    """Every kind-specific attribute once, in the order the kinds list them."""
    seen: dict[str, None] = {}
    for kind in Kind:
        for name in KIND_ATTRIBUTES.get(kind, {}):
            seen.setdefault(name)
    return list(seen)


ATTRIBUTE_COLUMNS = _attribute_columns()
ALL_COLUMNS = CORE_COLUMNS + ATTRIBUTE_COLUMNS


def heading_key(text: Any) -> str:
    """ "Purchase cost (£)" -> "purchase_cost"; "Memory (MB)" -> "memory_mb": how headings are compared."""
    text = re.sub(r"[£$€%]", "", str(text or "")).lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def _heading_aliases() -> dict[str, str]:
    aliases = {heading_key(name): name for name in ALL_COLUMNS}
    for name in CORE_COLUMNS:
        model_name = {"model": "model_name"}.get(name, name)
        try:
            verbose = ConfigurationItem._meta.get_field(model_name).verbose_name
        except Exception:  # "school" and "owner" are columns of our own, not model fields
            continue
        aliases.setdefault(heading_key(verbose), name)
    labels: dict[str, set[str]] = {}
    for schema in KIND_ATTRIBUTES.values():
        for name, attribute in schema.items():
            labels.setdefault(heading_key(attribute.label), set()).add(name)
    for key, names in labels.items():
        if len(names) == 1:
            aliases.setdefault(key, next(iter(names)))
    # Headings schools use in their own registers; "type" is the kind, not a display's type.
    aliases |= {
        "type": "kind", "device_type": "kind", "category": "kind", "device_name": "name", "asset_name": "name",
        "serial_no": "serial", "model_name": "model", "asset_number": "asset_tag", "asset_no": "asset_tag",
        "cost": "purchase_cost", "price": "purchase_cost", "purchased": "purchase_date", "warranty": "warranty_end",
        "warranty_expires": "warranty_end", "ip_address": "management_address", "room": "location",
    }  # fmt: skip
    return aliases


HEADING_ALIASES = _heading_aliases()


# =============================================================================
# Reading the file
# =============================================================================


@dataclass
class Table:
    """A spreadsheet's rows under their canonical column names, with each row's spreadsheet row number."""

    filename: str
    headers: list[str]
    rows: list[list[Any]]
    numbers: list[int]
    ignored_columns: list[str] = field(default_factory=list)

    def dataset(self) -> tablib.Dataset:
        return tablib.Dataset(*self.rows, headers=self.headers)


def read_table(content: bytes, filename: str) -> Table:
    """Read an uploaded CSV or .xlsx file; UploadError says plainly what is wrong with it."""
    name = PurePath(filename or "upload").name
    if len(content) > MAX_UPLOAD_BYTES:
        raise UploadError(
            f"{name} is {len(content) / 1024 / 1024:.1f} MB; one import takes at most "
            f"{MAX_UPLOAD_BYTES // 1024 // 1024} MB (about {MAX_ROWS:,} rows). Split it into smaller files."
        )
    if not content.strip():
        raise UploadError(f"{name} is empty.")
    suffix = PurePath(name).suffix.lower()
    if suffix == ".xls":
        raise UploadError(f"{name} is an old Excel 97-2003 file: save it as Excel Workbook (.xlsx) or as CSV.")
    if suffix == ".xlsx" or content.startswith(b"PK\x03\x04"):
        if suffix not in (".xlsx", ""):
            raise UploadError(f"{name} looks like an Excel workbook: give it the .xlsx ending, or save it as CSV.")
        raw = _read_xlsx(content, name)
    elif suffix in (".csv", ".txt", ""):
        raw = _read_csv(content, name)
    else:
        raise UploadError(f"{name} is not a CSV or Excel file: upload a .csv or .xlsx file.")
    return _tabulate(raw, name)


def _read_csv(content: bytes, name: str) -> Iterator[tuple[int, list[Any]]]:
    if b"\x00" in content:
        raise UploadError(
            f"{name} is not plain text (is it a spreadsheet saved as Unicode text?): in Excel, choose "
            f"File > Save As > CSV UTF-8, or upload the .xlsx workbook."
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            # Excel's plain "CSV (Comma delimited)" on Windows writes Windows-1252 (a £ is byte A3).
            text = content.decode("cp1252")
        except UnicodeDecodeError:
            raise UploadError(
                f"{name} is not in a text encoding we can read: in Excel, choose File > Save As > CSV UTF-8."
            ) from None
    try:
        dialect: Any = csv.Sniffer().sniff(text[:8192], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as error:
        raise UploadError(f"{name} cannot be read as CSV near row {reader.line_num}: {error}.") from None


def _read_xlsx(content: bytes, name: str) -> Iterator[tuple[int, list[Any]]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise UploadError(f"{name} is not an Excel workbook we can open: save it again as .xlsx, or as CSV.") from None
    try:
        sheet = book.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(row)
    finally:
        book.close()


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _tabulate(raw: Iterable[tuple[int, list[Any]]], name: str) -> Table:
    rows_in = iter(raw)
    header_row = next(rows_in, None)
    if header_row is None or all(_blank(cell) for cell in header_row[1]):
        raise UploadError(f"{name} has no heading row: the first row must name the columns (download the template).")
    headings = [str(cell).strip() if not _blank(cell) else "" for cell in header_row[1]]
    keep: list[tuple[int, str]] = []  # (position in the file, column name)
    seen: dict[str, str] = {}
    ignored = []
    for position, heading in enumerate(headings):
        if not heading:
            continue
        column = HEADING_ALIASES.get(heading_key(heading))
        if column is None:
            ignored.append(heading)
            continue
        if column in seen:
            raise UploadError(f"The columns {seen[column]!r} and {heading!r} both give the {column}: keep one of them.")
        seen[column] = heading
        keep.append((position, column))
    missing = [column for column in REQUIRED_COLUMNS if column not in seen]
    if missing:
        found = ", ".join(h for h in headings if h) or "nothing"
        raise UploadError(
            f"{name} has no {' or '.join(missing)} column. The first row must name the columns "
            f"(name, kind, location...); it has: {found}. Download the template to see the layout."
        )
    rows, numbers, blanks = [], [], 0
    for number, row in rows_in:
        if all(_blank(cell) for cell in row):
            blanks += 1
            if blanks >= BLANK_ROWS_END_SHEET:
                break
            continue
        blanks = 0
        if len(rows) >= MAX_ROWS:
            raise UploadError(f"{name} has more than {MAX_ROWS:,} rows: split it into smaller files.")
        rows.append([row[position] if position < len(row) else None for position, _ in keep])
        numbers.append(number)
    if not rows:
        raise UploadError(f"{name} has a heading row but no items under it.")
    return Table(name, [column for _, column in keep], rows, numbers, ignored)


# =============================================================================
# Reading cells (widgets)
# =============================================================================

# A leading quote is how the export keeps a spreadsheet from running text as a formula.
_FORMULA_START = ("=", "+", "-", "@")


def cell_text(value: Any) -> str:
    """A cell as text: numbers Excel stored as 1234.0 read "1234", dates read 2024-08-31."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    if len(text) > 1 and text[0] == "'" and text[1] in _FORMULA_START:
        return text[1:]
    return text


class NativeWidget(widgets.Widget):
    """Exports the value as it is (a date, a Decimal): export_rows gives native values, the writers format them."""

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        return value


class TextWidget(NativeWidget):
    """Text of at most `max_length` characters; "" when empty (or an error, when required)."""

    def __init__(self, max_length: int | None = None, required: bool = False) -> None:
        super().__init__()
        self.max_length, self.required = max_length, required

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        text = cell_text(value)
        if self.required and not text:
            raise ValueError("is required")
        if self.max_length and len(text) > self.max_length:
            raise ValueError(f"is {len(text)} characters long; at most {self.max_length} fit")
        return text


class ChoiceWidget(NativeWidget):
    """One of a TextChoices: its value ("in_stock"), its label ("In stock") or a common other name."""

    def __init__(self, choices: type, noun: str, *, aliases: dict[str, str] | None = None, default: str = "") -> None:
        super().__init__()
        self.noun, self.default = noun, default
        self.values = list(choices.values)
        self.lookup = {heading_key(alias): value for alias, value in (aliases or {}).items()}
        for value, label in choices.choices:
            self.lookup[heading_key(value)] = value
            self.lookup[heading_key(label)] = value

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        text = cell_text(value)
        if not text:
            if self.default:
                return self.default
            raise ValueError(f"is required: one of {', '.join(self.values)}")
        found = self.lookup.get(heading_key(text))
        if found is None:
            raise ValueError(f"{text!r} is not a {self.noun} we know: use one of {', '.join(self.values)}")
        return found


KIND_ALIASES = {
    "pc": Kind.DESKTOP, "computer": Kind.DESKTOP, "desktop pc": Kind.DESKTOP, "workstation": Kind.DESKTOP,
    "notebook": Kind.LAPTOP, "chromebook": Kind.LAPTOP, "ipad": Kind.TABLET,
    "projector": Kind.DISPLAY, "monitor": Kind.DISPLAY, "interactive whiteboard": Kind.DISPLAY,
    "interactive panel": Kind.DISPLAY, "access point": Kind.ACCESS_POINT, "wap": Kind.ACCESS_POINT,
    "nas": Kind.STORAGE, "os": Kind.OPERATING_SYSTEM, "application": Kind.SOFTWARE, "service": Kind.SERVICE,
}  # fmt: skip
STATUS_ALIASES = {
    "active": LifecycleStatus.LIVE, "in use": LifecycleStatus.LIVE, "deployed": LifecycleStatus.LIVE,
    "on order": LifecycleStatus.ORDERED, "stock": LifecycleStatus.IN_STOCK, "spare": LifecycleStatus.IN_STOCK,
    "repair": LifecycleStatus.IN_REPAIR, "broken": LifecycleStatus.IN_REPAIR, "scrapped": LifecycleStatus.DISPOSED,
}  # fmt: skip


class UKDateWidget(NativeWidget):
    """A date as UK schools write it (31/08/2024, 31/08/24, 31-08-2024, 31 Aug 2024), ISO 2024-08-31, or Excel's."""

    FORMATS = ("%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d %b %Y", "%d %B %Y", "%Y-%m-%d %H:%M:%S")

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> date | None:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = cell_text(value)
        if not text:
            return None
        for format_ in self.FORMATS:
            try:
                parsed = datetime.strptime(text, format_).date()  # noqa: DTZ007 (a calendar date, no time zone)
            except ValueError:
                continue
            if not 1970 <= parsed.year <= 2100:
                raise ValueError(f"{text!r} is not a likely year")
            return parsed
        raise ValueError(f"{text!r} is not a date: write it as 31/08/2024 (day/month/year) or 2024-08-31")


class PoundsWidget(NativeWidget):
    """An amount in pounds: "£1,234.50", "1234.5", "1,234"; Excel's numbers are rounded to the penny."""

    LIMIT = Decimal("99999999.99")

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Decimal | None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            amount = Decimal(str(round(value, 2)))
        else:
            text = cell_text(value)
            if not text:
                return None
            plain = re.sub(r"[£,\s]|GBP", "", text, flags=re.IGNORECASE)
            try:
                amount = Decimal(plain)
            except InvalidOperation:
                raise ValueError(f"{text!r} is not an amount in pounds: write it as 1234.50 or £1,234.50") from None
            if not amount.is_finite():
                raise ValueError(f"{text!r} is not an amount in pounds")
            if amount.as_tuple().exponent < -2:
                raise ValueError(f"{text!r} has more than two decimal places")
        if amount < 0:
            raise ValueError("cannot be negative")
        if amount > self.LIMIT:
            raise ValueError(f"is more than £{self.LIMIT:,}")
        return amount.quantize(Decimal("0.01"))


# =============================================================================
# The resource: one row, one configuration item
# =============================================================================


@dataclass
class Problem:
    """What is wrong with one cell (or one row), by spreadsheet row number and column."""

    row: int
    column: str
    message: str
    value: str = ""


def _text_field(name: str, column: str | None = None, *, required: bool = False) -> Field:
    max_length = ConfigurationItem._meta.get_field(name).max_length
    return Field(attribute=name, column_name=column or name, widget=TextWidget(max_length, required))


class ConfigurationItemResource(resources.Resource):
    """The CMDB's spreadsheet layout (see the module's docstring), for import and export alike.

    Created for one school and one person. The plain columns are Fields with widgets; the school,
    location, owner and attribute columns need the school's data (its rooms, its people, its asset
    tags), loaded once in `before_import`, and are read in `import_instance`.
    """

    school = Field(column_name="school", readonly=True)
    name = _text_field("name", required=True)
    kind = Field(attribute="kind", column_name="kind", widget=ChoiceWidget(Kind, "kind", aliases=KIND_ALIASES))
    status = Field(
        attribute="status",
        column_name="status",
        widget=ChoiceWidget(LifecycleStatus, "status", aliases=STATUS_ALIASES, default=LifecycleStatus.LIVE),
    )
    location = Field(column_name="location", readonly=True)
    manufacturer = _text_field("manufacturer")
    model = _text_field("model_name", "model")
    serial = _text_field("serial")
    asset_tag = _text_field("asset_tag")
    uuid = _text_field("uuid")
    management_address = _text_field("management_address")
    owner = Field(column_name="owner", readonly=True)
    supplier = _text_field("supplier")
    purchase_date = Field(attribute="purchase_date", column_name="purchase_date", widget=UKDateWidget())
    purchase_cost = Field(attribute="purchase_cost", column_name="purchase_cost", widget=PoundsWidget())
    warranty_end = Field(attribute="warranty_end", column_name="warranty_end", widget=UKDateWidget())
    notes = Field(attribute="notes", column_name="notes", widget=TextWidget())

    class Meta:
        use_bulk = True  # rows are collected, then saved together in bulk_create
        batch_size = None  # ...all of them at the end, once every row is known to be good
        force_init_instance = True  # an import adds items; it never looks rows up to update them
        skip_diff = True
        clean_model_instances = False  # the rows are checked in import_instance, like _clean_ci does
        use_transactions = True
        instance_loader_class = instance_loaders.BaseInstanceLoader  # never asked: see force_init_instance

    def __init__(self, *, school: School, actor: User, filename: str = "", numbers: list[int] | None = None) -> None:
        super().__init__()
        self.school, self.actor, self.filename = school, actor, filename
        self.numbers = numbers or []  # spreadsheet row number of each dataset row
        for name in ATTRIBUTE_COLUMNS:
            self.fields[name] = Field(column_name=name, readonly=True, dehydrate_method=_attribute_of(name))
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.kinds: Counter[str] = Counter()
        self.sample: list[ConfigurationItem] = []
        self.created: list[ConfigurationItem] = []

    # --- Export ---------------------------------------------------------------------------------

    def dehydrate_school(self, ci: ConfigurationItem) -> str:
        return ci.school.name

    def dehydrate_location(self, ci: ConfigurationItem) -> str:
        return ci.location.path if ci.location_id else ""

    def dehydrate_owner(self, ci: ConfigurationItem) -> str:
        return ci.owner.username if ci.owner_id else ""

    # --- Import: what the rows are checked against ------------------------------------------------

    def before_import(self, dataset: tablib.Dataset, **kwargs: Any) -> None:
        """Load once what every row is checked against: the school's rooms, people, asset tags and serials."""
        items = ConfigurationItem.objects.of_school(self.school.pk)
        self.taken_tags = dict(items.exclude(asset_tag="").values_list("asset_tag", "name"))
        self.known_serials = dict(items.exclude(serial="").values_list("serial", "name"))
        self.tags_in_file: dict[str, int] = {}
        self.serials_in_file: dict[str, int] = {}
        self.locations = Locations(self.school)
        people = User.objects.filter(is_active=True).filter(
            Q(membership__school=self.school) | Q(authorityrole__authority__schools=self.school) | Q(is_superuser=True)
        )
        self.people: dict[str, User] = {}
        for person in people.distinct():
            self.people[person.username.lower()] = person
            if person.email:
                self.people.setdefault(person.email.lower(), person)
        self.school_names = {heading_key(self.school.name), heading_key(self.school.slug)}

    def init_instance(self, row: Any = None) -> ConfigurationItem:
        return ConfigurationItem(school=self.school)

    def import_instance(self, instance: ConfigurationItem, row: dict[str, Any], **kwargs: Any) -> None:
        """Read one row into a CI; ValidationError {column: [messages]} names every bad cell."""
        errors: dict[str, list[str]] = {}
        for field_ in self.get_import_fields():
            if field_.readonly or field_.column_name not in row:
                continue
            try:
                field_.save(instance, row)
            except ValueError as error:
                errors.setdefault(field_.column_name, []).append(str(error))
        number = self.numbers[kwargs["row_number"] - 1] if self.numbers else kwargs["row_number"] + 1
        self._read_school(row, errors)
        self._read_location(instance, row, errors)
        self._read_owner(instance, row, errors)
        if "kind" not in errors:
            self._read_attributes(instance, row, errors)
        if "purchase_date" not in errors and "warranty_end" not in errors:
            if instance.purchase_date and instance.warranty_end and instance.warranty_end < instance.purchase_date:
                errors.setdefault("warranty_end", []).append("ends before the purchase date")
        if instance.asset_tag and "asset_tag" not in errors:
            if instance.asset_tag in self.taken_tags:
                errors["asset_tag"] = [f"{instance.asset_tag} is already used by {self.taken_tags[instance.asset_tag]}"]
            elif instance.asset_tag in self.tags_in_file:
                errors["asset_tag"] = [f"{instance.asset_tag} is also on row {self.tags_in_file[instance.asset_tag]}"]
            else:
                self.tags_in_file[instance.asset_tag] = number
        if instance.serial:
            if instance.serial in self.known_serials:
                self._warn(
                    number, "serial", f"{instance.serial} is also the serial of {self.known_serials[instance.serial]}"
                )
            elif instance.serial in self.serials_in_file:
                self._warn(
                    number, "serial", f"{instance.serial} is also on row {self.serials_in_file[instance.serial]}"
                )
            else:
                self.serials_in_file[instance.serial] = number
        if errors:
            for column, messages in errors.items():
                value = cell_text(row.get(column))
                self.problems += [Problem(number, column, message, value) for message in messages]
            raise ValidationError(errors)
        instance.import_row = number
        self.kinds[instance.kind] += 1
        if len(self.sample) < 10:
            pending = getattr(instance, "pending_location", None)
            instance.location_path = (
                self.locations.path_of(pending) if pending else getattr(instance.location, "path", "")
            )
            self.sample.append(instance)

    def _warn(self, number: int, column: str, message: str) -> None:
        self.warnings.append(Problem(number, column, message))

    def _read_school(self, row: dict[str, Any], errors: dict[str, list[str]]) -> None:
        text = cell_text(row.get("school"))
        if text and heading_key(text) not in self.school_names:
            errors["school"] = [f"this row is for {text!r}, but the file is being imported into {self.school.name}"]

    def _read_location(self, instance: ConfigurationItem, row: dict[str, Any], errors: dict[str, list[str]]) -> None:
        text = cell_text(row.get("location"))
        if not text:
            return
        try:
            found = self.locations.resolve(text)
        except ValueError as error:
            errors["location"] = [str(error)]
            return
        if isinstance(found, Location):
            instance.location = found
        else:
            instance.pending_location = found  # created with the others when the import is confirmed

    def _read_owner(self, instance: ConfigurationItem, row: dict[str, Any], errors: dict[str, list[str]]) -> None:
        text = cell_text(row.get("owner"))
        if not text:
            return
        person = self.people.get(text.lower())
        if person is None:
            errors["owner"] = [
                f"nobody with the username or e-mail {text!r} has a role at {self.school.name}; "
                f"leave it empty or give a username"
            ]
        else:
            instance.owner = person

    def _read_attributes(self, instance: ConfigurationItem, row: dict[str, Any], errors: dict[str, list[str]]) -> None:
        """The kind's attribute columns, checked by the kind's Attribute rules, each error on its column."""
        schema = KIND_ATTRIBUTES[instance.kind]
        noun = Kind(instance.kind).label.lower()
        given: dict[str, Any] = {}
        for name in ATTRIBUTE_COLUMNS:
            text = cell_text(row.get(name))
            if not text:
                continue
            if name not in schema:
                errors[name] = [f"is not an attribute of a {noun}: leave it empty on this row"]
                continue
            try:
                schema[name].clean(text)
            except ValueError as error:
                errors[name] = [str(error)]
                continue
            given[name] = text
        for name, attribute in schema.items():
            if attribute.required and name not in given and name not in errors:
                errors[name] = [f"is required for a {noun} ({attribute.label})"]
        if any(name in errors for name in ATTRIBUTE_COLUMNS):
            return
        try:
            instance.attributes = validate_attributes(instance.kind, given)
        except ValidationError as error:
            errors["attributes"] = error.messages

    # --- Import: saving ---------------------------------------------------------------------------

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None) -> None:
        """Save every row at once, only when the import is confirmed and no row has a problem.

        The missing locations are created first (through location_create), then the items with their
        history, then the first entry of each item's timeline: a handful of queries for any number of rows.
        """
        instances, self.create_instances = self.create_instances, []
        if dry_run or not instances or self.problems:
            return
        if result is not None and (result.has_validation_errors() or result.has_errors()):
            return
        created = self.locations.create_missing(self.actor)
        for ci in instances:
            pending = getattr(ci, "pending_location", None)
            if pending is not None:
                ci.location = created[pending]
        reason = f"Imported from {self.filename}" if self.filename else "Imported"
        where = f"imported from {self.filename}" if self.filename else "imported"
        self.created = bulk_create_with_history(
            instances, ConfigurationItem, batch_size=500, default_user=self.actor, default_change_reason=reason
        )
        content_type = ContentType.objects.get_for_model(ConfigurationItem)
        Activity.objects.bulk_create(
            [
                Activity(
                    school_id=ci.school_id,
                    content_type=content_type,
                    object_id=ci.pk,
                    kind=Activity.Kind.CREATED,
                    actor=self.actor,
                    text=f"Recorded as {ci.get_status_display().lower()} ({where}, row {ci.import_row}).",
                )
                for ci in self.created
            ],
            batch_size=500,
        )


def _attribute_of(name: str):
    def value(ci: ConfigurationItem) -> Any:
        return (ci.attributes or {}).get(name)

    return value


# =============================================================================
# Locations by path
# =============================================================================

_KIND_AT_DEPTH = [Location.Kind.SITE, Location.Kind.BUILDING, Location.Kind.ROOM]

# A location still to be created: (the existing location it goes under, or None for a new site;
# the names below it, in lower case). Spelt "Science Block" on one row and "science block" on the
# next, it is one new building.
NewPath = tuple[int | None, tuple[str, ...]]


class Locations:
    """A school's locations by path, read once; paths not there yet are noted, to be created on commit."""

    def __init__(self, school: School) -> None:
        self.school = school
        rows = list(Location.objects.of_school(school.pk).select_related("parent__parent"))
        self.by_parent = {(location.parent_id, location.name.lower()): location for location in rows}
        self.by_ending: dict[tuple[str, ...], list[Location]] = {}
        for location in rows:
            parts = tuple(part.lower() for part in location.path.split(" / "))
            for start in range(len(parts)):
                self.by_ending.setdefault(parts[start:], []).append(location)
        self.anchors = {location.pk: location for location in rows}
        self.new: dict[NewPath, tuple[str, str]] = {}  # -> (name as first written, kind)

    def resolve(self, text: str) -> Location | NewPath:
        """The location a path names, or the NewPath to create for it (with any missing parents)."""
        parts = tuple(part.strip() for part in re.split(r"\s*[/>\\]\s*", text.strip()))
        if any(not part for part in parts):
            raise ValueError(f"{text!r} has an empty part: write it as Site / Building / Room")
        if len(parts) > len(_KIND_AT_DEPTH):
            raise ValueError(f"{text!r} has {len(parts)} parts; a location is Site / Building / Room at most")
        if any(len(part) > Location._meta.get_field("name").max_length for part in parts):
            raise ValueError(f"{text[:40]!r}... has a name too long for a location")
        found = self._find(parts, text)
        if found is not None:
            return found
        if len(parts) == 1:
            raise ValueError(
                f"there is no location {text!r} at {self.school.name}: give the full path Site / Building / Room "
                f"and the missing ones are created"
            )
        # The longest start of the path that exists is where the new part goes ("Main site / New block / R1").
        anchor, cut = None, 0
        for length in range(len(parts) - 1, 0, -1):
            anchor = self._find(parts[:length], text)
            if anchor is not None:
                cut = length
                break
        depth = _KIND_AT_DEPTH.index(anchor.kind) + 1 if anchor is not None else 0
        rest = parts[cut:]
        if depth + len(rest) > len(_KIND_AT_DEPTH):
            raise ValueError(f"{anchor.path} is a room: nothing goes inside a room")
        key = tuple(part.lower() for part in rest)
        for n in range(1, len(rest) + 1):
            self.new.setdefault((anchor and anchor.pk, key[:n]), (rest[n - 1], _KIND_AT_DEPTH[depth + n - 1]))
        return (anchor and anchor.pk, key)

    def _find(self, parts: tuple[str, ...], text: str) -> Location | None:
        """The existing location with this path from the top, or the one location whose path ends so."""
        node, parent_id = None, None
        for depth, part in enumerate(parts):
            node = self.by_parent.get((parent_id, part.lower()))
            if node is None or node.kind != _KIND_AT_DEPTH[depth]:
                node = None
                break
            parent_id = node.pk
        if node is not None:
            return node
        matches = self.by_ending.get(tuple(part.lower() for part in parts), [])
        if len(matches) > 1:
            paths = " or ".join(sorted(location.path for location in matches[:3]))
            raise ValueError(f"{text!r} could be {paths}: give the full path Site / Building / Room")
        return matches[0] if matches else None

    def path_of(self, key: NewPath) -> str:
        anchor_pk, names = key
        written = [self.new[(anchor_pk, names[:n])][0] for n in range(1, len(names) + 1)]
        above = [self.anchors[anchor_pk].path] if anchor_pk is not None else []
        return " / ".join(above + written)

    @property
    def to_create(self) -> list[tuple[str, str]]:
        """(path, kind) of each location the import creates, parents first."""
        keys = sorted(self.new, key=lambda key: len(key[1]))
        return [(self.path_of(key), Location.Kind(self.new[key][1]).label) for key in keys]

    def create_missing(self, actor: User) -> dict[NewPath, Location]:
        """Create the noted locations through the service, parents first."""
        made: dict[NewPath, Location] = {}
        for key in sorted(self.new, key=lambda key: len(key[1])):
            anchor_pk, names = key
            name, kind = self.new[key]
            parent = made[(anchor_pk, names[:-1])] if len(names) > 1 else self.anchors.get(anchor_pk)
            made[key] = services.location_create(school=self.school, actor=actor, kind=kind, name=name, parent=parent)
        return made


# =============================================================================
# The import
# =============================================================================


@dataclass
class ImportReport:
    """What an import found (the preview) or did (after the commit)."""

    school: School
    filename: str
    rows: int
    problems: list[Problem]
    warnings: list[Problem]
    new_locations: list[tuple[str, str]]
    ignored_columns: list[str]
    kinds: list[tuple[str, int]]
    sample: list[ConfigurationItem]
    created: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def bad_rows(self) -> list[int]:
        return sorted({problem.row for problem in self.problems if problem.row})

    @property
    def good_rows(self) -> int:
        return self.rows - len(self.bad_rows)

    @property
    def problems_shown(self) -> list[Problem]:
        return self.problems[:PROBLEMS_SHOWN]

    @property
    def problems_by_column(self) -> list[tuple[str, int]]:
        """How many rows have a problem in each column, most first: a whole column in the wrong format shows."""
        counts = Counter(problem.column for problem in self.problems)
        return counts.most_common()


def _problem_order(problem: Problem) -> tuple[int, int]:
    return problem.row, ALL_COLUMNS.index(problem.column) if problem.column in ALL_COLUMNS else len(ALL_COLUMNS)


def ci_import(*, school: School, actor: User, table: Table, commit: bool) -> ImportReport:
    """Load configuration items from a school's spreadsheet into its CMDB, all or nothing.

    With commit=False this is the preview: every row is read and checked, nothing is written. With
    commit=True the rows are checked again (the CMDB may have changed since the preview) and, only
    when every row is good, saved in one transaction with any new locations, their field history
    and one timeline entry each.
    """
    access.require(access.can_manage_cmdb, actor, school, "You cannot change this school's CMDB.")
    resource = ConfigurationItemResource(school=school, actor=actor, filename=table.filename, numbers=table.numbers)
    try:
        with transaction.atomic():
            result = resource.import_data(table.dataset(), dry_run=not commit, raise_errors=False)
            if result.has_errors():  # an unexpected error in a row: report it, save nothing
                transaction.set_rollback(True)
                for number, errors in result.row_errors():
                    resource.problems += [
                        Problem(resource.numbers[number - 1], "", f"could not be read ({e.error})") for e in errors
                    ]
                for error in result.base_errors:
                    resource.problems.append(Problem(0, "", str(error.error)))
    except IntegrityError:
        # Someone recorded one of these asset tags between the check and the save.
        resource.problems.append(
            Problem(0, "asset_tag", "an asset tag in the file was recorded meanwhile: upload the file again")
        )
        resource.created = []
    return ImportReport(
        school=school,
        filename=table.filename,
        rows=len(table.rows),
        problems=sorted(resource.problems, key=_problem_order),
        warnings=resource.warnings,
        new_locations=resource.locations.to_create if hasattr(resource, "locations") else [],
        ignored_columns=table.ignored_columns,
        kinds=[(Kind(kind).label, n) for kind, n in resource.kinds.most_common()],
        sample=resource.sample,
        created=len(resource.created) if not resource.problems else 0,
    )


# =============================================================================
# The export and the template
# =============================================================================


def export_headers() -> list[str]:
    return list(ALL_COLUMNS)


def export_rows(items: Iterable[ConfigurationItem], *, school: School | None = None) -> Iterator[list[Any]]:
    """Each item as a row of native values (dates, Decimals, booleans), in export_headers() order.

    The resource's own export, one model instance per row and a widget per cell: the reference that
    export_values() and export_csv() are tested against. `items` should come with for_list()'s
    select_related, so that no row costs a query.
    """
    resource = ConfigurationItemResource(school=school, actor=None)  # type: ignore[arg-type]
    exporters = []
    for field_ in resource.get_export_fields():
        name = resource.get_field_name(field_)
        method = field_.get_dehydrate_method(name)
        method = method if callable(method) else getattr(resource, method, None)
        exporters.append(method or partial(field_.export, force_native_type=True))
    for ci in items:
        yield [export(ci) for export in exporters]


# The columns an export reads, in export_headers() order: the school, location and owner by id (named
# through ExportLabels), the kind's attributes from one JSON column; then "pk", read only when the
# queryset is DISTINCT (the software filter), so that two identical items are not merged.
_EXPORT_VALUES = (
    "school_id", "name", "kind", "status", "location_id", "manufacturer", "model_name", "serial", "asset_tag",
    "uuid", "management_address", "owner_id", "supplier", "purchase_date", "purchase_cost", "warranty_end", "notes",
    "attributes",
)  # fmt: skip
_ATTRIBUTES = 17
_ATTRIBUTE_INDEX = {name: index for index, name in enumerate(ATTRIBUTE_COLUMNS)}
EXPORT_BATCH = 2000  # rows read (and written out) at a time


class ExportLabels:
    """The school name, location path and owner username of the exported items, by id.

    Read up front, three queries whatever the number of rows (each of the ids the items use, at most the
    authority's schools, rooms and people), and kept as the cell shows them: `cell` is applied once to each.
    """

    def __init__(self, items: QuerySet[ConfigurationItem], cell: Any = None) -> None:
        cell = cell or (lambda text: text)
        used = items.order_by()
        schools = School.objects.filter(pk__in=used.values("school_id")).values_list("pk", "name")
        self.schools = {pk: cell(name) for pk, name in schools}
        self.locations: dict[int | None, Any] = {None: cell("")}
        locations = Location.objects.filter(pk__in=used.values("location_id")).values_list(
            "pk", "name", "parent__name", "parent__parent__name", "parent__parent__parent_id"
        )
        for pk, name, parent, grandparent, deeper in locations:
            if deeper is not None:  # deeper than site / building / room: let the model walk it
                path = Location.objects.select_related("parent__parent").get(pk=pk).path
            else:
                path = " / ".join(part for part in (grandparent, parent, name) if part is not None)
            self.locations[pk] = cell(path)
        owners = User.objects.filter(pk__in=used.values("owner_id")).values_list("pk", "username")
        self.owners: dict[int | None, Any] = {None: cell("")} | {pk: cell(username) for pk, username in owners}


def _attributes_of(value: Any) -> dict[str, Any]:
    """The attributes column as the database gives it: JSON text ("{}" for most items), or already read."""
    if not value or value == "{}":
        return {}
    return json.loads(value) if isinstance(value, str) else value


def _batches(items: QuerySet[ConfigurationItem], *, as_text: bool = False) -> Iterator[list[Any]]:
    """The export's column values (_EXPORT_VALUES), in lists of EXPORT_BATCH rows, straight from the cursor.

    Django's compiler runs the queryset's own SQL (scoping, filters, order) with a server-side cursor;
    the rows skip the per-row conversions of values_list() (the attributes JSON is read by _attributes_of,
    and only when it is not empty). A backend that converts other columns (SQLite's dates) still gets them.
    With `as_text` on PostgreSQL, the database writes the dates (2024-08-31) and costs (1234.50) as the CSV
    shows them, and empty attributes as NULL: fewer Python objects per row.
    """
    columns = list(_EXPORT_VALUES) + (["pk"] if items.query.distinct else [])
    if as_text and items.db and connections[items.db].vendor == "postgresql":
        items = items.annotate(
            export_purchase_date=Func("purchase_date", template="to_char(%(expressions)s, 'YYYY-MM-DD')"),
            export_purchase_cost=Cast("purchase_cost", TextField()),
            export_warranty_end=Func("warranty_end", template="to_char(%(expressions)s, 'YYYY-MM-DD')"),
            export_attributes=Func("attributes", template="NULLIF(%(expressions)s, '{}'::jsonb)"),
        )
        for at, name in ((13, "purchase_date"), (14, "purchase_cost"), (15, "warranty_end"), (17, "attributes")):
            columns[at] = f"export_{name}"
    compiler = items.values_list(*columns).query.get_compiler(using=items.db)
    chunks = compiler.execute_sql(MULTI, chunked_fetch=True, chunk_size=EXPORT_BATCH)
    converters = compiler.get_converters([select[0] for select in compiler.select[: compiler.col_count]])
    converters.pop(_ATTRIBUTES, None)
    for rows in chunks:
        yield list(compiler.apply_converters(rows, converters)) if converters else rows


def export_values(items: QuerySet[ConfigurationItem]) -> Iterator[list[Any]]:
    """export_rows() read column by column: the same native values, without a model instance or a widget per cell.

    `items` is the (scoped, filtered, ordered) queryset the export shows.
    """
    labels = ExportLabels(items)
    schools, locations, owners = labels.schools, labels.locations, labels.owners
    blank = [None] * len(ATTRIBUTE_COLUMNS)
    index = _ATTRIBUTE_INDEX
    for batch in _batches(items):
        for row in batch:
            attributes = blank.copy()
            for name, value in _attributes_of(row[_ATTRIBUTES]).items():
                at = index.get(name)
                if at is not None:
                    attributes[at] = value
            yield [
                schools[row[0]], row[1], row[2], row[3], locations[row[4]], row[5], row[6], row[7], row[8], row[9],
                row[10], owners[row[11]], row[12], row[13], row[14], row[15], row[16], *attributes,
            ]  # fmt: skip


def _day(value: Any) -> str:
    if value is None:
        return ""
    return value if value.__class__ is str else value.isoformat()


def export_csv(items: QuerySet[ConfigurationItem]) -> Iterator[str]:
    """The export as CSV text, a batch of lines at a time: the heading (after Excel's BOM), then each item.

    Byte for byte what csv.writer makes of csv_cell() of export_rows()'s values, written straight from the
    column values, so that an authority's 250,000 CIs stream at tens of thousands of rows a second. An item
    without attributes (most of them) is written as its 17 core cells with the 31 empty attribute cells as
    the line's ending; one with attributes as all 48 cells.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(export_headers())
    yield "\ufeff" + out.getvalue()  # the BOM: Excel then reads UTF-8 (£)
    core_writer = csv.writer(out, lineterminator="," * len(ATTRIBUTE_COLUMNS) + writer.dialect.lineterminator)
    labels = ExportLabels(items, csv_cell)
    schools, locations, owners = labels.schools, labels.locations, labels.owners
    blank = [""] * len(ATTRIBUTE_COLUMNS)
    index = _ATTRIBUTE_INDEX
    formula = _FORMULA_START

    def guarded(text: str) -> str:  # safe_cell() for the text columns, which are never None here
        return "'" + text if text.startswith(formula) else text

    for batch in _batches(items, as_text=True):
        out.seek(0)
        out.truncate()
        plain = []  # consecutive items without attributes, written together
        for row in batch:
            cost = row[14]
            core = (
                schools[row[0]],
                *map(guarded, row[1:4]),  # name, kind, status
                locations[row[4]],
                *map(guarded, row[5:11]),  # manufacturer, model, serial, asset tag, UUID, address
                owners[row[11]],
                guarded(row[12]),  # supplier
                _day(row[13]),
                "" if cost is None else cost if cost.__class__ is str else f"{cost:.2f}",
                _day(row[15]),
                guarded(row[16]),  # notes
            )
            attributes = row[17]
            if not attributes or attributes == "{}":
                plain.append(core)
                continue
            cells = blank.copy()
            for attribute, value in _attributes_of(attributes).items():
                at = index.get(attribute)
                if at is not None:
                    cells[at] = csv_cell(value)
            if plain:
                core_writer.writerows(plain)
                plain = []
            writer.writerow((*core, *cells))
        core_writer.writerows(plain)
        yield out.getvalue()


def safe_cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading quote (the import takes it off again)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(safe_cell(value))


TEMPLATE_COLUMNS = CORE_COLUMNS[1:] + ["hostname", "memory_mb", "disk_gb", "port_count", "managed", "poe"]
TEMPLATE_ROWS = [
    {
        "name": "ICT-SUITE-PC01", "kind": "desktop", "status": "live", "location": "Main site / ICT block / ICT suite",
        "manufacturer": "Dell", "model": "OptiPlex 7010", "serial": "5CG1234XYZ", "asset_tag": "HF-0001",
        "owner": "", "supplier": "RM Education", "purchase_date": "01/09/2023", "purchase_cost": "£649.00",
        "warranty_end": "31/08/2026", "notes": "Teacher's PC, front of room", "hostname": "ICT-SUITE-PC01",
        "memory_mb": "16384", "disk_gb": "512",
    },
    {
        "name": "CORE-SW01", "kind": "Switch", "status": "Live", "location": "Main site / Main block / Comms room",
        "manufacturer": "HPE Aruba", "model": "2930F 48G PoE+", "serial": "SG12ABC345", "asset_tag": "HF-0002",
        "management_address": "10.0.0.2", "supplier": "Schools ICT Unit", "purchase_date": "2022-03-15",
        "purchase_cost": "£1,234.50", "warranty_end": "14/03/2027", "port_count": "48", "managed": "yes",
        "poe": "yes",
    },
]  # fmt: skip


def template_csv() -> str:
    """The heading row and two example rows: a desktop and a switch, in both date styles."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(TEMPLATE_COLUMNS)
    for example in TEMPLATE_ROWS:
        writer.writerow([example.get(column, "") for column in TEMPLATE_COLUMNS])
    return "\ufeff" + out.getvalue()


def attribute_help() -> list[tuple[str, list[tuple[str, str, str]]]]:
    """For the import page: each kind with its attribute columns (column, label, what it takes)."""
    rows = []
    for kind in Kind:
        schema = KIND_ATTRIBUTES.get(kind, {})
        columns = []
        for name, attribute in schema.items():
            takes = {bool: "yes or no", int: "a whole number"}.get(attribute.type, "text")
            if attribute.choices:
                takes = "one of " + ", ".join(attribute.choices)
            if attribute.required:
                takes += " (required)"
            columns.append((name, attribute.label, takes))
        rows.append((f"{kind.label} ({kind.value})", columns))
    return rows
