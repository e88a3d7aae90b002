package live

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/server"
	"github.com/redisplan/redisplan/internal/failpoint"
	"github.com/redisplan/redisplan/internal/interrupt"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/secret"
)

// WaitReady polls the server until it answers and INFO persistence says
// loading:0 (server.WaitLoaded), and returns the run_id it reports. It
// keeps trying while nothing answers or the server is loading, until ctx
// ends; a refusal that waiting cannot fix (wrong password, missing
// permission) returns at once.
func WaitReady(ctx context.Context, conn model.Connection) (runID string, err error) {
	c, err := dialWith(conn, oneShot)
	if err != nil {
		return "", err // a TLS file that waiting will not fix
	}
	defer c.Close()
	ep := endpointFor(conn)
	info, err := server.WaitLoaded(ctx, c, server.Waiting{Name: ep.addr})
	var refused *server.RefusedError
	switch {
	case errors.As(err, &refused):
		return "", ep.explain("INFO", refused.Err)
	case err != nil:
		return "", ep.newError(err, "%v", err)
	}
	return info["run_id"], nil
}

// oneShot makes a client that tries each command once on one connection.
func oneShot(o *redis.Options) {
	o.MaxRetries = -1
	o.PoolSize = 1
}

// RestartOptions are the steps a caller adds to a restart.
type RestartOptions struct {
	// BeforeStart runs once the old process is gone and before the start
	// command: it moves the data files to the names the new configuration
	// uses.
	BeforeStart func(ctx context.Context) error
	// Undo puts the old configuration back (the config file, the files
	// BeforeStart moved) when the restart fails after the old process
	// ended; Restart then starts the server again on its old files.
	Undo func(ctx context.Context) error
	// AfterStart checks the restarted server further once it is ready (a
	// replica: in sync with its primary and holding its data) and says
	// what it checked; an error rolls the restart back.
	AfterStart func(ctx context.Context) (string, error)
	// WantNames are the data file names (dir, dbfilename, appenddirname,
	// appendfilename) the new process must report: the ones BeforeStart
	// carried the files over to.
	WantNames map[string]string
	// OldNames are the names the server used before: a rollback must
	// bring it back on them.
	OldNames map[string]string
}

// Restarted is a restart that succeeded.
type Restarted struct {
	RunID string
	// Keyspace says what the keyspace check (and AfterStart) compared.
	Keyspace string
	// Note says what the restart met and went past: a service stop
	// command that failed although the server did stop.
	Note string
}

// RolledBackError is a restart that failed after the old process ended
// and was undone: the old configuration was put back and the server
// started again on its old files. Cause is why the restart failed.
type RolledBackError struct {
	Cause error
	// Back describes the server after the rollback.
	Back string
}

func (e *RolledBackError) Error() string {
	return fmt.Sprintf("%v; the restart was rolled back: %s", e.Cause, e.Back)
}

func (e *RolledBackError) Unwrap() error { return e.Cause }

// pauseMillis bounds the write pause of the old process (from the keyspace
// snapshot until it exits) and of the new one (until its keyspace is
// checked). Restart lifts it itself as soon as it can; the bound only
// matters when redisplan dies in between.
const pauseMillis = 10 * 60 * 1000

