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
	if b.S3 == nil {
		t.Fatal("no S3 settings")
	}
	got := *b.S3
	if got.SecretKeyLiteral || got.SecretKeyPos.Line != 16 {
		t.Errorf("secret key literal=%t at line %d, want a variable at line 16", got.SecretKeyLiteral, got.SecretKeyPos.Line)
	}
	got.SecretKeyPos = model.Pos{}
	if got != want {
		// Compared field by field: String hides the keys.
		t.Fatalf("S3 = %q %q %q %t %q, want %q %q %q %t %q", got.Endpoint, got.Region, got.AccessKey, got.PathStyle, got.SSE,
			want.Endpoint, want.Region, want.AccessKey, want.PathStyle, want.SSE)
	}
	// Printing the model in any form shows neither key.
	for _, s := range []string{fmt.Sprint(b.S3), fmt.Sprintf("%v %+v %#v", *b.S3, *b.S3, *b.S3), fmt.Sprintf("%+v", *b)} {
		if strings.Contains(s, "Sup3rSecretKey") || strings.Contains(s, "AKIAEXAMPLE") {
			t.Errorf("printed S3 settings show a key: %s", s)
		}
	}
}
