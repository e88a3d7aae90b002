//go:build !linux

package drill

import "syscall"

// sysProcAttr puts a scratch server in its own process group, so that it
// and its fork children can be killed together.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
