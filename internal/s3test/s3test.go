// Package s3test runs a real S3-compatible server for tests: Versity's
// gateway (versitygw) serving a temporary directory over S3 on a free
// loopback port.
//
// The binary is taken from REDISPLAN_VERSITYGW (a path, or a name looked up
// in PATH), else "versitygw" on PATH, else the cache directory that
// scripts/install-deps.sh fills ($XDG_CACHE_HOME/redisplan/bin, by default
// ~/.cache/redisplan/bin). A missing binary fails the test with a message
// that says how to build it; REDISPLAN_SKIP_REDIS=1, which skips every test
// that needs an external server, skips these too.
package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/redisplan/redisplan/internal/testwait"
)

const (
	// EnvBinary names the versitygw binary: a path, or a name looked up in
	// PATH.
	EnvBinary = "REDISPLAN_VERSITYGW"
	// EnvSkip, set to 1, skips every test that needs a real server: the
	// same switch as the Redis tests'.
	EnvSkip = "REDISPLAN_SKIP_REDIS"
	// Version is the versitygw release the tests are run against.
	Version = "v1.8.0"
)

const installHint = "run scripts/install-deps.sh (it builds versitygw " + Version +
	" into the cache directory), or build it with `go install github.com/versity/versitygw/cmd/versitygw@" + Version +
	"` and set " + EnvBinary + " to its path; to skip tests that need external servers on purpose, set " + EnvSkip + "=1"

// skipRequested reports whether EnvSkip asks to skip the tests that need
// real servers. executors/server/servertest reads the same switch for the
// Redis tests; s3test stays below executors and does not import it.
func skipRequested() bool {
	on, err := strconv.ParseBool(os.Getenv(EnvSkip))
	return err == nil && on
}

// CacheDir is where scripts/install-deps.sh puts the binaries it builds.
func CacheDir() (string, error) {
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "redisplan", "bin"), nil
}

// Binary returns the path of the versitygw binary, skipping the test when
// REDISPLAN_SKIP_REDIS=1 and failing it when no binary is found.
func Binary(t testing.TB) string {
	t.Helper()
	if skipRequested() {
		t.Skipf("s3test: %s=%s is set: skipping a test that needs a real S3 server (versitygw)", EnvSkip, os.Getenv(EnvSkip))
		return ""
	}
	if v := os.Getenv(EnvBinary); v != "" {
		path, err := exec.LookPath(v)
		if err != nil {
			t.Fatalf("s3test: %s=%q: %v\nThis test needs a real S3 server: %s.", EnvBinary, v, err, installHint)
		}
		return path
	}
	if path, err := exec.LookPath("versitygw"); err == nil {
		return path
	}
	dir, err := CacheDir()
	if err == nil {
		path := filepath.Join(dir, "versitygw")
		if info, serr := os.Stat(path); serr == nil && info.Mode().IsRegular() {
			return path
		}
	}
	t.Fatalf("s3test: versitygw not found (not in %s, not on PATH, not in the cache directory %s).\nThis test needs a real S3 server: %s.", EnvBinary, dir, installHint)
	return ""
}

// Server is a running versitygw.
type Server struct {
	// Endpoint is the server's URL: http://127.0.0.1:PORT.
	Endpoint string
	// AccessKey and SecretKey are the root credentials, random per server
	// so that a test can look for them in output.
	AccessKey, SecretKey string
	// Dir is the directory served; each bucket is a subdirectory.
	Dir string

	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
}

// Start runs versitygw over a new temporary directory on a free loopback
// port and waits until it answers. It is stopped when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := Binary(t)
	if bin == "" {
		return nil
	}
	tmp := t.TempDir()
	s := &Server{
		Dir:       filepath.Join(tmp, "root"),
		AccessKey: "AKTEST" + strings.ToUpper(randomHex(t, 7)),
		SecretKey: "sk" + randomHex(t, 16),
		logPath:   filepath.Join(tmp, "versitygw.log"),
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	var lastErr error
	// A port found free can be taken before the server binds it: try a
	// few.
	for range 3 {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		if lastErr = s.launch(bin, addr); lastErr == nil {
			t.Cleanup(s.stop)
			return s
		}
	}
	t.Fatalf("s3test: start versitygw: %v\nlog:\n%s", lastErr, s.Log())
	return nil
}

func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) launch(bin, addr string) error {
	logf, err := os.OpenFile(s.logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	// The keys go through the environment, not the command line, so that
	// they do not show in a process listing.
	cmd := exec.Command(bin, "--port", addr, "--quiet", "posix", s.Dir)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY_ID="+s.AccessKey, "ROOT_SECRET_ACCESS_KEY="+s.SecretKey)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	s.cmd, s.done, s.Endpoint = cmd, done, "http://"+addr
	err = testwait.Until(30*time.Second, func() (bool, error) {
		select {
		case <-done:
			return false, testwait.Stop(fmt.Errorf("versitygw exited: %v", cmd.ProcessState))
		default:
		}
		// Any HTTP answer, even 403 to an unsigned request, means it serves.
		resp, err := http.Get(s.Endpoint + "/")
		if err != nil {
			return false, err
		}
		resp.Body.Close()
		return true, nil
	})
	if err != nil {
		s.kill()
		return fmt.Errorf("versitygw did not answer: %w", err)
	}
	return nil
}

// PID is the server's process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Log returns what the server printed.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.logPath)
	return string(b)
}

func (s *Server) kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.done
}

// stop ends the server by PID: SIGTERM, then SIGKILL after 10s.
func (s *Server) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	syscall.Kill(s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.kill()
	}
}

// Client returns a client of the server with its root credentials.
func (s *Server) Client(t testing.TB) *minio.Client {
	t.Helper()
	c, err := minio.New(strings.TrimPrefix(s.Endpoint, "http://"), &minio.Options{
		Creds:        credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""),
		Secure:       false,
		Region:       "us-east-1",
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Bucket creates a bucket and returns its name.
func (s *Server) Bucket(t testing.TB, name string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Client(t).MakeBucket(ctx, name, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("s3test: create bucket %s: %v\nlog:\n%s", name, err, s.Log())
	}
	return name
}
