//go:build unix

package bench

import "syscall"

// syncDisks flushes the kernel's dirty pages to disk.
func syncDisks() { syscall.Sync() }
