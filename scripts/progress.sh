# A one-line progress bar for long stages of the scripts (sourced; the shell twin of model/include/bitgrid/progress.h,
# which the C++ tools use): on stderr, only when stderr is a terminal and BITGRID_QUIET is not 1, redrawn twice a
# second and cleared when the stage ends, so logs and pipes see none of it.
#
#   progress_begin WHAT [SECONDS]   start the bar for a stage expected to take about SECONDS (empty: unknown; the
#                                   line then shows the time elapsed only); ends the previous bar first
#   progress_end                    stop and clear it (call it on exit too: trap progress_end EXIT)
#
# The time left is an estimate: the bar stops at 99% and says so when the stage runs over it.

BG_PROGRESS_PID=""

progress_on() { [ "${BITGRID_QUIET:-0}" != 1 ] && [ -t 2 ]; }

progress_begin() {
  progress_end
  progress_on || return 0
  local what="$1" est="${2:-}" t0="$SECONDS"
  (
    trap 'exit 0' TERM
    while :; do
      awk -v w="$what" -v e="$est" -v el="$((SECONDS - t0))" '
        function clk(s) { s = int(s + 0.5); return s >= 3600 ? sprintf("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : sprintf("%d:%02d", s / 60, s % 60) }
        BEGIN {
          W = 24; f = 0
          if (e > 0) {
            f = el / e; if (f > 0.99) f = 0.99
            left = el < e ? "~" clk(e - el) " left" : "over the ~" clk(e) " estimate"
          } else left = "no estimate yet"
          bar = ""; for (i = 0; i < W; i++) bar = bar (i < int(f * W) ? "#" : ".")
          printf "\r%s [%s] %s elapsed, %s\033[K", w, bar, clk(el), left > "/dev/stderr"
        }'
      sleep 0.5
    done
  ) &
  BG_PROGRESS_PID=$!
}

progress_end() {
  [ -n "$BG_PROGRESS_PID" ] || return 0
  kill "$BG_PROGRESS_PID" 2> /dev/null || true
  wait "$BG_PROGRESS_PID" 2> /dev/null || true
  BG_PROGRESS_PID=""
  printf '\r\033[K' >&2
}
