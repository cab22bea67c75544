package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// version is the build's version, set by the Makefile from `git describe`:
//
//	go build -ldflags "-X main.version=$(git describe --tags --always --dirty)"
//
// When it is not set (go install, go run), buildVersion falls back to what the Go toolchain recorded.
var version string

// buildVersion is the version pbledger_build_info and `pbledger version` report: the -ldflags version when
// the build set one, else the module version with the VCS revision the toolchain recorded ("(devel)" for
// a local build without VCS information).
func buildVersion() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if len(rev) >= 12 {
		v += "+" + rev[:12]
		if dirty {
			v += "-dirty"
		}
	}
	return v
}

func runVersion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *asJSON {
		return writeJSONTo(stdout, map[string]string{"version": buildVersion(), "go": runtime.Version()})
	}
	fmt.Fprintf(stdout, "pbledger %s (%s)\n", buildVersion(), runtime.Version())
	return nil
}
