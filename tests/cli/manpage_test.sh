#!/usr/bin/env bash
# The generated man pages against the code, in both directions:
#  - every subcommand path, option and positional that `keyward ... --help` (CLI11's own help
#    formatter, walked recursively) shows is in keyward(1) under that command, and the page
#    has none the parser lacks;
#  - ENVIRONMENT lists exactly the KEYWARD_*/SEALED_ENV_*/XDG_* names the sources use;
#  - EXIT STATUS lists every exit code of src/core/error.cpp with its error class;
#  - keyward-hwsim(1) has every option and ctl command of `keyward-hwsim --help`, and no other;
#  - the built pages are what the binary generates now, and man renders them without warnings.
. "$(dirname "$0")/lib.sh"
: "${KEYWARD_SOURCE_DIR:?}" "${KEYWARD_BINARY_DIR:?}"
GEN=$KEYWARD_BINARY_DIR/generated
for p in keyward.1 keyward.7; do
  [[ -f $GEN/$p ]] || fail "$GEN/$p was not generated (target keyward-docs)"
done
kw _manpage 1 >"$TMP/keyward.1"
kw _manpage 7 >"$TMP/keyward.7"
cmp -s "$TMP/keyward.1" "$GEN/keyward.1" || fail "generated/keyward.1 is stale"
cmp -s "$TMP/keyward.7" "$GEN/keyward.7" || fail "generated/keyward.7 is stale"
expect_exit 2 kw _manpage 3

HWSIM=$KEYWARD_BINARY_DIR/tests/hwsim/keyward-hwsim
[[ -x $HWSIM ]] || fail "no $HWSIM"
"$HWSIM" --help >"$TMP/hwsim.help" 2>&1 || true

# man renders every page without a macro warning (man --warnings, as lintian checks pages).
for page in "$TMP/keyward.1" "$TMP/keyward.7" "$KEYWARD_SOURCE_DIR/contrib/man/keyward-hwsim.1"; do
  warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$page" 2>&1 >/dev/null || true)
  [[ -z $warn ]] || fail "man warns about $page: $warn"
  [[ $(LC_ALL=C.UTF-8 MANWIDTH=80 man -E UTF-8 -l "$page" 2>/dev/null | wc -l) -gt 20 ]] || fail "$page renders empty"
done

/usr/bin/python3 - "$KEYWARD_BIN" "$TMP/keyward.1" "$TMP/keyward.7" "$KEYWARD_SOURCE_DIR" \
    "$KEYWARD_SOURCE_DIR/contrib/man/keyward-hwsim.1" "$TMP/hwsim.help" <<'PY'
import os, re, subprocess, sys
kw, page1, page7, src, hwpage, hwhelp = sys.argv[1:]
errors = []
env = dict(os.environ, KEYWARD_NO_AGENT="1")

def help_of(path):
    r = subprocess.run([kw, *path, "--help"], capture_output=True, text=True, env=env,
                       stdin=subprocess.DEVNULL, timeout=30)
    if r.returncode != 0:
        errors.append(f"keyward {' '.join(path)} --help exited {r.returncode}")
    subs, opts, pos = [], set(), set()
    section = None
    for line in r.stdout.splitlines():
        if not line.strip():
            section = None
            continue
        m = re.match(r"^([A-Za-z][^:]*):$", line)
        if m:
            section = {"Subcommands": "subs", "Positionals": "pos"}.get(m.group(1), "opts")
            continue
        if section and re.match(r"^  \S", line):
            first = line.split()[0]
            if section == "subs":
                subs.append(first)
            elif section == "pos":
                pos.add(first)
            else:
                for n in first.split(","):
                    if n.startswith("-") and n not in ("-h", "--help"):
                        opts.add(n)
    return subs, opts, pos

# The code: walk every subcommand through --help.
code = {}
todo = [[]]
while todo:
    path = todo.pop()
    subs, opts, pos = help_of(path)
    code[" ".join(path)] = (opts, pos)
    todo += [path + [s] for s in subs]
if len(code) < 20:
    errors.append(f"only {len(code)} commands found through --help")

def unroff(s):
    return s.replace("\\-", "-").replace("\\e", "\\")

# The page: .SS "keyward PATH" sections; GLOBAL OPTIONS for the top level.
text = open(page1).read()
page = {}
cur = None
lines = text.splitlines()
for i, line in enumerate(lines):
    if line.startswith(".SH "):
        cur = "" if line == ".SH GLOBAL OPTIONS" else None
        if cur == "":
            page[""] = (set(), set())
        continue
    m = re.match(r'^\.SS "keyward (.*)"$', line)
    if m:
        cur = unroff(m.group(1))
        page[cur] = (set(), set())
        continue
    if cur is not None and line == ".TP" and i + 1 < len(lines):
        head = lines[i + 1]
        for n in re.findall(r"\\fB(\\-[^\\ ]*(?:\\-[^\\ ]*)*)\\fR", head):
            page[cur][0].add(unroff(n))
        mpos = re.match(r"^\\fI([^\\]+)\\fR", head)
        if mpos:
            page[cur][1].add(unroff(mpos.group(1)))
