"""Human references unique per school (fits/references.py), consecutive, and safe under concurrency."""

import threading

import pytest
from django.db import connection, transaction

from fits.models import ReferenceSequence
from fits.references import next_reference
from incidents.models import Incident


@pytest.mark.django_db
def test_references_are_consecutive_per_school(highfield):
    taken = [next_reference(school_id=highfield.pk, prefix="INC") for _ in range(3)]
    assert taken == ["INC-000001", "INC-000002", "INC-000003"]
    assert ReferenceSequence.objects.get(school=highfield, prefix="INC").last_number == 3


@pytest.mark.django_db
def test_each_school_and_prefix_counts_on_its_own(highfield, riverside):
    assert next_reference(school_id=highfield.pk, prefix="INC") == "INC-000001"
    assert next_reference(school_id=highfield.pk, prefix="INC") == "INC-000002"
    assert next_reference(school_id=riverside.pk, prefix="INC") == "INC-000001"
    assert next_reference(school_id=highfield.pk, prefix="RFC") == "RFC-000001"
    assert next_reference(school_id=highfield.pk, prefix="INC") == "INC-000003"


@pytest.mark.django_db
def test_width_pads_the_number(highfield):
    assert next_reference(school_id=highfield.pk, prefix="PRB", width=4) == "PRB-0001"


@pytest.mark.django_db
def test_a_number_taken_in_a_rolled_back_transaction_is_handed_out_again(highfield):
    """The number is part of the caller's transaction, so a failed log leaves no gap."""
    next_reference(school_id=highfield.pk, prefix="INC")
    with pytest.raises(RuntimeError), transaction.atomic():
        assert next_reference(school_id=highfield.pk, prefix="INC") == "INC-000002"
        raise RuntimeError("the rest of the log failed")
    assert next_reference(school_id=highfield.pk, prefix="INC") == "INC-000002"


@pytest.mark.django_db
def test_logging_incidents_numbers_them_per_school(highfield, riverside, tech, tech2, log_incident):
    first, second = log_incident(highfield, by=tech), log_incident(highfield, by=tech)
    other = log_incident(riverside, by=tech2)
    assert (first.reference, second.reference, other.reference) == ("INC-000001", "INC-000002", "INC-000001")


THREADS = 8
EACH = 4


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="SQLite serialises every write, so there is no race to test; run with DATABASE_URL=postgres://...",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_logging_gets_unique_consecutive_references(highfield, tech, desk, netmgr, leader, staff):
    """Many requests logging at one school at once: no duplicate, no gap (the row lock serialises them).

    The very first numbers race on creating the school's sequence row too.
    """
    from incidents import services

    people = [tech, desk, netmgr, leader, staff]
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def log_many(index: int) -> None:
        try:
            start.wait(timeout=10)
            for n in range(EACH):
                services.incident_log(
                    school=highfield,
                    logged_by=people[index % len(people)],
                    title=f"Thread {index} call {n}",
                    description="Logged at the same moment as everyone else.",
                    impact=2,
                    urgency=2,
                )
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=log_many, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread is stuck: the reference lock never came free"
    assert errors == []

    references = sorted(Incident.objects.filter(school=highfield).values_list("reference", flat=True))
    assert references == [f"INC-{n:06d}" for n in range(1, THREADS * EACH + 1)]
    assert ReferenceSequence.objects.get(school=highfield, prefix="INC").last_number == THREADS * EACH


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="SQLite serialises every write, so there is no race to test; run with DATABASE_URL=postgres://...",
)
@pytest.mark.django_db(transaction=True)
def test_sixty_four_creators_across_ten_schools_get_unique_consecutive_references(bolton):
    """Issue 12 part 8: 64 people logging at once across 10 schools; each school's numbers have no duplicate or gap."""
    from fits.models import Role, School
    from incidents import services
    from tests.conftest import make_person

    creators, each = 64, 3
    schools = [School.objects.create(slug=f"school-{n}", name=f"School {n}", authority=bolton) for n in range(10)]
    people = [make_person(f"creator{n}", school=schools[n % 10], role=Role.TECHNICIAN) for n in range(creators)]
    start = threading.Barrier(creators)
    errors: list[BaseException] = []

    def log_many(person) -> None:
        try:
            start.wait(timeout=30)
            school = person.membership_set.get().school
            for n in range(each):
                services.incident_log(
                    school=school, logged_by=person, title=f"{person.username} call {n}", description="At once.",
                    impact=2, urgency=2,
                )  # fmt: skip
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=log_many, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a creator is stuck: a reference lock never came free"
    assert errors == []
    for n, school in enumerate(schools):
        logged = creators // 10 + (1 if n < creators % 10 else 0)
        references = sorted(Incident.objects.filter(school=school).values_list("reference", flat=True))
        assert references == [f"INC-{k:06d}" for k in range(1, logged * each + 1)], school.slug
