#!/usr/bin/env bash
# Local S3 server for tests: Ceph RADOS Gateway (Debian 12 `radosgw`) on a throwaway single-node
# Ceph cluster whose only OSD keeps its data in RAM (memstore). No Docker needed.
# The facts behind the settings below are in the design note S3-TEST-SERVER.md.
#
# Usage: scripts/s3-server.sh install|start|stop|status|env|gateway-stop|gateway-start
#   install        install ceph-mon, ceph-osd and radosgw with apt-get (only if missing)
#   start          start the cluster unless it is already healthy; print the env lines on stdout
#   stop           stop radosgw, OSD and monitor (by pid) and remove the state dir; harmless if stopped
#   status         exit 0 if the server is running and answers, 1 otherwise
#   env            print the env lines on stdout
#   gateway-stop   stop only radosgw (by pid): S3 is down, the monitor and the OSD keep the data;
#                  harmless if it is already stopped (fault tests: an S3 outage)
#   gateway-start  start radosgw again on a cluster whose monitor and OSD run; wait until it answers;
#                  harmless if it already runs
#
# stdout of `start` and `env` is only `export NAME=value` lines, so callers can do:
#   eval "$(bash scripts/s3-server.sh start)"
# Every progress or error message goes to stderr.
#
# Settings: STRATA_S3_STATE_DIR (default /tmp/strata-s3), STRATA_S3_PORT (default 7480),
#           STRATA_S3_MON_PORT (default 6789), STRATA_S3_TIMEOUT (seconds for each wait, default 60).
# Several clusters can run side by side (e.g. a fault test stopping its own gateway while other
# tests use the shared one): give each its own state dir, port and monitor port. Everything else is
# derived from the state dir (config, pid files, admin sockets, run and log dirs, lock file, the
# command lines by which orphans are found); the OSD picks free loopback ports in 6800-7300 by
# itself, so keep both ports outside that range.
# The data lives in the OSD's memory: tests must delete what they write.

set -euo pipefail

STATE_DIR="${STRATA_S3_STATE_DIR:-/tmp/strata-s3}"
STATE_DIR="${STATE_DIR%/}"
PORT="${STRATA_S3_PORT:-7480}"
TIMEOUT="${STRATA_S3_TIMEOUT:-60}"
MON_PORT="${STRATA_S3_MON_PORT:-6789}"
MON_ID=a
RGW_NAME=client.rgw.a
REGION=us-east-1
ACCESS_KEY=strata-test-access
SECRET_KEY=strata-test-secret-key-0123456789
S3_UID=strata-test

[[ $PORT =~ ^[0-9]+$ && $MON_PORT =~ ^[0-9]+$ ]] || {
  printf 's3-server: error: STRATA_S3_PORT and STRATA_S3_MON_PORT must be port numbers\n' >&2
  exit 2
}
[[ $PORT != "$MON_PORT" ]] || {
  printf 's3-server: error: STRATA_S3_PORT and STRATA_S3_MON_PORT must differ\n' >&2
  exit 2
}

CONF="$STATE_DIR/ceph.conf"
RUN_DIR="$STATE_DIR/run"
LOG_DIR="$STATE_DIR/log"
# Outside the state dir on purpose: it serialises start/stop and must outlive `stop`.
LOCK_FILE="$STATE_DIR.lock"

PACKAGES=(ceph-mon ceph-osd radosgw)
COMMANDS=(ceph ceph-mon ceph-osd radosgw radosgw-admin monmaptool)

log() { printf 's3-server: %s\n' "$*" >&2; }

die() {
  log "error: $*"
  exit 1
}

show_tail() {
  [[ -s $1 ]] || return 0
  log "last lines of $1:"
  tail -n 40 "$1" >&2 || true
}

# die, after showing the end of a daemon's log and of its captured stdout/stderr (<name>.out):
# they usually say why it failed. (A failed start then removes the state dir with the logs.)
die_with_log() {
  local file=$1
  shift
  log "error: $*"
  show_tail "$file"
  [[ $file != *.log ]] || show_tail "${file%.log}.out"
  exit 1
}