// Restart stops and starts the server of a target and waits until the new
// process is ready, and checks that it holds the data the old one held.
//
// The server is stopped with the target's service stop command when it
// has one, and otherwise with SHUTDOWN SAVE (under the name rename-command
// gave SHUTDOWN in the target), so that the data reaches the disk. Restart
// then waits until nothing answers at the address, runs the service start
// command, which is required, and waits for the new process. Commands run
// without a shell; their output is quoted in errors.
//
// The keyspace check (a primary or a server without replication; a
// replica reloads from its primary): before the stop, Restart pauses
// client writes (CLIENT PAUSE WRITE, which also pauses key expiry), reads
// the key counts per database and DEBUG DIGEST where DEBUG is allowed,
// and, when the service stop command does the stopping, runs SAVE, so that
// the files hold exactly what was read, whatever the stop command does. The pause lasts until the process exits: no write
// can come between the snapshot and the files. The new process is read as
// soon as it is ready (see compareKeyspace for what may legitimately
// differ by then). A difference is a failed restart: the new process is
// stopped with SHUTDOWN NOSAVE (so it overwrites nothing), opts.Undo puts
// the old configuration back, the server is started again and its
// keyspace compared with the snapshot once more, and a *RolledBackError
// says what happened. A failing BeforeStart or start command is rolled
// back the same way.
func Restart(ctx context.Context, t *model.Target, opts RestartOptions) (res Restarted, err error) {
	conn := t.Connection
	defer func() {
		if err != nil {
			// What a failing service command printed may quote the config
			// file, whose secrets the spec may no longer know (a rotation).
			secrets := append(t.Secrets(), withoutPublicNames(t, fileSecrets(t.ConfigFile, t.ConfigFile+".redisplan.bak"))...)
			err = secret.New(secrets...).Errorf("restart %s: %w", t.Name, err)
		}
	}()
	svc := t.Service
	if svc == nil || len(svc.Start) == 0 {
		return res, fmt.Errorf(`redisplan does not know how to start the server at %s: add service { start = [...] } `+
			`to the target, for example start = ["systemctl", "start", "redis-server"]`, conn.Address)
	}
	cmds := commands{}
	for _, r := range t.Renames {
		cmds[strings.ToUpper(r.Command)] = r.NewName
	}
	shutdownCmd := cmds.name("SHUTDOWN")
	if len(svc.Stop) == 0 && shutdownCmd == "" {
		return res, fmt.Errorf(`SHUTDOWN is renamed to "" on %s, so redisplan cannot stop the server itself: `+
			`add service { stop = [...] } to the target`, conn.Address)
	}

	oldRunID, err := runIDOf(ctx, conn)
	if err != nil {
		return res, err
	}
	var before *Keyspace
	var startedBefore string
	var rec *RestartRecord
	if oldRunID != "" {
		if startedBefore, err = startedFrom(ctx, conn); err != nil {
			return res, err
		}
		if err := waitRewriteDone(ctx, conn); err != nil {
			return res, err
		}
		ks, unpause, err := freeze(ctx, conn, cmds, len(svc.Stop) > 0)
		if err != nil {
			return res, err
		}
		before = ks
		stopped := false
		defer func() {
			if !stopped {
				unpause()
			}
		}()
		// On disk before the stop: should redisplan die while the server
		// is down, the next run knows that redisplan stopped it, with its
		// data saved, and what it held.
		if rec, err = writeRestartRecord(ctx, t, oldRunID); err != nil {
			return res, err
		}
		// A stop that fails with the server still running leaves nothing
		// to recover: the record goes.
		stopFailed := func(err error) (Restarted, error) {
			if id, _ := runIDOf(ctx, conn); id == oldRunID && id != "" {
				_ = restartJournal(t).Remove()
			}
			return res, err
		}
		if len(svc.Stop) > 0 {
			err = runService(ctx, "stop", svc.Stop, conn.Password)
			// A stop command can fail after the server stopped (redis-cli
			// sending a renamed SHUTDOWN sees the connection close and
			// exits 1): the files hold the snapshot (SAVE under the
			// pause), so the restart goes on, and the checks below prove
			// the data.
			if err != nil && stoppedAnyway(ctx, conn, oldRunID) {
				res.Note = fmt.Sprintf("%v; but the server at %s did stop, so the restart went on", err, conn.Address)
				err = nil
			}
		} else {
			err = shutdownSave(ctx, conn, shutdownCmd)
		}
		if err != nil {
			return stopFailed(fmt.Errorf("%w; the server at %s still runs: nothing was stopped", err, conn.Address))
		}
		if err := waitStopped(ctx, conn, oldRunID); err != nil {
			return stopFailed(fmt.Errorf("%w; the server was asked to stop, and the start command was not run", err))
		}
		stopped = true
	} else if err := waitStopped(ctx, conn, oldRunID); err != nil {
		return res, fmt.Errorf("%w; the start command was not run", err)
	}

	fail := func(cause error) (Restarted, error) {
		if res.Note != "" {
			cause = fmt.Errorf("%s; then: %w", res.Note, cause)
		}
		return res, rollBack(ctx, t, cmds, opts, before, rec, startedBefore, cause)
	}
	if opts.BeforeStart != nil {
		if err := opts.BeforeStart(ctx); err != nil {
			return fail(err)
		}
	}
	failpoint.Hit(failpoint.RestartServerStopped)
	if err := runService(ctx, "start", svc.Start, conn.Password); err != nil {
		return fail(err)
	}
	if err := waitAnswering(ctx, conn); err != nil {
		return fail(err)
	}
	runID, err := WaitReady(ctx, conn)
	if err == nil {
		// A process answers again: nothing is left for a next run to
		// start, whatever the checks below decide.
		_ = restartJournal(t).Remove()
	}
	if err != nil {
		return fail(err)
	}
	if runID == oldRunID {
		return res, fmt.Errorf("the server at %s still reports run_id %s after the restart: it did not restart; "+
			"check that the service commands control the server at this address", conn.Address, runID)
	}
	res.RunID = runID
	if err := checkStartedAsBefore(ctx, conn, startedBefore); err != nil {
		return fail(err)
	}
	if err := checkNames(ctx, t, opts.WantNames); err != nil {
		return fail(err)
	}
	if before != nil {
		summary, err := checkKeyspace(ctx, conn, cmds, *before)
		if err != nil {
			return fail(err)
		}
		res.Keyspace = summary
	}
	if opts.AfterStart != nil {
		summary, err := opts.AfterStart(ctx)
		if err != nil {
			return fail(err)
		}
		res.Keyspace = strings.TrimPrefix(res.Keyspace+"; "+summary, "; ")
	}
	return res, nil
}

