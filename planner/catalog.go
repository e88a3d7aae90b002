package planner

import (
	"github.com/redisplan/redisplan/internal/catalog"
	"github.com/redisplan/redisplan/internal/model"
)

// PlanCatalog returns the catalog a target's plan was made with, for apply
// and for rendering the plan: the one the plan recorded. A plan saved
// before plans recorded their catalog gives the catalog of the server
// version it recorded (Redis' redis_version; Valkey reported its
// compatibility version there), or of the spec's declared version
// (declared, "" for none) when it recorded none, as catalog.Choose does.
func PlanCatalog(tp *model.TargetPlan, declared string) *catalog.Catalog {
	if tp != nil && tp.Catalog != "" {
		if c, err := catalog.For(tp.Catalog); err == nil {
			return c
		}
	}
	info := map[string]string{}
	if tp != nil && tp.Version != "" {
		info["redis_version"] = tp.Version
	}
	return catalog.Choose(info, declared)
}
