"""The headings of the two strategy documents (the FITS OM appendix), with guidance and the live facts each shows.

A new document is made with these sections in this order; each section keeps its own copy of the heading and
guidance, so a later change here does not rewrite a version already written or signed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SectionSpec:
    key: str
    title: str
    guidance: str
    facts: tuple[str, ...] = ()  # fact keys (fits/strategy/facts.py) shown under the text


ICT_STRATEGY = (
    SectionSpec(
        "statement_of_intent",
        "Statement of intent",
        "Why the school uses ICT and what this strategy commits it to, in a few sentences the governors and staff "
        "can remember. Say who wrote it and who agreed it.",
    ),
    SectionSpec(
        "vision",
        "Vision and aims for ICT in teaching, learning and management",
        "What ICT should make possible in three to five years: for pupils' learning, for teaching, and for the "
        "management and administration of the school. Keep each aim concrete enough to check later.",
    ),
    SectionSpec(
        "audit",
        "Where we are now (audit)",
        "An honest audit of today: equipment and its age, the network, the services people rely on, staff skills "
        "and confidence, how support works. The live facts below come from FITS Service Desk.",
        facts=("services", "processes"),
    ),
    SectionSpec(
        "priorities",
        "Priorities and targets",
        "The few priorities for the next one to three years, each with a measurable target, an owner and a date.",
    ),
    SectionSpec(
        "resources",
        "Resources: funding, people and training",
        "Where the money comes from and what it is spent on; who does the work (school staff, the LEA, suppliers); "
        "the training staff need to meet the aims.",
        facts=("budget",),
    ),
    SectionSpec(
        "monitoring",
        "Monitoring and evaluation",
        "How progress against the targets is measured and reported, by whom and how often (e.g. the termly service "
        "report to governors), and when the strategy itself is reviewed.",
        facts=("slas",),
    ),
    SectionSpec(
        "la_links",
        "Links with the local authority's strategy",
        "How this strategy fits the local authority's ICT strategy and the services the school buys from it "
        "(broadband, MIS support, traded technical support).",
    ),
)

SUPPORT_STRATEGY = (
    SectionSpec(
        "services",
        "ICT services",
        "The ICT services the school provides to its users, what each gives them, when it is supported and the "
        "service levels agreed with them. The catalogue and agreements below are live from FITS Service Desk.",
        facts=("services", "catalogue", "slas"),
    ),
    SectionSpec(
        "technology",
        "Technology",
        "The technology the services run on: servers, network, devices, software and how they are kept up to date "
        "and replaced.",
        facts=("technology",),
    ),
    SectionSpec(
        "resources",
        "Resources",
        "The people (network manager, technicians, service desk, the LEA support unit, suppliers), their time and "
        "skills, and the budget for support, spares and replacement.",
        facts=("budget",),
    ),
    SectionSpec(
        "processes",
        "Management and support processes (FITS)",
        "Which FITS processes are in place (service desk, incident, problem, change, release, configuration, "
        "availability, service level, continuity, financial), who owns each, and the next to introduce.",
        facts=("processes",),
    ),
    SectionSpec(
        "operations",
        "Operational management functions (FITS OM)",
        "How the six FITS OM functions are run: the policy of each, its owner, and how its activities are "
        "allocated to staff.",
        facts=("om_policies",),
    ),
)

BY_KIND = {"ict": ICT_STRATEGY, "support": SUPPORT_STRATEGY}
