"""The strategies for the demo, at highfield: its technical support strategy approved (signed by the head teacher, the
LA adviser, the ICT co-ordinator and the network manager: its live facts frozen), and its ICT strategy in draft with
two of the four signatures (the head teacher's and the network manager's). The demo's one leader is both head
teacher and ICT co-ordinator, as in many primary schools."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from fits.models import School, User
from fits.strategy import services
from fits.strategy.models import StrategyDocument

SUPPORT_TEXT = {
    "services": (
        "Highfield's ICT team supports the services our pupils and staff rely on every school day: the curriculum "
        "network and its file shares, e-mail, the MIS (attendance, assessment and the office), the learning "
        "platform, printing and the classroom projectors.\n\n"
        "- Everyone logs incidents and requests with the **service desk** (web, e-mail or the office phone).\n"
        "- Service levels are agreed with staff each year and reported to governors every term.\n"
        "- A fault that stops a lesson in progress is treated as a high priority."
    ),
    "technology": (
        "Two servers (files and the MIS database) and a NAS for backups, one core switch with an edge switch per "
        "block, filtered broadband from the local authority, about 120 desktops and laptops and 60 tablets.\n\n"
        "Devices are replaced on a five-year cycle; anything out of warranty is listed in the CMDB audit each term."
    ),
    "resources": (
        "A full-time network manager and a technician, with the desk run by the school office. The LEA's Schools "
        "ICT Unit provides second-line support and four consultancy days a year under the traded services "
        "agreement.\n\n"
        "The budget covers support, consumables, spares and the replacement cycle; it is set each spring with the "
        "business manager."
    ),
    "processes": (
        "Service desk, incident, problem, change, release and configuration management are in place and used "
        "daily. Service level management is next to mature: agreements are reviewed with staff each July.\n\n"
        "1. Every change to the servers or network goes through a request for change.\n"
        "2. Recurring incidents are reviewed weekly as candidate problems."
    ),
    "operations": (
        "The network manager owns each of the six FITS OM functions and writes its policy; routine checks are "
        "allocated to the technician and the desk, and the network manager reviews them termly."
    ),
}

ICT_TEXT = {
    "statement_of_intent": (
        "Highfield uses ICT to widen what our pupils can learn and to give our staff more time to teach. This "
        "strategy sets out how, for the next three years."
    ),
    "vision": (
        "- Every pupil uses ICT confidently and safely across the curriculum.\n"
        "- Teachers plan, teach and assess with reliable equipment in every classroom.\n"
        "- The office and leaders work from one accurate MIS."
    ),
    "audit": (
        "Equipment is mostly under five years old, but the Key Stage 1 tablets are ageing. Staff confidence is good "
        "for presenting and weaker for assessment tools."
    ),
    "priorities": (
        "1. **Replace the Key Stage 1 tablets** by September (owner: network manager).\n"
        "2. Train every teacher on the assessment tools by the spring term (owner: ICT co-ordinator)."
    ),
}


def seed_strategy(schools: dict[str, School], people: dict[str, User]) -> dict[str, int]:
    """How many of each thing were added (empty when it was all there)."""
    school = schools.get("highfield")
    leader, netmgr, consultant = people.get("leader"), people.get("netmgr"), people.get("consultant")
    if school is None or None in (leader, netmgr, consultant):
        return {}
    if StrategyDocument.objects.filter(school=school).exists():
        return {}
    today = timezone.localdate()
    support = services.strategy_document_create(school=school, kind="support", actor=netmgr)
    services.strategy_dates_set(document=support, draft_date=today - timedelta(days=60),
                                review_date=today + timedelta(days=305), actor=netmgr)  # fmt: skip
    for key, text in SUPPORT_TEXT.items():
        services.strategy_section_edit(document=support, key=key, text=text, actor=netmgr)
    signatures = [("network_manager", netmgr), ("head", leader), ("ict_coordinator", leader),
                  ("la_adviser", consultant)]  # fmt: skip
    for capacity, person in signatures:
        services.strategy_sign(document=support, capacity=capacity, actor=person)
    ict = services.strategy_document_create(school=school, kind="ict", actor=leader)
    services.strategy_dates_set(document=ict, draft_date=today - timedelta(days=7),
                                review_date=today + timedelta(days=358), actor=leader)  # fmt: skip
    for key, text in ICT_TEXT.items():
        services.strategy_section_edit(document=ict, key=key, text=text, actor=leader)
    services.strategy_sign(document=ict, capacity="head", actor=leader, comment="Agreed at SLT.")
    services.strategy_sign(document=ict, capacity="network_manager", actor=netmgr)
    return {"strategy documents": 2, "signatures": 6}
