// Package server owns redis-server processes: finding the binary and its
// version, a free loopback port, running a server of redisplan's own
// (a scratch server for a drill, a test server) in a directory until it
// has loaded its data and stopping it by PID or with SHUTDOWN, and, for a
// target's server, which runs under a service manager: running its
// service commands, waiting until it has loaded its data, and telling
// whether anything still answers at its address.
//
// It decides nothing about data: restore and live's restart choose how to
// stop a target (SHUTDOWN SAVE or NOSAVE, the service's stop command, a
// kill on rollback) and what to check once it is back; they do it through
// this package.
//
// Processes started here run in a process group of their own, so that a
// fork child (BGSAVE, BGREWRITEAOF) never outlives its server, and on
// Linux the kernel kills them if redisplan dies first.
package server
