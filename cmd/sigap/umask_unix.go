//go:build unix

package main

import "syscall"

// privateFiles makes whatever this process creates readable by its own user
// only. The SQLite store creates its files 0600 itself; the umask covers
// every other file and folder, present or to come, and holds when sigap is
// run by hand rather than by the systemd unit (which sets UMask=0077 too).
func privateFiles() { syscall.Umask(0o077) }
