// Package osfs is the one layer that makes Unix system calls: opening
// without following links or blocking, file ownership, flock, process
// groups and the parent-death signal, rename-exchange and syncfs, and the
// descriptor-relative tree the extractor writes through. Everything above
// it (safefile, lock, proc, atomicdir, extract, install) is portable Go;
// a Windows port replaces this package's build-tagged files.
package osfs
