//go:build !linux

package osfs

import "os"

// Pipe is os.Pipe where pipes cannot be resized.
func Pipe(int) (r, w *os.File, err error) { return os.Pipe() }

// StartWriteback does nothing where sync_file_range is missing: the
// fsync that follows does all the work.
func StartWriteback(*os.File) {}

// Pending is -1 where the bytes waiting in a pipe cannot be told.
func Pending(*os.File) int { return -1 }
