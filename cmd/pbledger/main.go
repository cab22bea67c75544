// Command pbledger is the participatory-budgeting ledger: it runs the server and the offline tools
// auditors use (outcome, import, replay, rebuild, load).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/google/uuid"

	// The time zone database, built in: cycles keep their calendars in IANA zones (Asia/Almaty), and a
	// server must not depend on the host's tzdata package being installed or current.
	_ "time/tzdata"
)

// command is one subcommand of pbledger.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "run the server (embedded store, or KurrentDB with --store)", runServe},
		{"import", "import Pabulib files as cycles (no server needed)", runImport},
		{"replay", "print rankings and balances as they stood at a position or time", runReplay},
		{"rebuild", "rebuild the read model's checkpoint from the whole log", runRebuild},
		{"outcome", "compute a Pabulib file's outcome offline", runOutcome},
		{"export", "export a counted district's input, with every parameter of the count, as Pabulib or JSON", runExport},
		{"corpus", "count every Pabulib file of a directory and compare with the official winners", runCorpus},
		{"token", "add, revoke and list bearer tokens (token add|revoke|list --data DIR)", runToken},
		{"verify", "verify a log: its tree, signed checkpoints and every allocation (--data DIR or --url URL)", runVerify},
		{"mirror", "copy a server's public log into a local store, verified against its signed checkpoints", runMirror},
		{"load", "load-test a running server with a Pabulib file's ballots", runLoad},
		{"version", "print the build's version", runVersion},
		{"reindex", "complete the district indexes of cycles opened by older builds (once, after upgrading)", runReindex},
		{"migrate", "copy a log between stores (file store, KurrentDB), resumably, and verify the copy", runMigrate},
		{"erase", "erase a proposal author's personal data (destroy their key; audited)", runErase},
	}
}

func main() {
	enableUUIDPool()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// enableUUIDPool makes random UUIDs (event and proposal IDs) from a pool of random bytes read in batches,
// not one getrandom call each: an import makes two or three per ballot, and the call was 6 % of its CPU.
// They are public and need uniqueness, not secrecy; no secret is a UUID. It must run before any goroutine
// makes a UUID (the setting is not synchronised), so main calls it first (and TestMain, for the tests).
func enableUUIDPool() { uuid.EnableRandPool() }

// run dispatches to a subcommand and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			if err := c.run(ctx, args[1:], stdout, stderr); errors.Is(err, flag.ErrHelp) {
				return 0 // --help: the usage was printed
			} else if err != nil {
				fmt.Fprintf(stderr, "pbledger %s: %v\n", c.name, err)
				return 1
			}
			return 0
		}
	}
	fmt.Fprintf(stderr, "pbledger: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: pbledger <command> [flags]")
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	m := &server{}
	if err := m.ParseFlags(args, stderr); err != nil {
		return err
	}
	return m.Run(ctx)
}
