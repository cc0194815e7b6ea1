#!/usr/bin/env python3
"""Fault sweep: every mutating keyward command, killed or failed at each write-class call.

For one command (argv[1], or "all"): a count run under the shim (tests/fault/faultshim.c)
numbers the command's write-class calls; then, for each point and each mode (SIGKILL before the
call, the call failing with EIO, with ENOSPC, half of a write written then SIGKILL), the command
runs again on a fresh copy of the same starting vault with that one fault injected, and the
result is checked:

  * the vault opens and verifies (`vault info`: header MAC, pin, every record, manifest);
  * the vault's state (revision, key id, records, slots, outputs) is exactly the state before
    the command or exactly the state a clean run produces: never a mix;
  * the exit code tells the truth: 0 or 19 (applied, follow-up failed) only if the change is
    there, any other failure code only if it is not (a killed command may be either);
  * the audit log verifies (`audit --verify`);
  * the next command works (a `set` and a `get` of a new secret; `init` again after a failed
    init).

The CI subset tries KEYWARD_FAULT_POINTS points per command and mode (default 10, spread over
the whole command); KEYWARD_FAULT_FULL=1 tries every point in every mode. Counts go to stdout
and, with KEYWARD_FAULT_REPORT=FILE, to FILE as JSON (docs/reliability.md quotes them).
Exit status: 0 all good, 1 a violation (each is printed), 77 skipped.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

KW = os.environ.get("KEYWARD_BIN")
SHIM = os.environ.get("KEYWARD_FAULT_SHIM")
# torn: half of one write reaches the file, then the kill (a power cut mid-write, as far as a
# process can show it). KEYWARD_FAULT_MODES=kill,torn limits a run to some modes.
MODES = tuple(m for m in os.environ.get("KEYWARD_FAULT_MODES", "kill,eio,enospc,torn").split(",") if m)
PASSPHRASE = "correct horse battery"
KDF = ["--kdf-memory", "8", "--kdf-time", "1", "--kdf-parallelism", "1"]


class Sweep:
    def __init__(self, root):
        self.root = root
        self.work = os.path.join(root, "w")  # every trial runs here (the pin is keyed by path)
        self.template = os.path.join(root, "t")
        self.files = os.path.join(root, "files")  # inputs shared by all trials (not copied)
        os.makedirs(self.files, exist_ok=True)
        self.env = dict(os.environ)
        for k in ("KEYWARD_PASSPHRASE", "KEYWARD_IDENTITY", "KEYWARD_RECOVERY_CODE",
                  "KEYWARD_NEW_PASSPHRASE", "KEYWARD_AGENT_SOCKET", "KEYWARD_AGENT_AUTOSTART",
                  "LD_PRELOAD"):
            self.env.pop(k, None)
        w = self.work
        self.env.update({
            "HOME": w + "/home", "XDG_STATE_HOME": w + "/state", "XDG_DATA_HOME": w + "/data",
            "XDG_RUNTIME_DIR": w + "/run", "KEYWARD_VAULT": w + "/vault.db",
            "KEYWARD_NO_AGENT": "1", "KEYWARD_PASSPHRASE": PASSPHRASE,
        })
        self.passfile = os.path.join(self.files, "pass")
        with open(self.passfile, "w") as f:
            f.write(PASSPHRASE + "\n")

    def fresh_world(self):
        shutil.rmtree(self.work, ignore_errors=True)
        for d in ("home", "state", "data", "run"):
            os.makedirs(os.path.join(self.work, d), mode=0o700)

    def save_template(self):
        shutil.rmtree(self.template, ignore_errors=True)
        shutil.copytree(self.work, self.template, symlinks=True)

    def restore_template(self):
        shutil.rmtree(self.work, ignore_errors=True)
        shutil.copytree(self.template, self.work, symlinks=True)

    def kw(self, *args, stdin=b"", env=None, check=None):
        p = subprocess.run([KW, *args], input=stdin, capture_output=True,
                           env=env or self.env, cwd=self.work, timeout=120)
        if check is not None and p.returncode != check:
            raise RuntimeError(f"keyward {' '.join(args)}: exit {p.returncode}, expected {check}: "
                               f"{p.stderr.decode(errors='replace').strip()}")
        return p

    def faulted(self, argv, stdin, at=None, mode=None, log=None, extra=None):
        env = dict(self.env)
        env.update(extra or {})
        env["LD_PRELOAD"] = SHIM
        if at is not None:
            env["KW_FAULT_AT"] = str(at)
            env["KW_FAULT_MODE"] = mode
        if log is not None:
            env["KW_FAULT_LOG"] = log
        return self.kw(*argv, stdin=stdin, env=env)

    # The observable state of the world: what the vault holds and what the command wrote.
    def state(self, sc):
        if hasattr(sc, "state"):
            return sc.state(self)
        info = self.kw("vault", "info", "--json")
        if info.returncode == 6 and sc.name == "init":
            return ("no vault",), None
        if info.returncode != 0:
            return None, f"vault info exit {info.returncode}: {info.stderr.decode(errors='replace').strip()}"
        j = json.loads(info.stdout)
        exp = self.kw("export", "--env", "dev", "--allow-empty")
        if exp.returncode != 0:
            return None, f"export exit {exp.returncode}: {exp.stderr.decode(errors='replace').strip()}"
        slots = self.kw("slot", "list", "--json")
        if slots.returncode != 0:
            return None, f"slot list exit {slots.returncode}"
        slot_view = sorted((s.get("slot"), s.get("type"), s.get("label"), s.get("high_key"))
                           for s in json.loads(slots.stdout))
        outputs = tuple(sc.output_state(self))
        return (j.get("revision"), j.get("key_id"), exp.stdout, tuple(slot_view), outputs), None

    def audit_ok(self, sc):
        if getattr(sc, "no_vault", False):
            return None
        if not os.path.exists(self.env["KEYWARD_VAULT"]):
            return None
        a = self.kw("audit", "--verify")
        if a.returncode != 0:
            return f"audit --verify exit {a.returncode}: {a.stderr.decode(errors='replace').strip()}"
        return None

    def next_ok(self, sc):
        if hasattr(sc, "next_ok"):
            return sc.next_ok(self)
        if not os.path.exists(self.env["KEYWARD_VAULT"]):
            p = self.kw("init", "--passphrase-file", self.passfile, *KDF)
            if p.returncode != 0:
                return f"init after the fault: exit {p.returncode}: {p.stderr.decode(errors='replace').strip()}"
        p = self.kw("set", "dev/next/PROBE", stdin=b"probe-value")
        if p.returncode != 0:
            return f"set after the fault: exit {p.returncode}: {p.stderr.decode(errors='replace').strip()}"
        g = self.kw("get", "dev/next/PROBE")
        if g.returncode != 0 or g.stdout.strip() != b"probe-value":
            return f"get after the fault: exit {g.returncode}"
        return None


class Scenario:
    name = ""
    stdin = b""

    def setup(self, s):  # builds the starting vault in s.work
        s.kw("init", "--passphrase-file", s.passfile, *KDF, check=0)
        for i in range(3):
            s.kw("set", f"dev/app/K{i}", stdin=f"old-{i}".encode(), check=0)

    def argv(self, s):
        raise NotImplementedError

    def output_state(self, s):  # files the command writes besides the vault
        return []

    def before_trial(self, s):
        pass


class Init(Scenario):
    name = "init"

    def setup(self, s):
        pass

    def argv(self, s):
        return ["init", "--passphrase-file", s.passfile, *KDF]


class Set(Scenario):
    name = "set"
    stdin = b"new-1"

    def argv(self, s):
        return ["set", "dev/app/K1"]


class Rm(Scenario):
    name = "rm"

    def argv(self, s):
        return ["rm", "dev/app/K2"]


class Import(Scenario):
    name = "import"

    def setup(self, s):
        super().setup(s)
        with open(os.path.join(s.files, "import.env"), "w") as f:
            for i in range(40):
                f.write(f"IMP{i}=value-{i}\n")
            f.write("K0=replaced\n")

    def argv(self, s):
        return ["import", "--env", "dev", "--component", "app", "--overwrite",
                os.path.join(s.files, "import.env")]


class RotateMaster(Scenario):
    name = "rotate-master"

    def setup(self, s):
        super().setup(s)
        for i in range(3, 20):
            s.kw("set", f"dev/app/K{i}", stdin=f"old-{i}".encode(), check=0)

    def argv(self, s):
        return ["rotate-master"]


class SlotAddPassphrase(Scenario):
    name = "slot-add-passphrase"

    def setup(self, s):
        super().setup(s)
        with open(os.path.join(s.files, "pass2"), "w") as f:
            f.write("second passphrase here\n")

    def argv(self, s):
        return ["slot", "add", "passphrase", "--label", "second",
                "--new-passphrase-file", os.path.join(s.files, "pass2"), *KDF]


class SlotAddRecipient(Scenario):
    name = "slot-add-recipient"

    def setup(self, s):
        super().setup(s)
        self.recipient = make_identity(s)

    def argv(self, s):
        return ["slot", "add", "recipient", "--label", "ci", "--recipient", self.recipient]


class SlotRm(Scenario):
    name = "slot-rm"
    rekey = False

    def setup(self, s):
        super().setup(s)
        rec = make_identity(s)
        s.kw("slot", "add", "recipient", "--label", "ci", "--recipient", rec, check=0)
        slots = json.loads(s.kw("slot", "list", "--json", check=0).stdout)
        self.number = str(max(x["slot"] for x in slots))

    def argv(self, s):
        return ["slot", "rm", self.number] + (["--rekey"] if self.rekey else [])


class SlotRmRekey(SlotRm):
    name = "slot-rm-rekey"
    rekey = True


class Package(Scenario):
    name = "package"

    def setup(self, s):
        super().setup(s)
        self.recipient = make_identity(s)

    def before_trial(self, s):
        for f in ("pkg", "tok"):
            try:
                os.unlink(os.path.join(s.work, f))
            except FileNotFoundError:
                pass

    def argv(self, s):
        return ["package", "--env", "dev", "--recipient", self.recipient,
                "--out", os.path.join(s.work, "pkg"), "--token-out", os.path.join(s.work, "tok")]

    def output_state(self, s):
        # Both files complete (the package opens with the token) or no package. The token is
        # written first: a token left alone (killed before the package was written) opens
        # nothing, since the K_h it wraps lived only in the killed process, so it counts as none.
        pkg, tok = os.path.join(s.work, "pkg"), os.path.join(s.work, "tok")
        present = (os.path.exists(pkg), os.path.exists(tok))
        if present == (False, True):
            present = (False, False)
        if present == (True, True):
            d = s.kw("unpack", "--in", pkg, "--token", tok, "--package-identity",
                     os.path.join(s.files, "id.txt"), "--dry-run")
            return [("package", d.returncode == 0)]
        return [("package-files", present)]


class Unpack(Scenario):
    name = "unpack"

    def setup(self, s):
        # The package comes from another vault, made once; unpacked into a vault of 3 secrets.
        rec = make_identity(s)
        other = Sweep(os.path.join(s.root, "other"))
        other.fresh_world()
        other.kw("init", "--passphrase-file", other.passfile, *KDF, check=0)
        lines = "".join(f"PK{i}=packaged-{i}\n" for i in range(30))
        other.kw("import", "--env", "dev", "--component", "app", "-", stdin=lines.encode(),
                 check=0)
        other.kw("package", "--env", "dev", "--recipient", rec,
                 "--out", os.path.join(s.files, "pkg"), "--token-out", os.path.join(s.files, "tok"),
                 check=0)
        super().setup(s)

    def argv(self, s):
        return ["unpack", "--in", os.path.join(s.files, "pkg"), "--token",
                os.path.join(s.files, "tok"), "--package-identity", os.path.join(s.files, "id.txt")]


class SealedEnv(Scenario):
    """.env.sealed (docs/sealed-env.md): no vault; the sealed file is replaced whole or not."""
    no_vault = True

    def setup(self, s):
        with open(os.path.join(s.work, ".env"), "w") as f:
            f.write("API_KEY=old-value\nDB_URL=postgres://old\n")
        p = s.kw("sealed-env", "init", "--kdf", "scrypt", "--from", ".env", check=0)
        self.token = p.stdout.decode().strip()
        with open(os.path.join(s.files, "new.env"), "w") as f:
            f.write("API_KEY=new-value\nDB_URL=postgres://new\nADDED=1\n")

    def decrypt(self, s, token):
        env = dict(s.env)
        env["SEALED_ENV_TOKEN"] = token
        return s.kw("sealed-env", "decrypt", "--stdout", env=env)

    def state(self, s):
        d = self.decrypt(s, self.token)
        if d.returncode == 0:
            return ("opens with the old token", d.stdout), None
        return None, f"sealed-env decrypt exit {d.returncode}: {d.stderr.decode(errors='replace').strip()}"

    def next_ok(self, s):
        env = dict(s.env)
        env["SEALED_ENV_TOKEN"] = self.token
        p = s.kw("sealed-env", "get", "API_KEY", env=env)
        if p.returncode != 0:
            return f"sealed-env get after the fault: exit {p.returncode}"
        return None


class SealedEncrypt(SealedEnv):
    name = "sealed-env-encrypt"

    def argv(self, s):
        return ["sealed-env", "encrypt", "--kdf", "scrypt", "--force", "--in",
                os.path.join(s.files, "new.env")]

    def run_env(self, s):
        return {"SEALED_ENV_TOKEN": self.token}


class SealedRotate(SealedEnv):
    """rotate: new keys and a new token; the old token must keep opening the file unless the
    command said it replaced it (exit 0) or was killed after the rename."""
    name = "sealed-env-rotate"

    def argv(self, s):
        return ["sealed-env", "rotate"]

    def check_applied(self, s, p):
        # The token printed by a rotation that said it succeeded opens the new file.
        token = p.stdout.decode().strip().splitlines()[-1] if p.stdout.strip() else ""
        d = self.decrypt(s, token)
        if d.returncode != 0:
            return f"the new token does not open the rotated file: exit {d.returncode}"
        return None

    def run_env(self, s):
        return {"SEALED_ENV_TOKEN": self.token}

    def state(self, s):
        d = self.decrypt(s, self.token)
        if d.returncode == 0:
            return ("opens with the old token", d.stdout), None
        if d.returncode == 4:  # a different key: the rotated file (checked below when known)
            with open(os.path.join(s.work, ".env.sealed"), "rb") as f:
                head = f.readline()
            if head.startswith(b"SEALED-ENV-V1"):
                return ("rotated",), None
        return None, f"sealed-env decrypt exit {d.returncode}: {d.stderr.decode(errors='replace').strip()}"

    def next_ok(self, s):
        return None


def make_identity(s):
    idf = os.path.join(s.files, "id.txt")
    if not os.path.exists(idf):
        subprocess.run(["age-keygen", "-o", idf], check=True, capture_output=True)
    return subprocess.run(["age-keygen", "-y", idf], check=True,
                          capture_output=True).stdout.decode().strip()


SCENARIOS = [Init, Set, Rm, Import, RotateMaster, SlotAddPassphrase, SlotAddRecipient, SlotRm,
             SlotRmRekey, Unpack, Package, SealedEncrypt, SealedRotate]


def pick(points, n):
    """Up to n points spread evenly over 1..points (always the first and the last)."""
    if n <= 0 or points <= n:
        return list(range(1, points + 1))
    return sorted({1 + round(i * (points - 1) / (n - 1)) for i in range(n)})


def run_scenario(sc, root, full, per_mode):
    s = Sweep(root)
    s.fresh_world()
    sc.setup(s)
    s.save_template()
    old, err = s.state(sc)
    if err:
        raise RuntimeError(f"{sc.name}: the starting vault does not verify: {err}")
    # Count run: the points, and the state a clean run produces.
    log = os.path.join(root, "count.log")
    if os.path.exists(log):
        os.unlink(log)
    sc.before_trial(s)
    extra = sc.run_env(s) if hasattr(sc, "run_env") else None
    p = s.faulted(sc.argv(s), sc.stdin, log=log, extra=extra)
    if p.returncode != 0:
        raise RuntimeError(f"{sc.name}: the clean run failed: exit {p.returncode}: "
                           f"{p.stderr.decode(errors='replace').strip()}")
    with open(log) as f:
        calls = [line.split(" ", 2) for line in f.read().splitlines()]
    points = len(calls)
    new, err = s.state(sc)
    if err:
        raise RuntimeError(f"{sc.name}: the clean run leaves a vault that does not verify: {err}")
    if new == old:
        raise RuntimeError(f"{sc.name}: the clean run changed nothing the sweep can see")
    rotates = sc.name in ("init", "rotate-master", "slot-rm-rekey")
    counts = {"points": points, "trials": 0, "applied": 0, "not_applied": 0,
              "applied_followup_failed": 0, "killed_old": 0, "killed_new": 0,
              "bricked": 0, "mixed": 0, "crashed": 0, "lying_exit": 0, "audit_broken": 0, "next_failed": 0,
              "exit_codes": {}}
    violations = []
    for mode_index, mode in enumerate(MODES):
        chosen = list(range(1, points + 1)) if full else pick(points, per_mode)
        if not full and points > per_mode and mode_index > 0:
            # Different modes try different points: the subset covers more of the command.
            shift = mode_index * max(1, points // (per_mode * len(MODES)))
            chosen = sorted({min(points, max(1, c + shift)) for c in chosen})
        for at in chosen:
            s.restore_template()
            sc.before_trial(s)
            p = s.faulted(sc.argv(s), sc.stdin, at=at, mode=mode, extra=extra)
            rc = p.returncode
            counts["trials"] += 1
            counts["exit_codes"][str(rc)] = counts["exit_codes"].get(str(rc), 0) + 1
            where = f"{sc.name} {mode} at call {at}/{points} ({' '.join(calls[at - 1][1:])}): exit {rc}"
            st, err = s.state(sc)
            if err:
                counts["bricked"] += 1
                violations.append(f"{where}: bricked: {err} | command said: "
                                  f"{p.stderr.decode(errors='replace').strip()}")
                continue
            # A new key is random: it differs from the clean run's too. A re-key is one commit and
            # the audit anchor of its entry a second (docs/format-audit.md section 9): a run stopped
            # between them holds the new state one revision short, which the next write anchors.
            if (rotates and st != old and len(st) == len(new) and st[0] in (new[0], new[0] - 1) and
                    st[2:] == new[2:] and (len(old) < 2 or st[1] != old[1])):
                st = new
            if st == old:
                is_new = False
            elif st == new:
                is_new = True
            else:
                counts["mixed"] += 1
                violations.append(f"{where}: neither the old nor the new state: {st!r} "
                                  f"(old: revision {old[0]}, new: revision {new[0]})")
                continue
            if rc < 0 and rc != -9:
                counts["crashed"] += 1
                violations.append(f"{where}: crashed (signal {-rc})")
            elif rc < 0:
                counts["killed_new" if is_new else "killed_old"] += 1
            elif rc == 0 or rc == 19:
                counts["applied" if rc == 0 else "applied_followup_failed"] += 1
                if not is_new:
                    counts["lying_exit"] += 1
                    violations.append(f"{where}: reported applied but the change is not there")
                elif rc == 0 and hasattr(sc, "check_applied"):
                    e = sc.check_applied(s, p)
                    if e:
                        counts["mixed"] += 1
                        violations.append(f"{where}: {e}")
            else:
                counts["not_applied"] += 1
                if is_new:
                    counts["lying_exit"] += 1
                    violations.append(f"{where}: reported failed but the change was made: "
                                      f"{p.stderr.decode(errors='replace').strip()}")
            a = s.audit_ok(sc)
            if a:
                counts["audit_broken"] += 1
                violations.append(f"{where}: {a}")
            n = s.next_ok(sc)
            if n:
                counts["next_failed"] += 1
                violations.append(f"{where}: {n}")
    return counts, violations


def main():
    if not KW or not SHIM or not os.path.exists(SHIM):
        print("KEYWARD_BIN and KEYWARD_FAULT_SHIM must be set", file=sys.stderr)
        return 2
    if shutil.which("age-keygen") is None:
        print("age-keygen not installed; skipping", file=sys.stderr)
        return 77
    want = sys.argv[1] if len(sys.argv) > 1 else "all"
    full = os.environ.get("KEYWARD_FAULT_FULL") == "1"
    per_mode = int(os.environ.get("KEYWARD_FAULT_POINTS", "10"))
    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    report = {}
    failed = False
    for cls in SCENARIOS:
        sc = cls()
        if want != "all" and sc.name != want:
            continue
        root = tempfile.mkdtemp(prefix=f"kwfault-{sc.name}.", dir=base)
        try:
            counts, violations = run_scenario(sc, root, full, per_mode)
        finally:
            shutil.rmtree(root, ignore_errors=True)
        report[sc.name] = counts
        bad = counts["bricked"] + counts["mixed"] + counts["lying_exit"] + counts["crashed"] + \
            counts["audit_broken"] + counts["next_failed"]
        print(f"{sc.name}: {counts['points']} write-class calls, {counts['trials']} trials "
              f"({'full' if full else 'subset'}): applied {counts['applied']}, not applied "
              f"{counts['not_applied']}, applied+follow-up failed "
              f"{counts['applied_followup_failed']}, killed old/new {counts['killed_old']}/"
              f"{counts['killed_new']}; bricked {counts['bricked']}, mixed {counts['mixed']}, "
              f"crashed {counts['crashed']}, "
              f"lying exit codes {counts['lying_exit']}, audit broken {counts['audit_broken']}, "
              f"next command failed {counts['next_failed']}; exit codes {counts['exit_codes']}")
        for v in violations:
            print("  VIOLATION: " + v)
        failed = failed or bad > 0
    if not report:
        print(f"no scenario named {want}", file=sys.stderr)
        return 2
    out = os.environ.get("KEYWARD_FAULT_REPORT")
    if out:
        with open(out, "w") as f:
            json.dump(report, f, indent=1, sort_keys=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
