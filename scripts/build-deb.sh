#!/usr/bin/env bash
# npm run build:deb: floatd as a Debian package (docs/install.md), built with dpkg-deb alone. The tree is laid
# out by scripts/install.sh (DESTDIR, PREFIX=/usr), so the package holds exactly what an install from source
# holds; then what Debian policy asks of a package is added: compressed man pages, a copyright file and a
# changelog, the example configs as conffiles, md5sums, and maintainer scripts for systemd.
#
#   scripts/build-deb.sh [--binary FILE] [--out DIR] [--compression xz|gzip|zstd|none]
#
# --binary: a single binary already built (npm run build:binary); by default one is built for the package.
# --out: where floatd_<version>_<arch>.deb goes (default dist/). --compression: dpkg-deb's -Z (default xz:
# the smallest, about 40 s for the 80 MiB binary; gzip takes a few seconds). The Maintainer field comes from
# DEB_MAINTAINER, else DEBFULLNAME and DEBEMAIL (as dch takes them), else a placeholder lintian rejects.
set -euo pipefail
umask 022

me=build-deb
src=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
binary=
out=$src/dist
compression=xz
while [ $# -gt 0 ]; do
  case $1 in
    --binary|--out|--compression) [ $# -ge 2 ] || { echo "$me: $1 needs a value" >&2; exit 2; } ;;&
    --binary) binary=$(readlink -f "$2"); shift 2 ;;
    --out) out=$2; shift 2 ;;
    --compression) compression=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "$me: unknown argument \"$1\" (see --help)" >&2; exit 2 ;;
  esac
done
case $compression in xz|gzip|zstd|none) ;; *) echo "$me: --compression must be xz, gzip, zstd or none, got \"$compression\"" >&2; exit 2 ;; esac
command -v dpkg-deb >/dev/null || { echo "$me: dpkg-deb is missing (Debian package dpkg)" >&2; exit 1; }

t0=$(date +%s%N)
work=$(mktemp -d "${TMPDIR:-/tmp}/floatd-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT

if [ -z "$binary" ]; then
  binary=$work/floatd
  node "$src/scripts/build-binary.mjs" --out "$binary" >&2
fi
[ -f "$binary" ] && [ -x "$binary" ] || { echo "$me: --binary \"$binary\" is missing or not executable" >&2; exit 1; }

# The binary is a copy of a node: the package is for the machine of its ELF header (e_machine, at byte 18).
machine=$(od -An -tx2 -j18 -N2 "$binary" | tr -d ' ')
case $machine in
  003e) arch=amd64 ;; 00b7) arch=arm64 ;; 0028) arch=armhf ;; 0015) arch=ppc64el ;; 0016) arch=s390x ;;
  *) echo "$me: \"$binary\" is not an ELF binary of a machine this script knows (e_machine $machine)" >&2; exit 1 ;;
