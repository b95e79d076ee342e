"""The CMDB lists as django-tables2 tables (sorting, pagination, per-column rendering)."""

from datetime import timedelta
from typing import Any

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.dates import MONTHS_3
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import mark_safe

from cmdb.models import ConfigurationItem, Licence, SoftwareProduct
from cmdb.templatetags.cmdb_ui import (
    WARRANTY_SOON_DAYS,
    kind_icon,
    lifecycle_badge,
    percent_of,
    seat_colour,
    warranty_badge,
)


class ConfigurationItemTable(tables.Table):
    name = tables.Column(linkify=True, verbose_name="Name")
    kind = tables.Column(verbose_name="Kind")
    status = tables.Column(verbose_name="Status")
    location = tables.Column(
        verbose_name="Where", order_by=("location__parent__parent__name", "location__parent__name", "location__name")
    )
    school = tables.Column(order_by=("school__name",))
    model_name = tables.Column(verbose_name="Make and model", order_by=("manufacturer", "model_name"), empty_values=())
    management_address = tables.Column(verbose_name="Address")
    warranty_end = tables.DateColumn(verbose_name="Warranty ends", format="j M Y")

    class Meta:
        model = ConfigurationItem
        fields = ("name", "kind", "status", "location", "school", "model_name", "management_address", "warranty_end")
        order_by = ("name",)
        empty_text = "No configuration items match. Clear the filters, or record a new item."
        attrs = {"class": "table table-vcenter card-table table-hover ci-table"}

    def render_kind(self, record):
        return format_html("{} {}", kind_icon(record.kind, "text-secondary"), record.get_kind_display())

    # --- The page's rows in one pass ---------------------------------------------------------------
    # What django-tables2's BoundRow and the site's table template (django_tables2/fits_table.html, block
    # table.tbody) make of each cell, written directly: the same HTML (tests/cmdb/test_views.py compares
    # the two), without the per-cell signature inspection, accessor walk and template loop that cost more
    # than the query for 100 rows. Columns without a cell function below fall back to BoundRow.

    def _cells(self) -> dict[str, Any]:
        """Each column's cell as a function of the record, with the column's empty-value default.

        A cell that depends on one value only (the kind, the status, the room, the warranty date) is made
        once per value on the page.
        """
        blank = {name: self.columns[name].default for name in self.columns.names()}
        marker = 2_147_483_647
        before, after = reverse("cmdb:ci_detail", kwargs={"pk": marker}).split(str(marker))
        linked = "name" in self.columns.names() and self.columns["name"].link is not None
        by_kind, by_status, by_location, by_warranty = {}, {}, {}, {}
        today = timezone.localdate()
        soon = today + timedelta(days=WARRANTY_SOON_DAYS)

        before, after = escape(before), escape(after)

        def name(record):
            value = record.name
            if value in ("", None):
                return blank["name"]
            if not linked:
                return value
            return mark_safe(f'<a href="{before}{int(record.pk)}{after}">{escape(value)}</a>')  # noqa: S308 (escaped)

        def model_name(record):
            model = " ".join(part for part in (record.manufacturer, record.model_name) if part) or "—"
            ids = " · ".join(part for part in (record.serial, record.asset_tag) if part)
            if not ids:
                return model
            return mark_safe(f'{escape(model)}<div class="cell-sub mono">{escape(ids)}</div>')  # noqa: S308 (escaped)

        def kind(record):
            if record.kind not in by_kind:
                by_kind[record.kind] = self.render_kind(record)
            return by_kind[record.kind]

        def status(record):
            if record.status not in by_status:
                by_status[record.status] = self.render_status(record)
            return by_status[record.status]

        def location(record):
            if record.location_id is None:
                return blank["location"]
            if record.location_id not in by_location:
                by_location[record.location_id] = self.render_location(record)
            return by_location[record.location_id]

        def management_address(record):
            value = record.management_address
            return blank["management_address"] if value in ("", None) else value

        months = {number: str(MONTHS_3[number]).title() for number in MONTHS_3}  # date_format's "M"
        badges = {}  # warranty_badge's, by how the date stands today

        def warranty_end(record):
            value = record.warranty_end
            if value in ("", None):
                return blank["warranty_end"]
            if value not in by_warranty:
                stands = (value < today) + (value <= soon)
                if stands not in badges:
                    badges[stands] = warranty_badge(value)
                by_warranty[value] = format_html(
                    "{} {}", f"{value.day} {months[value.month]} {value.year:04d}", badges[stands]
                )  # render_warranty_end, with date_format(value, "j M Y") written out
            return by_warranty[value]

        return {
            "name": name,
            "kind": kind,
            "status": status,
            "location": location,
            "school": self.render_school,
            "model_name": model_name,
            "management_address": management_address,
            "warranty_end": warranty_end,
        }

    @property
    def tbody_rows(self) -> str:
        """The rows of the current page as the site's table template writes them (see _cells)."""
        cells = self._cells()
        columns = []
        for column in self.columns:
            td = f'\n          <td {column.attrs["td"].as_html()} data-col="{escape(column.name)}">'
            columns.append((td, column.name, cells.get(column.name)))
        out = []
        plain = not self.row_attrs  # then a row's attributes are its even/odd class alone
        for row in self.paginated_rows:
            record = row.record
            attrs = ('class="odd"' if row.row_counter % 2 else 'class="even"') if plain else row.attrs.as_html()
            out.append(f"\n      <tr {attrs}>\n        ")
            for td, name, cell in columns:
                value = cell(record) if cell is not None else row.get_cell(name)
                out.append(f"{td}{conditional_escape(value)}</td>\n        ")
            out.append("\n      </tr>\n    ")
        return mark_safe("".join(out))  # noqa: S308 (every piece is escaped above, as the template would)

    def render_status(self, record):
        return lifecycle_badge(record)

    def render_location(self, record):
        """The room, and the building it is in underneath: short enough for a narrow column."""
        location = record.location
        if location.parent_id is None:
            return location.name
        return format_html('{}<div class="cell-sub">{}</div>', location.name, location.parent.name)

    def render_school(self, record):
        return record.school.name

    def render_model_name(self, record):
        model = " ".join(part for part in (record.manufacturer, record.model_name) if part) or "—"
        ids = " · ".join(part for part in (record.serial, record.asset_tag) if part)
        if not ids:
            return model
        return format_html('{}<div class="cell-sub mono">{}</div>', model, ids)

    def render_warranty_end(self, value, record):
        if not value:
            return "—"
        return format_html("{} {}", date_format(value, "j M Y"), warranty_badge(value))


