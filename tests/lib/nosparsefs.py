#!/usr/bin/python3
# A stand-in for a file system without sparse files (vfat, exfat), for
# tests/integration/freeze.sh on kernels without those modules.
#
#   nosparsefs.py BACKING MOUNTPOINT
#
# A FUSE pass-through to the directory BACKING, run in the foreground (until
# MOUNTPOINT is unmounted), mounted allow_other so that users other than the
# one running it (aoede's blockd user) can use it.  Everything is passed
# through, with one difference: a file never has holes.  Whenever a file is
# extended past its end (a write beyond EOF, a truncate that grows it), the
# gap is written with zeros in the backing file, as vfat does; st_blocks
# comes from the backing file, so it shows the full allocation.
#
# There is no fallocate: the kernel answers EOPNOTSUPP and glibc's
# posix_fallocate() falls back to writing.  Attributes are not cached
# (attr_timeout=0), so fstat() always sees the backing file's st_blocks.
# Needs Debian's python3-fusepy (module "fusepy"; "fuse" for pip's fusepy).
import errno
import os
import sys
import threading

try:
    from fusepy import FUSE, FuseOSError, Operations, fuse_get_context
except ImportError:
    from fuse import FUSE, FuseOSError, Operations, fuse_get_context

ZEROS = bytes(1 << 20)


class NoSparse(Operations):
    use_ns = True		# utimens in nanoseconds

    def __init__(self, root):
        self.root = os.path.realpath(root)
        # an extension (fill the gap, then write) must not interleave with
        # another write to the same file: one lock is plenty for a test
        self.mutex = threading.Lock()

    def _path(self, path):
        return os.path.join(self.root, path.lstrip('/'))

    def _owner(self, path):
        # new files and directories belong to the caller, as on a real fs
        uid, gid, _ = fuse_get_context()
        os.lchown(path, uid, gid)

    @staticmethod
    def _fill(fd, start, end):
        """Write zeros over [start, end) of fd: really allocated."""
        while start < end:
            n = os.pwrite(fd, ZEROS[:min(len(ZEROS), end - start)], start)
            start += n

    def _extend(self, fd, length):
        size = os.fstat(fd).st_size
        if length > size:
            self._fill(fd, size, length)

    # --- attributes and directories -----------------------------------------
    def getattr(self, path, fh=None):
        # fh: a file descriptor, or a NULL pointer (false) for a path
        st = os.fstat(fh) if fh else os.lstat(self._path(path))
        attrs = {k: getattr(st, k) for k in (
            'st_mode', 'st_ino', 'st_nlink', 'st_uid', 'st_gid', 'st_rdev',
            'st_size', 'st_blocks', 'st_blksize')}
        for k in ('st_atime', 'st_mtime', 'st_ctime'):
            attrs[k] = getattr(st, k + '_ns')
        return attrs

    def access(self, path, amode):
        # allow_other without default_permissions: the caller is not
        # checked here, as in a plain pass-through
        if not os.path.lexists(self._path(path)):
            raise FuseOSError(errno.ENOENT)

    def chmod(self, path, mode):
        os.chmod(self._path(path), mode)

    def chown(self, path, uid, gid):
        os.lchown(self._path(path), uid, gid)

    def utimens(self, path, times=None):
        os.utime(self._path(path), ns=times, follow_symlinks=False)

    def readdir(self, path, fh):
        return ['.', '..'] + os.listdir(self._path(path))

    def mkdir(self, path, mode):
        p = self._path(path)
        os.mkdir(p, mode)
        self._owner(p)

    def rmdir(self, path):
        os.rmdir(self._path(path))

    def unlink(self, path):
        os.unlink(self._path(path))

    def rename(self, old, new):
        os.rename(self._path(old), self._path(new))

    def readlink(self, path):
        return os.readlink(self._path(path))

    def symlink(self, target, source):
        p = self._path(target)
        os.symlink(source, p)
        self._owner(p)

    def statfs(self, path):
        sv = os.statvfs(self._path(path))
        return {k: getattr(sv, k) for k in (
            'f_bsize', 'f_frsize', 'f_blocks', 'f_bfree', 'f_bavail',
            'f_files', 'f_ffree', 'f_favail', 'f_flag', 'f_namemax')}

    def fsyncdir(self, path, datasync, fh):
        fd = os.open(self._path(path), os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    # --- files ----------------------------------------------------------------
    def create(self, path, mode, fi=None):
        # read-write whatever the caller asked: the kernel may read through
        # this handle for a shared mapping
        p = self._path(path)
        fd = os.open(p, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
        self._owner(p)
        return fd

    def open(self, path, flags):
        flags &= ~(os.O_CREAT | os.O_EXCL | os.O_APPEND)
        if flags & os.O_ACCMODE == os.O_WRONLY:
            flags = flags & ~os.O_ACCMODE | os.O_RDWR
        return os.open(self._path(path), flags | os.O_NOFOLLOW)

    def read(self, path, size, offset, fh):
        return os.pread(fh, size, offset)

    def write(self, path, data, offset, fh):
        with self.mutex:
            self._extend(fh, offset)
            return os.pwrite(fh, data, offset)

    def truncate(self, path, length, fh=None):
        fd = fh if fh else os.open(self._path(path), os.O_RDWR | os.O_NOFOLLOW)
        try:
            with self.mutex:
                if length > os.fstat(fd).st_size:
                    self._extend(fd, length)
                else:
                    os.ftruncate(fd, length)
        finally:
            if not fh:
                os.close(fd)

    def flush(self, path, fh):
        pass

    def fsync(self, path, datasync, fh):
        if datasync:
            os.fdatasync(fh)
        else:
            os.fsync(fh)

    def release(self, path, fh):
        os.close(fh)


def main():
    if len(sys.argv) != 3:
        sys.exit('usage: nosparsefs.py BACKING MOUNTPOINT')
    FUSE(NoSparse(sys.argv[1]), sys.argv[2], foreground=True, allow_other=True,
         fsname='nosparsefs', attr_timeout=0, entry_timeout=0,
         negative_timeout=0)


if __name__ == '__main__':
    main()
