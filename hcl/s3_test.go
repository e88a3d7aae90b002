package hcl

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/redisplan/redisplan/internal/model"
)

func TestS3Backup(t *testing.T) {
	spec := load(t, Options{Path: "../testdata/valid/s3_backup.hcl", Vars: []string{"s3_secret_key=Sup3rSecretKey"}})
	b := spec.Targets[0].Backup
	if b.Destination != "s3://redis-backups/prod" {
		t.Errorf("Destination = %q", b.Destination)
	}
	if want := []string{"s3://redis-offsite/prod", "/var/backups/redis-copy"}; !cmp.Equal(b.CopyTo, want) {
		t.Errorf("CopyTo = %q, want %q", b.CopyTo, want)
	}
	want := model.S3{Endpoint: "http://127.0.0.1:7070", Region: "eu-west-1", AccessKey: "AKIAEXAMPLE", SecretKey: "Sup3rSecretKey", PathStyle: true, SSE: "AES256"}
	if b.S3 == nil || *b.S3 != want {
		t.Fatalf("S3 = %#v, want %#v", b.S3, want)
	}
	// Printing the model in any form shows neither key.
	for _, s := range []string{fmt.Sprint(b.S3), fmt.Sprintf("%v %+v %#v", *b.S3, *b.S3, *b.S3), fmt.Sprintf("%+v", *b)} {
		if strings.Contains(s, "Sup3rSecretKey") || strings.Contains(s, "AKIAEXAMPLE") {
			t.Errorf("printed S3 settings show a key: %s", s)
		}
	}
}
