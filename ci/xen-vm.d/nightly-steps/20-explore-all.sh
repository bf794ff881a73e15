# every scenario in the simulator, inside the VM: proves the binary runs there
# and gives a reference verdict for the real-Xen runs of later steps. The report set (junit.xml, results.json,
# timeline.html with each failure's swimlanes) goes to $XENVM_OUT/explore/.
xenrace explore --all --json --report-dir "$XENVM_OUT/explore" > "$XENVM_OUT/explore-all.json"
rc=$?
echo "xenrace explore --all --json: rc=$rc, $(wc -c < "$XENVM_OUT/explore-all.json") bytes in explore-all.json"
exit $rc