// answerTimeout bounds the wait for a started server to answer at all.
// Redis listens before it loads its data (and answers LOADING meanwhile),
// so a server that does not answer by then did not start: a start command
// that daemonizes exits 0 even when the server then fails to load.
const answerTimeout = time.Minute

// waitAnswering waits until something answers at the address, for at most
// answerTimeout.
func waitAnswering(parent context.Context, conn model.Connection) error {
	ctx, cancel := context.WithTimeout(parent, answerTimeout)
	defer cancel()
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	for {
		err := reachable(ctx, conn)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			if parent.Err() != nil {
				return fmt.Errorf("%s was not ready yet when %s (last attempt: %v); the server was stopped and its start command ran",
					conn.Address, interrupt.When(context.Cause(parent)), err)
			}
			return fmt.Errorf("nothing answers at %s %v after the service start command (last attempt: %v): "+
				"the server did not start; its log says why", conn.Address, answerTimeout, err)
		case <-ticker.C:
		}
	}
}

// freeze prepares a running server for its stop: unless it is a replica,
// it pauses client writes, reads the keyspace and, when a service command
// will stop it, saves an RDB: the stop command may not save, and a
// rollback to a configuration with AOF off loads that RDB.
// unpause lifts the pause when the stop does not happen. A replica gets a
// nil keyspace: its data comes from its primary after the restart.
func freeze(ctx context.Context, conn model.Connection, cmds commands, serviceStop bool) (ks *Keyspace, unpause func(), err error) {
	c, err := dialWith(conn, oneShot)
	if err != nil {
		return nil, nil, err
	}
	defer c.Close()
	ep := endpointFor(conn)
	info, err := Info(ctx, c, "replication", "persistence")
	if err != nil {
		return nil, nil, err
	}
	unpause = func() {}
	if info["role"] == "slave" {
		return nil, unpause, nil
	}
	client := cmds.name("CLIENT")
	if client == "" {
		return nil, nil, fmt.Errorf(`CLIENT is renamed to "" on %s, so redisplan cannot pause writes to compare the data before and after a restart, and does not restart it: `+
			`rename CLIENT to a secret name instead of disabling it, and give that name in security.renamed_commands`, conn.Address)
	}
	if err := cmds.do(ctx, c, "CLIENT", "PAUSE", pauseMillis, "WRITE").Err(); err != nil {
		return nil, nil, ep.explain("CLIENT PAUSE", err)
	}
	unpause = func() {
		uc, err := dialWith(conn, oneShot)
		if err != nil {
			return
		}
		defer uc.Close()
		_ = cmds.do(context.WithoutCancel(ctx), uc, "CLIENT", "UNPAUSE").Err()
	}
	k, err := readKeyspace(ctx, c, cmds)
	if err != nil {
		unpause()
		return nil, nil, err
	}
	if serviceStop {
		save := cmds.name("SAVE")
		if save == "" {
			unpause()
			return nil, nil, fmt.Errorf(`SAVE is renamed to "" on %s, so redisplan cannot make sure the service stop command leaves the data on disk: remove service.stop so that redisplan stops the server with SHUTDOWN SAVE`, conn.Address)
		}
		if err := cmds.do(ctx, c, "SAVE").Err(); err != nil {
			unpause()
			return nil, nil, ep.newError(err, "SAVE before the restart failed on %s: %v; nothing was stopped", ep.addr, err)
		}
	}
	return &k, unpause, nil
}

