#!/bin/sh
# writer.sh OUT: a background worker that needs about a second after SIGTERM
# to write OUT (ten chunks, then "complete"), like a database flushing.
out=${1:?usage: writer.sh OUT}
flush() {
    i=0
    while [ "$i" -lt 10 ]; do
        echo "chunk $i" >>"$out"
        sleep 0.1
        i=$((i + 1))
    done
    echo complete >>"$out"
    exit 0
}
trap flush TERM
echo "writer ready"
while :; do
    sleep 1000 &
    wait $!
done
