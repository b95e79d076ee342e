"""Load the demo: the authorities, schools and logins of DESIGN.md 6 and a believable week of work."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from cmdb.models import ConfigurationItem, Location, Port, PortKind
from fits.models import Authority, AuthorityRole, AuthorityRoleKind, Membership, Role, School, User

# The demos of the processes and functions that take (schools, people) and say how many of each thing they added;
# run in this order, each skipped once its data is there. Imported when run: the core never imports the apps above.
PROCESS_DEMOS = [
    ("Monitoring", "availability.demo.seed_monitoring"),
    ("Systems administration", "om.sysadmin.demo.seed_sysadmin"),
    ("Security administration", "om.security.demo.seed_security"),
    ("Patch management", "om.patches.demo.seed_patches"),
    ("Operations policies", "om.demo.seed_policies"),
    ("Storage management", "om.storage.demo.seed_storage"),
    ("Print management", "om.printing.demo.seed_printing"),
    ("Directory services", "om.directory.demo.seed_directory"),
    ("Financial management", "finance.demo.seed_finance"),
    ("Service continuity", "continuity.demo.seed_continuity"),
    ("FITS maturity assessment", "fits.assessment.demo.seed_assessment"),
    ("ICT strategy", "fits.strategy.demo.seed_strategy"),  # last: its approval freezes the others' facts
]

AUTHORITIES = [
    {"slug": "bolton", "name": "Bolton Council", "code": "350", "email": "ictunit@bolton.example.gov.uk"},
    {"slug": "wigan", "name": "Wigan Council", "code": "359", "email": "schoolsict@wigan.example.gov.uk"},
]
SCHOOLS = [
    {
        "slug": "highfield",
        "name": "Highfield Primary School",
        "authority": "bolton",
        "phase": "primary",
        "code": "105180",
        "postcode": "BL3 4AA",
        "phone": "01204 555 0101",
    },
    {
        "slug": "riverside",
        "name": "Riverside Academy",
        "authority": "bolton",
        "phase": "secondary",
        "code": "105190",
        "postcode": "BL1 8RT",
        "phone": "01204 555 0202",
    },
    {
        "slug": "westfield",
        "name": "Westfield High School",
        "authority": "wigan",
        "phase": "secondary",
        "code": "106480",
        "postcode": "WN5 9XY",
        "phone": "01942 555 0303",
    },
]
# The logins: password equal to the username.
LOGINS = [
    ("admin", "Alex", "Admin", "ICT administrator", None, None),
    ("consultant", "Carol", "Lomax", "Schools ICT consultant", "bolton", AuthorityRoleKind.CONSULTANT),
    ("leader", "Helen", "Ward", "Headteacher", "highfield", Role.SCHOOL_LEADER),
    ("netmgr", "Nadeem", "Shah", "Network manager", "highfield", Role.NETWORK_MANAGER),
    ("tech", "Tom", "Baxter", "ICT technician", "highfield", Role.TECHNICIAN),
    ("desk", "Dawn", "Fletcher", "School business officer (service desk)", "highfield", Role.DESK),
    ("staff", "Sam", "Okafor", "Year 4 teacher", "highfield", Role.ICT_USER),
    ("tech2", "Priya", "Nair", "ICT technician", "riverside", Role.TECHNICIAN),
    ("outsider", "Owen", "Price", "ICT technician", "westfield", Role.TECHNICIAN),
]
# Callers who appear in the demo's incidents but cannot sign in (no usable password).
CALLERS = [
    ("highfield", "mrs.patel", "Anita", "Patel", "Year 2 teacher"),
    ("highfield", "mr.jones", "Gareth", "Jones", "Office manager"),
    ("riverside", "ms.clarke", "Emma", "Clarke", "Head of science"),
    ("riverside", "mr.hughes", "David", "Hughes", "Exams officer"),
    ("westfield", "mrs.evans", "Rhian", "Evans", "Teaching assistant"),
    ("westfield", "mr.ali", "Imran", "Ali", "Head of year 9"),
]

# A week at a school: (days ago, hours into the day, caller, summary, description, room, impact, urgency, story)
# story: the actions taken after logging, as (action, actor, note) with actor "tech" meaning the school's technician.
WEEK = [
    (
        6,
        8.5,
        0,
        "Interactive whiteboard not responding to pen",
        "The board shows the picture but the pen does nothing. Restarted the laptop, no change. Worked fine on Friday.",
        "Classroom 4",
        2,
        2,
        [
            ("start", "tech", ""),
            ("resolve", "tech", "Recalibrated the board and replaced the pen battery."),
            ("close", "caller", ""),
        ],
    ),
    (
        5,
        9.25,
        1,
        "Office printer jamming on every job",
        "Paper jams in tray 2 each time we print letters home.",
        "School office",
        2,
        2,
        [("start", "tech", ""), ("resolve", "tech", "Removed a torn label from the rollers.")],
    ),
    (
        4,
        13.0,
        0,
        "Cannot log in to the learning platform",
        "Pupils in my class get 'account locked' when they sign in.",
        "Classroom 2",
        2,
        1,
        [("start", "tech", ""), ("hold", "tech", "Waiting for the platform supplier to unlock accounts.")],
    ),
    (
        3,
        10.5,
        1,
        "Wi-Fi drops in the hall during assemblies",
        "The laptop loses Wi-Fi every few minutes in the hall.",
        "Main hall",
        1,
        2,
        [("assign", "tech", "")],
    ),
    (
        2,
        15.0,
        0,
        "Laptop trolley not charging",
        "Half the laptops in trolley B were flat this morning.",
        "Year 4 corridor",
        2,
        3,
        [],
    ),
    (
        1,
        8.0,
        1,
        "New starter needs an e-mail account",
        "Our new teaching assistant starts on Monday.",
        "School office",
        3,
        3,
        [("start", "tech", "")],
    ),
    (
        0,
        8.75,
        0,
        "Projector shows no picture",
        "The projector in the science lab says 'no signal'.",
        "Science lab",
        2,
        1,
        [],
    ),
]


# What the week's moves are made with: its holds wait on a supplier, its fixes are fixes.
WEEK_DETAILS = {"hold": {"hold_reason": "awaiting_supplier"}, "resolve": {"resolution_code": "fixed"}}

# The service desk: each authority's support groups and category tree (_service_desk).
# (name, kind, e-mail, phone, notes)
AUTHORITY_GROUPS = {
    "bolton": [
        ("Bolton Schools ICT Unit", "authority", "ictunit@bolton.example.gov.uk", "01204 333 100",
         "The LEA support unit: escalate servers, the network core, the MIS and anything the school cannot fix. "
         "Weekdays 08:00-17:00."),
        ("Bolton Broadband", "supplier", "noc@boltonbroadband.example.net", "0800 555 0199",
         "Schools broadband and the LEA firewall. Quote the school's circuit ID."),
        ("North West Copiers", "supplier", "service@nwcopiers.example.co.uk", "0161 555 0142",
         "Copier and multi-function printer contract: an engineer within 8 working hours."),
    ],
    "wigan": [
        ("Wigan Schools ICT", "authority", "schoolsict@wigan.example.gov.uk", "01942 444 200",
         "The LEA support unit for Wigan schools. Weekdays 08:30-17:00."),
    ],
}  # fmt: skip
# (top-level category, applies to ("" both, "incident", "request"), its subcategories)
CATEGORY_TREE = [
    ("Hardware", "", ["Laptop", "Desktop", "Printer", "Projector & interactive display"]),
    ("Network", "", ["Wi-Fi", "Internet", "Wired"]),
    ("Software", "", ["MIS", "Office", "Curriculum apps"]),
    ("Accounts", "", ["Password", "Access"]),
    ("Requests", "request", ["New starter", "Software install", "Equipment loan", "Room set-up for an event"]),
]

# =============================================================================
# The demo network: each school's CMDB, built through cmdb.services
# =============================================================================

# A school's network: the comms room with the core, servers, firewall and router; a block per edge
# switch with its patch panel and its rooms; an ICT suite with its own switch. Each room lists its
# devices: "pc", "laptop", "projector", "iwb" (interactive whiteboard), "printer", "colour printer",
# "ap" (Wi-Fi access point). Every device reaches its switch port through a wall socket, a permanent
# link and the block's patch panel, as in a real school.
NETWORKS = {
    "highfield": {
        "prefix": "HF",
        "actor": "netmgr",
        "technician": "tech",
        "subnet": "10.20",
        "site": "Main site",
        "core_block": "Main building",
        "blocks": [
            ("Main building", "MAIN", "Comms room", [
                ("School office", "OFF", ["pc", "pc", "colour printer"]),
                ("Head's office", "HEAD", ["laptop"]),
                ("Staff room", "STAFF", ["pc", "printer"]),
                ("Main hall", "HALL", ["projector", "ap"]),
                ("Library", "LIB", ["pc", "pc", "ap"]),
            ]),
            ("Infant block", "INF", "Infant comms cupboard", [
                ("Classroom 1", "C1", ["pc", "projector"]),
                ("Classroom 2", "C2", ["pc", "iwb", "ap"]),
                ("Classroom 3", "C3", ["pc", "projector"]),
            ]),
            ("Junior block", "JUN", "Junior comms cupboard", [
                ("Classroom 4", "C4", ["pc", "iwb", "ap"]),
                ("Classroom 5", "C5", ["pc", "projector"]),
                ("Classroom 6", "C6", ["pc", "projector"]),
                ("Science lab", "SCI", ["pc", "projector"]),
                ("Year 4 corridor", "Y4", ["ap"]),
            ]),
        ],
        "ict_suite": ("Junior block", 30),
    },
    "riverside": {
        "prefix": "RV",
        "actor": "tech2",
        "technician": "tech2",
        "subnet": "10.30",
        "site": "Riverside campus",
        "core_block": "Main building",
        "blocks": [
            ("Main building", "MAIN", "Server room", [
                ("School office", "OFF", ["pc", "pc", "colour printer"]),
                ("Main hall", "HALL", ["projector", "ap"]),
                ("Classroom 2", "C2", ["pc", "projector"]),
                ("Classroom 4", "C4", ["pc", "iwb"]),
            ]),
            ("Science block", "SCB", "Science prep room", [
                ("Science lab", "SCI", ["pc", "projector", "ap"]),
                ("Year 4 corridor", "Y4", ["ap"]),
            ]),
        ],
        "ict_suite": ("Science block", 12),
    },
    "westfield": {
        "prefix": "WF",
        "actor": "outsider",
        "technician": "outsider",
        "subnet": "10.40",
        "site": "Westfield site",
        "core_block": "North building",
        "blocks": [
            ("North building", "NTH", "Server room", [
                ("School office", "OFF", ["pc", "colour printer"]),
                ("Main hall", "HALL", ["projector", "ap"]),
                ("Classroom 2", "C2", ["pc", "projector"]),
                ("Classroom 4", "C4", ["pc", "iwb"]),
            ]),
            ("South building", "STH", "South comms cupboard", [
                ("Science lab", "SCI", ["pc", "projector", "ap"]),
                ("Year 4 corridor", "Y4", ["ap"]),
            ]),
        ],
        "ict_suite": ("South building", 10),
    },
}  # fmt: skip

# The demo week's incidents and the configuration item each is about ("{p}": the school's prefix).
WEEK_CIS = {
    "Interactive whiteboard not responding to pen": "{p}-C4-IWB",
    "Office printer jamming on every job": "{p}-OFF-PRN",
    "Cannot log in to the learning platform": "Learning platform",
    "Wi-Fi drops in the hall during assemblies": "{p}-HALL-AP",
    "New starter needs an e-mail account": "E-mail",
    "Projector shows no picture": "{p}-SCI-PRJ",
}

# (kind, make, model, cost, attributes) of each sort of device in NETWORKS.
DEVICES = {
    "pc": ("desktop", "Dell", "OptiPlex 7010", "649.00",
           {"cpu": "Intel Core i5-13500", "memory_mb": 16384, "disk_gb": 512, "os": "Windows 11 Education 23H2"}),
    "laptop": ("laptop", "Lenovo", "ThinkPad L14 Gen 4", "789.00",
               {"cpu": "Intel Core i5-1335U", "memory_mb": 16384, "disk_gb": 512, "os": "Windows 11 Education 23H2",
                "battery_health": 91}),
    "projector": ("display", "Epson", "EB-W49", "499.00", {"display_type": "projector", "lamp_hours": 2210}),
    "iwb": ("display", "SMART", "Board 6075S", "2950.00", {"display_type": "interactive whiteboard"}),
    "printer": ("printer", "HP", "LaserJet Pro 4002dne", "289.00",
                {"colour": False, "duplex": True, "page_count": 18250}),
    "colour printer": ("printer", "Kyocera", "TASKalfa 3253ci", "3450.00",
                       {"colour": True, "duplex": True, "page_count": 96410}),
    "ap": ("access_point", "Ubiquiti", "UniFi U6 Pro", "159.00",
           {"band": "dual", "firmware": "6.6.77"}),
}  # fmt: skip
SUFFIX = {
    "pc": "PC",
    "laptop": "LT",
    "projector": "PRJ",
    "iwb": "IWB",
    "printer": "PRN",
    "colour printer": "PRN",
    "ap": "AP",
}


class NetworkBuilder:
    """Builds one school's network through cmdb.services, as its network manager would record it."""

    def __init__(self, school: School, plan: dict, actor: User, technician: User) -> None:
        self.school, self.plan, self.actor, self.technician = school, plan, actor, technician
        self.prefix, self.subnet = plan["prefix"], plan["subnet"]
        self.today = timezone.localdate()
        self.count = 0
        self.rooms: dict[str, Location] = {}
        self.items: dict[str, ConfigurationItem] = {}
        self.free_ports: dict[str, list[Port]] = {}
        self.uplinks: dict[str, Port] = {}
        self.panel_next: dict[str, int] = {}
        self.hosts = 20

    # --- small steps ----------------------------------------------------------------------------

    def name(self, *parts: str) -> str:
        return "-".join((self.prefix, *parts))

    def ci(
        self, kind: str, name: str, room: Location | None, attributes: dict | None = None, **fields
    ) -> ConfigurationItem:
        """One item, bought over the last five years: some warranties have run out, some end soon."""
        from cmdb import services

        self.count += 1
        n = self.count
        if kind not in ("service", "wall_socket"):
            bought = self.today - timedelta(days=200 + (n * 97) % 1800)
            years = 5 if kind in ("switch", "server", "firewall", "router") else 3
            fields.setdefault("purchase_date", bought)
            fields.setdefault("warranty_end", bought + timedelta(days=365 * years))
            fields.setdefault("serial", f"{self.prefix}{kind[:2].upper()}{n * 7919 % 100000:05d}")
            fields.setdefault("asset_tag", f"{self.prefix}-{n:04d}")
            fields.setdefault("supplier", "Bolton Schools ICT" if self.school.authority.slug == "bolton" else "XMA")
        item = services.ci_create(
            school=self.school,
            actor=self.actor,
            kind=kind,
            name=name,
            location=room,
            attributes=attributes or {},
            **fields,
        )
        self.items[name] = item
        return item

    def port(self, ci: ConfigurationItem, name: str, **fields) -> Port:
        from cmdb import services

        return services.port_create(ci=ci, actor=self.actor, name=name, **fields)

    def cable(self, a: Port, b: Port, label: str, type_: str = "cat6", **fields) -> None:
        from cmdb import services

        services.cable_connect(a_port=a, b_port=b, actor=self.actor, label=label, type=type_, **fields)

    def mac(self) -> str:
        self.hosts += 1
        school_byte = {"HF": 0x20, "RV": 0x30, "WF": 0x40}.get(self.prefix, 0x50)
        return f"3c:ec:ef:{school_byte:02x}:{self.hosts // 256:02x}:{self.hosts % 256:02x}"

    def switch(self, name: str, room: Location, *, ports: int, address: str, model: str, core: bool = False):
        """A switch with all its ports; the last one is its uplink, towards the core (or the firewall)."""
        switch = self.ci(
            "switch",
            name,
            room,
            {"port_count": ports, "managed": True, "poe": not core, "firmware": "17.9.4" if core else "15.2(7)E9"},
            manufacturer="Cisco",
            model_name=model,
            management_address=address,
            purchase_cost=Decimal("4200.00" if core else "1350.00"),
        )
        self.free_ports[name] = [self.port(switch, f"gi1/0/{i}", speed_mbps=1000) for i in range(1, ports)]
        self.uplinks[name] = self.port(switch, f"gi1/0/{ports}", speed_mbps=1000, is_uplink=True, cable_expected=True)
        return switch

    def take(self, switch_name: str) -> Port:
        """The next free port of a switch."""
        return self.free_ports[switch_name].pop(0)

    def panel(self, name: str, room: Location, size: int) -> ConfigurationItem:
        panel = self.ci(
            "patch_panel",
            name,
            room,
            {"port_count": size},
            manufacturer="Excel",
            model_name=f"Cat6 {size}-port patch panel",
            purchase_cost=Decimal("85.00"),
        )
        self.panel_next[name] = 1
        return panel

    def outlet(self, device_port: Port, room: Location, code: str, switch_name: str, panel_name: str) -> None:
        """Switch port -> patch panel front/rear -> permanent link -> wall socket rear/front -> the device."""
        panel = self.items[panel_name]
        n = self.panel_next[panel_name]
        self.panel_next[panel_name] = n + 1
        sockets = sum(1 for item in self.items.values() if item.kind == "wall_socket" and item.location_id == room.pk)
        socket_name = self.name(code, f"{sockets + 1:02d}")
        socket = self.ci("wall_socket", socket_name, room)
        socket_rear = self.port(socket, "rear", kind=PortKind.REAR)
        socket_front = self.port(socket, "front", kind=PortKind.FRONT, rear_port=socket_rear, cable_expected=True)
        panel_rear = self.port(panel, f"rear {n}", kind=PortKind.REAR)
        panel_front = self.port(panel, str(n), kind=PortKind.FRONT, rear_port=panel_rear)
        self.cable(panel_rear, socket_rear, f"{panel_name} {n} - {socket_name}", length_m=Decimal(str(18 + n % 40)))
        self.cable(
            self.take(switch_name), panel_front, f"{panel_name} {n} patch", colour="blue", length_m=Decimal("0.5")
        )
        self.cable(socket_front, device_port, f"{socket_name} lead", length_m=Decimal("3"))

    def device(self, sort: str, name: str, room: Location, code: str, switch_name: str, panel_name: str):
        kind, make, model, cost, attributes = DEVICES[sort]
        attributes = dict(attributes)
        if kind in ("desktop", "laptop"):
            attributes["hostname"] = name.lower()
        if kind == "access_point":
            attributes["ssids"] = f"{self.prefix}-Staff, {self.prefix}-Pupils, {self.prefix}-Guest"
        address = f"{self.subnet}.10.{self.hosts % 250}" if kind in ("printer", "access_point") else ""
        item = self.ci(
            kind,
            name,
            room,
            attributes,
            manufacturer=make,
            model_name=model,
            purchase_cost=Decimal(cost),
            management_address=address,
        )
        port = self.port(item, "eth0", speed_mbps=1000, mac=self.mac())
        self.outlet(port, room, code, switch_name, panel_name)
        return item

    # --- the whole network ----------------------------------------------------------------------

    def build(self) -> int:
        from cmdb import services
        from cmdb.models import Relationship

        plan, actor = self.plan, self.actor
        site = services.location_create(school=self.school, actor=actor, kind="site", name=plan["site"])
        blocks = {}
        for block_name, _code, cabinet, rooms in plan["blocks"]:
            block = services.location_create(
                school=self.school, actor=actor, kind="building", name=block_name, parent=site
            )
            blocks[block_name] = block
            self.rooms[cabinet] = services.location_create(
                school=self.school, actor=actor, kind="room", name=cabinet, parent=block
            )
            for room_name, _, _ in rooms:
                self.rooms[room_name] = services.location_create(
                    school=self.school, actor=actor, kind="room", name=room_name, parent=block
                )
        ict_block, ict_size = plan["ict_suite"]
        self.rooms["ICT suite"] = services.location_create(
            school=self.school, actor=actor, kind="room", name="ICT suite", parent=blocks[ict_block]
        )
        comms = self.rooms[plan["blocks"][0][2]]

        # The way out: router, firewall, core switch.
        router = self.ci(
            "router",
            self.name("RTR-01"),
            comms,
            {"firmware": "4.3.2.7", "wan_ip": f"81.149.{self.hosts}.18"},
            manufacturer="DrayTek",
            model_name="Vigor 2927",
            management_address=f"{self.subnet}.0.254",
            purchase_cost=Decimal("389.00"),
            supplier="Schools broadband (LEA contract)",
        )
        firewall = self.ci(
            "firewall",
            self.name("FW-01"),
            comms,
            {"firmware": "SFOS 20.0.2", "throughput_mbps": 1000},
            manufacturer="Sophos",
            model_name="XGS 2100",
            management_address=f"{self.subnet}.0.1",
            purchase_cost=Decimal("2650.00"),
        )
        core_name = self.name("CORE-01")
        core = self.switch(
            core_name, comms, ports=24, address=f"{self.subnet}.0.2", model="Catalyst 9300-24T", core=True
        )
        self.port(router, "wan", is_uplink=True)
        router_lan = self.port(router, "lan1", speed_mbps=1000)
        firewall_wan = self.port(firewall, "wan", is_uplink=True, speed_mbps=1000)
        firewall_lan = self.port(firewall, "lan1", speed_mbps=1000)
        self.cable(router_lan, firewall_wan, "Router to firewall", colour="red", length_m=Decimal("1"))
        self.cable(firewall_lan, self.uplinks[core_name], "Firewall to core", colour="red", length_m=Decimal("1"))

        # Two servers on the core.
        servers = {}
        for number, role, memory in (
            ("01", "Domain controller, file and MIS server", 65536),
            ("02", "Print server and backups", 32768),
        ):
            name = self.name(f"SRV-{number}")
            server = self.ci(
                "server",
                name,
                comms,
                {
                    "hostname": name.lower(),
                    "cpu": "Intel Xeon Silver 4410Y",
                    "memory_mb": memory,
                    "disk_gb": 4000,
                    "os": "Windows Server 2022 Standard",
                    "role": role,
                    "virtual": False,
                },
                manufacturer="Dell",
                model_name="PowerEdge R460",
                management_address=f"{self.subnet}.0.{10 + int(number)}",
                purchase_cost=Decimal("6800.00"),
            )
            self.cable(
                self.take(core_name),
                self.port(server, "eth0", speed_mbps=1000, mac=self.mac()),
                f"{name} eth0",
                length_m=Decimal("2"),
            )
            servers[number] = server

        # An edge switch and a patch panel per block, up to the core; the block's rooms behind them.
        for index, (_name, block_code, cabinet, rooms) in enumerate(plan["blocks"]):
            edge_name, panel_name = self.name(f"EDGE-{block_code}"), self.name(f"PP-{block_code}")
            outlets = sum(len(devices) for _, _, devices in rooms)
            self.switch(
                edge_name,
                self.rooms[cabinet],
                ports=24 if outlets < 20 else 48,
                address=f"{self.subnet}.0.{20 + index}",
                model="Catalyst 2960X-24PS-L",
            )
            self.panel(panel_name, self.rooms[cabinet], 24 if outlets < 20 else 48)
            fibre = index > 0
            self.cable(
                self.take(core_name),
                self.uplinks[edge_name],
                f"{block_code} uplink",
                type_="fibre_mm" if fibre else "cat6",
                length_m=Decimal("85" if fibre else "1"),
            )
            for room_name, code, devices in rooms:
                counts: Counter = Counter()
                for sort in devices:
                    counts[SUFFIX[sort]] += 1
                    suffix = (
                        SUFFIX[sort]
                        if devices.count(sort) == 1 and sort != "pc"
                        else f"{SUFFIX[sort]}{counts[SUFFIX[sort]]:02d}"
                    )
                    self.device(sort, self.name(code, suffix), self.rooms[room_name], code, edge_name, panel_name)

        # The ICT suite: its own switch and panel, a teacher's PC, a projector, a printer and the pupils' PCs.
        suite = self.rooms["ICT suite"]
        edge_name, panel_name = self.name("EDGE-ICT"), self.name("PP-ICT")
        self.switch(edge_name, suite, ports=48, address=f"{self.subnet}.0.30", model="Catalyst 2960X-48LPS-L")
        self.panel(panel_name, suite, 48)
        self.cable(
            self.take(core_name), self.uplinks[edge_name], "ICT suite uplink", type_="fibre_mm", length_m=Decimal("60")
        )
        self.device("pc", self.name("ICT-TEACHER"), suite, "ICT", edge_name, panel_name)
        self.device("projector", self.name("ICT-PRJ"), suite, "ICT", edge_name, panel_name)
        self.device("printer", self.name("ICT-PRN"), suite, "ICT", edge_name, panel_name)
        for n in range(1, ict_size + 1):
            self.device("pc", self.name("ICT", f"PC{n:02d}"), suite, "ICT", edge_name, panel_name)

        # The services, and what they rely on.
        def service(name, purpose, criticality, hours="08:00-18:00, term time"):
            return self.ci(
                "service", name, None, {"purpose": purpose, "criticality": criticality, "service_hours": hours}
            )

        internet = service("Internet access", "learning", "high", "07:30-18:00, all year")
        email = service("E-mail", "management", "high", "all day, all year")
        platform = service("Learning platform", "learning", "medium")
        mis = service("MIS", "management", "high", "07:30-18:00, all year")
        printing = service("Printing", "teaching", "medium")
        files = service("File storage", "teaching", "high")
        depends, runs = Relationship.Kind.DEPENDS_ON, Relationship.Kind.RUNS_ON
        for source, target, kind, note in (
            (internet, firewall, depends, "All traffic leaves through the firewall"),
            (internet, router, depends, "The LEA broadband line"),
            (internet, core, depends, "Every classroom reaches the firewall through the core"),
            (email, internet, depends, "Microsoft 365, in the cloud"),
            (platform, internet, depends, "Hosted by the supplier"),
            (mis, servers["01"], runs, "On-premises MIS database"),
            (files, servers["01"], runs, "Staff and pupil shared drives"),
            (printing, servers["02"], runs, "Print queues and follow-me printing"),
        ):
            services.relationship_add(source=source, target=target, actor=actor, kind=kind, note=note)

        self._history(core, firewall)
        self._software()
        return self.count

    def _history(self, core: ConfigurationItem, firewall: ConfigurationItem) -> None:
        """A few changes, so the history tabs say who changed what: a firmware upgrade, a repair, a retirement."""
        from cmdb import services

        attributes = {**core.attributes, "firmware": "17.12.3"}
        services.ci_update(
            ci=core,
            actor=self.actor,
            attributes=attributes,
            notes="Upgraded in the half-term window; config saved to the file server.",
        )
        services.ci_update(ci=firewall, actor=self.actor, attributes={**firewall.attributes, "firmware": "SFOS 21.0.0"})
        broken = self.items.get(self.name("C5-PRJ")) or self.items.get(self.name("C2-PRJ"))
        services.ci_transition(
            ci=broken,
            action="repair",
            actor=self.technician,
            note="Colour wheel failing: sent to Epson under warranty, loan projector fitted.",
        )
        spare = self.ci(
            "laptop",
            self.name("LT-SPARE-01"),
            self.rooms[self.plan["blocks"][0][2]],
            {**DEVICES["laptop"][4], "hostname": self.name("LT-SPARE-01").lower()},
            manufacturer="Lenovo",
            model_name="ThinkPad L14 Gen 4",
            status="in_stock",
        )
        old = self.ci(
            "desktop",
            self.name("OLD-PC01"),
            None,
            {"os": "Windows 10 Education"},
            manufacturer="Dell",
            model_name="OptiPlex 3050",
            purchase_date=self.today - timedelta(days=2900),
            warranty_end=self.today - timedelta(days=1800),
        )
        services.ci_transition(
            ci=old,
            action="retire",
            actor=self.technician,
            note="Too slow for Windows 11; kept for parts until the WEEE collection.",
        )
        services.ci_update(ci=spare, actor=self.technician, owner=None, notes="Loan laptop for supply teachers.")

    def _software(self) -> None:
        """Software on the computers (as their inventory would find it) and the school's licences with their seats."""
        from cmdb import services
        from cmdb.models import Licence, SoftwareInstallation

        actor = self.actor
        computers = [ci for ci in self.items.values() if ci.kind in ("desktop", "laptop", "server")]
        classroom = [ci for ci in computers if ci.kind == "desktop" and "-C" in ci.name and "-ICT-" not in ci.name]
        suite = [ci for ci in computers if "-ICT-PC" in ci.name]
        products = {
            name: services.software_product_create(school=self.school, actor=actor, name=name, publisher=publisher)
            for name, publisher in (
                ("Microsoft 365 Apps for enterprise", "Microsoft"),
                ("Sophos Intercept X", "Sophos"),
                ("SMART Notebook", "SMART Technologies"),
                ("Scratch", "MIT Media Lab"),
                ("Purple Mash", "2Simple"),
            )
        }
        installs = []
        for ci in computers:
            if ci.kind != "server":
                installs.append((ci, "Microsoft 365 Apps for enterprise", "2408"))
            installs.append((ci, "Sophos Intercept X", "2024.2"))
        installs += [(ci, "SMART Notebook", "22.1") for ci in classroom]
        installs += [(ci, "Scratch", "3.29") for ci in suite]
        for ci, name, version in installs:
            services.software_install(
                ci=ci, product=products[name], actor=actor, version=version,
                source=SoftwareInstallation.Source.INVENTORY,
            )  # fmt: skip
        year_start = (
            self.today.replace(month=9, day=1)
            if self.today.month >= 9
            else self.today.replace(year=self.today.year - 1, month=9, day=1)
        )
        year_end = year_start.replace(year=year_start.year + 1) - timedelta(days=1)
        terms = {
            "Microsoft 365 Apps for enterprise": {
                "model": Licence.Model.PER_USER, "seats": 60, "reference": "EES-A3-2024", "supplier": "Microsoft (EES)",
                "starts_on": year_start, "expires_on": year_end,
            },
            "Sophos Intercept X": {
                "model": Licence.Model.SUBSCRIPTION, "seats": len(computers) + 4,
                "reference": f"SOP-{self.prefix}-7731", "supplier": "LEA framework", "cost": Decimal("812.00"),
                "starts_on": year_start, "expires_on": self.today + timedelta(days=40),
            },
            "SMART Notebook": {
                "model": Licence.Model.PER_DEVICE, "seats": max(1, len(classroom) - 2),
                "reference": f"SMART-{self.prefix}-0192", "supplier": "Bolton Schools ICT", "cost": Decimal("540.00"),
                "starts_on": year_start, "expires_on": self.today + timedelta(days=300),
            },
            "Purple Mash": {
                "model": Licence.Model.SITE, "seats": None, "reference": "2S-SITE", "supplier": "2Simple",
                "cost": Decimal("595.00"), "starts_on": year_start, "expires_on": self.today - timedelta(days=12),
                "notes": "Renewal quote requested.",
            },
        }  # fmt: skip
        licences = {
            name: services.licence_create(school=self.school, actor=actor, product=products[name], **fields)
            for name, fields in terms.items()
        }
        people = User.objects.filter(membership__school=self.school, is_active=True).distinct().order_by("pk")
        holders = [(licences["Microsoft 365 Apps for enterprise"], {"user": person}) for person in people]
        holders += [(licences["Sophos Intercept X"], {"ci": ci}) for ci in computers]
        smart = licences["SMART Notebook"]
        holders += [(smart, {"ci": ci}) for ci in classroom[: smart.seats]]  # two classrooms short of a seat
        for licence, holder in holders:
            services.licence_seat_assign(licence=licence, actor=actor, **holder)


