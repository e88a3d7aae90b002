package operations

import (
	"context"
	"fmt"

	"github.com/redisplan/redisplan/executors/drill"
	"github.com/redisplan/redisplan/executors/restore"
	"github.com/redisplan/redisplan/internal/model"
)

// RPODrill crashes scratch copies of t's server under writes (drill.RPO)
// and judges the loss against t's rpo.
func RPODrill(ctx context.Context, t *model.Target, opts drill.RPOOptions) (drill.RPOResult, drill.Verdict, error) {
	res, err := drill.RPO(ctx, t, opts)
	if err != nil {
		return res, drill.Verdict{}, err
	}
	return res, drill.JudgeRPO(res, t.RPO), nil
}

// RTODrill times a verify and a restore of one of t's backups (which: an
// ID, or latest) into a scratch server (drill.RTO) and judges it against
// t's rto. A drill never restores into the target, so an ID may name
// another spec's backup. started is told which backup, once it is found,
// and what picking it passed over (notes); when no backup is found, the
// notes come back with the error.
func RTODrill(ctx context.Context, t *model.Target, which, identity string, started func(backupID string, notes []string)) (res drill.RTOResult, v drill.Verdict, notes []string, err error) {
	if t.Backup == nil {
		return res, v, nil, fmt.Errorf("redis.%s has no backup block, so there is no backup to restore", t.Name)
	}
	src, notes, err := RestoreSource(ctx, t, SourceRequest{Backup: which, Identity: identity, OtherSpec: true})
	if err != nil {
		return res, v, notes, err
	}
	if started != nil {
		started(src.Manifest.ID, notes)
	}
	res, err = drill.RTO(ctx, src, func(ctx context.Context, src restore.Source) error {
		_, err := restore.Verify(ctx, src)
		return err
	})
	if err != nil {
		return res, v, nil, err
	}
	return res, drill.JudgeRTO(res, t.RTO), nil, nil
}
