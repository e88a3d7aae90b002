// Package pitr turns a base backup and the archived write stream after it
// into one RDB file holding the data as it was at a chosen moment: the
// base as the base file of a multi-part AOF, the stream cut at the time
// as its incr file, both loaded by a scratch redis-server of redisplan's
// own, which then saves them into one RDB. A restore puts that RDB into
// the target as it puts any backup, with all its checks and its rollback.
//
// Nothing here touches a target, and nothing prints: progress goes to the
// sink given.
package pitr

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/redisplan/redisplan/executors/server"
	"github.com/redisplan/redisplan/internal/progress"
	"github.com/redisplan/redisplan/internal/redisconf"
	"github.com/redisplan/redisplan/internal/redisinfo"
)

// The multi-part AOF the scratch server loads: appendfilename
// "appendonly.aof" in appenddirname "appendonlydir", one base file in RDB
// format and one incr file, listed by the manifest as Redis 7 writes it
// (src/aof.c: `file <name> seq <n> type <b|i>`).
const (
	aofDir       = "appendonlydir"
	aofName      = "appendonly.aof"
	baseFile     = aofName + ".1.base.rdb"
	incrFile     = aofName + ".1.incr.aof"
	manifestFile = aofName + ".manifest"
	// RDBName is the file Replay leaves in its directory.
	RDBName = "replayed.rdb"
)

// DefaultLoadTimeout bounds the scratch server's load and save when
// Input.LoadTimeout is 0.
const DefaultLoadTimeout = 30 * time.Minute

// Input is what Replay replays.
type Input struct {
	// Bin is the scratch server's binary (ScratchBinary, of the base's
	// engine): it must load the base's RDB version.
	Bin string
	// Dir is an empty directory of the caller's, on a filesystem with
	// room for the base, the stream and the result; the caller removes it.
	Dir string
	// Base reads the base backup's RDB (already decompressed and checked).
	Base io.Reader
	// Stream is the write stream after the base: AOF incr content, RESP
	// commands with `#` annotation lines and `#T:<unix ms>` time marks.
	Stream io.Reader
	// DB is the database the stream's first command runs in when the
	// stream does not begin with a SELECT.
	DB int
	// Until is the moment to stop at (see CutAt); zero replays the whole
	// stream.
	Until time.Time
	// LoadTimeout bounds the load and the save; 0 is DefaultLoadTimeout.
	LoadTimeout time.Duration
	Emit        progress.Sink
}

// Output is the replayed data.
type Output struct {
	// RDB is the path of the saved RDB file, in Input.Dir.
	RDB string
	// Cut says how much of the stream was replayed, up to when.
	Cut Cut
	// Keyspace and UsedMemory are what the scratch server held once it
	// had replayed the stream.
	Keyspace   map[int]redisinfo.DB
	UsedMemory int64
	// Version is the scratch server's (catalog.ServerVersion form).
	Version string
	// LoadSeconds is the scratch server's load of the base and the
	// stream; SaveSeconds its SAVE.
	LoadSeconds, SaveSeconds float64
}

