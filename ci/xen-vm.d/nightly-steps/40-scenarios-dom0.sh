# Every seed scenario on the real dom0 of this boot: `xenrace compare` explores each variant in the
# simulator, replays the execution it reports (the shrunk failure, or the busiest passing execution) step
# for step against this boot's real xenstored ($XENVM_XENSTORED) with real loop devices, and runs it free
# $COMPARE_RUNS times (default 50) for the natural reproduction rate. Variants the VM cannot host are listed
# as skipped with the reason. Writes $XENVM_OUT/compare/compare.json (one row per variant), the replay traces,
# the run ledgers, and the report sets simulator/ and host/ (junit.xml, results.json, timeline.html: each
# failure's swimlanes in the simulator and on this real Xen); ci/nightly turns compare.json into the
# sim-vs-real-Xen table of its summary.
# When the machine has QEMU `edu` PCI devices (ci/nightly's q35 machine) and xen-pciback is loaded, pci-attach
# goes through the REAL pciback sysfs on them (--pciback real --allow-pci ...), and afterwards each must be
# back on its driver with no entry left on pciback's slot list.
# Exit: xenrace compare's (0: every replay that ran agreed with the simulator and cleaned up; 1 otherwise).
runs=${COMPARE_RUNS:-50}
out=$XENVM_OUT/compare
mkdir -p "$out"
pciback=/sys/bus/pci/drivers/pciback
edus=$(for f in /sys/bus/pci/devices/*/vendor; do d=${f%/vendor}
  [ "$(cat "$f")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ] && echo "${d##*/}"; done)
driver_of() { local l; l=$(readlink "/sys/bus/pci/devices/$1/driver") && echo "${l##*/}"; }
pci=()
if [ -n "$edus" ] && [ -d "$pciback" ]; then
  pci=(--pciback real)
  for d in $edus; do pci+=(--allow-pci "$d"); echo "edu device $d: driver '$(driver_of "$d")' before the runs"; done
  before=$(for d in $edus; do echo "$d $(driver_of "$d")"; done; cat "$pciback/slots")
else
  echo "no edu device or no xen-pciback: pci-attach uses the simulated pciback"
fi
xenrace compare --backend dom0 --i-know-this-is-a-test-host --runs "$runs" --report-dir "$out" ${pci[@]+"${pci[@]}"}
rc=$?
if [ ${#pci[@]} -gt 0 ]; then
  after=$(for d in $edus; do echo "$d $(driver_of "$d")"; done; cat "$pciback/slots")
  echo "pci devices and pciback slots after the runs:"; echo "$after" | sed 's/^/  /'
  if [ "$before" != "$after" ]; then echo "the runs did not put the pci devices back as they were"; rc=1; fi
  for d in $edus; do
    if grep -qx "$d" "$pciback/slots"; then echo "$d is still on pciback's slot list"; rc=1; fi
  done
fi
# Nothing of the runs may be left behind: no loop device bound to their files, no node under the run root.
left=$(losetup -a 2>/dev/null | grep -c /var/tmp/xenrace/)
nodes=$(xenstore-list /local/domain/0/xenrace 2>/dev/null | wc -l)
echo "after the runs: $left loop device(s) bound to run files, $nodes run subtree(s) left in xenstore"
if [ "$left" != 0 ] || [ "$nodes" != 0 ]; then rc=1; fi
exit $rc
