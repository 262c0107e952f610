#!/usr/bin/env bash
# Installs floatd from this tree: the single binary (npm run build:binary) and its kernel helper, the systemd unit, the hook packs,
# the example configs, the man pages and the docs (docs/install.md). Run it again at will: files that did not
# change are not touched, files an older install put there and this one no longer ships are removed (a stale
# up.d hook would still run), and a config the admin changed is never overwritten. When this version ships a
# new config whose installed copy was changed, it stops before touching anything and says what to do.
#
#   scripts/install.sh [--binary FILE] [--helper FILE] [--keep-config]
#   (the helper, floatd-kernel-helper, is taken from beside the binary unless --helper names it)
#
# Where things go (environment; DESTDIR is prepended to every path, for packagers and tests):
#   PREFIX=/usr/local   SBINDIR=$PREFIX/sbin   UNITDIR=$PREFIX/lib/systemd/system
#   CONFDIR=/etc/floatd LIBDIR=/usr/lib/floatd (hooks in $LIBDIR/hooks, the helper in $LIBDIR)   DOCDIR=/usr/share/doc/floatd
#   MANDIR=$PREFIX/share/man (floatd.8 and floatd-witness.8 in $MANDIR/man8)
set -euo pipefail

me=floatd-install
src=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
binary=$src/dist/floatd
helper=
keep_config=no
while [ $# -gt 0 ]; do
  case $1 in
    --binary) [ $# -ge 2 ] || { echo "$me: --binary needs a file" >&2; exit 2; }; binary=$2; shift 2 ;;
    --helper) [ $# -ge 2 ] || { echo "$me: --helper needs a file" >&2; exit 2; }; helper=$2; shift 2 ;;
    --keep-config) keep_config=yes; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "$me: unknown argument \"$1\" (see --help)" >&2; exit 2 ;;
  esac
done

DESTDIR=${DESTDIR:-}
PREFIX=${PREFIX:-/usr/local}
SBINDIR=${SBINDIR:-$PREFIX/sbin}
UNITDIR=${UNITDIR:-$PREFIX/lib/systemd/system}
CONFDIR=${CONFDIR:-/etc/floatd}
LIBDIR=${LIBDIR:-/usr/lib/floatd}
DOCDIR=${DOCDIR:-/usr/share/doc/floatd}
MANDIR=${MANDIR:-$PREFIX/share/man}
# What the last install put where (sha256, kind, path without DESTDIR): how a changed config is recognised.
manifest=$LIBDIR/install.manifest

[ -f "$binary" ] && [ -x "$binary" ] || { echo "$me: the binary \"$binary\" is missing or not executable: run npm run build:binary first (or pass --binary FILE)" >&2; exit 1; }
# The kernel channel's helper (src/net/kernel-helper.c): npm run build:binary writes it beside the binary.
# The agent looks for it beside itself, then in /usr/lib/floatd; the unit names $LIBDIR's copy.
helper=${helper:-$(dirname "$binary")/floatd-kernel-helper}
[ -f "$helper" ] && [ -x "$helper" ] || { echo "$me: the kernel helper \"$helper\" is missing or not executable: run npm run build:binary first (or pass --helper FILE)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/floatd-install.XXXXXX")
trap 'rm -rf "$work"' EXIT

sum() { sha256sum "$1" | cut -d' ' -f1; }

# The unit names the binary, the configs and the docs by their default paths: point them at this install's.
sed -e "s#/usr/local/s\{0,1\}bin/floatd#$SBINDIR/floatd#g" -e "s#/etc/floatd/#$CONFDIR/#g" -e "s#/usr/share/doc/floatd#$DOCDIR#g" -e "s#/usr/lib/floatd/#$LIBDIR/#g" \
  "$src/scripts/systemd/floatd@.service" > "$work/floatd@.service"

