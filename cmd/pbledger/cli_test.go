package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// `--help` and `-h` print the command's usage and exit 0, for every command.
func TestHelpExitsZeroEverywhere(t *testing.T) {
	for _, c := range commands() {
		for _, flag := range []string{"--help", "-h"} {
			t.Run(c.name+flag, func(t *testing.T) {
				var out, errb bytes.Buffer
				if code := run(context.Background(), []string{c.name, flag}, &out, &errb); code != 0 {
					t.Fatalf("pbledger %s %s exited %d\n%s%s", c.name, flag, code, out.String(), errb.String())
				}
				if help := out.String() + errb.String(); !strings.Contains(help, "-") || strings.Contains(help, "help requested") {
					t.Fatalf("pbledger %s %s printed %q, want its usage", c.name, flag, help)
				}
			})
		}
	}
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		if code := run(context.Background(), args, &bytes.Buffer{}, &bytes.Buffer{}); code != 0 {
			t.Errorf("pbledger %v exited %d", args, code)
		}
	}
}

// Every command that reads and reports offers --json.
func TestReadCommandsOfferJSON(t *testing.T) {
	for _, name := range []string{"replay", "rebuild", "outcome", "import", "load", "version"} {
		var errb bytes.Buffer
		run(context.Background(), []string{name, "--help"}, &bytes.Buffer{}, &errb)
		if !strings.Contains(errb.String(), "-json") {
			t.Errorf("pbledger %s offers no --json:\n%s", name, errb.String())
		}
	}
}
