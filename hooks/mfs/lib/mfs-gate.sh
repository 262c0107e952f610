# The client gate of floatd's MooseFS hook pack (sourced after mfs-common.sh by the hooks that use it).
#
# Why: a freshly started mfsmaster answers a client's chunk lookup before the chunkservers re-registered. For a
# chunk no registered chunkserver has reported yet, chunk_get_version_and_csdata() (mfsmaster/chunks.c) returns
# status OK with zero locations (it says "lost" only once every known chunkserver is connected and none is still
# registering), and mfsmount then logs "there are no valid copies" and re-queues the read for a fixed 10 s
# (read_delayed_enqueue(rreq,10000000) in mfsclient/readdata.c). Chunkservers and clients reconnect to the VIP at
# about the same time, so after a host death the client's read usually lost that race by about a second.
#
# What: while the gate is closed, new TCP connections to the client port (MATOCL_LISTEN_PORT, 9421) from any
# interface but lo are dropped by an nftables table of our own; chunkservers (9420), metaloggers (9419) and
# anything on this host (the readiness checks, the census below) are untouched. A dropped SYN is retried by the
# client's kernel 1 s later (mfsmount's connect waits 2 s, then tries again at once), where a reset would send
# mfsmount into its 2 s reconnect sleep: dropping lets clients in sooner after the gate opens.

MFS_GATE_TABLE=floatd_mfs_gate

# Loads and checks this file's keys; each problem names the key and quotes the value.
mfs_gate_config() {
  MFS_CLIENT_GATE=${MFS_CLIENT_GATE:-yes}
  MFS_CLIENT_GATE_TIMEOUT=${MFS_CLIENT_GATE_TIMEOUT:-10}
  case $MFS_CLIENT_GATE in yes|no) ;; *) mfs_die "MFS_CLIENT_GATE must be yes or no, got \"$MFS_CLIENT_GATE\" (in $MFS_CONFIG)" ;; esac
  case $MFS_CLIENT_GATE_TIMEOUT in ''|*[!0-9]*) mfs_die "MFS_CLIENT_GATE_TIMEOUT must be a whole number of seconds, got \"$MFS_CLIENT_GATE_TIMEOUT\" (in $MFS_CONFIG)" ;; esac
  MFS_GATE_PORT=$MASTER_PORT_CL
  if [ "$MFS_CLIENT_GATE" = yes ] && ! command -v nft >/dev/null 2>&1; then
    mfs_die "MFS_CLIENT_GATE=yes needs nft (Debian: nftables) on this host — install it, or set MFS_CLIENT_GATE=no (clients may then wait 10 s for their first read after a failover)"
  fi
}

# Prints "closed" when our table is in the ruleset, "open" when it is not; fails when nft cannot say (unknown).
mfs_gate_state() {
  local tables
  command -v nft >/dev/null 2>&1 || { echo open; return 0; }
  tables=$(nft list tables inet 2>&1) || { echo "nft list tables inet failed: $tables"; return 1; }
  case $'\n'$tables$'\n' in *$'\n'"table inet $MFS_GATE_TABLE"$'\n'*) echo closed ;; *) echo open ;; esac
}

# Closes the gate (idempotent: an old table of ours is replaced in the same transaction).
mfs_gate_close() {
  nft -f - <<EOF
table inet $MFS_GATE_TABLE
delete table inet $MFS_GATE_TABLE
table inet $MFS_GATE_TABLE {
  chain input {
    type filter hook input priority filter - 10; policy accept;
    iifname != "lo" tcp dport $MFS_GATE_PORT tcp flags & (syn | ack) == syn drop
  }
}
EOF
  [ "$(mfs_gate_state)" = closed ] || { echo "table inet $MFS_GATE_TABLE is not in the ruleset after nft -f"; return 1; }
}

# Opens the gate: removes our table when present, then checks that it is gone.
mfs_gate_open() {
  local st
  st=$(mfs_gate_state) || { echo "$st"; return 1; }
  [ "$st" = open ] || nft delete table inet "$MFS_GATE_TABLE"
  st=$(mfs_gate_state) || { echo "$st"; return 1; }
  [ "$st" = open ] || { echo "table inet $MFS_GATE_TABLE is still in the ruleset"; return 1; }
}

# 4 bytes big-endian of N as printf escapes.
mfs_be32() { printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255)); }

