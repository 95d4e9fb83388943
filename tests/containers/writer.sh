#!/bin/sh
# writer.sh OUT: a background worker that needs about a second after SIGTERM
# to write OUT (ten chunks, then "complete"), like a database flushing.
#
# The process it waits on is forked before SIGTERM is trapped: a shell's
# child that has not exec'd yet would otherwise catch the drain's SIGTERM in
# the inherited handler and lose it, survive, and hold the drain until its
# grace ends.
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
sleep 1000 &
trap flush TERM
echo "writer ready"
wait $!
flush
