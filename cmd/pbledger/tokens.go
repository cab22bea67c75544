package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/pbledger/pbledger/domain"
	pbhttp "github.com/pbledger/pbledger/http"
)

// runToken is `pbledger token add|revoke|list --data DIR`, which edit the tokens file a running server
// reloads (see watchTokens); without a subcommand it only prints a new token and its entry.
func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || len(args[0]) > 0 && args[0][0] == '-' {
		return runTokenEntry(ctx, args, stdout, stderr)
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("token "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", "./data", "data directory")
	tokensPath := fs.String("tokens", "", "tokens file (default DATA/"+tokensFile+")")
	var name, role, assessor, expires string
	var ttl time.Duration
	var asJSON bool
	switch sub {
	case "add":
		fs.StringVar(&name, "name", "", "the principal's name, written into every event it records (e.g. almaty-portal)")
		fs.StringVar(&role, "role", "", "gateway, moderator, assessor or admin")
		fs.StringVar(&assessor, "assessor", "", "for an assessor token: the assessor ID it acts as")
		fs.StringVar(&expires, "expires", "", "when the token stops working (RFC 3339, e.g. 2026-12-31T23:59:59Z)")
		fs.DurationVar(&ttl, "ttl", 0, "how long the token works from now (e.g. 2160h); instead of --expires")
	case "revoke":
		fs.StringVar(&name, "name", "", "the principal whose token to revoke")
	case "list":
		fs.BoolVar(&asJSON, "json", false, "print JSON")
	default:
		return fmt.Errorf("unknown subcommand %q (add, revoke, list)", sub)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	path := *tokensPath
	if path == "" {
		path = filepath.Join(*dataDir, tokensFile)
	}
	entries, err := readTokenEntries(path)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	switch sub {
	case "add":
		if err := domain.OfficialID(name).Validate(); err != nil {
			return fmt.Errorf("--name: %w", err)
		}
		for _, e := range entries {
			if e.Name == name {
				return fmt.Errorf("%s already has a token; revoke it first", name)
			}
		}
		var exp *time.Time
		switch {
		case expires != "" && ttl != 0:
			return errors.New("give --expires or --ttl, not both")
		case expires != "":
			t, err := time.Parse(time.RFC3339, expires)
			if err != nil {
				return fmt.Errorf("--expires: %w", err)
			}
			exp = &t
		case ttl < 0:
			return errors.New("--ttl must be positive")
		case ttl > 0:
			t := now.Add(ttl).Truncate(time.Second)
			exp = &t
		}
		token, entry, err := pbhttp.NewTokenEntry(name, pbhttp.Role(role), assessor, exp)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := pbhttp.WriteTokens(path, append(entries, entry)); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "token (give it to %s; it is not stored anywhere): %s\n", name, token)
		return nil
	case "revoke":
		kept := entries[:0:0]
		for _, e := range entries {
			if e.Name != name {
				kept = append(kept, e)
			}
		}
		if len(kept) == len(entries) {
			return fmt.Errorf("no token named %q in %s", name, path)
		}
		if err := pbhttp.WriteTokens(path, kept); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked %s; a running server refuses it within a second\n", name)
		return nil
	}
	// list
	type row struct {
		pbhttp.Principal
		ExpiresAt *time.Time `json:"expires_at,omitempty"`
		Expired   bool       `json:"expired"`
	}
	rows := []row{}
	for _, e := range entries {
		rows = append(rows, row{e.Principal, e.ExpiresAt, e.Expired(now)})
	}
	if asJSON {
		return writeJSONTo(stdout, rows)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE\tASSESSOR\tEXPIRES")
	for _, r := range rows {
		exp := "never"
		if r.ExpiresAt != nil {
			exp = r.ExpiresAt.UTC().Format(time.RFC3339)
			if r.Expired {
				exp += " (expired)"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Name, r.Role, r.Assessor, exp)
	}
	return tw.Flush()
}

// readTokenEntries reads the tokens file's entries; a file that does not exist holds none.
func readTokenEntries(path string) ([]pbhttp.TokenEntry, error) {
	t, err := pbhttp.LoadTokens(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return t.Entries(), nil
}

// tokensStamp is what watchTokens compares to notice a changed file: an edit in place changes the size or
// the time, a replacement (pbledger token, most editors) the inode.
type tokensStamp struct {
	exists bool
	size   int64
	mtime  time.Time
	ino    uint64
}

func stampOf(path string) tokensStamp {
	st, err := os.Stat(path)
	if err != nil {
		return tokensStamp{}
	}
	s := tokensStamp{exists: true, size: st.Size(), mtime: st.ModTime()}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		s.ino = sys.Ino
	}
	return s
}

// watchTokens keeps tokens in step with the file at path until ctx ends: it reloads when the file changes
// (checked every poll) and whenever hup delivers (SIGHUP). A file that does not parse is reported and the
// tokens in use are kept; a file that was removed leaves no token valid.
func watchTokens(ctx context.Context, path string, tokens *pbhttp.Tokens, poll time.Duration, hup <-chan os.Signal, log *slog.Logger) {
	last := stampOf(path)
	reload := func(why string) {
		last = stampOf(path)
		t, err := pbhttp.LoadTokens(path)
		if errors.Is(err, os.ErrNotExist) {
			t, err = pbhttp.ParseTokens(emptyTokens())
			log.Warn("tokens file removed: no token is valid until it exists again", "file", path)
		}
		if err != nil {
			log.Error("tokens file not reloaded: it does not parse; the tokens in use stay", "file", path, "err", err)
			return
		}
		tokens.Replace(t)
		log.Info("tokens reloaded", "file", path, "why", why, "tokens", len(t.Entries()))
	}
	var tick <-chan time.Time
	if poll > 0 {
		t := time.NewTicker(poll)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			reload("SIGHUP")
		case <-tick:
			if stampOf(path) != last {
				reload("file changed")
			}
		}
	}
}

func emptyTokens() io.Reader { return strings.NewReader(`{"tokens":[]}`) }
