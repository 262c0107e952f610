# Whose metadata a promotion uses (sourced by mfs-common.sh). Pure over the files in DATA_PATH
# and the FLOATD_* facts; it moves nothing. Sets:
#   MFS_DECISION = own          this node's own master files are the newest: keep them, restore from them
#                  own-archive  this node's last graceful mastership (an archive) is the newest: move it back
#                  metalogger   archive own master files, restore from the metalogger's copy
#                  refuse       ambiguous or nothing to restore: do not promote
#   MFS_WHY (one sentence for the log), MFS_OWN_V, MFS_ML_V, MFS_ARCHIVE (for own-archive).

# Highest epoch another master may have held: FLOATD_MAX_EPOCH, minus the epoch this node claims right now
# (in prepare, the agent counts the mastership being set up as held).
mfs_heard_epoch() {
  local m=${FLOATD_MAX_EPOCH:-0}
  if [ "${FLOATD_PHASE:-}" = prepare ] && [ "$m" = "${FLOATD_EPOCH:-}" ] && [ "$m" -gt 0 ]; then m=$((m - 1)); fi
  echo "${m:-0}"
}

# Decides for the master DATA_PATH DIR by the rules in docs/mfs.md ("Whose metadata is used").
mfs_decide() {
  local dir=$1 own ml has_ml=no arch areason aepoch av heard prev=${FLOATD_PREVIOUS_RUN:-none} newer=${FLOATD_NEWER_EPOCH_SEEN:-no}
  own=$(mfs_master_files "$dir")
  ml=$(mfs_ml_files "$dir")
  # shellcheck disable=SC2086
  MFS_OWN_V=$(mfs_newest_change $own)
  # shellcheck disable=SC2086
  MFS_ML_V=$(mfs_newest_change $ml)
  printf '%s\n' "$ml" | grep -q -e '/metadata_ml\.' && has_ml=yes
  heard=$(mfs_heard_epoch)
  MFS_ARCHIVE=
  if [ -n "$own" ]; then
    if [ "$prev" = master ] && [ "$newer" = no ]; then
      MFS_DECISION=own MFS_WHY="previous run ended as master (epoch ${FLOATD_PREVIOUS_RUN_EPOCH:-?}) and no newer epoch was heard: own master files (change $MFS_OWN_V) are the newest"
    elif [ "$prev" = none ] && [ "$heard" -eq 0 ] && [ -z "${FLOATD_LAST_MASTER:-}" ] && [ $has_ml = no ]; then
      MFS_DECISION=own MFS_WHY="first run, no other master ever heard and no metalogger copy: starting the seeded metadata (change $MFS_OWN_V)"
    elif [ "$MFS_OWN_V" -gt "$MFS_ML_V" ]; then
      MFS_DECISION=refuse MFS_WHY="ambiguous: own master files hold change $MFS_OWN_V, newer than the metalogger's $MFS_ML_V, but this node was replaced (previous run $prev, newer epoch seen: $newer) — see docs/mfs.md 'Recovering by hand'"
    else
      MFS_DECISION=metalogger MFS_WHY="previous run $prev, newer epoch seen: $newer: own master files (change $MFS_OWN_V) are superseded by the metalogger's copy (change $MFS_ML_V)"
    fi
  else
    MFS_DECISION=metalogger MFS_WHY="no own master files: restoring the metalogger's copy (change $MFS_ML_V)"
    arch=$(mfs_archives "$dir" | tail -n 1)
    if [ -n "$arch" ]; then
      areason=$(mfs_archive_get "$arch" reason) aepoch=$(mfs_archive_get "$arch" epoch) av=$(mfs_archive_get "$arch" version)
      if [ "$areason" = demoted ] && [ "${av:-0}" -gt "$MFS_ML_V" ]; then
        if [ -n "$aepoch" ] && [ "$heard" -le "$aepoch" ]; then
          MFS_DECISION=own-archive MFS_ARCHIVE=$arch MFS_OWN_V=$av
          MFS_WHY="this node's last mastership (epoch $aepoch, archived at demotion in $arch, change $av) is newer than the metalogger's copy ($MFS_ML_V) and no newer epoch was heard: moving it back"
        else
          MFS_DECISION=refuse MFS_WHY="ambiguous: the archive of this node's last mastership ($arch, change $av, epoch ${aepoch:-?}) is newer than the metalogger's copy ($MFS_ML_V) but epoch $heard was heard since — see docs/mfs.md 'Recovering by hand'"
        fi
      elif [ "$areason" = replaced ] && [ "${av:-0}" -gt "$MFS_ML_V" ]; then
        MFS_DECISION=refuse MFS_WHY="ambiguous: this node's master files archived when it was replaced ($arch, change $av) are newer than the metalogger's copy of the newer master ($MFS_ML_V) — two histories; see docs/mfs.md 'Recovering by hand'"
      fi
    fi
  fi
  if [ "$MFS_DECISION" = metalogger ] && [ $has_ml = no ]; then
    MFS_DECISION=refuse MFS_WHY="the metalogger holds nothing to restore in $dir (no metadata_ml.mfs.back* or metadata_ml.tmp): is mfsmetalogger running on this node and connected to the master? A master started on empty metadata would make every metalogger drop the real history"
  fi
  if [ "$MFS_DECISION" != refuse ] && [ -n "$own" ] && [ "$MFS_OWN_V" -eq "$MFS_ML_V" ] && [ "$MFS_OWN_V" -gt 0 ]; then
    local a b
    # shellcheck disable=SC2086
    a=$(mfs_change_text "$MFS_OWN_V" $own | cut -d' ' -f2-)
    # shellcheck disable=SC2086
    b=$(mfs_change_text "$MFS_ML_V" $ml | cut -d' ' -f2-)
    if [ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ]; then
      MFS_DECISION=refuse MFS_WHY="ambiguous: change $MFS_OWN_V differs between own master files and the metalogger's copy (two masters wrote it) — see docs/mfs.md 'Recovering by hand'"
    fi
  fi
  return 0
}