# Knowledge articles of every demo school: (title, summary, body, audience).
KNOWLEDGE = [
    ("Connecting to the school Wi-Fi", "Get a laptop or tablet onto the staff wireless network.",
     "Choose the network SCHOOL-STAFF and sign in with your school username and password.\n\n"
     "If it asks about a certificate, accept it. Still not connecting? Forget the network, restart the "
     "device and try again; then log an incident with the room you are in.", "everyone"),
    ("The projector shows no signal", "The projector or interactive panel is on but says no signal.",
     "Check the HDMI cable is firmly in at both ends and that the wall plate switch is set to the laptop.\n\n"
     "Press the Source or Input button on the remote until you see your screen. On the laptop press "
     "Windows + P and choose Duplicate.", "everyone"),
    ("Resetting your learning platform password", "Forgotten your learning platform password?",
     "Use the Forgotten password link on the sign-in page: a reset e-mail reaches your school address "
     "within five minutes.\n\nPupils' passwords are reset by their class teacher from the class page.",
     "everyone"),
    ("Printing from a laptop", "Send work to the office copier from a school laptop.",
     "Print to FollowMe, then release the job at any copier with your staff badge. Jobs wait for 24 hours.",
     "everyone"),
    ("Re-imaging an ICT suite PC", "Technicians: put a suite PC back to the standard build.",
     "Boot the PC from the network (F12), choose the current suite image in the deployment menu and "
     "leave it about 40 minutes.\n\nAfterwards check it joined the domain and the room's printer, then "
     "record the work on the configuration item.", "staff"),
]  # fmt: skip


