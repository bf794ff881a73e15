#!/usr/bin/env python3
"""Writes the seeds of xs_store_fuzzer into fuzz/seeds/store/ (the encoding is described at the top of
fuzz/xs_store_fuzzer.cpp). Run it again after changing the encoding: fuzz/make-store-seeds.py"""
import os

# kCommands, kOther and kPaths of xs_store_fuzzer.cpp; a name's first slot is used.
CMDS = ["READ"] * 4 + ["WRITE"] * 4 + ["RM"] * 4 + ["TX_START"] * 3 + ["TX_COMMIT"] * 2 + [
    "TX_ABORT", "MKDIR", "DIRECTORY", "DIRECTORY_PART", "GET_PERMS", "SET_PERMS", "WATCH", "UNWATCH",
    "INTRODUCE", "RELEASE", "RESET_WATCHES", "RAW_MESSAGE", "RAW_BYTES", "RECONNECT", "OTHER"]
OTHER = ["GET_DOMAIN_PATH", "IS_DOMAIN_INTRODUCED", "RESUME", "SET_TARGET", "GET_FEATURE", "SET_FEATURE",
         "CONTROL"]
PATHS = ["/a", "/a/x", "/a/x/y", "/a/y", "/b", "/b/x", "a", "a/x", "@introduceDomain", "@releaseDomain", "/",
         "/local/domain/5", "/local/domain/5/a", "/a/", "/a", "/a/x"]
DOMAINS = {0: 0, 5: 1, 6: 2, 7: 3}
NO_TX, OWN_TX, OTHER_TX, RAW_TX = 0, 3, 6, 7
ARGS = ("WRITE", "DIRECTORY_PART", "SET_PERMS", "WATCH", "UNWATCH", "INTRODUCE", "RELEASE", "GET_DOMAIN_PATH",
        "IS_DOMAIN_INTRODUCED", "RESUME", "SET_TARGET", "GET_FEATURE", "SET_FEATURE", "CONTROL")


def header(*domids):
    return bytes([len(domids) - 2] + [DOMAINS[d] for d in domids])


def cmd(conn, name, path="/a", tx=NO_TX, which=0, arg=0, raw_tx=0):
    if name in ("RAW_BYTES", "RECONNECT"):  # no selector byte
        return bytes([(CMDS.index(name) << 3) | conn])
    if name in OTHER:
        out = [(CMDS.index("OTHER") << 3) | conn, OTHER.index(name)]
    else:
        out = [(CMDS.index(name) << 3) | conn]
    out.append(PATHS.index(path) | (tx << 4) | (which << 7))
    if tx == RAW_TX:
        out.append(raw_tx)
    if name in ARGS:
        out.append(arg)
    return bytes(out)


def raw_message(conn, type_, payload, tx=NO_TX, raw_tx=0):
    out = bytes([(CMDS.index("RAW_MESSAGE") << 3) | conn, (tx << 4)])
    if tx == RAW_TX:
        out += bytes([raw_tx])
    return out + bytes([type_, len(payload)]) + payload


SEEDS = {
    # The crash xs_message_fuzzer missed: a transaction's copy of /a does not list /a/x, created outside
    # it after the copy; RM /a/x inside it then erases a child its copy of /a does not have.
    "tx_rm_unlisted_child": header(0, 0)
    + cmd(0, "WRITE", "/a", arg=1)
    + cmd(0, "TX_START")
    + cmd(0, "READ", "/a", OWN_TX)
    + cmd(0, "WRITE", "/a/x", arg=2)
    + cmd(0, "RM", "/a/x", OWN_TX),
    # The same with /a already listing /a/y: the erase drops /a/y from the transaction's /a, and the
    # commit would lose it; DIRECTORY /a inside the transaction no longer shows y.
    "tx_rm_unlisted_child_sibling": header(0, 5)
    + cmd(0, "WRITE", "/a/y", arg=1)
    + cmd(0, "TX_START")
    + cmd(0, "DIRECTORY", "/a", OWN_TX)
    + cmd(1, "WRITE", "/local/domain/5/a", arg=0)
    + cmd(0, "WRITE", "/a/x", arg=2)
    + cmd(0, "RM", "/a/x", OWN_TX)
    + cmd(0, "DIRECTORY", "/a", OWN_TX)
    + cmd(0, "TX_COMMIT", "/a", OWN_TX),
    # Repeatable reads and the EAGAIN of a conflicting commit, across two clients.
    "tx_conflict": header(0, 5)
    + cmd(0, "WRITE", "/a", arg=1)
    + cmd(0, "SET_PERMS", "/a", arg=6)
    + cmd(1, "TX_START")
    + cmd(1, "READ", "/a", OWN_TX)
    + cmd(0, "WRITE", "/a", arg=3)
    + cmd(1, "READ", "/a", OWN_TX)
    + cmd(1, "TX_COMMIT", "/a", OWN_TX),
    # Watches, permissions and domains: dom5 watches, dom0 changes perms, introduces and releases.
    "watch_perms_domains": header(0, 5, 6)
    + cmd(1, "WATCH", "/a", arg=0)
    + cmd(2, "WATCH", "@releaseDomain", arg=1)
    + cmd(0, "WRITE", "/a/x", arg=3)
    + cmd(0, "SET_PERMS", "/a/x", arg=2)
    + cmd(1, "READ", "/a/x")
    + cmd(2, "READ", "/a/x")
    + cmd(0, "INTRODUCE", arg=0x40)
    + cmd(1, "WRITE", "a/x", arg=1)
    + cmd(0, "RELEASE", arg=0)
    + cmd(1, "DIRECTORY", "/local/domain/5"),
    # Several transactions at once; requests naming another client's transaction and a made-up id.
    "many_transactions": header(0, 0, 5, 6)
    + cmd(0, "TX_START") + cmd(1, "TX_START") + cmd(2, "TX_START") + cmd(3, "TX_START")
    + cmd(0, "WRITE", "/a/x/y", OWN_TX, arg=1)
    + cmd(1, "READ", "/a/x/y", OWN_TX)
    + cmd(1, "MKDIR", "/b/x", OTHER_TX)
    + cmd(2, "WRITE", "a/x", OWN_TX, arg=2)
    + cmd(3, "RM", "/a", RAW_TX, raw_tx=1)
    + cmd(0, "TX_COMMIT", "/a", OWN_TX)
    + cmd(1, "DIRECTORY", "/a", OWN_TX)
    + cmd(1, "TX_COMMIT", "/a", OWN_TX)
    + cmd(2, "TX_COMMIT", "/a", OWN_TX)
    + cmd(3, "RESET_WATCHES"),
    # The escapes: a framed message of any type and payload, raw stream bytes, a reconnect.
    "raw_and_reconnect": header(0, 5)
    + raw_message(0, 6, b"\0")
    + raw_message(0, 11, b"/b\0v", OWN_TX)
    + cmd(1, "RAW_BYTES") + bytes([5]) + b"\x02\x00\x00\x00\x07"
    + cmd(0, "RECONNECT")
    + cmd(0, "DIRECTORY_PART", "/", arg=0),
}

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds", "store")
os.makedirs(here, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(here, name), "wb") as f:
        f.write(data)