// checkKeyspace compares the new process' keyspace with before, pausing
// its client writes while it reads. The pause is lifted when the data
// matches and kept when it does not, so that no client writes into data
// that is about to be rolled back.
func checkKeyspace(ctx context.Context, conn model.Connection, cmds commands, before Keyspace) (string, error) {
	c, err := dialWith(conn, oneShot)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if err := cmds.do(ctx, c, "CLIENT", "PAUSE", pauseMillis, "WRITE").Err(); err != nil {
		return "", endpointFor(conn).explain("CLIENT PAUSE", err)
	}
	after, err := readKeyspace(ctx, c, cmds)
	if err != nil {
		return "", err
	}
	act, err := readActivity(ctx, c, cmds)
	if err != nil {
		return "", err
	}
	summary, err := compareKeyspace(before, after, act)
	if err != nil {
		return "", err
	}
	if err := cmds.do(ctx, c, "CLIENT", "UNPAUSE").Err(); err != nil {
		return "", endpointFor(conn).explain("CLIENT UNPAUSE", err)
	}
	return summary, nil
}

// rollBack undoes a restart that failed after the old process ended: it
// stops whatever process answers now without letting it save, puts the
// old configuration back (opts.Undo), starts the server and compares its
// keyspace with before again (a replica: runs opts.AfterStart again). The
// error says what happened and what state the server is in.
func rollBack(ctx context.Context, t *model.Target, cmds commands, opts RestartOptions, before *Keyspace, rec *RestartRecord, startedBefore string, cause error) error {
	ctx = context.WithoutCancel(ctx)
	conn := t.Connection
	if id, err := runIDOf(ctx, conn); err == nil && id != "" {
		if err := stopNoSave(ctx, t, cmds); err != nil {
			msg := fmt.Sprintf("the restart could not be rolled back: the new process could not be stopped (%v), so the old configuration was NOT put back", err)
			if before != nil {
				// It runs on data nobody checked against the snapshot.
				msg += "; " + fence(ctx, t, rec, "the restarted server was not proven to hold the "+before.String()+" it held before the stop: "+cause.Error())
			}
			return fmt.Errorf("%w; %s", cause, msg)
		}
		if err := waitStopped(ctx, conn, id); err != nil {
			return fmt.Errorf("%w; the restart could not be rolled back: %v", cause, err)
		}
	}
	undone := "nothing else to put back"
	if opts.Undo != nil {
		if err := opts.Undo(ctx); err != nil {
			return fmt.Errorf("%w; the restart could not be rolled back: %v; the server is stopped", cause, err)
		}
		undone = "the old configuration was put back"
	}
	if err := runService(ctx, "start", t.Service.Start, conn.Password); err != nil {
		return fmt.Errorf("%w; %s, but the server did not start again: %v", cause, undone, err)
	}
	if err := waitAnswering(ctx, conn); err != nil {
		return fmt.Errorf("%w; %s, but the server did not start again: %v", cause, undone, err)
	}
	runID, err := WaitReady(ctx, conn)
	if err != nil {
		return fmt.Errorf("%w; %s, but the server is not ready: %v", cause, undone, err)
	}
	_ = restartJournal(t).Remove()
	back := fmt.Sprintf("%s and the server runs again on its old files (run_id %s)", undone, shortRunID(runID))
	if before != nil {
		// Equal key counts without a digest prove little: the process must
		// also run from the same file and on the old names. Those are read
		// first, since the keyspace check lets writes in when it passes.
		err := checkStartedAsBefore(ctx, conn, startedBefore)
		if err == nil {
			err = checkNames(ctx, t, opts.OldNames)
		}
		var summary string
		if err == nil {
			summary, err = checkKeyspace(ctx, conn, cmds, *before)
		}
		if err != nil {
			// Left running, a server on other data takes writes that are
			// lost once the right files are back, and its own final save
			// would write over whatever files it runs on: it is stopped
			// again without saving, and the files stay as they are.
			where := "the old configuration"
			if from, ferr := startedFrom(ctx, conn); ferr == nil && from != "" {
				where = from
			}
			if serr := stopNoSave(ctx, t, cmds); serr == nil {
				if werr := waitStopped(ctx, conn, runID); werr == nil {
					return &RolledBackError{Cause: cause, Back: undone + ", but the server the start command started (from " + where + ") holds other data: " + err.Error() +
						"; redisplan stopped it again without saving, so nothing was written over any file: check the service start command, then start the server"}
				}
			}
			return &RolledBackError{Cause: cause, Back: back + ", but its data still differs from before the restart: " + err.Error() +
				"; it could not be stopped again: " + fence(ctx, t, rec, err.Error()) + "; check the service start command"}
		}
		back += " with the data it had (" + summary + ")"
	} else if opts.AfterStart != nil {
		summary, err := opts.AfterStart(ctx)
		if err != nil {
			return &RolledBackError{Cause: cause, Back: back + ", but it still fails its check: " + err.Error() + "; check the server now"}
		}
		back += " (" + summary + ")"
	}
	return &RolledBackError{Cause: cause, Back: back}
}

