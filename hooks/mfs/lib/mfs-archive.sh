# Archives of master-owned files (sourced by mfs-common.sh). MooseFS never scans sub-directories of DATA_PATH,
# so an archive is a directory DATA_PATH/floatd-archive-<UTC time> holding the moved files and an info file:
#   reason=demoted|replaced|backup|bad-restore|restored-back|torn-metalogger|stale-metalogger   version=<newest change id>   epoch=<floatd epoch>
# Nothing is deleted here except by mfs_archive_prune (see its rule).

# Archives in DIR, oldest first (names sort by time).
mfs_archives() { ls -1d "$1"/floatd-archive-* 2>/dev/null | sort || true; }

# A key of an archive's info file.
mfs_archive_get() { sed -n "s/^$2=//p" "$1/floatd-archive.info" 2>/dev/null | tail -n 1; }

# Moves FILES... of DIR into a new archive with REASON and an info file; prints the archive's path (nothing when
# there is nothing to move). The files keep their names, owner and times (mv within one filesystem).
mfs_archive_files() {
  local dir=$1 reason=$2 a version
  shift 2
  [ $# -gt 0 ] || return 0
  version=$(mfs_newest_change "$@")
  a="$dir/floatd-archive-$(date -u +%Y%m%dT%H%M%S.%3NZ)"
  mkdir "$a"
  mv "$@" "$a"/
  printf 'reason=%s\nversion=%s\nepoch=%s\ntime=%s\nhook=%s\n' "$reason" "$version" "${FLOATD_EPOCH:-}" "$(date -u +%FT%TZ)" "$MFS_HOOK" >"$a/floatd-archive.info"
  chown --reference="$dir" "$a" "$a/floatd-archive.info" 2>/dev/null || true
  printf '%s\n' "$a"
}

# Moves every master-owned file of DIR (metadata.mfs*, changelog.N.mfs, metadata.crc) into a new archive.
mfs_archive_master_files() {
  # shellcheck disable=SC2046
  mfs_archive_files "$1" "$2" $(mfs_master_files "$1")
}

# Moves every metalogger file of DIR (metadata_ml*, changelog_ml*) into a new archive with REASON; prints its path.
# For a metalogger copy that cannot be appended to (a changelog torn by a crash): the metalogger then starts afresh.
mfs_archive_ml_files() {
  # shellcheck disable=SC2046
  mfs_archive_files "$1" "$2" $(mfs_ml_files "$1")
}

# Moves an archive's files back into DIR (used when this node's own last mastership is the newest data).
mfs_archive_restore_back() {
  local a=$1 dir=$2 f
  for f in "$a"/*; do
    case $(basename "$f") in floatd-archive.info) ;; *) mv "$f" "$dir"/ ;; esac
  done
  printf 'reason=restored-back\n' >>"$a/floatd-archive.info"
}

# The keep rule: MFS_ARCHIVE_KEEP archives are kept (the newest ones); an older archive is deleted only
# when everything in it is already in the metadata now served (its version <= SERVED), so no change that exists
# nowhere else is ever deleted. MFS_ARCHIVE_KEEP=0 keeps every archive. Prints what it removed.
mfs_archive_prune() {
  local dir=$1 served=$2 all n extra a v
  [ "$MFS_ARCHIVE_KEEP" -gt 0 ] || return 0
  all=$(mfs_archives "$dir")
  n=$(printf '%s' "$all" | grep -c . || true)
  extra=$((n - MFS_ARCHIVE_KEEP))
  for a in $all; do
    [ $extra -gt 0 ] || break
    v=$(mfs_archive_get "$a" version)
    if [ -n "$v" ] && [ "$v" -le "$served" ]; then rm -rf -- "$a" && printf 'pruned %s (version %s <= served %s)\n' "$a" "$v" "$served"; fi
    extra=$((extra - 1))
  done
}