# The plan: one "kind mode source path" line per file, tab-separated (paths may hold spaces). Kinds: file
# (replaced when it differs), config (kept when the admin changed it).
plan=$work/plan
{
  printf 'file\t0755\t%s\t%s\n' "$binary" "$SBINDIR/floatd"
  printf 'file\t0755\t%s\t%s\n' "$helper" "$LIBDIR/floatd-kernel-helper"
  printf 'file\t0644\t%s\t%s\n' "$work/floatd@.service" "$UNITDIR/floatd@.service"
  (cd "$src" && find hooks -type f | LC_ALL=C sort) | while IFS= read -r f; do
    mode=0644; [ -x "$src/$f" ] && mode=0755
    printf 'file\t%s\t%s\t%s\n' "$mode" "$src/$f" "$LIBDIR/$f"
  done
  for f in "$src"/docs/*.md "$src"/README.md; do printf 'file\t0644\t%s\t%s\n' "$f" "$DOCDIR/$(basename "$f")"; done
  for f in "$src"/docs/man/*.8; do printf 'file\t0644\t%s\t%s\n' "$f" "$MANDIR/man8/$(basename "$f")"; done
  for f in "$src"/scripts/etc/floatd/*; do printf 'config\t0644\t%s\t%s\n' "$f" "$CONFDIR/$(basename "$f")"; done
} > "$plan"

declare -A old=()
if [ -f "$DESTDIR$manifest" ]; then
  while read -r s _ p; do old[$p]=$s; done < "$DESTDIR$manifest"
fi

# Decide everything before changing anything, so a refusal leaves the install as it was.
declare -A wanted=()
actions=$work/actions
: > "$actions"
: > "$work/manifest"
conflicts=0
while IFS=$'\t' read -r kind mode from path; do
  wanted[$path]=1
  new=$(sum "$from")
  target=$DESTDIR$path
  printf '%s %s %s\n' "$new" "$kind" "$path" >> "$work/manifest"
  if [ ! -e "$target" ]; then
    printf 'install\t%s\t%s\t%s\n' "$mode" "$from" "$path" >> "$actions"
    continue
  fi
  have=$(sum "$target")
  if [ "$have" = "$new" ]; then
    # Same content: only a wrong mode is fixed (not on a config: that mode is the admin's).
    [ "$kind" = config ] || [ "$(stat -c %a "$target")" = "${mode#0}" ] || printf 'mode\t%s\t%s\t%s\n' "$mode" "$from" "$path" >> "$actions"
    continue
  fi
  if [ "$kind" = file ] || [ "$have" = "${old[$path]:-}" ]; then
    printf 'update\t%s\t%s\t%s\n' "$mode" "$from" "$path" >> "$actions"
  elif [ "$new" = "${old[$path]:-}" ] || [ $keep_config = yes ]; then
    # Changed by the admin, and either this version ships what was installed before or they said to keep it.
    printf 'keep\t%s\t%s\t%s\n' "$mode" "$from" "$path" >> "$actions"
  else
    conflicts=$((conflicts + 1))
    {
      echo "$me: $path was changed since floatd installed it, and this version ships a new one: not overwriting it."
      echo "  compare:  diff -u $target $from"
      echo "  then either move yours aside (mv $target $target.local), run this again and carry your changes over,"
      echo "  or keep yours as it is: run this again with --keep-config."
    } >&2
  fi
done < "$plan"
if [ $conflicts -gt 0 ]; then
  echo "$me: nothing was installed or changed ($conflicts changed config file(s), see above)" >&2
  exit 1
fi

# Files the last install put there that this one does not ship: removed when unchanged.
for path in "${!old[@]}"; do
  [ -z "${wanted[$path]:-}" ] || continue
  target=$DESTDIR$path
  [ -e "$target" ] || continue
  if [ "$(sum "$target")" = "${old[$path]}" ]; then printf 'remove\t-\t-\t%s\n' "$path" >> "$actions"; else echo "$me: left $path: no longer shipped, but changed since it was installed" >&2; fi
done

installed=0 updated=0 kept=0 removed=0 unit_changed=no
while IFS=$'\t' read -r action mode from path; do
  target=$DESTDIR$path
  case $action in
    install|update)
      mkdir -p "$(dirname "$target")"
      # A new file renamed over the old one: a running binary is replaced, never written into.
      cp "$from" "$target.floatd-new"
      chmod "$mode" "$target.floatd-new"
      mv -f "$target.floatd-new" "$target"
      if [ "$action" = install ]; then installed=$((installed + 1)); echo "$me: installed $path"; else updated=$((updated + 1)); echo "$me: updated $path"; fi
      [ "$path" != "$UNITDIR/floatd@.service" ] || unit_changed=yes ;;
    mode) chmod "$mode" "$target"; updated=$((updated + 1)); echo "$me: mode $mode on $path" ;;
    keep) kept=$((kept + 1)); echo "$me: kept $path as changed here (this version's is $from)" ;;
    remove) rm -f "$target"; removed=$((removed + 1)); echo "$me: removed $path (no longer shipped)" ;;
  esac
done < "$actions"

LC_ALL=C sort -k3 "$work/manifest" > "$work/manifest.sorted"
if ! cmp -s "$work/manifest.sorted" "$DESTDIR$manifest" 2>/dev/null; then
  mkdir -p "$(dirname "$DESTDIR$manifest")"
  cp "$work/manifest.sorted" "$DESTDIR$manifest.floatd-new"
  mv -f "$DESTDIR$manifest.floatd-new" "$DESTDIR$manifest"
fi

total=$(wc -l < "$plan")
echo "$me: $installed installed, $updated updated, $kept config(s) kept, $removed removed, $((total - installed - updated - kept)) unchanged${DESTDIR:+ (under $DESTDIR)}"
if [ -z "$DESTDIR" ] && [ $unit_changed = yes ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
if [ $installed -gt 0 ] && [ -z "$DESTDIR" ]; then
  echo "$me: next: cp $CONFDIR/vip.conf.example $CONFDIR/NAME.conf, set the flags, create $CONFDIR/key, systemctl enable --now floatd@NAME"
fi
