package s3

import (
	"errors"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Timeouts of the requests for a role's credentials: the instance
// metadata service answers on a link-local address within milliseconds
// where it exists, and must not hold a run up where it does not; STS is a
// remote service.
const (
	metadataTimeout = 2 * time.Second
	stsTimeout      = 15 * time.Second
)

// resolveCredentials takes the spec's keys when it sets them; otherwise
// the first of the chain (chain) that yields a key.
func resolveCredentials(cfg Config) (*credentials.Credentials, error) {
	if cfg.AccessKey != "" || cfg.SecretKey != "" {
		if cfg.AccessKey == "" || cfg.SecretKey == "" {
			return nil, errors.New("the s3 block sets only one of access_key and secret_key: set both, or neither to use the standard AWS credential chain")
		}
		return credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""), nil
	}
	creds := credentials.NewChainCredentials(chain(os.Getenv))
	v, err := creds.GetWithContext(nil)
	if err != nil || v.AccessKeyID == "" || v.SecretAccessKey == "" {
		return nil, errors.New("no S3 credentials: set access_key and secret_key in the backup's s3 block, " +
			"or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile in ~/.aws/credentials (AWS_SHARED_CREDENTIALS_FILE, AWS_PROFILE), " +
			"or a web identity (AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN, as IRSA and workload identity set them), " +
			"or run where the container or instance metadata service gives a role")
	}
	return creds, nil
}

// chain is the standard AWS credential chain, in the AWS SDKs' order:
//
//  1. the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
//     AWS_SESSION_TOKEN;
//  2. the shared credentials file: AWS_SHARED_CREDENTIALS_FILE or
//     ~/.aws/credentials, profile AWS_PROFILE or "default";
//  3. a role: a web identity when AWS_WEB_IDENTITY_TOKEN_FILE is set
//     (with AWS_ROLE_ARN; EKS IRSA, GKE and Azure workload identity),
//     exchanged at STS (AWS_ENDPOINT_URL_STS, else the region's); else
//     the container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
//     or _FULL_URI: ECS, EKS Pod Identity); else the EC2 instance
//     metadata service (AWS_EC2_METADATA_SERVICE_ENDPOINT, else
//     169.254.169.254), unless AWS_EC2_METADATA_DISABLED=true.
func chain(getenv func(string) string) []credentials.Provider {
	providers := []credentials.Provider{&credentials.EnvAWS{}, &credentials.FileAWSCredentials{}}
	webIdentity := getenv("AWS_WEB_IDENTITY_TOKEN_FILE") != ""
	container := getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") != "" || getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI") != ""
	role := &credentials.IAM{Client: &http.Client{Timeout: metadataTimeout}}
	switch {
	case webIdentity:
		role.Client.Timeout = stsTimeout
		role.Endpoint = getenv("AWS_ENDPOINT_URL_STS")
	case container:
	case strings.EqualFold(getenv("AWS_EC2_METADATA_DISABLED"), "true"):
		return providers
	default:
		role.Endpoint = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT")
	}
	return append(providers, role)
}
