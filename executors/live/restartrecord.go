package live

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/lock"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/redisinfo"
	"github.com/redisplan/redisplan/internal/secret"
)

const (
	// RestartRecordName is the lock journal (beside the target's lock)
	// in which Restart keeps its RestartRecord while the server is down.
	RestartRecordName   = "restart"
	restartRecordFormat = "redisplan-restart/1"
)

// RestartRecord is what Restart keeps durably (atomically, mode 0600)
// beside the target's lock from before it stops the server until the new
// process answers: which server, which process stopped it, and the keys
// per database before the stop. A restart that is killed while the
// server is down leaves it, and proves to the next run that redisplan
// stopped the server (with its data saved), so that it may start it.
type RestartRecord struct {
	Format  string    `json:"format"`
	Address string    `json:"address"`
	RunID   string    `json:"run_id"`
	PID     int       `json:"pid"`
	Start   string    `json:"proc_start,omitempty"`
	Host    string    `json:"host"`
	Time    time.Time `json:"time"`
	// Keys are the keys per database (INFO keyspace) before the stop.
	Keys map[int]int64 `json:"keys"`
	// Expires are those of Keys with a TTL, which may be gone after.
	Expires map[int]int64 `json:"expires"`
	// Mismatch, once set, says how the server redisplan left running
	// differs from Keys: its data must be looked at, and it refuses
	// writes (HeldSettings) until the user lets them in again.
	Mismatch string `json:"mismatch,omitempty"`
	// Held are the server's own values of HeldSettings from before
	// redisplan made it refuse writes, to be put back.
	Held [][2]string `json:"held,omitempty"`
}

func restartJournal(t *model.Target) lock.Journal {
	return lock.JournalAt(lock.PathFor(t.ConfigFile, t.Name, t.Connection.Address), RestartRecordName)
}

// ReadRestartRecord returns the record an interrupted restart of t left,
// nil when there is none.
func ReadRestartRecord(t *model.Target) (*RestartRecord, error) {
	data, err := restartJournal(t).Read()
	if err != nil || data == nil {
		return nil, err
	}
	var r RestartRecord
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&r); err != nil || r.Format != restartRecordFormat || r.PID <= 0 {
		return nil, fmt.Errorf("%s is not a record of a restart that redisplan wrote", restartJournal(t).Path())
	}
	return &r, nil
}

// Running reports whether the process that wrote the record still runs.
func (r *RestartRecord) Running() bool {
	host, _ := os.Hostname()
	return r.Host == host && backup.ProcessRuns(r.PID, r.Start)
}

// Words says what the record means, for messages.
func (r *RestartRecord) Words(t *model.Target) string {
	return fmt.Sprintf("a restart by redisplan apply (pid %d, %s) stopped the server after it saved its data, and was interrupted "+
		"before it started it again (its record: %s)", r.PID, r.Time.UTC().Format(time.RFC3339), restartJournal(t).Path())
}

// keyspaceOf reads INFO keyspace: keys and keys with a TTL per database.
func keyspaceOf(ctx context.Context, conn model.Connection) (keys, expires map[int]int64, err error) {
	c, err := Dial(conn)
	if err != nil {
		return nil, nil, err
	}
	defer c.Close()
	info, err := Info(ctx, c, "keyspace")
	if err != nil {
		return nil, nil, err
	}
	keys, expires = map[int]int64{}, map[int]int64{}
	for db, st := range redisinfo.Keyspace(info) {
		keys[db], expires[db] = st.Keys, st.Expires
	}
	return keys, expires, nil
}

// writeRestartRecord notes the server before Restart stops it.
func writeRestartRecord(ctx context.Context, t *model.Target, runID string) (*RestartRecord, error) {
	keys, expires, err := keyspaceOf(ctx, t.Connection)
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	r := &RestartRecord{Format: restartRecordFormat, Address: t.Connection.Address, RunID: runID, PID: os.Getpid(),
		Start: backup.ProcStart(os.Getpid()), Host: host, Time: time.Now().UTC(), Keys: keys, Expires: expires}
	if err := r.write(t); err != nil {
		return nil, fmt.Errorf("%w; the server was not stopped", err)
	}
	return r, nil
}

// write stores the record, durably.
func (r *RestartRecord) write(t *model.Target) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := restartJournal(t).Write(append(data, '\n')); err != nil {
		return fmt.Errorf("keep the record of the restart: %w", err)
	}
	return nil
}

// compareKeys says which databases hold fewer keys than the record noted
// (keys with a TTL may have expired meanwhile), "" when none.
func (r *RestartRecord) compareKeys(keys map[int]int64) string {
	var dbs []int
	for db := range r.Keys {
		dbs = append(dbs, db)
	}
	sort.Ints(dbs)
	var short []string
	for _, db := range dbs {
		if got := keys[db]; got < r.Keys[db]-r.Expires[db] {
			short = append(short, fmt.Sprintf("db%d holds %d keys, before the stop it held %d", db, got, r.Keys[db]))
		}
	}
	return strings.Join(short, "; ")
}

