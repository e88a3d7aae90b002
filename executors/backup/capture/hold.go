package capture

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/live"
)

// rewriteSetting is the setting AOFSnapshot holds at heldValue while it
// copies the AOF directory.
const (
	rewriteSetting = "auto-aof-rewrite-percentage"
	heldValue      = "0"
	holdFormat     = "redisplan-aof-rewrite-hold/1"
)

// JournalName is the name of the lock journal (lock.Lock.Journal) that
// keeps a target's RewriteHold.
const JournalName = "aof-rewrite-hold"

// Journal keeps a RewriteHold across the death of the process that made
// it. lock.Journal is one: a file beside the target's lock, which the
// next run holds when it reads it.
type Journal interface {
	// Write stores data durably: it is on disk when Write returns.
	Write(data []byte) error
	// Read returns what Write stored, nil when nothing is.
	Read() ([]byte, error)
	// Remove forgets it.
	Remove() error
}

// RewriteHold is the record AOFSnapshot writes, durably, before it sets
// auto-aof-rewrite-percentage to 0: which server (and which process of
// it: its run_id), the value the setting had (the user's), and who holds
// it. A run killed while it holds rewrites off leaves it behind, and the
// next run puts the value back (ResumeRewrites): a 0 that redisplan set
// is never read back as the user's value.
type RewriteHold struct {
	Format   string `json:"format"`
	Address  string `json:"address"`
	RunID    string `json:"run_id"`
	Setting  string `json:"setting"`
	Original string `json:"original"`
	Held     string `json:"held"`
	// PID, ProcStart and Host are the process holding it.
	PID       int       `json:"pid"`
	ProcStart string    `json:"proc_start,omitempty"`
	Host      string    `json:"host"`
	Time      time.Time `json:"time"`
}

// ParseRewriteHold reads a record that AOFSnapshot wrote.
func ParseRewriteHold(b []byte) (RewriteHold, error) {
	var h RewriteHold
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(&h); err != nil {
		return RewriteHold{}, fmt.Errorf("record of held AOF rewrites: %w", err)
	}
	if h.Format != holdFormat || h.Setting != rewriteSetting || h.Address == "" || h.RunID == "" || h.Original == "" || h.PID <= 0 {
		return RewriteHold{}, errors.New("record of held AOF rewrites: incomplete, or not one redisplan wrote")
	}
	return h, nil
}

// Holding reports whether the process that wrote the record still runs
// on this host: its backup is still copying, and the hold is not a
// leftover.
func (h RewriteHold) Holding() bool {
	host, _ := os.Hostname()
	return h.Host == host && backup.ProcessRuns(h.PID, h.ProcStart)
}

// ResumeRewrites puts back auto-aof-rewrite-percentage that a run which
// died while holding rewrites off (the record h) left at 0, on the server
// c. It changes the setting only when the server is the same process
// (run_id) and still shows the held value: a server restarted since has
// its value from its configuration, and a value changed since is someone
// else's. It returns what it found and did, for the user.
func ResumeRewrites(ctx context.Context, c *redis.Client, configCmd string, h RewriteHold) (string, error) {
	ep := endpointOf(c)
	info, err := live.Info(ctx, c, "server")
	if err != nil {
		return "", err
	}
	cfg, err := live.ConfigGet(ctx, c, configCmd, rewriteSetting)
	if err != nil {
		return "", err
	}
	cur := cfg[rewriteSetting]
	killed := fmt.Sprintf("a backup run (pid %d, %s) that was stopped while it held automatic AOF rewrites off",
		h.PID, h.Time.UTC().Format(time.RFC3339))
	switch {
	case info["run_id"] != h.RunID:
		msg := fmt.Sprintf("%s restarted since %s; it has %s %s from its configuration, left as is", ep.Addr(), killed, rewriteSetting, cur)
		if cur == heldValue && h.Original != heldValue {
			msg += fmt.Sprintf(" (the value before that run was %s: if 0 is not meant, set it back in the config file)", h.Original)
		}
		return msg, nil
	case cur != h.Held:
		return fmt.Sprintf("%s on %s was changed to %s since %s, left as is", rewriteSetting, ep.Addr(), cur, killed), nil
	}
	if err := live.ConfigSet(ctx, c, configCmd, [][2]string{{rewriteSetting, h.Original}}); err != nil {
		return "", err
	}
	return fmt.Sprintf("put %s back to %s on %s, which %s had left at %s", rewriteSetting, h.Original, ep.Addr(), killed, h.Held), nil
}

// newHold is the record of this process holding rewrites off on the
// server c, whose value was original.
func newHold(ctx context.Context, c *redis.Client, original string) (RewriteHold, error) {
	info, err := live.Info(ctx, c, "server")
	if err != nil {
		return RewriteHold{}, err
	}
	if info["run_id"] == "" {
		return RewriteHold{}, fmt.Errorf("INFO server on %s reports no run_id", endpointOf(c).Addr())
	}
	host, _ := os.Hostname()
	return RewriteHold{
		Format:    holdFormat,
		Address:   endpointOf(c).Addr(),
		RunID:     info["run_id"],
		Setting:   rewriteSetting,
		Original:  original,
		Held:      heldValue,
		PID:       os.Getpid(),
		ProcStart: backup.ProcStart(os.Getpid()),
		Host:      host,
		Time:      time.Now().UTC(),
	}, nil
}
