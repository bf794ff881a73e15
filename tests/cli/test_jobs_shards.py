"""explore --jobs, --shard and --verify, and xenrace merge, as CI uses them: --jobs N prints and writes what
--jobs 1 does; dfs shards together run exactly the unsharded tree and merge into its verdict; merge refuses
shards that do not belong together; a verdict says whether it was sampled or verified.

Run: XENRACE_BIN=build/xenrace /usr/bin/python3 -m pytest tests/cli
"""
import json
import re

import pytest

from test_cli import assert_explores_as, xenrace


def test_jobs_2_prints_and_writes_what_jobs_1_does(explore_all, tmp_path):
    # explore_all is `explore --all --report-dir` with one job (the default), at every scenario's own budget.
    assert_explores_as(explore_all, tmp_path, "--jobs", "2")


@pytest.mark.parametrize("value", ["x", "-1", "2.5", "", "1/2"])
def test_a_bad_jobs_value_is_a_usage_error_naming_the_option(value):
    p = xenrace("explore", "demo-counter", "--jobs", value)
    assert p.returncode == 2, p.stdout
    assert "--jobs" in p.stderr and p.stdout == "", p.stderr


@pytest.mark.parametrize("value", ["0/4", "5/4", "x", "2", "2/0", "-1/2", "1/2/3"])
def test_a_bad_shard_is_a_usage_error_naming_the_option(value):
    p = xenrace("explore", "demo-counter", "--shard", value)
    assert p.returncode == 2, p.stdout
    assert "--shard" in p.stderr and p.stdout == "", p.stderr


DFS = ["--strategy", "dfs", "--preemptions", "0", "--iterations", "100000", "--no-progress"]


def explore_json(*args, code=None):
    p = xenrace("explore", *args, "--json")
    assert p.returncode in ((0, 1) if code is None else (code,)), p.stderr
    return json.loads(p.stdout)


@pytest.mark.parametrize("shards", [2, 3, 4])
def test_dfs_shards_run_exactly_the_unsharded_tree_and_merge_to_its_proof(tmp_path, shards):
    whole = explore_json("pci-attach/fixed", *DFS, code=0)[0]
    assert whole["shown"] == "verified" and whole["exhausted"]
    files = []
    for k in range(1, shards + 1):
        out = tmp_path / f"shard{k}"
        part = explore_json("pci-attach/fixed", *DFS, "--shard", f"{k}/{shards}", "--report-dir", str(out), code=0)[0]
        assert part["shard"] == f"{k}/{shards}" and part["exhausted"] and part["shown"] == "shard-complete"
        files.append(str(out / "results.json"))
    parts = [json.loads(open(f).read())["results"][0] for f in files]
    assert sum(p["executions"] for p in parts) == whole["executions"]
    merged = xenrace("merge", *files, check_code=0).stdout.splitlines()
    assert merged[0] == f"PASS   pci-attach/fixed  verified: every schedule explored (bound 0, dfs), " \
                        f"{whole['executions']} executions", merged
    as_json = json.loads(xenrace("merge", *reversed(files), "--json", check_code=0).stdout)[0]
    assert as_json["shown"] == "verified" and as_json["executions"] == whole["executions"]
    # A pass's hash is a sum over its executions: the shards ran exactly the unsharded ones.
    assert as_json["trace_hash"] == whole["trace_hash"]


def test_jobs_split_one_variants_proof_and_give_one_processs_verdict():
    args = ["pci-attach/fixed-existing-backend", "--verify", "--no-progress"]
    one = explore_json(*args, code=0)[0]
    two = explore_json(*args, "--jobs", "2", code=0)[0]
    assert one["shown"] == two["shown"] == "verified", two["shown_text"]
    assert one["scope"] == two["scope"] == "unbounded" and two["shard"] is None


@pytest.mark.parametrize("strategy", ["random", "pct"])
def test_jobs_split_one_variants_sampled_search_into_one_processs_report(strategy):
    args = ("explore", "pci-attach/fixed", "--strategy", strategy, "--iterations", "301", "--no-progress", "--json")
    one = xenrace(*args, check_code=0).stdout
    for jobs in ("2", "3"):
        assert xenrace(*args, "--jobs", jobs, check_code=0).stdout == one, jobs


