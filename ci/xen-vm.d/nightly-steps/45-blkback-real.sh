# blkback-minor-reuse against the host's REAL xen-blkback (--blkback real), free-running: how often the
# loop-minor-reuse race shows up by itself with the real driver, real loop devices and the real xenstored,
# next to the same run with the simulated blkback driver, and with the real driver and Xen's own block hotplug
# script (/etc/xen/scripts/block, --block-script real) instead of the scenario's model of it. Fails only when a run errs or leaves something
# of itself behind (backend/error nodes, loop devices), never because of the measured rate.
out="$XENVM_OUT/blkback-real"
mkdir -p "$out"
runs=${BLKBACK_REAL_RUNS:-100}
status=0

figures() {  # failures/runs and inconclusive runs of a --json report
  sed -n -e 's/^  "\(failures\|executions\|inconclusive\|skipped\|verdict\)": \([^,]*\),\?$/\1=\2/p' "$1" | tr '\n' ' '
}

# name, label, options: the two drivers with the scenario's model of the script, then Xen's own script.
for setup in "real|blkback=real|--blkback real" "simulated|blkback=simulated|--blkback simulated" \
             "real-script|blkback=real block-script=real|--blkback real --block-script real"; do
  IFS='|' read -r name label opts <<< "$setup"
  # shellcheck disable=SC2086  # $opts is a list of options
  xenrace run blkback-minor-reuse --backend dom0 $opts --variant buggy --mode free --runs "$runs" \
    --i-know-this-is-a-test-host --json --report-dir "$out/$name" > "$out/$name.json" 2> "$out/$name.stderr"
  rc=$?
  failures=$(sed -n 's/^  "failures": \([0-9]*\),\?$/\1/p' "$out/$name.json")
  executions=$(sed -n 's/^  "executions": \([0-9]*\),\?$/\1/p' "$out/$name.json")
  echo "$label: ${failures:-?}/${executions:-?} runs failed (rc=$rc; $(figures "$out/$name.json"))"
  # 0: failed as expected; 1: did not fail in $runs runs (a measurement, not an error); 4: skipped, which
  # in this VM (xen-blkback and /etc/xen/scripts/block present) means the setup broke; anything else is an error.
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then echo "$label: the run erred (rc=$rc):"; tail -5 "$out/$name.stderr"; status=1; fi
  grep -q '"ok": false' "$out/$name.json" && { echo "$label: cleanup incomplete"; status=1; }
done

# Nothing of the runs may be left: no vbd backend or error node, no run subtree, no loop device (the VM is
# fresh: anything there is the runs').
left=$( { xenstore-ls /local/domain/0/backend 2>/dev/null; xenstore-ls /local/domain/0/error 2>/dev/null;
          xenstore-ls /local/domain/0/xenrace 2>/dev/null; losetup -a; } | tee "$out/left-behind.txt")
if [ -n "$left" ]; then
  echo "left behind:"; cat "$out/left-behind.txt"; status=1
else
  echo "left behind: nothing (xenstore backend/error/xenrace subtrees empty, losetup -a empty)"
fi
exit $status