// RecoverRestart starts the server of t again when a restart that was
// interrupted after it stopped the server left it down: only when the
// restart's record proves that redisplan stopped it (after the server
// saved its data), and nothing answers at the address. It then compares
// the keys per database with those the record noted before the stop. It
// returns what it did ("" when there was nothing to do).
func RecoverRestart(ctx context.Context, t *model.Target) (did string, err error) {
	defer func() { err = secret.New(t.Secrets()...).Wrap(err) }()
	rec, err := ReadRestartRecord(t)
	if err != nil || rec == nil || rec.Address != t.Connection.Address {
		return "", err
	}
	if rec.Mismatch != "" {
		return recoverMismatch(ctx, t, rec)
	}
	if rec.Running() {
		return "", nil
	}
	if id, err := runIDOf(ctx, t.Connection); err != nil {
		return "", err
	} else if id != "" {
		// It answers: someone started it. The record has done its job.
		return "", restartJournal(t).Remove()
	}
	what := fmt.Sprintf("the server at %s was down: %s", t.Connection.Address, rec.Words(t))
	if t.Service == nil || len(t.Service.Start) == 0 {
		return "", fmt.Errorf("%s; the target has no service start command: start the server by hand", what)
	}
	if err := runService(ctx, "start", t.Service.Start, t.Connection.Password); err != nil {
		return "", fmt.Errorf("%s; starting it failed: %w", what, err)
	}
	runID, err := WaitReady(ctx, t.Connection)
	if err != nil {
		return "", fmt.Errorf("%s; its start command ran but it does not answer: %w", what, err)
	}
	keys, _, err := keyspaceOf(ctx, t.Connection)
	if err != nil {
		return "", err
	}
	if short := rec.compareKeys(keys); short != "" {
		return "", fmt.Errorf("%s; started it with the service start command (run_id %s), but %s: look at the data before "+
			"anything else (the record %s is kept); %s", what, shortRunID(runID), short, restartJournal(t).Path(), fence(ctx, t, rec, short))
	}
	if err := restartJournal(t).Remove(); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s; started it with the service start command (run_id %s): it holds the keys it held before the stop",
		what, shortRunID(runID)), nil
}

// recoverMismatch deals with the record of a server that redisplan left
// running with other data than it held before its stop, refusing writes
// (rec.Mismatch). While it still refuses them and lacks keys, nothing may
// go ahead. Once it holds its keys again (a restore, say), its values of
// HeldSettings are put back; once the user let writes in again, the
// mismatch counts as resolved by the user. Either way the record goes and
// the message says so.
func recoverMismatch(ctx context.Context, t *model.Target, rec *RestartRecord) (string, error) {
	earlier := fmt.Sprintf("a restart by redisplan apply (pid %d, %s) left the server at %s running with other data than it held "+
		"before its stop (%s), refusing writes (its record: %s)", rec.PID, rec.Time.UTC().Format(time.RFC3339), t.Connection.Address,
		rec.Mismatch, restartJournal(t).Path())
	id, err := runIDOf(ctx, t.Connection)
	if err != nil {
		return "", err
	}
	if id == "" {
		return "", fmt.Errorf("%s; the server is down now: look at its data files, start it, and let writes in again with %s "+
			"once its data is right; then run apply again", earlier, rec.LiftWords())
	}
	c, err := dialWith(t.Connection, oneShot)
	if err != nil {
		return "", err
	}
	defer c.Close()
	name, _, err := ConfigName(ctx, c, t)
	if err != nil {
		return "", err
	}
	if name == "" {
		return "", fmt.Errorf(`%s; CONFIG is renamed to "" on it, so redisplan cannot tell whether it still refuses writes: `+
			"remove %s once its data is right", earlier, restartJournal(t).Path())
	}
	got, err := ConfigGet(ctx, c, name, HeldSettings[0][0])
	if err != nil {
		return "", err
	}
	keys, _, err := keyspaceOf(ctx, t.Connection)
	if err != nil {
		return "", err
	}
	short := rec.compareKeys(keys)
	held := got[HeldSettings[0][0]] == HeldSettings[0][1]
	switch {
	case held && short != "":
		return "", fmt.Errorf("%s; it still refuses writes and %s: look at the data, then restore a backup (redisplan restore), or, "+
			"if the data is right as it is, let writes in again with %s and run apply again", earlier, short, rec.LiftWords())
	case held:
		if len(rec.Held) > 0 {
			if err := ConfigSet(ctx, c, name, rec.Held); err != nil {
				return "", fmt.Errorf("%s; it holds the keys it held before the stop again, but putting back %s failed: %w",
					earlier, rec.LiftWords(), err)
			}
		}
		if err := restartJournal(t).Remove(); err != nil {
			return "", err
		}
		return fmt.Sprintf("%s; it holds the keys it held before the stop again: the mismatch is resolved, and writes are let in "+
			"again (%s)", earlier, strings.TrimPrefix(rec.LiftWords(), "CONFIG SET ")), nil
	}
	if err := restartJournal(t).Remove(); err != nil {
		return "", err
	}
	now := "it holds the keys it held before the stop"
	if short != "" {
		now = "it still differs (" + short + ")"
	}
	return fmt.Sprintf("%s; it accepts writes again (min-replicas-to-write %s), so the mismatch was resolved by hand: %s; "+
		"the record is removed", earlier, got[HeldSettings[0][0]], now), nil
}