# Saved workbench filters of the demo cast: (name, the workbench's query string).
SAVED_FILTERS = {
    "tech": [
        ("P1 and P2 open", "queue=open&priority=1&priority=2&sort=priority"),
        ("Projectors and boards", "queue=open&q=projector&sort=oldest"),
        ("Waiting on a supplier", "queue=on_hold&sort=updated"),
    ],
    "desk": [
        ("Phoned in, not yet routed", "queue=unassigned&sort=oldest"),
        ("Requests", "queue=open&kind=request&sort=oldest"),
    ],
}


# The demo timetable (lesson impact): a school day of periods, and classes in the ICT suite and a few rooms.
PRIMARY_DAY = [((8, 50), (9, 50)), ((9, 50), (10, 50)), ((11, 10), (12, 10)), ((13, 15), (14, 15)),
               ((14, 15), (15, 15))]  # fmt: skip
SECONDARY_DAY = [((8, 45), (9, 45)), ((9, 45), (10, 45)), ((11, 5), (12, 5)), ((12, 5), (13, 5)), ((13, 50), (14, 50)),
                 ((14, 50), (15, 50))]  # fmt: skip
SECONDARY_ROOMS = [
    ("ICT suite", [("9X2 Computing", "Mr Patel"), ("10A1 Computer Science", "Ms Ward"), ("7B Computing", "Mr Patel"),
                   ("11C2 iMedia", "Ms Ward"), ("8Y1 Computing", "Mr Hill")]),
    ("Science lab", [("9X1 Science", "Dr Evans"), ("10B2 Chemistry", "Mrs Khan"), ("7A Science", "Dr Evans")]),
    ("Classroom 2", [("8Y2 English", "Mr Lewis"), ("9Z1 History", "Ms Grant")]),
    ("Classroom 4", [("7C Maths", "Mr Doyle"), ("10A2 Maths", "Mrs Reid")]),
]  # fmt: skip
TIMETABLE = {
    "highfield": {
        "periods": PRIMARY_DAY,
        "rooms": [
            ("ICT suite", [("Year 4 Computing", "Mr Okafor"), ("Year 6 Computing", "Mrs Lee"),
                           ("Year 5 Computing", "Mr Okafor"), ("Year 3 Computing", "Miss Ahmed")]),
            ("Classroom 4", [("Year 4 Maths", "Mr Okafor"), ("Year 4 English", "Mr Okafor"),
                             ("Year 4 Topic", "Mr Okafor")]),
            ("Classroom 2", [("Year 1 Phonics", "Mrs Patel"), ("Year 1 Maths", "Mrs Patel")]),
            ("Science lab", [("Year 6 Science", "Mrs Lee"), ("Year 5 Science", "Mr Grant")]),
        ],
    },
    "riverside": {"periods": SECONDARY_DAY, "rooms": SECONDARY_ROOMS},
    "westfield": {"periods": SECONDARY_DAY, "rooms": SECONDARY_ROOMS},
}  # fmt: skip


