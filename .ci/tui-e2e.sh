#!/usr/bin/env bash
# End-to-end test of the workstation as a person uses it: the real binary in tmux at 80x24,
# `mtkbench --demo` (the built-in simulated phone), keys sent one by one, the screen captured
# and checked at each step. Every capture is printed, so a CI log shows what the technician saw.
# Needs tmux (installed with apt-get when missing) and a built target/debug/mtkbench.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v tmux >/dev/null 2>&1; then
  echo "== installing tmux"
  if command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && apt-get install -y -qq tmux) >/dev/null
  fi
  command -v tmux >/dev/null 2>&1 || { echo "tmux is missing and could not be installed"; exit 1; }
fi

BIN="${MTKBENCH_BIN:-target/debug/mtkbench}"
[ -x "$BIN" ] || cargo build --locked --quiet
WORK="$(mktemp -d)"
SOCK="mtkbench-e2e-$$"
T="tmux -L $SOCK"
cleanup() { $T kill-server >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT

export MTKBENCH_CONFIG_DIR="$WORK/config" MTKBENCH_DATA_DIR="$WORK/data"
export MTKBENCH_CACHE_DIR="$WORK/cache" MTKBENCH_LOG_DIR="$WORK/logs"
PASSED=0

screen() { $T capture-pane -p -t e2e; }

# expect NAME TEXT...: waits (20 s at most) until every TEXT is on screen, prints the screen.
expect() {
  local name="$1"; shift
  local deadline=$((SECONDS + 20)) shot missing
  while :; do
    shot="$(screen)"
    missing=""
    for want in "$@"; do
      grep -qF -- "$want" <<<"$shot" || missing="$want"
    done
    [ -z "$missing" ] && break
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "---- $name: FAILED, '$missing' is not on screen:"
      echo "$shot"
      echo "---- log:"; tail -n 30 "$WORK/logs/mtkbench.log" 2>/dev/null || true
      exit 1
    fi
    sleep 0.2
  done
  PASSED=$((PASSED + 1))
  echo "---- $name"
  echo "$shot"
}

keys() { $T send-keys -t e2e "$@"; sleep 0.3; }

$T new-session -d -s e2e -x 80 -y 24 \
  "env NO_COLOR=1 $BIN --demo; echo \"mtkbench exited with \$?\"; sleep 60"

expect "armed at start; the simulated phone identified, its board ranked" \
  "mtkbench DEMO" "2 Identify" "MT6572" "a516_row" "100%" "Enter choose board"
keys m
expect "typing a PCB marking" "PCB marking" "> _"
keys -l "A516-MB"; keys Enter
expect "marking typed, the boards ranked again" "PCB marking: A516-MB"
keys Enter
expect "board chosen: the library ranked for this phone, the fitting ROM first" \
  "3 ROM" "> fits" "fits" "REFUSED" "white screen"
keys Enter
expect "ROM details: why it fits" "Enter chooses this ROM" "for this phone" "display works"
keys Enter
expect "ROM chosen, the phone still connected; the Flash step with the modes" \
  "5 Flash" "ROM chosen: fits" "Download Only" "Format All + Download" "Enter start repair"
keys Enter
expect "the identity backed up in the same connection; the plan, with what is written and erased" \
  "Write this plan to the phone?" "Erased: nothing." "protected" "y yes"
keys y
expect "flashed and verified" "6 Verify" "written partitions read back equal" "verified" "Repaired:"
keys 4
expect "the backup the repair took: read twice, stored with SHA-256" \
  "4 Backup" "Identity backed up in this same connection" "NVRAM" "SHA-256"
keys 7
expect "the report" "7 Report" "Repaired: flashed and verified" "Download Only"
keys d x
keys -l "3012"; keys Enter
expect "Diagnose: an error explained" "Explain 3012" "S_DA_NAND_FLASH_NOT_FOUND"
keys '?'
expect "help generated from the keymap" "Keys" "open log" "Esc close"
keys Escape
keys q
expect "quit: terminal restored, exit 0" "mtkbench exited with 0"

# One connection from identify to reboot: the demo phone logs every host that opens its port.
opened="$(grep -c "HostConnected" "$WORK/logs/mtkbench.log" || true)"
if [ "$opened" != "1" ]; then
  echo "---- one connection: FAILED, the demo phone's port was opened $opened times:"
  grep "demo phone link" "$WORK/logs/mtkbench.log" || true
  exit 1
fi
PASSED=$((PASSED + 1))
echo "---- one connection from identify to reboot: the phone's port was opened once"

echo "tui e2e: $PASSED passed, 0 failed"
