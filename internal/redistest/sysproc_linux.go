package redistest

import "syscall"

// sysProcAttr puts the server in its own process group, so that it and its
// fork children can be killed together, and has the kernel kill it if the
// test binary dies before its cleanup runs.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
