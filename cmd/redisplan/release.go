package main

import (
	"context"
	"fmt"

	"github.com/redisplan/redisplan/cmd/redisplan/internal/arguments"
	buildinfo "github.com/redisplan/redisplan/internal/version"
)

// version names this build in manifests, SARIF and the man page.
var version = buildinfo.String()

// runVersion is "redisplan version [-json]" (and -version).
func runVersion(_ context.Context, env *cmdEnv, a *arguments.Version) int {
	info := buildinfo.Get()
	if a.JSON {
		writeJSON(env.stdout, struct {
			FormatVersion string `json:"format_version"`
			buildinfo.Info
		}{"1.0", info})
		return exitOK
	}
	fmt.Fprintf(env.stdout, "redisplan %s (%s, %s)\n", info.Version, info.GoVersion, info.Platform)
	return exitOK
}

// runCompletion is "redisplan completion bash|zsh|fish".
func runCompletion(_ context.Context, env *cmdEnv, a *arguments.Completion) int {
	if err := arguments.WriteCompletion(env.stdout, a.Shell); err != nil {
		return fail(env, "completion", err)
	}
	return exitOK
}

// runMan is "redisplan man": redisplan(1) from the help text.
func runMan(_ context.Context, env *cmdEnv, args []string) int {
	if code, done := parsed(env, "man", arguments.ParseMan(args), exitError); done {
		return code
	}
	arguments.WriteMan(env.stdout, version)
	return exitOK
}
