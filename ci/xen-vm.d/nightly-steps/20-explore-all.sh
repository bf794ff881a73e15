# every scenario in the simulator, inside the VM: proves the binary runs there
# and gives a reference verdict for the real-Xen runs of later steps
xenrace explore --all --json > "$XENVM_OUT/explore-all.json"
rc=$?
echo "xenrace explore --all --json: rc=$rc, $(wc -c < "$XENVM_OUT/explore-all.json") bytes in explore-all.json"
exit $rc
