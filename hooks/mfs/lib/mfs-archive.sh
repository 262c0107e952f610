# Archives of master-owned files (sourced by mfs-common.sh). MooseFS never scans sub-directories of DATA_PATH,
# so an archive is a directory DATA_PATH/floatd-archive-<UTC time> holding the moved files and an info file:
#   reason=demoted|replaced|backup|bad-restore|restored-back|torn-metalogger|stale-metalogger   version=<newest change id>   epoch=<floatd epoch>
# Nothing is deleted here except by mfs_archive_prune (see its rule).

# Archives in DIR, oldest first (the names sort by time), into MFS_ARCHIVES.
mfs_archives() {
  local a
  MFS_ARCHIVES=()
  for a in "$1"/floatd-archive-*; do [ ! -d "$a" ] || MFS_ARCHIVES+=("$a"); done
}

# A key of an archive's info file into MFS_ARCHIVE_VALUE (the last one wins; empty when absent).
mfs_archive_get() {
  local line
  MFS_ARCHIVE_VALUE=
  [ -r "$1/floatd-archive.info" ] || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    case $line in "$2="*) MFS_ARCHIVE_VALUE=${line#*=} ;; esac
  done <"$1/floatd-archive.info"
}

# Moves FILES... of DIR into a new archive with REASON and an info file; prints the archive's path (nothing when
# there is nothing to move). The files keep their names, owner and times (mv within one filesystem).
mfs_archive_files() {
  local dir=$1 reason=$2 a now stamp
  shift 2
  [ $# -gt 0 ] || return 0
  mfs_newest "$@"
  mfs_clock now
  TZ=UTC printf -v stamp '%(%Y%m%dT%H%M%S)T.%03dZ' $((now / 1000)) $((now % 1000))
  a=$dir/floatd-archive-$stamp
  mkdir "$a"
  mv "$@" "$a"/
  printf 'reason=%s\nversion=%s\nepoch=%s\ntime=%s\nhook=%s\n' "$reason" "$MFS_NEWEST" "${FLOATD_EPOCH:-}" "${stamp%.*}Z" "$MFS_HOOK" >"$a/floatd-archive.info"
  chown --reference="$dir" "$a" "$a/floatd-archive.info" 2>/dev/null || true
  printf '%s\n' "$a"
}

# Moves every master-owned file of DIR (metadata.mfs*, changelog.N.mfs, metadata.crc) into a new archive.
mfs_archive_master_files() {
  mfs_master_files "$1"
  mfs_archive_files "$1" "$2" "${MFS_FILES[@]}"
}

# Moves every metalogger file of DIR (metadata_ml*, changelog_ml*) into a new archive with REASON; prints its path.
# For a metalogger copy that cannot be appended to (a changelog torn by a crash): the metalogger then starts afresh.
mfs_archive_ml_files() {
  mfs_ml_files "$1"
  mfs_archive_files "$1" "$2" "${MFS_FILES[@]}"
}

# Moves an archive's files back into DIR (used when this node's own last mastership is the newest data).
mfs_archive_restore_back() {
  local a=$1 dir=$2 f
  for f in "$a"/*; do
    case ${f##*/} in floatd-archive.info) ;; *) mv "$f" "$dir"/ ;; esac
  done
  printf 'reason=restored-back\n' >>"$a/floatd-archive.info"
}

# The keep rule: MFS_ARCHIVE_KEEP archives are kept (the newest ones); an older archive is deleted only
# when everything in it is already in the metadata now served (its version <= SERVED), so no change that exists
# nowhere else is ever deleted. MFS_ARCHIVE_KEEP=0 keeps every archive. Prints what it removed.
mfs_archive_prune() {
  local dir=$1 served=$2 extra a v
  [ "$MFS_ARCHIVE_KEEP" -gt 0 ] || return 0
  mfs_archives "$dir"
  extra=$((${#MFS_ARCHIVES[@]} - MFS_ARCHIVE_KEEP))
  for a in "${MFS_ARCHIVES[@]}"; do
    [ $extra -gt 0 ] || break
    mfs_archive_get "$a" version
    v=$MFS_ARCHIVE_VALUE
    if [ -n "$v" ] && [ "$v" -le "$served" ]; then rm -rf -- "$a" && printf 'pruned %s (version %s <= served %s)\n' "$a" "$v" "$served"; fi
    extra=$((extra - 1))
  done
}
