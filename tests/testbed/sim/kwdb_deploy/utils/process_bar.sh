#!/usr/bin/env bash
# Progress bar fed through file descriptor 10 with "stage#words:percent" lines ("pause" clears the line).
# Unlike the vendor's loop it polls the pipe with a timeout, so it ends when the deploy script exits early.

function process_bar() {
  local main_pid=$1 line stage percent bar
  while kill -0 $main_pid 2>/dev/null;do
    read -t 1 -u 10 line || continue
    if [ "$line" = "pause" ];then
      format_print
      continue
    fi
    stage=${line%%:*}
    percent=${line##*:}
    bar=$(printf "%$((percent / 2))s" "" | tr ' ' '#')
    printf "%-25s: [%-50s] %d%%\r" "${stage//#/ }" "$bar" $percent
    [ "$percent" -eq 100 ] && break
  done
  format_print
}
