# Smoke command list for `ci/xen-vm --smoke`; runs with bash inside dom0 once
# the real xenstored is up. Every check prints "ok: ..." or "FAIL: ...", and
# the exit status is the number of failed checks (0 = all passed).
failed=0
check() {  # check DESCRIPTION COMMAND...
  local desc=$1; shift
  if "$@"; then echo "ok: $desc"; else echo "FAIL: $desc"; failed=$((failed + 1)); fi
}

echo "xenstored: $XENVM_XENSTORED"
check "hypervisor is Xen 4.17" \
  test "$(cat /sys/hypervisor/type)-$(cat /sys/hypervisor/version/major).$(cat /sys/hypervisor/version/minor)" = xen-4.17

# the real xenstored, through the real client (libxenstore)
check "xenstore-write" xenstore-write /xenrace/smoke/a hello /xenrace/smoke/b world
check "xenstore-read" test "$(xenstore-read /xenrace/smoke/a)" = hello
check "xenstore-list" test "$(xenstore-list /xenrace/smoke | tr '\n' ' ')" = "a b "
check "xenstore-ls" grep -q '^a = "hello"' <(xenstore-ls /xenrace/smoke)
check "xenstore-rm" xenstore-rm /xenrace/smoke/a
check "read of a removed node fails" bash -c '! xenstore-read /xenrace/smoke/a 2>/dev/null'
check "dom0 is introduced" test "$(xenstore-read /local/domain/0/name)" = Domain-0
xenstore-rm /xenrace

# the toolstack
xl info > "$XENVM_OUT/xl-info.txt" 2>&1
check "xl info" grep -q '^xen_version *: 4\.17' "$XENVM_OUT/xl-info.txt"
check "xl list shows Domain-0" grep -q '^Domain-0 ' <(xl list)

# the project's binary
if command -v xenrace >/dev/null; then
  check "xenrace --version" grep -q '^xenrace ' <(xenrace --version)
  check "xenrace list" bash -c 'xenrace list > "$XENVM_OUT/xenrace-list.txt"'
  check "xenrace list names a scenario" test -s "$XENVM_OUT/xenrace-list.txt"
  # A handful of scenarios on this real dom0 (real xenstored, real loop devices): the simulator's verdict
  # and the replay of the same schedule here must agree (the nightly does every scenario, step 40).
  check "xenrace compare: blkback-minor-reuse, loop-block-script replay on real Xen as in the simulator" \
    bash -c 'xenrace compare --backend dom0 blkback-minor-reuse loop-block-script --runs 5 \
               --i-know-this-is-a-test-host --report-dir "$XENVM_OUT/smoke-compare" > "$XENVM_OUT/smoke-compare.txt" 2>&1'
  sed -n '/^scenario /,$p' "$XENVM_OUT/smoke-compare.txt" 2>/dev/null
else
  echo "FAIL: no xenrace in the VM (give ci/xen-vm --xenrace PATH)"
  failed=$((failed + 1))
fi

echo "smoke: $failed check(s) failed"
exit $failed