def test_a_split_search_that_runs_out_of_budget_is_the_same_on_every_run():
    args = ["explore", "pci-attach/fixed", "--strategy", "dpor", "--iterations", "3000", "--jobs", "2",
            "--no-progress", "--json"]
    runs = [xenrace(*args, check_code=0).stdout for _ in range(3)]
    assert runs[0] == runs[1] == runs[2]
    r = json.loads(runs[0])[0]
    assert r["shown"] == "sampled" and not r["exhausted"] and r["budget"] == 3000, r


def test_a_shard_split_over_jobs_runs_exactly_its_finer_shards():
    def part(k, n, jobs):
        return explore_json("blkback-minor-reuse/fixed", "--strategy", "dpor", "--iterations", "100000",
                            "--no-progress", "--shard", f"{k}/{n}", "--jobs", jobs, code=0)[0]
    for k in (1, 2):
        split = part(k, 2, "2")
        assert split["shard"] == f"{k}/2" and split["shown"] == "shard-complete", split
        quarters = [part(q, 4, "1") for q in (k, k + 2)]
        assert split["executions"] == sum(q["executions"] for q in quarters)
        assert int(split["trace_hash"], 16) == sum(int(q["trace_hash"], 16) for q in quarters) % 2**64


def test_a_buggy_variant_is_found_by_the_shards_that_hold_its_race_and_the_merge_fails_it(tmp_path):
    files, found = [], []
    for k in (1, 2, 3, 4):
        out = tmp_path / f"s{k}"
        r = explore_json("demo-counter/buggy", "--strategy", "dfs", "--preemptions", "1", "--no-shrink", "--shard",
                         f"{k}/4", "--report-dir", str(out), "--no-progress")[0]
        # A shard either finds the race or has explored its whole part without it: nothing is left unsaid.
        assert r["verdict"] == "fail" or r["exhausted"], r
        found.append(r["verdict"] == "fail")
        files.append(str(out / "results.json"))
    assert any(found) and not all(found), found
    merged = xenrace("merge", *files)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    first = merged.stdout.splitlines()[0]
    assert first.startswith("XFAIL  demo-counter/buggy  violated: no lost update"), first
    # The witness is the lowest failing shard's, and it replays.
    lowest = json.loads(open(files[found.index(True)]).read())["results"][0]
    replay = next(l for l in merged.stdout.splitlines() if l.startswith("  replay: "))
    assert replay.endswith(lowest["replay"]), replay
    xenrace("replay", lowest["replay"], check_code=0)


@pytest.fixture(scope="module")
def shard_files(tmp_path_factory):
    base = tmp_path_factory.mktemp("shards")
    files = []
    for k in (1, 2, 3):
        out = base / f"s{k}"
        xenrace("explore", "demo-counter", "--strategy", "random", "--iterations", "60", "--shard", f"{k}/3",
                "--report-dir", str(out), "--no-progress", check_code=0)
        files.append(str(out / "results.json"))
    return base, files


def test_random_shards_merge_to_the_whole_budget(shard_files):
    _, files = shard_files
    merged = json.loads(xenrace("merge", *files, "--json", check_code=0).stdout)
    fixed = next(r for r in merged if r["variant"] == "fixed")
    assert fixed["executions"] == 60 and fixed["shown"] == "sampled"
    text = xenrace("merge", *files, check_code=0).stdout
    assert "PASS   demo-counter/fixed  no failure in 60 sampled executions (random, seed 1)" in text, text


