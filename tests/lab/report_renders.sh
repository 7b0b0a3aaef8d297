#!/bin/bash
# The lab report renders with its plots, as a browser shows it: lab_report builds the page from
# recorded benchmark results (fixtures/), headless Chromium takes a screenshot, and the bars'
# colour must cover at least one full-width bar's worth of pixels per plot. The same page with
# its SVG elements removed must show none of that colour: a page whose plots do not render fails.
#   report_renders.sh LAB_SOURCE_DIR LAB_REPORT_BINARY WORK_DIR
set -uo pipefail
SRC=$1 REPORT=$2 WORK=$3
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome) ||
  { echo "SKIP: no Chromium (Debian and openEuler: chromium)"; exit 77; }
command -v gnuplot >/dev/null || { echo "SKIP: gnuplot not installed (Debian: gnuplot-nox, openEuler: gnuplot)"; exit 77; }
# The distribution's python, which has the distribution's PIL (a PATH may put another first).
py=$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || command -v python3 )
"$py" -c 'import PIL' 2>/dev/null || { echo "SKIP: python3 PIL not installed (Debian: python3-pil, openEuler: python3-pillow)"; exit 77; }
rm -rf "$WORK" && mkdir -p "$WORK/node"
cp "$SRC"/fixtures/node-*.txt "$WORK/node/" 2>/dev/null
for f in "$WORK"/node/node-*.txt; do [ -e "$f" ] && mv "$f" "$WORK/node/${f##*/node-}"; done
"$REPORT" --bench "$SRC/fixtures" --node "$WORK/node" --out "$WORK/report.html" || { echo "FAIL: lab_report"; exit 1; }
plots=$(grep -o '<svg' "$WORK/report.html" | wc -l)
[ "$plots" -ge 10 ] || { echo "FAIL: only $plots plots in the page"; exit 1; }
if grep -q 'n/a' "$WORK/report.html"; then
  grep -o 'plot n/a ([^)]*)' "$WORK/report.html" | head -3
fi
"$py" - "$WORK/report.html" "$WORK/report-noplots.html" <<'PY'
import re, sys
html = open(sys.argv[1]).read()
open(sys.argv[2], "w").write(re.sub(r"<svg.*?</svg>", "", html, flags=re.S))
PY
shot() {  # page png: the whole page in one tall window (no GPU, no sandbox: root, headless)
  timeout 120 "$browser" --headless=new --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 \
    --user-data-dir="$WORK/profile" --window-size=1200,"$3" --screenshot="$2" "file://$1" >"$2.log" 2>&1
  [ -s "$2" ] || { echo "FAIL: no screenshot of $1:"; tail -5 "$2.log"; exit 1; }
}
# Tall enough for the page: the plots' heights plus a table row per point, generously.
height=$(( $(grep -o '<svg[^>]*height="[0-9]*"' "$WORK/report.html" | grep -o 'height="[0-9]*' | tr -dc '0-9\n' | awk '{s+=$1} END {print s+0}') + $(grep -c '<tr>' "$WORK/report.html") * 30 + 3000 ))
shot "$WORK/report.html" "$WORK/page.png" "$height"
shot "$WORK/report-noplots.html" "$WORK/noplots.png" "$height"
"$py" - "$WORK/page.png" "$WORK/noplots.png" "$plots" <<'PY'
import sys
from PIL import Image
bar = (0x2a, 0x7a, 0xb0)  # gnuplot_plot.h kBarColour
def count(path):
    img = Image.open(path).convert("RGB")
    return img.size, sum(n for n, c in img.getcolors(img.size[0] * img.size[1]) if c == bar)
size, with_plots = count(sys.argv[1])
_, without = count(sys.argv[2])
plots = int(sys.argv[3])
print(f"screenshot {size[0]}x{size[1]}: {with_plots} bar pixels for {plots} plots; {without} without the SVGs")
# Every plot's longest bar spans ~2/3 of its 760 px width and is ~15 px tall.
ok = with_plots >= plots * 2000 and without == 0
print("ok" if ok else "FAIL: the plots did not render")
sys.exit(0 if ok else 1)
PY