// stopNoSave stops the process at the address without a final save, so
// that a process holding the wrong data overwrites nothing: SHUTDOWN
// NOSAVE, or the service stop command when SHUTDOWN is disabled.
func stopNoSave(ctx context.Context, t *model.Target, cmds commands) error {
	name := cmds.name("SHUTDOWN")
	if name == "" {
		return runService(ctx, "stop", t.Service.Stop, t.Connection.Password)
	}
	c, err := dialWith(t.Connection, oneShot)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := server.Shutdown(ctx, c, name, "NOSAVE"); err != nil {
		return endpointFor(t.Connection).explain("SHUTDOWN NOSAVE", err)
	}
	return nil
}

func shortRunID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// runIDOf returns the run_id of the server at the address, or "" when
// nothing answers there.
func runIDOf(ctx context.Context, conn model.Connection) (string, error) {
	err := reachable(ctx, conn)
	if err != nil && connectionGone(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	c, err := dialWith(conn, oneShot)
	if err != nil {
		return "", err
	}
	defer c.Close()
	info, err := Info(ctx, c, "server")
	switch {
	case err != nil && connectionGone(err):
		return "", nil
	case err != nil:
		return "", err
	}
	return info["run_id"], nil
}

// waitRewriteDone waits until the server neither runs nor has scheduled
// an AOF rewrite. One that is writing its initial AOF (AOF just turned on,
// or a replica just after a full sync) refuses SHUTDOWN ("Writing initial
// AOF, can't exit"), and a service stop command would cut it short.
func waitRewriteDone(ctx context.Context, conn model.Connection) error {
	c, err := dialWith(conn, oneShot)
	if err != nil {
		return err
	}
	defer c.Close()
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	for {
		info, err := Info(ctx, c, "persistence")
		if err != nil {
			return err
		}
		if info["aof_rewrite_in_progress"] != "1" && info["aof_rewrite_scheduled"] != "1" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the server at %s was still rewriting its AOF when %s; nothing was stopped", conn.Address, interrupt.When(context.Cause(ctx)))
		case <-ticker.C:
		}
	}
}

