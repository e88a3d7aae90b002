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
func writeRestartRecord(ctx context.Context, t *model.Target, runID string) error {
	keys, expires, err := keyspaceOf(ctx, t.Connection)
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	r := RestartRecord{Format: restartRecordFormat, Address: t.Connection.Address, RunID: runID, PID: os.Getpid(),
		Start: backup.ProcStart(os.Getpid()), Host: host, Time: time.Now().UTC(), Keys: keys, Expires: expires}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := restartJournal(t).Write(append(data, '\n')); err != nil {
		return fmt.Errorf("keep the record of the restart: %w; the server was not stopped", err)
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
	if err != nil || rec == nil || rec.Running() || rec.Address != t.Connection.Address {
		return "", err
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
			"anything else (the record is kept)", what, shortRunID(runID), short)
	}
	if err := restartJournal(t).Remove(); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s; started it with the service start command (run_id %s): it holds the keys it held before the stop",
		what, shortRunID(runID)), nil
}
