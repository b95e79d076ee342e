"""Every icon a page or a menu item names is in the vendored sprite (an unknown name draws nothing)."""

import re
from pathlib import Path

from django.apps import apps
from django.conf import settings

from fits.templatetags import fits_ui

REPO = Path(settings.BASE_DIR)
SPRITE = REPO / "static/vendor/tabler-icons/sprite.svg"
IN_TEMPLATES = re.compile(r'\{%\s*icon\s+"([a-z0-9-]+)"')


def _used() -> dict[str, str]:
    used = {}
    for path in REPO.glob("**/templates/**/*.html"):
        if ".venv" in path.parts:
            continue
        for name in IN_TEMPLATES.findall(path.read_text()):
            used.setdefault(name, str(path.relative_to(REPO)))
    for name in (*fits_ui.TIMELINE_ICONS.values(), fits_ui.TIMELINE_OTHER_ICON, fits_ui.TIMELINE_INTERNAL_ICON):
        used.setdefault(name, "the timeline (fits_ui.timeline_items)")
    for config in apps.get_app_configs():
        for item in getattr(config, "navigation", []):
            used.setdefault(item.icon, f"{config.label} navigation")
    return used


def test_every_icon_used_is_in_the_sprite():
    have = set(re.findall(r'<symbol id="([a-z0-9-]+)"', SPRITE.read_text()))
    missing = {name: where for name, where in _used().items() if name and name not in have}
    assert not missing, (
        f"icons missing from {SPRITE.name}: {missing}; add them to scripts/build_icon_sprite.py and run "
        "scripts/vendor-assets.sh"
    )