@pytest.mark.parametrize("strategy", ["random", "pct"])
def test_sampling_shards_run_exactly_the_unsharded_executions(tmp_path, strategy):
    # pct sizes its change points by its first 16 executions: a shard that starts later runs those first,
    # uncounted, so its executions are the unsharded search's (steps and the summed hash show it).
    args = ("pci-attach/fixed", "--strategy", strategy, "--iterations", "90", "--no-progress")
    whole = explore_json(*args, code=0)[0]
    files = []
    for k in (1, 2, 3):
        out = tmp_path / f"s{k}"
        part = explore_json(*args, "--shard", f"{k}/3", "--report-dir", str(out), code=0)[0]
        assert part["executions"] == 30 and part["first_index"] == 30 * (k - 1), part
        files.append(str(out / "results.json"))
    merged = json.loads(xenrace("merge", *files, "--json", check_code=0).stdout)[0]
    assert merged["executions"] == whole["executions"] == 90
    assert merged["steps"] == whole["steps"]
    assert merged["trace_hash"] == whole["trace_hash"]


def refusal(*files):
    p = xenrace("merge", *files)
    assert p.returncode == 2, p.stdout
    assert p.stdout == ""
    return p.stderr


def test_merge_refuses_a_missing_shard(shard_files):
    _, files = shard_files
    assert "shard 2/3 missing" in refusal(files[0], files[2])


def test_merge_refuses_a_shard_given_twice(shard_files):
    _, files = shard_files
    assert "shard 1/3 given twice" in refusal(files[0], files[0], files[1], files[2])


def test_merge_refuses_shards_of_different_searches(shard_files, tmp_path):
    base, files = shard_files
    other = tmp_path / "seed2"
    xenrace("explore", "demo-counter", "--strategy", "random", "--iterations", "60", "--seed", "2", "--shard", "2/3",
            "--report-dir", str(other), "--no-progress", check_code=0)
    assert re.search(r"differ in seed \(1 vs 2\)", refusal(files[0], str(other / "results.json"), files[2]))
    four = tmp_path / "four"
    xenrace("explore", "demo-counter", "--strategy", "random", "--iterations", "60", "--shard", "2/4",
            "--report-dir", str(four), "--no-progress", check_code=0)
    assert "2/4" in refusal(files[0], str(four / "results.json"), files[2])
    fewer = tmp_path / "fewer"
    xenrace("explore", "demo-counter/fixed", "--strategy", "random", "--iterations", "60", "--shard", "2/3",
            "--report-dir", str(fewer), "--no-progress", check_code=0)
    assert "differ in selection" in refusal(files[0], str(fewer / "results.json"), files[2])


def test_merge_refuses_what_is_not_a_shard(shard_files, tmp_path):
    _, files = shard_files
    junk = tmp_path / "junk.json"
    junk.write_text("{not json")
    assert "not JSON" in refusal(str(junk))
    data = json.loads(open(files[0]).read())
    data["xenrace_version"] = "0.0.0-other"
    foreign = tmp_path / "foreign.json"
    foreign.write_text(json.dumps(data))
    assert "written by xenrace 0.0.0-other" in refusal(str(foreign), files[1], files[2])
    assert "cannot read" in refusal(str(tmp_path / "absent.json"))


def test_verdicts_say_sampled_or_verified():
    sampled = explore_json("demo-counter/fixed", "--strategy", "random", "--iterations", "40", "--no-progress", code=0)[0]
    assert sampled["shown"] == "sampled" and sampled["scope"] == ""
    line = xenrace("explore", "demo-counter/fixed", "--strategy", "random", "--iterations", "40", "--no-progress",
                   check_code=0).stdout.splitlines()[0]
    assert line == "PASS   demo-counter/fixed  no failure in 40 sampled executions (random, seed 1)", line
    proof = xenrace("explore", "demo-counter/fixed", "--strategy", "dfs", "--preemptions", "2", "--no-progress",
                    check_code=0).stdout.splitlines()[0]
    assert re.match(r"^PASS   demo-counter/fixed  verified: every schedule explored \(bound 2, dfs\), \d+ executions$",
                    proof), proof
    unfinished = xenrace("explore", "demo-counter/fixed", "--strategy", "dfs", "--preemptions", "2", "--iterations",
                         "2", "--no-progress", check_code=0).stdout.splitlines()[0]
    assert unfinished == "PASS   demo-counter/fixed  no failure in 2 executions of an unfinished dfs search (bound 2)"
    j = explore_json("demo-counter/fixed", "--strategy", "dfs", "--preemptions", "2", "--no-progress", code=0)[0]
    assert j["shown"] == "verified" and j["scope"] == "bound 2" and j["exhausted"]


