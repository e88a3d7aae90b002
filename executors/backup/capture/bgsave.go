package capture

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/live"
	"github.com/redisplan/redisplan/internal/redisinfo"
)

// pollInterval is how often the waits of this package ask the server again.
const pollInterval = 50 * time.Millisecond

// BGSave makes the server write a fresh RDB file and returns its path: the
// server's dir (CONFIG GET dir, or dataDir when it is not empty) joined
// with its dbfilename. The file holds every write the server acknowledged
// before BGSave was called.
//
// BGSave notes INFO persistence's rdb_saves, which Redis 7 increments when
// a save starts, and sends BGSAVE. When a save is already running it waits
// for that one to end and asks again, since that save started before the
// call; when another child (an AOF rewrite) runs, it sends BGSAVE SCHEDULE
// and Redis starts the save once the child is done. It then polls INFO
// persistence until a save that started after the request has finished,
// and requires rdb_last_bgsave_status:ok. Servers without rdb_saves are
// followed through rdb_last_save_time and rdb_changes_since_last_save.
//
// info holds the INFO fields read right after the save (the default
// sections: server, memory, persistence and keyspace among them) for the
// backup's manifest. configCmd is the name CONFIG is reachable under.
//
// Backups read the save while it is written (FollowBGSave); BGSave is the
// same save read only once it has ended.
func BGSave(ctx context.Context, c *redis.Client, configCmd, dataDir string) (path string, info map[string]string, err error) {
	s, _, err := beginSave(ctx, c, configCmd, dataDir)
	if err != nil {
		return "", nil, err
	}
	if err := s.waitEnd(); err != nil {
		return "", nil, err
	}
	return s.path, s.info, nil
}

// BGSaveNamed is BGSave for a caller that knows where the server's files
// are and whose server may have BGSAVE renamed: it sends the save under
// name, waits as BGSave does until a save that started after the call has
// ended, requires rdb_last_bgsave_status:ok and returns INFO persistence as
// it was then. It needs no CONFIG command.
func BGSaveNamed(ctx context.Context, c *redis.Client, name string) (map[string]string, error) {
	ep := endpointOf(c)
	mark, how, err := startSave(ctx, c, ep, name)
	if err != nil {
		return nil, err
	}
	info, err := waitSave(ctx, c, ep, mark, how)
	if err != nil {
		return nil, err
	}
	if st := info["rdb_last_bgsave_status"]; st != "ok" {
		return nil, ep.Errorf(nil, "BGSAVE on %s failed: the server reports rdb_last_bgsave_status:%s; "+
			"its log says why (often a full disk, or a dir the server cannot write)", ep.Addr(), orUnknown(st))
	}
	return info, nil
}

// beginSave finds where the server writes its RDB and requests the save.
// It returns the save and the server's dir.
func beginSave(ctx context.Context, c *redis.Client, configCmd, dataDir string) (*Save, string, error) {
	ep := endpointOf(c)
	dir, path, err := savePaths(ctx, c, ep, configCmd, dataDir)
	if err != nil {
		return nil, "", err
	}
	s := &Save{ctx: ctx, c: c, ep: ep, path: path}
	s.mark, s.how, err = startSave(ctx, c, ep, "BGSAVE")
	if err != nil {
		return nil, "", err
	}
	return s, dir, nil
}

// savePaths returns the server's dir (dataDir when it is not empty) and
// the path of its RDB file.
func savePaths(ctx context.Context, c *redis.Client, ep endpoint, configCmd, dataDir string) (dir, path string, err error) {
	cfg, err := live.ConfigGet(ctx, c, configCmd, "dir", "dbfilename")
	if err != nil {
		return "", "", err
	}
	dir = dataDir
	if dir == "" {
		dir = cfg["dir"]
		if dir == "" {
			return "", "", ep.Errorf(nil, "CONFIG GET dir on %s returned nothing: the server cannot name its working "+
				"directory (it may have been removed); check the server, or set the target's data_dir", ep.Addr())
		}
	}
	name := cfg["dbfilename"]
	if name == "" {
		return "", "", ep.Errorf(nil, "CONFIG GET dbfilename on %s returned nothing; is this a Redis server?", ep.Addr())
	}
	return dir, filepath.Join(dir, name), nil
}

// accepted is how the server took a save request.
type accepted int

const (
	// busy: a save was already running; it started before the request.
	busy accepted = iota
	// started: the server forked our save.
	started
	// scheduled: another child runs; the server starts the save after it.
	scheduled
)

// saveMark is what INFO persistence said right before a save request.
type saveMark struct {
	saves    int64 // rdb_saves: saves started since the server started
	hasSaves bool  // false before Redis 7.0
	lastSave int64 // rdb_last_save_time
	changes  int64 // rdb_changes_since_last_save
	status   string
}

func markOf(info map[string]string) saveMark {
	m := saveMark{status: info["rdb_last_bgsave_status"]}
	m.saves, m.hasSaves = redisinfo.Int(info, "rdb_saves")
	m.lastSave, _ = redisinfo.Int(info, "rdb_last_save_time")
	m.changes, _ = redisinfo.Int(info, "rdb_changes_since_last_save")
	return m
}

// startSave asks the server for a save until it takes one that starts
// after the request, waiting out any save that was already running. It
// returns what INFO said right before the request that was taken.
func startSave(ctx context.Context, c *redis.Client, ep endpoint, name string) (saveMark, accepted, error) {
	for {
		info, err := live.Info(ctx, c, "persistence")
		if err != nil {
			return saveMark{}, 0, err
		}
		mark := markOf(info)
		how, err := requestSave(ctx, c, ep, name)
		if err != nil {
			return saveMark{}, 0, err
		}
		if how != busy {
			return mark, how, nil
		}
		if err := waitNoSave(ctx, c, ep); err != nil {
			return saveMark{}, 0, err
		}
	}
}

