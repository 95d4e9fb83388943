#!/bin/sh
# slowstop.sh: an app that says when SIGTERM reaches it, as the host's
# uptime (/proc/uptime is the same clock in every container), then takes
# half a second to finish, like a server completing its last requests.
trap 'read -r up _ </proc/uptime; echo "app got TERM at $up"; sleep 0.5; exit 0' TERM
echo "app ready"
while :; do
    sleep 1000 &
    wait $!
done
