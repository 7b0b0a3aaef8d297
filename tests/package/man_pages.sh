#!/bin/bash
# Every man page formats without a warning (groff -ww); a ".so" page's target exists.
#   man_pages.sh MAN_DIR
dir=$1 fail=0
for f in "$dir"/*.[58]; do
  if head -1 "$f" | grep -q '^\.so '; then
    target=$(head -1 "$f" | sed 's|^\.so .*/||')
    [ -f "$dir/$target" ] || { echo "FAIL: $f points to missing $target"; fail=1; }
    continue
  fi
  out=$(groff -man -ww -z "$f" 2>&1)
  [ -z "$out" ] || { echo "FAIL: $f: $out"; fail=1; }
done
[ $fail -eq 0 ] && echo "man pages: $(ls "$dir" | wc -l) format cleanly"
exit $fail
