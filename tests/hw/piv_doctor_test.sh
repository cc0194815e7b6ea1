#!/usr/bin/env bash
# keyward doctor on the simulator: pcscd reachable, both virtual cards with serial, firmware and
# the PIV keys in use; a blocked PIN is reported with the command that fixes it.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"
reset_piv
yubico-piv-tool -r "Virtual PCD 00 00" -a verify-pin -P 123456 -a generate -s 9a -A ECCP256 \
  -o "$TMP/pub.pem" >/dev/null 2>&1 || fail "yubico-piv-tool generate failed"
ctl piv1 block-pin
got=0
kw doctor --json >"$TMP/doc.json" 2>"$TMP/doc.err" || got=$?
[[ $got != 0 ]] || fail "doctor should report the blocked PIN (non-zero exit)"
python3 - "$TMP/doc.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["pcscd"] is True, d
cards = {r["card"]["serial"]: r["card"] for r in d["readers"] if "card" in r}
assert set(cards) >= {20000001, 20000002}, cards
c0 = cards[20000001]
assert c0["firmware"] == "5.4.3" and c0["simulated"] is True and c0["pin_tries"] == 3, c0
assert [k["slot"] for k in c0["keys"]] == ["9a"], c0["keys"]
assert c0["keys"][0]["generated"] is True
assert cards[20000002]["pin_tries"] == 0 and cards[20000002]["keys"] == []
probs = [p for p in d["problems"] if "20000002" in p["problem"]]
assert probs and "unblock-pin" in probs[0]["fix"], d["problems"]
PY
expect_exit 11 kw doctor
expect_contains "$OUT" "YubiKey 20000001 (simulated) firmware 5.4.3"
expect_contains "$OUT" "fix: yubico-piv-tool"
ctl piv1 factory-reset
echo "piv_doctor: ok"
