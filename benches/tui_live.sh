#!/usr/bin/env bash
# The workstation as a process: time to first frame, CPU used over 10 s idle, resident
# memory idle. Runs the release binary in tmux at 80x24 (`cargo build --release` first).
#   bash benches/tui_live.sh            # waiting for a real phone (none plugged in)
#   bash benches/tui_live.sh --demo     # the demo: simulated phone connected and identified
# First frame: from starting tmux until the rail is on screen, polled every 2 ms (so it
# includes tmux starting the process and one poll). CPU: utime+stime of the process (and its
# threads) from /proc/PID/stat, over 10 s with no key pressed. Memory: VmRSS then.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=target/release/mtkbench
[ -x "$BIN" ] || { echo "build it first: cargo build --release"; exit 2; }
WORK="$(mktemp -d)"; SOCK="mtkbench-bench-$$"; T="tmux -L $SOCK"
trap '$T kill-server >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
export MTKBENCH_CONFIG_DIR="$WORK/c" MTKBENCH_DATA_DIR="$WORK/d" MTKBENCH_CACHE_DIR="$WORK/k"
export MTKBENCH_LOG_DIR="$WORK/l"

start=$(date +%s%N)
$T new-session -d -s b -x 80 -y 24 "exec $BIN $*"
until $T capture-pane -p -t b | grep -q "Steps"; do sleep 0.002; done
end=$(date +%s%N)
echo "first frame: $(( (end - start) / 1000000 )) ms (tmux start included)"
if [ "${1:-}" = "--demo" ]; then
  until $T capture-pane -p -t b | grep -q "Connected on"; do sleep 0.05; done
fi
sleep 1
PID=$($T list-panes -t b -F '#{pane_pid}')
ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
hz=$(getconf CLK_TCK)
a=$(ticks); sleep 10; b=$(ticks)
echo "CPU over 10 s idle: $((b - a)) ticks of 1/$hz s"
echo "resident memory idle: $(awk '/VmRSS/ {print $2, $3}' "/proc/$PID/status")"
$T send-keys -t b q
