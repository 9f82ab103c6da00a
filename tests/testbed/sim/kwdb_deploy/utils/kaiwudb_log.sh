#!/usr/bin/env bash
# Deploy log: <deploy dir>/log/<YYYY-mm-dd>, lines "[LEVEL] YYYY-mm-dd HH:MM:SS message".
# Console lines are coloured and, like the vendor script, echo the words of the message unquoted
# (runs of whitespace and newlines collapse to single spaces).

# debug 1, info 2, warn 3, error 4
LOG_LEVEL=2
LOG_FILE=""

function format_print() {
  printf "%-123s\r" ""
}

function log_init() {
  local log_dir=$1/log
  local log_file=$log_dir/$(date '+%Y-%m-%d')
  if [ ! -e "$log_dir" ];then
    eval $local_cmd_prefix mkdir -p $log_dir
    sudo chown -R $2:$2 $log_dir
    sudo chmod 755 $log_dir
  fi
  if [ ! -e "$log_file" ];then
    eval $local_cmd_prefix touch $log_file
    sudo chown $2:$2 $log_file
    sudo chmod 755 $log_file
  fi
  LOG_FILE=$log_file
}

# write_log NAME LEVEL COLOUR TARGETS(file,console) MESSAGE...
function write_log() {
  local name=$1 level=$2 colour=$3 targets=$4
  shift 4
  if [ -z "$LOG_FILE" ];then
    echo -e "\033[31m[ERROR]\033[0m Deploy log init failed."
    exit 1
  fi
  [ $LOG_LEVEL -le $level ] || return 0
  local content="[$name] $(date '+%Y-%m-%d %H:%M:%S') $*"
  set -f
  if [[ "$targets" == *console* ]];then
    format_print
  fi
  if [[ "$targets" == *file* ]];then
    echo $content >> $LOG_FILE
  fi
  if [[ "$targets" == *console* ]];then
    echo -e "\033[${colour}m" $content "\033[0m"
  fi
  set +f
}

function log_debug() { write_log DEBUG 1 32 file,console "$@"; }
function log_info() { write_log INFO 2 32 file,console "$@"; }
function log_warn() { write_log WARN 3 33 file,console "$@"; }
function log_err() { write_log ERROR 4 31 file,console "$@"; }
function log_debug_without_console() { write_log DEBUG 1 32 file "$@"; }
function log_info_without_console() { write_log INFO 2 32 file "$@"; }
function log_warn_without_console() { write_log WARN 3 33 file "$@"; }
function log_err_without_console() { write_log ERROR 4 31 file "$@"; }
