// Package drill measures the recovery objectives a spec promises.
//
// RPO crashes a scratch redis-server, configured with the target's
// persistence directives, while a client writes to it, restarts it from
// its own files and counts the acknowledged writes that did not come
// back. RTO times the proof that a backup restores: verification, then a
// restore into a scratch server until it answers, then the key comparison.
//
// A drill never changes a target (RPO reads its INFO to run its release):
// every server it runs is its own, on a
// free loopback port in a temporary directory, and is killed (and its
// directory removed) before the drill returns, whether it succeeded or
// not. Nothing here prints: progress goes to the Emit callbacks, and
// JudgeRPO and JudgeRTO compare figures with an objective without I/O.
package drill

import "github.com/redisplan/redisplan/executors/server"

// EnvRedisServer names the redis-server binary the drills run: a path, or
// a name looked up in PATH. Without it, RPO runs a binary of the target's
// release (server.BinaryOf) and RTO one of the backup's engine.
const EnvRedisServer = server.EnvBinary
