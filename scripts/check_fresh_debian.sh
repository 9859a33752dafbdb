#!/usr/bin/env bash
# Checks the README's promise: on a fresh Debian 12 machine, `make demo` and `make test` do all set-up
# themselves. Builds a `debootstrap --variant=minbase bookworm` root, adds only git, make and
# ca-certificates, clones a revision of this repository into it (ROOT/src) and runs, as root in a chroot,
# `make demo` and then `make test`, unattended. Prints the wall time of each step and a summary table
# (also written to LOGDIR/summary.txt); exits non-zero when any step fails, after printing the last lines
# of that step's log. Run `scripts/check_fresh_debian.sh --help` for the options.
#
# Safety: everything runs in a private mount namespace (unshare), so no mount can outlive the script;
# the mounts (/proc, /sys, /dev, /dev/pts, /dev/shm) are also unmounted explicitly on exit, Ctrl-C or
# failure. Only a root directory this script created (or found empty) is ever removed, never while
# anything is still mounted below it, and with rm --one-file-system.
set -euo pipefail

PROG="$(basename "$0")"
SELF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/$(basename "${BASH_SOURCE[0]}")"
ORIG_ARGS=("$@")

usage() {
  cat <<EOF
Usage: $PROG [OPTIONS]

Builds a fresh Debian 12 root (debootstrap --variant=minbase bookworm, plus git, make, ca-certificates
only), clones a revision of this repository into it and runs \`make demo\` then \`make test\` there as
root in a chroot. Must run as root on a Debian/Ubuntu host (installs debootstrap with apt-get if missing).

Options:
  --root DIR             where the root goes (must not exist or be empty; default: a new
                         \${TMPDIR:-/tmp}/bitgrid-fresh-debian.XXXXXX)
  --keep                 keep the root afterwards (unmounted); by default it is removed
  --rev REV              git revision to test (default: HEAD of the repository this script is in)
  --only demo|test       run only \`make demo\` or only \`make test\` (default: both, demo first)
  --mirror URL           Debian mirror (default: http://deb.debian.org/debian)
  --include-uncommitted  lay the work tree's state over the clone: the tracked differences between
                         the work tree and REV (git diff REV) and the untracked, not ignored files are
                         applied to the clone and committed there as one commit (the repository itself
                         is only read). With --rev HEAD (default) that is the uncommitted changes.
  --path PATHSPEC        with --include-uncommitted: take only PATHSPEC from the work tree (relative to
                         the repository top; repeatable; implies --include-uncommitted), e.g. test
                         your own changed files while the rest of the work tree is mid-refactoring
  --cache-dir DIR        where the pristine root tarball is cached
                         (default: \${BITGRID_CHECK_CACHE:-/var/cache/bitgrid/fresh-debian})
  --no-cache             always debootstrap; neither read nor write the cache
  --refresh-cache        debootstrap anew and replace the cached tarball
  --log-dir DIR          where the logs go (default: a new \${TMPDIR:-/tmp}/bitgrid-fresh-debian-logs/DATE-PID)
  -h, --help             this text

Pristine root cache: the first run caches the root as debootstrap left it (before anything is installed,
mounted or cloned) as CACHE_DIR/bookworm-minbase-ARCH-MIRRORHASH.tar.gz; later runs unpack it into a new,
empty root instead of downloading again, so every run still starts from the same pristine root.

Example (the committed HEAD plus this work tree's versions of the set-up files):
  sudo $PROG --include-uncommitted --path scripts/setup.sh --path Makefile --path scripts/$PROG
EOF
}

die() { echo "$PROG: error: $*" >&2; exit 2; }

# --- options ---------------------------------------------------------------------------------------------
ROOT_ARG=""
KEEP=0
REV=HEAD
ONLY=both
MIRROR=http://deb.debian.org/debian
SUITE=bookworm
CACHE_DIR="${BITGRID_CHECK_CACHE:-/var/cache/bitgrid/fresh-debian}"
USE_CACHE=1
REFRESH_CACHE=0
LOG_DIR=""
INCLUDE_UNCOMMITTED=0
UNCOMMITTED_PATHS=()

need_arg() { [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value (see --help)"; }
while [ $# -gt 0 ]; do
  opt="$1"
  case "$opt" in
    --*=*) set -- "${opt%%=*}" "${opt#*=}" "${@:2}"; continue ;;
  esac
  case "$opt" in
    -h|--help) usage; exit 0 ;;
    --root) need_arg "$@"; ROOT_ARG="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --rev) need_arg "$@"; REV="$2"; shift 2 ;;
    --only) need_arg "$@"; ONLY="$2"; shift 2
            case "$ONLY" in demo|test) ;; *) die "--only takes demo or test, not '$ONLY'" ;; esac ;;
    --mirror) need_arg "$@"; MIRROR="${2%/}"; shift 2 ;;
    --include-uncommitted) INCLUDE_UNCOMMITTED=1; shift ;;
    --path) need_arg "$@"; INCLUDE_UNCOMMITTED=1; UNCOMMITTED_PATHS+=("$2"); shift 2 ;;
    --cache-dir) need_arg "$@"; CACHE_DIR="$2"; shift 2 ;;
    --no-cache) USE_CACHE=0; shift ;;
    --refresh-cache) REFRESH_CACHE=1; shift ;;
    --log-dir) need_arg "$@"; LOG_DIR="$2"; shift 2 ;;
    *) die "unknown option '$opt' (see --help)" ;;
  esac
done

[ "$(id -u)" -eq 0 ] || { echo "$PROG: error: must run as root (it runs debootstrap, mount and chroot); try: sudo $0 ${ORIG_ARGS[*]}" >&2; exit 2; }
for tool in git unshare chroot mount umount tar gzip sha256sum; do
  command -v "$tool" >/dev/null || die "'$tool' not found on the host"
done

# Re-run in a private mount namespace: every mount below dies with the script, whatever happens.
MNT_NS="$(readlink /proc/self/ns/mnt)"
if [ "${BITGRID_CHECK_PARENT_NS:-}" != "$MNT_NS" ] && [ -n "${BITGRID_CHECK_PARENT_NS:-}" ]; then
  unset BITGRID_CHECK_PARENT_NS   # we are the re-run, in a namespace of our own
else
  export BITGRID_CHECK_PARENT_NS="$MNT_NS"
  exec unshare --mount --propagation private -- bash "$SELF" "${ORIG_ARGS[@]}"
fi

# --- the repository and the revision ---------------------------------------------------------------------
REPO="$(git -C "$(dirname "$SELF")" rev-parse --show-toplevel 2>/dev/null)" || die "$SELF is not inside a git work tree"
git_repo() { git -c safe.directory="$REPO" -C "$REPO" "$@"; }
SHA="$(git_repo rev-parse --verify --quiet "$REV^{commit}")" || die "--rev $REV: not a commit of $REPO"
ARCH="$(dpkg --print-architecture 2>/dev/null || echo amd64)"

# --- logs and the summary --------------------------------------------------------------------------------
if [ -z "$LOG_DIR" ]; then
  LOG_DIR="${TMPDIR:-/tmp}/bitgrid-fresh-debian-logs/$(date +%Y%m%d-%H%M%S)-$$"
fi
mkdir -p "$LOG_DIR"
LOG_DIR="$(cd "$LOG_DIR" && pwd -P)"
MAIN_LOG="$LOG_DIR/check.log"
say() { printf '%s\n' "$*" | tee -a "$MAIN_LOG"; }

STEP_NAMES=(); STEP_STATUS=(); STEP_SECS=(); STEP_LOGS=()
NOTES=()
T_START=$(date +%s)
fmt_secs() { local s=$1; printf '%dm%02ds (%ds)' $((s / 60)) $((s % 60)) "$s"; }
add_row() { STEP_NAMES+=("$1"); STEP_STATUS+=("$2"); STEP_SECS+=("$3"); STEP_LOGS+=("$4"); }

# --- state the clean-up needs ----------------------------------------------------------------------------
ROOT=""              # canonical path of the root, once it exists
ROOT_CREATED=0       # 1: we created the directory (remove it); 2: it existed empty (remove its contents)
MOUNTS=()            # what we mounted, in order
STEP_PID=""          # the running step (a background subshell)
STEP_NAME=""; STEP_T0=0
CLEANED=0

# Every process below pid $1 (one pass over /proc; a snapshot).
descendants() {
  local f line rest pid ppid p c
  local -A kids=()
  for f in /proc/[0-9]*/stat; do
    { read -r line < "$f"; } 2>/dev/null || continue
    pid="${line%% *}"
    rest="${line##*) }"                    # after the command name: "STATE PPID ..."
    read -r _ ppid _ <<< "$rest"
    kids[$ppid]+=" $pid"
  done
  local queue=("$1")
  while [ ${#queue[@]} -gt 0 ]; do
    p="${queue[0]}"; queue=("${queue[@]:1}")
    for c in ${kids[$p]:-}; do echo "$c"; queue+=("$c"); done
  done
}

# Every process whose root directory is our chroot.
chroot_pids() {
  local p r
  [ -n "$ROOT" ] || return 0
  for p in /proc/[0-9]*; do
    r="$(readlink "$p/root" 2>/dev/null)" || continue
    if [ "$r" = "$ROOT" ] || [[ "$r" == "$ROOT/"* ]]; then echo "${p#/proc/}"; fi
  done
}

# TERM, then KILL after a grace period, the given pids (all started by this script).
end_pids() {
  local pids=("$@") p alive i
  [ ${#pids[@]} -gt 0 ] || return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  for i in $(seq 1 20); do
    alive=()
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive+=("$p"); done
    [ ${#alive[@]} -gt 0 ] || return 0
    sleep 0.5
  done
  kill -KILL "${alive[@]}" 2>/dev/null || true
}

# Is $1 a mount point in this mount namespace?
is_mounted() {
  awk -v m="$1" '{ p = $5; gsub(/\\040/, " ", p); if (p == m) f = 1 } END { exit !f }' /proc/self/mountinfo
}

# Mount points below $1 in this mount namespace.
mounts_below() {
  awk -v r="$1" '{ p = $5; gsub(/\\040/, " ", p); if (index(p, r "/") == 1) print p }' /proc/self/mountinfo
}

unmount_all() {
  local i m
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
    m="${MOUNTS[$i]}"
    for _ in 1 2 3 4 5; do
      is_mounted "$m" || break
      umount -R "$m" 2>/dev/null && break
      sleep 1
    done
    if is_mounted "$m"; then
      echo "$PROG: warning: $m busy; detaching it (umount -l)" >&2
      umount -l "$m" || true
    fi
  done
  MOUNTS=()
}

print_summary() {
  local i rc="$1" total=$(( $(date +%s) - T_START ))
  {
    echo
    echo "== bitgrid fresh Debian 12 check: $( [ "$rc" -eq 0 ] && echo PASSED || echo "FAILED (exit $rc)" ) =="
    echo "revision : $SHA ($(git_repo log -1 --format=%s "$SHA" | cut -c1-70))"
    [ "$INCLUDE_UNCOMMITTED" -eq 1 ] && echo "plus     : the work tree's state of: ${UNCOMMITTED_PATHS[*]:-all paths}"
    echo "command  : $SELF ${ORIG_ARGS[*]}"
    echo "host     : $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), mirror $MIRROR"
    printf '%-50s %-8s %s\n' "step" "status" "wall time"
    for i in "${!STEP_NAMES[@]}"; do
      printf '%-50s %-8s %s\n' "${STEP_NAMES[$i]}" "${STEP_STATUS[$i]}" \
        "$( [ -n "${STEP_SECS[$i]}" ] && fmt_secs "${STEP_SECS[$i]}" )"
    done
    printf '%-50s %-8s %s\n' "total" "" "$(fmt_secs "$total")"
    for i in "${!NOTES[@]}"; do echo "note: ${NOTES[$i]}"; done
    echo "logs     : $LOG_DIR"
  } | tee -a "$MAIN_LOG" "$LOG_DIR/summary.txt"
}

cleanup() {
  local rc=$?
  [ "$CLEANED" -eq 0 ] || return 0
  CLEANED=1
  local tc; tc=$(date +%s)
  trap - EXIT INT TERM HUP
  set +eu
  if [ -n "$STEP_PID" ] && kill -0 "$STEP_PID" 2>/dev/null; then
    say "stopping the running step (pid $STEP_PID) ..."
    local tree=()
    mapfile -t tree < <(descendants "$STEP_PID")
    end_pids "$STEP_PID" "${tree[@]}"
    add_row "$STEP_NAME" STOPPED "$(( $(date +%s) - STEP_T0 ))" ""
  fi
  local inroot=()
  mapfile -t inroot < <(chroot_pids)
  end_pids "${inroot[@]}"
  [ ${#MOUNTS[@]} -eq 0 ] || say "unmounting ${MOUNTS[*]}"
  unmount_all
  if [ -n "$ROOT" ]; then
    local left m
    # Anything else mounted below the root was mounted by this script's children (the namespace is
    # private and the root did not exist, or was empty, when it was made), e.g. debootstrap's own /proc
    # when it was interrupted: deepest first.
    while IFS= read -r m; do
      [ -n "$m" ] || continue
      umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
    done <<< "$(mounts_below "$ROOT" | sort -r)"
    left="$(mounts_below "$ROOT")"
    if [ -n "$left" ]; then
      say "$PROG: error: still mounted below $ROOT, NOT removing it:"; say "$left"
      [ "$rc" -ne 0 ] || rc=1
    elif [ "$KEEP" -eq 1 ]; then
      NOTES+=("root kept (unmounted) at $ROOT")
    elif [ "$ROOT_CREATED" -eq 1 ]; then
      say "removing $ROOT"
      rm -rf --one-file-system -- "$ROOT"
    elif [ "$ROOT_CREATED" -eq 2 ]; then
      say "emptying $ROOT"
      find "$ROOT" -mindepth 1 -maxdepth 1 -exec rm -rf --one-file-system -- {} +
    fi
  fi
  [ -z "$CACHE_TAR" ] || rm -f -- "$CACHE_TAR.tmp.$$"   # a cache tarball this run did not finish
  [ -z "$ROOT" ] || add_row "clean-up (stop, unmount, remove the root)" "$( [ -z "${left:-}" ] && echo ok || echo FAILED)" "$(( $(date +%s) - tc ))" ""
  print_summary "$rc"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# Runs one step: "$@" in a background subshell with errexit on, output to its log; times it; on failure
# prints the log's last lines and exits. (Background + wait, so a signal to this script acts at once.)
STEP_NO=0
run_step() {
  local name="$1" slug="$2"; shift 2
  local log rc=0 t0 secs
  STEP_NO=$((STEP_NO + 1))
  log="$LOG_DIR/$(printf '%02d' "$STEP_NO")-$slug.log"
  say "==> $name  (log: $log)"
  t0=$(date +%s); STEP_NAME="$name"; STEP_T0=$t0
  ( trap - EXIT INT TERM HUP; set -euo pipefail; "$@" ) </dev/null >"$log" 2>&1 &
  STEP_PID=$!
  wait "$STEP_PID" || rc=$?
  STEP_PID=""
  secs=$(( $(date +%s) - t0 ))
  if [ "$rc" -ne 0 ]; then
    add_row "$name" FAILED "$secs" "$log"
    say "    FAILED (exit $rc) after $(fmt_secs "$secs"); last lines of $log:"
    tail -n 40 "$log" | sed 's/^/    | /' | tee -a "$MAIN_LOG"
    exit 1
  fi
  add_row "$name" ok "$secs" "$log"
  say "    ok in $(fmt_secs "$secs")"
  LAST_LOG="$log"
}

# --- the chroot ------------------------------------------------------------------------------------------
CHROOT_ENV=(DEBIAN_FRONTEND=noninteractive "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
            HOME=/root LANG=C.UTF-8 SHELL=/bin/bash USER=root LOGNAME=root)
in_chroot() { chroot "$ROOT" /usr/bin/env -i "${CHROOT_ENV[@]}" /bin/bash -c "$1"; }

mount_chroot() {
  mount -t proc proc "$ROOT/proc";      MOUNTS+=("$ROOT/proc")
  mount -t sysfs sysfs "$ROOT/sys";     MOUNTS+=("$ROOT/sys")
  # a booted Debian machine has its cgroup file system mounted (systemd does it); Slurm's slurmd needs it
  if [ -d /sys/fs/cgroup ] && [ -d "$ROOT/sys/fs/cgroup" ] && is_mounted /sys/fs/cgroup; then
    mount --rbind /sys/fs/cgroup "$ROOT/sys/fs/cgroup"; MOUNTS+=("$ROOT/sys/fs/cgroup")
  fi
  mount --bind /dev "$ROOT/dev";        MOUNTS+=("$ROOT/dev")
  mount --bind /dev/pts "$ROOT/dev/pts"; MOUNTS+=("$ROOT/dev/pts")
  if [ -d "$ROOT/dev/shm" ]; then
    mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$ROOT/dev/shm"; MOUNTS+=("$ROOT/dev/shm")
  fi
}

# --- steps -----------------------------------------------------------------------------------------------
install_debootstrap() {
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap
}

CACHE_TAR="$CACHE_DIR/$SUITE-minbase-$ARCH-$(printf '%s' "$MIRROR" | sha256sum | cut -c1-12).tar.gz"
make_root() {  # $1: cache | fresh
  if [ "$1" = cache ]; then
    echo "unpacking the cached pristine root $CACHE_TAR"
    tar --numeric-owner --xattrs --xattrs-include='*' -xpzf "$CACHE_TAR" -C "$ROOT"
    chmod 755 "$ROOT"
    return
  fi
  debootstrap --variant=minbase "$SUITE" "$ROOT" "$MIRROR"
}
cache_root() {  # the root as debootstrap left it -> CACHE_TAR (atomically)
  echo "caching the pristine root as $CACHE_TAR"
  mkdir -p "$CACHE_DIR"
  tar --numeric-owner --xattrs --xattrs-include='*' -cpzf "$CACHE_TAR.tmp.$$" -C "$ROOT" .
  mv -f "$CACHE_TAR.tmp.$$" "$CACHE_TAR"
}

base_packages() {
  in_chroot 'apt-get update -q && apt-get install -y -q --no-install-recommends git make ca-certificates'
}

clone_revision() {
  git -c safe.directory="$REPO" clone --no-checkout --no-hardlinks -- "$REPO" "$ROOT/src"
  local g=(git -C "$ROOT/src")
  "${g[@]}" cat-file -e "$SHA^{commit}" 2>/dev/null || "${g[@]}" fetch origin "$SHA"
  "${g[@]}" checkout --detach "$SHA"
  if [ "$INCLUDE_UNCOMMITTED" -eq 1 ]; then
    local patch="$LOG_DIR/uncommitted.patch" f paths=("${UNCOMMITTED_PATHS[@]}")
    [ ${#paths[@]} -gt 0 ] || paths=(.)
    # Tracked differences work tree vs REV, then untracked files not ignored (git diff --no-index per file). Only
    # reads the repository: no index, object or work-tree change there.
    git_repo diff --binary "$SHA" -- "${paths[@]}" > "$patch"
    git_repo ls-files -z --others --exclude-standard -- "${paths[@]}" | while IFS= read -r -d '' f; do
      git_repo diff --binary --no-index -- /dev/null "$f" || [ $? -eq 1 ]
    done >> "$patch"
    if [ -s "$patch" ]; then
      echo "applying uncommitted changes ($patch):"
      "${g[@]}" apply --index --binary --stat --apply "$patch"
      "${g[@]}" -c user.name="check_fresh_debian" -c user.email="check_fresh_debian@localhost" \
        commit -q -m "uncommitted work-tree changes (scripts/check_fresh_debian.sh --include-uncommitted)"
    else
      echo "no uncommitted changes under: ${paths[*]}"
    fi
  fi
  "${g[@]}" log -2 --format='%h %s'
  "${g[@]}" status --short
}

# --- main ------------------------------------------------------------------------------------------------
say "bitgrid fresh Debian 12 check of $SHA; logs in $LOG_DIR"

if command -v debootstrap >/dev/null; then
  add_row "host: install debootstrap" "present" "" ""
else
  run_step "host: install debootstrap" host-debootstrap install_debootstrap
fi

# The root: a new directory (or an empty one the user named).
if [ -n "$ROOT_ARG" ]; then
  if [ -e "$ROOT_ARG" ]; then
    [ -d "$ROOT_ARG" ] && [ -z "$(ls -A "$ROOT_ARG")" ] || die "--root $ROOT_ARG exists and is not an empty directory"
    ROOT_CREATED=2
  else
    mkdir -p "$ROOT_ARG"; ROOT_CREATED=1
  fi
  ROOT="$(cd "$ROOT_ARG" && pwd -P)"
else
  mkdir -p "${TMPDIR:-/tmp}"
  ROOT="$(mktemp -d "${TMPDIR:-/tmp}/bitgrid-fresh-debian.XXXXXX")"; ROOT_CREATED=1
  ROOT="$(cd "$ROOT" && pwd -P)"
fi
[ "$ROOT" != / ] || die "refusing to use / as the root"
chmod 755 "$ROOT"   # a system root (mktemp -d makes 0700, and then user _apt could not reach /var/lib/apt)
say "root: $ROOT"

if [ "$USE_CACHE" -eq 1 ]; then
  mkdir -p "$CACHE_DIR"
  exec 8>"$CACHE_DIR/.lock"
  flock 8   # one writer/reader of the cache at a time
fi
if [ "$USE_CACHE" -eq 1 ] && [ "$REFRESH_CACHE" -eq 0 ] && [ -s "$CACHE_TAR" ]; then
  run_step "unpack cached pristine minbase root" root make_root cache
  NOTES+=("root from cache $CACHE_TAR ($(date -r "$CACHE_TAR" '+%F %R'); --refresh-cache to renew)")
else
  run_step "debootstrap --variant=minbase $SUITE" debootstrap make_root fresh
  [ "$USE_CACHE" -eq 0 ] || run_step "cache the pristine root" cache-root cache_root
fi
[ "$USE_CACHE" -eq 0 ] || exec 8>&-

cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
# No service may start inside the chroot (the usual policy-rc.d of chroot builders).
printf '#!/bin/sh\nexit 101\n' > "$ROOT/usr/sbin/policy-rc.d"; chmod 755 "$ROOT/usr/sbin/policy-rc.d"
mount_chroot

run_step "chroot: apt-get install git make ca-certificates" base-packages base_packages
run_step "clone $(git_repo rev-parse --short "$SHA")$( [ "$INCLUDE_UNCOMMITTED" -eq 1 ] && echo ' + work tree')" \
  clone clone_revision

setup_row() {  # the package install that setup.sh did inside the step whose log is $1
  local line
  line="$(grep -aE '^bitgrid setup: installed [0-9]+ packages in [0-9]+ s' "$1" | tail -1)" || return 0
  add_row "  of which setup.sh: $(echo "$line" | awk '{print $4}') packages" ok "$(echo "$line" | awk '{print $(NF-1)}')" "$1"
}
if [ "$ONLY" != test ]; then
  run_step "make demo" make-demo in_chroot 'cd /src && make demo'
  setup_row "$LAST_LOG"
fi
if [ "$ONLY" != demo ]; then
  run_step "make test" make-test in_chroot 'cd /src && make test'
  setup_row "$LAST_LOG"
fi
exit 0