print_env() {
  printf 'export STRATA_TEST_S3_ENDPOINT=%s\n' "http://127.0.0.1:$PORT"
  printf 'export STRATA_TEST_S3_ACCESS_KEY=%s\n' "$ACCESS_KEY"
  printf 'export STRATA_TEST_S3_SECRET_KEY=%s\n' "$SECRET_KEY"
  printf 'export STRATA_TEST_S3_REGION=%s\n' "$REGION"
}

# Holds an exclusive lock on fd 9 until the script exits, so that parallel callers
# (e.g. several test runners) do not start or stop the cluster at the same time.
take_lock() {
  mkdir -p "$(dirname "$STATE_DIR")"
  exec 9>"$LOCK_FILE"
  flock -w "$TIMEOUT" 9 || die "could not lock $LOCK_FILE within ${TIMEOUT}s"
}

# ---------------------------------------------------------------------------------------------
# Processes. Liveness is read from /proc/<pid>/stat: in this sandbox a dead daemon may linger as
# a zombie (nobody reaps it), and `kill -0` says a zombie is alive.

pid_alive() {
  local pid=$1 stat
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  { read -r stat <"/proc/$pid/stat"; } 2>/dev/null || return 1
  stat=${stat##*) } # the command name (in parentheses) may contain spaces
  [[ ${stat%% *} != [ZX] ]]
}

# True if <pid> is a live process started with our ceph.conf (guards against pid reuse).
pid_is_ours() {
  local pid=$1 cmdline
  pid_alive "$pid" || return 1
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ " $cmdline " == *" $CONF "* ]]
}

pid_file() { printf '%s/%s.pid\n' "$RUN_DIR" "$1"; }

# Prints the pid recorded for daemon <name> (e.g. mon.a) if that process is alive and ours.
daemon_pid() {
  local file pid
  file=$(pid_file "$1")
  [[ -f $file ]] || return 1
  { read -r pid <"$file"; } 2>/dev/null || return 1
  pid_is_ours "$pid" || return 1
  printf '%s\n' "$pid"
}