def test_verify_proves_fixed_variants_and_finds_buggy_ones(tmp_path):
    p = xenrace("explore", "demo-counter", "--verify", "--no-progress", "--report-dir", str(tmp_path), check_code=0)
    lines = p.stdout.splitlines()
    assert lines[0].startswith("XFAIL  demo-counter/buggy  violated: no lost update"), lines
    fixed = next(l for l in lines if l.startswith("PASS "))
    assert re.match(r"^PASS   demo-counter/fixed  verified: every schedule explored \((?:bound \d+|unbounded), (?:dfs|dpor)\)", fixed)
    assert "; 1 verified in " in lines[-2], lines[-2]
    junit = (tmp_path / "junit.xml").read_text()
    assert "demo-counter/fixed: verdict pass (expected pass): verified: every schedule explored" in junit
    results = json.loads((tmp_path / "results.json").read_text())
    assert [r["shown"] for r in results["results"]] == ["failed", "verified"]
    assert results["exploration"]["verify"] is True


def test_verify_that_runs_out_of_budget_says_so_and_exits_5():
    # A strategy given: that search only, and it does not finish in 50.
    p = xenrace("explore", "pci-attach/fixed", "--verify", "--strategy", "dpor", "--iterations", "50", "--no-progress")
    assert p.returncode == 5, (p.returncode, p.stdout, p.stderr)
    first = p.stdout.splitlines()[0]
    m = re.match(r"^PASS   pci-attach/fixed  not verified within budget: (\d+) executions"
                 r"(?: and (\d+) runs? cut off)?, search unfinished \((?:bound \d+|unbounded), (?:dfs|dpor)\)$", first)
    assert m, first
    # The budget counts every attempt; dpor's runs cut off are attempts but not executions, and the line says both.
    assert 0 < int(m.group(1)) and int(m.group(1)) + int(m.group(2) or 0) <= 50, first
    assert "1 NOT VERIFIED within budget" in p.stdout.splitlines()[-1]
    # Nothing given: the unbounded search, then bound 0, 1, ...; loop-block-script finishes neither in 50.
    p = xenrace("explore", "loop-block-script/fixed", "--verify", "--iterations", "50", "--no-progress")
    assert p.returncode == 5, (p.returncode, p.stdout, p.stderr)
    first = p.stdout.splitlines()[0]
    assert re.match(r"^PASS   loop-block-script/fixed  not verified within budget: \d+ runs unbounded, then \d+ "
                    r"executions(?: and \d+ runs? cut off)? at bound 0, search unfinished \(dpor\)$", first), first


def test_verify_without_a_strategy_proves_the_largest_bound_when_unbounded_does_not_finish(tmp_path):
    p = xenrace("explore", "pci-attach/fixed", "--verify", "--iterations", "2000", "--no-progress",
                "--report-dir", str(tmp_path), check_code=0)
    first, last = p.stdout.splitlines()[0], p.stdout.splitlines()[-2]  # the last line names the reports
    # merge of the one results.json says the same (it carries the unbounded search's count).
    merged = xenrace("merge", str(tmp_path / "results.json"), check_code=0)
    assert merged.stdout.splitlines()[0] == first, (merged.stdout, first)
    m = re.match(r"^PASS   pci-attach/fixed  verified: every schedule explored \(bound (\d+), dpor\), (\d+) executions"
                 r"(?: and \d+ runs? cut off)?; the unbounded search did not finish in (\d+) runs$", first)
    assert m, first
    bound, executions, unbounded = (int(g) for g in m.groups())
    assert "; 1 verified (1 of them only within a preemption bound) in " in last, last
    # The same as that bound's own search; the next bound does not finish even in the whole budget.
    alone = explore_json("pci-attach/fixed", "--verify", "--preemptions", str(bound), "--iterations", "2000",
                         "--no-progress", code=0)[0]
    assert (alone["scope"], alone["executions"], alone["unbounded_unfinished_after"]) == (f"bound {bound}", executions,
                                                                                          None), alone
    j = explore_json("pci-attach/fixed", "--verify", "--iterations", "2000", "--no-progress", code=0)[0]
    assert (j["shown"], j["scope"], j["executions"], j["unbounded_unfinished_after"]) == \
        ("verified", f"bound {bound}", executions, unbounded), j
    nxt = explore_json("pci-attach/fixed", "--verify", "--preemptions", str(bound + 1), "--iterations", "2000",
                       "--no-progress", code=5)[0]
    assert nxt["shown"] == "sampled", nxt


