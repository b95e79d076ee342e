"""Build static/vendor/tabler-icons/sprite.svg from the @tabler/icons package: only the icons we use."""

import re
import sys
from pathlib import Path

ICONS = """
home alert-triangle alert-circle plus inbox user users building school logout key lock settings api list
check checks x clock player-pause player-play refresh message message-circle arrow-right search filter
chart-bar circle phone mail device-desktop tool flag chevron-down switch-horizontal info-circle book
eye-off calendar headset user-check clipboard-list hourglass circle-check arrow-back-up bug link pencil
git-merge arrow-up-right speakerphone alert-octagon category users-group stopwatch table truck-delivery
building-community
layout-list keyboard bookmark dots arrow-up arrow-down trash device-floppy
bell
shopping-cart thumb-up thumb-down list-details list-check square square-check forms eye
paperclip download upload
adjustments chart-line
""".split()


def main(package: Path, dest: Path) -> None:
    symbols = []
    for name in ICONS:
        svg = (package / "icons" / "outline" / f"{name}.svg").read_text()
        body = re.search(r">(.*)</svg>", svg, re.S).group(1)
        body = re.sub(r'<path stroke="none" d="M0 0h24v24H0z" fill="none" />', "", body)
        body = " ".join(body.split())
        symbols.append(f'<symbol id="{name}" viewBox="0 0 24 24">{body}</symbol>')
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "sprite.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" style="display:none">\n' + "\n".join(symbols) + "\n</svg>\n"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
