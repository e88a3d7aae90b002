// Command s3mem measures redisplan's peak memory while it uploads a large
// backup to an S3-compatible server: it starts a redis-server holding
// about -mb megabytes of data (uncompressed, so that the whole size goes
// over the wire), a versitygw over a temporary directory, and runs
// `redisplan backup run` and `backup verify` against s3://, reporting
// each one's peak RSS (getrusage of the child). Run it with
// `make bench-s3` (MB=1024 by default); the figures go into
// docs/performance.md.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/server"
	"github.com/redisplan/redisplan/internal/redisinfo"
	"github.com/redisplan/redisplan/internal/s3test"
	"github.com/redisplan/redisplan/scripts/internal/bench"
)

func main() {
	mb := flag.Int("mb", 1024, "dataset size in MB (1e6 bytes)")
	flag.Parse()
	if err := run(*mb); err != nil {
		fmt.Fprintln(os.Stderr, "s3mem:", err)
		os.Exit(1)
	}
}

func run(mb int) error {
	ctx := context.Background()
	work, bin, cleanup, err := bench.Workdir("redisplan-s3mem-")
	if err != nil {
		return err
	}
	defer cleanup()

	// redis-server, with the dataset made by DEBUG POPULATE and saved
	// without compression.
	rbin, err := server.Binary()
	if err != nil {
		return err
	}
	dataDir := filepath.Join(work, "data")
	os.MkdirAll(dataDir, 0o700)
	conf := filepath.Join(work, "redis.conf")
	startCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	srv, err := server.Start(startCtx, server.Spec{
		Bin: rbin, Dir: dataDir, LogFile: filepath.Join(work, "redis.log"),
		Args: func(port int) ([]string, error) {
			lines := append(server.LoopbackLines(port, dataDir, filepath.Join(work, "redis.log")),
				`save ""`, "appendonly no", "rdbcompression no", "enable-debug-command yes")
			return []string{conf}, os.WriteFile(conf, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
		},
	})
	if err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	defer srv.Kill()
	addr := srv.Addr()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, ReadTimeout: 10 * time.Minute})
	defer c.Close()
	keys := mb * 1000 // values of 1000 bytes
	fmt.Fprintf(os.Stderr, "loading %d keys of 1000 bytes...\n", keys)
	if err := c.Do(ctx, "DEBUG", "POPULATE", keys, "k", 1000).Err(); err != nil {
		return fmt.Errorf("DEBUG POPULATE: %w", err)
	}
	used, _ := c.Info(ctx, "memory").Result()

	// versitygw.
	vgw, err := versitygw()
	if err != nil {
		return err
	}
	sport, err := server.FreePort()
	if err != nil {
		return err
	}
	root := filepath.Join(work, "s3")
	os.MkdirAll(root, 0o700)
	access, secret := "AK"+randomHex(8), randomHex(16)
	endpoint := fmt.Sprintf("127.0.0.1:%d", sport)
	gw := exec.Command(vgw, "--port", endpoint, "--quiet", "posix", root)
	gw.Env = append(os.Environ(), "ROOT_ACCESS_KEY_ID="+access, "ROOT_SECRET_ACCESS_KEY="+secret)
	if err := gw.Start(); err != nil {
		return fmt.Errorf("start versitygw: %w", err)
	}
	defer func() { gw.Process.Kill(); gw.Wait() }()
	for i := 0; ; i++ {
		if resp, err := http.Get("http://" + endpoint + "/"); err == nil {
			resp.Body.Close()
			break
		}
		if i > 200 {
			return fmt.Errorf("versitygw does not answer on %s", endpoint)
		}
		time.Sleep(50 * time.Millisecond)
	}
	mc, err := minio.New(endpoint, &minio.Options{Creds: credentials.NewStaticV4(access, secret, ""), BucketLookup: minio.BucketLookupPath, Region: "us-east-1"})
	if err != nil {
		return err
	}
	if err := mc.MakeBucket(ctx, "bench", minio.MakeBucketOptions{}); err != nil {
		return fmt.Errorf("make bucket: %w", err)
	}

	spec := filepath.Join(work, "spec.hcl")
	os.WriteFile(spec, []byte(fmt.Sprintf(`redis "main" {
  address  = %q
  data_dir = %q
  backup {
    destination = "s3://bench/redis"
    compression = "none"
    s3 {
      endpoint   = "http://%s"
      region     = "us-east-1"
      path_style = true
    }
  }
}
`, addr, dataDir, endpoint)), 0o600)
	env := append(os.Environ(), "AWS_ACCESS_KEY_ID="+access, "AWS_SECRET_ACCESS_KEY="+secret)

	fmt.Printf("dataset: %d keys, %s\n", keys, infoLine(used, "used_memory_human"))
	for _, args := range [][]string{{"backup", "run", "-no-prune"}, {"backup", "verify"}} {
		cmd := exec.Command(bin, append(args, "-config", spec)...)
		cmd.Env = env
		out := &strings.Builder{}
		cmd.Stdout, cmd.Stderr = out, out
		start := time.Now()
		err := cmd.Run()
		elapsed := time.Since(start)
		if err != nil {
			return fmt.Errorf("redisplan %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		fmt.Printf("redisplan %-18s peak RSS %6.1f MB   %5.1fs\n", strings.Join(args, " "), bench.PeakRSS(cmd), elapsed.Seconds())
		fmt.Print(indent(out.String()))
	}
	var stored int64
	for o := range mc.ListObjects(ctx, "bench", minio.ListObjectsOptions{Recursive: true}) {
		stored += o.Size
	}
	fmt.Printf("stored in the bucket: %.1f MB\n", float64(stored)/1e6)
	return nil
}

func indent(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		b.WriteString("    " + l + "\n")
	}
	return b.String()
}

func infoLine(info, key string) string {
	if v, ok := redisinfo.Parse(info)[key]; ok {
		return key + " " + v
	}
	return ""
}

// versitygw finds the gateway as the tests do: REDISPLAN_VERSITYGW, PATH,
// then the cache directory scripts/install-deps.sh fills.
func versitygw() (string, error) {
	if v := os.Getenv("REDISPLAN_VERSITYGW"); v != "" {
		return exec.LookPath(v)
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	dir, err := s3test.CacheDir()
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, "versitygw")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("versitygw not found: run scripts/install-deps.sh")
	}
	return p, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
