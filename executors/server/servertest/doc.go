// Package servertest runs real redis-server processes for tests, through
// executors/server: the same start, wait-until-loaded and stop code that
// redisplan's drills use.
//
// Every server listens on a free loopback port, lives in its own
// temporary directory (with its config file and log file in it), and is
// stopped by PID when the test ends, whether it passed or not. There is no
// fake: when redis-server cannot be found the test fails and says how to
// install it, unless REDISPLAN_SKIP_REDIS=1 is set, in which case every test
// that asks for a server is skipped.
//
// The binary is taken from REDISPLAN_REDIS_SERVER (a path, or a name looked up
// in PATH) and otherwise from PATH ("redis-server").
//
// The package needs a Unix system: servers are signalled by PID and run in
// their own process group, so that a fork child (BGSAVE, BGREWRITEAOF) never
// outlives its server.
package servertest
