"""Spreadsheet import (preview, row errors, all or nothing) and the streaming export of the CMDB."""

from __future__ import annotations

import csv
import io
import time
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cmdb import services, transfer
from cmdb.data_views import PENDING_KEY, UPLOAD_DIR
from cmdb.models import ConfigurationItem, Kind, LifecycleStatus, Location
from fits.middleware import SESSION_KEY
from fits.models import Activity

pytestmark = pytest.mark.django_db

HEADER = (
    "name,kind,status,location,serial,asset_tag,owner,purchase_date,purchase_cost,warranty_end,memory_mb,port_count"
)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Uploads waiting for confirmation go to a fresh MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"


def csv_table(*lines: str, name: str = "register.csv") -> transfer.Table:
    return transfer.read_table("\n".join(lines).encode(), name)


def generated_csv(n: int) -> bytes:
    """`n` rows as a school's register might have them: desktops in 40 rooms of 7 blocks, a switch in ten."""
    lines = [HEADER]
    for i in range(n):
        room = f"Main site / Block {i % 7} / Room {i % 40}"
        if i % 10 == 0:
            lines.append(f'SW-{i},switch,live,{room},SN{i},HF-{i:05d},,01/09/2023,"£1,234.50",2026-08-31,,48')
        else:
            lines.append(
                f"PC-{i},Desktop computer,In stock,{room},SN{i},HF-{i:05d},tech,01/09/2023,649,31/08/2026,16384,"
            )
    return "\n".join(lines).encode()


