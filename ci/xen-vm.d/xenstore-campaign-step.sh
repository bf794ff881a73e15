# Stateful raw-wire differential campaign of XenStore, in-VM part (tests/xenstore_diff/xs_campaign.cpp).
# Runs xs_campaign (generated multi-connection raw wire sequences) for sequences $XSCAMP_SEQS against
# this boot's real xenstored ($XENVM_XENSTORED: c or ocaml) and writes the normalised log. The
# comparison with the simulated store is done on the host (ci/xenstore-campaign), or against the
# recorded goldens (tests/xenstore_diff/goldens/c).
# XSCAMP_SEQS (default 1..200), XSCAMP_STEPS (60), XSCAMP_TIMEOUT_MS (10000: a reply slower than this
# counts as a lost connection; oxenstored leaves some requests unanswered), XSCAMP_DOMAINS (default 2: paused PV domains
# created first with `xl create -p` so that SET_PERMS may name existing domids 1..N; needs the dom0
# kernel at /opt/vmlinuz, else none are created and the log header says so).
# Writes $XENVM_OUT/xenstore-campaign/<xenstored>/campaign.log, domains.txt, campaign.err, time.txt.
# Needs /opt/bin/xs_campaign: ci/xenstore-campaign adds it; for ci/nightly, pass
#   ci/nightly --out DIR -- --add build-nightly/tests/xenstore_diff/xs_campaign:/opt/bin/xs_campaign
#                           --add /boot/vmlinuz-...:/opt/vmlinuz (optional)
# Exit: 0 when the real server ran every sequence, 1 when it was lost (crash) or the run failed.
seqs=${XSCAMP_SEQS:-1..200}
steps=${XSCAMP_STEPS:-60}
timeout_ms=${XSCAMP_TIMEOUT_MS:-10000}
ndom=${XSCAMP_DOMAINS:-2}
xs=${XENVM_XENSTORED:-c}
out=$XENVM_OUT/xenstore-campaign/$xs
prog=$(command -v xs_campaign || echo /opt/bin/xs_campaign)
if [ ! -x "$prog" ]; then
  echo "skipped: xs_campaign is not in the VM (add it: --add <build>/tests/xenstore_diff/xs_campaign:/opt/bin/xs_campaign)"
  exit 0
fi
mkdir -p "$out"
sock=${XENSTORED_PATH:-}
for s in /var/run/xenstored/socket /run/xenstored/socket; do [ -n "$sock" ] || { [ -S "$s" ] && sock=$s; }; done
[ -S "$sock" ] || { echo "xenstore-campaign: no xenstored socket found"; exit 1; }

# Existing domains: SET_PERMS owners must exist in the hypervisor for C xenstored.
made=0
if [ "$ndom" -gt 0 ] && [ -f /opt/vmlinuz ]; then
  mkdir -p /var/log/xen/console /var/run/xen
  command -v xenconsoled > /dev/null && xenconsoled --pid-file=/var/run/xen/xenconsoled.pid > /dev/null 2>&1
  for i in $(seq 1 "$ndom"); do
    printf 'name="campaign%s"\nkernel="/opt/vmlinuz"\nmemory=100\nvcpus=1\n' "$i" > "/tmp/campaign$i.cfg"
    xl create -p "/tmp/campaign$i.cfg" > "$out/xl-create-$i.txt" 2>&1 && made=$((made + 1))
  done
fi
xl list | awk 'NR>1{print $2}' | sort -n | tr '\n' ' ' | sed 's/ $//' > "$out/domains.txt"
echo "domains: $(cat "$out/domains.txt") (asked for $ndom paused domains, created $made)"

t0=$EPOCHREALTIME
"$prog" --socket "$sock" --sequences "$seqs" --steps "$steps" --timeout-ms "$timeout_ms" > "$out/campaign.log" 2> "$out/campaign.err"
rc=$?
secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", b - a}')
n=$(grep -c '^=== end seq' "$out/campaign.log")
echo "sequences=$seqs steps=$steps done=$n seconds=$secs xenstored=$xs domains=$(cat "$out/domains.txt")" > "$out/time.txt"
echo "real $xs xenstored: $n sequences ($seqs, $steps steps) in $secs s, rc $rc"
if [ "$rc" != 0 ]; then
  echo "xenstore-campaign: xs_campaign exited $rc against the real $xs xenstored:"; tail -n 5 "$out/campaign.err"
  grep -m3 -B5 '^!!! ' "$out/campaign.log"
  exit 1
fi
exit 0