class Command(BaseCommand):
    help = (
        "Create the demo authorities (bolton, wigan), schools (highfield, riverside, westfield), logins "
        "(admin, consultant, leader, netmgr, tech, desk, staff, tech2, outsider; password = username), callers "
        "who cannot sign in (mrs.patel, ms.clarke...), each school's network in the CMDB (core and edge switches, "
        "patch panels, wall sockets, an ICT suite, servers, services), a believable week of incidents, the ICT "
        "service catalogue with bolton's traded services and each school's agreements, and a school year of "
        "tickets since 1 September 2025 for the service-level dashboards and reports. Safe to "
        "run again: nothing is duplicated, but the logins' passwords are reset to their usernames. For "
        "demonstrations and development only: never run it on a real installation."
    )

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            authorities = self._authorities()
            schools = self._schools(authorities)
            people = self._people(schools, authorities)
            self._agent_keys(schools)
        items = sum(self._network(school, people) for school in schools.values())
        lessons = sum(self._timetable(school, people) for school in schools.values())
        self.stdout.write(f"Timetable: {lessons} lessons added.")
        created = 0
        for school in schools.values():
            created += self._week_of_incidents(school, people)
        articles = sum(self._articles(school, people) for school in schools.values())
        self.stdout.write(f"Knowledge: {articles} articles added.")
        self.stdout.write(f"Networks: {items} configuration items added.")
        problems = sum(self._problems(school, people) for school in schools.values())
        self.stdout.write(f"Problems: {problems} problems added.")
        candidates = sum(self._recurring(school, people) for school in schools.values())
        self.stdout.write(f"Recurring incidents: {candidates} candidate problems spotted.")
        inbound = sum(self._mail(school, people) for school in schools.values())
        self.stdout.write(f"E-mail intake: {inbound} inbound messages received.")
        desk_setup = self._service_desk(authorities, schools, people)
        self.stdout.write(f"Service desk: {desk_setup}.")
        requests = sum(self._requests(school, people) for school in schools.values())  # after the categories
        self.stdout.write(f"Service catalogue: {requests} requests added.")
        saved = self._saved_filters(people)
        self.stdout.write(f"Workbench: {saved} saved filters added.")
        flagged = self._safeguarding(schools, people)
        self.stdout.write(f"Safeguarding: highfield's lead named, {flagged} flagged incident added.")
        calendars = self._calendars(authorities, schools, people)
        self.stdout.write(f"Calendars: {calendars} calendars added.")
        self.stdout.write(f"Service levels: {self._service_levels(authorities, schools, people)}.")
        self.stdout.write(f"Service history: {self._ticket_history(schools, people)}.")
        from changes.demo import seed_changes

        changes = seed_changes(authorities, schools, people)
        self.stdout.write(
            "Change management: " + (", ".join(f"{n} {w}" for w, n in changes.items()) or "already set up") + "."
        )
        from releases.demo import seed_releases

        self.stdout.write(f"Release management: {seed_releases(schools, people)}.")
        for label, seeder in PROCESS_DEMOS:
            added = import_string(seeder)(schools, people)
            said = ", ".join(f"{n} {what}" for what, n in added.items()) or "already set up"
            self.stdout.write(f"{label}: {said}.")
        self.stdout.write(self.style.SUCCESS(f"Demo ready: {len(schools)} schools, {created} incidents added."))

    def _service_levels(
        self, authorities: dict[str, Authority], schools: dict[str, School], people: dict[str, User]
    ) -> str:
        """Last school year's terms, the ICT service catalogue, bolton's traded services and each school's
        agreements (servicelevels.demo); each part skipped once it is there."""
        from servicelevels import demo

        added = demo.seed_service_levels(schools, people)
        added["2025-26 calendars"] = demo.seed_past_terms(authorities, people["admin"])
        return ", ".join(f"{n} {what} added" for what, n in added.items() if n) or "already set up"

    def _ticket_history(self, schools: dict[str, School], people: dict[str, User]) -> str:
        """A school year of tickets (from 1 Sep 2025) so the dashboards tell a story, made in bulk
        (servicelevels.demo); skipped for a school that has it."""
        from time import perf_counter

        from servicelevels import demo

        started = perf_counter()
        added = demo.seed_history(schools, people)
        took = f" in {perf_counter() - started:.1f} s"
        return ", ".join(f"{n} {what}" for what, n in added.items()) + f" added{took}" if added else "already there"

    def _timetable(self, school: School, people: dict[str, User]) -> int:
        """A believable week of lessons in the ICT suite and a few classrooms (TIMETABLE), through the services;
        skipped once the school has a timetable."""
        from datetime import time

        from incidents.models import Lesson
        from incidents.services import lesson_create

        plan = TIMETABLE.get(school.slug)
        if plan is None or Lesson.objects.filter(school=school).exists():
            return 0
        tech = {"highfield": people["tech"], "riverside": people["tech2"], "westfield": people["outsider"]}[school.slug]
        added = 0
        with transaction.atomic():
            for index, (room_name, classes) in enumerate(plan["rooms"]):
                room = Location.objects.filter(school=school, kind=Location.Kind.ROOM, name=room_name).first()
                if room is None:
                    continue
                for day in range(5):
                    for period, (start, end) in enumerate(plan["periods"]):
                        if (day * 3 + period + index) % 4 == 3:  # a free period now and then
                            continue
                        name, teacher = classes[(day + period) % len(classes)]
                        lesson_create(location=room, actor=tech, weekday=day, starts=time(*start), ends=time(*end),
                                      name=name, teacher=teacher)  # fmt: skip
                        added += 1
        return added

    def _calendars(self, authorities: dict[str, Authority], schools: dict[str, School], people: dict[str, User]) -> int:
        """A school year of calendars: each authority's (Mon-Fri 08:00-16:00, 2026-27 terms and half-terms,
        INSET days) and riverside's own hours (a lunch hour without support); skipped once they exist."""
        from datetime import date, time

        from servicelevels import calendars as cal
        from servicelevels.models import Calendar, Closure

        terms = [
            ("Autumn 1", date(2026, 9, 2), date(2026, 10, 23)),
            ("Autumn 2", date(2026, 11, 2), date(2026, 12, 18)),
            ("Spring 1", date(2027, 1, 5), date(2027, 2, 12)),
            ("Spring 2", date(2027, 2, 22), date(2027, 3, 26)),
            ("Summer 1", date(2027, 4, 12), date(2027, 5, 28)),
            ("Summer 2", date(2027, 6, 7), date(2027, 7, 21)),
        ]
        inset = [date(2026, 9, 1), date(2027, 1, 4), date(2027, 7, 22)]
        added = 0
        with transaction.atomic():
            admin = people["admin"]
            for authority in authorities.values():
                if Calendar.objects.filter(school=None, authority=authority).exists():
                    continue
                calendar = cal.calendar_create(actor=admin, authority=authority, name=f"{authority.name} schools")
                cal.working_hours_set(
                    calendar=calendar, actor=admin, hours={day: [(time(8), time(16))] for day in range(5)}
                )
                for name, starts, ends in terms:
                    cal.term_date_add(calendar=calendar, actor=admin, name=name, starts=starts, ends=ends)
                for day in inset:
                    cal.closure_add(
                        calendar=calendar, actor=admin, kind=Closure.Kind.INSET, name="INSET day", starts=day
                    )
                added += 1
            riverside = schools.get("riverside")
            if riverside and not Calendar.objects.filter(school=riverside).exists():
                calendar = cal.calendar_create(actor=admin, school=riverside, name="Riverside Academy hours")
                split = {day: [(time(7, 30), time(12)), (time(13), time(17))] for day in range(5)}
                cal.working_hours_set(calendar=calendar, actor=admin, hours=split)
                added += 1
        return added

    def _safeguarding(self, schools: dict[str, School], people: dict[str, User]) -> int:
        """highfield's designated safeguarding lead is `leader`; `staff` logged one safeguarding concern there
        (seen by staff, leader, admin and whoever works it). Skipped once highfield has a flagged incident."""
        from fits.safeguarding import school_set_safeguarding_leads
        from incidents.models import Impact, Incident, Urgency
        from incidents.services import incident_log

        highfield = schools["highfield"]
        if not highfield.safeguarding_leads.exists():
            school_set_safeguarding_leads(school=highfield, leads=[people["leader"]], actor=people["leader"])
        if Incident.objects.filter(school=highfield, safeguarding=True).exists():
            return 0
        incident_log(
            school=highfield,
            logged_by=people["staff"],
            title="Worrying search on a pupil's laptop in Classroom 4",
            description="While helping a Year 4 pupil I saw a worrying search in the browser history. I have not "
            "shown anyone else. Can the search history and the filtering logs be checked?",
            impact=Impact.LOW,
            urgency=Urgency.HIGH,
            location=Location.objects.filter(school=highfield, kind=Location.Kind.ROOM, name="Classroom 4").first(),
            safeguarding=True,
        )
        return 1

    def _saved_filters(self, people: dict[str, User]) -> int:
        """A few saved workbench filters for the technicians and the desk, through the service; skipped for
        anyone who has some already."""
        from servicedesk.models import SavedFilter
        from servicedesk.workbench import saved_filter_create

        added = 0
        for username, filters in SAVED_FILTERS.items():
            person = people.get(username)
            if person is None or SavedFilter.objects.filter(owner=person).exists():
                continue
            for name, query in filters:
                saved_filter_create(owner=person, name=name, query=query)
                added += 1
        return added

    def _service_desk(self, authorities: dict[str, Authority], schools: dict[str, School], people: dict[str, User]):
        """Each authority's support groups (its LEA support unit, suppliers) and category tree, highfield's ICT team,
        and a major incident at highfield with three linked calls, through the services; each part is skipped
        once it is there. The LEA unit has no named members: whoever holds the authority's support role works it."""
        from incidents import services
        from incidents.models import Category, Incident, SupportGroup

        admin, added = people["admin"], Counter()
        for slug, authority in authorities.items():
            if not SupportGroup.objects.filter(authority=authority, school=None).exists():
                for name, kind, email, phone, notes in AUTHORITY_GROUPS.get(slug, []):
                    services.support_group_save(actor=admin, authority=authority, name=name, kind=kind, email=email,
                                                phone=phone, notes=notes)  # fmt: skip
                    added["groups"] += 1
            if not Category.objects.filter(authority=authority, school=None).exists():
                for top, applies_to, children in CATEGORY_TREE:
                    parent = services.category_save(actor=admin, authority=authority, name=top, applies_to=applies_to)
                    for child in children:
                        services.category_save(actor=admin, authority=authority, name=child, parent=parent,
                                               applies_to=applies_to)  # fmt: skip
                    added["categories"] += 1 + len(children)
        highfield = schools["highfield"]
        if not SupportGroup.objects.filter(school=highfield).exists():
            services.support_group_save(actor=admin, school=highfield, name="Highfield ICT team", kind="school",
                                        members=[people["tech"], people["netmgr"]],
                                        notes="Tom and Nadeem. Term time 08:00-16:30.")  # fmt: skip
            added["groups"] += 1
        if not Incident.objects.filter(school=highfield, is_major=True).exists():
            added["major incidents"] += self._major_incident(highfield, people)
        return ", ".join(f"{n} {what} added" for what, n in added.items()) or "already set up"

    def _major_incident(self, school: School, people: dict[str, User]) -> int:
        """The Wi-Fi is down in the Science block: staff's call is declared major, three more calls are linked."""
        from incidents import services
        from incidents.models import Category, Channel

        tech, desk = people["tech"], people["desk"]
        room = Location.objects.filter(school=school, name="Science lab").first()
        wifi = Category.objects.filter(authority=school.authority_id, name="Wi-Fi").first()
        with transaction.atomic():
            major = services.incident_log(
                school=school,
                logged_by=people["staff"],
                title="Wi-Fi down in the Science block",
                description="None of the laptops in the Science lab can join the Wi-Fi, and the corridor has no "
                "signal either. It worked at lunchtime. Year 4 have a lesson on the laptops this afternoon.",
                impact=2,
                urgency=1,
                location=room,
                category=wifi,
            )
            services.incident_transition(incident=major, action="start", actor=tech)
            services.incident_declare_major(
                incident=major,
                actor=tech,
                note="Every access point in the Science block is offline: more calls are coming in.",
            )
            for caller, logged_by, title in (
                (people["mrs.patel"], desk, "No internet on the class laptops"),
                (people["mr.jones"], desk, "Cannot print from the Science lab laptops"),
                (people["leader"], people["leader"], "Wi-Fi not working in Science"),
            ):
                call = services.incident_log(
                    school=school,
                    logged_by=logged_by,
                    reporter=caller,
                    channel=Channel.PHONE if logged_by != caller else Channel.PORTAL,
                    title=title,
                    description="Reported while the Science block Wi-Fi was down.",
                    impact=3,
                    urgency=2,
                    location=room,
                    category=wifi,
                )
                services.incident_link_to_major(child=call, major=major, actor=desk)
            services.incident_major_update(
                major=major,
                actor=tech,
                text="The switch that powers the Science block access points has failed. We are moving them to "
                "the spare switch now; please use the ICT suite for this afternoon's lesson if you can.",
            )
            services.incident_log_time(incident=major, person=tech, minutes=45, note="Traced the fault to the switch")
            services.incident_major_update(
                major=major,
                actor=tech,
                text="Two of the three access points are back. The last one needs a new patch lead: expect it "
                "within the hour.",
            )
        return 1

    def _network(self, school: School, people: dict[str, User]) -> int:
        """The school's network in the CMDB (NETWORKS), through the services; skipped once it has items."""
        plan = NETWORKS.get(school.slug)
        if plan is None or ConfigurationItem.objects.filter(school=school).exists():
            return 0
        with transaction.atomic():
            return NetworkBuilder(school, plan, people[plan["actor"]], people[plan["technician"]]).build()

    def _articles(self, school: School, people: dict[str, User]) -> int:
        """A few knowledge articles per school, written and published by its technician; skipped once it has any."""
        from fits.access import can_write_articles
        from servicedesk.models import KnowledgeArticle
        from servicedesk.services import article_create

        writers = [person for person in people.values() if not person.is_superuser]
        author = next((p for p in writers if can_write_articles.test(p, school)), people.get("admin"))
        if author is None or KnowledgeArticle.objects.filter(school=school).exists():
            return 0
        for title, summary, body, audience in KNOWLEDGE:
            article_create(school=school, author=author, title=title, summary=summary, body=body, audience=audience,
                           publish=True)  # fmt: skip
        return len(KNOWLEDGE)

    def _problems(self, school: School, people: dict[str, User]) -> int:
        """One problem per school linked to two of its demo incidents, with a known error; skipped once it has any."""
        from incidents.models import Incident
        from problems import services
        from problems.models import Problem

        if Problem.objects.filter(school=school).exists():
            return 0
        tech = {"highfield": people["tech"], "riverside": people["tech2"], "westfield": people["outsider"]}[school.slug]
        incidents = list(Incident.objects.filter(school=school).order_by("created_at")[:2])
        with transaction.atomic():
            problem = services.problem_log(
                school=school,
                logged_by=tech,
                title="Learning platform locks pupil accounts after three failed sign-ins",
                description="Classes lose the start of lessons: pupils mistype their password and are locked out.",
                incidents=incidents,
            )
            services.problem_transition(problem=problem, action="investigate", actor=tech)
            services.problem_comment(problem=problem, author=tech, text="The lockout policy applies to pupils too.")
            services.problem_transition(
                problem=problem,
                action="known_error",
                actor=tech,
                note="The account lockout threshold (3 attempts) is applied to the pupils' group as well as staff.",
            )
            services.known_error_record(
                problem=problem,
                actor=tech,
                symptom="Pupil cannot sign in to the learning platform: 'account locked'",
                workaround="Unlock the account in the admin console (Users > Unlock), or wait 30 minutes.",
            )
        return 1

    def _recurring(self, school: School, people: dict[str, User]) -> int:
        """A Highfield projector failed three times this week: Problem Management spots it (a candidate)."""
        from cmdb.models import ConfigurationItem
        from incidents.services import incident_log
        from problems.models import ProblemCandidate
        from problems.services import problem_candidates_spot

        projector = (
            ConfigurationItem.objects.filter(school=school, kind="display", name__contains="PRJ")
            .select_related("location")
            .order_by("name")
            .first()
        )
        if school.slug != "highfield" or projector is None or ProblemCandidate.objects.filter(school=school).exists():
            return 0
        room = projector.location.name if projector.location else "the classroom"
        for title in (f"Projector in {room} went blank mid-lesson", f"{room} projector: no signal again",
                      f"Projector keeps switching off in {room}"):  # fmt: skip
            incident_log(school=school, logged_by=people["staff"], title=title, ci=projector, impact=2, urgency=1,
                         description="It came back after a few minutes, then went off again.")  # fmt: skip
        return problem_candidates_spot()

    def _requests(self, school: School, people: dict[str, User]) -> int:
        """The starter service catalogue and a few requests in different states (awaiting approval, being
        fulfilled, fulfilled, declined), through the services; skipped once the school has a catalogue."""
        from incidents.services import incident_transition
        from servicedesk import services
        from servicedesk.catalogue_starter import LOAN, NEW_STARTER, ROOM_SET_UP, SOFTWARE, starter_catalogue_create
        from servicedesk.models import FulfilmentTask, RequestType

        if RequestType.objects.filter(school=school).exists():
            return 0
        tech = {"highfield": people["tech"], "riverside": people["tech2"], "westfield": people["outsider"]}[school.slug]
        keeper = people["desk"] if school.slug == "highfield" else tech
        soon = lambda days: (timezone.localdate() + timedelta(days=days)).isoformat()  # noqa: E731

        def ask(name, by, answers, reporter=None):
            item = RequestType.objects.get(school=school, name=name)
            channel = "phone" if reporter is not None else "portal"
            return services.request_log(school=school, logged_by=by, request_type=item, answers=answers,
                                        reporter=reporter, channel=channel)  # fmt: skip

        def tick(service_request, count, by):
            for task in FulfilmentTask.objects.filter(ticket=service_request.ticket).order_by("position")[:count]:
                services.task_complete(task=task, actor=by)

        with transaction.atomic():
            starter_catalogue_create(school=school, actor=keeper)
            loan_answers = {"equipment": "Laptop", "quantity": 6, "from_date": soon(2), "to_date": soon(4),
                            "purpose": "Year 4 trip to the science museum"}  # fmt: skip
            hall = {"room": "Main hall", "event_date": soon(10), "start_time": "18:30", "people": 120,
                    "equipment": ["Projector and screen", "Microphone", "Speakers"],
                    "notes": "Parents' information evening: slides from a USB stick."}  # fmt: skip
            if school.slug != "highfield":
                caller = {"riverside": people["ms.clarke"], "westfield": people["mrs.evans"]}[school.slug]
                ask(LOAN, tech, loan_answers, reporter=caller)
                tick(ask(ROOM_SET_UP, tech, hall, reporter=caller), 1, tech)
                return 2
            desk, staff, netmgr = people["desk"], people["staff"], people["netmgr"]
            # Awaiting the head's approval: the office asks for a new teaching assistant's accounts.
            ask(NEW_STARTER, desk, {"full_name": "Priya Kaur", "job_title": "Teaching assistant, Year 2",
                                    "start_date": soon(7), "accounts": ["Network log-on", "E-mail", "MIS"],
                                    "manager_email": "leader@highfield.example.sch.uk"})  # fmt: skip
            # Being fulfilled: a laptop loan, taken and half prepared.
            loan = ask(LOAN, staff, loan_answers)
            incident_transition(incident=loan.ticket, action="start", actor=tech)
            tick(loan, 1, tech)
            # Approved by the network manager, one step done.
            scratch = {"software": "Scratch 3", "where": "ICT suite", "licence": "Free to use",
                       "reason": "The Year 5 coding club."}  # fmt: skip
            software = ask(SOFTWARE, staff, scratch)
            services.request_approve(service_request=software, actor=netmgr, comment="Fine: it is on our list.")
            tick(software, 1, tech)
            # Fulfilled: every step of a room set-up done, waiting for the caller to confirm.
            tick(ask(ROOM_SET_UP, desk, hall, reporter=people["mrs.patel"]), 3, tech)
            # Declined, with the reason.
            minecraft = {"software": "Minecraft Education", "where": "HF-C4-PC", "licence": "It needs buying",
                         "reason": "A building project."}  # fmt: skip
            declined = ask(SOFTWARE, staff, minecraft)
            services.request_decline(
                service_request=declined,
                actor=netmgr,
                comment="We have no licences for it this year: Scratch is in the ICT suite.",
            )
        return 5

    def _mail(self, school: School, people: dict[str, User]) -> int:
        """Highfield's support address received a few e-mails, through the intake service: one opened a ticket,
        its reply was added to it, one from an unknown sender is held for the desk, one auto-reply was ignored.
        Skipped once the school has inbound mail."""
        from servicedesk.mail import message_ingest
        from servicedesk.models import InboundMessage

        if school.slug != "highfield" or InboundMessage.objects.filter(school=school).exists():
            return 0
        staff, tech = people["staff"], people["tech"]
        domain = school.support_email.split("@")[-1]
        messages = [
            (f"{staff.get_full_name()} <{staff.email}>", "Interactive whiteboard pen not working in Year 4",
             "<demo-mail-1@highfield.example.sch.uk>", "",
             "Hello,\n\nThe pen for the interactive whiteboard in Year 4 stopped working this morning. I have "
             "changed the batteries.\n\nThanks,\nSam"),
            (f"{staff.get_full_name()} <{staff.email}>", "Re: Interactive whiteboard pen not working in Year 4",
             "<demo-mail-2@highfield.example.sch.uk>", "In-Reply-To: <demo-mail-1@highfield.example.sch.uk>\n",
             "It works with the spare pen from Year 3, so it is the pen itself.\n\nOn Mon, Sam wrote:\n> Hello,"),
            ("A parent <parent.of.pupil@mail.example.com>", "Cannot log in to the homework site",
             "<demo-mail-3@mail.example.com>", "",
             "My daughter in Year 5 cannot log in to the homework site from home since Friday."),
            (f"{tech.get_full_name()} <{tech.email}>", "Automatic reply: ICT support",
             f"<demo-mail-4@{domain}>", "Auto-Submitted: auto-replied\n",
             "I am on a course today and back tomorrow morning."),
        ]  # fmt: skip
        for sender, subject, message_id, extra, body in messages:
            raw = (f"From: {sender}\nTo: {school.support_email}\nSubject: {subject}\nMessage-ID: {message_id}\n{extra}"
                   f"Content-Type: text/plain; charset=utf-8\n\n{body}\n").encode()  # fmt: skip
            message_ingest(school=school, raw=raw, source=InboundMessage.Source.PIPE)
        return len(messages)

    def _agent_keys(self, schools: dict[str, School]) -> None:
        """Each demo school's inventory agents authenticate with the key demo-agent-SLUG (DESIGN.md 6)."""
        from cmdb.services import agent_key_rotate

        for slug, school in schools.items():
            agent_key_rotate(school=school, actor=None, key=f"demo-agent-{slug}")

    def _authorities(self) -> dict[str, Authority]:
        return {a["slug"]: Authority.objects.update_or_create(slug=a["slug"], defaults=a)[0] for a in AUTHORITIES}

    def _schools(self, authorities: dict[str, Authority]) -> dict[str, School]:
        schools = {}
        for data in SCHOOLS:
            values = {**data, "authority": authorities[data["authority"]]}
            values["email"] = f"office@{data['slug']}.example.sch.uk"
            values["support_email"] = f"ictsupport@{data['slug']}.example.sch.uk"
            schools[data["slug"]] = School.objects.update_or_create(slug=data["slug"], defaults=values)[0]
        return schools

    def _people(self, schools: dict[str, School], authorities: dict[str, Authority]) -> dict[str, User]:
        people = {}
        for username, first, last, title, where, role in LOGINS:
            domain = f"{where}.example.sch.uk" if where in schools else "example.gov.uk"
            user, _ = User.objects.update_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "job_title": title,
                    "email": f"{username}@{domain}",
                    "is_superuser": username == "admin",
                    "is_staff": username == "admin",
                    "is_active": True,
                },
            )
            user.set_password(username)
            user.save(update_fields=["password"])
            if role in AuthorityRoleKind.values:
                AuthorityRole.objects.get_or_create(user=user, authority=authorities[where], role=role)
            elif role:
                Membership.objects.get_or_create(user=user, school=schools[where], role=role)
            people[username] = user
        for slug, username, first, last, title in CALLERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "job_title": title,
                    "email": f"{username}@{slug}.example.sch.uk",
                },
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            Membership.objects.get_or_create(user=user, school=schools[slug], role=Role.ICT_USER)
            people[username] = user
        return people

    def _week_of_incidents(self, school: School, people: dict[str, User]) -> int:
        """Log a week of incidents through the services, then date them across the week."""
        from incidents import services
        from incidents.models import Channel, Incident

        if Incident.objects.filter(school=school).exists():
            return 0
        callers = {
            "highfield": [people["staff"], people["mrs.patel"]],
            "riverside": [people["ms.clarke"], people["mr.hughes"]],
            "westfield": [people["mrs.evans"], people["mr.ali"]],
        }[school.slug]
        tech = {"highfield": people["tech"], "riverside": people["tech2"], "westfield": people["outsider"]}[school.slug]
        desk = people["desk"] if school.slug == "highfield" else tech
        prefix = NETWORKS.get(school.slug, {}).get("prefix", "")
        linkable = ConfigurationItem.objects.filter(
            school=school, kind__in=("display", "printer", "access_point", "service")
        )
        items = {ci.name: ci for ci in linkable}
        midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        for days_ago, hour, caller_index, title, description, room, impact, urgency, story in WEEK:
            caller = callers[caller_index]
            logged_by = caller if caller_index == 0 else desk
            with transaction.atomic():
                incident = services.incident_log(
                    school=school,
                    logged_by=logged_by,
                    reporter=caller,
                    title=title,
                    description=description,
                    room=room,
                    impact=impact,
                    urgency=urgency,
                    channel=Channel.PORTAL if logged_by == caller else Channel.PHONE,
                    ci=items.get(WEEK_CIS.get(title, "").format(p=prefix)),
                )
                for action, who, note in story:
                    actor = caller if who == "caller" else tech
                    if action == "assign":
                        services.incident_assign(incident=incident, assignee=tech, actor=desk)
                    else:
                        services.incident_transition(
                            incident=incident, action=action, actor=actor, note=note, **WEEK_DETAILS.get(action, {})
                        )
                self._backdate(incident, midnight - timedelta(days=days_ago) + timedelta(hours=hour))
        return len(WEEK)

    @staticmethod
    def _backdate(incident, logged_at) -> None:
        """Spread the incident's timeline over the week: logged at `logged_at`, each step an hour apart."""
        from django.contrib.contenttypes.models import ContentType

        from fits.models import Activity
        from incidents.models import Incident

        logged_at = min(logged_at, timezone.now() - timedelta(minutes=30))
        entries = Activity.objects.filter(
            content_type=ContentType.objects.get_for_model(incident), object_id=incident.pk
        ).order_by("pk")
        step = timedelta(hours=1)
        last = logged_at
        for index, entry in enumerate(entries):
            last = min(logged_at + index * step, timezone.now())
            Activity.objects.filter(pk=entry.pk).update(created_at=last)
        incident.refresh_from_db()
        changes = {"created_at": logged_at, "updated_at": last}
        if incident.resolved_at:
            changes["resolved_at"] = last if incident.closed_at is None else last - step
        if incident.closed_at:
            changes["closed_at"] = last
        Incident.objects.filter(pk=incident.pk).update(**changes)