def upload(content: bytes, name: str = "register.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def problems_of(report) -> set[tuple[int, str]]:
    return {(problem.row, problem.column) for problem in report.problems}


# =============================================================================
# All or nothing, and every bad row named
# =============================================================================


def test_a_file_with_bad_rows_imports_nothing_and_names_each_bad_row_and_column(highfield, riverside, tech, tech2):
    services.ci_create(school=highfield, actor=tech, kind=Kind.LAPTOP, name="Head's laptop", asset_tag="HF-9999")
    table = csv_table(
        HEADER,
        "PC-01,desktop,,Main site / ICT block / ICT suite,,HF-0001,,01/09/2023,£649,31/08/2026,16384,",  # 2: good
        "Thing,widget,,,,,,,,,,",  # 3: unknown kind
        "PC-02,desktop,,,,HF-0002,,31/02/2023,,,,",  # 4: no 31st of February
        "PC-03,desktop,,,,HF-0001,,,,,,",  # 5: asset tag also on row 2
        "PC-04,desktop,,,,,,,,,lots,",  # 6: memory is not a whole number
        "PC-05,desktop,,,,,,,,,,24",  # 7: a desktop has no ports attribute
        "PC-06,desktop,,,,HF-9999,,,,,,",  # 8: asset tag already in the CMDB
        "PC-07,desktop,,,,,tech2,,,,,",  # 9: the owner has no role at highfield
        "PC-08,desktop,,,,,,01/09/2023,ten pounds,01/09/2022,,",  # 10: cost, and warranty before purchase
        ",desktop,,,,,,,,,,",  # 11: no name
    )
    report = transfer.ci_import(school=highfield, actor=tech, table=table, commit=True)

    assert not report.ok and report.created == 0
    assert ConfigurationItem.objects.count() == 1  # the laptop made above, nothing from the file
    assert not Location.objects.exists()  # nor the room the good row would have created
    assert problems_of(report) == {
        (3, "kind"),
        (4, "purchase_date"),
        (5, "asset_tag"),
        (6, "memory_mb"),
        (7, "port_count"),
        (8, "asset_tag"),
        (9, "owner"),
        (10, "purchase_cost"),
        (10, "warranty_end"),
        (11, "name"),
    }
    assert report.bad_rows == [3, 4, 5, 6, 7, 8, 9, 10, 11] and report.good_rows == 1
    messages = {(p.row, p.column): p.message for p in report.problems}
    assert "'widget' is not a kind we know" in messages[(3, "kind")]
    assert "31/08/2024" in messages[(4, "purchase_date")]  # says how to write a date
    assert messages[(5, "asset_tag")] == "HF-0001 is also on row 2"
    assert messages[(6, "memory_mb")] == "must be a whole number"
    assert "not an attribute of a desktop computer" in messages[(7, "port_count")]
    assert messages[(8, "asset_tag")] == "HF-9999 is already used by Head's laptop"
    assert "no role at Highfield" in messages[(9, "owner")] or "has a role at Highfield" in messages[(9, "owner")]
    assert {p.value for p in report.problems if p.row == 3} == {"widget"}


def test_the_preview_page_lists_the_bad_rows_and_offers_no_confirmation(client_for, highfield, tech):
    content = "\n".join([HEADER, "PC-01,desktop,,,,,,,,,,", "PC-02,toaster,,,,,,,,,,"]).encode()
    response = client_for(tech).post(reverse("cmdb:import"), {"school": highfield.pk, "file": upload(content)})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing can be imported yet" in page and "toaster" in page
    assert 'id="problems"' in page and "<td>3</td>" in page and "<code>kind</code>" in page
    assert reverse("cmdb:import_confirm") not in page
    assert not ConfigurationItem.objects.exists()


# =============================================================================
# A good file
# =============================================================================


def test_a_good_file_imports_every_column_with_history_and_a_timeline_entry(highfield, tech, netmgr):
    site = services.location_create(school=highfield, actor=tech, kind="site", name="Main site")
    block = services.location_create(school=highfield, actor=tech, kind="building", name="Main block", parent=site)
    comms = services.location_create(school=highfield, actor=tech, kind="room", name="Comms room", parent=block)
    table = csv_table(
        "Name,Type,Status,Location,Manufacturer,Model,Serial number,Asset tag,UUID,Management address,Owner,"
        "Supplier,Purchase date,Purchase cost (£),Warranty end,Notes,Memory (MB),port_count,managed,Colour",
        "PC-01,Desktop computer,In stock,Main site / ICT block / ICT suite,Dell,OptiPlex 7010,5CG1,HF-0001,"
        'ABC-123,,netmgr,RM Education,01/09/2023,"£1,234.50",31/08/2026,Front desk,16384,,,',
        "CORE-SW01,switch,,comms room,HPE,2930F,SG1,HF-0002,,10.0.0.2,,,2022-03-15,99,2027-03-14,,,48,yes,",
        "PRN-01,printer,live,Main site / Main block / Comms room,,,,,,,NETMGR@example.sch.uk,,,,,,,,,no",
    )
    report = transfer.ci_import(school=highfield, actor=tech, table=table, commit=True)

    assert report.ok, report.problems
    assert report.created == 3
    pc = ConfigurationItem.objects.get(name="PC-01")
    assert (pc.kind, pc.status, pc.manufacturer, pc.model_name, pc.serial, pc.asset_tag, pc.uuid) == (
        Kind.DESKTOP, LifecycleStatus.IN_STOCK, "Dell", "OptiPlex 7010", "5CG1", "HF-0001", "ABC-123",
    )  # fmt: skip
    assert (pc.owner, pc.supplier, pc.notes) == (netmgr, "RM Education", "Front desk")
    assert (pc.purchase_date, pc.warranty_end, pc.purchase_cost) == (
        date(2023, 9, 1), date(2026, 8, 31), Decimal("1234.50"),
    )  # fmt: skip
    assert pc.attributes == {"memory_mb": 16384}
    assert pc.location.path == "Main site / ICT block / ICT suite"  # building and room made under the site
    switch = ConfigurationItem.objects.get(name="CORE-SW01")
    assert switch.location == comms  # the room's name alone is enough when only one room has it
    assert switch.status == LifecycleStatus.LIVE and switch.management_address == "10.0.0.2"
    assert switch.attributes == {"port_count": 48, "managed": True}
    printer = ConfigurationItem.objects.get(name="PRN-01")
    assert printer.location == comms and printer.owner == netmgr and printer.attributes == {"colour": False}

    assert report.new_locations == [
        ("Main site / ICT block", "Building"),
        ("Main site / ICT block / ICT suite", "Room"),
    ]
    history = pc.history.get()
    assert history.history_user == tech and history.history_change_reason == "Imported from register.csv"
    entry = Activity.objects.get(object_id=pc.pk, school=highfield)
    assert entry.actor == tech and entry.kind == Activity.Kind.CREATED and "row 2" in entry.text


def test_the_preview_writes_nothing(highfield, tech):
    table = csv_table(HEADER, "PC-01,desktop,,Main site / A block / A1,,HF-1,,,,,,")
    report = transfer.ci_import(school=highfield, actor=tech, table=table, commit=False)
    assert report.ok and report.created == 0 and report.rows == 1
    assert report.new_locations == [("Main site", "Site"), ("Main site / A block", "Building"),
                                     ("Main site / A block / A1", "Room")]  # fmt: skip
    assert not ConfigurationItem.objects.exists() and not Location.objects.exists()


def test_new_locations_spelt_two_ways_are_made_once(highfield, tech):
    table = csv_table(
        "name,kind,location",
        "PC-1,desktop,Main Site / Science Block / S1",
        "PC-2,desktop,main site / science block / S2",
        "PC-3,desktop,MAIN SITE/SCIENCE BLOCK/S1",
    )
    report = transfer.ci_import(school=highfield, actor=tech, table=table, commit=True)
    assert report.ok
    assert sorted(Location.objects.values_list("name", flat=True)) == ["Main Site", "S1", "S2", "Science Block"]
    pcs = {ci.name: ci.location.path for ci in ConfigurationItem.objects.select_related("location__parent__parent")}
    assert pcs == {
        "PC-1": "Main Site / Science Block / S1",
        "PC-2": "Main Site / Science Block / S2",
        "PC-3": "Main Site / Science Block / S1",
    }


def test_locations_that_cannot_be_placed_are_row_errors(highfield, tech):
    site = services.location_create(school=highfield, actor=tech, kind="site", name="Main site")
    for block in ("A block", "B block"):
        building = services.location_create(school=highfield, actor=tech, kind="building", name=block, parent=site)
        services.location_create(school=highfield, actor=tech, kind="room", name="Office", parent=building)
    table = csv_table(
        "name,kind,location",
        "PC-1,desktop,Office",  # two rooms are called Office
        "PC-2,desktop,Nowhere",  # one unknown name: not made into a site
        "PC-3,desktop,Main site / A block / Office / Desk 3",  # four levels
        "PC-4,desktop,A block / Office",  # unique by the end of its path
        "PC-5,desktop,Main site / C block / C1",  # a new building and room under the existing site
    )
    report = transfer.ci_import(school=highfield, actor=tech, table=table, commit=False)
    assert problems_of(report) == {(2, "location"), (3, "location"), (4, "location")}
    messages = {p.row: p.message for p in report.problems}
    assert "Main site / A block / Office or Main site / B block / Office" in messages[2]
    assert "full path" in messages[3]
    assert report.new_locations == [("Main site / C block", "Building"), ("Main site / C block / C1", "Room")]


def test_a_school_column_must_name_the_school_being_imported_into(highfield, tech):
    table = csv_table("school,name,kind", "Highfield Primary School,PC-1,desktop", "highfield,PC-2,desktop",
                      "Riverside Academy,PC-3,desktop")  # fmt: skip
    report = transfer.ci_import(school=highfield, actor=tech, table=table, commit=False)
    assert problems_of(report) == {(4, "school")}


def test_required_attributes_and_choices_are_checked_per_kind(highfield, tech):
    table = csv_table(
        "name,kind,capacity_gb,purpose,band",
        "NAS-1,storage,,,",  # a storage device needs its capacity
        "MIS,service,,marketing,",  # purpose is one of learning, teaching, management
        "AP-1,access point,,,6 GHz",
        "NAS-2,storage,2000,,",
    )
    report = transfer.ci_import(school=highfield, actor=tech, table=table, commit=False)
    assert problems_of(report) == {(2, "capacity_gb"), (3, "purpose"), (4, "band")}


def test_the_template_imports_as_it_is(client_for, highfield, tech):
    response = client_for(tech).get(reverse("cmdb:import_template"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    content = response.content
    assert content.startswith("\ufeff".encode()) and content.count(b"\n") == 3  # heading and two examples
    report = transfer.ci_import(school=highfield, actor=tech, table=transfer.read_table(content, "t.csv"), commit=False)
    assert report.ok and report.rows == 2, report.problems


# =============================================================================
# Reading files: sizes, types, encodings, headings
# =============================================================================


@pytest.mark.parametrize(
    ("content", "name", "says"),
    [
        (b"x" * (transfer.MAX_UPLOAD_BYTES + 1), "big.csv", "at most 5 MB"),
        (b"%PDF-1.7 ...", "register.pdf", "not a CSV or Excel file"),
        (b"\xd0\xcf\x11\xe0 old excel", "register.xls", "Excel 97-2003"),
        (b"PK\x03\x04 not really a zip", "register.xlsx", "not an Excel workbook we can open"),
        ("name,kind\nPC,desktop".encode("utf-16"), "register.csv", "CSV UTF-8"),
        (b"name,kind\nPC\x81\x8d,desktop", "register.csv", "text encoding"),
        (b"asset,description\nHF-1,PC", "register.csv", "no name or kind column"),
        (b"name,kind\n", "register.csv", "no items under it"),
        (b"   ", "register.csv", "is empty"),
        (b"name,Name,kind\nA,B,desktop", "register.csv", "both give the name"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_with_a_clear_reason(content, name, says):
    with pytest.raises(transfer.UploadError, match=says):
        transfer.read_table(content, name)


def test_windows_csv_with_a_pound_sign_and_semicolons_and_blank_rows_is_read():
    content = "name;kind;purchase_cost;Comments\r\nPC-1;desktop;£12.50;spare\r\n;;;\r\nPC-2;laptop;;\r\n".encode(
        "cp1252"
    )
    table = transfer.read_table(content, "register.csv")
    assert table.headers == ["name", "kind", "purchase_cost"] and table.ignored_columns == ["Comments"]
    assert table.rows == [["PC-1", "desktop", "£12.50"], ["PC-2", "laptop", ""]]
    assert table.numbers == [2, 4]  # the blank row 3 is skipped, the numbering stays the spreadsheet's


def test_dates_and_costs_read_the_way_schools_write_them():
    dates, pounds = transfer.UKDateWidget(), transfer.PoundsWidget()
    assert dates.clean("31/08/2024") == dates.clean("2024-08-31") == dates.clean("31/08/24") == date(2024, 8, 31)
    assert dates.clean("1 Sep 2023") == date(2023, 9, 1) and dates.clean("") is None
    for bad in ("08/31/2024", "next year", "31/08/1024"):
        with pytest.raises(ValueError):
            dates.clean(bad)
    assert pounds.clean("£1,234.50") == pounds.clean("1234.5") == pounds.clean(1234.5) == Decimal("1234.50")
    assert pounds.clean(649) == Decimal("649.00") and pounds.clean(" ") is None
    for bad in ("£-5", "12.345", "lots", "NaN", "£100,000,000"):
        with pytest.raises(ValueError):
            pounds.clean(bad)


# =============================================================================
# Excel
# =============================================================================


def workbook(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_excel_workbook_imports_with_real_dates_and_numbers(client_for, highfield, tech):
    content = workbook(
        [
            ["Name", "Kind", "Asset tag", "Purchase date", "Purchase cost", "Memory (MB)", "Managed", "Location"],
            ["PC-01", "desktop", 1001, date(2023, 9, 1), 649.5, 16384, None, "Main site / A block / A1"],
            [None, None, None, None, None, None, None, None],
            ["SW-01", "switch", "HF-2", "01/09/2023", "£1,234.50", None, True, None],
        ]
    )
    client = client_for(tech)
    response = client.post(reverse("cmdb:import"), {"school": highfield.pk, "file": upload(content, "register.xlsx")})
    assert response.status_code == 200 and "Ready to import" in response.content.decode()
    response = client.post(reverse("cmdb:import_confirm"), {"token": response.context["token"]})
    assert response.status_code == 200, response.content.decode()
    pc, switch = ConfigurationItem.objects.order_by("name")
    assert (pc.asset_tag, pc.purchase_date, pc.purchase_cost, pc.attributes) == (
        "1001", date(2023, 9, 1), Decimal("649.50"), {"memory_mb": 16384},
    )  # fmt: skip
    assert (switch.purchase_cost, switch.attributes, switch.location) == (Decimal("1234.50"), {"managed": True}, None)


# =============================================================================
# The pages: upload, preview, confirm
# =============================================================================


def test_upload_preview_confirm_and_done(client_for, highfield, tech, settings):
    client = client_for(tech)
    assert client.get(reverse("cmdb:import")).status_code == 200
    content = "\n".join([HEADER, "PC-01,desktop,,Main site / A block / A1,SN1,HF-1,,,,,,"]).encode()
    response = client.post(reverse("cmdb:import"), {"school": highfield.pk, "file": upload(content)})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Ready to import" in page and "Main site / A block / A1" in page
    token = response.context["token"]
    assert (settings.MEDIA_ROOT / UPLOAD_DIR / token).exists()
    assert not ConfigurationItem.objects.exists()

    response = client.post(reverse("cmdb:import_confirm"), {"token": token})
    assert response.status_code == 200 and "1 configuration item imported" in response.content.decode()
    assert ConfigurationItem.objects.get().location.path == "Main site / A block / A1"
    assert not (settings.MEDIA_ROOT / UPLOAD_DIR / token).exists()
    assert token not in client.session[PENDING_KEY]

    again = client.post(reverse("cmdb:import_confirm"), {"token": token}, follow=True)
    assert "imported already or has expired" in again.content.decode()
    assert ConfigurationItem.objects.count() == 1


def test_cancelling_drops_the_upload(client_for, highfield, tech, settings):
    client = client_for(tech)
    response = client.post(reverse("cmdb:import"), {"school": highfield.pk, "file": upload(b"name,kind\nPC,desktop")})
    token = response.context["token"]
    response = client.post(reverse("cmdb:import_confirm"), {"token": token, "cancel": "1"})
    assert response.status_code == 302
    assert not (settings.MEDIA_ROOT / UPLOAD_DIR / token).exists() and not ConfigurationItem.objects.exists()


def test_a_bad_file_is_answered_on_the_form(client_for, highfield, tech):
    response = client_for(tech).post(
        reverse("cmdb:import"), {"school": highfield.pk, "file": upload(b"asset,description\nHF-1,PC")}
    )
    assert response.status_code == 400
    assert "no name or kind column" in response.content.decode()


def test_the_confirmation_imports_into_the_previewed_school_only(client_for, highfield, riverside, consultant):
    """Someone at two schools previews for one, then switches school: the stored file is not loaded elsewhere."""
    from fits.models import Membership, Role

    Membership.objects.create(user=consultant, school=highfield, role=Role.TECHNICIAN)
    Membership.objects.create(user=consultant, school=riverside, role=Role.TECHNICIAN)
    client = client_for(consultant)
    page = client.get(reverse("cmdb:import")).content.decode()
    assert "Highfield Primary School" in page and "Riverside Academy" in page  # a choice of school
    response = client.post(reverse("cmdb:import"), {"school": highfield.pk, "file": upload(b"name,kind\nPC,desktop")})
    token = response.context["token"]
    session = client.session
    session[SESSION_KEY] = riverside.pk
    session.save()
    response = client.post(reverse("cmdb:import_confirm"), {"token": token}, follow=True)
    assert "changed school since the preview" in response.content.decode()
    assert not ConfigurationItem.objects.exists()


def test_nobody_imports_into_a_school_where_they_do_not_keep_the_cmdb(client_for, highfield, riverside, tech, tech2):
    response = client_for(tech).post(
        reverse("cmdb:import"), {"school": riverside.pk, "file": upload(b"name,kind\nPC,desktop")}
    )
    assert response.status_code == 400  # riverside is not a choice for tech
    # Another person's token is not in this session.
    response = client_for(tech2).post(
        reverse("cmdb:import"), {"school": riverside.pk, "file": upload(b"name,kind\nPC,desktop")}
    )
    token = response.context["token"]
    client_for(tech).post(reverse("cmdb:import_confirm"), {"token": token})
    assert not ConfigurationItem.objects.exists()


@pytest.mark.parametrize("name", ["import", "import_template", "export", "audit"])
def test_ict_users_are_answered_as_if_the_pages_were_not_there(name, client_for, staff):
    assert client_for(staff).get(reverse(f"cmdb:{name}")).status_code == 404


def test_the_desk_and_leaders_read_the_cmdb_but_cannot_import(client_for, highfield, desk, leader, consultant):
    for person in (desk, leader, consultant):
        client = client_for(person)
        assert client.get(reverse("cmdb:import")).status_code == 403
        assert client.get(reverse("cmdb:import_template")).status_code == 403
        response = client.post(
            reverse("cmdb:import"), {"school": highfield.pk, "file": upload(b"name,kind\nPC,desktop")}
        )
        assert response.status_code == 403
        assert client.post(reverse("cmdb:import_confirm"), {"token": "x"}).status_code == 403
        assert client.get(reverse("cmdb:export")).status_code == 200
        assert client.get(reverse("cmdb:audit")).status_code == 200
    assert not ConfigurationItem.objects.exists()


# =============================================================================
# 5,000 rows
# =============================================================================


def test_five_thousand_rows_import_in_one_go(highfield, tech):
    table = transfer.read_table(generated_csv(5000), "register.csv")
    started = time.perf_counter()
    preview = transfer.ci_import(school=highfield, actor=tech, table=table, commit=False)
    checked = time.perf_counter()
    report = transfer.ci_import(school=highfield, actor=tech, table=table, commit=True)
    done = time.perf_counter()
    print(f"\n5,000 rows on {connection.vendor}: preview {checked - started:.2f} s, import {done - checked:.2f} s")
    assert preview.ok and report.ok and report.created == 5000
    assert ConfigurationItem.objects.count() == 5000 == ConfigurationItem.history.count()
    assert Activity.objects.filter(school=highfield).count() == 5000
    assert Location.objects.count() == 1 + 7 + 7 * 40


# =============================================================================
# Export
# =============================================================================


@pytest.fixture
def items(highfield, riverside, westfield, tech, tech2, outsider):
    """An item at each school, and a few kinds at highfield."""
    room = services.location_create(
        school=highfield,
        actor=tech,
        kind="room",
        name="ICT suite",
        parent=services.location_create(
            school=highfield,
            actor=tech,
            kind="building",
            name="A block",
            parent=services.location_create(school=highfield, actor=tech, kind="site", name="Main site"),
        ),
    )
    services.ci_create(school=highfield, actor=tech, kind=Kind.DESKTOP, name="HF-PC01", location=room, owner=tech,
                       asset_tag="HF-1", purchase_date=date(2023, 9, 1), purchase_cost=Decimal("649.50"),
                       attributes={"memory_mb": 16384})  # fmt: skip
    services.ci_create(school=highfield, actor=tech, kind=Kind.SWITCH, name="HF-SW01", attributes={"managed": True})
    services.ci_create(school=highfield, actor=tech, kind=Kind.SOFTWARE, name='=HYPERLINK("http://x")')
    services.ci_create(school=riverside, actor=tech2, kind=Kind.DESKTOP, name="RS-PC01")
    services.ci_create(school=westfield, actor=outsider, kind=Kind.DESKTOP, name="WF-PC01")


def exported(response) -> list[dict[str, str]]:
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(content)))


def test_the_export_streams_csv_with_the_heading_and_the_visible_rows(client_for, items, tech):
    response = client_for(tech).get(reverse("cmdb:export"))
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="cmdb-highfield-' in response["Content-Disposition"]
    rows = exported(response)
    assert list(rows[0]) == transfer.export_headers()
    assert [row["name"] for row in rows] == ['\'=HYPERLINK("http://x")', "HF-PC01", "HF-SW01"]
    pc = rows[1]
    assert pc["school"] == "Highfield Primary School" and pc["location"] == "Main site / A block / ICT suite"
    assert (pc["kind"], pc["status"], pc["owner"], pc["asset_tag"]) == ("desktop", "live", "tech", "HF-1")
    assert (pc["purchase_date"], pc["purchase_cost"], pc["memory_mb"], pc["managed"]) == (
        "2023-09-01", "649.50", "16384", "",
    )  # fmt: skip
    assert rows[2]["managed"] == "yes"


def test_each_person_exports_only_what_they_may_see(client_for, items, tech2, consultant, outsider, admin_user):
    def names(person, query=""):
        return {row["name"] for row in exported(client_for(person).get(reverse("cmdb:export") + query))}

    assert names(tech2) == {"RS-PC01"}
    assert names(consultant) == {"HF-PC01", "HF-SW01", '\'=HYPERLINK("http://x")', "RS-PC01"}
    assert names(outsider) == {"WF-PC01"}
    assert len(names(admin_user)) == 5
    assert names(consultant, "?school=riverside") == {"RS-PC01"}
    assert client_for(tech2).get(reverse("cmdb:export") + "?school=highfield").status_code == 400


def test_the_export_takes_the_lists_filters(client_for, items, tech):
    client = client_for(tech)
    url = reverse("cmdb:export")
    assert [row["name"] for row in exported(client.get(url + "?kind=switch"))] == ["HF-SW01"]
    assert [row["name"] for row in exported(client.get(url + "?q=pc01"))] == ["HF-PC01"]
    assert client.get(url + "?kind=toaster").status_code == 400


def test_the_export_can_be_imported_into_another_school(client_for, items, tech, riverside, tech2):
    content = b"".join(client_for(tech).get(reverse("cmdb:export")).streaming_content)
    table = transfer.read_table(content.replace(b"Highfield Primary School", b"riverside"), "export.csv")
    report = transfer.ci_import(school=riverside, actor=tech2, table=table, commit=False)
    # tech is no one at riverside: the only thing in the way is the owner.
    assert problems_of(report) == {(3, "owner")}
    assert report.sample[0].name == '=HYPERLINK("http://x")'  # the quote the export added is taken off again


def test_the_export_as_excel(client_for, items, consultant):
    response = client_for(consultant).get(reverse("cmdb:export") + "?format=xlsx")
    assert response.status_code == 200 and response["Content-Type"] == transfer_xlsx_type()
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert list(rows[0]) == transfer.export_headers()
    by_name = {row[1]: row for row in rows[1:]}
    assert set(by_name) == {"HF-PC01", "HF-SW01", '\'=HYPERLINK("http://x")', "RS-PC01"}
    pc = dict(zip(rows[0], by_name["HF-PC01"], strict=False))  # read-only sheets drop trailing empty cells
    assert pc["purchase_date"].date() == date(2023, 9, 1) and pc["purchase_cost"] == 649.5 and pc["memory_mb"] == 16384


def transfer_xlsx_type() -> str:
    from cmdb.data_views import XLSX_TYPE

    return XLSX_TYPE


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_export_costs_the_same_queries_for_any_number_of_rows(fmt, client_for, highfield, tech):
    client = client_for(tech)
    url = reverse("cmdb:export") + f"?format={fmt}"

    def measure() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
            b"".join(response.streaming_content)
        return len(queries)

    transfer.ci_import(school=highfield, actor=tech, table=transfer.read_table(generated_csv(1), "a.csv"), commit=True)
    client.get(url)  # warm up
    one = measure()
    transfer.ci_import(school=highfield, actor=tech, table=transfer.read_table(generated_csv(300)
                       .replace(b"HF-", b"HG-"), "b.csv"), commit=True)  # fmt: skip
    many = measure()
    print(f"\nexport {fmt}: {one} queries for 1 item, {many} for 301")
    assert one == many


@pytest.fixture
def varied(highfield, riverside, tech, tech2, netmgr):
    """Items whose every column takes its awkward values: formula starts, quotes, commas, new lines, £, blanks."""
    site = services.location_create(school=highfield, actor=tech, kind="site", name="=Main site")
    block = services.location_create(school=highfield, actor=tech, kind="building", name='Block "A", east', parent=site)
    room = services.location_create(school=highfield, actor=tech, kind="room", name="Room £1\nupstairs", parent=block)
    made = [
        services.ci_create(school=highfield, actor=tech, kind=Kind.DESKTOP, name="PC, front", location=room,
                           owner=tech, manufacturer="+Dell", model_name="-OptiPlex", serial="@SN1", asset_tag="HF-9",
                           uuid="=1+1", management_address="10.0.0.9", supplier='"RM", Ltd',
                           purchase_date=date(2023, 9, 1), purchase_cost=Decimal("1234.50"),
                           warranty_end=date(2026, 8, 31), notes="line one\r\nline two; -3",
                           attributes={"hostname": "=cmd", "memory_mb": 16384, "os": "Windows, 11"}),
        services.ci_create(school=highfield, actor=tech, kind=Kind.SWITCH, name="SW", location=block,
                           purchase_cost=Decimal("0.00"), attributes={"managed": True, "poe": False, "port_count": 48}),
        services.ci_create(school=highfield, actor=netmgr, kind=Kind.SERVICE, name="Email", location=site,
                           owner=netmgr, attributes={"purpose": "teaching"}),
        services.ci_create(school=highfield, actor=tech, kind=Kind.SOFTWARE, name="Office"),
        services.ci_create(school=riverside, actor=tech2, kind=Kind.LAPTOP, name="RS-01", owner=tech2,
                           warranty_end=date(2030, 1, 1), notes="'quoted'", purchase_cost=Decimal("99999999.99")),
        services.ci_create(school=riverside, actor=tech2, kind=Kind.PRINTER, name="@print",
                           attributes={"colour": True}),
    ]  # fmt: skip
    # What no form writes, but an old row or an inventory agent might have: still exported the same way.
    ConfigurationItem.objects.filter(pk=made[3].pk).update(
        attributes={"version": 16.5, "edition": ["Pro", "=x"], "unknown": 1, "publisher": None, "purpose": ""}
    )
    return made


@pytest.mark.parametrize("batch", [2000, 2])
def test_the_values_export_is_the_resources_own_export(varied, consultant, monkeypatch, batch):
    """export_values() and export_csv() read columns, export_rows() reads model instances through the resource's
    widgets: the same rows and the same CSV bytes, across batches, plain items and items with attributes alike."""
    monkeypatch.setattr(transfer, "EXPORT_BATCH", batch)
    items = ConfigurationItem.objects.visible_to(consultant).order_by("school__name", "name", "pk")
    reference = list(transfer.export_rows(items.for_list()))
    assert len(reference) == 6
    assert list(transfer.export_values(items)) == reference

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(transfer.export_headers())
    writer.writerows([transfer.csv_cell(value) for value in row] for row in reference)
    assert "".join(transfer.export_csv(items)) == "\ufeff" + out.getvalue()

    # A DISTINCT list (the software filter) reads the same columns.
    distinct = items.distinct()
    assert list(transfer.export_values(distinct)) == reference
    assert "".join(transfer.export_csv(distinct)) == "\ufeff" + out.getvalue()


def test_the_export_view_writes_the_same_bytes_as_the_resource(client_for, varied, consultant):
    from django.test import RequestFactory

    from cmdb.data_views import filter_items

    response = client_for(consultant).get(reverse("cmdb:export") + "?status=live")
    content = b"".join(response.streaming_content).decode("utf-8")
    request = RequestFactory().get("/", {"status": "live"})
    request.user, request.school = consultant, None
    items = filter_items(request, ConfigurationItem.objects.visible_to(consultant).for_list()).order_by(
        "school__name", "name", "pk"
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(transfer.export_headers())
    writer.writerows([transfer.csv_cell(value) for value in row] for row in transfer.export_rows(items))
    assert content == "\ufeff" + out.getvalue()
    assert content.count("\r\n") > 6  # the heading, six items, and the new lines inside quoted cells
