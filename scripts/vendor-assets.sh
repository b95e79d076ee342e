#!/usr/bin/env bash
# Vendor the front-end assets from the npm registry into static/vendor/ (committed; no CDN, no node at run time).
# Run it only to change a version: `bash scripts/vendor-assets.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."
TABLER=@tabler/core@1.6.1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$TABLER" >/dev/null && tar xzf tabler-core-*.tgz)
dest=static/vendor/tabler
rm -rf "$dest" && mkdir -p "$dest/css" "$dest/js"
cp "$work/package/dist/css/tabler.min.css" "$dest/css/"
cp "$work/package/dist/js/tabler.min.js" "$dest/js/"
# The source maps are not vendored: drop the comments that point at them (collectstatic's manifest follows them).
sed -i '/sourceMappingURL=/d; s#/\*\# sourceMappingURL=[^*]*\*/##' "$dest/css/tabler.min.css"
sed -i 's#//\# sourceMappingURL=.*$##' "$dest/js/tabler.min.js"
node -e "const p=require(process.argv[1]); console.log(p.name+' '+p.version+', licence '+p.license+', '+p.homepage)" "$work/package/package.json" > "$dest/LICENSE"
echo "$TABLER" > "$dest/VERSION"
echo "vendored $TABLER into $dest"

CHARTJS=chart.js@4.6.1
(cd "$work" && npm pack --silent "$CHARTJS" >/dev/null && mkdir chartjs && tar xzf chart.js-*.tgz -C chartjs)
dest=static/vendor/chartjs
rm -rf "$dest" && mkdir -p "$dest"
cp "$work/chartjs/package/dist/chart.umd.min.js" "$dest/"
sed -i 's#//\# sourceMappingURL=.*$##' "$dest/chart.umd.min.js"
cp "$work/chartjs/package/LICENSE.md" "$dest/LICENSE.md"
echo "$CHARTJS" > "$dest/VERSION"
echo "vendored $CHARTJS into $dest"

ICONS=@tabler/icons@3.51.0
(cd "$work" && npm pack --silent "$ICONS" >/dev/null && mkdir icons && tar xzf tabler-icons-*.tgz -C icons)
python3 scripts/build_icon_sprite.py "$work/icons/package" static/vendor/tabler-icons
cp "$work/icons/package/LICENSE" static/vendor/tabler-icons/LICENSE
echo "$ICONS" > static/vendor/tabler-icons/VERSION
echo "vendored $ICONS (sprite of the icons listed in scripts/build_icon_sprite.py)"
