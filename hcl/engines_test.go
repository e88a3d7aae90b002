package hcl

import (
	"strings"
	"testing"
)

// TestVersionDeclaredAndBackupUnloadable: redis_version marks the target's
// release as declared (lint RP015 compares only those), and the
// backup_unloadable alert block decodes as a severity like the other
// pass/fail checks, a wrong severity being an error.
func TestVersionDeclaredAndBackupUnloadable(t *testing.T) {
	res, diags := loadDiags(t, `
redis "a" {
  address       = "127.0.0.1:6379"
  redis_version = "valkey-8.1"
  backup {
    destination = "/var/backups/redis"
  }
  alerts {
    backup_unloadable {
      severity = "warning"
    }
  }
}
redis "b" {
  address = "127.0.0.1:6380"
}
`)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	a, b := res.Spec.Target("a"), res.Spec.Target("b")
	if !a.VersionDeclared || a.RedisVersion != "valkey-8.1" || b.VersionDeclared {
		t.Errorf("declared: a %v %q, b %v; want a declared valkey-8.1, b not", a.VersionDeclared, a.RedisVersion, b.VersionDeclared)
	}
	if th := a.Threshold("backup_unloadable"); th == nil || th.Severity != "warning" {
		t.Errorf("backup_unloadable = %+v, want severity warning", th)
	}

	_, diags = loadDiags(t, `redis "a" {
  address = "127.0.0.1:6379"
  alerts {
    backup_unloadable {
      severity = "loud"
    }
  }
}
`)
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "warning") {
		t.Errorf("backup_unloadable with severity \"loud\": %v, want an error naming the severities", diags)
	}
}