# Waits until <pid> is gone or a zombie; returns 1 after <seconds>.
wait_pid_gone() {
  local pid=$1 seconds=$2 deadline
  deadline=$((SECONDS + seconds))
  while pid_alive "$pid"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

# SIGTERM, then SIGKILL if the process does not end within 30 s.
kill_pid() {
  local pid=$1 what=$2
  log "stopping $what (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  wait_pid_gone "$pid" 30 && return 0
  log "$what (pid $pid) ignored SIGTERM; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  wait_pid_gone "$pid" 10 || die "$what (pid $pid) is still alive after SIGKILL"
}

stop_daemon() {
  local name=$1 pid
  if pid=$(daemon_pid "$name"); then
    kill_pid "$pid" "$name"
  fi
}

# Daemons of ours whose pid file is lost (e.g. the state dir was deleted while they ran): found by
# pid through their command line, which names our ceph.conf. Never matched by process name alone.
# Stopped in the usual order: radosgw hangs on SIGTERM once the monitor is gone.
stop_orphans() {
  local wanted dir pid comm
  for wanted in radosgw ceph-osd ceph-mon; do
    for dir in /proc/[0-9]*; do
      pid=${dir#/proc/}
      { read -r comm <"$dir/comm"; } 2>/dev/null || continue # builtin read: no fork per process
      [[ $comm == "$wanted" ]] && pid_is_ours "$pid" && kill_pid "$pid" "orphan $comm"
    done
  done
  return 0
}

# ---------------------------------------------------------------------------------------------
# Health.

# True if something answers HTTP on the S3 port (bash /dev/tcp: no curl needed).
s3_answers() {
  # shellcheck disable=SC2016 # $1 is expanded by the inner bash
  timeout 5 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&3
    IFS= read -r line <&3 || exit 1
    [[ $line == HTTP/1.[01]\ * ]]
  ' s3-probe "$PORT" 2>/dev/null
}

healthy() {
  daemon_pid "mon.$MON_ID" >/dev/null &&
    daemon_pid "$(osd_name)" >/dev/null &&
    daemon_pid "$RGW_NAME" >/dev/null &&
    s3_answers
}

osd_name() {
  local id
  id=$(cat "$STATE_DIR/osd-id" 2>/dev/null) || id=0
  printf 'osd.%s\n' "$id"
}

# Runs <command...> every 0.2 s until it succeeds; dies with the tail of <log> after $TIMEOUT s.
wait_for() {
  local what=$1 logfile=$2 deadline
  shift 2
  deadline=$((SECONDS + TIMEOUT))
  # In a subshell: were a shell function's output redirected here in the main shell, a signal
  # trap running meanwhile would write its clean-up messages to /dev/null.
  until ("$@") >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die_with_log "$logfile" "timed out after ${TIMEOUT}s waiting for $what"
    sleep 0.2
  done
}

# ---------------------------------------------------------------------------------------------
# install

packages_installed() {
  local cmd
  for cmd in "${COMMANDS[@]}"; do
    command -v "$cmd" >/dev/null 2>&1 || return 1
  done
}

as_root() {
  if ((EUID == 0)); then
    "$@"
  else
    command -v sudo >/dev/null 2>&1 || die "must run as root (or have sudo) to install packages"
    sudo "$@"
  fi
}

cmd_install() {
  if packages_installed; then
    log "ceph packages already installed"
    return 0
  fi
  log "installing ${PACKAGES[*]} (about 35 s)"
  as_root apt-get update -qq >&2
  # DPkg::Lock::Timeout: wait for another apt/dpkg run instead of failing at once.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o DPkg::Lock::Timeout=300 "${PACKAGES[@]}" >&2
  packages_installed || die "packages installed but commands missing: ${COMMANDS[*]}"
}

# ---------------------------------------------------------------------------------------------
# start

# Ceph CLI with our config; bounded so that a missing monitor cannot hang us.
ceph_cli() {
  timeout 30 ceph -c "$CONF" --connect-timeout 20 "$@"
}

# A Ceph command retried until it succeeds, for up to 30 s; prints its output. A young monitor can
# still refuse a command with EPERM "problem getting command descriptions" after it has answered
# its first ones (seen in CI: `mon stat` answered, the `osd new` right after it was refused). Only
# for commands that are idempotent (`osd new <uuid>`, `osd crush add`).
ceph_cli_retry() {
  local deadline=$((SECONDS + 30)) out
  until out=$(ceph_cli "$@" 2>>"$LOG_DIR/ceph-cli.out"); do
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
  printf '%s\n' "$out"
}

write_conf() {
  local fsid=$1
  cat >"$CONF" <<EOF
[global]
fsid = $fsid
mon initial members = $MON_ID
mon host = v1:127.0.0.1:$MON_PORT
public addr = 127.0.0.1
cluster addr = 127.0.0.1
# No cephx: nothing here is reachable from outside the machine.
auth cluster required = none
auth service required = none
auth client required = none
# Keep every file inside the state dir (the defaults are /var/run/ceph, /var/log/ceph, /var/lib/ceph).
run dir = $RUN_DIR
pid file = $RUN_DIR/\$name.pid
log file = $LOG_DIR/\$name.log
mon cluster log file = $LOG_DIR/cluster.log
crash dir = $STATE_DIR/crash
keyring = $STATE_DIR/keyring
mon data = $STATE_DIR/mon/\$name
osd data = $STATE_DIR/osd/\$name
# One OSD: pools with one replica, CRUSH choosing among OSDs (type 0) rather than hosts.
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
# Fast start: the monitor commits map changes after 10 ms instead of 1 s (start ~2 s, not ~13 s).
paxos propose interval = 0.01
paxos min wait = 0.001

[mon]
admin socket = $RUN_DIR/\$name.asok

[osd]
admin socket = $RUN_DIR/\$name.asok
# Data in RAM, capacity 4 GiB.
osd objectstore = memstore
memstore device bytes = 4294967296
# Without these the OSD fails at boot in about 1 start in 5 ("wrong fsid"); we place it in CRUSH ourselves.
osd crush update on start = false
osd class update on start = false

[$RGW_NAME]
admin socket = $RUN_DIR/\$name.asok
# tcp_nodelay: without it every small answer (XML, a record) on a kept-alive connection waits for
# the client's delayed ACK: 44 ms instead of 2.6 ms for a 300-byte GET.
rgw frontends = beast endpoint=127.0.0.1:$PORT tcp_nodelay=1
rgw data = $STATE_DIR/rgw/\$name
# The lifecycle thread sleeps 5 s at a time and radosgw waits for it on SIGTERM (stop took 4-9 s).
rgw enable lc threads = false
# Free the data of deleted objects (tails of objects > 4 MiB, multipart parts) after ~10-20 s, not
# 2 h (default): it is RAM here. min wait keeps data a concurrent GET may still be streaming.
rgw gc obj min wait = 10
rgw gc processor period = 10
EOF
}

# Starts a daemon that forks into the background. Its stdio goes to a file and fd 9 (our lock) is
# closed: otherwise `eval "$(... start)"` would wait for the daemon to close stdout, and the lock
# would be held as long as the daemon lives.
launch() {
  local name=$1
  shift
  log "starting $name"
  timeout 60 "$@" -c "$CONF" </dev/null >>"$LOG_DIR/$name.out" 2>&1 9>&- ||
    die_with_log "$LOG_DIR/$name.log" "$name did not start"
  wait_for "$name pid file" "$LOG_DIR/$name.log" daemon_pid "$name"
}

start_mon() {
  local fsid=$1
  monmaptool --create --clobber --fsid "$fsid" --addv "$MON_ID" "[v1:127.0.0.1:$MON_PORT]" \
    "$STATE_DIR/monmap" >/dev/null
  ceph-mon -c "$CONF" -i "$MON_ID" --mkfs --monmap "$STATE_DIR/monmap" \
    >>"$LOG_DIR/mon.$MON_ID.out" 2>&1 ||
    die_with_log "$LOG_DIR/mon.$MON_ID.log" "ceph-mon --mkfs failed"
  launch "mon.$MON_ID" ceph-mon -i "$MON_ID"
  # Its pid file comes before it answers commands (it first elects itself leader): a command sent
  # meanwhile fails with EPERM "problem getting command descriptions".
  wait_for "mon.$MON_ID to answer" "$LOG_DIR/mon.$MON_ID.log" ceph_cli mon stat
}

osd_up() {
  ceph_cli osd stat -f json | grep -q '"num_up_osds":1[,}]'
}

start_osd() {
  local uuid id
  uuid=$(cat /proc/sys/kernel/random/uuid)
  id=$(ceph_cli_retry osd new "$uuid") || die_with_log "$LOG_DIR/mon.$MON_ID.log" "ceph osd new failed"
  printf '%s\n' "$id" >"$STATE_DIR/osd-id"
  mkdir -p "$STATE_DIR/osd/osd.$id"
  ceph-osd -c "$CONF" -i "$id" --mkfs --osd-uuid "$uuid" >>"$LOG_DIR/osd.$id.out" 2>&1 ||
    die_with_log "$LOG_DIR/osd.$id.log" "ceph-osd --mkfs failed"
  # Subshell: see wait_for (a redirected function call would swallow a signal trap's messages).
  (ceph_cli_retry osd crush add "osd.$id" 1.0 root=default host=localhost) >>"$LOG_DIR/ceph-cli.out" 2>&1 ||
    die_with_log "$LOG_DIR/mon.$MON_ID.log" "ceph osd crush add failed"
  launch "osd.$id" ceph-osd -i "$id"
  wait_for "osd.$id to be up" "$LOG_DIR/osd.$id.log" osd_up
}

start_rgw() {
  launch "$RGW_NAME" radosgw -n "$RGW_NAME"
  wait_for "radosgw to answer on port $PORT" "$LOG_DIR/$RGW_NAME.log" s3_answers
}

create_user() {
  log "creating S3 user $S3_UID"
  timeout 60 radosgw-admin -c "$CONF" user create --uid="$S3_UID" --display-name="strata tests" \
    --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" >/dev/null 2>>"$LOG_DIR/radosgw-admin.err" ||
    die_with_log "$LOG_DIR/radosgw-admin.err" "radosgw-admin user create failed"
}

check_ports_free() {
  local port
  for port in "$MON_PORT" "$PORT"; do
    # shellcheck disable=SC2016 # $1 is expanded by the inner bash
    if timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' port-probe "$port" 2>/dev/null; then
      die "port $port on 127.0.0.1 is already in use (another Ceph or S3 server?)"
    fi
  done
}

# On a failed start, stop whatever was started (by pid) and remove the state dir.
START_DONE=0
on_start_exit() {
  ((START_DONE)) && return 0
  log "start failed; cleaning up"
  stop_all || true
}

cmd_start() {
  take_lock
  if healthy; then
    log "already running on port $PORT"
    print_env
    return 0
  fi
  cmd_install
  stop_all # whatever a previous, broken run left behind
  check_ports_free
  trap on_start_exit EXIT
  trap 'exit 130' INT TERM HUP

  local t0=${EPOCHREALTIME/./} fsid
  fsid=$(cat /proc/sys/kernel/random/uuid)
  mkdir -p "$RUN_DIR" "$LOG_DIR" "$STATE_DIR/mon" "$STATE_DIR/osd" "$STATE_DIR/rgw" "$STATE_DIR/crash"
  : >"$STATE_DIR/keyring"
  write_conf "$fsid"
  start_mon "$fsid"
  start_osd
  start_rgw
  create_user
  START_DONE=1
  log "S3 server ready on http://127.0.0.1:$PORT (started in $(((${EPOCHREALTIME/./} - t0) / 1000)) ms; state in $STATE_DIR)"
  print_env
}

# ---------------------------------------------------------------------------------------------
# stop

stop_all() {
  local name file
  if [[ -d $RUN_DIR ]]; then
    stop_daemon "$RGW_NAME"
    for file in "$RUN_DIR"/osd.*.pid; do
      [[ -e $file ]] || continue
      name=${file##*/}
      stop_daemon "${name%.pid}"
    done
    stop_daemon "mon.$MON_ID"
  fi
  stop_orphans
  rm -rf "$STATE_DIR"
}

cmd_stop() {
  take_lock
  stop_all
  log "stopped"
}

# ---------------------------------------------------------------------------------------------
# gateway-stop / gateway-start: an S3 outage without losing the data (it lives in the OSD).

cmd_gateway_stop() {
  take_lock
  local pid
  if pid=$(daemon_pid "$RGW_NAME"); then
    kill_pid "$pid" "$RGW_NAME"
    log "gateway stopped (monitor and OSD keep running; state in $STATE_DIR)"
  else
    log "gateway is not running"
  fi
}

cmd_gateway_start() {
  take_lock
  if ! daemon_pid "mon.$MON_ID" >/dev/null || ! daemon_pid "$(osd_name)" >/dev/null; then
    die "no running cluster in $STATE_DIR (monitor or OSD down): use start"
  fi
  if daemon_pid "$RGW_NAME" >/dev/null; then
    wait_for "radosgw to answer on port $PORT" "$LOG_DIR/$RGW_NAME.log" s3_answers
    log "gateway already running on port $PORT"
    return 0
  fi
  local t0=${EPOCHREALTIME/./}
  start_rgw
  log "gateway answers on http://127.0.0.1:$PORT (started in $(((${EPOCHREALTIME/./} - t0) / 1000)) ms)"
}

cmd_status() {
  if healthy; then
    log "running: http://127.0.0.1:$PORT (state in $STATE_DIR)"
    return 0
  fi
  log "not running"
  return 1
}

main() {
  case ${1:-} in
    install) cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env) print_env ;;
    gateway-stop) cmd_gateway_stop ;;
    gateway-start) cmd_gateway_start ;;
    *)
      log "usage: $0 install|start|stop|status|env|gateway-stop|gateway-start"
      exit 2
      ;;
  esac
}

main "$@"