// shutdownSave sends SHUTDOWN SAVE under the given name. The connection
// closing is success; an error reply means the server refused and keeps
// running.
func shutdownSave(ctx context.Context, conn model.Connection, name string) error {
	c, err := dialWith(conn, oneShot)
	if err != nil {
		return err
	}
	defer c.Close()
	// A closed connection (success), or no answer while the final save
	// runs, is no error: waitStopped finds out which.
	err = server.Shutdown(ctx, c, name, "SAVE")
	var rerr redis.Error
	if !errors.As(err, &rerr) {
		return nil
	}
	ep := endpointFor(conn)
	msg := strings.TrimRight(rerr.Error(), ". ")
	if strings.HasPrefix(msg, "NOPERM") || strings.HasPrefix(msg, "NOAUTH") ||
		strings.HasPrefix(msg, "WRONGPASS") || strings.Contains(msg, "unknown command") {
		return ep.explain("SHUTDOWN", err)
	}
	return ep.newError(err, "the server at %s refused SHUTDOWN SAVE and keeps running: %s; its log says why "+
		"(often the final save failed: check the permissions of dir and the free disk space)", ep.addr, msg)
}

// waitStopped polls until nothing answers at the address any more, or a
// different process (another run_id) does.
func waitStopped(ctx context.Context, conn model.Connection, oldRunID string) error {
	ep := endpointFor(conn)
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	for {
		runID, err := runIDOf(ctx, conn)
		switch {
		case err == nil && runID == "":
			return nil
		case err == nil && oldRunID != "" && runID != oldRunID:
			return nil
		case err != nil && isRedisError(err) && strings.HasPrefix(errorReply(err), "LOADING"):
			return nil // a new process is loading its data
		}
		select {
		case <-ctx.Done():
			return ep.newError(ctx.Err(), "the server at %s was still running when %s; "+
				"check the service stop command, or the server's log for a slow or failed final save", ep.addr, interrupt.When(context.Cause(ctx)))
		case <-ticker.C:
		}
	}
}

// stopGrace is how long a server whose stop command failed is given to
// be gone: the command may fail while the server is exiting.
const stopGrace = 10 * time.Second

// stoppedAnyway reports whether the server that ran as oldRunID is gone
// although its stop command failed: nothing answers at the address within
// stopGrace, or another process does.
func stoppedAnyway(ctx context.Context, conn model.Connection, oldRunID string) bool {
	gctx, cancel := context.WithTimeout(ctx, stopGrace)
	defer cancel()
	network, addr := server.Address(conn)
	if err := server.WaitGone(gctx, conn.Address, network, addr); err == nil {
		return true
	}
	id, err := runIDOf(ctx, conn)
	return err == nil && id != oldRunID
}

// withoutPublicNames drops from secrets read from a config file the names
// the spec gives renamed commands in clear (not secret, not CONFIG's):
// the plan prints them, so errors need not hide them. A name the spec
// does not know (a rotation under way) stays hidden.
func withoutPublicNames(t *model.Target, secrets []string) []string {
	public := map[string]bool{}
	for _, r := range t.Renames {
		if !r.Sensitive && !strings.EqualFold(r.Command, "CONFIG") && r.NewName != "" {
			public[r.NewName] = true
		}
	}
	for _, s := range t.Secrets() {
		delete(public, s)
	}
	out := secrets[:0:0]
	for _, s := range secrets {
		if !public[s] {
			out = append(out, s)
		}
	}
	return out
}

// errorReply returns the text of the server's error reply in err.
func errorReply(err error) string {
	var rerr redis.Error
	if errors.As(err, &rerr) {
		return rerr.Error()
	}
	return ""
}

// runService runs one service command (argv, no shell); the password
// never appears in the error.
func runService(ctx context.Context, what string, argv []string, password string) error {
	err := server.RunCommand(ctx, what, argv)
	if err == nil {
		return nil
	}
	var cerr *server.CommandError
	if errors.As(err, &cerr) {
		return &explained{msg: secret.New(password).Redact(err.Error()), err: cerr.Err}
	}
	return err
}
