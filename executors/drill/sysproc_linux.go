package drill

import "syscall"

// sysProcAttr puts a scratch server in its own process group, so that it
// and its fork children can be killed together, and has the kernel kill it
// if redisplan dies first.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
