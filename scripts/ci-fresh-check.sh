#!/usr/bin/env bash
# Runs CI as a brand-new machine would, on this one: a fresh clone of a commit (default: main of this
# checkout), in a private mount namespace where the benchmark-only packages (ucarp, keepalived) and their
# man pages are hidden, /tmp and /run/floatd are empty, and npm has an empty cache; then
# `CI=true bash .ci/run`. A green run here means the suite needs nothing the benchmark or an earlier run
# left behind. Root only (mount namespaces, and .ci/run installs Debian packages).
#
#   scripts/ci-fresh-check.sh [REPO [REF]]     e.g. scripts/ci-fresh-check.sh . HEAD
set -euo pipefail

if [ "$(id -u)" != 0 ]; then
  echo "ci-fresh-check: must run as root (mount namespaces, apt-get)" >&2
  exit 1
fi
repo=$(cd "${1:-$(dirname "$0")/..}" && git rev-parse --show-toplevel)
ref=${2:-main}
# nftables is not hidden: .ci/run installs it for a test, so a fresh machine has it too.
hidden_packages=(ucarp keepalived)

work=$(mktemp -d /var/tmp/floatd-fresh.XXXXXX)
trap 'rm -rf "$work"' EXIT
git clone --quiet "$repo" "$work/floatd"
git -C "$work/floatd" checkout --quiet "$ref"
echo "ci-fresh-check: $(git -C "$work/floatd" log --oneline -1) in $work/floatd"

# Everything below runs in a private mount namespace: the hiding mounts vanish with it.
unshare --mount --propagation private bash -euo pipefail -c '
work=$1; shift
# Hides every file the packages installed: the topmost directories holding them get an overlay whose upper
# layer has a whiteout (a 0:0 character device) per file, at its path below that directory, so the file is
# absent, not empty, for everything in here. One overlay per top directory: overlays must not stack.
: > "$work/files"
for p in "$@"; do
  dpkg-query -W -f="\${Status}" "$p" 2>/dev/null | grep -q "install ok installed" || continue
  # Files and file symlinks only: dpkg also lists directories, and usrmerge symlinks such as /lib.
  dpkg -L "$p" | while IFS= read -r f; do
    if { [ -f "$f" ] || [ -L "$f" ]; } && [ ! -d "$f" ]; then printf "%s\n" "$(realpath -s "$f")"; fi
  done >> "$work/files"
  echo "ci-fresh-check: hiding package $p"
done
roots=()
for d in $(xargs -r -n1 dirname < "$work/files" | sort -u); do
  covered=no
  for r in "${roots[@]}"; do case "$d/" in "$r"/*) covered=yes ;; esac; done
  [ "$covered" = yes ] || roots+=("$d")
done
layer_of() { printf "%s/hide%s" "$work" "$(printf %s "$1" | tr / _)"; }
while IFS= read -r f; do
  for r in "${roots[@]}"; do
    case "$f" in
      "$r"/*)
        w="$(layer_of "$r")/upper/${f#"$r"/}"
        mkdir -p "$(dirname "$w")"
        [ -e "$w" ] || mknod "$w" c 0 0
        break ;;
    esac
  done
done < "$work/files"
for r in "${roots[@]}"; do
  mkdir -p "$(layer_of "$r")/upper" "$(layer_of "$r")/work"
  mount -t overlay overlay -o "lowerdir=$r,upperdir=$(layer_of "$r")/upper,workdir=$(layer_of "$r")/work" "$r"
done
mount -t tmpfs -o mode=1777 tmpfs /tmp
mkdir -p /run/floatd && mount -t tmpfs -o mode=0755 tmpfs /run/floatd
export npm_config_cache="$work/npm-cache"
for c in ucarp keepalived; do
  if command -v "$c" >/dev/null; then echo "ci-fresh-check: $c is still visible" >&2; exit 1; fi
done
if man -w ucarp >/dev/null 2>&1 || man -w keepalived >/dev/null 2>&1; then echo "ci-fresh-check: a man page is still visible" >&2; exit 1; fi
cd "$work/floatd"
started=$(date +%s)
CI=true bash .ci/run
echo "ci-fresh-check: CI passed in $(( $(date +%s) - started )) s"
' fresh "$work" "${hidden_packages[@]}"
