# the same checks as `ci/xen-vm --smoke`
bash /opt/xen-vm.d/smoke.sh