# Sends MooseFS request TYPE (no payload) on fd FD and prints the answer's payload bytes as decimals; fails unless
# the answer is TYPE+1 (MooseFS's CLTOMA_x / MATOCL_x pairs). `head -c` reads exactly what it is asked to.
mfs_ask() {
  local fd=$1 type=$2 h
  # shellcheck disable=SC2059
  printf "$(mfs_be32 "$type")\\x00\\x00\\x00\\x00" >&"$fd"
  read -r -a h <<<"$(head -c 8 <&"$fd" | od -An -v -tu1 | tr '\n' ' ')"
  [ ${#h[@]} -eq 8 ] && [ $(((h[0] << 24) | (h[1] << 16) | (h[2] << 8) | h[3])) -eq $((type + 1)) ] || return 1
  head -c $(((h[4] << 24) | (h[5] << 16) | (h[6] << 8) | h[7])) <&"$fd" | od -An -v -tu1 | tr '\n' ' '
}

# What the master on HOST:PORT knows of its chunkservers and chunks, as
# "listed=N disconnected=D missing=M settling=S" (MooseFS 3.0 answers, read as mfscli reads them):
# - CLTOMA_CSERV_LIST (500): one 69-byte record per chunkserver in the master's list, which is restored with the
#   metadata (csdb_load in mfsmaster/csdb.c), so it names the old master's chunkservers before any reconnects;
#   bit 0 of the first byte means disconnected.
# - CLTOMA_CHUNKS_MATRIX (516): a progress byte (chunk_counters_in_progress(): non-zero while a chunkserver is
#   registering, its disconnection is processed, or for 3 s after its last chunk report), then
#   counts[goal 0..10][valid copies 0..10]; chunks with a goal and no valid copy are mfscli's "missing".
mfs_chunk_census() {
  local host=$1 port=$2 fd b n i o listed=0 disc=0 missing=0
  exec {fd}<>"/dev/tcp/$host/$port" || return 1
  read -r -a b <<<"$(mfs_ask "$fd" 500)" || return 1
  n=${#b[@]}
  [ $((n % 69)) -eq 0 ] || { echo "chunkserver list of $n bytes, not 69-byte records (MooseFS other than 3.0?)"; return 1; }
  for ((i = 0; i < n; i += 69)); do
    listed=$((listed + 1))
    disc=$((disc + (b[i] & 1)))
  done
  read -r -a b <<<"$(mfs_ask "$fd" 516)" || return 1
  [ ${#b[@]} -eq 969 ] || { echo "chunk matrix of ${#b[@]} bytes, not 969"; return 1; }
  for ((i = 1; i <= 10; i++)); do
    o=$((1 + i * 44))
    missing=$((missing + ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3])))
  done
  exec {fd}>&-
  echo "listed=$listed disconnected=$disc missing=$missing settling=${b[0]}"
}

# Why clients may come in now, from a census line; nothing (and exit 1) while they may not:
# - no chunk lacks a copy: no lookup can be answered with zero locations, whoever is still missing;
# - every listed chunkserver is connected and none is registering or settling: the master's own test for
#   "knows all it can know" (csdb_have_all_servers() && !chunk_counters_in_progress() in chunks.c), after which
#   it answers a chunk without a copy as lost, not with zero locations.
mfs_gate_ready() {
  local listed= disconnected= missing= settling=
  eval "$(printf '%s\n' "$1" | tr ' ' '\n' | grep -E '^(listed|disconnected|missing|settling)=[0-9]+$')"
  [ -n "$missing" ] || return 1
  if [ "$missing" -eq 0 ]; then echo "every chunk has a registered copy"; return 0; fi
  if [ "$disconnected" -eq 0 ] && [ "$settling" -eq 0 ]; then echo "all $listed chunkservers registered; $missing chunks have no copy on any of them"; return 0; fi
  return 1
}

# Waits until mfs_gate_ready says why clients may come in, for at most MFS_CLIENT_GATE_TIMEOUT seconds; sets
# MFS_GATE_WHY (the reason, or why it gave up) and MFS_GATE_CENSUS (the last census). Each census asks the local
# master over 127.0.0.1 (not gated) and takes about 20 ms; a census that fails or hangs counts as "not yet".
mfs_gate_wait() {
  local deadline census why now
  mfs_clock now
  deadline=$((now + MFS_CLIENT_GATE_TIMEOUT * 1000))
  MFS_GATE_CENSUS="no answer from the master on 127.0.0.1:$MFS_GATE_PORT"
  while :; do
    if census=$(timeout -k 1 2 bash -c "$(declare -f mfs_be32 mfs_ask mfs_chunk_census); mfs_chunk_census 127.0.0.1 $MFS_GATE_PORT" 2>&1); then
      MFS_GATE_CENSUS=$census
      if why=$(mfs_gate_ready "$census"); then MFS_GATE_WHY=$why; return 0; fi
    else
      MFS_GATE_CENSUS="census failed: ${census:-no output}"
    fi
    mfs_clock now
    if [ "$now" -ge "$deadline" ]; then
      MFS_GATE_WHY="MFS_CLIENT_GATE_TIMEOUT=${MFS_CLIENT_GATE_TIMEOUT}s passed first"
      return 1
    fi
    sleep 0.05
  done
}