// Replay writes the base and the stream cut at Until into a multi-part
// AOF directory in Input.Dir, loads it in a scratch redis-server on a
// free loopback port, waits until it has loaded, saves its data into
// Input.Dir/replayed.rdb with SAVE, stops it and says what it held.
func Replay(ctx context.Context, in Input) (out Output, err error) {
	if in.Bin == "" || in.Dir == "" || in.Base == nil || in.Stream == nil {
		return Output{}, errors.New("replay: the binary, the directory, the base and the stream are all needed")
	}
	dir := filepath.Join(in.Dir, aofDir)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return Output{}, fmt.Errorf("replay: %w", err)
	}
	if err := writeFile(filepath.Join(dir, baseFile), in.Base); err != nil {
		return Output{}, fmt.Errorf("replay: write the base: %w", err)
	}
	cut, err := writeIncr(filepath.Join(dir, incrFile), in.Stream, in.DB, in.Until)
	if err != nil {
		return Output{}, fmt.Errorf("replay: the write stream: %w", err)
	}
	out.Cut = cut
	manifest := fmt.Sprintf("file %s seq 1 type b\nfile %s seq 1 type i\n", baseFile, incrFile)
	if err := os.WriteFile(filepath.Join(dir, manifestFile), []byte(manifest), 0o600); err != nil {
		return Output{}, fmt.Errorf("replay: %w", err)
	}

	timeout := in.LoadTimeout
	if timeout <= 0 {
		timeout = DefaultLoadTimeout
	}
	lctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conf := filepath.Join(in.Dir, "redis.conf")
	logfile := filepath.Join(in.Dir, "redis.log")
	var started time.Time
	srv, err := server.Start(lctx, server.Spec{
		Bin: in.Bin, Dir: in.Dir, LogFile: logfile,
		Args: func(port int) ([]string, error) {
			lines := append([]string{"# Scratch server of a redisplan restore to a point in time."},
				server.LoopbackLines(port, in.Dir, logfile)...)
			lines = append(lines,
				redisconf.FormatLine("dbfilename", RDBName),
				redisconf.FormatLine("appendonly", "yes"),
				redisconf.FormatLine("appendfilename", aofName),
				redisconf.FormatLine("appenddirname", aofDir),
				redisconf.FormatLine("appendfsync", "no"),
				// The stream is whole up to the cut: a truncated file is
				// damage, never to be loaded quietly.
				redisconf.FormatLine("aof-load-truncated", "no"),
				redisconf.FormatLine("save", ""),
			)
			if err := os.WriteFile(conf, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
				return nil, fmt.Errorf("write the scratch server's config: %w", err)
			}
			return []string{conf}, nil
		},
		Started: func(pid int, addr string) {
			started = time.Now()
			in.Emit.Say(progress.Step, "started a scratch %s (pid %d) on %s to replay %d writes onto the base", filepath.Base(in.Bin), pid, addr, cut.Writes)
		},
	})
	if err != nil {
		return out, fmt.Errorf("replay: the scratch server did not load the base and the write stream: %w", err)
	}
	defer func() {
		if serr := srv.Stop(time.Minute); serr != nil {
			in.Emit.Say(progress.Warning, "the scratch server did not stop cleanly: %v", serr)
		}
	}()
	out.LoadSeconds = time.Since(started).Seconds()

	c := server.NewClient(srv.Addr(), "", nil)
	defer c.Close()
	saving := time.Now()
	if err := c.WithTimeout(0).Do(lctx, "SAVE").Err(); err != nil {
		return out, fmt.Errorf("replay: SAVE on the scratch server: %w", err)
	}
	out.SaveSeconds = time.Since(saving).Seconds()
	text, err := c.Info(lctx, "server", "keyspace", "memory").Result()
	if err != nil {
		return out, fmt.Errorf("replay: INFO on the scratch server: %w", err)
	}
	info := redisinfo.Parse(text)
	out.Keyspace = redisinfo.Keyspace(info)
	out.UsedMemory, _ = strconv.ParseInt(info["used_memory"], 10, 64)
	out.Version = info["redis_version"]
	if v := info["valkey_version"]; v != "" {
		out.Version = "valkey " + v
	}
	out.RDB = filepath.Join(in.Dir, RDBName)
	in.Emit.Say(progress.Step, "replayed %d writes (received %s to %s) in %.2fs and saved them with the base in %.2fs",
		cut.Writes, stamp(cut.First), stamp(cut.Last), out.LoadSeconds, out.SaveSeconds)
	return out, nil
}

// selectCommand is SELECT db in RESP, as the incr file and the stream
// hold it.
func selectCommand(db int) []byte {
	d := strconv.Itoa(db)
	return []byte("*2\r\n$6\r\nSELECT\r\n$" + strconv.Itoa(len(d)) + "\r\n" + d + "\r\n")
}

// writeIncr writes the incr file: a SELECT of db first (the stream's
// first command runs there), then the stream cut at until.
func writeIncr(path string, stream io.Reader, db int, until time.Time) (Cut, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return Cut{}, err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 256<<10)
	w.Write(selectCommand(db))
	cut, err := CutAt(w, stream, until)
	if err != nil {
		return cut, err
	}
	if err := w.Flush(); err != nil {
		return cut, err
	}
	return cut, f.Close()
}

func writeFile(path string, r io.Reader) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}
