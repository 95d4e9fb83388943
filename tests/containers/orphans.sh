#!/bin/sh
# orphans.sh N: leaves N orphans to PID 1, reports how many PID 1 adopted,
# kills them (PID 1 must reap them), then runs until stdin closes.
n=${1:?usage: orphans.sh N}
pids=
for _ in $(seq "$n"); do
    # The subshell exits at once: its sleep is re-parented to PID 1.
    pids="$pids $(sleep 1000 </dev/null >/dev/null 2>&1 & echo $!)"
done
adopted=0
for pid in $pids; do
    if grep -q '^PPid:[[:space:]]*1$' "/proc/$pid/status"; then
        adopted=$((adopted + 1))
    fi
done
echo "adopted $adopted"
kill $pids
echo "killed"
cat >/dev/null
echo "stdin closed"
