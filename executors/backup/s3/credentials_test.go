package s3

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7/pkg/credentials"
)

// TestChainOrder: without keys in the spec, credentials come from the
// environment, then the shared file, then a role (web identity, the
// container's, the instance's), as the AWS SDKs take them.
func TestChainOrder(t *testing.T) {
	for _, c := range []struct {
		name     string
		env      map[string]string
		role     bool
		endpoint string
		timeout  time.Duration
	}{
		{"default", nil, true, "", metadataTimeout},
		{"metadata endpoint", map[string]string{"AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:1"}, true, "http://127.0.0.1:1", metadataTimeout},
		{"metadata disabled", map[string]string{"AWS_EC2_METADATA_DISABLED": "TRUE"}, false, "", 0},
		{"web identity", map[string]string{"AWS_WEB_IDENTITY_TOKEN_FILE": "/t", "AWS_ROLE_ARN": "arn:aws:iam::1:role/r", "AWS_ENDPOINT_URL_STS": "https://sts.example"}, true, "https://sts.example", stsTimeout},
		// A web identity is not the instance metadata service: turning
		// the latter off keeps the former.
		{"web identity, metadata disabled", map[string]string{"AWS_WEB_IDENTITY_TOKEN_FILE": "/t", "AWS_EC2_METADATA_DISABLED": "true"}, true, "", stsTimeout},
		{"container", map[string]string{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/creds", "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://ignored"}, true, "", metadataTimeout},
	} {
		t.Run(c.name, func(t *testing.T) {
			ps := chain(func(k string) string { return c.env[k] })
			if len(ps) < 2 {
				t.Fatalf("chain = %#v", ps)
			}
			if _, ok := ps[0].(*credentials.EnvAWS); !ok {
				t.Errorf("first provider %T, want the environment", ps[0])
			}
			if _, ok := ps[1].(*credentials.FileAWSCredentials); !ok {
				t.Errorf("second provider %T, want the shared credentials file", ps[1])
			}
			if !c.role {
				if len(ps) != 2 {
					t.Errorf("chain has %d providers, want no role", len(ps))
				}
				return
			}
			if len(ps) != 3 {
				t.Fatalf("chain has %d providers, want a role third", len(ps))
			}
			iam, ok := ps[2].(*credentials.IAM)
			if !ok {
				t.Fatalf("third provider %T, want the role (IAM)", ps[2])
			}
			if iam.Endpoint != c.endpoint || iam.Client == nil || iam.Client.Timeout != c.timeout {
				t.Errorf("role endpoint %q, client %+v; want %q within %v", iam.Endpoint, iam.Client, c.endpoint, c.timeout)
			}
		})
	}
}

// clearAWS empties every variable the chain reads, so that the test sees
// only what it sets.
func clearAWS(t *testing.T) {
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY", "AWS_SECRET_KEY",
		"AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME", "AWS_ENDPOINT_URL_STS",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_REGION"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// TestCredentialPrecedence against versitygw: the spec's keys win over
// the environment, and the environment over the shared file.
func TestCredentialPrecedence(t *testing.T) {
	srv, bucket := newServer(t)
	clearAWS(t)
	list := func(cfg Config) error {
		s, err := New(cfg)
		if err != nil {
			return err
		}
		_, err = s.List(context.Background())
		return err
	}
	file := filepath.Join(t.TempDir(), "credentials")
	if err := os.WriteFile(file, []byte("[default]\naws_access_key_id = "+srv.AccessKey+"\naws_secret_access_key = "+srv.SecretKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", file)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKWRONG")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret")

	cfg := config(srv, "s3://"+bucket+"/precedence")
	if err := list(cfg); err != nil {
		t.Errorf("the spec's keys with wrong ones in the environment: %v", err)
	}
	cfg.AccessKey, cfg.SecretKey = "", ""
	if err := list(cfg); err == nil {
		t.Error("wrong keys in the environment and right ones in the file: List worked, so the file was read first")
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	if err := list(cfg); err != nil {
		t.Errorf("keys in the file only: %v", err)
	}
}

// stsServer answers AssumeRoleWithWebIdentity with keys, and records the
// token and role each request carried.
type stsServer struct {
	mu    sync.Mutex
	calls []string
	*httptest.Server
}

func newSTS(t *testing.T, access, secret string) *stsServer {
	s := &stsServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Method != http.MethodPost || r.Form.Get("Action") != "AssumeRoleWithWebIdentity" {
			http.Error(w, "not AssumeRoleWithWebIdentity", http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.calls = append(s.calls, r.Form.Get("RoleArn")+" "+r.Form.Get("WebIdentityToken"))
		s.mu.Unlock()
		fmt.Fprintf(w, `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
<AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>%s</SecretAccessKey><SessionToken></SessionToken><Expiration>%s</Expiration></Credentials></AssumeRoleWithWebIdentityResult>
</AssumeRoleWithWebIdentityResponse>`, access, secret, time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	}))
	t.Cleanup(s.Close)
	return s
}

// TestWebIdentity: with AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN (what
// IRSA and workload identity put in a pod), the token is exchanged at STS
// for keys that reach versitygw. The STS here is a loopback stand-in
// that checks the request's shape.
func TestWebIdentity(t *testing.T) {
	srv, bucket := newServer(t)
	clearAWS(t)
	sts := newSTS(t, srv.AccessKey, srv.SecretKey)
	token := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(token, []byte("eyJ.projected.token"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", token)
	t.Setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/redisplan")
	t.Setenv("AWS_ENDPOINT_URL_STS", sts.URL)
	cfg := config(srv, "s3://"+bucket+"/irsa")
	cfg.AccessKey, cfg.SecretKey = "", ""
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.List(context.Background()); err != nil {
		t.Fatalf("List with web identity credentials: %v", err)
	}
	sts.mu.Lock()
	defer sts.mu.Unlock()
	if len(sts.calls) == 0 || sts.calls[0] != "arn:aws:iam::123456789012:role/redisplan eyJ.projected.token" {
		t.Errorf("STS calls = %q, want the role and the token file's content", sts.calls)
	}
}

// TestInstanceRole: the instance metadata service's role (IMDSv2: a
// token first, then the role's name, then its keys). The service is a
// loopback stand-in named by AWS_EC2_METADATA_SERVICE_ENDPOINT.
func TestInstanceRole(t *testing.T) {
	srv, bucket := newServer(t)
	clearAWS(t)
	var mu sync.Mutex
	var paths []string
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.Method+" "+r.URL.Path)
		mu.Unlock()
		switch {
		case r.Method == http.MethodPut && r.URL.Path == "/latest/api/token":
			fmt.Fprint(w, "imds-token")
		case r.Header.Get("X-aws-ec2-metadata-token") != "imds-token":
			http.Error(w, "no token", http.StatusUnauthorized)
		case r.URL.Path == "/latest/meta-data/iam/security-credentials/":
			fmt.Fprint(w, "redisplan-role\n")
		case r.URL.Path == "/latest/meta-data/iam/security-credentials/redisplan-role":
			fmt.Fprintf(w, `{"Code":"Success","AccessKeyId":%q,"SecretAccessKey":%q,"Token":"","Expiration":%q}`,
				srv.AccessKey, srv.SecretKey, time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(imds.Close)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "")
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.URL)
	cfg := config(srv, "s3://"+bucket+"/imds")
	cfg.AccessKey, cfg.SecretKey = "", ""
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.List(context.Background()); err != nil {
		t.Fatalf("List with the instance role: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(paths) < 3 || paths[0] != "PUT /latest/api/token" || !strings.HasSuffix(paths[2], "/redisplan-role") {
		t.Errorf("metadata requests = %q, want the IMDSv2 token, the role list, the role", paths)
	}

	// Turned off, the service is not asked, and without other
	// credentials New says where they may come from.
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	mu.Unlock()
	before := len(paths)
	_, err = New(cfg)
	mu.Lock()
	if err == nil || !strings.Contains(err.Error(), "AWS_WEB_IDENTITY_TOKEN_FILE") {
		t.Errorf("New without credentials = %v, want the hint", err)
	}
	if len(paths) != before {
		t.Errorf("the metadata service was asked although AWS_EC2_METADATA_DISABLED=true: %q", paths[before:])
	}
}
