#!/usr/bin/python3
"""Runs a command on a new pseudo-terminal and answers its prompts, for tests of interactive paths.

usage: drive_tty.py SCRIPT CMD [ARG...]
SCRIPT holds "expected text|answer" lines: wait for the text, then type the answer and Enter.
Everything the command printed on the terminal is saved to SCRIPT.out; the exit code is the
command's. Waiting longer than 30 s for a prompt, or the command ending before it, fails."""
import os, pty, select, sys, time
script = [l.split("|", 1) for l in open(sys.argv[1]).read().splitlines() if l]
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
buf, seen = b"", b""
def read_until(text, timeout=30):
    global buf, seen
    end = time.time() + timeout
    while text.encode() not in buf:
        r, _, _ = select.select([fd], [], [], max(0, end - time.time()))
        if not r:
            sys.exit("pty: timed out waiting for %r; output so far: %r" % (text, seen))
        try:
            data = os.read(fd, 4096)
        except OSError:
            sys.exit("pty: program ended before %r; output: %r" % (text, seen))
        buf += data
        seen += data
    buf = buf[buf.index(text.encode()) + len(text):]
for want, answer in script:
    read_until(want)
    time.sleep(0.3)  # the prompt flushes pending input (TCSAFLUSH) after printing itself
    os.write(fd, (answer + "\n").encode())
while True:
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    seen += data
_, status = os.waitpid(pid, 0)
open(sys.argv[1] + ".out", "wb").write(seen)
sys.exit(os.waitstatus_to_exitcode(status))
