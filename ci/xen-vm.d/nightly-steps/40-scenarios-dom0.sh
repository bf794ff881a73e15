# Every seed scenario on the real dom0 of this boot: `xenrace compare` explores each variant in the
# simulator, replays the execution it reports (the shrunk failure, or the busiest passing execution) step
# for step against this boot's real xenstored ($XENVM_XENSTORED) with real loop devices, and runs it free
# $COMPARE_RUNS times (default 50) for the natural reproduction rate. Variants the VM cannot host are listed
# as skipped with the reason. Writes $XENVM_OUT/compare/compare.json (one row per variant), the replay traces,
# the run ledgers, and the report sets simulator/ and host/ (junit.xml, results.json, timeline.html: each
# failure's swimlanes in the simulator and on this real Xen); ci/nightly turns compare.json into the
# sim-vs-real-Xen table of its summary.
# Exit: xenrace compare's (0: every replay that ran agreed with the simulator and cleaned up; 1 otherwise).
runs=${COMPARE_RUNS:-50}
out=$XENVM_OUT/compare
mkdir -p "$out"
xenrace compare --backend dom0 --i-know-this-is-a-test-host --runs "$runs" --report-dir "$out"
rc=$?
# Nothing of the runs may be left behind: no loop device bound to their files, no node under the run root.
left=$(losetup -a 2>/dev/null | grep -c /var/tmp/xenrace/)
nodes=$(xenstore-list /local/domain/0/xenrace 2>/dev/null | wc -l)
echo "after the runs: $left loop device(s) bound to run files, $nodes run subtree(s) left in xenstore"
if [ "$left" != 0 ] || [ "$nodes" != 0 ]; then rc=1; fi
exit $rc
