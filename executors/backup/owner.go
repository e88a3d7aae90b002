package backup

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// OwnerFormat marks an owner record as redisplan's. A record without it
// (the bare pid that redisplan wrote before owner records existed) does
// not prove anything, and what it stands beside is left alone.
const OwnerFormat = "redisplan-owner/1"

// StaleAfter is how old a pending run begun on another host must be
// before it counts as dead: its process cannot be asked whether it still
// runs. A backup that takes longer than this while another host cleans
// the same destination would lose its upload, so it is generous.
const StaleAfter = 24 * time.Hour

// maxOwnerSize bounds what ParseOwner reads: a record is a few hundred
// bytes.
const maxOwnerSize = 4096

// Owner is the record a storage writes, whole and before anything else,
// when a run begins (and when a deletion begins): it is what lets a later
// run prove that a pending folder or prefix is redisplan's and that the
// process writing it is gone. A storage removes a leftover only when its
// owner record parses and Gone says so.
type Owner struct {
	Format string `json:"format"`
	// Run is the random name of the run: the suffix of its pending
	// folder, or its prefix in an object store.
	Run string `json:"run"`
	// What the run does: "backup" or "delete".
	Op  string `json:"op"`
	PID int    `json:"pid"`
	// ProcStart is the process's start time in clock ticks since boot
	// (/proc/PID/stat), so that a pid reused by another process after a
	// crash is not taken for the owner. Empty where /proc is missing.
	ProcStart string    `json:"proc_start,omitempty"`
	Host      string    `json:"host"`
	Started   time.Time `json:"started"`
}

// NewOwner returns the owner record of run for this process.
func NewOwner(run, op string) Owner {
	host, _ := os.Hostname()
	return Owner{
		Format:    OwnerFormat,
		Run:       run,
		Op:        op,
		PID:       os.Getpid(),
		ProcStart: ProcStart(os.Getpid()),
		Host:      host,
		Started:   time.Now().UTC(),
	}
}

// Marshal returns the record as stored.
func (o Owner) Marshal() []byte {
	b, _ := json.Marshal(o)
	return append(b, '\n')
}

// ParseOwner reads an owner record of run. It fails on anything that is
// not a whole record redisplan wrote for that run.
func ParseOwner(b []byte, run string) (Owner, error) {
	if len(b) > maxOwnerSize {
		return Owner{}, errors.New("owner record: too large to be one")
	}
	var o Owner
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&o); err != nil {
		return Owner{}, fmt.Errorf("owner record: %w", err)
	}
	switch {
	case o.Format != OwnerFormat:
		return Owner{}, fmt.Errorf("owner record: format %q, want %q", o.Format, OwnerFormat)
	case o.Run != run:
		return Owner{}, fmt.Errorf("owner record: it is for run %q, not %q", o.Run, run)
	case o.PID <= 0:
		return Owner{}, errors.New("owner record: no pid")
	case o.Host == "":
		return Owner{}, errors.New("owner record: no host")
	case o.Started.IsZero():
		return Owner{}, errors.New("owner record: no start time")
	}
	return o, nil
}

// Gone reports whether the process the record names has ended: on this
// host, its pid does not run, or runs with another start time (a pid
// reused since); on another host, whose processes cannot be asked, the
// run began more than StaleAfter before now.
func (o Owner) Gone(now time.Time) bool {
	host, _ := os.Hostname()
	if o.Host != host {
		return now.Sub(o.Started) >= StaleAfter
	}
	return !ProcessRuns(o.PID, o.ProcStart)
}

// ProcessRuns reports whether the process pid, started at procStart (as
// ProcStart gives it; "" when unknown), runs on this host.
func ProcessRuns(pid int, procStart string) bool {
	if !ProcessAlive(pid) {
		return false
	}
	if procStart != "" {
		if now := ProcStart(pid); now != "" && now != procStart {
			return false
		}
	}
	return true
}

// ProcStart returns a process's start time from /proc/PID/stat (field
// 22, after the parenthesised command name, which may hold spaces), or ""
// when it cannot be read.
func ProcStart(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return ""
	}
	fields := strings.Fields(string(b[i+1:]))
	// fields[0] is field 3 (state), so field 22 is fields[19].
	if len(fields) < 20 {
		return ""
	}
	return fields[19]
}

// Foreign is something in a target's destination that is not a backup and
// that redisplan cannot prove it wrote: it is never removed, and list and
// prune say so.
type Foreign struct {
	// Name is the folder or file (for an object store: the prefix or
	// object), relative to the target's destination; a folder ends in
	// "/".
	Name string `json:"name"`
	// Why says what it is and why it is left alone.
	Why string `json:"why"`
}