page[""][0].discard("--help")  # not in the code set either

for p in sorted(set(code) | set(page)):
    name = f"keyward {p}".strip()
    if p not in page:
        errors.append(f"{name}: in the code, missing from keyward(1)")
        continue
    if p not in code:
        errors.append(f"{name}: in keyward(1), not in the code")
        continue
    for kind, c, m in (("option", code[p][0], page[p][0]), ("positional", code[p][1], page[p][1])):
        for n in sorted(c - m):
            errors.append(f"{name}: {kind} {n} is in the code, missing from keyward(1)")
        for n in sorted(m - c):
            errors.append(f"{name}: {kind} {n} is in keyward(1), not in the code")

def section(text, title):
    m = re.search(r"^\.SH " + re.escape(title) + r"\n(.*?)(?=^\.SH |\Z)", text, re.S | re.M)
    return m.group(1) if m else ""

# Environment: every name the sources use, in both pages' ENVIRONMENT, and no other.
names = set()
for root, _, files in os.walk(os.path.join(src, "src")):
    for f in files:
        if f.endswith((".cpp", ".h")):
            names |= set(re.findall(r'"((?:KEYWARD|SEALED_ENV|XDG)_[A-Z0-9_]*[A-Z0-9])[="]',
                                    open(os.path.join(root, f), errors="replace").read()))
if len(names) < 10:
    errors.append(f"only {len(names)} environment names found in src/")
for pg in (page1, page7):
    listed = set(unroff(n) for n in re.findall(r"^\\fB([A-Z][A-Z0-9_\\]*)\\fR$",
                                                section(open(pg).read(), "ENVIRONMENT"), re.M))
    for n in sorted(names - listed):
        errors.append(f"{os.path.basename(pg)}: ENVIRONMENT misses {n}")
    for n in sorted(listed - names):
        errors.append(f"{os.path.basename(pg)}: ENVIRONMENT lists {n}, which no source uses")
    if "FILES" not in open(pg).read():
        errors.append(f"{os.path.basename(pg)}: no FILES section")

# Exit status: every `case Errc::X: return N;` of error.cpp.
err = open(os.path.join(src, "src/core/error.cpp")).read()
pairs = re.findall(r"case Errc::(\w+): return (\d+);", err)
if len(pairs) < 15:
    errors.append("cannot read the exit codes from src/core/error.cpp")
exits = section(text, "EXIT STATUS")
entries = dict(re.findall(r"^\.TP\n\\fB(\d+)\\fR\n(.*)$", exits, re.M))
for cls, code_ in pairs:
    if code_ not in entries or f"\\fI{cls.replace('_', '_')}\\fR" not in entries[code_]:
        errors.append(f"EXIT STATUS: {code_} ({cls}) missing")
for code_ in entries:
    if code_ != "0" and code_ not in {c for _, c in pairs}:
        errors.append(f"EXIT STATUS: {code_} is not an exit code of the code")

# keyward-hwsim(1) against its usage text.
h = open(hwhelp).read()
hw = open(hwpage).read()
h_opts = set(re.findall(r"(?<![\w-])(--[a-z0-9][a-z0-9-]*)", h))
p_opts = set(unroff(n) for n in re.findall(r"\\fB(\\-\\-[^\\ ]*(?:\\-[^\\ ]*)*)\\fR", hw))
cmds = re.search(r"COMMAND: (.*?)\n\s+The socket", h, re.S)
h_cmds = set(i.split()[0] for i in re.split(r"\s\|\s", " ".join(cmds.group(1).split()))) if cmds else set()
if len(h_cmds) < 10 or len(h_opts) < 10:
    errors.append(f"cannot read keyward-hwsim --help ({len(h_opts)} options, {len(h_cmds)} commands)")
ctl = section(hw, "CTL")
ctl_lines = ctl.splitlines()
p_cmds = set()
for i, line in enumerate(ctl_lines[:-1]):
    if line == ".TP":
        p_cmds |= set(unroff(n) for n in re.findall(r"(?:^|, )\\fB([a-z][a-z\\-]*)\\fR", ctl_lines[i + 1]))
for n in sorted(h_opts - p_opts):
    errors.append(f"keyward-hwsim(1) misses option {n}")
for n in sorted(p_opts - h_opts):
    errors.append(f"keyward-hwsim(1) has option {n}, which --help lacks")
for n in sorted(h_cmds - p_cmds):
    errors.append(f"keyward-hwsim(1) misses ctl command {n}")
for n in sorted(p_cmds - h_cmds):
    errors.append(f"keyward-hwsim(1) has ctl command {n}, which --help lacks")

for e in errors:
    print("FAIL:", e, file=sys.stderr)
print(f"manpage_test: {len(code)} commands, {sum(len(o) + len(p) for o, p in code.values())} "
      f"options and positionals, {len(names)} environment names, {len(pairs)} error classes, "
      f"{len(h_opts)} + {len(h_cmds)} simulator options and commands checked")
sys.exit(1 if errors else 0)
PY
