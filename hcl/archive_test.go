package hcl

import (
	"strings"
	"testing"
	"time"

	"github.com/redisplan/redisplan/internal/model"
)

// TestArchiveBlock: backup { archive { flush } } decodes to the model with
// its bounds inclusive, an empty block takes the 1s default, no block
// leaves the archive off, and the archive thresholds decode like the
// others (archive_lag in seconds, archive_gap as a severity).
func TestArchiveBlock(t *testing.T) {
	const spec = `
redis "a" {
  address = "127.0.0.1:6379"
  backup {
    destination = "/var/backups/redis"
    archive {
      flush = "250ms"
    }
  }
  alerts {
    archive_lag {
      warning  = "5s"
      critical = "1m"
    }
    archive_gap {
      severity = "critical"
    }
  }
}
redis "b" {
  address = "127.0.0.1:6380"
  backup {
    destination = "/var/backups/redis"
    archive {}
  }
}
redis "c" {
  address = "127.0.0.1:6381"
  backup {
    destination = "/var/backups/redis"
  }
}
redis "min" {
  address = "127.0.0.1:6382"
  backup {
    destination = "/var/backups/redis"
    archive { flush = "100ms" }
  }
}
redis "max" {
  address = "127.0.0.1:6383"
  backup {
    destination = "/var/backups/redis"
    archive { flush = "1m" }
  }
}
`
	res, diags := loadDiags(t, spec)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	s := res.Spec
	for name, want := range map[string]time.Duration{"a": 250 * time.Millisecond, "b": model.DefaultArchiveFlush, "min": 100 * time.Millisecond, "max": time.Minute} {
		a := s.Target(name).Backup.Archive
		if a == nil || a.Flush != want {
			t.Errorf("%s: archive = %+v, want flush %s", name, a, want)
			continue
		}
		if a.Pos.Line == 0 {
			t.Errorf("%s: archive has no position", name)
		}
	}
	if a := s.Target("c").Backup.Archive; a != nil {
		t.Errorf("c has no archive block but decodes to %+v", a)
	}
	lag := s.Target("a").Threshold("archive_lag")
	if lag == nil || lag.Warning == nil || *lag.Warning != 5 || lag.Critical == nil || *lag.Critical != 60 {
		t.Errorf("archive_lag = %+v, want warning 5 and critical 60 seconds", lag)
	}
	if gap := s.Target("a").Threshold("archive_gap"); gap == nil || gap.Severity != "critical" {
		t.Errorf("archive_gap = %+v, want severity critical", gap)
	}
}

// TestArchiveFlushBoundsSayWhy: the bound errors say the bound and the
// reason, so that a user knows what to write instead.
func TestArchiveFlushBoundsSayWhy(t *testing.T) {
	for flush, want := range map[string][]string{
		"99ms": {"at least 100ms", "objects"},
		"61s":  {"at most 1m", "lost host"},
	} {
		_, diags := loadDiags(t, `redis "a" {
  address = "127.0.0.1:6379"
  backup {
    destination = "/var/backups/redis"
    archive { flush = "`+flush+`" }
  }
}
`)
		if !diags.HasErrors() {
			t.Errorf("flush %s: no error", flush)
			continue
		}
		text := allText(diags)
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("flush %s: %q does not say %q", flush, text, w)
			}
		}
		if d := diags.Errs()[0]; d.Error() == "" || !strings.Contains(d.Error(), "spec.hcl:5,") {
			t.Errorf("flush %s: error %q does not point at line 5", flush, d.Error())
		}
	}
}

// TestArchiveRefusesRecipients: an archive beside encrypted backups is
// refused at load, at the archive block, saying its segments are not
// encrypted: the archiver would otherwise fail only when started.
func TestArchiveRefusesRecipients(t *testing.T) {
	_, diags := loadDiags(t, `redis "a" {
  address = "127.0.0.1:6379"
  backup {
    destination = "/var/backups/redis"
    recipients  = ["age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"]
    archive { flush = "1s" }
  }
}
`)
	if !diags.HasErrors() {
		t.Fatal("archive with recipients: no error")
	}
	d := diags.Errs()[0]
	if !strings.Contains(d.Error(), "spec.hcl:6,5") || !strings.Contains(d.Error(), "does not encrypt its segments") ||
		!strings.Contains(d.Error(), "recipients, line 5") {
		t.Errorf("error = %q, want it at spec.hcl:6,5 saying segments are not encrypted", d.Error())
	}
	// Recipients without an archive, and an archive without recipients,
	// still load.
	for _, spec := range []string{`redis "a" {
  address = "127.0.0.1:6379"
  backup {
    destination = "/var/backups/redis"
    recipients  = ["age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"]
  }
}
`, `redis "a" {
  address = "127.0.0.1:6379"
  backup {
    destination = "/var/backups/redis"
    recipients  = []
    archive {}
  }
}
`} {
		if _, diags := loadDiags(t, spec); diags.HasErrors() {
			t.Errorf("%s: %s", spec, diags.Error())
		}
	}
}

// TestFormatKeepsArchive: fmt aligns the archive block and keeps it.
func TestFormatKeepsArchive(t *testing.T) {
	src := []byte("redis \"a\" {\naddress = \"127.0.0.1:6379\"\nbackup {\ndestination = \"/b\"\narchive {\nflush = \"1s\"\n}\n}\n}\n")
	out, diags := Format(src, "spec.hcl")
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	want := "redis \"a\" {\n  address = \"127.0.0.1:6379\"\n  backup {\n    destination = \"/b\"\n    archive {\n      flush = \"1s\"\n    }\n  }\n}\n"
	if string(out) != want {
		t.Errorf("formatted:\n%s\nwant:\n%s", out, want)
	}
}