// requestSave sends BGSAVE (under the given name), and BGSAVE SCHEDULE when
// another child process keeps BGSAVE from starting.
func requestSave(ctx context.Context, c *redis.Client, ep endpoint, name string) (accepted, error) {
	reply, err := c.Do(ctx, name).Text()
	if err == nil {
		return acceptedBy(reply), nil
	}
	msg, isReply := replyText(err)
	switch {
	case isReply && saveRunning(msg):
		return busy, nil
	case isReply && strings.Contains(msg, "Another child process is active"):
		reply, err = c.Do(ctx, name, "SCHEDULE").Text()
		if err == nil {
			return acceptedBy(reply), nil
		}
		if msg, ok := replyText(err); ok && saveRunning(msg) {
			return busy, nil
		}
		return 0, ep.Explain("BGSAVE SCHEDULE", err)
	}
	return 0, ep.Explain("BGSAVE", err)
}

// acceptedBy reads BGSAVE's status reply: "Background saving started" or
// "Background saving scheduled".
func acceptedBy(reply string) accepted {
	if strings.Contains(strings.ToLower(reply), "scheduled") {
		return scheduled
	}
	return started
}

// saveRunning reports whether an error reply says an RDB child already
// runs (a BGSAVE, or a diskless transfer to a replica).
func saveRunning(msg string) bool {
	return strings.Contains(msg, "already in progress")
}

// waitNoSave waits until no RDB child runs.
func waitNoSave(ctx context.Context, c *redis.Client, ep endpoint) error {
	_, err := poll(ctx, c, func(info map[string]string) bool {
		return info["rdb_bgsave_in_progress"] == "0"
	}, func(last map[string]string, cause error) error {
		return ep.Errorf(cause, "waiting for the running save on %s to end before starting ours: %v "+
			"(rdb_bgsave_in_progress:%s); a large dataset needs more time", ep.Addr(), cause, orUnknown(last["rdb_bgsave_in_progress"]))
	})
	return err
}

// waitSave waits until a save that started after the request has ended,
// and returns INFO persistence as it was then.
func waitSave(ctx context.Context, c *redis.Client, ep endpoint, mark saveMark, how accepted) (map[string]string, error) {
	// Our own child was running when BGSAVE answered "started".
	sawRunning := how == started
	var restarted bool
	info, err := poll(ctx, c, func(info map[string]string) bool {
		if n, ok := redisinfo.Int(info, "rdb_saves"); ok && mark.hasSaves && n < mark.saves {
			restarted = true
			return true
		}
		if how == scheduled && info["rdb_bgsave_in_progress"] == "1" {
			// No RDB child ran when the save was scheduled: this one
			// started after the request.
			sawRunning = true
		}
		return saveFinished(mark, info, sawRunning)
	}, func(last map[string]string, cause error) error {
		what := "the save"
		if how == scheduled {
			what = "the scheduled save (it starts when the running AOF rewrite ends)"
		}
		return ep.Errorf(cause, "waiting for BGSAVE on %s: %s had not finished: %v (rdb_bgsave_in_progress:%s "+
			"rdb_saves:%s aof_rewrite_in_progress:%s); a large dataset needs more time",
			ep.Addr(), what, cause, orUnknown(last["rdb_bgsave_in_progress"]), orUnknown(last["rdb_saves"]),
			orUnknown(last["aof_rewrite_in_progress"]))
	})
	if err != nil {
		return nil, err
	}
	if restarted {
		return nil, ep.Errorf(nil, "BGSAVE on %s: the server restarted during the save (rdb_saves went from %d to %s); "+
			"run the backup again", ep.Addr(), mark.saves, info["rdb_saves"])
	}
	return info, nil
}

// saveFinished reports whether INFO persistence shows that a save started
// after the mark was taken has ended. sawRunning says whether such a save
// was seen running.
func saveFinished(mark saveMark, info map[string]string, sawRunning bool) bool {
	if info["rdb_bgsave_in_progress"] != "0" {
		return false
	}
	if mark.hasSaves {
		n, ok := redisinfo.Int(info, "rdb_saves")
		return ok && n > mark.saves
	}
	if sawRunning {
		return true
	}
	// Before Redis 7.0: a successful save moves rdb_last_save_time (to
	// the second) and resets rdb_changes_since_last_save; a failed one
	// turns the status to err.
	if t, ok := redisinfo.Int(info, "rdb_last_save_time"); ok && t > mark.lastSave {
		return true
	}
	if n, ok := redisinfo.Int(info, "rdb_changes_since_last_save"); ok && n < mark.changes {
		return true
	}
	return mark.status == "ok" && info["rdb_last_bgsave_status"] == "err"
}

// poll reads INFO persistence every pollInterval until done says so, and
// returns the fields that satisfied it. When ctx ends first, timeout
// explains why from the last fields read (nil when none was).
func poll(ctx context.Context, c *redis.Client, done func(map[string]string) bool,
	timeout func(last map[string]string, cause error) error) (map[string]string, error) {
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	last := map[string]string{}
	for {
		info, err := live.Info(ctx, c, "persistence")
		if err != nil && ctx.Err() == nil {
			return nil, err
		}
		if err == nil {
			last = info
			if done(info) {
				return info, nil
			}
		}
		select {
		case <-ctx.Done():
			return nil, timeout(last, ctx.Err())
		case <-ticker.C:
		}
	}
}

// String is for test messages.
func (a accepted) String() string {
	switch a {
	case busy:
		return "busy"
	case started:
		return "started"
	case scheduled:
		return "scheduled"
	}
	return fmt.Sprintf("accepted(%d)", int(a))
}
