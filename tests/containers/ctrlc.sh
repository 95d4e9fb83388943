#!/bin/sh
# ctrlc.sh: waits for Ctrl-C on its terminal, says so and exits 7.
trap 'echo "app got INT"; exit 7' INT
echo "app ready"
while :; do
    sleep 1000 &
    wait $!
done
