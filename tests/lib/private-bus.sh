#!/bin/bash
# Starts a system-like dbus-daemon that enforces netaccel's shipped policy files.
#   private-bus.sh start DIR POLICY...   prints "ADDRESS PID"
#   private-bus.sh stop DIR
set -euo pipefail
cmd=$1 DIR=$2
shift 2
case "$cmd" in
start)
  mkdir -p "$DIR/system.d"
  for p in "$@"; do cp "$p" "$DIR/system.d/"; done
  cat > "$DIR/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <auth>EXTERNAL</auth>
  <listen>unix:path=$DIR/system_bus_socket</listen>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
  </policy>
  <includedir>$DIR/system.d</includedir>
</busconfig>
CONF
  chmod 755 "$DIR"
  out=$(dbus-daemon --config-file="$DIR/bus.conf" --print-address=1 --print-pid=1 --fork --nopidfile 2>"$DIR/dbus.log")
  addr=$(echo "$out" | sed -n 1p) pid=$(echo "$out" | sed -n 2p)
  echo "$pid" > "$DIR/pid"
  echo "$addr $pid"
  ;;
stop)
  [ -f "$DIR/pid" ] && kill "$(cat "$DIR/pid")" 2>/dev/null || true
  rm -rf "$DIR"
  ;;
esac
