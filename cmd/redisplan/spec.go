package main

import (
	hclv2 "github.com/hashicorp/hcl/v2"

	spechcl "github.com/redisplan/redisplan/hcl"
)

// loadQuiet loads the spec without printing diagnostics, for commands that
// report them in their own format.
func loadQuiet(env *cmdEnv, sf *specFlags) (*spechcl.Result, hclv2.Diagnostics) {
	res, diags := spechcl.Load(spechcl.Options{
		Path:     sf.config,
		Vars:     sf.vars,
		VarFiles: sf.varFiles,
		Environ:  env.environ,
	})
	env.secrets = env.secrets.With(res.Secrets()...)
	return res, diags
}
