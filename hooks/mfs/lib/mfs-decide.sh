# Whose metadata a promotion uses (sourced by mfs-common.sh). Pure over the files in DATA_PATH
# and the FLOATD_* facts; it moves nothing. Sets:
#   MFS_DECISION = own          this node's own master files are the newest: keep them, restore from them
#                  own-archive  this node's last graceful mastership (an archive) is the newest: move it back
#                  metalogger   archive own master files, restore from the metalogger's copy
#                  refuse       ambiguous or nothing to restore: do not promote
#   MFS_WHY (one sentence for the log), MFS_OWN_V, MFS_ML_V, MFS_ARCHIVE (for own-archive).

# Highest epoch another master may have held: FLOATD_MAX_EPOCH, minus the epoch this node claims right now
# (in prepare, the agent counts the mastership being set up as held); into MFS_HEARD.
mfs_heard_epoch() {
  local m=${FLOATD_MAX_EPOCH:-0}
  if [ "${FLOATD_PHASE:-}" = prepare ] && [ "$m" = "${FLOATD_EPOCH:-}" ] && [ "$m" -gt 0 ]; then m=$((m - 1)); fi
  MFS_HEARD=${m:-0}
}

# Decides for the master DATA_PATH DIR by the rules in docs/mfs.md ("Whose metadata is used").
mfs_decide() {
  local dir=$1 own ml has_ml=no arch areason aepoch av heard prev=${FLOATD_PREVIOUS_RUN:-none} newer=${FLOATD_NEWER_EPOCH_SEEN:-no}
  mfs_master_files "$dir"
  own=("${MFS_FILES[@]}")
  mfs_ml_files "$dir"
  ml=("${MFS_FILES[@]}")
  mfs_newest "${own[@]}"
  MFS_OWN_V=$MFS_NEWEST
  mfs_newest "${ml[@]}"
  MFS_ML_V=$MFS_NEWEST
  [[ " ${ml[*]}" != *"/metadata_ml."* ]] || has_ml=yes
  mfs_heard_epoch
  heard=$MFS_HEARD
  MFS_ARCHIVE=
  if [ ${#own[@]} -gt 0 ]; then
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
    mfs_archives "$dir"
    arch=
    [ ${#MFS_ARCHIVES[@]} -eq 0 ] || arch=${MFS_ARCHIVES[-1]}
    if [ -n "$arch" ]; then
      mfs_archive_get "$arch" reason; areason=$MFS_ARCHIVE_VALUE
      mfs_archive_get "$arch" epoch; aepoch=$MFS_ARCHIVE_VALUE
      mfs_archive_get "$arch" version; av=$MFS_ARCHIVE_VALUE
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
  if [ "$MFS_DECISION" != refuse ] && [ ${#own[@]} -gt 0 ] && [ "$MFS_OWN_V" -eq "$MFS_ML_V" ] && [ "$MFS_OWN_V" -gt 0 ]; then
    local a b
    mfs_change_text "$MFS_OWN_V" "${own[@]}"; a=$MFS_CHANGE_TEXT
    mfs_change_text "$MFS_ML_V" "${ml[@]}"; b=$MFS_CHANGE_TEXT
    if [ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ]; then
      MFS_DECISION=refuse MFS_WHY="ambiguous: change $MFS_OWN_V differs between own master files and the metalogger's copy (two masters wrote it) — see docs/mfs.md 'Recovering by hand'"
    fi
  fi
  return 0
}

# The newest change this node could restore from now (metadata-version prints it; the takeover check compares it
# with its peers'). Sets MFS_LIVE_V, MFS_LIVE_N (files counted) and MFS_LIVE_FROM (which copy, for the log).
#   mfsmaster runs here      its own master files (on the shared LUN while it is mounted here);
#   otherwise (metalogger)   the newest of the copies a promotion could use (mfs_decide's rules):
#     - the metalogger's, when it holds a metadata copy (a restore needs one: changelogs alone give nothing);
#     - own master files in DATA_PATH (kept after this node's last mastership ended in a crash), and the newest
#       "demoted" archive (its last graceful mastership), as long as no master has served this node's metalogger
#       since: no metadata_ml.* file is newer than them. A metalogger downloads the serving master's metadata when
#       it connects, so a newer metadata_ml.* means another master served after them (this node then follows it,
#       and its own files are superseded or a second history: never the version to report). Until then they are
#       this node's newest data, whatever daemon runs: an old master that comes back after a crash and starts its
#       metalogger (which finds no master) still reports its own last change and is the freshest claimant.
# The state of mfsmaster must be known (mfs_running fails closed).
mfs_live_version() {
  local dir=$MASTER_DATA_PATH ml_dir=${ML_DATA_PATH:-$MASTER_DATA_PATH} own ml f ref= copy= v n=0 a
  mfs_master_files "$dir"
  own=("${MFS_FILES[@]}")
  if mfs_running master; then
    mfs_newest "${own[@]}"
    MFS_LIVE_V=$MFS_NEWEST MFS_LIVE_N=${#own[@]} MFS_LIVE_FROM="mfsmaster runs: its own master files in $dir"
    return 0
  fi
  ml=()
  if [ "$MFS_NEED_ML" = yes ]; then mfs_ml_files "$ml_dir"; ml=("${MFS_FILES[@]}"); fi
  if [ "$MFS_STRATEGY" = shared ]; then
    # The LUN is the copy a shared promotion uses; a local metalogger is a copy for recovery by hand.
    mfs_newest "${own[@]}"
    MFS_LIVE_V=$MFS_NEWEST MFS_LIVE_N=${#own[@]} MFS_LIVE_FROM="shared: the master files on the LUN in $dir (${#own[@]} here)"
    return 0
  fi
  for f in "${ml[@]}"; do case ${f##*/} in metadata_ml.*) [ -n "$copy" ] && [ ! "$f" -nt "$copy" ] || copy=$f ;; esac; done
  MFS_LIVE_V=0 MFS_LIVE_FROM=
  if [ -n "$copy" ]; then
    mfs_newest "${ml[@]}"
    MFS_LIVE_V=$MFS_NEWEST n=${#ml[@]} MFS_LIVE_FROM="the metalogger's copy (change $MFS_NEWEST)"
  fi
  if [ ${#own[@]} -gt 0 ]; then
    for f in "${own[@]}"; do [ -n "$ref" ] && [ ! "$f" -nt "$ref" ] || ref=$f; done
    if [ -z "$copy" ] || [ "$ref" -nt "$copy" ]; then
      mfs_newest "${own[@]}"
      v=$MFS_NEWEST n=$((n + ${#own[@]}))
      MFS_LIVE_FROM="${MFS_LIVE_FROM:+$MFS_LIVE_FROM, }own master files from this node's last mastership (change $v; no master served its metalogger since)"
      [ "$v" -le "$MFS_LIVE_V" ] || MFS_LIVE_V=$v
    fi
  else
    mfs_archives "$dir"
    a=
    [ ${#MFS_ARCHIVES[@]} -eq 0 ] || a=${MFS_ARCHIVES[-1]}
    mfs_archive_get "$a" reason
    if [ -n "$a" ] && [ "$MFS_ARCHIVE_VALUE" = demoted ] && { [ -z "$copy" ] || [ "$a/floatd-archive.info" -nt "$copy" ]; }; then
      mfs_archive_get "$a" version
      v=${MFS_ARCHIVE_VALUE:-0} n=$((n + 1))
      MFS_LIVE_FROM="${MFS_LIVE_FROM:+$MFS_LIVE_FROM, }the archive of this node's last mastership ${a##*/} (change $v; no master served its metalogger since)"
      [ "$v" -le "$MFS_LIVE_V" ] || MFS_LIVE_V=$v
    fi
  fi
  MFS_LIVE_N=$n
  MFS_LIVE_FROM="no mfsmaster here: ${MFS_LIVE_FROM:-no metadata copy a restore could use in $dir}"
}
