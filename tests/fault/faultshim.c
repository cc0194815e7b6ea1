/* Fault-injection shim for the fault sweep (tests/fault/fault_sweep.py), loaded with LD_PRELOAD
 * into one keyward process.
 *
 * It numbers every write-class call the process makes (write/pwrite/writev to a file, fsync,
 * fdatasync, ftruncate, rename, link, unlink, mkdir, chmod, and every open that may create or
 * write a file) and, at call number KW_FAULT_AT, injects KW_FAULT_MODE instead of making it:
 *   kill    SIGKILL before the call (the process dies with the call not made)
 *   eio     the call fails with EIO
 *   enospc  the call fails with ENOSPC
 *   torn    a write (write, pwrite, writev) puts the first half of its bytes in the file, then
 *           the process is killed: a write cut short by a crash or a full disk; any other call
 *           is killed as in "kill"
 * With KW_FAULT_LOG=FILE every numbered call is appended to FILE as "N name detail", which is
 * how the sweep counts the points of a command (a count run without KW_FAULT_AT).
 * KW_FAULT_MATCH=TEXT numbers (and faults) only the calls whose file name contains TEXT, so a
 * test can aim at one file (the pin, a temporary) whatever else the command writes.
 * Writes to descriptors 0-2 (the terminal, pipes to the caller) are not counted: a command that
 * cannot print is not a storage fault.
 * KW_FAULT_TIME=SECONDS makes time() and clock_gettime(CLOCK_REALTIME) return that wall-clock
 * time (negative: before 1970). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static long fault_at = -1; /* 1-based; -1: none */
static int fault_errno = 0; /* 0: kill */
static int fault_torn = 0;  /* with fault_errno 0: a write is cut in half, then the kill */
static int log_fd = -1;
static long counter = 0;
static int initialised = 0;
static int fake_time = 0;
static long long fake_seconds = 0;
static const char* match = NULL;

static ssize_t (*real_write)(int, const void*, size_t);

static void init(void) {
  if (initialised) return;
  initialised = 1;
  real_write = (ssize_t(*)(int, const void*, size_t))dlsym(RTLD_NEXT, "write");
  const char* at = getenv("KW_FAULT_AT");
  if (at != NULL && *at != '\0') fault_at = strtol(at, NULL, 10);
  const char* mode = getenv("KW_FAULT_MODE");
  if (mode != NULL && strcmp(mode, "eio") == 0) fault_errno = EIO;
  if (mode != NULL && strcmp(mode, "enospc") == 0) fault_errno = ENOSPC;
  if (mode != NULL && strcmp(mode, "torn") == 0) fault_torn = 1;
  const char* log = getenv("KW_FAULT_LOG");
  if (log != NULL && *log != '\0') {
    int (*real_open)(const char*, int, ...) =
        (int (*)(const char*, int, ...))dlsym(RTLD_NEXT, "open");
    log_fd = real_open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  }
  match = getenv("KW_FAULT_MATCH");
  if (match != NULL && *match == '\0') match = NULL;
  const char* t = getenv("KW_FAULT_TIME");
  if (t != NULL && *t != '\0') {
    fake_time = 1;
    fake_seconds = strtoll(t, NULL, 10);
  }
}

__attribute__((constructor)) static void shim_ctor(void) { init(); }

static void die(void) {
  raise(SIGKILL);
  for (;;) pause();
}

/* Numbers a call; returns -1 (errno set) when the fault is injected, 0 to make the call, 1 when
 * a torn write is due (write_point: the caller writes half and is killed). */
static int point_or_torn(const char* name, const char* detail, int can_tear) {
  init();
  if (match != NULL && (detail == NULL || strstr(detail, match) == NULL)) return 0;
  long n = ++counter;
  if (log_fd >= 0) {
    char line[512];
    int len = snprintf(line, sizeof line, "%ld %s %s\n", n, name, detail ? detail : "");
    if (len > 0) real_write(log_fd, line, (size_t)len < sizeof line ? (size_t)len : sizeof line - 1);
  }
  if (n != fault_at) return 0;
  if (fault_torn && can_tear) return 1;
  if (fault_errno == 0) die();
  errno = fault_errno;
  return -1;
}