esac
version=$(node -p "require('$src/package.json').version")
# Debian sorts "~" before everything: 1.0.0~rc.1 comes before 1.0.0, as semver's 1.0.0-rc.1 does.
debversion=${version//-/\~}
commit=$(git -C "$src" rev-parse --short=12 HEAD 2>/dev/null || true)
# The changelog's date: the commit's, so a rebuild of one commit gives the same package.
date=$(git -C "$src" log -1 --format=%cD 2>/dev/null || date -R)
year=$(date -d "$date" +%Y)
debemail=${DEBEMAIL:-${EMAIL:-}}
if [ -n "${DEB_MAINTAINER:-}" ]; then maintainer=$DEB_MAINTAINER
elif [ -n "${DEBFULLNAME:-}" ] && [ -n "$debemail" ]; then maintainer="$DEBFULLNAME <$debemail>"
else maintainer='floatd developers <floatd@localhost>'; fi

root=$work/root
mkdir -p "$root"
chmod 0755 "$root"
DESTDIR=$root PREFIX=/usr bash "$src/scripts/install.sh" --binary "$binary" > "$work/install.log" || { cat "$work/install.log" >&2; exit 1; }
# dpkg keeps the list of the package's files and their checksums: install.sh's own manifest is not shipped.
rm "$root/usr/lib/floatd/install.manifest"

doc=$root/usr/share/doc/floatd
gzip -9n "$root"/usr/share/man/man8/*.8
# A version without a Debian revision makes this a native package: its changelog is changelog.gz.
{
  echo "floatd ($debversion) unstable; urgency=medium"
  echo
  echo "  * floatd $version${commit:+, built from commit $commit}."
  echo
  echo " -- $maintainer  $date"
} | gzip -9n > "$doc/changelog.gz"
cat > "$doc/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: floatd

Files: *
Copyright: $year the floatd developers
License: MIT

License: MIT
 Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
 associated documentation files (the "Software"), to deal in the Software without restriction, including
 without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
 copies of the Software, and to permit persons to whom the Software is furnished to do so, subject to the
 following conditions:
 .
 The above copyright notice and this permission notice shall be included in all copies or substantial
 portions of the Software.
 .
 THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT
 LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO
 EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER
 IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE
 USE OR OTHER DEALINGS IN THE SOFTWARE.
EOF
chmod 0644 "$doc/copyright"
# What lintian finds in the binary and why it stays: it is a copy of node, which carries its own zlib and is
# built without PIE by NodeSource and nodejs.org.
mkdir -p "$root/usr/share/lintian/overrides"
cat > "$root/usr/share/lintian/overrides/floatd" <<'EOF'
# usr/sbin/floatd is a Node.js single executable application: a copy of node, with node's own zlib inside.
floatd: embedded-library zlib [usr/sbin/floatd]
# The node binaries of nodejs.org and NodeSource are not position-independent; floatd is a copy of one.
floatd: hardening-no-pie [usr/sbin/floatd]
EOF
chmod 0644 "$root/usr/share/lintian/overrides/floatd"

meta=$root/DEBIAN
mkdir -p "$meta"
# Everything under /etc: dpkg keeps an admin's change on upgrade and asks; removed only by a purge.
(cd "$root" && find etc -type f | LC_ALL=C sort | sed 's#^#/#') > "$meta/conffiles"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) > "$meta/md5sums"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
# Depends: what the binary links (a copy of node: glibc >= 2.28, libstdc++, libgcc) and what a VIP needs:
# ip(8) always (the fallback of floatd-kernel-helper, and --vip-path spawn).
# Recommends: arping(8), for gratuitous ARP when the channel is down or with --vip-path spawn.
cat > "$meta/control" <<EOF
Package: floatd
Version: $debversion
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $size
Depends: libc6 (>= 2.28), libgcc-s1, libstdc++6, iproute2
Recommends: iputils-arping
Section: net
Priority: optional
Homepage: https://www.npmjs.com/package/floatd
Description: failover agent for a floating IP address, with ucarp's flags
 floatd elects one master per virtual IP among the nodes of a cluster over
 UDP, in the spirit of ucarp and VRRP, and runs ordered hooks when a node
 takes the address over or gives it up. It takes ucarp's flags and runs
 ucarp's vip-up and vip-down scripts unchanged; it adds signed adverts, a
 graceful resign, epochs, a quorum with a witness, health checks and
 fencing. One systemd unit instance per address: floatd@NAME.
EOF

# Maintainer scripts. DPKG_ROOT is set when dpkg installs into another root (--instdir with
# --force-script-chrootless): then nothing on this host's systemd is touched.
cat > "$meta/postinst" <<'EOF'
#!/bin/sh
# A new or changed floatd@.service: systemd reads it again. Running agents keep running: restart them one
# node at a time, backups first (docs/install.md: upgrading).
set -e
if [ "$1" = configure ] && [ -z "${DPKG_ROOT:-}" ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload || true
fi
EOF
cat > "$meta/prerm" <<'EOF'
#!/bin/sh
# Removed, not upgraded: the agents stop first (with -z a master hands over), while the binary their
# ExecStopPost= cleanup runs is still there.
set -e
if [ "$1" = remove ] && [ -z "${DPKG_ROOT:-}" ] && [ -d /run/systemd/system ]; then
  deb-systemd-invoke stop 'floatd@*.service' || true
fi
EOF
cat > "$meta/postrm" <<'EOF'
#!/bin/sh
# After removal systemd forgets the unit; a purge also removes what the agents wrote: their run records
# (/var/lib/floatd) and state files (/run/floatd). /etc/floatd keeps the admin's own configs and key.
set -e
case "$1" in
  remove|purge)
    if [ -z "${DPKG_ROOT:-}" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi ;;
esac
if [ "$1" = purge ]; then
  rm -rf "${DPKG_ROOT:-}/var/lib/floatd" "${DPKG_ROOT:-}/run/floatd"
fi
EOF
chmod 0755 "$meta/postinst" "$meta/prerm" "$meta/postrm"
chmod 0644 "$meta/control" "$meta/conffiles" "$meta/md5sums"

mkdir -p "$out"
deb=$(readlink -f "$out")/floatd_${debversion}_${arch}.deb
dpkg-deb -Z"$compression" --root-owner-group --build "$root" "$deb.tmp" > /dev/null
mv -f "$deb.tmp" "$deb"
echo "$me: $deb ($(( $(stat -c %s "$deb") / 1048576 )) MiB, $compression) in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
