# Command list that runs every step in /opt/xen-vm.d/nightly-steps (NN-name.sh,
# in name order) inside dom0, each with bash, recording per step its exit
# status and seconds: the step's output goes to $XENVM_OUT/steps/<name>.log and
# a summary line to the console; $XENVM_OUT/steps.tsv holds "name rc seconds".
# Exits 0 only if every step did. Used by ci/nightly (ci/xen-vm --add ci/xen-vm.d).
[ -f /opt/nightly.env ] && . /opt/nightly.env  # ci/nightly's settings (COMPARE_RUNS, XSDIFF_SEEDS)
mkdir -p "$XENVM_OUT/steps"
: > "$XENVM_OUT/steps.tsv"
failed=0
for f in /opt/xen-vm.d/nightly-steps/*.sh; do
  name=$(basename "$f" .sh)
  t0=$EPOCHREALTIME
  bash "$f" > "$XENVM_OUT/steps/$name.log" 2>&1
  rc=$?
  secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.2f", b - a}')
  printf '%s\t%s\t%s\n' "$name" "$rc" "$secs" >> "$XENVM_OUT/steps.tsv"
  if [ "$rc" = 0 ]; then echo "step $name: ok (${secs}s)"; else
    echo "step $name: FAILED rc=$rc (${secs}s); last lines:"
    tail -n 15 "$XENVM_OUT/steps/$name.log" | sed 's/^/  | /'
    failed=$((failed + 1))
  fi
done
echo "steps: $failed failed"
[ "$failed" = 0 ]
