// Package version says which redisplan this is: the release version a
// release build sets with -ldflags, else what the Go toolchain stamped
// into the binary (the module version for `go install …@vX`, or the VCS
// revision and whether the tree was modified for `go build` in a
// checkout), else "dev".
package version

import (
	"runtime"
	"runtime/debug"
)

// release is set by release builds:
// -ldflags "-X github.com/redisplan/redisplan/internal/version.release=v1.2.3".
var release string

// Info is what `redisplan version -json` prints.
type Info struct {
	Version   string `json:"version"`
	Revision  string `json:"revision,omitempty"`
	Time      string `json:"revision_time,omitempty"`
	Modified  bool   `json:"modified"`
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"`
}

// Get reads the version of the running binary.
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return fromBuild(release, bi)
}

// String is the one-word version: "v1.2.3", "a1b2c3d4e5f6" or
// "a1b2c3d4e5f6-modified", or "dev".
func String() string { return Get().Version }

func fromBuild(release string, bi *debug.BuildInfo) Info {
	info := Info{Version: "dev", GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi != nil {
		info.GoVersion = bi.GoVersion
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				info.Revision = s.Value
			case "vcs.time":
				info.Time = s.Value
			case "vcs.modified":
				info.Modified = s.Value == "true"
			}
		}
	}
	switch {
	case release != "":
		info.Version = release
	case bi != nil && bi.Main.Version != "" && bi.Main.Version != "(devel)":
		// go install module@version stamps the module's version.
		info.Version = bi.Main.Version
	case info.Revision != "":
		info.Version = short(info.Revision)
		if info.Modified {
			info.Version += "-modified"
		}
	}
	return info
}

func short(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}
