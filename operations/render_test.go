package operations

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteRenderedIsPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	path, err := WriteRendered(dir, RenderedFile{Name: "main.conf", Data: []byte("requirepass s3cret\n")})
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600: a rendered redis.conf holds secrets", path, info.Mode().Perm())
	}
	if d, err := os.Stat(dir); err != nil || d.Mode().Perm() != 0o700 {
		t.Errorf("the output directory was not made with mode 0700: %v %v", d, err)
	}
}

func TestRenderSchedulesWithoutAnySaysSo(t *testing.T) {
	_, err := Render(RenderRequest{What: "systemd", Config: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), `no selected target has a cron block of kind "systemd"`) {
		t.Fatalf("err = %v, want the kind named", err)
	}
}
