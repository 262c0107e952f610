# The metadata facts the restore rules rely on (sourced by mfs-common.sh): which files in a DATA_PATH are the
# master's and which the metalogger's, the newest change id each holds, and whether a changelog ends in a cut line.
# A file is read once per hook (MFS_V, MFS_CUT remember it), and all changelogs of a call in one `tail`, however
# many the metalogger keeps (BACK_LOGS, 50 by default).

declare -A MFS_V=() MFS_CUT=()

# The master-owned files in DIR that mfsmaster -a would read (never the metalogger's _ml files), into MFS_FILES.
mfs_master_files() {
  local f
  MFS_FILES=()
  for f in "$1"/metadata.mfs "$1"/metadata.mfs.back* "$1"/changelog.[0-9]*.mfs "$1"/metadata.crc; do
    [ ! -e "$f" ] || MFS_FILES+=("$f")
  done
}

# The metalogger's files in DIR (its metadata copies and the changelogs it streamed), into MFS_FILES.
mfs_ml_files() {
  local f
  MFS_FILES=()
  for f in "$1"/metadata_ml.mfs.back* "$1"/metadata_ml.tmp "$1"/changelog_ml.[0-9]*.mfs "$1"/changelog_ml_back.[0-9]*.mfs; do
    [ ! -e "$f" ] || MFS_FILES+=("$f")
  done
}

# Reads FILES... not read yet: a metadata file's newest change is its header version ("MFSM 2.0" + big-endian u64)
# minus one, 0 for "MFSM NEW" (a freshly seeded, empty filesystem) or an unreadable header; a changelog's is the
# largest "ID:" among its last two lines (the last may be cut), and it is cut when its last byte is no newline
# (restore would skip the whole file).
mfs_scan() {
  local f logs=() out line name= prev= last=0 hex
  for f; do
    [ -z "${MFS_V[$f]+set}" ] || continue
    case ${f##*/} in
      *changelog*) logs+=("$f") ;;
      *)
        MFS_CUT[$f]=0 MFS_V[$f]=0
        hex=$(od -An -N16 -tx1 -v "$f" 2>/dev/null) || true
        hex=${hex//[$' \n']/}
        # "MFSM 2.0" in hex, then the version.
        if [ "${hex:0:16}" = 4d46534d20322e30 ] && [ ${#hex} -eq 32 ]; then
          MFS_V[$f]=$((0x${hex:16} > 0 ? 0x${hex:16} - 1 : 0))
        fi ;;
    esac
  done
  [ ${#logs[@]} -gt 0 ] || return 0
  # `tail -v` heads each file with "==> NAME <==" and puts an empty line before the next head: after a file whose
  # last line has no newline that empty line is missing. The final "." marks the end of the last file: on a line of
  # its own after a newline, or glued to a cut last line (then no "." line comes).
  out=$(tail -v -n 2 -- "${logs[@]}" 2>/dev/null; echo .) || true
  while IFS= read -r line; do
    if [[ $line == '==> '*' <==' ]]; then
      [ -z "$name" ] || mfs_scanned "$name" "$last" "$([ -n "$prev" ] && [ "$prev" != "==> $name <==" ] && echo 1 || echo 0)"
      name=${line#==> } name=${name% <==} prev=$line last=0
    elif [ "$line" = . ]; then
      [ -z "$name" ] || mfs_scanned "$name" "$last" 0
      name=
      break
    else
      [[ $line =~ ^([0-9]+):\  ]] && [ "${BASH_REMATCH[1]}" -gt "$last" ] && last=${BASH_REMATCH[1]}
      prev=$line
    fi
  done <<<"$out"
  [ -z "$name" ] || mfs_scanned "$name" "$last" 1
}

mfs_scanned() { MFS_V[$1]=$2 MFS_CUT[$1]=$3; }

# Newest change id among FILES (metadata and changelogs) into MFS_NEWEST, 0 when none holds any.
mfs_newest() {
  local f
  mfs_scan "$@"
  MFS_NEWEST=0
  for f; do [ "${MFS_V[$f]}" -le "$MFS_NEWEST" ] || MFS_NEWEST=${MFS_V[$f]}; done
}

# The first changelog among FILES that ends in a cut line into MFS_CUT_FILE (empty when none); true when there is one.
mfs_first_cut() {
  local f
  mfs_scan "$@"
  MFS_CUT_FILE=
  for f; do [ "${MFS_CUT[$f]}" = 0 ] || { MFS_CUT_FILE=$f; return 0; }; done
  return 1
}

# The text of change ID in FILES' changelogs (for "same id, different content") into MFS_CHANGE_TEXT (without the
# id), empty if none has it. Only when two copies end at the same id: a cold path.
mfs_change_text() {
  local id=$1 f line
  shift
  MFS_CHANGE_TEXT=
  for f; do
    case ${f##*/} in *changelog*) line=$(grep -m 1 "^$id: " "$f" 2>/dev/null) && { MFS_CHANGE_TEXT=${line#* }; return 0; } ;; esac
  done
  return 0
}