static int point(const char* name, const char* detail) { return point_or_torn(name, detail, 0); }

static const char* fd_name(int fd, char* buf, size_t size) {
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(proc, buf, size - 1);
  if (n < 0) n = 0;
  buf[n] = '\0';
  const char* slash = strrchr(buf, '/');
  return slash ? slash + 1 : buf;
}

#define REAL(ret, name, args) \
  static ret(*real)args = NULL; \
  if (real == NULL) real = (ret(*)args)dlsym(RTLD_NEXT, #name)

#define FD_POINT(name, fd)                                            \
  do {                                                                \
    if ((fd) > 2 && (fd) != log_fd) {                                 \
      char buf_[256];                                                 \
      if (point(name, fd_name(fd, buf_, sizeof buf_)) != 0) return -1; \
    }                                                                 \
  } while (0)

static const char* base(const char* path) {
  const char* slash = path ? strrchr(path, '/') : NULL;
  return slash ? slash + 1 : (path ? path : "");
}

/* A write-class call on a descriptor: 1 when a torn write is due (the caller writes half of its
 * bytes and dies), -1 when the call is to fail, 0 to make it. */
static int write_point(const char* name, int fd) {
  if (fd <= 2 || fd == log_fd) return 0;
  char buf[256];
  return point_or_torn(name, fd_name(fd, buf, sizeof buf), 1);
}

ssize_t write(int fd, const void* b, size_t n) {
  init();
  int p = write_point("write", fd);
  if (p < 0) return -1;
  if (p > 0) {
    real_write(fd, b, n / 2);
    die();
  }
  return real_write(fd, b, n);
}
ssize_t pwrite(int fd, const void* b, size_t n, off_t off) {
  REAL(ssize_t, pwrite, (int, const void*, size_t, off_t));
  int p = write_point("pwrite", fd);
  if (p < 0) return -1;
  if (p > 0) {
    real(fd, b, n / 2, off);
    die();
  }
  return real(fd, b, n, off);
}
ssize_t pwrite64(int fd, const void* b, size_t n, off_t off) {
  REAL(ssize_t, pwrite64, (int, const void*, size_t, off_t));
  int p = write_point("pwrite64", fd);
  if (p < 0) return -1;
  if (p > 0) {
    real(fd, b, n / 2, off);
    die();
  }
  return real(fd, b, n, off);
}
ssize_t writev(int fd, const struct iovec* v, int c) {
  REAL(ssize_t, writev, (int, const struct iovec*, int));
  int p = write_point("writev", fd);
  if (p < 0) return -1;
  if (p > 0) {
    /* Half of the total, vector by vector. */
    size_t total = 0;
    for (int i = 0; i < c; ++i) total += v[i].iov_len;
    size_t left = total / 2;
    for (int i = 0; i < c && left > 0; ++i) {
      size_t n = v[i].iov_len < left ? v[i].iov_len : left;
      real_write(fd, v[i].iov_base, n);
      left -= n;
    }
    die();
  }
  return real(fd, v, c);
}
int fsync(int fd) {
  REAL(int, fsync, (int));
  FD_POINT("fsync", fd);
  return real(fd);
}
int fdatasync(int fd) {
  REAL(int, fdatasync, (int));
  FD_POINT("fdatasync", fd);
  return real(fd);
}
int ftruncate(int fd, off_t len) {
  REAL(int, ftruncate, (int, off_t));
  FD_POINT("ftruncate", fd);
  return real(fd, len);
}
int ftruncate64(int fd, off_t len) {
  REAL(int, ftruncate64, (int, off_t));
  FD_POINT("ftruncate64", fd);
  return real(fd, len);
}
int fchmod(int fd, mode_t m) {
  REAL(int, fchmod, (int, mode_t));
  FD_POINT("fchmod", fd);
  return real(fd, m);
}

#define PATH_POINT(name, path)                          \
  do {                                                  \
    if (point(name, base(path)) != 0) return -1;        \
  } while (0)

int rename(const char* a, const char* b) {
  REAL(int, rename, (const char*, const char*));
  PATH_POINT("rename", b);
  return real(a, b);
}
int renameat(int d1, const char* a, int d2, const char* b) {
  REAL(int, renameat, (int, const char*, int, const char*));
  PATH_POINT("renameat", b);
  return real(d1, a, d2, b);
}
int renameat2(int d1, const char* a, int d2, const char* b, unsigned f) {
  REAL(int, renameat2, (int, const char*, int, const char*, unsigned));
  PATH_POINT("renameat2", b);
  return real(d1, a, d2, b, f);
}
int link(const char* a, const char* b) {
  REAL(int, link, (const char*, const char*));
  PATH_POINT("link", b);
  return real(a, b);
}
int unlink(const char* p) {
  REAL(int, unlink, (const char*));
  PATH_POINT("unlink", p);
  return real(p);
}
int unlinkat(int d, const char* p, int f) {
  REAL(int, unlinkat, (int, const char*, int));
  PATH_POINT("unlinkat", p);
  return real(d, p, f);
}
int mkdir(const char* p, mode_t m) {
  REAL(int, mkdir, (const char*, mode_t));
  PATH_POINT("mkdir", p);
  return real(p, m);
}
int chmod(const char* p, mode_t m) {
  REAL(int, chmod, (const char*, mode_t));
  PATH_POINT("chmod", p);
  return real(p, m);
}

static int writes(int flags) { return (flags & (O_CREAT | O_WRONLY | O_RDWR | O_TRUNC)) != 0; }

/* Opens that may create or write; the faults of opening for reading are not storage faults. */
#define OPEN_BODY(name, call)                                   \
  mode_t mode = 0;                                              \
  if (flags & (O_CREAT | O_TMPFILE)) {                          \
    va_list ap;                                                 \
    va_start(ap, flags);                                        \
    mode = (mode_t)va_arg(ap, int);                             \
    va_end(ap);                                                 \
  }                                                             \
  if (writes(flags) && point(name, base(path)) != 0) return -1; \
  return call

int open(const char* path, int flags, ...) {
  REAL(int, open, (const char*, int, ...));
  OPEN_BODY("open", real(path, flags, mode));
}
int open64(const char* path, int flags, ...) {
  REAL(int, open64, (const char*, int, ...));
  OPEN_BODY("open", real(path, flags, mode));
}
int openat(int dirfd, const char* path, int flags, ...) {
  REAL(int, openat, (int, const char*, int, ...));
  OPEN_BODY("openat", real(dirfd, path, flags, mode));
}
int openat64(int dirfd, const char* path, int flags, ...) {
  REAL(int, openat64, (int, const char*, int, ...));
  OPEN_BODY("openat", real(dirfd, path, flags, mode));
}
int __open_2(const char* path, int flags) {
  REAL(int, __open_2, (const char*, int));
  if (writes(flags) && point("open", base(path)) != 0) return -1;
  return real(path, flags);
}
int __open64_2(const char* path, int flags) {
  REAL(int, __open64_2, (const char*, int));
  if (writes(flags) && point("open", base(path)) != 0) return -1;
  return real(path, flags);
}
int mkostemp(char* tmpl, int flags) {
  REAL(int, mkostemp, (char*, int));
  if (point("mkostemp", base(tmpl)) != 0) return -1;
  return real(tmpl, flags);
}
int mkstemp(char* tmpl) {
  REAL(int, mkstemp, (char*));
  if (point("mkstemp", base(tmpl)) != 0) return -1;
  return real(tmpl);
}

time_t time(time_t* out) {
  REAL(time_t, time, (time_t*));
  init();
  if (!fake_time) return real(out);
  if (out != NULL) *out = (time_t)fake_seconds;
  return (time_t)fake_seconds;
}
int clock_gettime(clockid_t clk, struct timespec* ts) {
  REAL(int, clock_gettime, (clockid_t, struct timespec*));
  init();
  if (!fake_time || (clk != CLOCK_REALTIME && clk != CLOCK_REALTIME_COARSE)) return real(clk, ts);
  ts->tv_sec = (time_t)fake_seconds;
  ts->tv_nsec = 0;
  return 0;
}
