#!/bin/sh
# app.sh OUT: the end-to-end tests' application, run as rinit's child.
# It starts writer.sh as a daemon in a session of its own, where signals
# forwarded to this process group cannot reach it, and on SIGTERM exits 0 at
# once: only rinit's drain can then give the writer its chance to finish.
out=${1:?usage: app.sh OUT}
setsid sh "$(dirname "$0")/writer.sh" "$out" &
trap 'echo "app got TERM"; exit 0' TERM
echo "app ready"
while :; do
    sleep 1000 &
    wait $!
done
