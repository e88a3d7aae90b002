package server

import "syscall"

// sysProcAttr puts a server in its own process group, so that it and its
// fork children can be killed together, and has the kernel kill it if the
// thread that started it dies first.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
