package capture

import (
	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/live"
	"github.com/redisplan/redisplan/internal/model"
)

// endpoint explains failures of the server being backed up. It is live's
// explainer, so that the same failure reads the same in every command.
type endpoint = live.Endpoint

func endpointOf(c *redis.Client) endpoint     { return live.EndpointOf(c, "") }
func endpointFor(c model.Connection) endpoint { return live.EndpointFor(c) }
func replyText(err error) (string, bool)      { return live.ReplyText(err) }

// orUnknown shows an INFO field that the server did not report as "?".
func orUnknown(s string) string {
	if s == "" {
		return "?"
	}
	return s
}
