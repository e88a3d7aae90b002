package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/redisplan/redisplan/internal/testwait"
)

// cmdRedis is the scripts' "redis start NAME [directive...]": it starts a
// real redis-server for the script on a free loopback port, in
// $WORK/NAME, from a config file the script can manage, and kills it by
// PID when the script ends. It sets NAME_PORT, NAME_ADDR, NAME_CONF and
// NAME_DIR. Extra arguments are appended to the config file as lines.
func cmdRedis(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || args[0] != "start" {
		ts.Fatalf("usage: redis start NAME [config line...]")
	}
	bin := os.Getenv("REDISPLAN_REDIS_SERVER")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("redis-server"); err != nil {
			ts.Fatalf("redis-server is not installed: install it with 'apt-get install redis-server' (or set REDISPLAN_REDIS_SERVER), or set REDISPLAN_SKIP_REDIS=1 to skip these tests on purpose")
		}
	}
	name := args[1]
	dir := filepath.Join(ts.Getenv("WORK"), name)
	ts.Check(os.MkdirAll(dir, 0o755))
	port := freePort(ts)
	conf := filepath.Join(dir, "redis.conf")
	lines := []string{
		"# A hand-written config, as redisplan finds it.",
		"port " + strconv.Itoa(port),
		"bind 127.0.0.1",
		"dir " + dir,
		"logfile " + filepath.Join(dir, "redis.log"),
		`save ""`,
	}
	lines = append(lines, args[2:]...)
	ts.Check(os.WriteFile(conf, []byte(strings.Join(lines, "\n")+"\n"), 0o644))

	cmd := exec.Command(bin, conf)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	ts.Check(cmd.Start())
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	ts.Defer(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	})

	addr := fmt.Sprintf("127.0.0.1:%d", port)
	client := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, MaxRetries: -1})
	defer client.Close()
	errExited := errors.New("redis-server exited at start")
	err := testwait.Until(15*time.Second, func() (bool, error) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		err := client.Ping(ctx).Err()
		if err == nil {
			return true, nil
		}
		select {
		case <-done:
			return false, testwait.Stop(errExited)
		default:
		}
		return false, err
	})
	if errors.Is(err, errExited) {
		log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
		ts.Fatalf("redis-server exited at start:\n%s", log)
	}
	if err != nil {
		ts.Fatalf("redis-server on %s did not answer PING: %v", addr, err)
	}
	ts.Setenv(name+"_PORT", strconv.Itoa(port))
	ts.Setenv(name+"_ADDR", addr)
	ts.Setenv(name+"_CONF", conf)
	ts.Setenv(name+"_DIR", dir)
}

func freePort(ts *testscript.TestScript) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
