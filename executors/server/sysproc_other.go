//go:build !linux

package server

import "syscall"

// sysProcAttr puts a server in its own process group, so that it and its
// fork children can be killed together.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
