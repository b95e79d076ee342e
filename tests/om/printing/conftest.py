"""Print and Output Management test world: printers in the CMDB, an SNMP agent answering Printer-MIB (snmpsim)."""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from availability import services as availability
from cmdb import services as cmdb
from cmdb.models import Kind

REPO = Path(__file__).resolve().parents[3]
SNMPSIMD = Path("/usr/bin/snmpsimd")


@pytest.fixture(scope="session")
def printer_agent():
    """(host, port) of an snmpsimd of our own serving tests/availability/snmprec/ (printer, printer-low,
    printer-mono: one v2c community each), on a free UDP port so that recordings added here are always served."""
    if not SNMPSIMD.exists():
        pytest.skip(f"{SNMPSIMD} is missing: apt-get install snmpsim (CI installs it in .ci/run)")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    folder = f"/tmp/fits-snmpsim-printing-{port}"  # not pytest's tmp: as root, snmpsimd runs as nobody
    env = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "FITS_SNMPSIM_PORT": str(port), "FITS_SNMPSIM_DIR": folder,
           "FITS_SNMPSIM_PROBE": "printer"}  # fmt: skip

    def run(action: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(REPO / "scripts/ci/snmpsim.sh"), action], env=env, capture_output=True, text=True,
                              timeout=60, check=False)  # fmt: skip

    started = run("start")
    assert started.returncode == 0, f"scripts/ci/snmpsim.sh start failed:\n{started.stdout}{started.stderr}"
    yield "127.0.0.1", port
    run("stop")
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def make_printer(admin_user, tech):
    """A printer CI at the school, watched over SNMP with the v2c community `community` on `port`."""
    from om.printing import services

    def make(school, name: str, *, community: str = "", port: int = 161, model: str = "", location=None,
             address: str = "127.0.0.1", actor=None):  # fmt: skip
        actor = actor or tech
        ci = cmdb.ci_create(school=school, actor=actor, kind=Kind.PRINTER, name=name, management_address=address,
                            model_name=model, location=location)  # fmt: skip
        credential = None
        if community:
            credential = availability.credential_save(
                actor=admin_user, school=school, name=f"{name} {community}", community=community, port=port
            )
        return services.printer_add(actor=actor, ci=ci, snmp_credential=credential)

    return make