def test_dpor_with_a_preemption_bound_verifies_within_it_in_fewer_executions_than_dfs():
    def executions(variant, strategy):
        line = xenrace("explore", variant, "--verify", "--strategy", strategy, "--preemptions", "2", "--no-progress",
                       check_code=0).stdout.splitlines()[0]
        m = re.match(rf"^PASS   {variant}  verified: every schedule explored \(bound 2, {strategy}\), (\d+) executions"
                     r"(?: and \d+ runs? cut off)?$",
                     line)
        assert m, line
        return int(m.group(1))
    assert executions("blkback-minor-reuse/fixed", "dpor") < executions("blkback-minor-reuse/fixed", "dfs")
    # --verify picks dpor, and --preemptions bounds it; the bug is still found within the bound.
    j = explore_json("pci-attach/fixed", "--verify", "--preemptions", "1", "--no-progress", code=0)[0]
    assert (j["strategy"], j["shown"], j["scope"], j["exhausted"]) == ("dpor", "verified", "bound 1", True), j
    p = xenrace("explore", "pci-attach/buggy", "--strategy", "dpor", "--preemptions", "1", "--no-progress",
                check_code=0)
    assert p.stdout.startswith("XFAIL  pci-attach/buggy  violated: "), p.stdout
    assert "xenrace replay xr1-" in p.stdout


def test_verify_refuses_a_sampling_strategy():
    p = xenrace("explore", "demo-counter", "--verify", "--strategy", "random")
    assert p.returncode == 2 and "--verify" in p.stderr, p.stderr


def test_verify_split_over_shards_is_verified_by_the_merge(tmp_path):
    files = []
    for k in (1, 2):
        p = xenrace("explore", "demo-counter", "--verify", "--shard", f"{k}/2", "--report-dir", str(tmp_path / str(k)),
                    "--no-progress")
        # A shard that explored its whole part has not failed to verify: only the merge can say "verified".
        assert p.returncode == 0, p.stdout + p.stderr
        assert f"every schedule of shard {k}/2 explored" in p.stdout
        files.append(str(tmp_path / str(k) / "results.json"))
    merged = xenrace("merge", *files, check_code=0).stdout
    assert re.search(r"^PASS   demo-counter/fixed  verified: every schedule explored \((?:bound \d+|unbounded), (?:dfs|dpor)\)", merged,
                     re.M), merged
    unfinished = []
    shard_executions = shard_cut_off = 0
    for k in (1, 2):
        p = xenrace("explore", "pci-attach/fixed", "--verify", "--iterations", "20", "--shard", f"{k}/2",
                    "--report-dir", str(tmp_path / f"p{k}"), "--no-progress")
        assert p.returncode == 5, p.stdout + p.stderr
        unfinished.append(str(tmp_path / f"p{k}" / "results.json"))
        shard = json.loads((tmp_path / f"p{k}" / "results.json").read_text())["results"][0]
        shard_executions += shard["executions"]
        shard_cut_off += shard["pruned"]
    p = xenrace("merge", *unfinished)
    assert p.returncode == 5, p.stdout + p.stderr
    assert 0 < shard_executions <= 40
    cut_off = f" and {shard_cut_off} run{'' if shard_cut_off == 1 else 's'} cut off" if shard_cut_off else ""
    assert f"not verified within budget: {shard_executions} executions{cut_off}, search unfinished" in p.stdout