class LicenceTable(tables.Table):
    product = tables.Column(linkify=("cmdb:licence_detail", {"pk": tables.A("pk")}), order_by=("product__name",))
    school = tables.Column(order_by=("school__name",))
    model = tables.Column(verbose_name="Licensing")
    seats_used = tables.Column(verbose_name="Seats used / bought", order_by=("seats_used",))
    installed = tables.Column(verbose_name="Installed on", order_by=("installed",))
    reference = tables.Column(verbose_name="Agreement")
    expires_on = tables.DateColumn(verbose_name="Expires", format="j M Y")

    class Meta:
        model = Licence
        fields = ("product", "school", "model", "seats_used", "installed", "reference", "expires_on")
        order_by = ("product",)
        empty_text = "No licences recorded."
        attrs = {"class": "table table-vcenter card-table table-hover"}

    def render_product(self, record):
        return str(record.product)

    def render_school(self, record):
        return record.school.name

    def render_seats_used(self, record):
        used, bought = record.seats_used, record.seats
        if bought is None:
            return format_html('{} <span class="text-secondary">of unlimited</span>', used)
        colour = seat_colour(used, bought)
        return format_html(
            '<div class="seat-figure">{} of {}{}</div>'
            '<div class="progress progress-sm seat-bar" role="presentation"><div class="progress-bar bg-{} pct-w-{}">'
            "</div></div>",
            used,
            bought,
            format_html(' <span class="badge bg-red-lt">{} over</span>', used - bought) if used > bought else "",
            colour,
            percent_of(used, bought),
        )

    def render_installed(self, value, record):
        devices = f"{value} device{'s' if value != 1 else ''}"
        short = value - record.seats if record.model == Licence.Model.PER_DEVICE and record.seats is not None else 0
        if short > 0:
            return format_html('{} <span class="badge bg-red-lt">{} without a seat</span>', devices, short)
        return devices

    def render_expires_on(self, value):
        if not value:
            return "—"
        return format_html("{} {}", date_format(value, "j M Y"), warranty_badge(value))


class SoftwareTable(tables.Table):
    name = tables.Column(verbose_name="Software")
    publisher = tables.Column()
    school = tables.Column(order_by=("school__name",))
    installs = tables.Column(verbose_name="Installed on", order_by=("installs",))
    seats_bought = tables.Column(verbose_name="Seats bought", order_by=("seats_bought",), empty_values=())

    class Meta:
        model = SoftwareProduct
        fields = ("name", "publisher", "school", "installs", "seats_bought")
        order_by = ("name",)
        empty_text = "No software recorded yet. Inventory agents report what is installed on each computer."
        attrs = {"class": "table table-vcenter card-table table-hover"}

    def render_name(self, record):
        url = reverse("cmdb:ci_list")
        return format_html('<a href="{}?software_id={}">{}</a>', url, record.pk, record.name)

    def render_school(self, record):
        return record.school.name

    def render_installs(self, value):
        return f"{value} device{'s' if value != 1 else ''}"

    def render_seats_bought(self, record):
        if not record.licence_count:
            return mark_safe('<span class="text-secondary">No licence recorded</span>')  # a constant
        if record.seats_bought is None:
            return "Unlimited"
        return record.seats_bought
