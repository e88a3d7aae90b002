package live

import (
	"errors"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/model"
)

// A secret CONFIG name the server does not know (the operator rotated it
// in the spec first, or mistyped it) is echoed by Redis in "unknown
// command": the error says what to do without repeating it, in any case,
// and the server's reply is still reachable.
func TestUnknownSecretConfigNameIsNotShown(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{Config: "rename-command CONFIG CFG_current_42\n"})
	ctx := testContext(t)
	for name, tg := range map[string]*model.Target{
		"rename in the spec": {Name: "main", Connection: model.Connection{Address: s.Addr()},
			Renames: []model.Rename{{Command: "CONFIG", NewName: "Cfg_Rotated_77", Sensitive: true}}},
		"config_command": {Name: "main", Connection: model.Connection{Address: s.Addr(), ConfigCommand: "Cfg_Rotated_77"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Inspector{}.Inspect(ctx, tg)
			mustContain(t, err, s.Addr(), "does not know the CONFIG command under the name the spec gives it", "config_command")
			if strings.Contains(strings.ToLower(err.Error()), "cfg_rotated_77") {
				t.Errorf("the error shows the secret name: %v", err)
			}
			var rerr redis.Error
			if !errors.As(err, &rerr) || !strings.Contains(rerr.Error(), "unknown command") {
				t.Errorf("the server's reply is not reachable through errors.As: %v", err)
			}
		})
	}
}
