package server

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ProcessAlive reports whether a process exists and is not a zombie
// (dead, waiting for its parent to reap it).
func ProcessAlive(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return !errors.Is(err, os.ErrNotExist) || !procMounted()
	}
	// pid (comm) STATE ...; comm may contain spaces and parentheses.
	i := bytes.LastIndexByte(stat, ')')
	return i < 0 || i+2 >= len(stat) || stat[i+2] != 'Z'
}

func procMounted() bool {
	_, err := os.Stat("/proc/self/stat")
	return err == nil
}

// IsServerProcess reports whether pid runs redis-server or valkey-server,
// so that a pid reused by something else is never killed. A server run
// through a dynamic loader (an engine unpacked with its own C library,
// started as "ld-linux-x86-64.so.2 --argv0 .../valkey-server ...") is
// known by the name the loader gives it.
func IsServerProcess(pid int) bool {
	comm, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	if err != nil {
		return false
	}
	c := strings.ToLower(strings.TrimSpace(string(comm)))
	if isServerName(c) {
		return true
	}
	if !strings.HasPrefix(c, "ld-") {
		return false
	}
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return false
	}
	args := strings.Split(string(cmdline), "\x00")
	for i, a := range args {
		if a == "--argv0" && i+1 < len(args) {
			return isServerName(strings.ToLower(filepath.Base(args[i+1])))
		}
	}
	return false
}

func isServerName(name string) bool {
	return strings.Contains(name, "redis") || strings.Contains(name, "valkey")
}

// KillPID kills a server process that redisplan did not start itself (a
// target's server, known by the pid it reported) with SIGKILL, with its
// fork children when it leads its process group, and waits until it is
// gone. A process that no longer runs is no error; one that is not a
// redis-server or valkey-server is not killed.
func KillPID(pid int) error {
	if pid <= 0 || !ProcessAlive(pid) {
		return nil
	}
	if !IsServerProcess(pid) {
		return fmt.Errorf("process %d, which the pidfile names, is not a redis-server: not killing it", pid)
	}
	if pg, err := syscall.Getpgid(pid); err == nil && pg == pid {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill the server (pid %d): %w", pid, err)
	}
	deadline := time.Now().Add(KillTimeout)
	for ProcessAlive(pid) {
		if time.Now().After(deadline) {
			return fmt.Errorf("the server (pid %d) still runs %s after SIGKILL", pid, KillTimeout)
		}
		time.Sleep(pollInterval)
	}
	return nil
}
