package live

import (
	"context"
	"errors"
	"fmt"

	"github.com/redisplan/redisplan/internal/model"
)

// HeldSettings are the settings that make a running server refuse every
// write: Redis refuses writes (-NOREPLICAS) while fewer than
// min-replicas-to-write replicas are connected and min-replicas-max-lag is
// not 0, so with the largest count no write is taken. A restore starts the
// restored server with them until its data is checked; a restart leaves
// them on a server whose data does not match what it held before its stop.
var HeldSettings = [][2]string{{"min-replicas-to-write", model.RestoreHoldValue}, {"min-replicas-max-lag", "10"}}

// fenceWrites makes the server of t refuse every write (CONFIG SET of
// HeldSettings) and returns the values it had before. A server that
// already refuses them returns nil values: they are not the user's.
func fenceWrites(ctx context.Context, t *model.Target) (was [][2]string, err error) {
	c, err := dialWith(t.Connection, oneShot)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	name, _, err := ConfigName(ctx, c, t)
	if err != nil {
		return nil, err
	}
	if name == "" {
		return nil, errors.New(`CONFIG is renamed to "" on the server`)
	}
	got, err := ConfigGet(ctx, c, name, HeldSettings[0][0], HeldSettings[1][0])
	if err != nil {
		return nil, err
	}
	if got[HeldSettings[0][0]] != HeldSettings[0][1] {
		for _, s := range HeldSettings {
			was = append(was, [2]string{s[0], got[s[0]]})
		}
	}
	if err := ConfigSet(ctx, c, name, HeldSettings); err != nil {
		return nil, err
	}
	return was, nil
}

// fence makes the server of t, left running with a keyspace that does not
// match the one it held before redisplan stopped it, refuse every write,
// so that no client writes into it and no save (a save point, BGSAVE)
// writes its data over the files, and marks rec (the restart's record,
// kept on disk) with the mismatch and the user's values. It returns what
// it did, for the message.
func fence(ctx context.Context, t *model.Target, rec *RestartRecord, mismatch string) string {
	ctx = context.WithoutCancel(ctx)
	was, err := fenceWrites(ctx, t)
	if err != nil {
		return fmt.Sprintf("redisplan could NOT make it refuse writes (%v): stop every client that writes to it, and should you stop it, "+
			"stop it with SHUTDOWN NOSAVE so that it writes nothing over its data files", err)
	}
	kept := ""
	if rec != nil {
		if len(rec.Held) == 0 {
			rec.Held = was
		}
		rec.Mismatch = mismatch
		if err := rec.write(t); err != nil {
			kept = fmt.Sprintf(" (the record of the mismatch could not be kept: %v)", err)
		}
	}
	return fmt.Sprintf("redisplan made it refuse every write (CONFIG SET min-replicas-to-write %s), so that no client writes into it "+
		"and no save writes its data over the data files%s; look at the data, then restore a backup (redisplan restore), "+
		"or, if the data is right as it is, let writes in again with %s and run apply again; stop it only with SHUTDOWN NOSAVE meanwhile",
		HeldSettings[0][1], kept, rec.LiftWords())
}

// LiftWords says the CONFIG SET that puts the user's values back.
func (r *RestartRecord) LiftWords() string {
	if r == nil || len(r.Held) == 0 {
		return "CONFIG SET min-replicas-to-write <your value> (0 when the config file sets none)"
	}
	s := "CONFIG SET"
	for _, h := range r.Held {
		s += " " + h[0] + " " + h[1]
	}
	return s
}
