#!/usr/bin/python3
"""Runs a command on a new pseudo-terminal and answers its prompts, for tests of interactive paths.

usage: drive_tty.py SCRIPT CMD [ARG...]
SCRIPT holds "expected text|answer" lines: wait for the text, then type the answer and Enter.
Everything the command printed on the terminal is saved to SCRIPT.out; the exit code is the
command's. Waiting longer than 30 s for a prompt, or the command ending before it, fails.

The end of the output is found without a race: this process keeps the terminal's slave side open,
so the master never reads EIO while the command's last words are still in the kernel's buffers.
Once the command has exited, a marker is written to the slave; it comes out of the master after
everything the command wrote, so reading up to it reads all of the command's output."""
import fcntl, os, select, sys, termios, time

END = b"\x00drive_tty: end of output\x00"
script = [l.split("|", 1) for l in open(sys.argv[1]).read().splitlines() if l]
master, slave = os.openpty()
pid = os.fork()
if pid == 0:
    os.close(master)
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    for fd in (0, 1, 2):
        os.dup2(slave, fd)
    if slave > 2:
        os.close(slave)
    os.execv(sys.argv[2], sys.argv[2:])
buf, seen = b"", b""
status = None


def child_done():
    global status
    if status is None:
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = st
    return status is not None


def read_until(text, timeout=30):
    """Reads until TEXT has been seen; fails on a timeout or if the command ends first."""
    global buf, seen
    want = text.encode()
    end = time.time() + timeout
    while want not in buf:
        r, _, _ = select.select([master], [], [], 0.1)
        if r:
            data = os.read(master, 4096)
            buf += data
            seen += data
            continue
        if child_done():
            drain()
            if want in buf:
                break
            sys.exit("pty: program ended before %r; output: %r" % (text, seen))
        if time.time() > end:
            sys.exit("pty: timed out waiting for %r; output so far: %r" % (text, seen))
    buf = buf[buf.index(want) + len(want):]


def drain():
    """After the command exited: reads everything it wrote, up to the marker written after it."""
    global buf, seen
    os.write(slave, END)
    tail = b""
    while END not in tail:
        data = os.read(master, 4096)
        tail += data
    tail = tail[:tail.index(END)]
    buf += tail
    seen += tail


for want, answer in script:
    read_until(want)
    time.sleep(0.3)  # the prompt flushes pending input (TCSAFLUSH) after printing itself
    os.write(master, (answer + "\n").encode())
while not child_done():
    r, _, _ = select.select([master], [], [], 0.1)
    if r:
        seen += os.read(master, 4096)
drain()
open(sys.argv[1] + ".out", "wb").write(seen)
sys.exit(os.waitstatus_to_exitcode(status))
