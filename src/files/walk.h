/*
 * walk.h - open a name beneath a directory descriptor one component at a
 * time, never letting the kernel follow a symlink or a "..".
 *
 * The fallback for openat2(RESOLVE_BENEATH) where the kernel or a seccomp
 * profile lacks it, with the same answers.  Each component is opened with
 * O_NOFOLLOW relative to a directory descriptor the walk holds, so no check
 * is separated from its use: swapping a directory for a symlink in the middle
 * of a walk can make it fail, never leave the start directory.  Symlinks are
 * followed by the walk itself: the link it opened is read (readlinkat on an
 * O_PATH descriptor of that very link); a relative target continues from the
 * link's directory; ".." goes back to a directory the walk holds and is
 * refused above the start; an absolute target is refused, even one that
 * points inside (RESOLVE_BENEATH does the same).
 */
#ifndef OTU_WALK_H
#define OTU_WALK_H

/* Symlinks followed in one walk, the kernel's MAXSYMLINKS: one more is ELOOP. */
#define WALK_HOPS_MAX 40
/* Directories held open at once (the ".." stack); a deeper walk is ENAMETOOLONG. */
#define WALK_DEPTH_MAX 128

/*
 * Opens path (relative) beneath dirfd with flags (open(2) flags for the last
 * component; O_CLOEXEC is added).  Returns the new descriptor, or -1 with
 * errno set: what the file system said (ENOENT, ENOTDIR, EACCES, EMFILE...);
 * EXDEV when the path or a symlink would leave dirfd's tree (".." above it,
 * an absolute path or link target); ELOOP after WALK_HOPS_MAX symlinks;
 * ENAMETOOLONG when path (PATH_MAX, as the kernel), a name, the path with
 * a link's target in it (2 * PATH_MAX) or the depth is over its limit.
 * Holds no descriptor after it returns, except the one it returns.
 */
int walk_open_beneath(int dirfd, const char *path, int flags);

#endif
