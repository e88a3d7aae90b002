// Package operations runs redisplan's commands below the CLI: Plan, Apply
// (replication groups and their rollout rules), Check with notification,
// and the backup, restore and drill runs. Each takes a loaded spec and
// returns typed results, reporting progress as events; the CLI parses
// arguments, calls one operation and renders what it returns. Tests call
// operations directly, without the CLI.
package operations
